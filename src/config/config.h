// Config: every server option, its default, its parser and whether it may change at run time.
//
// One table drives the YAML file (conf/dkv.yaml: `name: value` with Redis' option names), the
// command line (`--name value`), CONFIG GET/SET and the docs. Values are kept typed in Config's
// fields. Loop thread only (except reads before the loop starts).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::server {

// One user of `users:` in the configuration file (src/security/acl.h).
struct UserConfig {
  std::string name;
  std::string password;  // "sha256:<salt hex>:<digest hex>" (dkv-server --hash-password)
  bool nopass = false;
  bool enabled = true;
  std::vector<std::string> namespaces;  // empty or "*": all
  bool read_only = false;
  std::string commands;  // rules, "+@all" when empty
  // Redis' ACL rules as ACL LIST prints them after the name ("on #<sha256> ~k* +@read"); when
  // given, the fields above stay at their defaults (src/security/acl.h). CONFIG REWRITE writes
  // users this way.
  std::string rules;
};

// Limits of a client's unsent output (client-output-buffer-limit normal <hard> <soft> <secs>).
struct OutputBufferLimit {
  int64_t hard = 0;  // bytes; 0: none
  int64_t soft = 0;
  int64_t soft_seconds = 0;
};

struct Config {
  std::string bind = "127.0.0.1";
  int port = 6379;
  std::string unixsocket;
  int unixsocketperm = 0;
  std::string dir = ".";
  std::string dbfilename = "dump.dkv";
  int databases = 16;
  int max_namespaces = 1024;
  int maxclients = 10000;
  int64_t timeout = 0;  // seconds idle before a client is closed; 0 = never
  int tcp_keepalive = 300;
  std::string requirepass;
  std::vector<UserConfig> users;
  std::string aclfile;  // Redis' ACL file; users come from it instead of `users:`
  int64_t acllog_max_len = 128;
  bool protected_mode = true;
  OutputBufferLimit output_limit;
  // client-output-buffer-limit's pubsub class: clients with a subscription (Redis' default).
  OutputBufferLimit pubsub_output_limit{32LL * 1024 * 1024, 8LL * 1024 * 1024, 60};
  std::string loglevel = "notice";
  std::string logfile;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t hll_sparse_max_bytes = 3000;  // a sparse HyperLogLog past this becomes dense
  // When hashes and sets leave their small encodings (engine::ContainerLimits).
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t set_max_listpack_entries = 128;
  int64_t set_max_listpack_value = 64;
  // Lists (engine::ContainerLimits): a node's size (negative: -1..-5 are 4..64 KiB; positive:
  // items) and how many nodes at each end stay uncompressed (0: none is compressed).
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  // Streams (engine::StreamLimits): a node's entries and bytes (0: no limit).
  int64_t stream_node_max_bytes = 4096;
  int64_t stream_node_max_entries = 100;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int maxmemory_samples = 5;
  int lfu_log_factor = 10;
  int lfu_decay_time = 1;
  int hz = 10;
  int64_t slowlog_log_slower_than = 10000;
  int64_t slowlog_max_len = 128;
  // Client tracking: keys remembered for default-mode clients before the oldest are invalidated
  // (0: no bound).
  int64_t tracking_table_max_keys = 1000000;
  std::string key_separator = ".";
  std::string save = "3600 1 300 100 60 10000";
  bool stop_writes_on_bgsave_error = true;
  bool rdbcompression = true;
  bool snapshot_load_partial = false;
  int64_t rdb_key_save_delay = 0;       // microseconds per key; a test knob
  int64_t busy_reply_threshold = 5000;  // ms a script runs before others get -BUSY
  std::string persistence_backend = "snapshot";
  std::string postgres_dsn;
  std::string postgres_table = "dkv_keys";
  std::string postgres_durability = "async";
  int64_t postgres_batch_size = 1000;
  int64_t postgres_flush_interval = 10;  // ms
  int64_t postgres_queue_bound = 1000000;
  std::string postgres_startup = "exit";
  int64_t postgres_pool_size = 4;
  int64_t postgres_response_timeout = 60000;
  // The append-only log (src/core/aof.h): Redis 7.2's names and defaults.
  bool appendonly = false;
  std::string appendfsync = "everysec";
  std::string appenddirname = "appendonlydir";
  std::string appendfilename = "appendonly.aof";
  bool no_appendfsync_on_rewrite = false;
  bool aof_timestamp_enabled = false;
  bool aof_load_truncated = true;
  int64_t auto_aof_rewrite_percentage = 100;
  int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
  bool lazyfree_lazy_user_flush = false;
  // notify-keyspace-events as NotifyType bits (src/config/notify_flags.h); 0: off.
  uint32_t notify_keyspace_events = 0;
  int http_port = 0;  // the observability listener (/metrics, the browser page); 0: off
  bool http_show_values = false;
  bool http_show_keys = false;  // key names over HTTP without a password
  int http_max_connections = 64;
  int metrics_max_subtrees = 50;
  // The latency monitor (LATENCY): record an event when one takes at least this many ms; 0 off.
  int64_t latency_monitor_threshold = 0;
  // Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats) and their percentiles.
  bool latency_tracking = true;
  std::vector<double> latency_tracking_percentiles = {50.0, 99.0, 99.9};
  // DEBUG: "no", "yes", or "local" (only from loopback or unix socket). Fixed at start.
  std::string enable_debug_command = "no";
  // Redis options dkv accepts and shows but that change nothing in dkv (src/config/
  // config_compat.cc lists them with Redis' defaults): name -> value, only those set.
  std::map<std::string, std::string, std::less<>> compat;
  std::string config_file;  // absolute path of the file loaded, if any
};

