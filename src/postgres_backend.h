// PostgresBackend: PostgreSQL as the store of record under the in-memory keyspace.
//
// At start (before the port opens) it connects, creates or checks the schema, then streams the
// live rows in on the loop while clients get -LOADING: whole rows, or with the cache tier on
// (maxmemory with an evicting policy) the keys and metadata only. From then on it observes every
// change of the keyspace: a changed key is marked dirty (changes to one key coalesce), a subtree
// delete, a flush or a SWAPDB is queued as a namespace operation, and batches are committed in
// one transaction each on a pool of connections (postgres.pool-size), through libpq in
// non-blocking pipeline mode with the sockets watched by uv_poll: no libpq call blocks the loop.
// Each batch writes its keys' current state (upsert or delete), so the table converges to memory.
// Two batches in flight never share a key, and a batch carrying namespace operations runs alone,
// so the order of commits cannot reorder a key's states.
//
// Durability: `async` acknowledges writes at once and commits every flush-interval (or when a
// batch fills up); `sync` holds the reply of a command that wrote until every change up to it
// has committed (group commit: the writes of one loop iteration share one transaction, and the
// pool overlaps the commits). When PostgreSQL goes away the backend reconnects with backoff,
// reads keep being served, writes queue up to queue-bound and are then refused.
//
// The cache tier: under maxmemory the evictor drops the values of clean keys (IsClean) instead of
// deleting keys; a command that needs a dropped value waits while a dedicated connection reads it
// back (RequestValues), other clients go on. Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/database.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace dkv::server {

struct ServerState;

class PgConn;

// A key in a namespace (by index).
using DbKey = std::pair<int, std::string>;

struct PostgresStatus {
  uint64_t batches_committed = 0;
  uint64_t keys_committed = 0;
  int64_t last_commit_ms = 0;  // wall clock of the last commit
  int64_t last_commit_latency_us = 0;
  uint64_t errors = 0;
  std::string last_error;
  uint64_t keys_loaded = 0;
  int64_t load_ms = 0;
  uint64_t fetches = 0;         // value reads sent (one per waiting command)
  uint64_t values_fetched = 0;  // values read back into memory
  uint64_t fetch_errors = 0;
};

// A PostgreSQL backend process: its pid and start time (microseconds), as text.
struct PgBackendId {
  std::string pid, start_us;
  bool operator==(const PgBackendId&) const = default;
};

class PostgresBackend : public engine::KeyspaceObserver {
 public:
  PostgresBackend(ServerState* state, uv_loop_t* loop);
  ~PostgresBackend() override;
  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  // Connects (blocking: the loop is not serving yet), creates or checks the schema, and starts
  // loading every row not yet expired: the rows stream in on the loop while clients get
  // -LOADING (ServerState::loading). Returns "" or the error that stops the start.
  std::string Start();

  // KeyspaceObserver: a key changed; keys under a prefix were deleted.
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  // Two namespaces exchanged their contents (SWAPDB): their rows exchange namespaces.
  void OnSwap(int a, int b);

  // Called once per loop iteration: starts batches when due, sends value reads.
  void MaybeFlush();
  // Memory is full of values not yet committed: the next batch starts without waiting for the
  // flush interval or the batch size (async).
  void FlushSoon() { flush_soon_ = true; }
  // Commits everything queued, blocking up to timeout_ms without a commit (at exit, with the
  // loop stopped). Returns whether the queue is empty.
  bool FlushBlocking(int64_t timeout_ms);
  // The exit waits for the queue (ExitDrain, loop running): batches start at once (no flush
  // interval, no backoff after a failed batch beyond kDrainRetryMs), lost connections retry
  // within kDrainRetryMs, and writes are refused (Dispatcher, scripts), so the queue only shrinks.
  void set_draining(bool on);
  bool draining() const { return draining_; }
  // Batches can commit at all: the load is over and the pool started.
  bool CanCommit() const { return !loading_ && !load_failed_ && !writers_.empty(); }
  // Nothing is queued and no batch is in flight.
  bool Idle() const;

  bool sync() const;
  // Counts changes; a command that changed it wrote something. Each change has a number.
  uint64_t change_count() const { return changes_; }
  // Every change numbered up to this has committed.
  uint64_t durable() const;
  // Writes are refused: the queue holds queue-bound keys or more.
  bool QueueFull() const;
  size_t queued() const { return dirty_count_ + prefix_ops_.size(); }
  // Backends of lost writers that must end before batches resume.
  size_t stalled_backends() const { return fences_.size(); }
  const PostgresStatus& status() const { return status_; }
  int connections_ready() const;
  // The connection of the load is up, or (after it) one connection of the pool can commit.
  bool connected() const;
  // Called after every commit (to release the replies held for it).
  void set_on_commit(std::function<void()> fn) { on_commit_ = std::move(fn); }

  // The cache tier is on: values may be dropped and read back.
  bool cache_tier() const { return cache_tier_; }
  // The key's state is committed: no change of it is queued or in flight.
  bool IsClean(int db, std::string_view key) const;
  // Reads the values of cold keys of namespace `db` back into memory. Returns the request's
  // number; FetchDone(id) once the request is over (values filled, or failed: then
  // FetchError(id) says why). The read is sent before the loop waits again.
  uint64_t RequestValues(std::vector<DbKey> keys, uint64_t owner);
  bool FetchDone(uint64_t id) const;
  std::string FetchError(uint64_t id) const;
  // Values read back for a client stay in memory until its command has run (ReleasePins): a
  // pattern read that needs more values than maxmemory holds still gets them all, as a big
  // reply may outgrow it. The keys of the command running stay while it runs.
  void ReleasePins(uint64_t owner);
  // A client went away: its pins go, and what it asked for is not pinned when it comes.
  void ForgetOwner(uint64_t owner);
  // Values may be dropped now or are dropped: commands check which values they need.
  bool TierActive() const;
  // Keeps the value of `key` in memory for `owner` until ReleasePins(owner).
  void Pin(uint64_t owner, int db, std::string_view key);
  void PinForCommand(std::vector<DbKey> keys) { command_pins_ = std::move(keys); }
  // Called when a value read is over (to resume the clients waiting for it).
  void set_on_fetch(std::function<void()> fn) { on_fetch_ = std::move(fn); }

