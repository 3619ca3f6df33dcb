// INFO: the sections of Redis 7.2 (server, clients, memory, persistence, stats, replication,
// cpu, modules, commandstats, errorstats, latencystats, cluster, keyspace) and Redis 8's
// keysizes (only when asked for by name or with `everything`: it walks the keyspace). Fields of
// features dkv does not have (replication, AOF, cluster, defragmentation) are
// there with the values of a Redis that does not use them, so clients that read them work.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <map>
#include <unordered_set>

#include "engine/container_view.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/aof.h"
#include "src/core/dispatcher.h"
#include "src/core/version.h"
#include "src/scripting/scripting.h"

namespace dkv::server {

namespace {

class Section {
 public:
  explicit Section(std::string& out) : out_(out) {}
  void Line(std::string_view name, std::string_view value) {
    out_.append(name);
    out_.push_back(':');
    out_.append(value);
    out_.append("\r\n");
  }
  void Line(std::string_view name, const std::string& value) {
    Line(name, std::string_view(value));
  }
  void Line(std::string_view name, const char* value) { Line(name, std::string_view(value)); }
  template <typename T>
  requires std::is_integral_v<T>
  void Line(std::string_view name, T value) { Line(name, std::to_string(value)); }
  std::string& out() { return out_; }
  void Ratio(std::string_view name, double value) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", value);
    Line(name, buf);
  }

