// ServerState: what command handlers may use besides their own Session: the configuration, the
// keyspace, statistics, the slow log, the client registry and WATCH bookkeeping. The libuv layer
// owns the sockets and exposes to commands only the few actions in ServerHooks (close a client,
// shut down). Loop thread only.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/clock.h"
#include "engine/keyspace.h"
#include "engine/pattern.h"
#include "src/acl.h"
#include "src/auth_throttle.h"
#include "src/config.h"
#include "src/eviction.h"
#include "src/memory.h"
#include "src/scan_cursors.h"
#include "src/session.h"

namespace dkv::persistence::postgres {
class PostgresBackend;
}

namespace dkv::server {

// Upper bounds, in microseconds, of the command latency histogram's buckets (the last bucket,
// beyond them, is +Inf).
inline constexpr int64_t kLatencyBucketsUs[] = {10,     25,     50,     100,    250,   500,
                                                1000,   2500,   5000,   10000,  25000, 50000,
                                                100000, 250000, 500000, 1000000};
inline constexpr size_t kLatencyBuckets = std::size(kLatencyBucketsUs) + 1;

struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  // Calls per latency bucket (not cumulative); the index of a duration is LatencyBucket().
  uint64_t latency[kLatencyBuckets] = {};
};

inline size_t LatencyBucket(int64_t duration_us) {
  size_t i = 0;
  while (i < std::size(kLatencyBucketsUs) && duration_us > kLatencyBucketsUs[i]) ++i;
  return i;
}

struct Stats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t output_limit_disconnections = 0;  // client-output-buffer-limit
  uint64_t cross_protocol_attacks = 0;       // connections closed for POST / Host: (HTTP)
  uint64_t acl_denied_auth = 0;              // failed AUTH / HELLO AUTH / HTTP basic auth
  uint64_t acl_denied_cmd = 0;               // commands a user may not run
  uint64_t acl_denied_namespace = 0;         // namespaces a user may not use
  std::map<std::string, CommandStats, std::less<>> commands;  // by full lower-case name
  std::map<std::string, uint64_t, std::less<>> errors;        // by error code (ERR, WRONGTYPE..)
  // Distinct error codes tracked at most (as Redis' errorstats): scripts can invent codes
  // (redis.error_reply), and INFO and /metrics must stay bounded. Later new codes count only in
  // total_error_replies.
  static constexpr size_t kMaxErrorCodes = 128;
  void CountError(std::string_view code) {
    auto it = errors.find(code);
    if (it != errors.end()) {
      ++it->second;
    } else if (errors.size() < kMaxErrorCodes) {
      errors.emplace(std::string(code), 1);
    }
  }
  // Instantaneous ops/sec, sampled by the cron.
  uint64_t last_sample_ms = 0;
  uint64_t last_sample_commands = 0;
  double instantaneous_ops_per_sec = 0;
};

struct SlowLogEntry {
  uint64_t id;
  int64_t time_s;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string addr;
  std::string name;
};

class SlowLog {
 public:
  // `secret(i)`: argument i shows as "(redacted)" (the command row's secret arguments).
  void Record(int64_t now_s, int64_t duration_us, const std::vector<std::string_view>& argv,
              const Session& session, int64_t max_len, const std::function<bool(size_t)>& secret);
  const std::deque<SlowLogEntry>& entries() const { return entries_; }
  void Reset() { entries_.clear(); }
  void Trim(int64_t max_len);

 private:
  std::deque<SlowLogEntry> entries_;  // newest first
  uint64_t next_id_ = 0;
};

// WATCH bookkeeping: which sessions watch which keys. Registered as the keyspace observer: the
// engine's write operations tell it what changed.
class WatchRegistry : public engine::KeyspaceObserver {
 public:
  void Watch(Session* session, int db, std::string_view key, bool expired_now);
  void UnwatchAll(Session* session);
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  // KV.DEL of a subtree: sessions watching a key under the prefix are dirty.
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  // FLUSHDB/FLUSHALL/SWAPDB: sessions watching keys that exist in the database(s) are dirty
  // (Redis: a watched key that did not exist is not touched by them).
  void OnFlush(engine::Database& db) override { TouchExistingKeys(db, nullptr); }
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override {
    TouchExistingKeys(a, &b);
  }
  bool empty() const { return watchers_.empty(); }

 private:
  void TouchExistingKeys(engine::Database& db, engine::Database* other);
  std::map<std::pair<int, std::string>, std::vector<Session*>, std::less<>> watchers_;
};

// Passes every keyspace change to several observers in turn.
class ObserverList : public engine::KeyspaceObserver {
 public:
  std::vector<engine::KeyspaceObserver*> observers;
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override {
    for (auto* o : observers) o->OnKeyChanged(db, key, kind);
  }
  void OnPrefixDeleted(int db, std::string_view prefix) override {
    for (auto* o : observers) o->OnPrefixDeleted(db, prefix);
  }
  void OnFlush(engine::Database& db) override {
    for (auto* o : observers) o->OnFlush(db);
  }
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override {
    for (auto* o : observers) o->OnSwapDatabases(a, b);
  }
};

