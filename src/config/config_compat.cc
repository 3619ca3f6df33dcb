// Redis options that dkv accepts and shows but that change nothing in dkv: replication, AOF,
// cluster, TLS, encodings of types dkv does not have, process management. Clients and Redis'
// own tests read them (CONFIG GET) and set them back (CONFIG SET to what GET said), so each is
// kept with Redis 7.2's default and validated by its kind; the value lives in Config::compat.
// The table is facts about Redis (names, defaults, kinds); docs/configuration.md lists them.
#include <algorithm>

#include "engine/numbers.h"
#include "resp/text.h"
#include "src/config/config.h"

namespace dkv::server {
namespace {

enum Kind { kString, kBool, kInt, kMemory, kPercentOrMemory, kEnum };

struct CompatOption {
  std::string_view name;
  std::string_view default_value;
  Kind kind;
  bool mutable_at_runtime;
  std::string_view alias_of;  // the value is kept under this name
  std::string_view choices;   // kEnum: "a|b|c"
  bool hidden;
};

// Redis 7.2's options (CONFIG GET * of a default server), minus those dkv implements.
constexpr CompatOption kOptions[] = {
    {"acl-pubsub-default", "resetchannels", kEnum, true, "", "allchannels|resetchannels", false},
    {"aclfile", "", kString, false, "", "", false},
    {"acllog-max-len", "128", kInt, true, "", "", false},
    {"active-defrag-cycle-max", "25", kInt, true, "", "", false},
    {"active-defrag-cycle-min", "1", kInt, true, "", "", false},
    {"active-defrag-ignore-bytes", "104857600", kMemory, true, "", "", false},
    {"active-defrag-max-scan-fields", "1000", kInt, true, "", "", false},
    {"active-defrag-threshold-lower", "10", kInt, true, "", "", false},
    {"active-defrag-threshold-upper", "100", kInt, true, "", "", false},
    {"active-expire-effort", "1", kInt, true, "", "", false},
    {"activedefrag", "no", kBool, true, "", "", false},
    {"activerehashing", "yes", kBool, true, "", "", false},
    {"always-show-logo", "no", kBool, false, "", "", false},
    {"aof-disable-auto-gc", "no", kBool, true, "", "", false},
    {"aof-rewrite-incremental-fsync", "yes", kBool, true, "", "", false},
    {"aof-use-rdb-preamble", "yes", kBool, true, "", "", false},
    {"aof_rewrite_cpulist", "", kString, false, "", "", false},
    {"bgsave_cpulist", "", kString, false, "", "", false},
    {"bind-source-addr", "", kString, true, "", "", false},
    {"bio_cpulist", "", kString, false, "", "", false},
    {"cluster-allow-pubsubshard-when-down", "yes", kBool, true, "", "", false},
    {"cluster-allow-reads-when-down", "no", kBool, true, "", "", false},
    {"cluster-allow-replica-migration", "yes", kBool, true, "", "", false},
    {"cluster-announce-bus-port", "0", kInt, true, "", "", false},
    {"cluster-announce-hostname", "", kString, true, "", "", false},
    {"cluster-announce-ip", "", kString, true, "", "", false},
    {"cluster-announce-port", "0", kInt, true, "", "", false},
    {"cluster-announce-tls-port", "0", kInt, true, "", "", false},
    {"cluster-config-file", "nodes.conf", kString, false, "", "", false},
    {"cluster-enabled", "no", kBool, false, "", "", false},
    {"cluster-link-sendbuf-limit", "0", kMemory, true, "", "", false},
    {"cluster-migration-barrier", "1", kInt, true, "", "", false},
    {"cluster-node-timeout", "15000", kInt, true, "", "", false},
    {"cluster-port", "0", kInt, false, "", "", false},
    {"cluster-preferred-endpoint-type", "ip", kEnum, true, "", "ip|hostname|unknown-endpoint",
     false},
    {"cluster-replica-no-failover", "no", kBool, true, "", "", false},
    {"cluster-replica-validity-factor", "10", kInt, true, "", "", false},
    {"cluster-require-full-coverage", "yes", kBool, true, "", "", false},
    {"cluster-slave-no-failover", "no", kBool, true, "cluster-replica-no-failover", "", false},
    {"cluster-slave-validity-factor", "10", kInt, true, "cluster-replica-validity-factor", "",
     false},
    {"crash-log-enabled", "yes", kBool, true, "", "", false},
    {"crash-memcheck-enabled", "yes", kBool, true, "", "", false},
    {"daemonize", "no", kBool, false, "", "", false},
    {"disable-thp", "yes", kBool, false, "", "", false},
    {"dynamic-hz", "yes", kBool, true, "", "", false},
    {"enable-module-command", "no", kEnum, false, "", "no|yes|local", false},
    {"enable-protected-configs", "no", kEnum, false, "", "no|yes|local", false},
    {"hll-sparse-max-bytes", "3000", kInt, true, "", "", false},
    {"ignore-warnings", "", kString, true, "", "", false},
    {"io-threads", "1", kInt, false, "", "", false},
    {"io-threads-do-reads", "no", kBool, false, "", "", false},
    {"jemalloc-bg-thread", "yes", kBool, true, "", "", false},
    {"lazyfree-lazy-eviction", "no", kBool, true, "", "", false},
    {"lazyfree-lazy-expire", "no", kBool, true, "", "", false},
    {"lazyfree-lazy-server-del", "no", kBool, true, "", "", false},
    {"lazyfree-lazy-user-del", "no", kBool, true, "", "", false},
    {"masterauth", "", kString, true, "", "", false},
    {"masteruser", "", kString, true, "", "", false},
    {"maxmemory-clients", "0", kPercentOrMemory, true, "", "", false},
    {"maxmemory-eviction-tenacity", "10", kInt, true, "", "", false},
    {"min-replicas-max-lag", "10", kInt, true, "", "", false},
    {"min-replicas-to-write", "0", kInt, true, "", "", false},
    {"min-slaves-max-lag", "10", kInt, true, "min-replicas-max-lag", "", false},
    {"min-slaves-to-write", "0", kInt, true, "min-replicas-to-write", "", false},
    {"oom-score-adj", "no", kEnum, true, "", "no|yes|relative|absolute", false},
    {"oom-score-adj-values", "0 200 800", kString, true, "", "", false},
    {"pidfile", "", kString, false, "", "", false},
    {"proc-title-template", "{title} {listen-addr} {server-mode}", kString, true, "", "", false},
    {"propagation-error-behavior", "ignore", kEnum, true, "", "ignore|panic|panic-on-replicas",
     false},
    {"rdb-del-sync-files", "no", kBool, true, "", "", false},
    {"rdb-save-incremental-fsync", "yes", kBool, true, "", "", false},
    {"rdbchecksum", "yes", kBool, false, "", "", false},
    {"repl-backlog-size", "1048576", kMemory, true, "", "", false},
    {"repl-backlog-ttl", "3600", kInt, true, "", "", false},
    {"repl-disable-tcp-nodelay", "no", kBool, true, "", "", false},
    {"repl-diskless-load", "disabled", kEnum, true, "", "disabled|on-empty-db|swapdb", false},
    {"repl-diskless-sync", "yes", kBool, true, "", "", false},
    {"repl-diskless-sync-delay", "5", kInt, true, "", "", false},
    {"repl-diskless-sync-max-replicas", "0", kInt, true, "", "", false},
    {"repl-ping-replica-period", "10", kInt, true, "", "", false},
    {"repl-ping-slave-period", "10", kInt, true, "repl-ping-replica-period", "", false},
    {"repl-timeout", "60", kInt, true, "", "", false},
    {"replica-announce-ip", "", kString, true, "", "", false},
    {"replica-announce-port", "0", kInt, true, "", "", false},
    {"replica-announced", "yes", kBool, true, "", "", false},
    {"replica-ignore-disk-write-errors", "no", kBool, true, "", "", false},
    {"replica-ignore-maxmemory", "yes", kBool, true, "", "", false},
    {"replica-lazy-flush", "no", kBool, true, "", "", false},
    {"replica-priority", "100", kInt, true, "", "", false},
    {"replica-read-only", "yes", kBool, true, "", "", false},
    {"replica-serve-stale-data", "yes", kBool, true, "", "", false},
    {"replicaof", "", kString, false, "", "", false},
    {"sanitize-dump-payload", "no", kEnum, true, "", "no|yes|clients", false},
    {"server_cpulist", "", kString, false, "", "", false},
    {"set-proc-title", "yes", kBool, false, "", "", false},
    {"shutdown-on-sigint", "default", kString, true, "", "", false},
    {"shutdown-on-sigterm", "default", kString, true, "", "", false},
    {"shutdown-timeout", "10", kInt, true, "", "", false},
    {"slave-announce-ip", "", kString, true, "replica-announce-ip", "", false},
    {"slave-announce-port", "0", kInt, true, "replica-announce-port", "", false},
    {"slave-ignore-maxmemory", "yes", kBool, true, "replica-ignore-maxmemory", "", false},
    {"slave-lazy-flush", "no", kBool, true, "replica-lazy-flush", "", false},
    {"slave-priority", "100", kInt, true, "replica-priority", "", false},
    {"slave-read-only", "yes", kBool, true, "replica-read-only", "", false},
    {"slave-serve-stale-data", "yes", kBool, true, "replica-serve-stale-data", "", false},
    {"slaveof", "", kString, false, "replicaof", "", false},
    {"socket-mark-id", "0", kInt, false, "", "", false},
    {"supervised", "no", kEnum, false, "", "upstart|systemd|auto|no", false},
    {"syslog-enabled", "no", kBool, false, "", "", false},
    {"syslog-facility", "local0", kEnum, false, "",
     "user|local0|local1|local2|local3|local4|local5|local6|local7", false},
    {"syslog-ident", "redis", kString, false, "", "", false},
    {"tcp-backlog", "511", kInt, false, "", "", false},
    {"tls-auth-clients", "yes", kBool, true, "", "", false},
    {"tls-ca-cert-dir", "", kString, true, "", "", false},
    {"tls-ca-cert-file", "", kString, true, "", "", false},
    {"tls-cert-file", "", kString, true, "", "", false},
    {"tls-ciphers", "", kString, true, "", "", false},
    {"tls-ciphersuites", "", kString, true, "", "", false},
    {"tls-client-cert-file", "", kString, true, "", "", false},
    {"tls-client-key-file", "", kString, true, "", "", false},
    {"tls-client-key-file-pass", "", kString, true, "", "", false},
    {"tls-cluster", "no", kBool, true, "", "", false},
    {"tls-dh-params-file", "", kString, true, "", "", false},
    {"tls-key-file", "", kString, true, "", "", false},
    {"tls-key-file-pass", "", kString, true, "", "", false},
    {"tls-port", "0", kInt, true, "", "", false},
    {"tls-prefer-server-ciphers", "no", kBool, true, "", "", false},
    {"tls-protocols", "", kString, true, "", "", false},
    {"tls-replication", "no", kBool, true, "", "", false},
    {"tls-session-cache-size", "20480", kInt, true, "", "", false},
    {"tls-session-cache-timeout", "300", kInt, true, "", "", false},
    {"tls-session-caching", "yes", kBool, true, "", "", false},
    {"locale-collate", "", kString, true, "", "", false},
    {"cluster-announce-human-nodename", "", kString, true, "", "", false},
    {"key-load-delay", "0", kInt, true, "", "", true},
    {"loading-process-events-interval-bytes", "2097152", kInt, true, "", "", true},
};

std::string Check(const CompatOption& o, std::string_view v, std::string* normalized) {
  std::string lower = text::ToLower(v);
  switch (o.kind) {
    case kString:
      *normalized = std::string(v);
      return "";
    case kBool:
      if (lower != "yes" && lower != "no") return "argument must be 'yes' or 'no'";
      *normalized = lower;
      return "";
    case kInt: {
      int64_t n;
      if (!engine::ParseInt64(v, &n)) return "argument couldn't be parsed into an integer";
      *normalized = std::to_string(n);
      return "";
    }
    case kMemory: {
      int64_t n;
      if (!ParseMemory(v, &n)) return "argument must be a memory value";
      *normalized = std::to_string(n);
      return "";
    }
    case kPercentOrMemory: {
      int64_t n;
      if (!v.empty() && v.back() == '%') {
        if (!engine::ParseInt64(v.substr(0, v.size() - 1), &n) || n < 0) {
          return "argument must be a memory or percent value";
        }
        if (n > 100) return "percentage argument must be less or equal to 100";
        *normalized = std::to_string(n) + "%";
        return "";
      }
      if (!ParseMemory(v, &n)) return "argument must be a memory or percent value";
      *normalized = std::to_string(n);
      return "";
    }
    case kEnum: {
      std::string_view rest = o.choices;
      while (!rest.empty()) {
        size_t bar = rest.find('|');
        std::string_view choice = rest.substr(0, bar);
        if (choice == lower) {
          *normalized = lower;
          return "";
        }
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
      }
      std::string list(o.choices);
      std::string out;
      for (char c : list) out += c == '|' ? std::string(", ") : std::string(1, c);
      return "argument(s) must be one of the following: " + out;
    }
  }
  return "";
}

}  // namespace

void AddCompatParams(std::vector<ConfigParam>* params) {
  for (const CompatOption& o : kOptions) {
    std::string_view key = o.alias_of.empty() ? o.name : o.alias_of;
    std::string_view fallback = o.default_value;
    ConfigParam p{o.name,
                  o.mutable_at_runtime,
                  "Redis option kept for compatibility; no effect.",
                  [&o, key](Config& c, std::string_view v) -> std::string {
                    std::string value;
                    if (std::string err = Check(o, v, &value); !err.empty()) return err;
                    c.compat[std::string(key)] = std::move(value);
                    return "";
                  },
                  [key, fallback](const Config& c) -> std::string {
                    auto it = c.compat.find(key);
                    return it == c.compat.end() ? std::string(fallback) : it->second;
                  },
                  o.alias_of};
    p.hidden = o.hidden;
    p.compat = true;
    p.compat_default = o.default_value;
    p.redis_immutable = !o.mutable_at_runtime;
    params->push_back(std::move(p));
  }
}

}  // namespace dkv::server
