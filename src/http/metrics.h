// Metrics: the server's figures in Prometheus' text exposition format (GET /metrics), and the
// background sizer that weighs each namespace's largest top-level subtrees.
//
// Every family has HELP and TYPE lines; counters end in _total, sizes are in bytes and times in
// seconds. Label cardinality is bounded: per-command series exist only for commands that were
// called, and per-subtree series for at most metrics-max-subtrees subtrees per namespace (the rest
// are summed in dkv_subtree_other_*). docs/operations.md lists every metric. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dkv::server {

struct AclUser;
struct ServerState;

// Keys and bytes of the largest top-level subtrees ("app" for app.config.db) of each namespace.
// Key counts are exact when a pass starts (O(segment) each, from the index); bytes (MEMORY USAGE
// of every key) need a walk of the namespace, done in bounded slices: the scrape itself walks up to
// kScrapeBudget keys (a small keyspace is then sized fresh for every scrape), and the cron
// continues a larger one kCronBudget keys per tick, so no client waits long behind it. A pass runs
// only while someone reads the figures (Request), and a new one starts only after
// kCostFactor times the time the last one took (at least kMinPassIntervalMs): sizing uses at
// most about 2% of the loop, however large the keyspace and however often /metrics is read.
class SubtreeSizer {
 public:
  static constexpr int64_t kMinPassIntervalMs = 1000;
  static constexpr size_t kScrapeBudget = 2000;
  static constexpr size_t kCronBudget = 5000;
  static constexpr int64_t kCostFactor = 50;
  // Root segments looked at per namespace when choosing the largest subtrees.
  static constexpr size_t kMaxRootsScanned = 10000;

  struct Subtree {
    std::string name;  // the top-level segment
    uint64_t keys = 0;
    uint64_t bytes = 0;
  };
  struct Namespace {
    std::string name;
    std::vector<Subtree> top;  // by key count, largest first
    uint64_t other_keys = 0;   // keys outside the listed subtrees
    uint64_t other_bytes = 0;
    uint64_t total_bytes = 0;
  };

  explicit SubtreeSizer(ServerState* state) : state_(state) {}

  // The figures were read now: starts a pass when the last one is older than the interval.
  void Request(int64_t now_ms);
  // Walks up to `budget` keys of the pass in progress, if any.
  void Step(size_t budget);
  bool in_progress() const { return active_; }
  // The last completed pass (empty before the first), and when it completed.
  const std::vector<Namespace>& result() const { return result_; }
  int64_t completed_ms() const { return completed_ms_; }
  // Loop time the last completed pass took, in microseconds.
  int64_t last_pass_us() const { return last_pass_us_; }

 private:
  void StartNamespace();
  void FinishNamespace();
  char Separator() const;  // key-separator

  ServerState* state_;
  bool active_ = false;
  int64_t started_ms_ = 0;
  int64_t completed_ms_ = 0;
  int64_t pass_us_ = 0;  // loop time spent on the pass in progress
  int64_t last_pass_us_ = 0;
  int db_ = 0;                // the namespace being walked
  std::string resume_after_;  // the last key walked in it
  bool resume_ = false;
  Namespace current_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // segment -> position in current_.top
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> index_;
  std::vector<Namespace> building_;
  std::vector<Namespace> result_;
};

// The HTTP listener's own figures.
struct HttpFigures {
  uint64_t connections = 0;
  uint64_t requests = 0;
  uint64_t rejected_connections = 0;
};

// Whether the HTTP listener hides key names from a request: http-show-keys is off and the
// request needs no password (the default user has none, or `user` is a `nopass` user). Any local
// process, and a web page whose DNS name is rebound to 127.0.0.1, can then read the listener, so
// /metrics folds the per-subtree series into dkv_subtree_other_* and the API refuses the
// keyspace browser and the slow log's arguments.
bool HttpHidesKeyNames(const ServerState& state, const AclUser* user = nullptr);

// The text of GET /metrics (per-subtree series only when !HttpHidesKeyNames(state)).
std::string RenderMetrics(ServerState& state, const SubtreeSizer& sizer,
                          const HttpFigures& http = {}, const AclUser* user = nullptr);

// Escapes a label value for the text format (\\, \" and \n).
std::string EscapeLabelValue(std::string_view value);

}  // namespace dkv::server
