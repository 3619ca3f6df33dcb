// The SCAN cursor of a chained hash table that may be between two sizes (Redis' reverse-binary
// cursor): used by Dict (hashes, sets) and the member table of sorted sets (engine/skiplist.h).
// An element present for a whole iteration is returned at least once whatever resizes happen
// between calls. Header-only and pure: the tables belong to the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace dkv::engine::table_scan {

inline uint64_t Reverse(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

// One SCAN step from `cursor` over table 0 (size0 buckets, a power of two) and, while a resize
// runs, table 1 (size1 buckets; 0 when there is none). visit_bucket(table, bucket) visits the
// chain of one bucket of table 0 or 1. Returns the next cursor (0 when the iteration is over).
template <class VisitBucket>
uint64_t Step(uint64_t cursor, size_t size0, size_t size1, VisitBucket&& visit_bucket) {
  uint64_t v = cursor;
  if (size1 == 0) {
    uint64_t m0 = size0 - 1;
    visit_bucket(0, v & m0);
    v |= ~m0;
    v = Reverse(v);
    ++v;
    return Reverse(v);
  }
  // The small table's bucket, then every bucket of the large table that expands it.
  int small = 0, large = 1;
  uint64_t m0 = size0 - 1, m1 = size1 - 1;
  if (size0 > size1) {
    std::swap(small, large);
    std::swap(m0, m1);
  }
  visit_bucket(small, v & m0);
  // The expansions are walked in the same reverse-binary order as the cursor, from the one it
  // names: a cursor handed out while the large table was the only one has visited the
  // expansions before it in that order, not those numerically below it.
  do {
    visit_bucket(large, v & m1);
    v |= ~m1;
    v = Reverse(v);
    ++v;
    v = Reverse(v);
  } while (v & (m0 ^ m1));
  // The last increment carried out of the large table's extra bits into the small table's: the
  // cursor already names the next small bucket.
  return v;
}

}  // namespace dkv::engine::table_scan
