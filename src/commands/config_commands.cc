// CONFIG GET, SET, RESETSTAT, REWRITE, HELP: the configuration at run time (src/config/config.h).
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unordered_set>

#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/config/config_rewrite.h"
#include "src/core/aof.h"
#include "src/core/command_docs.h"
#include "src/core/dispatcher.h"
#include "src/core/log.h"
#include "src/core/postgres_backend.h"
#include "src/core/snapshotter.h"
#include "src/core/version.h"
#include "src/scripting/scripting.h"
#include "src/security/acl.h"

namespace dkv::server {

// --- CONFIG ---

void CmdConfigGet(CommandContext& ctx, Args argv) {
  // As Redis 7: a name without glob characters is looked up exactly (a hidden option too);
  // a pattern lists every option it matches (aliases included, hidden ones not). Each option
  // once, however many arguments name it.
  // Replied under the name asked for when it was exact (Redis answers `MAXMEMORY` as given).
  std::vector<std::pair<std::string_view, const ConfigParam*>> matched;
  auto add = [&](std::string_view shown, const ConfigParam* p) {
    for (const auto& m : matched) {
      if (m.second == p) return;
    }
    matched.emplace_back(shown, p);
  };
  for (size_t i = 2; i < argv.size(); ++i) {
    std::string lower = ToLower(argv[i]);
    if (lower.find_first_of("*?[\\") == std::string::npos) {
      if (const ConfigParam* p = FindConfigParam(lower)) add(argv[i], p);
      continue;
    }
    auto pattern = engine::Pattern::CompileRedisGlob(lower, nullptr);
    if (pattern == nullptr) continue;
    for (const ConfigParam& p : ConfigParams()) {
      if (!p.hidden && pattern->Matches(p.name)) add(p.name, &p);
    }
  }
  ctx.reply.MapHeader(matched.size());
  for (const auto& [shown, p] : matched) {
    ctx.reply.Bulk(shown);
    ctx.reply.Bulk(p->get(ctx.services.config()));
  }
}

namespace {

std::string SetFailed(std::string_view arg, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(arg) + "') - " +
         std::string(why);
}

}  // namespace

void CmdConfigSet(CommandContext& ctx, Args argv) {
  if (argv.size() % 2 != 0) return ctx.reply.Error(errors::kSyntax);
  // Every name is checked before any value (Redis' order of errors), then every value is
  // parsed into a copy; the copy replaces the configuration only when all of them passed, so
  // CONFIG SET of several options applies all or none. Applying cannot fail in dkv (options
  // that would need a new listener, like port, are not changed at run time).
  std::vector<const ConfigParam*> params;
  std::string_view unknown;
  for (size_t i = 2; i < argv.size(); i += 2) {
    const ConfigParam* p = FindConfigParam(argv[i]);
    params.push_back(p);
    if (p == nullptr && unknown.empty()) unknown = argv[i];
    if (p == nullptr || !unknown.empty()) continue;
    if (!p->mutable_at_runtime) {
      // Redis calls the paths "protected" (the classic attack writes files through them).
      bool is_protected = p->name == "dir" || p->name == "dbfilename";
      // An option dkv fixes at start but Redis can change accepts its current value.
      bool same = false;
      if (!is_protected && !p->redis_immutable) {
        Config scratch = ctx.services.config();
        same = p->set(scratch, argv[i + 1]).empty() &&
               p->get(scratch) == p->get(ctx.services.config());
      }
      if (!same) {
        return ctx.reply.Error(SetFailed(
            argv[i], is_protected ? "can't set protected config" : "can't set immutable config"));
      }
    }
    if (std::find(params.begin(), params.end() - 1, p) != params.end() - 1) {
      return ctx.reply.Error(SetFailed(argv[i], "duplicate parameter"));
    }
  }
  if (!unknown.empty()) {
    return ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                           std::string(unknown) + "'");
  }
  Config candidate = ctx.services.config();
  for (size_t i = 2, k = 0; i < argv.size(); i += 2, ++k) {
    const ConfigParam* p = params[k];
    if (!p->mutable_at_runtime) continue;
    if (std::string err = p->set(candidate, argv[i + 1]); !err.empty()) {
      return ctx.reply.Error(SetFailed(argv[i], err));
    }
  }
  // appendonly: turning the log on starts a rewrite (its base is the current data) and can
  // fail; the option keeps its old value then.
  const bool aof_was = ctx.services.config().appendonly;
  const bool aof_now = candidate.appendonly;
  ctx.services.config() = std::move(candidate);
  if (Aof* aof = ctx.services.aof(); aof != nullptr) {
    if (aof_now && !aof_was) {
      if (std::string err = aof->Enable(); !err.empty()) {
        ctx.services.config().appendonly = false;
        return ctx.reply.Error(SetFailed("appendonly", err));
      }
    } else if (!aof_now && aof_was) {
      aof->Disable();
    }
    aof->ConfigChanged();
  }
  ctx.services.slowlog().Trim(ctx.services.config().slowlog_max_len);
  ctx.services.ApplyConfig();
  ctx.reply.Ok();
}

void CmdConfigResetStat(CommandContext& ctx, Args) {
  // What Redis' CONFIG RESETSTAT resets: the counters of INFO stats, commandstats (with the
  // latency histograms) and errorstats; not the slow log nor LATENCY's events. (Redis also
  // resets used_memory_peak; dkv's peak is kept by the allocator's accountant and stays.)
  Stats& s = ctx.services.stats();
  s.commands.clear();
  s.errors.clear();
  s.total_commands_processed = 0;
  s.total_connections_received = 0;
  s.rejected_connections = 0;
  s.total_net_input_bytes = 0;
  s.total_net_output_bytes = 0;
  s.total_error_replies = 0;
  s.unexpected_error_replies = 0;
  s.output_limit_disconnections = 0;
  s.cross_protocol_attacks = 0;
  s.acl_denied_auth = 0;
  s.acl_denied_cmd = 0;
  s.acl_denied_namespace = 0;
  ctx.keyspace().stats() = engine::KeyspaceStats{};
  ctx.reply.Ok();
}

void CmdConfigRewrite(CommandContext& ctx, Args) {
  const std::string& path = ctx.config().config_file;
  if (path.empty()) return ctx.reply.Error("ERR The server is running without a config file");
  // Every option and every user, in place in the file (src/config/config_rewrite.h). Users go
  // under users: as their rules (as Redis writes "user" lines), unless an aclfile holds them
  // (ACL SAVE writes that, as Redis).
  Config& config = ctx.services.config();
  if (config.aclfile.empty()) config.users = ctx.services.acl().ExportUsers(config.requirepass);
  if (std::string err = RewriteConfigFile(config, path); !err.empty()) {
    return ctx.reply.Error("ERR Rewriting config file: " + err);
  }
  ctx.reply.Ok();
}

void CmdConfigHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

// --- COMMAND ---

}  // namespace dkv::server
