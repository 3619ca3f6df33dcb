// List items: how a list's elements are laid out, in a packed list's value bytes and in each
// node of a quicklist (engine/quicklist.h). An item is its encoding (a head byte, then payload),
// then a back-length: the encoding's size written so that it can be read backwards from the
// item's end, so a run of items can be walked from either end without an index.
//
// Head byte (the payload follows it):
//   0xxxxxxx          an integer 0..127, no payload
//   10xxxxxx          a string of 0..63 bytes
//   110xxxxx + 1      a 13-bit signed integer (-4096..4095)
//   1110xxxx + 1      a string of 64..4095 bytes (12-bit length, high bits first)
//   0xF0 + 4          a string, 32-bit little-endian length
//   0xF1/F2/F3/F4     a 16/24/32/64-bit little-endian signed integer
// Integers are stored so only for elements that are an integer's canonical text (what
// FormatInt64 gives back), so every element reads back byte for byte.
//
// Back-length: the encoding's size in 7-bit groups, the lowest group in the last byte; every byte
// but the first has its high bit set. Pure functions over bytes this process wrote; no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace dkv::engine::listpack {

inline size_t BacklenSize(size_t len) {
  size_t n = 1;
  while (len >= 128) {
    len >>= 7;
    ++n;
  }
  return n;
}

inline void PutBacklen(char* p, size_t len) {
  size_t k = BacklenSize(len);
  for (size_t j = 0; j < k; ++j) {
    size_t shift = 7 * (k - 1 - j);
    p[j] = static_cast<char>(((len >> shift) & 127) | (j > 0 ? 0x80 : 0));
  }
}

// Reads the back-length that ends at `end`; *size gets its byte count.
inline size_t GetBacklen(const char* end, size_t* size) {
  auto x = static_cast<uint8_t>(end[-1]);
  size_t len = x & 127;
  size_t n = 1;
  while (x & 0x80) {
    x = static_cast<uint8_t>(end[-1 - static_cast<std::ptrdiff_t>(n)]);
    len |= static_cast<size_t>(x & 127) << (7 * n);
    ++n;
  }
  *size = n;
  return len;
}

