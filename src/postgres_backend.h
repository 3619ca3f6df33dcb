// PostgresBackend: PostgreSQL as the store of record under the in-memory keyspace.
//
// At start (before the port opens) it connects, creates or checks the schema and loads every
// live row. From then on it observes every change of the keyspace: a changed key is marked dirty
// (changes to one key coalesce), a subtree delete or a flush is queued as a range delete, and
// batches of them are committed in one transaction each, through libpq in non-blocking pipeline
// mode with its socket watched by uv_poll: no libpq call blocks the loop. Each batch writes the
// keys' current state (upsert or delete), so the table always converges to memory.
//
// Durability: `async` acknowledges writes at once and commits every flush-interval (or when a
// batch fills up); `sync` holds the reply of a command that wrote until the batch holding its
// write has committed (group commit: every write of one loop iteration shares one commit).
// When PostgreSQL goes away the backend reconnects with backoff, reads keep being served, writes
// queue up to queue-bound and are then refused. Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/database.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace dkv::server {

struct ServerState;
class ArrayParam;

struct PostgresStatus {
  bool connected = false;
  uint64_t batches_committed = 0;
  uint64_t keys_committed = 0;
  int64_t last_commit_ms = 0;  // wall clock of the last commit
  int64_t last_commit_latency_us = 0;
  uint64_t errors = 0;
  std::string last_error;
  uint64_t keys_loaded = 0;
  int64_t load_ms = 0;
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
  // The whole namespace was replaced (SWAPDB): its rows are rewritten from memory.
  void OnNamespaceReplaced(int db);

  // Called once per loop iteration: starts a batch when one is due.
  void MaybeFlush();
  // Commits everything queued, blocking up to timeout_ms (at shutdown). Returns whether the
  // queue is empty.
  bool FlushBlocking(int64_t timeout_ms);

  bool sync() const;
  // Counts changes; a command that changed it wrote something.
  uint64_t change_count() const { return changes_; }
  // The batch that will carry a change made now; it is durable once committed() reaches it.
  uint64_t next_batch() const { return next_batch_id_; }
  uint64_t committed() const { return committed_id_; }
  // Writes are refused: the queue holds queue-bound keys or more.
  bool QueueFull() const;
  size_t queued() const { return dirty_count_ + prefix_ops_.size(); }
  const PostgresStatus& status() const { return status_; }
  // Called after every commit (to release the replies held for it).
  void set_on_commit(std::function<void()> fn) { on_commit_ = std::move(fn); }

 private:
  struct PrefixOp {
    std::string ns;
    std::string prefix;
  };

  std::string Table() const;
  bool Exec(const std::string& sql, std::string* error);  // blocking, at start only
  std::string CreateSchema();
  // Loading at start, on the loop: the query in single-row mode, each row as it arrives.
  std::string StartLoad();
  void ContinueLoad();
  void LoadRow(PGresult* r);
  void FailLoad(const std::string& why);
  std::string SetUpConnection();  // non-blocking mode, pipeline mode, prepared statements

  void StartBatch();
  // Sends one prepared statement whose parameters are arrays (the batch's rows).
  void SendArrays(const char* statement, ArrayParam** params, int n);
  void OnPoll(int status, int events);
  void ReadResults();
  void FinishBatch(bool ok, const std::string& error);
  // Puts the keys and range deletes of the batch in flight back in the queue.
  void Requeue();
  void Disconnect(const std::string& why);
  void ScheduleReconnect();
  void StartConnect();
  void ContinueConnect();
  void WatchSocket(int events);
  void StopWatching();
  void FlushOutput();

  ServerState* state_;
  uv_loop_t* loop_;
  PGconn* conn_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  int poll_fd_ = -1;
  int poll_events_ = 0;
  uv_timer_t* timer_ = nullptr;  // flush interval and reconnect backoff
  enum class State {
    kDisconnected,
    kConnecting,
    kLoading,
    kReady
  } state_conn_ = State::kDisconnected;
  bool loading_ = false;
  bool load_failed_ = false;
  std::string load_error_;
  int64_t load_started_us_ = 0;
  int64_t backoff_ms_ = 100;
  bool reconnect_scheduled_ = false;
  int64_t reconnect_at_ms_ = 0;
  int64_t connect_started_ms_ = 0;
  int64_t retry_at_ms_ = 0;  // after a failed batch, the next one waits until then
  int64_t retry_backoff_ms_ = 100;
  bool send_failed_ = false;  // a statement of the batch being sent did not leave

  // What is queued: dirty keys per namespace index, range deletes in order.
  std::vector<std::unordered_set<std::string>> dirty_;
  size_t dirty_count_ = 0;
  std::vector<PrefixOp> prefix_ops_;
  int64_t first_dirty_ms_ = 0;
  uint64_t changes_ = 0;

  // The batch in flight.
  bool in_flight_ = false;
  std::vector<std::pair<int, std::string>> flight_keys_;
  std::vector<PrefixOp> flight_prefixes_;
  int pending_results_ = 0;  // statements whose results have not arrived
  bool flight_failed_ = false;
  std::string flight_error_;
  int64_t flight_started_us_ = 0;
  uint64_t flight_id_ = 0;
  uint64_t next_batch_id_ = 1;
  uint64_t committed_id_ = 0;
  bool prepared_ = false;

  PostgresStatus status_;
  std::function<void()> on_commit_;
};

}  // namespace dkv::server
