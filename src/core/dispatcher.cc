#include "src/core/dispatcher.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <unordered_set>

#include "engine/numbers.h"
#include "resp/text.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/aof_log.h"
#include "src/core/errors.h"
#include "src/core/log.h"
#include "src/core/server_state.h"
#include "src/scripting/script_api.h"

namespace dkv::server {
namespace {

// Eviction before one command may take this long; the cron continues where it stopped.
constexpr int64_t kEvictionBudgetUs = 1000;

// Lower-cases a command name into `buf`; names longer than the buffer cannot be commands.
bool LowerName(std::string_view name, char* buf, size_t cap, std::string_view* out) {
  if (name.size() > cap) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    buf[i] = text::AsciiLower(name[i]);
  }
  *out = std::string_view(buf, name.size());
  return true;
}

std::string_view CStringPrefix(std::string_view s, size_t max) {
  // Redis formats these with %.128s: the text stops at a NUL byte.
  size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  return s.substr(0, max);
}

std::string UnknownCommandError(Args argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    size_t room = 128 - args.size();
    args += '\'';
    args += CStringPrefix(argv[i], room);
    args += "' ";
  }
  return "ERR unknown command '" + std::string(CStringPrefix(argv[0], 128)) +
         "', with args beginning with: " + args;
}

std::string UnknownSubcommandError(std::string_view parent, std::string_view sub) {
  std::string upper = text::ToUpper(parent);
  return "ERR unknown subcommand '" + std::string(CStringPrefix(sub, 128)) + "'. Try " + upper +
         " HELP.";
}

// What a RESP2 client in subscribed mode may still run.
bool AllowedWhileSubscribed(const CommandSpec& spec) {
  static constexpr Handler kAllowed[] = {CmdSubscribe,    CmdUnsubscribe, CmdPsubscribe,
                                         CmdPunsubscribe, CmdSsubscribe,  CmdSunsubscribe,
                                         CmdPing,         CmdQuit,        CmdReset};
  return std::find(std::begin(kAllowed), std::end(kAllowed), spec.handler) != std::end(kAllowed);
}

std::string_view ErrorCode(std::string_view out_tail) {
  // out_tail starts with '-': the code is the first word.
  std::string_view s = out_tail.substr(1);
  size_t end = s.find_first_of(" \r");
  return s.substr(0, end);
}

}  // namespace

Dispatcher::Dispatcher(ServerState* state) : state_(state), services_(state, this) {
  for (const CommandSpec& spec : CommandTable()) {
    by_full_name_.emplace(std::string(spec.name), &spec);
    size_t bar = spec.name.find('|');
    if (bar == std::string_view::npos) {
      top_level_.emplace(std::string(spec.name), &spec);
    } else {
      parents_.emplace(std::string(spec.name.substr(0, bar)), nullptr);
    }
  }
}

uint32_t Dispatcher::EffectiveFlags(const CommandSpec& spec, const Session& session) const {
  uint32_t flags = spec.flags;
  if (!(spec.flags & kRunsQueued)) return flags;
  // EXEC is a write (denyoom, may change data) when one of the commands it would run is.
  std::vector<std::string_view> views;
  for (const auto& command : session.queued) {
    views.assign(command.begin(), command.end());
    const CommandSpec* queued = Resolve(views);
    if (queued != nullptr) flags |= queued->flags & (kWrite | kDenyOom | kMayReplicate);
  }
  return flags;
}

const CommandSpec* Dispatcher::Find(std::string_view full_name) const {
  char buf[64];
  std::string_view lower;
  if (!LowerName(full_name, buf, sizeof(buf), &lower)) return nullptr;
  auto it = by_full_name_.find(lower);
  return it == by_full_name_.end() ? nullptr : it->second;
}

std::vector<const CommandSpec*> Dispatcher::Subcommands(std::string_view parent) const {
  std::vector<const CommandSpec*> subs;
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.name.size() > parent.size() && spec.name.substr(0, parent.size()) == parent &&
        spec.name[parent.size()] == '|') {
      subs.push_back(&spec);
    }
  }
  return subs;
}