 private:
  std::string& out_;
};

double Div(double a, double b) { return b == 0 ? 0 : a / b; }

std::string OsName() {
  struct utsname u;
  if (uname(&u) != 0) return "Linux";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

uint64_t SystemMemory() {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

std::string CpuTime(const struct timeval& t) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(t.tv_sec),
                static_cast<long>(t.tv_usec));
  return buf;
}

// "50", "99.9": a percentile as INFO latencystats and CONFIG GET write it.
std::string PercentileName(double p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", p);
  return buf;
}

// Redis 8's keysizes bins: powers of two written with K, M, G, T (0, 1, 2, 4, ..., 512, 1K...).
std::string BinName(uint64_t bin) {
  static constexpr const char* kUnits[] = {"", "K", "M", "G", "T", "P", "E"};
  size_t unit = 0;
  while (bin >= 1024 && bin % 1024 == 0) {
    bin /= 1024;
    ++unit;
  }
  return std::to_string(bin) + kUnits[unit];
}

void ServerSection(CommandContext& ctx, Section& s) {
  Services& st = ctx.services;
  const Config& c = st.config();
  int64_t now = st.clock().NowMs();
  s.Line("redis_version", kRedisCompatVersion);
  s.Line("dkv_version", kDkvVersion);
  s.Line("redis_git_sha1", "00000000");
  s.Line("redis_git_dirty", "0");
  s.Line("redis_build_id", "0");
  s.Line("redis_mode", "standalone");
  s.Line("os", OsName());
  s.Line("arch_bits", sizeof(void*) * 8);
  s.Line("monotonic_clock", "POSIX clock_gettime");
  s.Line("multiplexing_api", "libuv");
  s.Line("atomicvar_api", "c11-builtin");
#if defined(__clang__)
  s.Line("gcc_version", "0.0.0");
#elif defined(__GNUC__)
  s.Line("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                            std::to_string(__GNUC_PATCHLEVEL__));
#endif
  s.Line("process_id", getpid());
  s.Line("process_supervised", "no");
  s.Line("run_id", st.run_id());
  s.Line("tcp_port", c.port);
  s.Line("server_time_usec", st.clock().NowUs());
  s.Line("uptime_in_seconds", (now - st.start_ms()) / 1000);
  s.Line("uptime_in_days", (now - st.start_ms()) / 86400000);
  s.Line("hz", c.hz);
  s.Line("configured_hz", c.hz);
  s.Line("lru_clock", (now / 1000) & ((1 << 24) - 1));
  s.Line("executable", "dkv-server");
  s.Line("config_file", c.config_file);
  s.Line("io_threads_active", "0");
  s.Line("listener0", "name=tcp,bind=" + c.bind + ",port=" + std::to_string(c.port));
  if (!c.unixsocket.empty()) s.Line("listener1", "name=unix,bind=" + c.unixsocket);
}

void ClientsSection(CommandContext& ctx, Section& s) {
  Services& st = ctx.services;
  s.Line("connected_clients", st.clients().size());
  s.Line("cluster_connections", "0");
  s.Line("maxclients", st.config().maxclients);
  s.Line("client_recent_max_input_buffer", "0");
  s.Line("client_recent_max_output_buffer", "0");
  s.Line("blocked_clients", std::to_string(st.clients().blocked()));
  s.Line("tracking_clients", std::to_string(st.tracking().client_count()));
  s.Line("pubsub_clients", std::to_string(st.pubsub().client_count()));
  s.Line("clients_in_timeout_table", std::to_string(st.blocked().timeout_count()));
  s.Line("total_blocking_keys", std::to_string(st.blocked().key_count()));
  s.Line("total_blocking_keys_on_nokey", "0");
}

void MemorySection(CommandContext& ctx, Section& s) {
  Services& st = ctx.services;
  MemoryFigures m = st.hooks() ? st.hooks()->Memory() : MemoryFigures{};
  const double used = static_cast<double>(m.used);
  const double rss = static_cast<double>(m.rss);
  s.Line("used_memory", m.used);
  s.Line("used_memory_human", HumanBytes(m.used));
  s.Line("used_memory_rss", m.rss);
  s.Line("used_memory_rss_human", HumanBytes(m.rss));
  s.Line("used_memory_peak", m.peak);
  s.Line("used_memory_peak_human", HumanBytes(m.peak));
  char perc[32];
  std::snprintf(perc, sizeof(perc), "%.2f%%", Div(used * 100, static_cast<double>(m.peak)));
  s.Line("used_memory_peak_perc", perc);
  s.Line("total_system_memory", SystemMemory());
  s.Line("total_system_memory_human", HumanBytes(SystemMemory()));
  size_t lua = st.scripts() != nullptr ? st.scripts()->memory() : 0;
  s.Line("used_memory_lua", lua);
  s.Line("used_memory_vm_eval", lua);
  s.Line("used_memory_lua_human", HumanBytes(lua));
  s.Line("used_memory_scripts_eval", "0");
  s.Line("number_of_cached_scripts", st.scripts() != nullptr ? st.scripts()->scripts() : 0);
  s.Line("number_of_functions", "0");
  s.Line("number_of_libraries", "0");
  s.Line("used_memory_vm_functions", "0");
  s.Line("used_memory_vm_total", lua);
  s.Line("used_memory_vm_total_human", HumanBytes(lua));
  s.Line("used_memory_functions", "0");
  s.Line("used_memory_scripts", "0");
  s.Line("used_memory_scripts_human", "0B");
  s.Line("maxmemory", st.config().maxmemory);
  s.Line("maxmemory_human", HumanBytes(static_cast<uint64_t>(st.config().maxmemory)));
  s.Line("maxmemory_policy", st.config().maxmemory_policy);
  s.Line("allocator_allocated", m.used);
  s.Line("allocator_active", m.active);
  s.Line("allocator_resident", m.resident);
  s.Ratio("allocator_frag_ratio", Div(static_cast<double>(m.active), used));
  s.Line("allocator_frag_bytes", static_cast<int64_t>(m.active) - static_cast<int64_t>(m.used));
  s.Ratio("allocator_rss_ratio",
          Div(static_cast<double>(m.resident), static_cast<double>(m.active)));
  s.Line("allocator_rss_bytes", static_cast<int64_t>(m.resident) - static_cast<int64_t>(m.active));
  s.Ratio("rss_overhead_ratio", Div(rss, static_cast<double>(m.resident)));
  s.Line("rss_overhead_bytes", static_cast<int64_t>(m.rss) - static_cast<int64_t>(m.resident));
  s.Ratio("mem_fragmentation_ratio", Div(rss, used));
  s.Line("mem_fragmentation_bytes", static_cast<int64_t>(m.rss) - static_cast<int64_t>(m.used));
  s.Line("mem_not_counted_for_evict", "0");
  s.Line("mem_replication_backlog", "0");
  s.Line("mem_total_replication_buffers", "0");
  s.Line("mem_clients_slaves", "0");
  s.Line("mem_clients_normal", "0");
  s.Line("mem_cluster_links", "0");
  s.Line("mem_aof_buffer", "0");
  s.Line("mem_allocator", MemoryAccountant::AllocatorName());
  s.Line("active_defrag_running", "0");
  s.Line("lazyfree_pending_objects", "0");
  s.Line("lazyfreed_objects", "0");
}

void PersistenceSection(CommandContext& ctx, Section& s) {
  Services& st = ctx.services;
  Backend& backend = st.backend();
  const bool snap = backend.has_snapshot_file();
  const SnapshotStatus& p = backend.snapshot_status();
  bool running = backend.SaveInProgress();
  int64_t now_ms = st.clock().NowMs();
  s.Line("loading", st.loading() ? "1" : "0");
  s.Line("async_loading", "0");
  s.Line("current_cow_peak", "0");
  s.Line("current_cow_size", "0");
  s.Line("current_cow_size_age", "0");
  s.Line("current_fork_perc", "0.00");
  s.Line("current_save_keys_processed", "0");
  s.Line("current_save_keys_total", "0");
  s.Line("rdb_changes_since_last_save", ctx.keyspace().dirty());
  s.Line("rdb_bgsave_in_progress", running ? "1" : "0");
  s.Line("rdb_last_save_time", snap ? p.last_save_s : st.start_ms() / 1000);
  s.Line("rdb_last_bgsave_status", p.last_bgsave_ok ? "ok" : "err");
  s.Line("rdb_last_bgsave_time_sec", p.last_bgsave_time_s);
  s.Line("rdb_current_bgsave_time_sec", running ? (now_ms - p.bgsave_started_ms) / 1000 : -1);
  s.Line("rdb_saves", p.saves);
  s.Line("rdb_last_cow_size", "0");
  s.Line("rdb_last_load_keys_expired", p.last_load_keys_expired);
  s.Line("rdb_last_load_keys_loaded", p.last_load_keys_loaded);
  s.Line("snapshot_file", backend.snapshot_path());
  s.Line("snapshot_last_error", p.last_error);
  if (Aof* aof = st.aof(); aof != nullptr) {
    aof->AppendInfo(&s.out());
  } else {
    // The unit tests' harness has no log.
    for (const char* line :
         {"aof_enabled:0", "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0",
          "aof_last_rewrite_time_sec:-1", "aof_current_rewrite_time_sec:-1",
          "aof_last_bgrewrite_status:ok", "aof_rewrites:0", "aof_rewrites_consecutive_failures:0",
          "aof_last_write_status:ok", "aof_last_cow_size:0"}) {
      s.out().append(line).append("\r\n");
    }
  }
  s.Line("module_fork_in_progress", "0");
  s.Line("module_fork_last_cow_size", "0");
  if (Aof* aof = st.aof(); aof != nullptr) aof->AppendInfoSizes(&s.out());
  s.Line("persistence_backend", st.config().persistence_backend);
  if (const std::optional<PostgresFigures> pg = backend.postgres_figures()) {
    const PostgresFigures& ps = *pg;
    s.Line("pg_connected", ps.connected ? "1" : "0");
    s.Line("pg_durability", st.config().postgres_durability);
    s.Line("pg_queue_keys", ps.queue_keys);
    s.Line("pg_batches_committed", ps.batches_committed);
    s.Line("pg_keys_committed", ps.keys_committed);
    s.Line("pg_rows_built_in_slices", ps.rows_built_in_slices);
    s.Line("pg_slice_restarts", ps.slice_restarts);
    s.Line("pg_last_commit_time", ps.last_commit_ms / 1000);
    s.Line("pg_last_commit_latency_us", ps.last_commit_latency_us);
    s.Line("pg_errors", ps.errors);
    s.Line("pg_last_error", ps.last_error);
    s.Line("pg_keys_loaded", ps.keys_loaded);
    s.Line("pg_pool_size", st.config().postgres_pool_size);
    s.Line("pg_connections_ready", ps.connections_ready);
    s.Line("pg_stalled_backends", ps.stalled_backends);
    s.Line("pg_cache_tier", ps.cache_tier ? "1" : "0");
    s.Line("pg_cold_values", engine::Database::cold_entries());
    s.Line("pg_values_dropped", st.keyspace().stats().dropped_values);
    s.Line("pg_value_reads", ps.fetches);
    s.Line("pg_values_read", ps.values_fetched);
    s.Line("pg_value_read_errors", ps.fetch_errors);
  }
}

void StatsSection(CommandContext& ctx, Section& s) {
  Services& st = ctx.services;
  const Stats& t = st.stats();
  const engine::KeyspaceStats& k = ctx.keyspace().stats();
  char ops[32];
  std::snprintf(ops, sizeof(ops), "%.0f", t.instantaneous_ops_per_sec);
  s.Line("total_connections_received", t.total_connections_received);
  s.Line("total_commands_processed", t.total_commands_processed);
  s.Line("instantaneous_ops_per_sec", ops);
  s.Line("total_net_input_bytes", t.total_net_input_bytes);
  s.Line("total_net_output_bytes", t.total_net_output_bytes);
  s.Line("total_net_repl_input_bytes", "0");
  s.Line("total_net_repl_output_bytes", "0");
  s.Line("rejected_connections", t.rejected_connections);
  s.Line("sync_full", "0");
  s.Line("sync_partial_ok", "0");
  s.Line("sync_partial_err", "0");
  s.Line("expired_keys", k.expired_keys);
  char stale[32];
  std::snprintf(stale, sizeof(stale), "%.2f", ctx.keyspace().StalePercent(1000000));
  s.Line("expired_stale_perc", stale);
  s.Line("expired_time_cap_reached_count", "0");
  s.Line("expire_cycle_cpu_milliseconds", k.expire_cycle_us / 1000);
  s.Line("evicted_keys", k.evicted_keys);
  s.Line("evicted_clients", "0");
  s.Line("total_eviction_exceeded_time", "0");
  s.Line("current_eviction_exceeded_time", "0");
  s.Line("keyspace_hits", k.keyspace_hits);
  s.Line("keyspace_misses", k.keyspace_misses);
  s.Line("pubsub_channels", std::to_string(st.pubsub().channel_count()));
  s.Line("pubsub_patterns", std::to_string(st.pubsub().pattern_count()));
  s.Line("pubsubshard_channels", std::to_string(st.pubsub().shard_channel_count()));
  if (st.backend().has_snapshot_file()) {
    s.Line("latest_fork_usec", st.backend().snapshot_status().latest_fork_usec);
    s.Line("total_forks", st.backend().snapshot_status().total_forks);
  } else {
    s.Line("latest_fork_usec", "0");
    s.Line("total_forks", "0");
  }
  s.Line("migrate_cached_sockets", "0");
  s.Line("slave_expires_tracked_keys", "0");
  s.Line("active_defrag_hits", "0");
  s.Line("active_defrag_misses", "0");
  s.Line("active_defrag_key_hits", "0");
  s.Line("active_defrag_key_misses", "0");
  s.Line("total_active_defrag_time", "0");
  s.Line("current_active_defrag_time", "0");
  s.Line("tracking_total_keys", std::to_string(ctx.services.tracking().key_count()));
  s.Line("tracking_total_items", std::to_string(ctx.services.tracking().item_count()));
  s.Line("tracking_total_prefixes", std::to_string(ctx.services.tracking().prefix_count()));
  s.Line("unexpected_error_replies", t.unexpected_error_replies);
  s.Line("total_error_replies", t.total_error_replies);
  s.Line("dump_payload_sanitizations", "0");
  s.Line("client_output_buffer_limit_disconnections", t.output_limit_disconnections);
  s.Line("cross_protocol_attacks", t.cross_protocol_attacks);
  s.Line("acl_access_denied_auth", t.acl_denied_auth);
  s.Line("acl_access_denied_cmd", t.acl_denied_cmd);
  s.Line("acl_access_denied_key", "0");
  s.Line("acl_access_denied_channel", "0");
  s.Line("acl_access_denied_namespace", t.acl_denied_namespace);
}

void ReplicationSection(CommandContext& ctx, Section& s) {
  // A master without replicas; the replication id is the run id (both 40 hex digits).
  s.Line("role", "master");
  s.Line("connected_slaves", "0");
  s.Line("master_failover_state", "no-failover");
  s.Line("master_replid", ctx.services.run_id());
  s.Line("master_replid2", std::string(40, '0'));
  s.Line("master_repl_offset", "0");
  s.Line("second_repl_offset", "-1");
  s.Line("repl_backlog_active", "0");
  s.Line("repl_backlog_size", ctx.config().compat.count("repl-backlog-size") != 0
                                  ? ctx.config().compat.at("repl-backlog-size")
                                  : std::string("1048576"));
  s.Line("repl_backlog_first_byte_offset", "0");
  s.Line("repl_backlog_histlen", "0");
}

void CpuSection(Section& s) {
  struct rusage self, children, thread;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  s.Line("used_cpu_sys", CpuTime(self.ru_stime));
  s.Line("used_cpu_user", CpuTime(self.ru_utime));
  s.Line("used_cpu_sys_children", CpuTime(children.ru_stime));
  s.Line("used_cpu_user_children", CpuTime(children.ru_utime));
  s.Line("used_cpu_sys_main_thread", CpuTime(thread.ru_stime));
  s.Line("used_cpu_user_main_thread", CpuTime(thread.ru_utime));
}

void CommandStatsSection(CommandContext& ctx, Section& s) {
  for (const auto& [name, cs] : ctx.services.stats().commands) {
    if (cs.calls == 0 && cs.rejected_calls == 0 && cs.failed_calls == 0) continue;
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
                  static_cast<unsigned long long>(cs.calls),
                  static_cast<unsigned long long>(cs.usec),
                  Div(static_cast<double>(cs.usec), static_cast<double>(cs.calls)),
                  static_cast<unsigned long long>(cs.rejected_calls),
                  static_cast<unsigned long long>(cs.failed_calls));
    s.Line("cmdstat_" + name, buf);
  }
}

void LatencyStatsSection(CommandContext& ctx, Section& s) {
  const std::vector<double>& percentiles = ctx.config().latency_tracking_percentiles;
  if (!ctx.config().latency_tracking || percentiles.empty()) return;
  for (const auto& [name, cs] : ctx.services.stats().commands) {
    if (cs.histogram.total() == 0) continue;
    std::string value;
    for (double p : percentiles) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%sp%s=%.3f", value.empty() ? "" : ",",
                    PercentileName(p).c_str(), cs.histogram.Percentile(p));
      value += buf;
    }
    s.Line("latency_percentiles_usec_" + name, value);
  }
}