// Whether `s` is the canonical text of an int64 (no sign on zero, no leading zeros, no '+').
inline bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool neg = s[0] == '-';
  if (neg) {
    if (s.size() == 1) return false;
    i = 1;
  }
  if (s[i] == '0' && (s.size() > i + 1 || neg)) return false;
  uint64_t u = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (u > (UINT64_MAX - d) / 10) return false;
    u = u * 10 + d;
  }
  if (neg) {
    if (u > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *v = static_cast<int64_t>(0 - u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(u);
  }
  return true;
}

// The size of the encoding (head and payload) of `s`, without the back-length.
inline size_t EncodingSize(std::string_view s) {
  int64_t v = 0;
  if (CanonicalInt(s, &v)) {
    if (v >= 0 && v <= 127) return 1;
    if (v >= -4096 && v <= 4095) return 2;
    if (v >= INT16_MIN && v <= INT16_MAX) return 3;
    if (v >= -(1 << 23) && v < (1 << 23)) return 4;
    if (v >= INT32_MIN && v <= INT32_MAX) return 5;
    return 9;
  }
  if (s.size() < 64) return 1 + s.size();
  if (s.size() < 4096) return 2 + s.size();
  return 5 + s.size();
}

// The whole item's size.
inline size_t ItemSize(std::string_view s) {
  size_t e = EncodingSize(s);
  return e + BacklenSize(e);
}

inline void PutLe(char* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Writes the item of `s` at `p` (ItemSize(s) bytes); returns its size.
inline size_t WriteItem(char* p, std::string_view s) {
  int64_t v = 0;
  size_t e = 0;
  if (CanonicalInt(s, &v)) {
    auto u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
      p[0] = static_cast<char>(v);
      e = 1;
    } else if (v >= -4096 && v <= 4095) {
      p[0] = static_cast<char>(0xC0 | ((u >> 8) & 0x1F));
      p[1] = static_cast<char>(u & 0xFF);
      e = 2;
    } else {
      size_t n = v >= INT16_MIN && v <= INT16_MAX   ? 2
                 : v >= -(1 << 23) && v < (1 << 23) ? 3
                 : v >= INT32_MIN && v <= INT32_MAX ? 4
                                                    : 8;
      p[0] = static_cast<char>(n == 2 ? 0xF1 : n == 3 ? 0xF2 : n == 4 ? 0xF3 : 0xF4);
      PutLe(p + 1, u, n);
      e = 1 + n;
    }
  } else {
    if (s.size() < 64) {
      p[0] = static_cast<char>(0x80 | s.size());
      e = 1;
    } else if (s.size() < 4096) {
      p[0] = static_cast<char>(0xE0 | (s.size() >> 8));
      p[1] = static_cast<char>(s.size() & 0xFF);
      e = 2;
    } else {
      p[0] = static_cast<char>(0xF0);
      PutLe(p + 1, s.size(), 4);
      e = 5;
    }
    if (!s.empty()) std::memcpy(p + e, s.data(), s.size());
    e += s.size();
  }
  PutBacklen(p + e, e);
  return e + BacklenSize(e);
}

// One decoded item.
struct Item {
  bool is_int = false;
  int64_t num = 0;
  const char* str = nullptr;
  size_t len = 0;
  size_t size = 0;  // the whole item's bytes, back-length included
};

inline int64_t GetLeSigned(const char* p, size_t n) {
  uint64_t u = 0;
  for (size_t i = n; i-- > 0;) u = (u << 8) | static_cast<uint8_t>(p[i]);
  if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t{0} << (8 * n);
  return static_cast<int64_t>(u);
}

// Decodes the item starting at `p`.
inline Item Decode(const char* p) {
  Item it;
  auto h = static_cast<uint8_t>(p[0]);
  size_t e = 0;
  if (h < 0x80) {
    it.is_int = true;
    it.num = h;
    e = 1;
  } else if (h < 0xC0) {
    it.str = p + 1;
    it.len = h & 0x3F;
    e = 1 + it.len;
  } else if (h < 0xE0) {
    uint64_t u = (static_cast<uint64_t>(h & 0x1F) << 8) | static_cast<uint8_t>(p[1]);
    if (u & 0x1000) u |= ~uint64_t{0} << 13;
    it.is_int = true;
    it.num = static_cast<int64_t>(u);
    e = 2;
  } else if (h < 0xF0) {
    it.len = (static_cast<size_t>(h & 0x0F) << 8) | static_cast<uint8_t>(p[1]);
    it.str = p + 2;
    e = 2 + it.len;
  } else if (h == 0xF0) {
    it.len = static_cast<size_t>(static_cast<uint8_t>(p[1])) |
             static_cast<size_t>(static_cast<uint8_t>(p[2])) << 8 |
             static_cast<size_t>(static_cast<uint8_t>(p[3])) << 16 |
             static_cast<size_t>(static_cast<uint8_t>(p[4])) << 24;
    it.str = p + 5;
    e = 5 + it.len;
  } else {
    size_t n = h == 0xF1 ? 2 : h == 0xF2 ? 3 : h == 0xF3 ? 4 : 8;
    it.is_int = true;
    it.num = GetLeSigned(p + 1, n);
    e = 1 + n;
  }
  it.size = e + BacklenSize(e);
  return it;
}

// The start of the item that ends at `end`.
inline const char* PrevStart(const char* end) {
  size_t n = 0;
  size_t e = GetBacklen(end, &n);
  return end - n - e;
}

// The element's text: a view of the item, or of `buf` (at least 21 bytes) for an integer.
inline std::string_view Text(const Item& it, char* buf) {
  if (!it.is_int) return {it.str, it.len};
  uint64_t u = it.num < 0 ? 0 - static_cast<uint64_t>(it.num) : static_cast<uint64_t>(it.num);
  char tmp[21];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  size_t k = 0;
  if (it.num < 0) buf[k++] = '-';
  while (n > 0) buf[k++] = tmp[--n];
  return {buf, k};
}

}  // namespace dkv::engine::listpack
