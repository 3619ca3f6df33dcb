// Server family: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, COMMAND, TIME, SAVE, BGSAVE, LASTSAVE,
// SHUTDOWN. CONFIG is in config_commands.cc, INFO, SLOWLOG, MEMORY and DEBUG in
// introspection_commands.cc.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unordered_set>

#include "engine/pattern.h"
#include "src/command_docs.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/config_rewrite.h"
#include "src/dispatcher.h"
#include "src/log.h"
#include "src/scripting.h"
#include "src/version.h"

namespace dkv::server {
namespace {

// Parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Returns false after replying an error.
bool FlushModeOrReply(CommandContext& ctx, Args argv, bool* async) {
  *async = ctx.config().lazyfree_lazy_user_flush;
  if (argv.size() > 2) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  if (argv.size() == 2) {
    if (EqualsIgnoreCase(argv[1], "async")) {
      *async = true;
    } else if (EqualsIgnoreCase(argv[1], "sync")) {
      *async = false;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

void FlushDatabase(CommandContext& ctx, engine::Database& db, bool async) {
  ctx.services.watches().TouchExistingKeys(db, nullptr);
  ctx.services.backend().OnNamespaceFlushed(db.index());
  ctx.keyspace().AddDirty(db.size());
  auto contents = db.Detach();
  if (async && ctx.services.hooks() != nullptr && contents->size() > 64) {
    ctx.services.hooks()->FreeLater(std::move(contents));
  }
}

}  // namespace

void CmdDbSize(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.db().size()));
}

void CmdFlushDb(CommandContext& ctx, Args argv) {
  bool async;
  if (!FlushModeOrReply(ctx, argv, &async)) return;
  FlushDatabase(ctx, ctx.db(), async);
  ctx.reply.Ok();
}

void CmdFlushAll(CommandContext& ctx, Args argv) {
  bool async;
  if (!FlushModeOrReply(ctx, argv, &async)) return;
  for (int i = 0; i < ctx.keyspace().database_count(); ++i) {
    FlushDatabase(ctx, ctx.keyspace().db(i), async);
  }
  // As Redis: a running background save is stopped, and with a schedule the (now empty)
  // snapshot is written at once, so a restart does not bring the flushed keys back.
  if (Backend& backend = ctx.services.backend(); backend.has_snapshot_file()) {
    backend.StopBackgroundSave();
    if (backend.HasSaveSchedule()) backend.Save();
  }
  ctx.keyspace().AddDirty();
  ctx.reply.Ok();
}

void CmdSwapDb(CommandContext& ctx, Args argv) {
  int a, b;
  if (!IntOrReply(ctx.reply, argv[1], &a, "ERR invalid first DB index")) return;
  if (!IntOrReply(ctx.reply, argv[2], &b, "ERR invalid second DB index")) return;
  int n = ctx.keyspace().numbered_count();
  if (a < 0 || a >= n || b < 0 || b >= n) return ctx.reply.Error(errors::kDbIndexRange);
  if (a != b) {
    ctx.services.watches().TouchExistingKeys(ctx.keyspace().db(a), &ctx.keyspace().db(b));
    ctx.keyspace().Swap(a, b);
    ctx.services.backend().OnSwap(a, b);
    ctx.keyspace().AddDirty();
  }
  ctx.reply.Ok();
}

namespace {

std::vector<std::string_view> FlagNames(uint32_t flags) {
  std::vector<std::string_view> names;
  if (flags & kWrite) names.push_back("write");
  if (flags & kReadOnly) names.push_back("readonly");
  if (flags & kDenyOom) names.push_back("denyoom");
  if (flags & kAdmin) names.push_back("admin");
  if (flags & kNoScript) names.push_back("noscript");
  if (flags & kLoading) names.push_back("loading");
  if (flags & kStale) names.push_back("stale");
  if (flags & kSkipMonitor) names.push_back("skip_monitor");
  if (flags & kSkipSlowlog) names.push_back("skip_slowlog");
  if (flags & kFast) names.push_back("fast");
  if (flags & kNoAuth) names.push_back("no_auth");
  if (flags & kNoMulti) names.push_back("no_multi");
  if (flags & kAllowBusy) names.push_back("allow_busy");
  if (flags & kMovableKeys) names.push_back("movablekeys");
  return names;
}

std::vector<std::string> AclCategories(const CommandSpec& spec) {
  std::vector<std::string> cats;
  if (spec.flags & kWrite) cats.push_back("@write");
  if (spec.flags & kReadOnly) cats.push_back("@read");
  if (spec.flags & kAdmin) cats.push_back("@admin");
  if (spec.group == "string") cats.push_back("@string");
  if (spec.group == "generic") cats.push_back("@keyspace");
  if (spec.group == "connection") cats.push_back("@connection");
  if (spec.group == "transactions") cats.push_back("@transaction");
  if (spec.flags & kAdmin) cats.push_back("@dangerous");
  cats.push_back((spec.flags & kFast) ? "@fast" : "@slow");
  return cats;
}

void ReplyCommandInfo(CommandContext& ctx, const CommandSpec& spec) {
  resp::ReplyBuilder& r = ctx.reply;
  auto subs = ctx.services.dispatcher().Subcommands(spec.name);
  r.ArrayHeader(10);
  r.Bulk(spec.name);
  r.Integer(spec.arity);
  auto flags = FlagNames(spec.flags);
  r.SetHeader(flags.size());
  for (auto f : flags) r.Simple(f);
  r.Integer(spec.first_key);
  r.Integer(spec.last_key);
  r.Integer(spec.key_step);
  auto cats = AclCategories(spec);
  r.SetHeader(cats.size());
  for (const auto& c : cats) r.Simple(c);
  r.ArrayHeader(0);  // tips
  if (spec.first_key > 0) {
    // One key spec from the legacy key range.
    r.ArrayHeader(1);
    r.MapHeader(3);
    r.Bulk("flags");
    r.SetHeader(1);
    r.Simple((spec.flags & kWrite) ? "RW" : "RO");
    r.Bulk("begin_search");
    r.MapHeader(2);
    r.Bulk("type");
    r.Bulk("index");
    r.Bulk("spec");
    r.MapHeader(1);
    r.Bulk("index");
    r.Integer(spec.first_key);
    r.Bulk("find_keys");
    r.MapHeader(2);
    r.Bulk("type");
    r.Bulk("range");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("lastkey");
    r.Integer(spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key);
    r.Bulk("keystep");
    r.Integer(spec.key_step);
    r.Bulk("limit");
    r.Integer(0);
  } else {
    r.ArrayHeader(0);
  }
  r.ArrayHeader(subs.size());
  for (const CommandSpec* sub : subs) ReplyCommandInfo(ctx, *sub);
}

void ReplyDocArg(resp::ReplyBuilder& r, const DocArg& arg) {
  bool is_key = arg.type == "key";
  size_t pairs = 2 + (is_key ? 1 : 0) + (arg.token.empty() ? 0 : 1) +
                 ((arg.optional || arg.multiple) ? 1 : 0) + (arg.arguments.empty() ? 0 : 1);
  r.MapHeader(pairs);
  r.Bulk("name");
  r.Bulk(arg.name);
  r.Bulk("type");
  r.Bulk(arg.type);
  if (is_key) {
    r.Bulk("key_spec_index");
    r.Integer(0);
  }
  if (!arg.token.empty()) {
    r.Bulk("token");
    r.Bulk(arg.token);
  }
  if (arg.optional || arg.multiple) {
    r.Bulk("flags");
    r.SetHeader((arg.optional ? 1 : 0) + (arg.multiple ? 1 : 0));
    if (arg.optional) r.Simple("optional");
    if (arg.multiple) r.Simple("multiple");
  }
  if (!arg.arguments.empty()) {
    r.Bulk("arguments");
    r.ArrayHeader(arg.arguments.size());
    for (const DocArg& sub : arg.arguments) ReplyDocArg(r, sub);
  }
}

void ReplyCommandDocs(CommandContext& ctx, const CommandSpec& spec) {
  resp::ReplyBuilder& r = ctx.reply;
  auto subs = ctx.services.dispatcher().Subcommands(spec.name);
  std::vector<DocArg> args = ParseSyntax(spec.syntax);
  r.Bulk(spec.name);
  r.MapHeader(4 + (args.empty() ? 0 : 1) + (subs.empty() ? 0 : 1));
  r.Bulk("summary");
  r.Bulk(spec.summary);
  r.Bulk("since");
  r.Bulk(spec.since);
  r.Bulk("group");
  r.Bulk(spec.group);
  r.Bulk("complexity");
  r.Bulk(spec.complexity);
  if (!args.empty()) {
    r.Bulk("arguments");
    r.ArrayHeader(args.size());
    for (const DocArg& arg : args) ReplyDocArg(r, arg);
  }
  if (!subs.empty()) {
    r.Bulk("subcommands");
    r.MapHeader(subs.size());
    for (const CommandSpec* sub : subs) ReplyCommandDocs(ctx, *sub);
  }
}

std::vector<const CommandSpec*> TopLevel() {
  std::vector<const CommandSpec*> out;
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.name.find('|') == std::string_view::npos) out.push_back(&spec);
  }
  return out;
}

}  // namespace

