// Dispatcher: turns one argument vector into one reply. Looks the command up (case-insensitive,
// subcommands too), checks arity, authentication and transaction state in a fixed order, queues
// inside MULTI, runs the handler, and keeps per-command statistics, the slow log and MONITOR.
// Loop thread only.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "src/core/command.h"
#include "src/core/db_key.h"
#include "src/core/services.h"

namespace dkv::server {

class Dispatcher {
 public:
  explicit Dispatcher(ServerState* state);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs one request from `session`; the reply is appended to *session.out (and dropped under
  // CLIENT REPLY OFF / SKIP). A command held by CLIENT PAUSE sets session.postponed and is not
  // run: the caller runs it again once the pause is over.
  void Execute(Session& session, Args argv);
  // Runs the commands queued by MULTI (EXEC). Replies with the array of their replies.
  void ExecQueued(Session& session, resp::ReplyBuilder& reply);

  // The row for a top-level command or "parent|sub" full name, or nullptr.
  const CommandSpec* Find(std::string_view full_name) const;
  // Resolves argv to the row that would run (the subcommand's row for a container).
  const CommandSpec* Resolve(Args argv) const;
  // Subcommand rows of a parent, in table order.
  std::vector<const CommandSpec*> Subcommands(std::string_view parent) const;
  size_t top_level_count() const { return top_level_.size(); }
  // Shows a command to the MONITOR clients: Call does it after the handler ran (so EXEC follows
  // the commands it ran); EVAL and EVALSHA (kSkipMonitor) do it themselves before the script,
  // so that the script's commands, shown as "[db lua]", come after it.
  void FeedMonitors(const CommandSpec& spec, const Session& session, Args argv);
  // The append-only log's load at start (src/core/aof.cc): runs the handler of a resolved
  // command only, without the checks, statistics, slow log, MONITOR or propagation (as Redis
  // runs a loaded command's proc).
  void Replay(const CommandSpec& spec, Session& session, Args argv, resp::ReplyBuilder& reply);
  // The ACL check of one call as `user` (src/security/acl.h): "" when allowed; else counts the
  // refusal, adds it to ACL LOG (context "toplevel", "multi" or "lua", with `client`'s CLIENT
  // LIST line as it runs `client_command`) and returns the NOPERM text without "NOPERM ".
  std::string CheckAcl(const CommandSpec& spec, const AclUser& user, Args argv, Session& client,
                       std::string_view client_command, std::string_view context);
  // Adds a refusal to ACL LOG (also failed AUTH: reason "auth", object "AUTH").
  void LogAclDenial(Session& client, std::string_view client_command, std::string_view reason,
                    std::string_view context, std::string_view object, std::string_view username);
  // Runs a resolved command (after every check): the handler, statistics, slow log, MONITOR.
  // Scripts call commands through it. `keep`, if given, is asked after the handler: false
  // discards the run (it runs again later), which then counts in no statistics.
  void Call(const CommandSpec& spec, Session& session, Args argv, resp::ReplyBuilder& reply,
            const std::function<bool()>& keep = nullptr);
  // The cache tier over PostgreSQL: the keys named by argv (EXEC: by the queued commands) in the
  // session's namespace whose values are not in memory and that the command needs: a key spec
  // with ACCESS, or a container that a command of a container type (HSET, SADD, HLEN, ...)
  // reads or changes in place; commands that never read the old value (DEL, EXISTS, TTL,
  // EXPIRE, a plain SET, ...) need none.
  void ColdKeysOf(const CommandSpec& spec, const Session& session, Args argv,
                  std::vector<DbKey>* out) const {
    ValueKeysOf(spec, session, argv, true, out);
  }
  // The same keys whether cold or not (only_cold false): the ones a command about to run pins,
  // so that eviction cannot drop their values under it.
  void ValueKeysOf(const CommandSpec& spec, const Session& session, Args argv, bool only_cold,
                   std::vector<DbKey>* out) const;
  // The keys of one command that runs in namespace db_index, not yet in *seen.
  void KeysIn(const CommandSpec& spec, int db_index, Args argv, bool only_cold,
              std::set<DbKey>* seen, std::vector<DbKey>* out) const;
  // The start of the error for a value PostgreSQL could not give back; the reason follows.
  static constexpr std::string_view kValueNotRead =
      "ERR a value this command needs is stored in PostgreSQL and could not be read: ";
  static constexpr const char* kValueNotInMemory =
      "ERR a value this command needs is stored in PostgreSQL only (the cache tier dropped it); "
      "name the key in the script's KEYS, or run the command outside MULTI, to have it read back";

 private:
  // Execute's checks, in their order (docs/architecture.md), then the queueing or the run.
  void Check(Session& session, Args argv);
  // The row's flags; for EXEC with kWrite, kDenyOom and kMayReplicate added when a queued
  // command has them (EXEC is then a write: -MISCONF, -OOM and CLIENT PAUSE WRITE hold it).
  uint32_t EffectiveFlags(const CommandSpec& spec, const Session& session) const;
  // While CLIENT PAUSE is in force: whether it holds this command (ALL: every one; WRITE: those
  // that may change data).
  bool HeldByPause(const CommandSpec& spec, const Session& session) const;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, const CommandSpec*, Hash, std::equal_to<>>;

  bool HasSubcommands(const CommandSpec& spec) const {
    return parents_.find(spec.name) != parents_.end();
  }
  // Before a command runs: asks PostgreSQL for the values it needs and returns true (the
  // command runs again when they are in), or replies an error when they cannot be read.
  bool WaitForValues(const CommandSpec& spec, Session& session, const std::vector<DbKey>& keys,
                     const std::function<void(std::string_view)>& reject);
  // After a command ran: a read-only command that read values not in memory (pattern reads)
  // has its reply taken back and waits for them. Returns true when it waits.
  bool RetryAfterColdReads(const CommandSpec& spec, Session& session, size_t out_before);

  ServerState* state_;
  // What handlers see (CommandContext::services).
  Services services_;
  Map top_level_;
  Map by_full_name_;
  Map parents_;  // names of commands that have subcommands
};

}  // namespace dkv::server
