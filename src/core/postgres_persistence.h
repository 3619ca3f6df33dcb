// PostgresPersistence: the Backend (src/core/backend.h) of persistence.backend postgres: an adapter
// over PostgresBackend (the commit queue, the cache tier's value reads) with the snapshot file
// beside it (SnapshotBackend: SAVE and BGSAVE still write one). Only PostgresBackend's public
// methods are used; the server owns both objects. Loop thread only.
#pragma once

#include "src/core/snapshot_backend.h"

namespace dkv::persistence::postgres {
class PostgresBackend;
}

namespace dkv::server {

using persistence::postgres::PostgresBackend;  // persistence/postgres/

class PostgresPersistence final : public SnapshotBackend {
 public:
  PostgresPersistence(Snapshotter* snapshotter, PostgresBackend* postgres)
      : SnapshotBackend(snapshotter), pg_(postgres) {}

  bool QueueFull() const override;
  size_t queued() const override;
  bool draining() const override;
  bool TierActive() const override;
  void PinForCommand(std::vector<DbKey> keys) override;
  void Pin(uint64_t owner, int db, std::string_view key) override;
  uint64_t RequestValues(std::vector<DbKey> keys, uint64_t owner) override;
  void FlushSoon() override;
  std::optional<PostgresFigures> postgres_figures() const override;

 private:
  PostgresBackend* pg_;
};

}  // namespace dkv::server