const CommandSpec* Dispatcher::Resolve(Args argv) const {
  if (argv.empty()) return nullptr;
  char buf[64];
  std::string_view lower;
  if (!LowerName(argv[0], buf, sizeof(buf), &lower)) return nullptr;
  auto it = top_level_.find(lower);
  if (it == top_level_.end()) return nullptr;
  const CommandSpec* spec = it->second;
  if (!HasSubcommands(*spec) || argv.size() < 2) return spec;
  std::string full = std::string(spec->name) + "|";
  for (char c : argv[1]) full += text::AsciiLower(c);
  auto sub = by_full_name_.find(full);
  return sub == by_full_name_.end() ? nullptr : sub->second;
}

void Dispatcher::Execute(Session& session, Args argv) {
  if (argv.empty()) return;
  const size_t out_before = session.out->size();
  size_t argv_mem = 0;
  for (std::string_view a : argv) argv_mem += a.size();
  session.argv_mem = argv_mem;
  session.running_command = true;
  // Client tracking: invalidations this command causes for its own client follow its reply.
  Tracking::CommandScope tracking_scope(state_->tracking, session);
  Check(session, argv);
  session.running_command = false;
  session.argv_mem = 0;
  state_->keyspace.set_expiry_paused(false);
  // A command that waits (for a pause to end, for values from PostgreSQL, for a key to get a
  // value) runs again later: its reply, if any, comes then.
  if (session.postponed || session.value_fetch != 0 || session.blocked) return;
  // CLIENT REPLY OFF or SKIP: the command ran, its reply is dropped (CLIENT REPLY ON's own OK
  // is kept: it clears the flags before replying).
  if (session.reply_off || session.reply_skip) session.out->resize(out_before);
  // Pub/Sub pushes are not replies: CLIENT REPLY OFF / SKIP keeps them (PubSub::PushBuffer).
  if (!session.kept_pushes.empty()) {
    session.out->append(session.kept_pushes);
    session.kept_pushes.clear();
  }
  session.reply_skip = session.reply_skip_next;
  session.reply_skip_next = false;
}

bool Dispatcher::HeldByPause(const CommandSpec& spec, const Session& session) const {
  const ClientRegistry& clients = state_->clients;
  return clients.pause_all() || (EffectiveFlags(spec, session) & (kWrite | kMayReplicate));
}

