#include "src/http/metrics.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

#include "src/core/server_state.h"
#include "src/core/version.h"
#include "src/scripting/scripting.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

// One label: name="value" (the value escaped when written).
struct Label {
  std::string_view name;
  std::string_view value;
};

// Writes families in the text format: HELP and TYPE once, then the family's samples.
class MetricsWriter {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (char c : help) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    Name(name, labels);
    char buf[40];
    if (value == static_cast<double>(static_cast<int64_t>(value)) && value < 9e15 &&
        value > -9e15) {
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
    } else {
      std::snprintf(buf, sizeof(buf), "%.15g", value);
    }
    out_ += buf;
    out_ += '\n';
  }
  void Sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value) {
    Name(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
  }
  // A family with one unlabelled sample.
  void Single(std::string_view name, std::string_view type, std::string_view help, double value) {
    Family(name, type, help);
    Sample(name, {}, value);
  }
  void Single(std::string_view name, std::string_view type, std::string_view help, uint64_t value) {
    Family(name, type, help);
    Sample(name, {}, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Name(std::string_view name, std::initializer_list<Label> labels) {
    out_ += name;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const Label& l : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += l.name;
        out_ += "=\"";
        out_ += EscapeLabelValue(l.value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
  }

  std::string out_;
};

double Seconds(int64_t us) { return static_cast<double>(us) / 1e6; }

void Persistence(MetricsWriter& w, ServerState& st) {
  w.Family("dkv_persistence_backend", "gauge",
           "The persistence backend in use (1 for the one named by the label).");
  w.Sample("dkv_persistence_backend", {{"backend", st.config.persistence_backend}}, uint64_t{1});
  const Backend& backend = st.backend();
  const std::optional<PostgresFigures> pg = backend.postgres_figures();
  if (backend.has_snapshot_file() && !pg) {
    const SnapshotStatus& p = backend.snapshot_status();
    w.Single("dkv_snapshot_changes_since_last_save", "gauge",
             "Writes since the last successful snapshot.", st.keyspace.dirty());
    w.Single("dkv_snapshot_last_save_timestamp_seconds", "gauge",
             "Unix time of the last successful snapshot (or of the start).",
             static_cast<uint64_t>(std::max<int64_t>(p.last_save_s, 0)));
    w.Single("dkv_snapshot_in_progress", "gauge", "1 while a background save runs.",
             uint64_t{backend.SaveInProgress() ? 1u : 0u});
    w.Single("dkv_snapshot_last_save_ok", "gauge", "1 when the last background save succeeded.",
             uint64_t{p.last_bgsave_ok ? 1u : 0u});
    w.Single("dkv_snapshot_saves_total", "counter", "Successful snapshots since start.", p.saves);
    w.Single("dkv_forks_total", "counter", "Background save processes forked.", p.total_forks);
    w.Single("dkv_latest_fork_seconds", "gauge", "Duration of the latest fork.",
             Seconds(p.latest_fork_usec));
  }
  if (pg) {
    const PostgresFigures& ps = *pg;
    w.Single("dkv_postgres_connected", "gauge", "1 while the PostgreSQL connection is up.",
             uint64_t{ps.connected ? 1u : 0u});
    w.Single("dkv_postgres_queue_keys", "gauge", "Changes waiting to be committed to PostgreSQL.",
             static_cast<uint64_t>(ps.queue_keys));
    w.Single("dkv_postgres_batches_committed_total", "counter",
             "Transactions committed to PostgreSQL.", ps.batches_committed);
    w.Single("dkv_postgres_keys_committed_total", "counter", "Keys written to PostgreSQL.",
             ps.keys_committed);
    w.Single("dkv_postgres_last_commit_timestamp_seconds", "gauge",
             "Unix time of the last commit to PostgreSQL (0: none yet).",
             static_cast<double>(ps.last_commit_ms) / 1000.0);
    w.Single("dkv_postgres_last_commit_latency_seconds", "gauge",
             "Time the last batch took from send to commit.", Seconds(ps.last_commit_latency_us));
    w.Single("dkv_postgres_errors_total", "counter", "Failed PostgreSQL batches and connects.",
             ps.errors);
    w.Single("dkv_postgres_connections_ready", "gauge",
             "Connections of the pool that can commit batches.",
             static_cast<uint64_t>(ps.connections_ready));
    w.Single("dkv_postgres_cold_values", "gauge",
             "Keys whose value the cache tier dropped from memory (in PostgreSQL only).",
             static_cast<uint64_t>(engine::Database::cold_entries()));
    w.Single("dkv_postgres_values_dropped_total", "counter",
             "Values the cache tier dropped from memory under maxmemory.",
             st.keyspace.stats().dropped_values);
    w.Single("dkv_postgres_values_read_total", "counter",
             "Values read back from PostgreSQL for commands that needed them.", ps.values_fetched);
    w.Single("dkv_postgres_value_read_errors_total", "counter",
             "Value reads that failed (PostgreSQL unreachable, a failed query).", ps.fetch_errors);
  }
}

void Commands(MetricsWriter& w, const Stats& stats) {
  w.Family("dkv_command_calls_total", "counter", "Calls per command (subcommands as cmd|sub).");
  for (const auto& [name, cs] : stats.commands) {
    w.Sample("dkv_command_calls_total", {{"command", name}}, cs.calls);
  }
  w.Family("dkv_command_failed_calls_total", "counter",
           "Calls per command whose reply was an error.");
  for (const auto& [name, cs] : stats.commands) {
    w.Sample("dkv_command_failed_calls_total", {{"command", name}}, cs.failed_calls);
  }
  w.Family("dkv_command_rejected_calls_total", "counter",
           "Calls per command refused before running (arity, auth, OOM, MISCONF, BUSY).");
  for (const auto& [name, cs] : stats.commands) {
    w.Sample("dkv_command_rejected_calls_total", {{"command", name}}, cs.rejected_calls);
  }
  w.Family("dkv_command_duration_seconds", "histogram",
           "Time commands took to run on the event loop (not counting network time).");
  char le[32];
  for (const auto& [name, cs] : stats.commands) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      cumulative += cs.latency[i];
      if (i + 1 < kLatencyBuckets) {
        std::snprintf(le, sizeof(le), "%g", Seconds(kLatencyBucketsUs[i]));
      } else {
        std::snprintf(le, sizeof(le), "+Inf");
      }
      w.Sample("dkv_command_duration_seconds_bucket", {{"command", name}, {"le", le}}, cumulative);
    }
    w.Sample("dkv_command_duration_seconds_sum", {{"command", name}},
             Seconds(static_cast<int64_t>(cs.usec)));
    w.Sample("dkv_command_duration_seconds_count", {{"command", name}}, cumulative);
  }
  w.Family("dkv_errors_total", "counter", "Error replies by error code (ERR, WRONGTYPE, ...).");
  for (const auto& [code, n] : stats.errors) w.Sample("dkv_errors_total", {{"code", code}}, n);
}

void Keyspace(MetricsWriter& w, ServerState& st, const SubtreeSizer& sizer, const AclUser* user) {
  engine::Keyspace& ks = st.keyspace;
  w.Family("dkv_keys", "gauge", "Keys per namespace (numbered databases are namespaces 0-15).");
  for (int i = 0; i < ks.database_count(); ++i) {
    if (ks.db(i).size() == 0) continue;
    w.Sample("dkv_keys", {{"namespace", ks.NamespaceName(i)}},
             static_cast<uint64_t>(ks.db(i).size()));
  }
  w.Family("dkv_keys_with_expiry", "gauge", "Keys with a TTL per namespace.");
  for (int i = 0; i < ks.database_count(); ++i) {
    if (ks.db(i).size() == 0) continue;
    w.Sample("dkv_keys_with_expiry", {{"namespace", ks.NamespaceName(i)}},
             static_cast<uint64_t>(ks.db(i).expires_size()));
  }
  const auto& sized = sizer.result();
  w.Family("dkv_namespace_bytes", "gauge",
           "Bytes the keys of a namespace use (sum of MEMORY USAGE), as of the last sizing pass.");
  for (const SubtreeSizer::Namespace& ns : sized) {
    w.Sample("dkv_namespace_bytes", {{"namespace", ns.name}}, ns.total_bytes);
  }
  // Subtree labels are key names: hidden ones are summed into dkv_subtree_other_*, so the
  // figures still add up to the namespace's.
  const bool hide = HttpHidesKeyNames(st, user);
  w.Family("dkv_subtree_keys", "gauge",
           "Keys under each of the largest top-level subtrees of a namespace "
           "(metrics-max-subtrees of them), as of the last sizing pass; none without a password "
           "unless http-show-keys is on.");
  for (const SubtreeSizer::Namespace& ns : sized) {
    if (hide) break;
    for (const auto& t : ns.top) {
      w.Sample("dkv_subtree_keys", {{"namespace", ns.name}, {"subtree", t.name}}, t.keys);
    }
  }
  w.Family("dkv_subtree_bytes", "gauge",
           "Bytes (sum of MEMORY USAGE) under each subtree of dkv_subtree_keys, as of the last "
           "sizing pass.");
  for (const SubtreeSizer::Namespace& ns : sized) {
    if (hide) break;
    for (const auto& t : ns.top) {
      w.Sample("dkv_subtree_bytes", {{"namespace", ns.name}, {"subtree", t.name}}, t.bytes);
    }
  }
  w.Family("dkv_subtree_other_keys", "gauge",
           "Keys of a namespace outside the subtrees listed in dkv_subtree_keys.");
  for (const SubtreeSizer::Namespace& ns : sized) {
    uint64_t keys = ns.other_keys;
    if (hide) {
      for (const auto& t : ns.top) keys += t.keys;
    }
    w.Sample("dkv_subtree_other_keys", {{"namespace", ns.name}}, keys);
  }
  w.Family("dkv_subtree_other_bytes", "gauge",
           "Bytes of the keys counted in dkv_subtree_other_keys.");
  for (const SubtreeSizer::Namespace& ns : sized) {
    uint64_t bytes = ns.other_bytes;
    if (hide) {
      for (const auto& t : ns.top) bytes += t.bytes;
    }
    w.Sample("dkv_subtree_other_bytes", {{"namespace", ns.name}}, bytes);
  }
  w.Single("dkv_subtree_sizing_timestamp_seconds", "gauge",
           "Unix time the last sizing pass of dkv_subtree_* and dkv_namespace_bytes completed "
           "(0: none yet; a pass runs while /metrics is scraped, at most once a second).",
           static_cast<double>(sizer.completed_ms()) / 1000.0);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  // Label values must be UTF-8, and distinct keys must stay distinct labels: a byte that does
  // not start a well-formed UTF-8 sequence (a binary key's segment) is written %XX, and '%'
  // itself %25, so the mapping is reversible.
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  auto percent = [&](unsigned char c) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c < 0x80) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '"') {
        out += "\\\"";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '%') {
        percent(c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 3) {
      // No overlong forms, no surrogates.
      ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] > 0x9F);
    }
    if (ok && len == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] > 0x8F);
    if (ok) {
      out.append(value.substr(i, len));
      i += len;
    } else {
      percent(c);
      ++i;
    }
  }
  return out;
}

