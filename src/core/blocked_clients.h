// BlockedClients: the clients parked in a blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) and the keys they wait for, Redis 7.2's model:
//   - A blocking command that finds all its keys empty calls Block(): the session is parked
//     (Session::blocked), registered per (namespace, key) in FIFO order, with its deadline.
//     Its command stays unconsumed in the connection's input (the network layer keeps it and
//     stops reading further commands, as for CLIENT PAUSE).
//   - As a keyspace observer it hears of every write; a write to a key someone waits for marks
//     the key ready (Redis' signalKeyAsReady). SWAPDB marks every waited key of both.
//   - After each top-level command (after the whole EXEC or script) the network layer calls
//     ServeReady(): for each ready key, the clients waiting for it, first come first served,
//     whose type the key now holds are unparked and their command runs again (`rerun`), popping
//     as if it had been sent then; served commands may make further keys ready (BLMOVE), which
//     are served in the same call. A command that finds nothing parks again, keeping its
//     deadline.
//   - A deadline passing (the network layer's one timer, armed to NextDeadline()), CLIENT
//     UNBLOCK, and a disconnect end a wait: Finish() writes the reply (a null array or the
//     UNBLOCKED error), counts the call, and the network layer drops the command from the input
//     (ServerHooks::BlockEnded).
// Owned by ServerState; handlers reach it through Services::blocked(). Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/database.h"
#include "engine/keyspace.h"
#include "engine/metadata.h"
#include "src/core/session.h"
#include "src/core/stats.h"

namespace dkv::server {

class BlockedClients : public engine::KeyspaceObserver {
 public:
  explicit BlockedClients(Stats* stats) : stats_(stats) {}
  BlockedClients(const BlockedClients&) = delete;
  BlockedClients& operator=(const BlockedClients&) = delete;

  // Parks `session` on `keys` of namespace `db` until one holds a value of `kind` (kList or
  // kZset), or until `deadline_ms` (0: forever). `command` is the lower-case command name (its
  // statistics at a timeout). A command run again by ServeReady keeps its first deadline.
  void Block(Session* session, int db, const std::vector<std::string_view>& keys, engine::Kind kind,
             int64_t deadline_ms, std::string_view command);
  // XREADGROUP (Redis' unblock_on_nokey): client `id`, just parked, is run again on any change
  // of its keys, also when one is deleted, flushed or replaced by another type (it then answers
  // NOGROUP or WRONGTYPE, as Redis 7.2).
  void WakeOnAnyChange(uint64_t id);
  // How a wait ends without being served.
  enum class Ending { kTimeout, kError };
  // Ends the wait of client `id` (timeout: a null array; error: "-UNBLOCKED client unblocked
  // via CLIENT UNBLOCK"), counts the command's call, and returns the session (the caller tells
  // the network layer, ServerHooks::BlockEnded); nullptr when that client is not blocked.
  Session* Finish(uint64_t id, Ending ending);
  // A disconnecting client: forgotten without a reply.
  void Forget(Session* session);

  // Serves the ready keys (see above). `rerun` runs the session's command again (through the
  // dispatcher, as if just received). Re-entrant calls (from a rerun) return at once: the outer
  // call serves what they make ready. The caller does not call it while a script is busy.
  void ServeReady(engine::Keyspace& keyspace, const std::function<void(Session*)>& rerun);
  bool has_ready() const { return !ready_.empty(); }

  // The earliest deadline (ms, the server clock), 0 when no client waits with one.
  int64_t NextDeadline() const { return timeouts_.empty() ? 0 : timeouts_.begin()->first; }
  // The clients whose deadline is at or before `now_ms`, earliest first.
  std::vector<uint64_t> Due(int64_t now_ms) const;

  // INFO clients.
  size_t blocked_count() const { return waiters_.size(); }
  size_t key_count() const { return key_count_; }
  size_t timeout_count() const { return timeouts_.size(); }

  // --- engine::KeyspaceObserver ---
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  void OnFlush(engine::Database& db) override;
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The clients waiting for one key, in arrival order, and whether it is on the ready list.
  struct KeyWaiters {
    std::list<uint64_t> clients;
    bool ready = false;
  };
  using KeyMap = std::unordered_map<std::string, KeyWaiters, Hash, std::equal_to<>>;
  struct Waiter {
    Session* session = nullptr;
    int db = 0;
    engine::Kind kind = engine::Kind::kList;
    int64_t deadline_ms = 0;
    bool any_change = false;  // WakeOnAnyChange
    std::string command;
    // Where this client stands in each key's queue (a key named twice is queued once).
    std::vector<std::pair<std::string, std::list<uint64_t>::iterator>> keys;
  };

  void MarkReady(int db, std::string_view key, KeyWaiters& w);
  // MarkReady when one of the key's clients waits for any change (a deletion wakes only those).
  void MarkReadyForAnyChange(int db, std::string_view key, KeyWaiters& w);
  // Unparks a client: out of every key's queue and the timeout set; Session::blocked false.
  void Remove(uint64_t id);

  Stats* stats_;
  std::unordered_map<int, KeyMap> by_key_;
  std::unordered_map<uint64_t, Waiter> waiters_;
  std::set<std::pair<int64_t, uint64_t>> timeouts_;
  std::vector<std::pair<int, std::string>> ready_;
  size_t key_count_ = 0;
  bool serving_ = false;
  // While ServeReady runs a client's command again: that client, and its deadline to keep.
  uint64_t rerun_id_ = 0;
  int64_t rerun_deadline_ = 0;
};

}  // namespace dkv::server