void KeyspaceSection(CommandContext& ctx, Section& s) {
  for (int i = 0; i < ctx.keyspace().numbered_count(); ++i) {
    engine::Database& db = ctx.keyspace().db(i);
    if (db.size() == 0 || !ctx.services.CanUseNamespace(ctx.session, i)) continue;
    s.Line("db" + std::to_string(i), "keys=" + std::to_string(db.size()) + ",expires=" +
                                         std::to_string(db.expires_size()) + ",avg_ttl=0");
  }
}

// Redis 8's key size distribution: per database, string values by length and lists, sets, sorted
// sets and hashes by their number of elements (in that order, Redis' type order), in power-of-two
// bins (the bin is the largest power of two not above the size; 0 for empty values). A walk of the
// whole keyspace; a container whose value is in PostgreSQL only (the cache tier) is not counted.
void KeysizesSection(CommandContext& ctx, Section& s) {
  for (int i = 0; i < ctx.keyspace().numbered_count(); ++i) {
    engine::Database& db = ctx.keyspace().db(i);
    if (db.size() == 0 || !ctx.services.CanUseNamespace(ctx.session, i)) continue;
    std::map<uint64_t, uint64_t> strings, lists, sets, zsets, hashes;
    db.ForEach([&](engine::Entry* e) {
      if (e->container() && e->cold()) return;
      if (e->kind() == engine::Kind::kStream) return;
      uint64_t n = e->container() ? engine::ContainerSize(e) : e->value_size();
      auto& bins = e->kind() == engine::Kind::kHash   ? hashes
                   : e->kind() == engine::Kind::kSet  ? sets
                   : e->kind() == engine::Kind::kList ? lists
                   : e->kind() == engine::Kind::kZset ? zsets
                                                      : strings;
      bins[n == 0 ? 0 : uint64_t{1} << (63 - std::countl_zero(n))]++;
    });
    auto line = [&](const std::map<uint64_t, uint64_t>& bins, std::string_view name) {
      std::string value;
      for (const auto& [bin, count] : bins) {
        if (!value.empty()) value += ',';
        value += BinName(bin) + "=" + std::to_string(count);
      }
      if (!value.empty()) s.Line("db" + std::to_string(i) + "_distrib_" + std::string(name), value);
    };
    line(strings, "strings_sizes");
    line(lists, "lists_items");
    line(sets, "sets_items");
    line(zsets, "zsets_items");
    line(hashes, "hashes_items");
  }
}

