// PostgresHost: the server's side of the PostgreSQL backend (persistence/postgres/host.h). It
// reads the settings from ServerState's config, writes the backend's log lines to the server's
// log, and maps the backend's notices onto the server (ServerState::loading; a failed load sets
// exit code 1 and asks the hooks to shut down). MakePostgresOptions gives the settings read once
// at start. Borrows the state; the server owns both and keeps the host alive as long as the
// backend. Loop thread only.
#pragma once

#include "persistence/postgres/host.h"

namespace dkv::server {

struct ServerState;

persistence::postgres::Options MakePostgresOptions(const ServerState& state);

class PostgresHost final : public persistence::postgres::Host {
 public:
  explicit PostgresHost(ServerState* state) : state_(state) {}

  persistence::postgres::Tunables tunables() const override;
  void Log(persistence::postgres::LogLevel level, std::string_view message) override;
  void SetLoading(bool loading) override;
  void LoadFailed() override;

 private:
  ServerState* state_;
};

}  // namespace dkv::server
