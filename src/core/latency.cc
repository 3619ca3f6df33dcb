#include "src/core/latency.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

namespace dkv::server {

namespace {
constexpr size_t kLinear = 16;   // exact buckets for 0..15 us
constexpr size_t kPerPower = 8;  // buckets per power of two above
constexpr size_t kBucketCount = kLinear + (64 - 4) * kPerPower;
}  // namespace

size_t LatencyHistogram::Index(uint64_t us) {
  if (us < kLinear) return static_cast<size_t>(us);
  size_t k = 63 - static_cast<size_t>(std::countl_zero(us));  // >= 4
  size_t sub = static_cast<size_t>(us >> (k - 3)) & (kPerPower - 1);
  return kLinear + (k - 4) * kPerPower + sub;
}

uint64_t LatencyHistogram::Upper(size_t index) {
  if (index < kLinear) return index;
  size_t k = (index - kLinear) / kPerPower + 4;
  uint64_t sub = (index - kLinear) % kPerPower;
  uint64_t lower = (kPerPower + sub) << (k - 3);
  return lower + ((uint64_t{1} << (k - 3)) - 1);
}

void LatencyHistogram::Record(int64_t us) {
  if (counts_.empty()) counts_.assign(kBucketCount, 0);
  counts_[Index(static_cast<uint64_t>(std::max<int64_t>(us, 0)))]++;
  total_++;
}

double LatencyHistogram::Percentile(double percentile) const {
  if (total_ == 0) return 0;
  double wanted = std::ceil(percentile / 100.0 * static_cast<double>(total_));
  uint64_t target = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (counts_[i] != 0 && seen >= target) return static_cast<double>(Upper(i));
  }
  return static_cast<double>(Upper(counts_.size() - 1));
}

void LatencyHistogram::PowerOfTwoBuckets(
    const std::function<void(int64_t upper_us, uint64_t calls)>& f) const {
  uint64_t seen = 0, reported = 0;
  size_t i = 0;
  for (int j = 0; j < 63 && reported < total_; ++j) {
    const uint64_t bound = uint64_t{1} << j;
    while (i < counts_.size() && Upper(i) <= bound) seen += counts_[i++];
    if (j == 62) seen = total_;  // everything left
    if (seen > reported) {
      f(static_cast<int64_t>(bound), seen);
      reported = seen;
    }
  }
}

void LatencyMonitor::Add(std::string_view event, int64_t now_s, int64_t ms) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), LatencyEventLog{}).first;
  LatencyEventLog& log = it->second;
  if (!log.samples.empty() && log.samples.back().time_s == now_s) {
    log.samples.back().ms = std::max(log.samples.back().ms, ms);
  } else {
    if (log.samples.size() == LatencyEventLog::kSamples) log.samples.erase(log.samples.begin());
    log.samples.push_back({now_s, ms});
  }
  log.max_ms = std::max(log.max_ms, ms);
}

const LatencyEventLog* LatencyMonitor::Find(std::string_view event) const {
  auto it = events_.find(event);
  return it == events_.end() ? nullptr : &it->second;
}

size_t LatencyMonitor::Reset(const std::vector<std::string>& names) {
  if (names.empty()) {
    size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (const std::string& name : names) n += events_.erase(name);
  return n;
}

std::string LatencyGraph(std::string_view event, const LatencyEventLog& log, int64_t now_s) {
  int64_t high = 0, low = INT64_MAX;
  for (const LatencySample& s : log.samples) {
    high = std::max(high, s.ms);
    low = std::min(low, s.ms);
  }
  if (log.samples.empty()) low = 0;
  char head[256];
  std::snprintf(head, sizeof(head), "%.*s - high %lld ms, low %lld ms (all time high %lld ms)\n",
                static_cast<int>(event.size()), event.data(), static_cast<long long>(high),
                static_cast<long long>(low), static_cast<long long>(log.max_ms));
  std::string out = head;
  out += std::string(80, '-') + "\n";
  // One column per sample, 8 rows tall, scaled between low and high; then how many seconds
  // ago each sample was, written downwards.
  constexpr int kRows = 8;
  const int64_t span = std::max<int64_t>(1, high - low);
  for (int row = kRows; row >= 1; --row) {
    std::string line;
    for (const LatencySample& s : log.samples) {
      int height = static_cast<int>(1 + (s.ms - low) * (kRows - 1) / span);
      line += height > row ? '|' : (height == row ? '#' : ' ');
    }
    out += line + "\n";
  }
  std::vector<std::string> ages;
  size_t width = 0;
  for (const LatencySample& s : log.samples) {
    int64_t age = std::max<int64_t>(0, now_s - s.time_s);
    std::string a = age < 60 ? std::to_string(age) + "s" : std::to_string(age / 60) + "m";
    width = std::max(width, a.size());
    ages.push_back(std::move(a));
  }
  for (size_t r = 0; r < width; ++r) {
    std::string line;
    for (const std::string& a : ages) line += r < a.size() ? a[r] : ' ';
    out += line + "\n";
  }
  return out;
}

std::string LatencyDoctor(const LatencyMonitor& monitor, int64_t threshold_ms) {
  std::string out;
  if (threshold_ms == 0) {
    out +=
        "The latency monitor is off (latency-monitor-threshold is 0): no event is recorded. "
        "Set it to a number of milliseconds (CONFIG SET latency-monitor-threshold 100) to record "
        "the commands and background work that take at least that long.\n";
  }
  if (monitor.events().empty()) {
    out += "No latency event has been recorded since the start or the last LATENCY RESET.\n";
    return out;
  }
  out += "Latency events recorded (threshold " + std::to_string(threshold_ms) + " ms):\n";
  int i = 1;
  for (const auto& [name, log] : monitor.events()) {
    int64_t sum = 0;
    for (const LatencySample& s : log.samples) sum += s.ms;
    int64_t avg = log.samples.empty() ? 0 : sum / static_cast<int64_t>(log.samples.size());
    out += std::to_string(i++) + ". " + name + ": " + std::to_string(log.samples.size()) +
           " latency spikes (average " + std::to_string(avg) + " ms, worst " +
           std::to_string(log.max_ms) + " ms).\n";
    if (name == "command") {
      out +=
          "   Slow commands: see SLOWLOG GET; commands over O(N) on large values, scripts and "
          "DEBUG SLEEP block every client while they run.\n";
    } else if (name == "fast-command") {
      out += "   Commands flagged fast were slow: the machine may be overloaded or swapping.\n";
    } else if (name == "expire-cycle") {
      out += "   The active expiry cycle was slow: many keys expired at the same time.\n";
    }
  }
  return out;
}

}  // namespace dkv::server