// One section's text with its "# Title" line, or "" for a name INFO does not know.
std::string InfoSection(CommandContext& ctx, std::string_view name) {
  std::string out;
  Section s(out);
  auto title = [&](const char* t) { out += std::string("# ") + t + "\r\n"; };
  if (name == "server") {
    title("Server");
    ServerSection(ctx, s);
  } else if (name == "clients") {
    title("Clients");
    ClientsSection(ctx, s);
  } else if (name == "memory") {
    title("Memory");
    MemorySection(ctx, s);
  } else if (name == "persistence") {
    title("Persistence");
    PersistenceSection(ctx, s);
  } else if (name == "stats") {
    title("Stats");
    StatsSection(ctx, s);
  } else if (name == "replication") {
    title("Replication");
    ReplicationSection(ctx, s);
  } else if (name == "cpu") {
    title("CPU");
    CpuSection(s);
  } else if (name == "modules") {
    title("Modules");  // dkv loads no modules
  } else if (name == "commandstats") {
    title("Commandstats");
    CommandStatsSection(ctx, s);
  } else if (name == "errorstats") {
    title("Errorstats");
    for (const auto& [code, n] : ctx.services.stats().errors) {
      s.Line("errorstat_" + code, "count=" + std::to_string(n));
    }
  } else if (name == "latencystats") {
    title("Latencystats");
    LatencyStatsSection(ctx, s);
  } else if (name == "cluster") {
    title("Cluster");
    s.Line("cluster_enabled", "0");
  } else if (name == "keyspace") {
    title("Keyspace");
    KeyspaceSection(ctx, s);
  } else if (name == "keysizes") {
    title("Keysizes");
    KeysizesSection(ctx, s);
  }
  return out;
}

}  // namespace