void Dispatcher::Check(Session& session, Args argv) {
  resp::ReplyBuilder reply(session.out, session.protocol);
  const CommandSpec* spec = nullptr;
  auto reject = [&](std::string_view message) {
    if (session.in_multi) session.multi_error = true;
    size_t start = session.out->size();
    if (spec != nullptr && (spec->flags & kRunsQueued)) {
      // A refused EXEC ends the transaction, and says why (Redis' execCommandAbort).
      std::string_view why = message.substr(0, 4) == "ERR " ? message.substr(4) : message;
      reply.Error("EXECABORT Transaction discarded because of: " + std::string(why));
      session.in_multi = false;
      session.multi_error = false;
      session.queued.clear();
      state_->watches.UnwatchAll(&session);
    } else {
      reply.Error(message);
    }
    state_->stats.total_error_replies++;
    state_->stats.CountError(ErrorCode(std::string_view(*session.out).substr(start)));
  };
  auto refuse = [&](std::string_view message) {
    state_->stats.commands[std::string(spec->name)].rejected_calls++;
    reject(message);
  };

  char buf[64] = {};
  std::string_view lower;
  const CommandSpec* top = nullptr;
  if (LowerName(argv[0], buf, sizeof(buf), &lower)) {
    auto it = top_level_.find(lower);
    if (it != top_level_.end()) top = it->second;
  }
  spec = top;
  if (top != nullptr && HasSubcommands(*top) && argv.size() >= 2) spec = Resolve(argv);
  // CLIENT LIST's cmd=: the command found, whether it runs or is refused.
  session.last_command = spec != nullptr ? std::string(spec->name) : "NULL";
  if (top == nullptr) return reject(UnknownCommandError(argv));
  if (spec == nullptr) return reject(UnknownSubcommandError(top->name, argv[1]));
  // A container named alone (CONFIG): the arity error of the container.
  if (HasSubcommands(*spec) && spec->handler == nullptr) {
    return refuse(errors::WrongArity(spec->name));
  }
  if (!ArityOk(*spec, argv.size())) return refuse(errors::WrongArity(spec->name));
  if (!session.authenticated && !(spec->flags & kNoAuth)) return refuse(errors::kNoAuth);
  if (session.in_multi && (spec->flags & kNoMulti)) {
    return refuse("ERR Command not allowed inside a transaction");
  }
  if (std::string denied = CheckAcl(*spec, state_->UserOf(session), argv, session, spec->name,
                                    session.in_multi ? "multi" : "toplevel");
      !denied.empty()) {
    // Checked before queueing, as Redis: a refused command inside MULTI aborts the EXEC.
    return refuse("NOPERM " + denied);
  }
  // While a script runs past busy-reply-threshold only SCRIPT KILL, SHUTDOWN, AUTH, HELLO and
  // the transaction commands get through, and neither the clock nor eviction may change the
  // data under the script.
  const bool busy = state_->scripts != nullptr && state_->scripts->busy();
  if (busy && !(spec->flags & kAllowBusy)) return refuse(state_->scripts->busy_error());
  if (!busy) {
    state_->keyspace.RefreshTime();
    // Inside MULTI, every command that would be queued is refused when memory is full:
    // queueing would grow without bound (Redis' rule); EXEC when a queued command is denyoom.
    const bool oom_refuses = (EffectiveFlags(*spec, session) & kDenyOom) ||
                             (session.in_multi && !(spec->flags & kNotQueued));
    if (state_->config.maxmemory > 0 &&
        state_->Evict(kEvictionBudgetUs) == Evictor::Result::kFail && oom_refuses) {
      return refuse("OOM command not allowed when used memory > 'maxmemory'.");
    }
  }
  if ((EffectiveFlags(*spec, session) & kWrite)) {
    if (state_->backend().QueueFull()) {
      return refuse("ERR PostgreSQL write queue is full (" +
                    std::to_string(state_->backend().queued()) +
                    " changes not yet committed; postgres.queue-bound): the write was refused "
                    "and nothing was changed");
    }
    // An exit waits for the queue to commit: the queue must not grow (src/net/exit_drain.h).
    if (state_->backend().draining()) return refuse(errors::kShuttingDown);
  }
  if (state_->backend().SnapshotWritesRefused() &&
      ((EffectiveFlags(*spec, session) & kWrite) || (spec->flags & kDeniedOnDiskError))) {
    return refuse(errors::kMisconf);
  }
  // The append-only log's last write or sync failed (Redis' writeCommandsDeniedByDiskError).
  if (state_->aof_log != nullptr &&
      ((EffectiveFlags(*spec, session) & kWrite) || (spec->flags & kDeniedOnDiskError))) {
    if (std::string err = state_->aof_log->WritesRefused(); !err.empty()) return refuse(err);
  }
  // RESP2 subscribed mode (Redis' processCommand: after MISCONF, before LOADING).
  if (session.subscriptions > 0 && session.protocol == 2 && !AllowedWhileSubscribed(*spec)) {
    return refuse("ERR Can't execute '" + std::string(spec->name) +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                  "this context");
  }
  if (!busy && state_->loading && !(spec->flags & kLoading)) {
    return refuse("LOADING Redis is loading the dataset in memory");
  }
  if (!busy && state_->clients.paused(state_->clock->NowMs())) {
    // CLIENT PAUSE: a command it covers waits, unanswered, and runs when the pause ends.
    if (HeldByPause(*spec, session)) {
      session.postponed = true;
      return;
    }
    // One it lets run reads only: keys past their TTL look gone but stay until the end.
    if (!(EffectiveFlags(*spec, session) & kWrite)) state_->keyspace.set_expiry_paused(true);
  }
  if (session.in_multi && !(spec->flags & kNotQueued)) {
    std::vector<std::string> copy(argv.begin(), argv.end());
    session.queued.push_back(std::move(copy));
    reply.Simple("QUEUED");
    return;
  }
  if (busy || !state_->backend().TierActive()) return Call(*spec, session, argv, reply);
  std::vector<DbKey> keys;
  ValueKeysOf(*spec, session, argv, false, &keys);
  if (!keys.empty() && WaitForValues(*spec, session, keys, reject)) return;
  // Eviction inside the command (a script's writes) must not drop what it is about to read.
  state_->backend().PinForCommand(std::move(keys));
  engine::ClearColdReads();
  const size_t out_before = session.out->size();
  std::vector<std::string_view> warm_reads;
  session.warm_reads = &warm_reads;
  Call(*spec, session, argv, reply,
       [&] { return !RetryAfterColdReads(*spec, session, out_before); });
  session.warm_reads = nullptr;
  state_->backend().PinForCommand({});
  // When the command does not wait, the server releases its pins and resets its read count
  // (Server: after Execute, whatever path it took).
}

