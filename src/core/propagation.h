// Propagator: what the append-only log records of each command, as the effect it had (Redis'
// propagate / alsoPropagate): commands that, replayed in order on the data as it was, give the
// same data. Owned by ServerState; the dispatcher brackets every handler run with Enter/Leave
// (any depth: EXEC's queued commands and a script's redis.call are runs inside another), and it
// is a keyspace observer (ServerState::observers) so that a run knows whether it changed data
// and the engine's own deletions (expired, evicted) are logged as DEL. Handlers whose arguments
// do not replay to the same effect (SET EX -> PXAT, SPOP -> SREM, BLPOP -> LPOP, XADD * -> the
// id, INCRBYFLOAT -> SET KEEPTTL...) state the effect with CommandContext::PropagateAs. What a
// whole top-level command produced goes to the sink (the AOF log's Append) as RESP multibulk,
// inside MULTI/EXEC when it is more than one command, preceded by the command that selects its
// namespace when that differs from the last one logged. Without a sink it records nothing and
// costs a branch per run. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"
#include "engine/keyspace.h"
#include "src/core/command.h"

namespace dkv::server {

class Propagator final : public engine::KeyspaceObserver {
 public:
  // Receives the RESP bytes of one top-level command's effect (or of an expiry or eviction
  // outside any command), in order.
  using Sink = std::function<void(std::string_view resp)>;

  // `keyspace` names the namespaces for the selecting command (SELECT <name>); null: numbers.
  explicit Propagator(const engine::Keyspace* keyspace = nullptr) : keyspace_(keyspace) {}
  Propagator(const Propagator&) = delete;
  Propagator& operator=(const Propagator&) = delete;

  // Sets or clears (nullptr) where records go. Clearing drops anything not yet handed over; a
  // new sink starts with a SELECT (ForgetSelectedDb). Safe during a command: a run entered
  // while there was a sink still leaves cleanly.
  void set_sink(Sink sink);
  bool active() const { return static_cast<bool>(sink_); }

  // The dispatcher, around each handler run: Enter before it, Leave after it with the namespace
  // it ran in and its arguments. Leave records `argv` if the run changed data, the handler did
  // not state its effect (PropagateAs/Suppress) and no run inside it recorded anything (EXEC's
  // commands, a script's writes log themselves). The outermost Leave hands the records to the
  // sink.
  void Enter();
  void Leave(int db, Args argv);

  // A handler, during its run: its effect is these commands, in order, instead of its arguments
  // (each call adds one command, run in namespace `db`).
  void Replace(int db, std::vector<std::string> argv);
  // A handler, during its run: log nothing for this run although data changed.
  void Suppress();
  // A change that is not a key's (FUNCTION LOAD, FUNCTION FLUSH): this run changed data.
  void MarkChanged();

  // A script's redis.set_repl without REPL_AOF: until the top-level command ends (or this is
  // called again with true), runs record nothing (expired keys are still logged, as Redis).
  void set_recording(bool on) { recording_ = on; }

  // Runs in progress (0 outside any command).
  size_t depth() const { return frames_.size(); }

  // The next record starts with the namespace's SELECT (a new log file begins). Call it between
  // commands: what a command in progress logged before the call is not selected again.
  void ForgetSelectedDb() {
    last_db_ = -1;
    if (pending_count_ == 0) pending_db_ = -1;
  }

  // KeyspaceObserver: key changes mark the running command; expired and evicted keys are
  // logged as DEL where they happen (before the command that met them).
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  void OnFlush(engine::Database& db) override;
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override;

 private:
  struct Frame {
    bool changed = false;  // data changed by this run itself (not by runs inside it)
    bool stated = false;   // Replace or Suppress was called for this run
    uint32_t commands_at_enter = 0;
  };
  // Appends one command (with its SELECT when the namespace differs) to the pending records.
  void AppendArgs(int db, Args argv);
  void AppendDel(int db, std::string_view key);
  void SelectFor(int db);
  void MarkFrameChanged() {
    if (!frames_.empty()) frames_.back().changed = true;
  }
  // Hands the pending records to the sink (in MULTI/EXEC when more than one command).
  void Flush();

  const engine::Keyspace* keyspace_;
  Sink sink_;
  bool recording_ = true;
  int last_db_ = -1;     // the namespace the log's reader has selected (-1: none yet)
  int pending_db_ = -1;  // the namespace selected after the pending records
  std::vector<Frame> frames_;
  std::string pending_;         // RESP of the current top-level command's records
  uint32_t pending_count_ = 0;  // commands in pending_ (SELECTs not counted)
  uint32_t commands_ = 0;       // records of runs and Replace (not expiry DELs), this command
  std::string wrapped_;         // MULTI + pending_ + EXEC, reused
};

}  // namespace dkv::server