// Actions only the network layer can take.
class ServerHooks {
 public:
  virtual ~ServerHooks() = default;
  // Closes the client after its pending output (CLIENT KILL); may be the caller itself.
  virtual void KillClient(Session* session) = 0;
  // Output was appended to another client's buffer (MONITOR): write it out soon.
  virtual void ScheduleFlush(Session* session) = 0;
  // Stops the server after the current command (SHUTDOWN FORCE or NOSAVE over a busy script, a
  // failed load); an exit waiting for PostgreSQL stops waiting (what is not committed is lost).
  virtual void RequestShutdown() = 0;
  // SHUTDOWN without FORCE: exits once the PostgreSQL backend's queue has committed, waiting
  // without blocking the loop (other clients are served, writes refused). `session` gets no
  // reply meanwhile (Session::waiting_for_exit); if nothing commits for postgres.response-timeout
  // it gets "-ERR Errors trying to SHUTDOWN. Check logs." and the server keeps running. Joins a
  // wait under way. Without that backend, or nothing queued: RequestShutdown().
  virtual void ShutdownAfterCommit(Session* session) = 0;
  // An exit waits for PostgreSQL (SHUTDOWN, SIGTERM).
  virtual bool ShutdownPending() = 0;
  // SHUTDOWN ABORT: ends that wait; the server keeps running and the waiting SHUTDOWNs get the
  // error. False when no exit waits.
  virtual bool AbortShutdown() = 0;
  // Used memory as the allocator reports it, in bytes; cheap (called before commands).
  virtual size_t UsedMemory() = 0;
  // Fresh figures for INFO and MEMORY STATS.
  virtual MemoryFigures Memory() = 0;
  // A script has run past busy-reply-threshold: reads what clients sent (accepting new ones),
  // answers -BUSY to everything but SCRIPT KILL and SHUTDOWN NOSAVE, and writes the replies out.
  // Called from the script's hook; never for `running`, the script's own client.
  virtual void ProcessEventsWhileBusy(Session* running) = 0;
  // Frees detached database contents off the loop thread.
  virtual void FreeLater(std::unique_ptr<engine::Database::Contents> contents) = 0;
};

// 127.0.0.0/8, ::1 and IPv4-mapped 127.x: the addresses protected mode accepts.
bool IsLoopback(const struct sockaddr_storage& addr);

class Snapshotter;
class ScriptEngine;
using persistence::postgres::PostgresBackend;  // persistence/postgres/

struct ServerState {
  ServerState(Config cfg, const engine::Clock* clock);

  Config config;
  const engine::Clock* clock;
  engine::Keyspace keyspace;
  Stats stats;
  SlowLog slowlog;
  WatchRegistry watches;
  ObserverList observers;
  ScanCursors scan_cursors;
  engine::PatternCache patterns;
  Evictor evictor;
  EvictionPolicy eviction_policy = EvictionPolicy::kNoEviction;

  // Pushes configuration the engine and the evictor use (maxmemory-policy, lfu-*). Called at
  // start and after CONFIG SET.
  void ApplyConfig();
  // Evicts while used memory is over maxmemory, for at most `budget_us`.
  Evictor::Result Evict(int64_t budget_us);
  std::map<uint64_t, Session*> clients;  // by id
  std::vector<Session*> monitors;
  uint64_t next_client_id = 1;
  int64_t start_ms;
  std::string run_id;
  ServerHooks* hooks = nullptr;
  // The snapshot file: SAVE, BGSAVE, the schedule (owned by the server; null in tests that run
  // without one).
  Snapshotter* snapshotter = nullptr;
  // Lua scripts (owned by the server; null in tests that run without one).
  ScriptEngine* scripts = nullptr;
  // The PostgreSQL backend when persistence.backend is postgres (owned by the server), else null.
  PostgresBackend* postgres = nullptr;
  // Users and their permissions; acl_error is why they could not be loaded (the start fails).
  Acl acl;
  std::string acl_error;
  // Failed logins per source address, over RESP and HTTP (src/auth_throttle.h).
  AuthThrottle auth_throttle;
  // The user `name` if `password` is right (AUTH, HELLO AUTH, HTTP basic auth), else nullptr
  // (counted in acl_denied_auth).
  const AclUser* Authenticate(std::string_view name, std::string_view password);
  // Makes `session` run as `user`; a user bound to namespaces that does not include the
  // session's moves to its first namespace. Returns false, changing nothing, when that namespace
  // cannot be had (max-namespaces reached): the session must not stay where it is.
  bool BindUser(Session& session, const AclUser* user);
  // A new (or RESET) session: the default user, authenticated when it needs no password (and
  // its namespace can be bound).
  void InitSession(Session& session);
  const AclUser& UserOf(const Session& session) const {
    return session.user != nullptr ? *session.user : *acl.default_user();
  }
  // Protected mode: with protected-mode on and no password for the default user, a client from
  // other than a loopback address (or unix socket) is refused.
  bool RefusedByProtectedMode(bool loopback) const {
    return !loopback && config.protected_mode && !acl.default_requires_auth();
  }
  bool CanUseNamespace(const Session& session, int index) const {
    return Acl::CanUseNamespace(UserOf(session), keyspace.NamespaceName(index));
  }
  // Adds a second observer of every keyspace change, after WATCH's (persistence).
  void AddObserver(engine::KeyspaceObserver* observer);
  // The data is still loading (PostgreSQL backend at start): commands without the loading flag
  // get -LOADING.
  bool loading = false;
  // The process' exit status once the loop ends (1 when the start failed after the port opened).
  int exit_code = 0;
  // EXEC is running its queued commands (BGSAVE then schedules instead of forking, as Redis).
  bool in_exec = false;
  size_t blocked_clients = 0;
};

}  // namespace dkv::server