namespace {

// The entry is there, not expired, and its value is in PostgreSQL only.
bool ColdAndLive(const engine::Database& db, const engine::Entry* e) {
  return e != nullptr && e->cold() && !db.IsExpired(e);
}

// The commands of a container type (HSET, SADD, HLEN, SMOVE, ...): whatever their key specs say
// (Redis marks HSET, SADD, HDEL, SREM "RW" without ACCESS, HLEN and SCARD "RO"), they read or
// change the container's elements in place, so its value must be in memory first; a cold
// container handled as empty would lose its elements.
bool OperatesOnContainers(const CommandSpec& spec) {
  static constexpr std::string_view kGroups[] = {"hash",       "set",    "list",
                                                 "sorted-set", "stream", "geo"};
  if (spec.name == "sort" || spec.name == "sort_ro") return true;  // group "generic"
  return std::find(std::begin(kGroups), std::end(kGroups), spec.group) != std::end(kGroups);
}

// Whether the command needs the value of `e` named by a key spec with `flags`: the spec reads
// it (ACCESS: GET, APPEND, RENAME, DUMP...), or `e` is a container that a command of a
// container type reads or modifies (any spec but a pure overwrite or removal: SET, DEL, the
// STORE destinations need no old value). TTL, EXPIRE, TYPE, EXISTS never need one.
bool NeedsValue(const CommandSpec& spec, uint32_t flags, const engine::Entry& e) {
  if (flags & kKeyAccess) return true;
  return e.container() && (flags & (kKeyRO | kKeyRW)) && OperatesOnContainers(spec);
}

}  // namespace

void Dispatcher::ValueKeysOf(const CommandSpec& spec, const Session& session, Args argv,
                             bool only_cold, std::vector<DbKey>* out) const {
  std::set<DbKey> seen;
  if (spec.flags & kRunsQueued) {
    // The queued commands' keys, in the namespace each will run in: a queued SELECT changes it
    // for the ones after it. (A queued SWAPDB is not followed: ExecQueued checks each command
    // again before it runs.)
    int db = session.db;
    std::vector<std::string_view> views;
    for (const auto& command : session.queued) {
      views.assign(command.begin(), command.end());
      const CommandSpec* queued = Resolve(views);
      if (queued == nullptr) continue;
      if (queued->name == "select" && views.size() == 2) {
        int64_t index;
        if (engine::ParseInt64(views[1], &index) && index >= 0 &&
            index < state_->keyspace.numbered_count()) {
          db = static_cast<int>(index);
        }
        continue;
      }
      KeysIn(*queued, db, views, only_cold, &seen, out);
    }
    return;
  }
  KeysIn(spec, session.db, argv, only_cold, &seen, out);
}

void Dispatcher::KeysIn(const CommandSpec& spec, int db_index, Args argv, bool only_cold,
                        std::set<DbKey>* seen, std::vector<DbKey>* out) const {
  // The keys whose values the command reads or changes in place (NeedsValue).
  std::vector<KeyRef> refs;
  KeysOf(spec, argv, &refs);
  if (refs.empty()) return;
  engine::Database& db = state_->keyspace.db(db_index);
  for (const KeyRef& ref : refs) {
    const std::string_view name = argv[static_cast<size_t>(ref.index)];
    engine::Entry* e = db.FindRaw(name);
    if (e == nullptr || !NeedsValue(spec, ref.flags, *e)) continue;
    if (only_cold && !ColdAndLive(db, e)) continue;
    DbKey key(db_index, name);
    // Few keys (the common case): a linear look; many: the set, filled on first need.
    if (out->size() < 16) {
      if (std::find(out->begin(), out->end(), key) == out->end()) out->push_back(std::move(key));
      continue;
    }
    if (seen->empty()) seen->insert(out->begin(), out->end());
    if (seen->insert(key).second) out->push_back(std::move(key));
  }
}