bool HttpHidesKeyNames(const ServerState& st, const AclUser* user) {
  if (st.config.http_show_keys) return false;
  return !st.acl.default_requires_auth() || (user != nullptr && user->nopass);
}

std::string RenderMetrics(ServerState& st, const SubtreeSizer& sizer, const HttpFigures& http,
                          const AclUser* user) {
  MetricsWriter w;
  const int64_t now_ms = st.clock->NowMs();
  w.Family("dkv_build_info", "gauge", "Version of dkv and of the Redis protocol it speaks.");
  w.Sample("dkv_build_info", {{"version", kDkvVersion}, {"redis_version", kRedisCompatVersion}},
           uint64_t{1});
  w.Single("dkv_uptime_seconds", "gauge", "Seconds since the server started.",
           static_cast<uint64_t>(std::max<int64_t>(now_ms - st.start_ms, 0) / 1000));
  w.Single("dkv_start_time_seconds", "gauge", "Unix time the server started.",
           static_cast<double>(st.start_ms) / 1000.0);

  // Clients and traffic.
  const Stats& t = st.stats;
  w.Single("dkv_connected_clients", "gauge", "RESP clients connected now.",
           static_cast<uint64_t>(st.clients.size()));
  w.Single("dkv_max_clients", "gauge", "The maxclients setting.",
           static_cast<uint64_t>(st.config.maxclients));
  w.Single("dkv_connections_received_total", "counter", "RESP connections accepted.",
           t.total_connections_received);
  w.Single("dkv_rejected_connections_total", "counter",
           "RESP connections refused (maxclients reached).", t.rejected_connections);
  w.Single("dkv_commands_processed_total", "counter", "Commands run.", t.total_commands_processed);
  w.Single("dkv_instantaneous_ops_per_second", "gauge",
           "Commands per second over the last sampling period (INFO's "
           "instantaneous_ops_per_sec).",
           t.instantaneous_ops_per_sec);
  w.Single("dkv_net_input_bytes_total", "counter", "Bytes read from RESP clients.",
           t.total_net_input_bytes);
  w.Single("dkv_net_output_bytes_total", "counter", "Bytes written to RESP clients.",
           t.total_net_output_bytes);
  w.Single("dkv_error_replies_total", "counter", "Error replies sent.", t.total_error_replies);
  w.Single("dkv_http_connections", "gauge", "HTTP connections open now.", http.connections);
  w.Single("dkv_http_requests_total", "counter", "HTTP requests answered.", http.requests);
  w.Single("dkv_http_rejected_connections_total", "counter",
           "HTTP connections closed at accept (http-max-connections reached).",
           http.rejected_connections);

  // Memory.
  MemoryFigures m = st.hooks != nullptr ? st.hooks->Memory() : MemoryFigures{};
  w.Single("dkv_memory_used_bytes", "gauge", "Bytes allocated (INFO used_memory).",
           static_cast<uint64_t>(m.used));
  w.Single("dkv_memory_rss_bytes", "gauge", "Resident set size of the process.",
           static_cast<uint64_t>(m.rss));
  w.Single("dkv_memory_peak_bytes", "gauge", "Highest dkv_memory_used_bytes since start.",
           static_cast<uint64_t>(m.peak));
  w.Single("dkv_memory_max_bytes", "gauge", "The maxmemory setting (0: no limit).",
           static_cast<uint64_t>(std::max<int64_t>(st.config.maxmemory, 0)));
  w.Single("dkv_memory_lua_bytes", "gauge", "Bytes the Lua interpreter uses.",
           static_cast<uint64_t>(st.scripts != nullptr ? st.scripts->memory() : 0));

  // The cache.
  const engine::KeyspaceStats& k = st.keyspace.stats();
  w.Single("dkv_keyspace_hits_total", "counter", "Reads that found their key.", k.keyspace_hits);
  w.Single("dkv_keyspace_misses_total", "counter", "Reads that did not find their key.",
           k.keyspace_misses);
  w.Single("dkv_evicted_keys_total", "counter", "Keys evicted by maxmemory-policy.",
           k.evicted_keys);
  w.Single("dkv_expired_keys_total", "counter", "Keys removed because their TTL passed.",
           k.expired_keys);

  struct rusage self;
  getrusage(RUSAGE_SELF, &self);
  w.Single("dkv_cpu_user_seconds_total", "counter", "User CPU time of the server process.",
           static_cast<double>(self.ru_utime.tv_sec) + self.ru_utime.tv_usec / 1e6);
  w.Single("dkv_cpu_system_seconds_total", "counter", "System CPU time of the server process.",
           static_cast<double>(self.ru_stime.tv_sec) + self.ru_stime.tv_usec / 1e6);

  Persistence(w, st);
  Keyspace(w, st, sizer, user);
  Commands(w, t);
  return w.Take();
}

