// Evictor: keeps used memory under `maxmemory` with Redis' policies.
//
// Like Redis, it approximates LRU/LFU/TTL order by sampling: each round takes
// `maxmemory-samples` keys per namespace (any key, or for volatile-* a key with a TTL, drawn
// uniformly from the radix tree or the expiry heap), merges them into a pool of the 16 best
// candidates seen so far, and evicts the best one still there. Keys leave through the normal
// delete path, so the index, the expiry heap, WATCH and the stats stay consistent. Work is bounded
// by a time budget per call; the server calls it before commands while memory is over the limit
// and from its cron, so a lowered maxmemory converges without a stall. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace.h"

namespace dkv::server {

enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kVolatileLru,
  kAllKeysLfu,
  kVolatileLfu,
  kAllKeysRandom,
  kVolatileRandom,
  kVolatileTtl,
};
EvictionPolicy ParseEvictionPolicy(const std::string& name);  // maxmemory-policy values

class Evictor {
 public:
  enum class Result {
    kOk,       // under the limit
    kRunning,  // still over, the time budget ran out; later calls continue
    kFail,     // over the limit and nothing can be evicted (noeviction, no volatile keys)
  };

  // Over PostgreSQL (the cache tier): eviction drops the values of keys `clean` says are
  // committed, never the keys; unset: eviction deletes keys, as in Redis.
  using CleanFn = std::function<bool(int db, std::string_view key)>;
  void set_drop_values(CleanFn clean) { clean_ = std::move(clean); }

  // Evicts until `used()` <= maxmemory or `budget_us` is spent.
  Result Run(engine::Keyspace& keyspace, EvictionPolicy policy, size_t maxmemory, int samples,
             const std::function<size_t()>& used, int64_t budget_us);

 private:
  struct Candidate {
    double score;  // higher: evict first
    int db;
    std::string key;
  };
  void Sample(engine::Keyspace& keyspace, EvictionPolicy policy, int samples);
  bool EvictOne(engine::Keyspace& keyspace, EvictionPolicy policy, int samples);
  // Drops one clean value, the best of up to 64 rounds of `samples` random warm keys.
  bool DropOne(engine::Keyspace& keyspace, EvictionPolicy policy, int samples, int64_t deadline_us);
  double Score(engine::Keyspace& keyspace, engine::Database& db, engine::Entry* e,
               EvictionPolicy policy);

  CleanFn clean_;
  int64_t drop_failed_us_ = INT64_MIN / 2;
  std::vector<Candidate> pool_;  // ascending by score, at most kPoolSize
};

}  // namespace dkv::server