bool Dispatcher::WaitForValues(const CommandSpec& spec, Session& session,
                               const std::vector<DbKey>& keys,
                               const std::function<void(std::string_view)>& reject) {
  std::vector<DbKey> cold;
  for (const DbKey& key : keys) {
    engine::Database& db = state_->keyspace.db(key.first);
    engine::Entry* e = db.FindRaw(key.second);
    if (ColdAndLive(db, e)) cold.push_back(key);
  }
  if (cold.empty()) return false;
  // A read that failed, or values dropped again before the command could run, three times:
  // the client gets an error rather than waiting without end.
  if (!session.value_fetch_error.empty() || session.value_fetch_tries >= 3) {
    std::string why = session.value_fetch_error.empty()
                          ? "memory pressure dropped it again before the command could run"
                          : session.value_fetch_error;
    state_->stats.commands[std::string(spec.name)].rejected_calls++;
    reject(std::string(kValueNotRead) + why);
    return true;
  }
  // The command's values already in memory stay while it waits for the others (the ones read
  // back could otherwise push them out, and the wait would never end).
  for (const auto& [db, key] : keys) state_->backend().Pin(session.id, db, key);
  session.value_fetch_tries++;
  session.value_fetch = state_->backend().RequestValues(std::move(cold), session.id);
  return true;
}

bool Dispatcher::RetryAfterColdReads(const CommandSpec& spec, Session& session, size_t out_before) {
  const std::vector<std::string>& reads = engine::ColdReads();
  if (reads.empty()) return false;
  engine::Database& db = state_->keyspace.db(session.db);
  std::vector<DbKey> keys;
  std::unordered_set<std::string_view> seen;
  for (const std::string& key : reads) {
    engine::Entry* e = db.FindRaw(key);
    if (e != nullptr && e->cold() && seen.insert(key).second) keys.emplace_back(session.db, key);
  }
  engine::ClearColdReads();
  if (keys.empty()) return false;
  if (spec.flags & (kWrite | kRunsQueued)) {
    // Commands with keys had them read back before they ran; a write never gets here.
    Log(LogLevel::kWarning, "%s read %zu values that were not in memory",
        std::string(spec.name).c_str(), keys.size());
    return false;
  }
  // A read-only command (KV.MGET, KV.EXPORT by pattern): its reply is taken back and it runs
  // again once the values are in. Nothing changed, so running it twice is invisible.
  session.out->resize(out_before);
  resp::ReplyBuilder reply(session.out, session.protocol);
  if (!session.value_fetch_error.empty()) {
    reply.Error(std::string(kValueNotRead) + session.value_fetch_error);
    return false;
  }
  if (session.value_fetch_tries >= 64) {
    // More than 64 rounds of up to 16,384 values (64 MB): the reply would not be worth the wait.
    reply.Error(
        "ERR this command reads too many values that are stored in PostgreSQL only; narrow the "
        "pattern");
    return false;
  }
  // The values it read warm stay until it has run again: eviction while it waits (the server's
  // cron, other clients' writes) would otherwise drop them and send it back for them. Once is
  // enough: later rounds find these pinned, and the values read back are pinned as they come.
  if (session.warm_reads != nullptr && session.value_fetch_tries == 0) {
    for (std::string_view key : *session.warm_reads) {
      state_->backend().Pin(session.id, session.db, key);
    }
  }
  session.value_fetch_tries++;
  session.value_fetch = state_->backend().RequestValues(std::move(keys), session.id);
  return true;
}