struct ConfigParam {
  std::string_view name;
  bool mutable_at_runtime;
  std::string_view description;
  // Parses and stores `value`; returns an empty string or the reason it was refused.
  std::function<std::string(Config&, std::string_view value)> set;
  std::function<std::string(const Config&)> get;
  // For an older name kept for Redis' sake (lua-time-limit): the option it stands for.
  std::string_view alias_of = {};
  // Not listed by CONFIG GET patterns, only by its exact name (Redis' hidden test options).
  bool hidden = false;
  // A Redis option kept for clients' sake that changes nothing in dkv (config_compat.cc); its
  // Redis default, which CONFIG REWRITE leaves out of the file.
  bool compat = false;
  std::string_view compat_default = {};
  // Immutable in Redis too: CONFIG SET refuses it even to its current value. Other options
  // that dkv cannot change at run time accept their current value (a no-op), as clients and
  // Redis' own tests set every option to what CONFIG GET said.
  bool redis_immutable = false;
};

// Adds the Redis options of config_compat.cc to `params`.
void AddCompatParams(std::vector<ConfigParam>* params);

const std::vector<ConfigParam>& ConfigParams();
const ConfigParam* FindConfigParam(std::string_view name);

// Loads a YAML file of `name: value` pairs into *config. Returns "" or an error naming the file
// and the option.
std::string LoadConfigFile(const std::string& path, Config* config);
// The same from the file's text (`path` names it in errors). Refuses texts over kMaxConfigBytes
// and bracket nesting over kMaxConfigNesting before parsing.
inline constexpr size_t kMaxConfigBytes = 4 * 1024 * 1024;
inline constexpr size_t kMaxConfigNesting = 64;
std::string LoadConfigText(std::string_view text, const std::string& path, Config* config);
// Applies `dkv-server [file] [--name value ...]`. Returns "" or the error.
std::string ParseCommandLine(int argc, char** argv, Config* config);

// One point of the `save` schedule: save when `changes` writes happened within `seconds`.
struct SavePoint {
  int64_t seconds;
  int64_t changes;
};
// Parses Redis' `save` value: "" (no schedule) or pairs "<seconds> <changes> ...". Returns false
// when it is not that.
bool ParseSavePoints(std::string_view text, std::vector<SavePoint>* out);

// Redis' memory values: "100", "1k" (1000), "1kb" (1024), "2mb", "1gb", case-insensitive.
bool ParseMemory(std::string_view s, int64_t* out);

}  // namespace dkv::server