// --- SubtreeSizer ---

char SubtreeSizer::Separator() const {
  return state_->config.key_separator.empty() ? '.' : state_->config.key_separator[0];
}

void SubtreeSizer::Request(int64_t now_ms) {
  const int64_t wait_ms = std::max(kMinPassIntervalMs, last_pass_us_ * kCostFactor / 1000);
  if (active_ || (completed_ms_ != 0 && now_ms - completed_ms_ < wait_ms)) return;
  active_ = true;
  started_ms_ = now_ms;
  pass_us_ = 0;
  db_ = -1;
  building_.clear();
  current_ = Namespace{};
  // Step() moves to the first namespace with keys.
  FinishNamespace();
}

void SubtreeSizer::StartNamespace() {
  engine::Database& db = state_->keyspace.db(db_);
  const char sep = Separator();
  current_ = Namespace{};
  current_.name = state_->keyspace.NamespaceName(db_);
  index_.clear();
  resume_after_.clear();
  resume_ = false;
  // The root segments and the keys under each, from the index: O(roots x key length).
  std::vector<Subtree> roots;
  db.ForEachChild("", sep, [&](const std::string& root) {
    Subtree s;
    s.name = root;
    s.keys = db.CountSubtree(root, sep);
    roots.push_back(std::move(s));
    return roots.size() < kMaxRootsScanned;
  });
  size_t keep = std::min(roots.size(), static_cast<size_t>(state_->config.metrics_max_subtrees));
  std::partial_sort(roots.begin(), roots.begin() + static_cast<ptrdiff_t>(keep), roots.end(),
                    [](const Subtree& a, const Subtree& b) {
                      return a.keys != b.keys ? a.keys > b.keys : a.name < b.name;
                    });
  roots.resize(keep);
  uint64_t listed = 0;
  for (size_t i = 0; i < roots.size(); ++i) {
    index_.emplace(roots[i].name, i);
    listed += roots[i].keys;
  }
  current_.top = std::move(roots);
  current_.other_keys = db.size() > listed ? db.size() - listed : 0;
}

