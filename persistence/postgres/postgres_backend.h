// PostgresBackend: PostgreSQL as the store of record under the in-memory keyspace. This is the
// facade the server uses; the work is done by its parts, one file each:
//
//   schema.*       the table, checked or created at start; the statements connections prepare
//   loader.*       the rows streamed in at start while clients get -LOADING
//   connection.*   PgConn: one libpq connection in pipeline mode, reconnecting with backoff
//   write_queue.*  what is dirty, what is in flight, which batch may start (pure bookkeeping)
//   batch_sql.*    a batch's statements (binary array upserts and deletes, namespace ops)
//   value_fetch.*  the cache tier's reads of dropped values, and the pins that keep them
//
// At start (before the port opens) it connects, creates or checks the schema, then streams the
// live rows in on the loop. From then on it observes every change of the keyspace: a changed
// key is marked dirty (changes to one key coalesce), a subtree delete, a flush or a SWAPDB is
// queued as a namespace operation, and batches are committed in one transaction each on a pool
// of connections (postgres.pool-size), through libpq in non-blocking pipeline mode with the
// sockets watched by the event loop: no libpq call blocks the loop. Each batch writes its keys'
// current state (upsert or delete), so the table converges to memory. Two batches in flight
// never share a key, and a batch carrying namespace operations runs alone, so the order of
// commits cannot reorder a key's states.
//
// Durability: `async` acknowledges writes at once and commits every flush-interval (or when a
// batch fills up); `sync` holds the reply of a command that wrote until every change up to it
// has committed (group commit: the writes of one loop iteration share one transaction, and the
// pool overlaps the commits). When PostgreSQL goes away the backend reconnects with backoff,
// reads keep being served, writes queue up to queue-bound and are then refused.
//
// The cache tier: under maxmemory the evictor drops the values of clean keys (IsClean) instead of
// deleting keys; a command that needs a dropped value waits while a dedicated connection reads it
// back (RequestValues), other clients go on.
//
// It borrows the event loop, the host and the keyspace for its whole life (src/ provides them:
// src/uv_event_loop.*, src/postgres_host.*) and owns its connections, timers and queues.
// persistence/ knows nothing of src/. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"
#include "engine/portable_builder.h"
#include "persistence/postgres/batch_sql.h"
#include "persistence/postgres/connection.h"
#include "persistence/postgres/event_loop.h"
#include "persistence/postgres/host.h"
#include "persistence/postgres/status.h"
#include "persistence/postgres/value_fetch.h"
#include "persistence/postgres/write_queue.h"

namespace dkv::engine {
class Keyspace;
}

namespace dkv::persistence::postgres {

class Loader;

class PostgresBackend : public engine::KeyspaceObserver, private PgConn::Listener {
 public:
  PostgresBackend(EventLoop* loop, Host* host, engine::Keyspace* keyspace, Options options);
  ~PostgresBackend() override;
  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  // Connects (blocking: the loop is not serving yet), creates or checks the schema, and starts
  // loading every row not yet expired: the rows stream in on the loop while clients get
  // -LOADING (Host::SetLoading). Returns "" or the error that stops the start.
  std::string Start();

  // KeyspaceObserver: a key changed; keys under a prefix were deleted.
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  // Two namespaces are about to exchange their contents (SWAPDB): their rows exchange
  // namespaces.
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override;

  // Called once per loop iteration: starts batches when due, sends value reads.
  void MaybeFlush();
  // Memory is full of values not yet committed: the next batch starts without waiting for the
  // flush interval or the batch size (async).
  void FlushSoon() { flush_soon_ = true; }
  // Commits everything queued, blocking up to timeout_ms without a commit (at exit, with the
  // loop stopped). Returns whether the queue is empty.
  bool FlushBlocking(int64_t timeout_ms);
  // The exit waits for the queue (loop running): batches start at once (no flush interval, no
  // backoff after a failed batch beyond RetryBackoff::kDrainRetryMs), lost connections retry
  // within that, and writes are refused (by the server), so the queue only shrinks.
  void set_draining(bool on);
  bool draining() const { return draining_; }
  // Batches can commit at all: the load is over and the pool started.
  bool CanCommit() const;
  // Nothing is queued and no batch is in flight.
  bool Idle() const { return queue_.Idle(); }

  bool sync() const { return host_->tunables().sync; }
  // Counts changes; a command that changed it wrote something. Each change has a number.
  uint64_t change_count() const { return queue_.change_count(); }
  // Every change numbered up to this has committed.
  uint64_t durable() const { return queue_.durable(); }
  // Writes are refused: the queue holds queue-bound keys or more.
  bool QueueFull() const;
  size_t queued() const { return queue_.queued(); }
  // Backends of lost writers that must end before batches resume.
  size_t stalled_backends() const { return fences_.size(); }
  const PostgresStatus& status() const { return status_; }
  int connections_ready() const;
  // The connection of the load is up, or (after it) one connection of the pool can commit.
  bool connected() const;
  // Called after every commit (to release the replies held for it).
  void set_on_commit(std::function<void()> fn) { on_commit_ = std::move(fn); }

