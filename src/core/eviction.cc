#include "src/core/eviction.h"

#include <algorithm>
#include <limits>

namespace dkv::server {
namespace {

constexpr size_t kPoolSize = 16;

bool VolatileOnly(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

bool RandomPolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysRandom || p == EvictionPolicy::kVolatileRandom;
}

// `samples` random keys of every namespace that has any (keys with a TTL only, for the volatile
// policies): fn(index, db, entry) for each.
template <typename Fn>
void ForEachSample(engine::Keyspace& ks, EvictionPolicy policy, int samples, Fn fn) {
  for (int d = 0; d < ks.database_count(); ++d) {
    engine::Database& db = ks.db(d);
    if (VolatileOnly(policy) ? db.expires_size() == 0 : db.size() == 0) continue;
    for (int i = 0; i < samples; ++i) {
      engine::Entry* e =
          VolatileOnly(policy) ? db.RandomVolatile(ks.rng()) : db.RandomEntry(ks.rng());
      if (e != nullptr) fn(d, db, e);
    }
  }
}

}  // namespace

EvictionPolicy ParseEvictionPolicy(const std::string& name) {
  if (name == "allkeys-lru") return EvictionPolicy::kAllKeysLru;
  if (name == "volatile-lru") return EvictionPolicy::kVolatileLru;
  if (name == "allkeys-lfu") return EvictionPolicy::kAllKeysLfu;
  if (name == "volatile-lfu") return EvictionPolicy::kVolatileLfu;
  if (name == "allkeys-random") return EvictionPolicy::kAllKeysRandom;
  if (name == "volatile-random") return EvictionPolicy::kVolatileRandom;
  if (name == "volatile-ttl") return EvictionPolicy::kVolatileTtl;
  return EvictionPolicy::kNoEviction;
}

double Evictor::Score(engine::Keyspace& ks, engine::Database& db, engine::Entry* e,
                      EvictionPolicy policy) {
  const int64_t now = ks.now_ms();
  switch (policy) {
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return 255 - engine::LfuDecay(e->lfu_counter(), e->accessed_ms(), now,
                                    ks.access_policy().lfu_decay_minutes);
    case EvictionPolicy::kVolatileTtl:
      return -static_cast<double>(db.ExpireAt(e));  // sooner expiry first
    case EvictionPolicy::kAllKeysRandom:
    case EvictionPolicy::kVolatileRandom:
      return 0;
    default:
      return static_cast<double>(now - e->accessed_ms());  // idle time
  }
}

bool Evictor::DropOne(engine::Keyspace& ks, EvictionPolicy policy, int samples,
                      int64_t deadline_us) {
  // Most keys may be cold already: sampling goes on (bounded) until it finds warm clean ones.
  for (int round = 0; round < 64; ++round) {
    if (round > 0 && ks.clock().NowUs() > deadline_us) return false;
    engine::Database* best_db = nullptr;
    engine::Entry* best = nullptr;
    double best_score = 0;
    ForEachSample(ks, policy, samples, [&](int d, engine::Database& db, engine::Entry* e) {
      if (e->cold() || e->value_size() == 0 || !clean_(d, e->key())) return;
      double score = Score(ks, db, e, policy);
      if (best == nullptr || score > best_score) {
        best = e;
        best_db = &db;
        best_score = score;
      }
    });
    if (best != nullptr) {
      best_db->DropValue(best);
      ks.stats().dropped_values++;
      return true;
    }
  }
  return false;
}

void Evictor::Sample(engine::Keyspace& ks, EvictionPolicy policy, int samples) {
  ForEachSample(ks, policy, samples, [&](int d, engine::Database& db, engine::Entry* e) {
    double score = Score(ks, db, e, policy);
    std::string key(e->key());
    bool present = false;
    for (const Candidate& c : pool_) present = present || (c.db == d && c.key == key);
    if (present) return;
    if (pool_.size() >= kPoolSize) {
      if (score <= pool_.front().score) return;
      pool_.erase(pool_.begin());
    }
    Candidate cand{score, d, std::move(key)};
    auto pos = std::lower_bound(pool_.begin(), pool_.end(), cand.score,
                                [](const Candidate& c, double s) { return c.score < s; });
    pool_.insert(pos, std::move(cand));
  });
}

bool Evictor::EvictOne(engine::Keyspace& ks, EvictionPolicy policy, int samples) {
  if (RandomPolicy(policy)) {
    // Random: any key of a random namespace; then, for sparse keyspaces, of each in turn.
    const int n = ks.database_count();
    for (int attempt = 0; attempt < 2 * n; ++attempt) {
      int d = attempt < n ? static_cast<int>(ks.rng()() % static_cast<uint64_t>(n)) : attempt - n;
      engine::Database& db = ks.db(d);
      engine::Entry* e =
          VolatileOnly(policy) ? db.RandomVolatile(ks.rng()) : db.RandomEntry(ks.rng());
      if (e == nullptr) continue;
      db.Evict(e);
      return true;
    }
    return false;
  }
  for (int round = 0; round < 4; ++round) {
    Sample(ks, policy, round == 0 ? samples : 2 * samples);
    while (!pool_.empty()) {
      Candidate best = std::move(pool_.back());
      pool_.pop_back();
      engine::Database& db = ks.db(best.db);
      engine::Entry* e = db.FindRaw(best.key);
      if (e == nullptr || (VolatileOnly(policy) && !e->has_expire())) continue;  // gone
      db.Evict(e);
      return true;
    }
  }
  return false;
}

Evictor::Result Evictor::Run(engine::Keyspace& ks, EvictionPolicy policy, size_t maxmemory,
                             int samples, const std::function<size_t()>& used, int64_t budget_us) {
  if (maxmemory == 0 || used() <= maxmemory) return Result::kOk;
  if (policy == EvictionPolicy::kNoEviction) return Result::kFail;
  const int64_t start = ks.clock().NowUs();
  // Over PostgreSQL, a search that found nothing to drop (every warm value dirty or pinned) is
  // not repeated for a millisecond: commands meanwhile get the same answer at no cost.
  if (clean_ && start - drop_failed_us_ < 1000) return Result::kFail;
  for (int n = 0;; ++n) {
    if (clean_ && !DropOne(ks, policy, samples, start + budget_us)) {
      if (used() <= maxmemory) return Result::kOk;
      if (ks.clock().NowUs() - start > budget_us) return Result::kRunning;
      drop_failed_us_ = ks.clock().NowUs();
      return Result::kFail;
    }
    if (!clean_ && !EvictOne(ks, policy, samples))
      return used() <= maxmemory ? Result::kOk : Result::kFail;
    if (used() <= maxmemory) return Result::kOk;
    if ((n & 15) == 15 && ks.clock().NowUs() - start > budget_us) return Result::kRunning;
  }
}

}  // namespace dkv::server
