// Stats and SlowLog: the server's counters (connections, commands per name with their latency
// histogram, errors per code, ACL refusals, the latency monitor) and the slow log. The dispatcher
// and the network layer count into them; INFO, SLOWLOG, /metrics and the HTTP API read them. Owned
// by ServerState, reached by handlers through Services. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/latency.h"
#include "src/core/session.h"

namespace dkv::server {

// Upper bounds, in microseconds, of the command latency histogram's buckets (the last bucket,
// beyond them, is +Inf).
inline constexpr int64_t kLatencyBucketsUs[] = {10,     25,     50,     100,    250,   500,
                                                1000,   2500,   5000,   10000,  25000, 50000,
                                                100000, 250000, 500000, 1000000};
inline constexpr size_t kLatencyBuckets = std::size(kLatencyBucketsUs) + 1;

struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  // Calls per latency bucket (not cumulative); the index of a duration is LatencyBucket().
  uint64_t latency[kLatencyBuckets] = {};
  // Finer, for INFO latencystats' percentiles and LATENCY HISTOGRAM (when latency-tracking).
  LatencyHistogram histogram;
};

inline size_t LatencyBucket(int64_t duration_us) {
  size_t i = 0;
  while (i < std::size(kLatencyBucketsUs) && duration_us > kLatencyBucketsUs[i]) ++i;
  return i;
}

struct Stats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t output_limit_disconnections = 0;  // client-output-buffer-limit
  uint64_t cross_protocol_attacks = 0;       // connections closed for POST / Host: (HTTP)
  uint64_t acl_denied_auth = 0;              // failed AUTH / HELLO AUTH / HTTP basic auth
  uint64_t acl_denied_cmd = 0;               // commands a user may not run
  uint64_t acl_denied_key = 0;               // keys a user may not touch (key patterns)
  uint64_t acl_denied_channel = 0;           // channels a user may not use
  uint64_t acl_denied_namespace = 0;         // namespaces a user may not use
  std::map<std::string, CommandStats, std::less<>> commands;  // by full lower-case name
  std::map<std::string, uint64_t, std::less<>> errors;        // by error code (ERR, WRONGTYPE..)
  // Distinct error codes tracked at most (as Redis' errorstats): scripts can invent codes
  // (redis.error_reply), and INFO and /metrics must stay bounded. Later new codes count only in
  // total_error_replies.
  static constexpr size_t kMaxErrorCodes = 128;
  void CountError(std::string_view code) {
    auto it = errors.find(code);
    if (it != errors.end()) {
      ++it->second;
    } else if (errors.size() < kMaxErrorCodes) {
      errors.emplace(std::string(code), 1);
    }
  }
  // LATENCY's event log (latency-monitor-threshold).
  LatencyMonitor latency_monitor;
  // Instantaneous ops/sec, sampled by the cron.
  uint64_t last_sample_ms = 0;
  uint64_t last_sample_commands = 0;
  double instantaneous_ops_per_sec = 0;
};

struct SlowLogEntry {
  uint64_t id;
  int64_t time_s;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string addr;
  std::string name;
};

class SlowLog {
 public:
  // `secret(i)`: argument i shows as "(redacted)" (the command row's secret arguments).
  void Record(int64_t now_s, int64_t duration_us, const std::vector<std::string_view>& argv,
              const Session& session, int64_t max_len, const std::function<bool(size_t)>& secret);
  const std::deque<SlowLogEntry>& entries() const { return entries_; }
  void Reset() { entries_.clear(); }
  void Trim(int64_t max_len);

 private:
  std::deque<SlowLogEntry> entries_;  // newest first
  uint64_t next_id_ = 0;
};

}  // namespace dkv::server
