// Introspection: SLOWLOG, MONITOR, INFO, CLUSTER INFO, MEMORY (USAGE, STATS, DOCTOR), DEBUG.
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
  if (ctx.session.monitor) return;
  ctx.session.monitor = true;
  ctx.services.clients().AddMonitor(&ctx.session);
  ctx.reply.Ok();
}

// --- INFO ---

namespace {

std::string HumanBytes(uint64_t n) {
  char buf[32];
  double d = static_cast<double>(n);
  if (n < 1024) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
  } else if (n < 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fM", d / (1024 * 1024));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  }
  return buf;
}

void Line(std::string& s, std::string_view name, const std::string& value) {
  s.append(name);
  s.push_back(':');
  s.append(value);
  s.append("\r\n");
}

std::string InfoSection(CommandContext& ctx, std::string_view section) {
  Services& st = ctx.services;
  std::string s;
  int64_t now = st.clock().NowMs();
  if (section == "server") {
    s += "# Server\r\n";
    Line(s, "redis_version", kRedisCompatVersion);
    Line(s, "dkv_version", kDkvVersion);
    Line(s, "redis_git_sha1", "00000000");
    Line(s, "redis_git_dirty", "0");
    Line(s, "redis_mode", "standalone");
    Line(s, "os", "Linux");
    Line(s, "arch_bits", std::to_string(sizeof(void*) * 8));
    Line(s, "multiplexing_api", "libuv");
    Line(s, "process_id", std::to_string(getpid()));
    Line(s, "run_id", st.run_id());
    Line(s, "tcp_port", std::to_string(st.config().port));
    Line(s, "server_time_usec", std::to_string(st.clock().NowUs()));
    Line(s, "uptime_in_seconds", std::to_string((now - st.start_ms()) / 1000));
    Line(s, "uptime_in_days", std::to_string((now - st.start_ms()) / 86400000));
    Line(s, "hz", std::to_string(st.config().hz));
    Line(s, "executable", "dkv-server");
    Line(s, "config_file", st.config().config_file);
  } else if (section == "clients") {
    s += "# Clients\r\n";
    Line(s, "connected_clients", std::to_string(st.clients().size()));
    Line(s, "maxclients", std::to_string(st.config().maxclients));
    Line(s, "blocked_clients", "0");
    Line(s, "tracking_clients", "0");
  } else if (section == "memory") {
    MemoryFigures m = st.hooks() ? st.hooks()->Memory() : MemoryFigures{};
    s += "# Memory\r\n";
    Line(s, "used_memory", std::to_string(m.used));
    Line(s, "used_memory_human", HumanBytes(m.used));
    Line(s, "used_memory_rss", std::to_string(m.rss));
    Line(s, "used_memory_rss_human", HumanBytes(m.rss));
    Line(s, "used_memory_peak", std::to_string(m.peak));
    Line(s, "used_memory_peak_human", HumanBytes(m.peak));
    size_t lua = st.scripts() != nullptr ? st.scripts()->memory() : 0;
    Line(s, "used_memory_lua", std::to_string(lua));
    Line(s, "used_memory_vm_eval", std::to_string(lua));
    Line(s, "used_memory_lua_human", HumanBytes(lua));
    Line(s, "number_of_cached_scripts",
         std::to_string(st.scripts() != nullptr ? st.scripts()->scripts() : 0));
    Line(s, "maxmemory", std::to_string(st.config().maxmemory));
    Line(s, "maxmemory_human", HumanBytes(static_cast<uint64_t>(st.config().maxmemory)));
    Line(s, "maxmemory_policy", st.config().maxmemory_policy);
    Line(s, "allocator_allocated", std::to_string(m.used));
    Line(s, "allocator_active", std::to_string(m.active));
    Line(s, "allocator_resident", std::to_string(m.resident));
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), "%.2f",
                  m.used ? static_cast<double>(m.rss) / static_cast<double>(m.used) : 0.0);
    Line(s, "mem_fragmentation_ratio", ratio);
    Line(s, "mem_allocator", MemoryAccountant::AllocatorName());
  } else if (section == "persistence") {
    s += "# Persistence\r\n";
    Backend& backend = st.backend();
    const bool snap = backend.has_snapshot_file();
    const SnapshotStatus& p = backend.snapshot_status();
    bool running = backend.SaveInProgress();
    int64_t now_ms = st.clock().NowMs();
    Line(s, "loading", st.loading() ? "1" : "0");
    Line(s, "async_loading", "0");
    Line(s, "rdb_changes_since_last_save", std::to_string(ctx.keyspace().dirty()));
    Line(s, "rdb_bgsave_in_progress", running ? "1" : "0");
    Line(s, "rdb_last_save_time", std::to_string(snap ? p.last_save_s : st.start_ms() / 1000));
    Line(s, "rdb_last_bgsave_status", p.last_bgsave_ok ? "ok" : "err");
    Line(s, "rdb_last_bgsave_time_sec", std::to_string(p.last_bgsave_time_s));
    Line(s, "rdb_current_bgsave_time_sec",
         std::to_string(running ? (now_ms - p.bgsave_started_ms) / 1000 : -1));
    Line(s, "rdb_saves", std::to_string(p.saves));
    Line(s, "rdb_last_load_keys_expired", std::to_string(p.last_load_keys_expired));
    Line(s, "rdb_last_load_keys_loaded", std::to_string(p.last_load_keys_loaded));
    Line(s, "snapshot_file", backend.snapshot_path());
    Line(s, "snapshot_last_error", p.last_error);
    Line(s, "aof_enabled", "0");
    Line(s, "aof_rewrite_in_progress", "0");
    Line(s, "persistence_backend", st.config().persistence_backend);
    if (const std::optional<PostgresFigures> pg = backend.postgres_figures()) {
      const PostgresFigures& ps = *pg;
      Line(s, "pg_connected", ps.connected ? "1" : "0");
      Line(s, "pg_durability", st.config().postgres_durability);
      Line(s, "pg_queue_keys", std::to_string(ps.queue_keys));
      Line(s, "pg_batches_committed", std::to_string(ps.batches_committed));
      Line(s, "pg_keys_committed", std::to_string(ps.keys_committed));
      Line(s, "pg_last_commit_time", std::to_string(ps.last_commit_ms / 1000));
      Line(s, "pg_last_commit_latency_us", std::to_string(ps.last_commit_latency_us));
      Line(s, "pg_errors", std::to_string(ps.errors));
      Line(s, "pg_last_error", ps.last_error);
      Line(s, "pg_keys_loaded", std::to_string(ps.keys_loaded));
      Line(s, "pg_pool_size", std::to_string(st.config().postgres_pool_size));
      Line(s, "pg_connections_ready", std::to_string(ps.connections_ready));
      Line(s, "pg_stalled_backends", std::to_string(ps.stalled_backends));
      Line(s, "pg_cache_tier", ps.cache_tier ? "1" : "0");
      Line(s, "pg_cold_values", std::to_string(engine::Database::cold_entries()));
      Line(s, "pg_values_dropped", std::to_string(st.keyspace().stats().dropped_values));
      Line(s, "pg_value_reads", std::to_string(ps.fetches));
      Line(s, "pg_values_read", std::to_string(ps.values_fetched));
      Line(s, "pg_value_read_errors", std::to_string(ps.fetch_errors));
    }
  } else if (section == "stats") {
    const Stats& t = st.stats();
    const engine::KeyspaceStats& k = ctx.keyspace().stats();
    char ops[32];
    std::snprintf(ops, sizeof(ops), "%.0f", t.instantaneous_ops_per_sec);
    s += "# Stats\r\n";
    Line(s, "total_connections_received", std::to_string(t.total_connections_received));
    Line(s, "total_commands_processed", std::to_string(t.total_commands_processed));
    Line(s, "instantaneous_ops_per_sec", ops);
    Line(s, "total_net_input_bytes", std::to_string(t.total_net_input_bytes));
    Line(s, "total_net_output_bytes", std::to_string(t.total_net_output_bytes));
    Line(s, "rejected_connections", std::to_string(t.rejected_connections));
    Line(s, "client_output_buffer_limit_disconnections",
         std::to_string(t.output_limit_disconnections));
    Line(s, "cross_protocol_attacks", std::to_string(t.cross_protocol_attacks));
    Line(s, "expired_keys", std::to_string(k.expired_keys));
    if (st.backend().has_snapshot_file()) {
      Line(s, "total_forks", std::to_string(st.backend().snapshot_status().total_forks));
      Line(s, "latest_fork_usec", std::to_string(st.backend().snapshot_status().latest_fork_usec));
    }
    char stale[32];
    std::snprintf(stale, sizeof(stale), "%.2f", ctx.keyspace().StalePercent(1000000));
    Line(s, "expired_stale_perc", stale);
    Line(s, "expire_cycle_cpu_milliseconds", std::to_string(k.expire_cycle_us / 1000));
    Line(s, "evicted_keys", std::to_string(k.evicted_keys));
    Line(s, "keyspace_hits", std::to_string(k.keyspace_hits));
    Line(s, "keyspace_misses", std::to_string(k.keyspace_misses));
    Line(s, "pubsub_channels", "0");
    Line(s, "pubsub_patterns", "0");
    Line(s, "total_error_replies", std::to_string(t.total_error_replies));
    Line(s, "acl_access_denied_auth", std::to_string(t.acl_denied_auth));
    Line(s, "acl_access_denied_cmd", std::to_string(t.acl_denied_cmd));
    Line(s, "acl_access_denied_key", std::to_string(t.acl_denied_key));
    Line(s, "acl_access_denied_channel", std::to_string(t.acl_denied_channel));
    Line(s, "acl_access_denied_namespace", std::to_string(t.acl_denied_namespace));
  } else if (section == "replication") {
    s += "# Replication\r\n";
    Line(s, "role", "master");
    Line(s, "connected_slaves", "0");
    Line(s, "master_repl_offset", "0");
  } else if (section == "cpu") {
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    char sys[32], user[32];
    std::snprintf(sys, sizeof(sys), "%ld.%06ld", static_cast<long>(self.ru_stime.tv_sec),
                  static_cast<long>(self.ru_stime.tv_usec));
    std::snprintf(user, sizeof(user), "%ld.%06ld", static_cast<long>(self.ru_utime.tv_sec),
                  static_cast<long>(self.ru_utime.tv_usec));
    s += "# CPU\r\n";
    Line(s, "used_cpu_sys", sys);
    Line(s, "used_cpu_user", user);
  } else if (section == "commandstats") {
    s += "# Commandstats\r\n";
    for (const auto& [name, cs] : st.stats().commands) {
      if (cs.calls == 0 && cs.rejected_calls == 0 && cs.failed_calls == 0) continue;
      char buf[256];
      std::snprintf(buf, sizeof(buf),
                    "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
                    static_cast<unsigned long long>(cs.calls),
                    static_cast<unsigned long long>(cs.usec),
                    cs.calls ? static_cast<double>(cs.usec) / static_cast<double>(cs.calls) : 0.0,
                    static_cast<unsigned long long>(cs.rejected_calls),
                    static_cast<unsigned long long>(cs.failed_calls));
      Line(s, "cmdstat_" + name, buf);
    }
  } else if (section == "errorstats") {
    s += "# Errorstats\r\n";
    for (const auto& [code, n] : st.stats().errors) {
      Line(s, "errorstat_" + code, "count=" + std::to_string(n));
    }
  } else if (section == "keyspace") {
    s += "# Keyspace\r\n";
    for (int i = 0; i < ctx.keyspace().numbered_count(); ++i) {
      engine::Database& db = ctx.keyspace().db(i);
      if (db.size() == 0 || !st.CanUseNamespace(ctx.session, i)) continue;
      Line(s, "db" + std::to_string(i),
           "keys=" + std::to_string(db.size()) + ",expires=" + std::to_string(db.expires_size()) +
               ",avg_ttl=0");
    }
  } else {
    return "";
  }
  return s;
}

}  // namespace

