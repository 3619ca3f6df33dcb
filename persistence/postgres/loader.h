// Loader: the PostgreSQL backend's load at start. The query runs in single-row mode on the
// connection that checked the schema; the rows stream in on the loop (each as it arrives, into
// the keyspace) while the server answers -LOADING (Host::SetLoading). With the cache tier on,
// only keys and metadata come in (the value's size stands for it). A failed load stops the
// server (Host::LoadFailed): serving an incomplete keyspace, or writing it back, would lose
// data.
//
// The loader owns the load's connection and its watch until the load ends (the connection is
// closed then); it borrows the loop, the host and the keyspace. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/keyspace.h"
#include "persistence/postgres/event_loop.h"
#include "persistence/postgres/host.h"
#include "persistence/postgres/status.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace dkv::persistence::postgres {

class Loader {
 public:
  // Counts keys_loaded and load_ms in *status.
  Loader(EventLoop* loop, Host* host, engine::Keyspace* keyspace, const Options& options,
         PostgresStatus* status);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Takes `conn` (connected, schema checked) and sends the query, waiting for the socket if
  // needed (the loop is not serving yet). `done` runs once every row is in (not on failure).
  // Returns "" or the error.
  std::string Start(PGconn* conn, int64_t started_us, std::function<void()> done);
  bool loading() const { return loading_; }
  bool failed() const { return failed_; }
  // The load's connection is open (and the load did not fail).
  bool connected() const { return conn_ != nullptr && !failed_; }

  // One row of the query (single-row result: ns, key, value or its size, value_type, meta,
  // version, expiry, created, updated, kind; binary). A container's row that does not check,
  // or a kind this server does not know, fails the load. A key already present is left alone.
  // Exposed for the unit tests.
  void LoadRow(PGresult* r);
  // Why a row could not be loaded ("" when all could): the load fails at its end.
  const std::string& row_error() const { return load_error_; }

 private:
  void ContinueLoad();
  void FailLoad(const std::string& why);
  void OnPoll(const std::string& error);

  EventLoop* loop_;
  Host* host_;
  engine::Keyspace* keyspace_;
  Options options_;
  PostgresStatus* status_;
  PGconn* conn_ = nullptr;
  std::unique_ptr<EventLoop::FdWatch> watch_;
  std::function<void()> done_;
  bool loading_ = false;
  bool failed_ = false;
  std::string load_error_;
  int64_t started_us_ = 0;
};

}  // namespace dkv::persistence::postgres
