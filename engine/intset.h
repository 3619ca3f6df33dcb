// Integer sets: the encoding of a set whose members are all integers (Redis' "intset"), held in
// the entry's value bytes: the kSetIntset tag, a width byte (2, 4 or 8: the narrowest that holds
// every member), then the members sorted ascending, little-endian. Membership is a binary search;
// an insert rewrites the (at most set-max-intset-entries) members. Pure functions on those bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dkv::engine::intset {

inline size_t WidthOf(std::string_view v) { return static_cast<uint8_t>(v[1]); }
inline size_t Count(std::string_view v) { return (v.size() - 2) / WidthOf(v); }
inline int64_t At(std::string_view v, size_t i) {
  size_t w = WidthOf(v);
  const char* p = v.data() + 2 + i * w;
  if (w == 2) {
    int16_t x;
    std::memcpy(&x, p, 2);
    return x;
  }
  if (w == 4) {
    int32_t x;
    std::memcpy(&x, p, 4);
    return x;
  }
  int64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
inline size_t WidthFor(int64_t x) {
  if (x >= INT16_MIN && x <= INT16_MAX) return 2;
  if (x >= INT32_MIN && x <= INT32_MAX) return 4;
  return 8;
}
// Whether `x` is a member; *pos is its index or where it would go.
inline bool Find(std::string_view v, int64_t x, size_t* pos) {
  size_t lo = 0, hi = Count(v);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int64_t m = At(v, mid);
    if (m == x) {
      *pos = mid;
      return true;
    }
    if (m < x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}
// The bytes of a set holding `members` (sorted, distinct) at `width`, with tag `tag`.
std::string Build(char tag, const int64_t* members, size_t n, size_t width);
// `v` with `x` added (REQUIRES: not a member), widened if needed.
std::string Insert(std::string_view v, int64_t x);
// `v` without the member at `pos`.
std::string Remove(std::string_view v, size_t pos);
// Checks bytes from outside: width, size, strictly ascending members that fit the width.
bool Valid(std::string_view v);

}  // namespace dkv::engine::intset
