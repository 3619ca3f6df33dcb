// Byte encodings of the snapshot format: little-endian fixed-width integers, LEB128 varints,
// zigzag for signed deltas, and length-prefixed strings. Appending to a std::string, reading from
// a bounds-checked Cursor that latches the first failure (so a run of reads is checked once).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dkv::persistence {

inline void PutFixed16(std::string* out, uint16_t v) {
  char b[2] = {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)};
  out->append(b, 2);
}

inline void PutFixed32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(b, 4);
}

inline void PutFixed64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(b, 8);
}

inline void PutVarint(std::string* out, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out->append(b, static_cast<size_t>(n));
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Reads from [p, end). After the first failed read every read fails and ok() is false.
class Cursor {
 public:
  Cursor(const char* p, const char* end) : begin_(p), p_(p), end_(end) {}
  explicit Cursor(std::string_view s) : Cursor(s.data(), s.data() + s.size()) {}

  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t U8() {
    if (!Have(1)) return 0;
    return static_cast<uint8_t>(*p_++);
  }
  uint16_t Fixed16() {
    if (!Have(2)) return 0;
    uint16_t v =
        static_cast<uint16_t>(static_cast<uint8_t>(p_[0]) | (static_cast<uint8_t>(p_[1]) << 8));
    p_ += 2;
    return v;
  }
  uint32_t Fixed32() {
    if (!Have(4)) return 0;
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p_[i]);
    p_ += 4;
    return v;
  }
  uint64_t Fixed64() {
    if (!Have(8)) return 0;
    uint64_t v = DecodeFixed64(p_);
    p_ += 8;
    return v;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Have(1)) return 0;
      uint8_t b = static_cast<uint8_t>(*p_++);
      if (shift == 63 && b > 1) break;  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }
  int64_t Signed() { return UnZigZag(Varint()); }
  std::string_view Bytes(uint64_t n) {
    if (!Have(n)) return {};
    std::string_view s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  std::string_view String() { return Bytes(Varint()); }

 private:
  bool Have(uint64_t n) {
    if (ok_ && n <= static_cast<uint64_t>(end_ - p_)) return true;
    ok_ = false;
    p_ = end_;
    return false;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace dkv::persistence
