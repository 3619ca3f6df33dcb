// ServerState: the server's state, as the parts it is made of: the configuration, the keyspace,
// statistics and the slow log (src/core/stats.h), the client registry (src/core/client_registry.h),
// WATCH bookkeeping (src/core/watch_registry.h), blocked clients (src/core/blocked_clients.h),
// users, and the persistence Backend in use (src/core/backend.h). It owns the parts (but the
// backend, the scripts and the hooks, which the server owns). The network layer, the dispatcher,
// scripts, HTTP and /metrics use it; command handlers never do: they get the narrower Services
// (src/core/services.h). Loop thread only.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/clock.h"
#include "engine/keyspace.h"
#include "engine/pattern.h"
#include "src/config/config.h"
#include "src/core/backend.h"
#include "src/core/blocked_clients.h"
#include "src/core/client_registry.h"
#include "src/core/eviction.h"
#include "src/core/keyspace_events.h"
#include "src/core/memory.h"
#include "src/core/propagation.h"
#include "src/core/pubsub.h"
#include "src/core/scan_cursors.h"
#include "src/core/server_hooks.h"
#include "src/core/session.h"
#include "src/core/stats.h"
#include "src/core/tracking.h"
#include "src/core/watch_registry.h"
#include "src/security/acl.h"
#include "src/security/auth_throttle.h"

namespace dkv::server {

// 127.0.0.0/8, ::1 and IPv4-mapped 127.x: the addresses protected mode accepts.
bool IsLoopback(const struct sockaddr_storage& addr);

class Aof;
class Scripts;

struct ServerState {
  ServerState(Config cfg, const engine::Clock* clock);

  Config config;
  const engine::Clock* clock;
  engine::Keyspace keyspace;
  Stats stats;
  SlowLog slowlog;
  WatchRegistry watches;
  // Clients parked in blocking commands; an observer after WATCH (src/core/blocked_clients.h).
  BlockedClients blocked{&stats};
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
  // Connected clients and MONITOR.
  ClientRegistry clients;
  int64_t start_ms;
  std::string run_id;
  ServerHooks* hooks = nullptr;
  // Pub/Sub channels and subscribers (src/core/pubsub.h); keyspace notifications published
  // through it (src/core/keyspace_events.h) and client tracking (src/core/tracking.h), both
  // keyspace observers after the blocked clients.
  PubSub pubsub{&hooks, &stats, &config};
  KeyspaceEvents events{&pubsub, &keyspace};
  Tracking tracking{&pubsub, &clients, &hooks};
  // Lua scripts (owned by the server; null in tests that run without one).
  Scripts* scripts = nullptr;
  // What the append-only log records of each command (an observer too; its sink is the log's
  // Append while appendonly is on).
  Propagator propagation{&keyspace};
  // The append-only log (src/core/aof.h), owned by the server; null in the unit tests' harness.
  Aof* aof = nullptr;
  // Persistence: the backend in use (owned by the server); NoBackend until one is set (tests
  // that run without persistence).
  Backend& backend() const { return *backend_; }
  void set_backend(Backend* backend) { backend_ = backend != nullptr ? backend : &no_backend_; }
  // Users and their permissions; acl_error is why they could not be loaded (the start fails).
  Acl acl;
  std::string acl_error;
  std::string applied_requirepass;  // the requirepass the default user last took
  // Failed logins per source address, over RESP and HTTP (src/security/auth_throttle.h).
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

 private:
  NoBackend no_backend_;
  Backend* backend_ = &no_backend_;
};

}  // namespace dkv::server
