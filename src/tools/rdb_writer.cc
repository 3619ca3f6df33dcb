#include "src/tools/rdb_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "src/tools/rdb_encode.h"
#include "src/tools/rdb_file.h"

namespace dkv::rdb {
namespace {

// A listpack entry's back-length: the size of its encoding and data, 7 bits per byte, written so
// that it reads from its last byte backwards (the first byte written has no continuation bit).
void PutBacklen(std::string* out, size_t len) {
  int bytes = len <= 127 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;
  for (int i = bytes - 1; i >= 0; --i) {
    auto part = static_cast<uint8_t>((len >> (7 * i)) & 0x7F);
    if (i != bytes - 1) part |= 0x80;
    out->push_back(static_cast<char>(part));
  }
}

}  // namespace

std::string ScoreText(double score) {
  if (std::isnan(score)) return "nan";
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  // Integral values within +-2^62 (-0 included) print as integers (Redis 7.2's double2ll), which
  // a listpack then stores in its integer encodings; the rest as the shortest text that reads
  // back exactly.
  constexpr double kIntLimit = 4611686018427387904.0;  // 2^62
  if (score >= -kIntLimit && score <= kIntLimit && score == std::trunc(score)) {
    return std::to_string(static_cast<int64_t>(score));
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), score);
  return std::string(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
}

void PutBinaryDouble(std::string* out, double score) {
  uint64_t bits;
  std::memcpy(&bits, &score, sizeof(bits));
  PutLittleEndian(out, bits, 8);
}

void ListpackBuilder::Add(std::string_view item) {
  size_t start = entries_.size();
  int64_t v;
  if (StrictInt64(item, &v)) {
    auto u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
      entries_.push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      entries_.push_back(static_cast<char>(0xC0 | ((u >> 8) & 0x1F)));
      entries_.push_back(static_cast<char>(u & 0xFF));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      entries_.push_back(static_cast<char>(0xF1));
      PutLittleEndian(&entries_, u, 2);
    } else if (v >= -8388608 && v <= 8388607) {
      entries_.push_back(static_cast<char>(0xF2));
      PutLittleEndian(&entries_, u, 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      entries_.push_back(static_cast<char>(0xF3));
      PutLittleEndian(&entries_, u, 4);
    } else {
      entries_.push_back(static_cast<char>(0xF4));
      PutLittleEndian(&entries_, u, 8);
    }
  } else if (item.size() < 64) {
    entries_.push_back(static_cast<char>(0x80 | item.size()));
    entries_.append(item);
  } else if (item.size() < 4096) {
    entries_.push_back(static_cast<char>(0xE0 | (item.size() >> 8)));
    entries_.push_back(static_cast<char>(item.size() & 0xFF));
    entries_.append(item);
  } else {
    entries_.push_back(static_cast<char>(0xF0));
    PutLittleEndian(&entries_, item.size(), 4);
    entries_.append(item);
  }
  PutBacklen(&entries_, entries_.size() - start);
  ++count_;
}

std::string ListpackBuilder::Finish() {
  std::string out;
  size_t total = 6 + entries_.size() + 1;
  out.reserve(total);
  PutLittleEndian(&out, total, 4);
  // The element count saturates at 65535 ("unknown": readers count the entries).
  PutLittleEndian(&out, count_ < 65535 ? count_ : 65535, 2);
  out.append(entries_);
  out.push_back(static_cast<char>(0xFF));
  entries_.clear();
  count_ = 0;
  return out;
}

std::string HashPayload(const std::vector<std::pair<std::string, std::string>>& pairs,
                        uint16_t rdb_version) {
  std::string out(1, static_cast<char>(kRdbTypeHash));
  PutRdbLength(&out, pairs.size());
  for (const auto& [field, value] : pairs) {
    PutRdbString(&out, field);
    PutRdbString(&out, value);
  }
  AppendDumpFooter(&out, rdb_version);
  return out;
}

std::string SetPayload(const std::vector<std::string>& members, uint16_t rdb_version) {
  std::string out(1, static_cast<char>(kRdbTypeSet));
  PutRdbLength(&out, members.size());
  for (const std::string& m : members) PutRdbString(&out, m);
  AppendDumpFooter(&out, rdb_version);
  return out;
}

std::string ListPayload(const std::vector<std::string>& elements, uint16_t rdb_version) {
  std::string out(1, static_cast<char>(kRdbTypeList));
  PutRdbLength(&out, elements.size());
  for (const std::string& e : elements) PutRdbString(&out, e);
  AppendDumpFooter(&out, rdb_version);
  return out;
}

std::string ZsetPayload(const std::vector<std::pair<std::string, double>>& members,
                        uint16_t rdb_version) {
  std::string out(1, static_cast<char>(kRdbTypeZset2));
  PutRdbLength(&out, members.size());
  for (const auto& [member, score] : members) {
    PutRdbString(&out, member);
    PutBinaryDouble(&out, score);
  }
  AppendDumpFooter(&out, rdb_version);
  return out;
}

}  // namespace dkv::rdb
