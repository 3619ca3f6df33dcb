// Set operations (SADD, SREM, SPOP, SMOVE, the *STORE forms): reads of a set in any of its
// three encodings (intset, packed, table) and the writes, which own their side effects as every
// engine write does. Encodings follow Redis 7.2: a new set is an intset when its first member is
// an integer (and the members given fit one), else packed when they fit, else a table; an intset
// takes a non-integer by becoming packed (if it still fits) or a table, and becomes a table past
// set-max-intset-entries; a packed set becomes a table past its limits. Never back. A set that
// loses its last member is deleted. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"

namespace dkv::engine {

// --- Reads. REQUIRES: `entry` is a live, warm set (kind() == Kind::kSet). ---
size_t SetLen(const Entry* entry);
bool SetContains(const Entry* entry, std::string_view member);
// Visits members in storage order (an intset's ascending) until `visit` returns false. The
// view of an intset member lives only during the call.
void SetForEach(const Entry* entry, const std::function<bool(std::string_view member)>& visit);
// A random member, close to uniform, copied into *out.
void SetRandom(const Entry* entry, std::mt19937_64& rng, std::string* out);
// One SSCAN step from `cursor`; small encodings are visited whole (returns 0).
uint64_t SetScan(const Entry* entry, uint64_t cursor,
                 const std::function<void(std::string_view member)>& visit);

// --- Writes. ---
// SADD: adds `members` to the set at `key`, creating it. REQUIRES: `key` is absent or a live
// set. Returns how many were new; each a write.
size_t SetAdd(Database& db, std::string_view key, const std::vector<std::string_view>& members);
// SREM: returns how many were removed, each a write; deletes the key when empty.
size_t SetRemove(Database& db, Entry* entry, const std::vector<std::string_view>& members);
// SPOP: removes up to `count` random members (all when count >= size) and returns them; the
// key goes when empty. Counts one write per member popped.
std::vector<std::string> SetPop(Database& db, Entry* entry, size_t count, std::mt19937_64& rng);
// SMOVE: moves `member` (REQUIRES: a member of `src`) to the set at `dst_key` (absent or a set;
// REQUIRES: not src's key). One write for the removal and one more when dst gains the member
// (Redis' count).
void SetMove(Database& db, Entry* src, std::string_view dst_key, std::string_view member);
// SINTERSTORE, SUNIONSTORE, SDIFFSTORE: `key` becomes a set of `members` (distinct), replacing
// whatever it held (its TTL goes), or is deleted when `members` is empty. One write (when
// something changed).
void SetStore(Database& db, std::string_view key, const std::vector<std::string>& members);

}  // namespace dkv::engine