void Dispatcher::Call(const CommandSpec& spec, Session& session, Args argv,
                      resp::ReplyBuilder& reply, const std::function<bool()>& keep) {
  CommandContext ctx{session, reply, services_};
  const size_t out_start = session.out->size();
  const int64_t start_us = state_->clock->NowUs();
  const uint64_t errors_before = state_->stats.total_error_replies;
  // The append-only log records what this run changed (src/core/propagation.h), in the
  // namespace it ran in (SELECT and SWAPDB change the session's afterwards).
  Propagator& propagation = state_->propagation;
  const bool propagating = propagation.active();
  const int run_db = session.db;
  if (propagating) propagation.Enter();
  try {
    Tracking::CallScope tracking_calls(state_->tracking);
    spec.handler(ctx, argv);
  } catch (const std::length_error&) {
    // The engine refuses a value longer than an entry can hold (4 GiB) before changing
    // anything; commands bound what they write by proto-max-bulk-len, but a script can build a
    // longer string and SET it. An error, not an abort of the whole server.
    session.out->resize(out_start);
    reply.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  if (propagating) propagation.Leave(run_db, argv);
  const int64_t duration = state_->clock->NowUs() - start_us;
  if (keep && !keep()) {
    session.rerun = true;
    return;
  }
  // Client tracking remembers what a read-only command read (one branch when it is off).
  if (session.tracking || session.script) state_->tracking.AfterCommand(session, spec, argv);
  // After the run that counts, as Redis 7: EXEC's line follows the commands it ran. A blocking
  // command shows when it blocks, not again when it is served (Redis 7.2).
  if (!state_->clients.monitors().empty() && !(spec.flags & (kSkipMonitor | kAdmin)) &&
      !session.block_rerun) {
    FeedMonitors(spec, session, argv);
  }
  // A command that blocked counts when it is served, times out or is unblocked.
  if (session.blocked) return;

  CommandStats& cs = state_->stats.commands[std::string(spec.name)];
  cs.calls++;
  cs.usec += static_cast<uint64_t>(std::max<int64_t>(duration, 0));
  cs.latency[LatencyBucket(duration)]++;
  state_->stats.total_commands_processed++;
  session.last_command = std::string(spec.name);
  // A reply that is an error counts as a failed call (Redis' failed_calls and errorstats). An
  // error already counted while the command ran (a script's redis.call or redis.pcall that
  // failed, whose error the script passes on) is not counted twice, as Redis.
  if (session.out->size() > out_start && (*session.out)[out_start] == '-') {
    cs.failed_calls++;
    if (state_->stats.total_error_replies == errors_before) {
      state_->stats.total_error_replies++;
      state_->stats.CountError(ErrorCode(std::string_view(*session.out).substr(out_start)));
    }
  }
  const Config& cfg = state_->config;
  if (cfg.latency_tracking) cs.histogram.Record(duration);
  // The latency monitor records commands as Redis does: "fast-command" for the fast ones.
  if (cfg.latency_monitor_threshold > 0 && duration / 1000 >= cfg.latency_monitor_threshold) {
    state_->stats.latency_monitor.Add((spec.flags & kFast) ? "fast-command" : "command",
                                      state_->clock->NowMs() / 1000, duration / 1000);
  }
  if (cfg.slowlog_log_slower_than >= 0 && duration >= cfg.slowlog_log_slower_than &&
      !(spec.flags & kSkipSlowlog)) {
    std::vector<std::string_view> args(argv.begin(), argv.end());
    state_->slowlog.Record(state_->clock->NowMs() / 1000, duration, args, session,
                           cfg.slowlog_max_len,
                           [&](size_t i) { return SecretArgument(spec, argv, i); });
  }
}

void Dispatcher::Replay(const CommandSpec& spec, Session& session, Args argv,
                        resp::ReplyBuilder& reply) {
  CommandContext ctx{session, reply, services_};
  try {
    spec.handler(ctx, argv);
  } catch (const std::length_error&) {
    reply.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
}

std::string Dispatcher::CheckAcl(const CommandSpec& spec, const AclUser& user, Args argv,
                                 Session& client, std::string_view client_command,
                                 std::string_view context) {
  size_t index = 0;
  AclDenial denial = Acl::Check(user, spec, argv, &index);
  if (denial == AclDenial::kNone) return "";
  std::string_view reason = "command";
  std::string_view object = spec.name;
  if (denial == AclDenial::kKey) {
    state_->stats.acl_denied_key++;
    reason = "key";
    object = argv[index];
  } else if (denial == AclDenial::kChannel) {
    state_->stats.acl_denied_channel++;
    reason = "channel";
    object = argv[index];
  } else {
    state_->stats.acl_denied_cmd++;
  }
  LogAclDenial(client, client_command, reason, context, object, user.name);
  return Acl::DenialMessage(denial, user, spec, object, false);
}

void Dispatcher::LogAclDenial(Session& client, std::string_view client_command,
                              std::string_view reason, std::string_view context,
                              std::string_view object, std::string_view username) {
  AclLogEntry e;
  e.reason = std::string(reason);
  e.context = std::string(context);
  e.object = std::string(object);
  e.username = std::string(username);
  // CLIENT LIST's line as Redis shows it there: cmd= is the command being refused.
  std::string saved = std::move(client.last_command);
  client.last_command = std::string(client_command);
  e.client_info = ClientInfoLine(services_, client);
  client.last_command = std::move(saved);
  state_->acl.log().Add(std::move(e), state_->clock->NowMs(),
                        static_cast<size_t>(state_->config.acllog_max_len));
}

void Dispatcher::ExecQueued(Session& session, resp::ReplyBuilder& reply) {
  std::vector<std::vector<std::string>> queued = std::move(session.queued);
  session.queued.clear();
  session.in_multi = false;
  reply.ArrayHeader(queued.size());
  state_->in_exec = true;
  std::vector<std::string_view> views;
  for (const auto& command : queued) {
    views.assign(command.begin(), command.end());
    const CommandSpec* spec = Resolve(views);
    // Queueing checked name and arity; the spec is there.
    if (spec == nullptr) {
      reply.Error(UnknownCommandError(views));
      continue;
    }
    // Permissions again at EXEC, as Redis: an AUTH queued earlier may have changed the user.
    if (std::string denied =
            CheckAcl(*spec, state_->UserOf(session), views, session, "exec", "multi");
        !denied.empty()) {
      reply.Error("NOPERM " + denied);
      continue;
    }
    if (state_->backend().TierActive()) {
      // Values were read back before EXEC; one still not in memory here (a queued SWAPDB moved
      // it) fails this command rather than let it run on an empty value.
      std::vector<DbKey> missing;
      ColdKeysOf(*spec, session, views, &missing);
      if (!missing.empty()) {
        reply.Error(kValueNotInMemory);
        continue;
      }
    }
    engine::ClearColdReads();
    const size_t out_before = session.out->size();
    Call(*spec, session, views, reply);
    if (!engine::ColdReads().empty() && !(spec->flags & kWrite)) {
      // A pattern read inside the transaction met values not in memory: it cannot wait for
      // them within EXEC's atomic run, so it fails rather than answer without them.
      engine::ClearColdReads();
      session.out->resize(out_before);
      reply.Error(kValueNotInMemory);
    }
    // The reply protocol may have changed (HELLO inside MULTI).
    reply.set_protocol(session.protocol);
  }
  state_->in_exec = false;
}

void Dispatcher::FeedMonitors(const CommandSpec& spec, const Session& session, Args argv) {
  int64_t us = state_->clock->NowUs();
  char head[96];
  std::snprintf(head, sizeof(head), "+%lld.%06lld [%d ", static_cast<long long>(us / 1000000),
                static_cast<long long>(us % 1000000), session.db);
  std::string line(head);
  // A script's commands show "lua" (the script session's address); a unix socket client
  // "unix:<path>".
  if (session.unix_socket) {
    line += "unix:";
    line += state_->config.unixsocket;
  } else {
    line += session.addr;
  }
  line += ']';
  const std::vector<std::string_view> all(argv.begin(), argv.end());
  for (size_t i = 0; i < all.size(); ++i) {
    std::string_view arg = SecretArgument(spec, argv, i) ? "(redacted)" : all[i];
    line += " \"";
    for (unsigned char c : arg) {
      switch (c) {
        case '\\':
          line += "\\\\";
          break;
        case '"':
          line += "\\\"";
          break;
        case '\n':
          line += "\\n";
          break;
        case '\r':
          line += "\\r";
          break;
        case '\t':
          line += "\\t";
          break;
        case '\a':
          line += "\\a";
          break;
        case '\b':
          line += "\\b";
          break;
        default:
          if (c >= 32 && c < 127) {
            line += static_cast<char>(c);
          } else {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "\\x%02x", c);
            line += hex;
          }
      }
    }
    line += '"';
  }
  line += "\r\n";
  for (Session* monitor : state_->clients.monitors()) {
    if (monitor != &session) monitor->out->append(line);
  }
  if (state_->hooks != nullptr) {
    for (Session* monitor : state_->clients.monitors()) state_->hooks->ScheduleFlush(monitor);
  }
}

}  // namespace dkv::server