void CmdCommand(CommandContext& ctx, Args) {
  auto all = TopLevel();
  ctx.reply.ArrayHeader(all.size());
  for (const CommandSpec* spec : all) ReplyCommandInfo(ctx, *spec);
}

void CmdCommandCount(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.services.dispatcher().top_level_count()));
}

void CmdCommandInfo(CommandContext& ctx, Args argv) {
  if (argv.size() == 2) return CmdCommand(ctx, argv);
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    const CommandSpec* spec = ctx.services.dispatcher().Find(argv[i]);
    if (spec == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyCommandInfo(ctx, *spec);
    }
  }
}

void CmdCommandDocs(CommandContext& ctx, Args argv) {
  std::vector<const CommandSpec*> specs;
  if (argv.size() == 2) {
    specs = TopLevel();
  } else {
    for (size_t i = 2; i < argv.size(); ++i) {
      if (const CommandSpec* spec = ctx.services.dispatcher().Find(argv[i])) specs.push_back(spec);
    }
  }
  ctx.reply.MapHeader(specs.size());
  for (const CommandSpec* spec : specs) ReplyCommandDocs(ctx, *spec);
}

void CmdCommandList(CommandContext& ctx, Args argv) {
  std::unique_ptr<engine::Pattern> pattern;
  std::string_view group;
  if (argv.size() != 2) {
    if (argv.size() != 5 || !EqualsIgnoreCase(argv[2], "filterby")) {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (EqualsIgnoreCase(argv[3], "pattern")) {
      pattern = engine::Pattern::CompileRedisGlob(ToLower(argv[4]), nullptr);
    } else if (EqualsIgnoreCase(argv[3], "module")) {
      return ctx.reply.ArrayHeader(0);
    } else if (EqualsIgnoreCase(argv[3], "aclcat")) {
      group = argv[4];
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::vector<std::string_view> names;
  for (const CommandSpec& spec : CommandTable()) {
    if (pattern != nullptr && !pattern->Matches(spec.name)) continue;
    if (!group.empty()) {
      auto cats = AclCategories(spec);
      if (std::find(cats.begin(), cats.end(), "@" + ToLower(group)) == cats.end()) continue;
    }
    if (pattern == nullptr && spec.name.find('|') != std::string_view::npos) continue;
    names.push_back(spec.name);
  }
  ctx.reply.ArrayHeader(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

void CmdCommandGetKeys(CommandContext& ctx, Args argv) {
  Args target = argv.subspan(2);
  const CommandSpec* spec = ctx.services.dispatcher().Resolve(target);
  if (spec == nullptr) return ctx.reply.Error("ERR Invalid command specified");
  int n = static_cast<int>(target.size());
  if ((spec->arity > 0 && n != spec->arity) || (spec->arity < 0 && n < -spec->arity)) {
    return ctx.reply.Error("ERR Invalid number of arguments specified for command");
  }
  if (spec->handler == CmdEval || spec->handler == CmdEvalSha || spec->handler == CmdEvalRo ||
      spec->handler == CmdEvalShaRo) {
    // The keys are the numkeys arguments after numkeys.
    int64_t numkeys;
    if (!engine::ParseInt64(target[2], &numkeys) || numkeys < 0 || numkeys > n - 3) {
      return ctx.reply.Error("ERR Invalid arguments specified for command");
    }
    ctx.reply.ArrayHeader(static_cast<size_t>(numkeys));
    for (int64_t i = 0; i < numkeys; ++i) ctx.reply.Bulk(target[3 + static_cast<size_t>(i)]);
    return;
  }
  if (spec->first_key == 0) return ctx.reply.Error("ERR The command has no key arguments");
  int last = spec->last_key < 0 ? n + spec->last_key : spec->last_key;
  std::vector<std::string_view> keys;
  for (int i = spec->first_key; i <= last && i < n; i += spec->key_step) keys.push_back(target[i]);
  ctx.reply.ArrayHeader(keys.size());
  for (auto k : keys) ctx.reply.Bulk(k);
}

void CmdCommandHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple commands.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

// --- misc ---

void CmdTime(CommandContext& ctx, Args) {
  int64_t us = ctx.services.clock().NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

void CmdShutdown(CommandContext& ctx, Args argv) {
  if (ctx.session.in_multi) {
    // As Redis 7 (no_multi): its reply may wait for PostgreSQL, which EXEC's cannot.
    ctx.session.multi_error = true;
    return ctx.reply.Error("ERR Command not allowed inside a transaction");
  }
  bool nosave = false, save = false, force = false, abort = false;
  for (size_t j = 1; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(argv[j], "save")) {
      save = true;
    } else if (EqualsIgnoreCase(argv[j], "force")) {
      force = true;
    } else if (EqualsIgnoreCase(argv[j], "abort")) {
      abort = true;
    } else if (!EqualsIgnoreCase(argv[j], "now")) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if ((nosave && save) || (abort && argv.size() > 2)) return ctx.reply.Error(errors::kSyntax);
  if (abort) {
    // Ends an exit's wait for PostgreSQL; the SHUTDOWNs that waited get the error.
    if (!ctx.services.hooks()->AbortShutdown())
      return ctx.reply.Error("ERR No shutdown in progress.");
    return ctx.reply.Ok();
  }
  if (ctx.services.scripts() != nullptr && ctx.services.scripts()->busy()) {
    // Only SHUTDOWN NOSAVE gets past a busy script: it stops the script, saves nothing.
    if (!nosave) return ctx.reply.Error(errors::kBusy);
    ctx.services.scripts()->KillForShutdown();
    return ctx.services.hooks()->RequestShutdown();
  }
  if (ctx.services.hooks()->ShutdownPending()) {
    // An exit already waits for PostgreSQL: this SHUTDOWN joins it (as Redis 7's), or with
    // FORCE exits now without waiting further.
    if (force) return ctx.services.hooks()->RequestShutdown();
    return ctx.services.hooks()->ShutdownAfterCommit(&ctx.session);
  }
  if (Backend& backend = ctx.services.backend(); backend.has_snapshot_file()) {
    backend.StopBackgroundSave();
    if (save || (!nosave && backend.FinalSaveWanted())) {
      Log(LogLevel::kNotice, "Saving the final snapshot before exiting.");
      if (!backend.Save().empty()) {
        if (!force) {
          Log(LogLevel::kWarning, "Error trying to save the DB, can't exit.");
          return ctx.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
        }
        Log(LogLevel::kWarning, "Error trying to save the DB, exiting anyway (FORCE).");
      }
    }
  }
  // The PostgreSQL backend's queue is committed first, while other clients are served; this
  // client's reply waits for the outcome (FORCE: it exits, committing what it can on the way out).
  if (force) return ctx.services.hooks()->RequestShutdown();
  ctx.services.hooks()->ShutdownAfterCommit(&ctx.session);
}

// --- SAVE, BGSAVE, LASTSAVE ---

void CmdSave(CommandContext& ctx, Args) {
  if (ctx.session.in_multi) {
    ctx.session.multi_error = true;
    return ctx.reply.Error("ERR Command not allowed inside a transaction");
  }
  Backend& backend = ctx.services.backend();
  if (!backend.has_snapshot_file()) return ctx.reply.Error("ERR no snapshot file is configured");
  if (backend.SaveInProgress()) return ctx.reply.Error("ERR Background save already in progress");
  if (std::string err = backend.Save(); !err.empty()) return ctx.reply.Error("ERR " + err);
  ctx.reply.Ok();
}

void CmdBgSave(CommandContext& ctx, Args argv) {
  bool schedule = false;
  if (argv.size() > 1) {
    if (argv.size() != 2 || !EqualsIgnoreCase(argv[1], "schedule")) {
      return ctx.reply.Error(errors::kSyntax);
    }
    schedule = true;
  }
  Backend& backend = ctx.services.backend();
  if (!backend.has_snapshot_file()) return ctx.reply.Error("ERR no snapshot file is configured");
  if (backend.SaveInProgress()) return ctx.reply.Error("ERR Background save already in progress");
  if (ctx.services.in_exec()) {
    // Not inside a transaction's atomic run: the save starts from the cron right after it.
    backend.ScheduleBackgroundSave();
    return ctx.reply.Simple("Background saving scheduled");
  }
  (void)schedule;  // with no other kind of child process, SCHEDULE changes nothing else
  if (std::string err = backend.StartBackgroundSave(); !err.empty()) {
    return ctx.reply.Error("ERR " + err);
  }
  ctx.reply.Simple("Background saving started");
}

void CmdLastSave(CommandContext& ctx, Args) {
  Backend& backend = ctx.services.backend();
  ctx.reply.Integer(backend.has_snapshot_file() ? backend.snapshot_status().last_save_s
                                                : ctx.services.start_ms() / 1000);
}

}  // namespace dkv::server
