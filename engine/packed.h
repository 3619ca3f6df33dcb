// Packed lists: the small encoding of hashes and sets (Redis' "listpack"), kept inline in the
// entry's value bytes after the one-byte encoding tag: a varint count, then each item as a
// varint length and its bytes (a hash's items alternate field, value). Small containers are
// therefore one allocation with their key, like a string. Also the varints used by Dict nodes
// and by the portable form of containers (engine/container.h). Pure functions; no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::engine::packed {

// LEB128: 7 bits per byte, low bits first; at most 10 bytes.
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline size_t PutVarint(char* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<char>(v);
  return n;
}
inline void AppendVarint(std::string* out, uint64_t v) {
  char buf[10];
  out->append(buf, PutVarint(buf, v));
}
// For bytes this process wrote (no bounds check). Returns the bytes read.
inline size_t GetVarint(const char* p, uint64_t* v) {
  uint64_t r = 0;
  size_t n = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<uint8_t>(p[n++]);
    r |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  *v = r;
  return n;
}
// For bytes from outside (a file, PostgreSQL): checks bounds and length. Returns 0 when damaged.
inline size_t GetVarintChecked(const char* p, const char* end, uint64_t* v) {
  uint64_t r = 0;
  for (size_t n = 0; n < 10 && p + n < end; ++n) {
    auto b = static_cast<uint8_t>(p[n]);
    r |= static_cast<uint64_t>(b & 0x7F) << (7 * n);
    if ((b & 0x80) == 0) {
      *v = r;
      return n + 1;
    }
  }
  return 0;
}

// Reads the items of a packed value: `value` is the entry's value bytes (tag byte first).
class Reader {
 public:
  explicit Reader(std::string_view value) : p_(value.data() + 1), base_(value.data()) {
    uint64_t n = 0;
    p_ += GetVarint(p_, &n);
    count_ = n;
  }
  // Items stored (for a hash: twice its fields).
  size_t count() const { return count_; }
  // The offset, from the value's start, of the next item.
  size_t offset() const { return static_cast<size_t>(p_ - base_); }
  std::string_view Next() {
    uint64_t len = 0;
    p_ += GetVarint(p_, &len);
    std::string_view s(p_, static_cast<size_t>(len));
    p_ += len;
    return s;
  }

 private:
  const char* p_;
  const char* base_;
  size_t count_ = 0;
};

// The encoded size of one item.
inline size_t ItemSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }
inline void AppendItem(std::string* out, std::string_view s) {
  AppendVarint(out, s.size());
  out->append(s);
}

}  // namespace dkv::engine::packed