 private:
  friend class PgConn;
  struct NsOp {
    enum Kind { kDeletePrefix, kSwap } kind;
    std::string ns;
    std::string prefix;  // kDeletePrefix
    std::string ns2;     // kSwap
    uint64_t seq;
  };
  struct Batch {
    uint64_t id = 0;
    std::vector<std::pair<int, std::string>> keys;
    std::vector<NsOp> ops;
    uint64_t min_seq = 0;
    int64_t started_us = 0;
    size_t bytes = 0;  // keys and values sent
  };
  struct Fetch {
    uint64_t id;
    std::vector<DbKey> keys;
    std::vector<std::pair<uint32_t, int64_t>> states;  // version, updated_ms when asked
    int64_t queued_ms;
    uint64_t owner;  // the session waiting (0: gone)
  };

  std::string Table() const;
  bool Exec(const std::string& sql, std::string* error);  // blocking, at start only
  std::string CreateSchema();
  // Loading at start, on the loop: the query in single-row mode, each row as it arrives.
  std::string StartLoad();
  void ContinueLoad();
  void LoadRow(PGresult* r);
  void FailLoad(const std::string& why);
  void OnLoadPoll(int status);
  void StartPool();
  static bool SendPrepares(PGconn* conn, const std::string& table);

  void StartBatch(size_t writer);
  void FinishBatch(size_t writer, bool ok, const std::string& error);
  // Puts the keys and namespace operations of a batch back in the queue.
  void Requeue(Batch& batch);
  void MarkDirty(int db, std::string key, uint64_t seq);
  void SendFetches();
  // `found`: the keys that had a row, per namespace index.
  void FinishFetch(Fetch& fetch, bool ok, const std::string& error,
                   const std::map<int, std::unordered_set<std::string>>& found);
  // A lost or failed connection: counted in pg_errors, kept as pg_last_error, and logged.
  void OnConnError(const std::string& why, bool log = true);

  ServerState* state_;
  uv_loop_t* loop_;
  // The connection of the schema check and the load; closed once the rows are in.
  PGconn* conn_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  uv_timer_t* timer_ = nullptr;  // flush interval, reconnects, deadlines
  bool loading_ = false;
  bool load_failed_ = false;
  std::string load_error_;
  int64_t load_started_us_ = 0;
  bool cache_tier_ = false;
  int64_t retry_at_ms_ = 0;  // after a failed batch, the next one waits until then
  // Backends of writers lost with a batch in flight, not yet seen ended (FencesClear).
  std::vector<PgBackendId> fences_;
  bool fence_checking_ = false;
  int64_t fence_check_at_ms_ = 0;
  static constexpr int64_t kFenceRecheckMs = 50;
  // True when no lost backend is pending; otherwise asks one to end (on a free writer).
  bool FencesClear();
  // Writer w can take a batch: connected, and none of its own in flight.
  bool WriterFree(size_t w) const;
  // The first change since the queue was empty starts the async flush interval.
  void OpenWindow();
  void AddFence(const PgBackendId& backend);
  int64_t retry_backoff_ms_ = 100;
  bool draining_ = false;  // set_draining
  static constexpr int64_t kDrainRetryMs = 250;

  std::vector<std::unique_ptr<PgConn>> writers_;
  std::vector<Batch> writer_batch_;  // the batch in flight on each writer (id 0: none)
  std::unique_ptr<PgConn> reader_;

  // What is queued: dirty keys per namespace index with the number of their first unqueued
  // change, namespace operations in order.
  struct StringHash {  // lookups by string_view without a copy (IsClean runs per eviction probe)
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeySet = std::unordered_set<std::string, StringHash, std::equal_to<>>;
  std::vector<std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>>> dirty_;
  size_t dirty_count_ = 0;
  uint64_t dirty_min_seq_ = 0;  // no dirty key has an older change (when dirty_count_ > 0)
  std::vector<NsOp> prefix_ops_;
  int64_t first_dirty_ms_ = 0;
  uint64_t changes_ = 0;
  // Keys of the batches in flight, per namespace index.
  std::vector<KeySet> flying_;
  uint64_t next_batch_id_ = 1;
  uint64_t swaps_ = 0;
  bool flush_soon_ = false;  // SWAPDBs seen (a value read sent before one is not used)

  // Value reads: waiting for the reader, and sent.
  std::deque<Fetch> fetch_queue_;
  std::deque<Fetch> fetch_sent_;
  uint64_t next_fetch_id_ = 1;
  std::unordered_set<uint64_t> pending_fetches_;
  std::map<uint64_t, std::string> fetch_errors_;  // recent failed requests
  // Pinned values per namespace index, with how many owners pin each.
  std::vector<std::unordered_map<std::string, int, StringHash, std::equal_to<>>> pin_counts_;
  std::unordered_map<uint64_t, std::vector<DbKey>> pins_by_owner_;
  std::vector<DbKey> command_pins_;

  PostgresStatus status_;
  std::function<void()> on_commit_;
  std::function<void()> on_fetch_;
};

}  // namespace dkv::server
