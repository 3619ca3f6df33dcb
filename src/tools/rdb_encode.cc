#include "src/tools/rdb_encode.h"

#include <charconv>

namespace dkv::rdb {

// Whether `s` is the canonical decimal form of an int64 (no sign but '-', no leading zero, no
// "-0"): the strings Redis stores as integers, in listpacks and in the RDB integer encodings.
bool StrictInt64(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  char buf[24];
  auto [e2, ec2] = std::to_chars(buf, buf + sizeof(buf), *v);
  return ec2 == std::errc() && std::string_view(buf, static_cast<size_t>(e2 - buf)) == s;
}

void PutLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutRdbLength(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xFF));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
}

void PutRdbString(std::string* out, std::string_view s) {
  int64_t v;
  if (s.size() <= 11 && StrictInt64(s, &v)) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      out->push_back(static_cast<char>(0xC0));
      PutLittleEndian(out, static_cast<uint64_t>(v), 1);
      return;
    }
    if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(0xC1));
      PutLittleEndian(out, static_cast<uint64_t>(v), 2);
      return;
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
      out->push_back(static_cast<char>(0xC2));
      PutLittleEndian(out, static_cast<uint64_t>(v), 4);
      return;
    }
  }
  PutRdbLength(out, s.size());
  out->append(s);
}

}  // namespace dkv::rdb