void CmdInfo(CommandContext& ctx, Args argv) {
  static constexpr std::string_view kDefault[] = {"server", "clients",     "memory", "persistence",
                                                  "stats",  "replication", "cpu",    "keyspace"};
  static constexpr std::string_view kAll[] = {"server",     "clients",     "memory", "persistence",
                                              "stats",      "replication", "cpu",    "commandstats",
                                              "errorstats", "keyspace"};
  std::vector<std::string> wanted;
  if (argv.size() == 1) {
    wanted.assign(std::begin(kDefault), std::end(kDefault));
  } else {
    bool with_default = false;
    for (size_t i = 1; i < argv.size(); ++i) {
      std::string name = ToLower(argv[i]);
      if (name == "all" || name == "everything") {
        wanted.assign(std::begin(kAll), std::end(kAll));
        break;
      }
      if (name == "default") {
        if (!with_default) wanted.insert(wanted.end(), std::begin(kDefault), std::end(kDefault));
        with_default = true;
      } else {
        wanted.push_back(name);
      }
    }
  }
  std::string text;
  // A set, not a list: INFO takes any number of names (200,000 took 20 s with a list).
  std::unordered_set<std::string> done;
  for (const auto& name : wanted) {
    if (!done.insert(name).second) continue;
    std::string section = InfoSection(ctx, name);
    if (section.empty()) continue;
    if (!text.empty()) text += "\r\n";
    text += section;
  }
  ctx.reply.Verbatim(text);
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

void CmdMemoryHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

// --- DEBUG ---

void CmdDebug(CommandContext& ctx, Args argv) {
  std::string sub = ToLower(argv[1]);
  if (sub == "sleep" && argv.size() == 3) {
    double seconds;
    if (!engine::ParseDouble(argv[2], &seconds) || seconds < 0) {
      return ctx.reply.Error(errors::kNotFloat);
    }
    // Deliberately blocks the loop, as Redis' DEBUG SLEEP does: it exists to test exactly that.
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
    return ctx.reply.Ok();
  }
  if (sub == "object" && argv.size() == 3) {
    engine::Entry* e = ctx.db().Find(argv[2]);
    if (e == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
    char buf[256];
    int64_t idle_s = (ctx.keyspace().now_ms() - e->accessed_ms()) / 1000;
    std::snprintf(buf, sizeof(buf),
                  "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u "
                  "lru_seconds_idle:%u%s",
                  static_cast<void*>(e),
                  (!e->raw_encoding() && e->value_size() <= 44) ? "embstr" : "raw", e->value_size(),
                  static_cast<unsigned>((e->accessed_ms() / 1000) & 0xFFFFFF),
                  static_cast<unsigned>(idle_s),
                  // The cache tier over PostgreSQL dropped the value from memory (dkv only).
                  e->cold() ? " cold:1" : "");
    return ctx.reply.Simple(buf);
  }
  if (sub == "help") {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Simple("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    ctx.reply.Simple("OBJECT <key>");
    ctx.reply.Simple("SLEEP <seconds>");
    return;
  }
  ctx.reply.Error("ERR unknown subcommand '" + std::string(argv[1]) + "'. Try DEBUG HELP.");
}

}  // namespace dkv::server
