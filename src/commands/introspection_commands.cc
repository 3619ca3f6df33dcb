// Introspection: SLOWLOG, MONITOR, CLUSTER, MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE),
// DEBUG. INFO is in info_commands.cc, LATENCY in latency_commands.cc.
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
#include "src/core/version.h"
#include "src/scripting/scripting.h"

namespace dkv::server {

void CmdSlowlogGet(CommandContext& ctx, Args argv) {
  int64_t count = 10;
  if (argv.size() == 3) {
    if (!engine::ParseInt64(argv[2], &count) || count < -1) {
      return ctx.reply.Error("ERR count should be greater than or equal to -1");
    }
    if (count == -1) count = INT64_MAX;
  }
  const auto& entries = ctx.services.slowlog().entries();
  size_t n = std::min<size_t>(entries.size(), static_cast<size_t>(count));
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = entries[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.args.size());
    for (const auto& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.addr);
    ctx.reply.Bulk(e.name);
  }
}

void CmdSlowlogLen(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.services.slowlog().entries().size()));
}

void CmdSlowlogReset(CommandContext& ctx, Args) {
  ctx.services.slowlog().Reset();
  ctx.reply.Ok();
}

void CmdSlowlogHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

void CmdMonitor(CommandContext& ctx, Args) {
  // Inside EXEC a reply per command is owed: MONITOR's stream cannot start there (Redis).
  if (ctx.services.in_exec()) {
    return ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  }
  if (ctx.session.monitor) return;
  ctx.session.monitor = true;
  ctx.services.clients().AddMonitor(&ctx.session);
  ctx.reply.Ok();
}

void CmdCluster(CommandContext& ctx, Args) {
  ctx.reply.Error("ERR This instance has cluster support disabled");
}

// --- MEMORY ---

void CmdMemoryUsage(CommandContext& ctx, Args argv) {
  if (argv.size() != 3) {
    if (argv.size() != 5 || !EqualsIgnoreCase(argv[3], "samples")) {
      return ctx.reply.Error(errors::kSyntax);
    }
    int64_t samples;
    if (!Int64OrReply(ctx.reply, argv[4], &samples)) return;
    if (samples < 0) return ctx.reply.Error(errors::kSyntax);
  }
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[2]);
  if (e == nullptr) return ctx.reply.Null();
  size_t bytes = db.MemoryUsage(e);
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

void CmdMemoryStats(CommandContext& ctx, Args) {
  MemoryFigures m = ctx.services.hooks() ? ctx.services.hooks()->Memory() : MemoryFigures{};
  size_t keys = ctx.keyspace().TotalKeys();
  ctx.reply.MapHeader(8);
  ctx.reply.Bulk("peak.allocated");
  ctx.reply.Integer(static_cast<int64_t>(m.peak));
  ctx.reply.Bulk("total.allocated");
  ctx.reply.Integer(static_cast<int64_t>(m.used));
  ctx.reply.Bulk("keys.count");
  ctx.reply.Integer(static_cast<int64_t>(keys));
  ctx.reply.Bulk("keys.bytes-per-key");
  ctx.reply.Integer(keys ? static_cast<int64_t>(m.used / keys) : 0);
  ctx.reply.Bulk("allocator.active");
  ctx.reply.Integer(static_cast<int64_t>(m.active));
  ctx.reply.Bulk("allocator.resident");
  ctx.reply.Integer(static_cast<int64_t>(m.resident));
  ctx.reply.Bulk("rss");
  ctx.reply.Integer(static_cast<int64_t>(m.rss));
  ctx.reply.Bulk("fragmentation");
  ctx.reply.Double(m.used ? static_cast<double>(m.rss) / static_cast<double>(m.used) : 0.0);
}

void CmdMemoryDoctor(CommandContext& ctx, Args) {
  MemoryFigures m = ctx.services.hooks() ? ctx.services.hooks()->Memory() : MemoryFigures{};
  const Config& c = ctx.config();
  std::string text;
  if (m.used < 5 * 1024 * 1024) {
    text =
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill "
        "it with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.";
  } else {
    text = "Memory report: used " + HumanBytes(m.used) + ", rss " + HumanBytes(m.rss) + ", peak " +
           HumanBytes(m.peak) + ".";
    if (c.maxmemory > 0 && m.used > static_cast<size_t>(c.maxmemory)) {
      text +=
          " Used memory is over maxmemory: the " + c.maxmemory_policy + " policy is evicting keys.";
    } else if (c.maxmemory == 0) {
      text += " No maxmemory is set: memory grows with the data.";
    }
    if (m.used > 0 && static_cast<double>(m.rss) / static_cast<double>(m.used) > 1.5) {
      text +=
          " RSS is much larger than used memory (fragmentation, or memory freed but not yet "
          "returned to the system).";
    } else {
      text += " No problem detected.";
    }
  }
  ctx.reply.Verbatim(text);
}

void CmdMemoryMallocStats(CommandContext& ctx, Args) {
  std::string text = AllocatorStatsText();
  if (text.empty()) return ctx.reply.Bulk("Stats not supported for the current allocator");
  ctx.reply.Verbatim(text);
}

void CmdMemoryPurge(CommandContext& ctx, Args) {
  PurgeAllocator();
  ctx.reply.Ok();
}

void CmdMemoryHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
