// Backend: what the server needs of persistence, over both kinds: the snapshot file alone
// (persistence.backend snapshot: SnapshotBackend, src/core/snapshot_backend.h) and PostgreSQL as
// the store of record with the snapshot file beside it for SAVE and BGSAVE (persistence.backend
// postgres: PostgresPersistence, src/core/postgres_persistence.h). NoBackend stands for no
// persistence at all (the command harness of the unit tests). SAVE, BGSAVE, LASTSAVE, FLUSHALL,
// SWAPDB, SHUTDOWN, INFO persistence, /metrics, the dispatcher's write checks and the cache tier's
// value reads go through it. The server owns the backend objects and the persistence machinery
// under them (src/net/server_loop.cc); ServerState points at the one in use. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/db_key.h"

namespace dkv::server {

// The snapshot file's figures (INFO persistence, LASTSAVE, /metrics).
struct SnapshotStatus {
  int64_t last_save_s = 0;  // LASTSAVE: the last successful save (or the start)
  bool last_bgsave_ok = true;
  std::string last_error;           // why the last save failed, "" after a success
  int64_t last_bgsave_time_s = -1;  // duration of the last background save
  int64_t bgsave_started_ms = 0;    // when the running one started
  int64_t last_bgsave_try_s = 0;    // when the last background save was attempted
  uint64_t saves = 0;               // successful saves since start
  uint64_t last_load_keys_loaded = 0;
  uint64_t last_load_keys_expired = 0;
  int64_t last_load_ms = 0;  // how long the load at start took
  uint64_t total_forks = 0;
  int64_t latest_fork_usec = 0;
};

// What INFO persistence and /metrics show of PostgreSQL (persistence.backend postgres).
struct PostgresFigures {
  bool connected = false;
  size_t queue_keys = 0;
  int connections_ready = 0;
  size_t stalled_backends = 0;
  bool cache_tier = false;
  uint64_t batches_committed = 0;
  uint64_t keys_committed = 0;
  uint64_t rows_built_in_slices = 0;
  uint64_t slice_restarts = 0;
  int64_t last_commit_ms = 0;
  int64_t last_commit_latency_us = 0;
  uint64_t errors = 0;
  std::string last_error;
  uint64_t keys_loaded = 0;
  uint64_t fetches = 0;
  uint64_t values_fetched = 0;
  uint64_t fetch_errors = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // --- The snapshot file (every backend but NoBackend has one) ---
  virtual bool has_snapshot_file() const = 0;
  // The file's name (dbfilename), "" without one.
  virtual std::string snapshot_path() const = 0;
  virtual const SnapshotStatus& snapshot_status() const = 0;
  // A background save is running.
  virtual bool SaveInProgress() const = 0;
  // SAVE: writes the snapshot in the foreground. Returns "" or the error.
  virtual std::string Save() = 0;
  // BGSAVE: starts a background save. Returns "" or the error.
  virtual std::string StartBackgroundSave() = 0;
  // BGSAVE inside a transaction: the save starts from the cron right after it.
  virtual void ScheduleBackgroundSave() = 0;
  // Stops a running background save (SHUTDOWN, FLUSHALL).
  virtual void StopBackgroundSave() = 0;
  // A `save` schedule is configured.
  virtual bool HasSaveSchedule() const = 0;
  // At shutdown without SAVE or NOSAVE: whether to write the final snapshot.
  virtual bool FinalSaveWanted() const = 0;
  // -MISCONF: the last background save failed and stop-writes-on-bgsave-error holds.
  virtual bool SnapshotWritesRefused() const = 0;

  // --- The store of record (PostgreSQL); without one: nothing queued, nothing cold ---
  // Writes are refused: the commit queue is full (postgres.queue-bound).
  virtual bool QueueFull() const { return false; }
  // Changes not yet committed.
  virtual size_t queued() const { return 0; }
  // An exit waits for the queue to commit: writes are refused.
  virtual bool draining() const { return false; }
  // The cache tier may have values in the store only: commands check which they need.
  virtual bool TierActive() const { return false; }
  // Keeps these keys' values in memory while the command runs ({} after it).
  virtual void PinForCommand(std::vector<DbKey>) {}
  // Keeps the value of `key` in memory for client `owner` until its command has run.
  virtual void Pin(uint64_t /*owner*/, int /*db*/, std::string_view /*key*/) {}
  // Reads cold values back; returns the request's number (Session::value_fetch).
  virtual uint64_t RequestValues(std::vector<DbKey>, uint64_t /*owner*/) { return 0; }
  // Memory is full of values not yet committed: commit sooner (the evictor failed).
  virtual void FlushSoon() {}

  // The store's figures, or nullopt for a backend without one.
  virtual std::optional<PostgresFigures> postgres_figures() const { return std::nullopt; }
};

// No persistence at all (unit tests): no snapshot file, no store.
class NoBackend final : public Backend {
 public:
  bool has_snapshot_file() const override { return false; }
  std::string snapshot_path() const override { return ""; }
  const SnapshotStatus& snapshot_status() const override { return status_; }
  bool SaveInProgress() const override { return false; }
  std::string Save() override { return "no snapshot file is configured"; }
  std::string StartBackgroundSave() override { return "no snapshot file is configured"; }
  void ScheduleBackgroundSave() override {}
  void StopBackgroundSave() override {}
  bool HasSaveSchedule() const override { return false; }
  bool FinalSaveWanted() const override { return false; }
  bool SnapshotWritesRefused() const override { return false; }

 private:
  SnapshotStatus status_;
};

}  // namespace dkv::server