void CmdInfo(CommandContext& ctx, Args argv) {
  // Redis 7's groups: default, all (every section), everything (all and the module sections;
  // dkv adds keysizes there). Sections come out in Redis' order, each once.
  static constexpr std::string_view kOrder[] = {
      "server",       "clients", "memory",   "persistence",  "stats",
      "replication",  "cpu",     "modules",  "commandstats", "errorstats",
      "latencystats", "cluster", "keyspace", "keysizes"};
  static constexpr std::string_view kDefault[] = {
      "server", "clients", "memory",     "persistence", "stats",   "replication",
      "cpu",    "modules", "errorstats", "cluster",     "keyspace"};
  std::unordered_set<std::string> wanted;
  auto add_default = [&] {
    for (std::string_view n : kDefault) wanted.emplace(n);
  };
  if (argv.size() == 1) add_default();
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string name = ToLower(argv[i]);
    if (name == "default") {
      add_default();
    } else if (name == "all" || name == "everything") {
      for (std::string_view n : kOrder) {
        if (n != "keysizes" || name == "everything") wanted.emplace(n);
      }
    } else if (wanted.size() < std::size(kOrder)) {
      // Unknown names are ignored, as Redis does; a set keeps 200,000 names cheap.
      if (std::find(std::begin(kOrder), std::end(kOrder), name) != std::end(kOrder)) {
        wanted.insert(std::move(name));
      }
    }
  }
  std::string text;
  for (std::string_view name : kOrder) {
    if (wanted.count(std::string(name)) == 0) continue;
    std::string section = InfoSection(ctx, name);
    if (!text.empty()) text += "\r\n";
    text += section;
  }
  ctx.reply.Verbatim(text);
}

}  // namespace dkv::server
