// Sorted-set operations (ZADD, ZREM, ZRANGE*, ZPOP*, the *STORE forms; GEO* on top): reads of a
// sorted set in either encoding and the writes, which own their side effects as every engine
// write does. Order is by score, then by member bytes (memcmp), as in Redis.
//
// Encodings (engine/container.h), as Redis 7.2 names them: kZsetPacked ("listpack"), member and
// score items inline in the entry in order; past zset-max-listpack-entries / -value
// (ContainerLimits) kZsetSkiplist ("skiplist"), a pointer to a skiplist with spans (rank in
// O(log n)) plus a member -> score dict the entry owns. Never back, except a *STORE result,
// which is built in the encoding its size calls for. A sorted set that loses its last member is
// deleted. Scores are never NaN. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/container.h"
#include "engine/database.h"

namespace dkv::engine {

struct ScoredMember {
  std::string member;
  double score = 0;
};

// A score interval: min/max with exclusive flags ("(1.5"), infinities allowed.
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;
};
// A lex interval: "-" and "+" are the open ends; otherwise "[x" inclusive or "(x" exclusive.
struct LexRange {
  std::string min;
  std::string max;
  bool min_exclusive = false;
  bool max_exclusive = false;
  bool min_is_neg_inf = false;  // "-"
  bool max_is_pos_inf = false;  // "+"
};

using ZsetVisit = std::function<bool(std::string_view member, double score)>;

// --- Reads. REQUIRES: `entry` is a live, warm sorted set (kind() == Kind::kZset). Views are
// valid only during the visit. ---
size_t ZsetLen(const Entry* entry);
bool ZsetScore(const Entry* entry, std::string_view member, double* score);
// ZRANK/ZREVRANK: the 0-based rank (from the highest when `reverse`); false when absent.
// O(log n) for the skiplist.
bool ZsetRank(const Entry* entry, std::string_view member, bool reverse, size_t* rank,
              double* score);
// Visits ranks [start, stop] (REQUIRES: start <= stop < ZsetLen), ascending or, when
// `reverse`, from the highest, until `visit` returns false.
void ZsetRangeByRank(const Entry* entry, size_t start, size_t stop, bool reverse,
                     const ZsetVisit& visit);
// Visits the members in `range` in order (descending when `reverse`), skipping the first
// `offset`, at most `limit` (negative: no limit), until `visit` returns false.
void ZsetRangeByScore(const Entry* entry, const ScoreRange& range, bool reverse, size_t offset,
                      int64_t limit, const ZsetVisit& visit);
// As ZsetRangeByScore, by member (meaningful when all scores are equal, as in Redis).
void ZsetRangeByLex(const Entry* entry, const LexRange& range, bool reverse, size_t offset,
                    int64_t limit, const ZsetVisit& visit);
// ZCOUNT, ZLEXCOUNT: O(log n) for the skiplist.
size_t ZsetCountByScore(const Entry* entry, const ScoreRange& range);
size_t ZsetCountByLex(const Entry* entry, const LexRange& range);
// A uniformly random member (ZRANDMEMBER).
ScoredMember ZsetRandom(const Entry* entry, std::mt19937_64& rng);
// One ZSCAN step from `cursor`; a packed sorted set is visited whole (returns 0).
uint64_t ZsetScan(const Entry* entry, uint64_t cursor,
                  const std::function<void(std::string_view member, double score)>& visit);

// --- Writes. ---
struct ZaddFlags {
  bool nx = false;
  bool xx = false;
  bool gt = false;
  bool lt = false;
  bool incr = false;
};
struct ZaddResult {
  size_t added = 0;    // new members
  size_t changed = 0;  // new members plus members whose score changed (CH)
  // INCR: the member's new score, or whether the increment was skipped (NX/XX/GT/LT said no)
  // or produced NaN (nothing changed; the caller answers "resulting score is not a number").
  double score = 0;
  bool skipped = false;
  bool nan = false;
};
// ZADD, ZINCRBY (incr with one pair), GEOADD: applies `pairs` (score, member) with `flags` to the
// sorted set at `key`, creating it when something is added. REQUIRES: `key` is absent or a live
// sorted set; flags validated by the caller; no NaN score. Counts one write per member added or
// updated, as Redis.
ZaddResult ZsetAdd(Database& db, std::string_view key,
                   const std::vector<std::pair<double, std::string_view>>& pairs,
                   const ZaddFlags& flags);
// ZREM: returns how many were removed; deletes the key when empty.
size_t ZsetRemove(Database& db, Entry* entry, const std::vector<std::string_view>& members);
// ZREMRANGEBYRANK (REQUIRES: start <= stop < ZsetLen), BYSCORE, BYLEX: returns how many.
size_t ZsetRemoveRangeByRank(Database& db, Entry* entry, size_t start, size_t stop);
size_t ZsetRemoveRangeByScore(Database& db, Entry* entry, const ScoreRange& range);
size_t ZsetRemoveRangeByLex(Database& db, Entry* entry, const LexRange& range);
// ZPOPMIN, ZPOPMAX (max), BZPOP*, ZMPOP: removes up to `count` members from the low (or high)
// end, returned in pop order; the key goes when empty.
std::vector<ScoredMember> ZsetPop(Database& db, Entry* entry, bool max, size_t count);
// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE, GEOSEARCHSTORE, GEORADIUS STORE: `key`
// becomes a sorted set of `members` (distinct members), replacing whatever it held (its TTL
// goes), or is deleted when `members` is empty. One write.
void ZsetStore(Database& db, std::string_view key, const std::vector<ScoredMember>& members);

// --- Container plumbing, for engine/container.cc only. ---
std::string ZsetSerialize(const Entry* entry);
bool ZsetMaterialize(std::string_view portable, const ContainerLimits& limits, std::string* value);
void ZsetRelease(Entry* entry);
std::string ZsetClone(const Entry* entry);
size_t ZsetExtraBytes(const Entry* entry);

}  // namespace dkv::engine
