// Host: what the PostgreSQL backend needs of the server that runs it, instead of the server's
// state: the settings (fixed at start, and those CONFIG SET may change), where its log lines
// go, and two notices back (loading started or ended; the load failed and the server must
// stop). The server implements it (src/postgres_host.*); the unit tests implement it with
// plain values. The backend borrows the host for its whole life. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::persistence::postgres {

enum class LogLevel { kVerbose, kNotice, kWarning };

// Settings read once, at Start.
struct Options {
  std::string dsn;                 // postgres.dsn
  std::string table = "dkv_keys";  // postgres.table (letters, digits and '_' only)
  bool startup_wait = false;       // postgres.startup is 'wait'
  int64_t pool_size = 4;           // postgres.pool-size
  int max_namespaces = 1024;       // max-namespaces
  // The cache tier is on (maxmemory with an evicting policy): only keys and metadata load.
  bool cache_tier = false;
};

// Settings read on every use (CONFIG SET may change them).
struct Tunables {
  bool sync = false;                    // postgres.durability is 'sync'
  int64_t batch_size = 1000;            // postgres.batch-size
  int64_t flush_interval_ms = 10;       // postgres.flush-interval
  int64_t queue_bound = 1000000;        // postgres.queue-bound
  int64_t response_timeout_ms = 60000;  // postgres.response-timeout
  bool eviction_on = false;             // maxmemory set with an evicting policy
};

class Host {
 public:
  virtual ~Host() = default;
  virtual Tunables tunables() const = 0;
  // One log line (the text after the log's prefix).
  virtual void Log(LogLevel level, std::string_view message) = 0;
  // The rows are streaming in (true) or are all in (false): commands get -LOADING meanwhile.
  virtual void SetLoading(bool loading) = 0;
  // Loading failed after the port opened: the keyspace is incomplete, the server must stop
  // (with exit status 1).
  virtual void LoadFailed() = 0;
};

// printf-style formatting into Host::Log.
void Logf(Host& host, LogLevel level, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace dkv::persistence::postgres
