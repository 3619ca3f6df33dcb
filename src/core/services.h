// Services: everything a command handler may reach besides its session, its namespace and its
// reply (CommandContext, src/core/command.h). Handlers never see the server's state as a whole
// (ServerState); they get this narrow view of it, and each part is an object of its own:
//   config, ApplyConfig()        the configuration (CONFIG GET/SET), pushed to the engine again
//   keyspace()                   every namespace (SELECT, MOVE, SWAPDB, FLUSHALL, KV.NS...)
//   clock()                      the server's clock (TIME, INFO, CLIENT LIST ages)
//   stats(), slowlog()           counters and the slow log (src/core/stats.h)
//   clients()                    the client registry and MONITOR (src/core/client_registry.h)
//   backend()                    persistence: snapshot file and PostgreSQL (src/core/backend.h)
//   scripts()                    the Lua engine (src/scripting/script_api.h); null without one
//   hooks()                      actions of the network layer (src/core/server_hooks.h);
//                                null in tests
//   blocked()                    clients parked in blocking commands (src/core/blocked_clients.h)
//   pubsub(), events(),          Pub/Sub channels (src/core/pubsub.h), keyspace notifications
//   tracking()                   (src/core/keyspace_events.h), client tracking
//   (src/core/tracking.h) watches(), patterns(),       WATCH bookkeeping, compiled patterns, SCAN
//   cursors scan_cursors() acl(), auth_throttle(),      users and logins: AUTH, HELLO, RESET,
//   SELECT's namespace check Authenticate(), BindUser(), InitSession(), UserOf(), CanUseNamespace()
//   propagation()                what the append-only log records (src/core/propagation.h;
//                                handlers use CommandContext::PropagateAs)
//   aof()                        the append-only log (src/core/aof.h): BGREWRITEAOF, WAITAOF,
//                                INFO; null when the server has none (unit tests)
//   dispatcher()                 command lookup for COMMAND (Find, Resolve, Subcommands,
//                                top_level_count) and EXEC (ExecQueued)
//   start_ms(), run_id(),        facts about the process: start time, run id, loading at start,
//   loading(), in_exec()         an EXEC running its queue
// The Dispatcher owns the one Services object and hands it to every handler. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/clock.h"
#include "engine/keyspace.h"
#include "engine/pattern.h"
#include "src/config/config.h"
#include "src/core/backend.h"
#include "src/core/blocked_clients.h"
#include "src/core/client_registry.h"
#include "src/core/keyspace_events.h"
#include "src/core/propagation.h"
#include "src/core/pubsub.h"
#include "src/core/scan_cursors.h"
#include "src/core/server_hooks.h"
#include "src/core/session.h"
#include "src/core/stats.h"
#include "src/core/tracking.h"
#include "src/core/watch_registry.h"

namespace dkv::server {

class Acl;
class Aof;
struct AclUser;
class AuthThrottle;
class Dispatcher;
class Scripts;
struct ServerState;

class Services {
 public:
  Services(ServerState* state, Dispatcher* dispatcher);
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  Config& config() { return config_; }
  const Config& config() const { return config_; }
  // Pushes the configuration to the engine and the evictor again (after CONFIG SET).
  void ApplyConfig();
  engine::Keyspace& keyspace() { return keyspace_; }
  const engine::Clock& clock() const { return clock_; }
  Stats& stats() { return stats_; }
  SlowLog& slowlog() { return slowlog_; }
  ClientRegistry& clients() { return clients_; }
  Backend& backend();
  Scripts* scripts();
  ServerHooks* hooks();
  WatchRegistry& watches() { return watches_; }
  BlockedClients& blocked() { return blocked_; }
  PubSub& pubsub();
  KeyspaceEvents& events() { return events_; }
  Tracking& tracking();
  engine::PatternCache& patterns() { return patterns_; }
  Propagator& propagation() { return propagation_; }
  Aof* aof();
  ScanCursors& scan_cursors() { return scan_cursors_; }

  const Acl& acl() const;
  Acl& acl();
  // Closes (after their pending replies) the clients logged in as a user that ACL DELUSER or
  // ACL LOAD removed, and frees such users no client points at any more.
  void DisconnectDeletedUsers();
  AuthThrottle& auth_throttle();
  // The user `name` if `password` is right, else nullptr (counted in acl_denied_auth).
  const AclUser* Authenticate(std::string_view name, std::string_view password);
  // Makes `session` run as `user` (ServerState::BindUser); false when its namespace cannot be had.
  bool BindUser(Session& session, const AclUser* user);
  // A new (or RESET) session: the default user.
  void InitSession(Session& session);
  const AclUser& UserOf(const Session& session) const;
  bool CanUseNamespace(const Session& session, int index) const;

  Dispatcher& dispatcher() { return dispatcher_; }

  int64_t start_ms() const;
  const std::string& run_id() const;
  bool loading() const;
  bool in_exec() const;

 private:
  ServerState& state_;
  Dispatcher& dispatcher_;
  Config& config_;
  engine::Keyspace& keyspace_;
  const engine::Clock& clock_;
  Stats& stats_;
  SlowLog& slowlog_;
  ClientRegistry& clients_;
  WatchRegistry& watches_;
  BlockedClients& blocked_;
  Propagator& propagation_;
  KeyspaceEvents& events_;  // inline: CommandContext::Notify reads its flags on every write
  engine::PatternCache& patterns_;
  ScanCursors& scan_cursors_;
};

// Inline, so that with notifications off a write pays one load and a test for its event.
inline void CommandContext::Notify(uint32_t type, std::string_view event, std::string_view key) {
  services.events().Notify(type, event, session.db, key);
}

inline bool CommandContext::Propagating() const { return services.propagation().active(); }

// Inline: with the log off, one test of the propagator's sink.
inline void CommandContext::PropagateAs(std::vector<std::string> argv) {
  Propagator& p = services.propagation();
  if (p.active()) p.Replace(session.db, std::move(argv));
}

}  // namespace dkv::server