void SubtreeSizer::FinishNamespace() {
  if (db_ >= 0) {
    // Key counts as of now, from the index: the data may have changed (FLUSHALL, SWAPDB)
    // while the bytes were summed.
    engine::Database& db = state_->keyspace.db(db_);
    const char sep = Separator();
    uint64_t listed = 0;
    for (Subtree& t : current_.top) {
      t.keys = db.CountSubtree(t.name, sep);
      listed += t.keys;
    }
    current_.other_keys = db.size() > listed ? db.size() - listed : 0;
    if (db.size() > 0 || current_.total_bytes > 0) building_.push_back(std::move(current_));
  }
  current_ = Namespace{};
  engine::Keyspace& ks = state_->keyspace;
  do {
    ++db_;
  } while (db_ < ks.database_count() && ks.db(db_).size() == 0);
  if (db_ >= ks.database_count()) {
    result_ = std::move(building_);
    building_.clear();
    active_ = false;
    completed_ms_ = state_->clock->NowMs();
    return;
  }
  StartNamespace();
}

void SubtreeSizer::Step(size_t budget) {
  if (!active_) return;
  const int64_t start_us = state_->clock->NowUs();
  const char sep = Separator();
  while (active_ && budget > 0) {
    engine::Database& db = state_->keyspace.db(db_);
    bool more = false;
    engine::Entry* last = nullptr;  // valid until the walk ends: nothing changes meanwhile
    db.Walk("", resume_after_, resume_, [&](engine::Entry* e) {
      if (budget == 0) {
        more = true;
        return false;
      }
      --budget;
      std::string_view key = e->key();
      last = e;
      uint64_t bytes = db.MemoryUsage(e);
      current_.total_bytes += bytes;
      size_t seg_end = key.find(sep);
      auto it = index_.find(key.substr(0, seg_end));
      if (it != index_.end()) {
        current_.top[it->second].bytes += bytes;
      } else {
        current_.other_bytes += bytes;
      }
      return true;
    });
    if (last != nullptr) {
      resume_after_.assign(last->key());
      resume_ = true;
    }
    if (!more) FinishNamespace();
  }
  // The loop time this pass has taken; a new one waits kCostFactor times as long.
  pass_us_ += state_->clock->NowUs() - start_us;
  if (!active_) last_pass_us_ = pass_us_;
}

}  // namespace dkv::server
