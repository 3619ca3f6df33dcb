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
  std::vector<const ConfigParam*> matched;
  for (size_t i = 2; i < argv.size(); ++i) {
    std::string lower = ToLower(argv[i]);
    auto pattern = engine::Pattern::CompileRedisGlob(lower, nullptr);
    for (const ConfigParam& p : ConfigParams()) {
      if (pattern != nullptr && pattern->Matches(p.name) &&
          std::find(matched.begin(), matched.end(), &p) == matched.end()) {
        matched.push_back(&p);
      }
    }
  }
  ctx.reply.MapHeader(matched.size());
  for (const ConfigParam* p : matched) {
    ctx.reply.Bulk(p->name);
    ctx.reply.Bulk(p->get(ctx.services.config()));
  }
}

void CmdConfigSet(CommandContext& ctx, Args argv) {
  if (argv.size() % 2 != 0) return ctx.reply.Error(errors::kSyntax);
  // Validate everything first: CONFIG SET of several options applies all of them or none.
  Config candidate = ctx.services.config();
  std::vector<const ConfigParam*> seen;
  for (size_t i = 2; i < argv.size(); i += 2) {
    const ConfigParam* p = FindConfigParam(argv[i]);
    if (p == nullptr) {
      return ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                             std::string(argv[i]) + "'");
    }
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) {
      return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                             std::string(argv[i]) + "') - duplicate parameter");
    }
    seen.push_back(p);
    if (!p->mutable_at_runtime) {
      // Redis calls the paths "protected" (the classic attack writes files through them).
      bool is_protected = p->name == "dir" || p->name == "dbfilename";
      return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                             std::string(argv[i]) + "') - can't set " +
                             (is_protected ? "protected" : "immutable") + " config");
    }
    if (std::string err = p->set(candidate, argv[i + 1]); !err.empty()) {
      return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                             std::string(argv[i]) + "') - " + err);
    }
  }
  ctx.services.config() = std::move(candidate);
  ctx.services.slowlog().Trim(ctx.services.config().slowlog_max_len);
  ctx.services.ApplyConfig();
  ctx.reply.Ok();
}

void CmdConfigResetStat(CommandContext& ctx, Args) {
  Stats& s = ctx.services.stats();
  s.commands.clear();
  s.errors.clear();
  s.total_commands_processed = 0;
  s.total_connections_received = 0;
  s.rejected_connections = 0;
  s.total_net_input_bytes = 0;
  s.total_net_output_bytes = 0;
  s.total_error_replies = 0;
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
