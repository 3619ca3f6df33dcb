// Latency bookkeeping behind LATENCY and INFO latencystats: a per-command latency histogram
// (owned by each CommandStats in src/core/stats.h; fed by the dispatcher when latency-tracking
// is on) and the latency monitor's event log (owned by Stats; fed by the dispatcher and the
// expiry cycle when an event takes at least latency-monitor-threshold ms). Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::server {

// Durations in microseconds, log-linear: exact below 16, then 8 buckets per power of two (each
// value known within 1/8). Empty (no allocation) until the first Record.
class LatencyHistogram {
 public:
  void Record(int64_t us);
  void Clear() {
    counts_.clear();
    total_ = 0;
  }
  uint64_t total() const { return total_; }
  // The smallest recorded bucket's upper value at or above `percentile` (0..100) of the calls.
  double Percentile(double percentile) const;
  // LATENCY HISTOGRAM's buckets: calls up to each power of two microseconds (1, 2, 4, ...),
  // cumulative, only where the count grows.
  void PowerOfTwoBuckets(const std::function<void(int64_t upper_us, uint64_t calls)>& f) const;

 private:
  static size_t Index(uint64_t us);
  static uint64_t Upper(size_t index);
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// The latency monitor: per event name, the last 160 seconds that had a sample (the largest of
// each second) and the largest ever.
struct LatencySample {
  int64_t time_s;
  int64_t ms;
};

struct LatencyEventLog {
  static constexpr size_t kSamples = 160;
  std::vector<LatencySample> samples;  // oldest first, at most kSamples
  int64_t max_ms = 0;
};

class LatencyMonitor {
 public:
  void Add(std::string_view event, int64_t now_s, int64_t ms);
  // Each event's log, by name.
  const std::map<std::string, LatencyEventLog, std::less<>>& events() const { return events_; }
  const LatencyEventLog* Find(std::string_view event) const;
  // Forgets the named events (every event when `names` is empty); returns how many it forgot.
  size_t Reset(const std::vector<std::string>& names);

 private:
  std::map<std::string, LatencyEventLog, std::less<>> events_;
};

// LATENCY GRAPH's text for one event's log (header line, then an ASCII chart).
std::string LatencyGraph(std::string_view event, const LatencyEventLog& log, int64_t now_s);
// LATENCY DOCTOR's text.
std::string LatencyDoctor(const LatencyMonitor& monitor, int64_t threshold_ms);

}  // namespace dkv::server