  // The cache tier is on: values may be dropped and read back.
  bool cache_tier() const { return options_.cache_tier; }
  // The key's state is committed: no change of it is queued or in flight, and nobody pins it.
  bool IsClean(int db, std::string_view key) const {
    return !fetcher_.Pinned(db, key) && !queue_.Pending(db, key);
  }
  // Reads the values of cold keys of namespace `db` back into memory. Returns the request's
  // number; FetchDone(id) once the request is over (values filled, or failed: then
  // FetchError(id) says why). The read is sent before the loop waits again.
  uint64_t RequestValues(std::vector<DbKey> keys, uint64_t owner) {
    return fetcher_.Request(std::move(keys), owner);
  }
  bool FetchDone(uint64_t id) const { return fetcher_.FetchDone(id); }
  std::string FetchError(uint64_t id) const { return fetcher_.FetchError(id); }
  // Values read back for a client stay in memory until its command has run (ReleasePins): a
  // pattern read that needs more values than maxmemory holds still gets them all, as a big
  // reply may outgrow it. The keys of the command running stay while it runs.
  void ReleasePins(uint64_t owner) { fetcher_.ReleasePins(owner); }
  // A client went away: its pins go, and what it asked for is not pinned when it comes.
  void ForgetOwner(uint64_t owner) { fetcher_.ForgetOwner(owner); }
  // Values may be dropped now or are dropped: commands check which values they need.
  bool TierActive() const;
  // Keeps the value of `key` in memory for `owner` until ReleasePins(owner).
  void Pin(uint64_t owner, int db, std::string_view key) { fetcher_.Pin(owner, db, key); }
  void PinForCommand(std::vector<DbKey> keys) { fetcher_.PinForCommand(std::move(keys)); }
  // Called when a value read is over (to resume the clients waiting for it).
  void set_on_fetch(std::function<void()> fn) { fetcher_.set_on_fetch(std::move(fn)); }

 private:
  // PgConn::Listener
  void OnConnError(const std::string& why, bool log) override;
  void OnLostInFlight(const PgBackendId& backend) override;
  void OnReady() override { MaybeFlush(); }

  void StartPool();
  // Takes a batch for the writer and sends it, or, when it holds big containers and `sliced`,
  // builds their values first, a slice per loop iteration (ContinuePrepared sends it).
  void StartBatch(size_t writer, bool sliced = true);
  // Advances the batches being prepared by up to `budget` elements; sends those that are ready.
  void ContinuePrepared(size_t budget);
  // Elements built per loop iteration: about 4 ms of work (a 1,000,000-field hash in ~60).
  static constexpr size_t kSliceElements = 16384;
  void SendTaken(size_t writer, PrebuiltValues* prebuilt);
  void FinishBatch(size_t writer, bool ok, const std::string& error);
  // Writer w can take a batch: connected, and none of its own in flight.
  bool WriterFree(size_t w) const;
  // True when no lost backend is pending; otherwise asks them to end (on a free writer).
  bool FencesClear();

  static constexpr int64_t kFenceRecheckMs = 50;

  EventLoop* loop_;
  Host* host_;
  engine::Keyspace* keyspace_;
  Options options_;
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<EventLoop::Timer> timer_;  // flush interval, reconnects, deadlines
  PostgresStatus status_;
  WriteQueue queue_;
  ValueFetcher fetcher_;
  RetryBackoff retry_;  // after a failed batch
  // Backends of writers lost with a batch in flight, not yet seen ended (FencesClear).
  std::vector<PgBackendId> fences_;
  bool fence_checking_ = false;
  int64_t fence_check_at_ms_ = 0;
  bool draining_ = false;
  bool flush_soon_ = false;
  std::vector<std::unique_ptr<PgConn>> writers_;
  // A big container of a batch taken but not yet sent: its value is built in steps.
  struct Prepared {
    int db = 0;
    std::string key;
    std::unique_ptr<engine::PortableBuilder> builder;  // null once built (or not needed)
    std::string value;
    bool built = false;
    int restarts = 0;
  };
  // Per writer slot: the batch taken is being prepared while this is not empty.
  std::vector<std::vector<Prepared>> prepared_;
  std::unique_ptr<EventLoop::Timer> prepare_timer_;  // the next slice, at the next iteration
  std::unique_ptr<PgConn> reader_;
  std::function<void()> on_commit_;
};

}  // namespace dkv::persistence::postgres
