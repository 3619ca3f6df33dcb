// Redis' RDB encoding, written: the pieces of a DUMP payload for the values dkv holds (strings,
// hashes, sets, lists, sorted sets), byte for byte as Redis 7.2 writes them when it does not
// compress (dkv never LZF-compresses). Used by DUMP (src/commands/dump_commands.cc) and by
// dkv-migrate, which hands hashes, sets, lists and sorted sets to dkv's RESTORE. The reading side
// is src/tools/rdb_file.h. Pure functions.
//
//   PutRdbString     a string as rdbSaveRawString: the integer encodings for a strict integer of
//                    at most 11 characters that fits 32 bits, else the length and the bytes
//   ListpackBuilder  a listpack (header, entries with their back-lengths, end byte): integers in
//                    the narrowest of the 7/13/16/24/32/64-bit forms, strings with a 6, 12 or
//                    32-bit length
//   IntsetBlob       an intset: width (2, 4 or 8), count, members little-endian
//   ScoreText        a sorted-set score as Redis 7.2 writes it into a listpack (d2string)
//   PutBinaryDouble  a score as RDB_TYPE_ZSET_2 writes it: the IEEE 754 bits, little-endian
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/tools/rdb_encode.h"

namespace dkv::rdb {

// RDB object types DUMP writes (Redis' rdb.h numbering, a file-format fact).
inline constexpr uint8_t kRdbTypeString = 0;
inline constexpr uint8_t kRdbTypeList = 1;
inline constexpr uint8_t kRdbTypeSet = 2;
inline constexpr uint8_t kRdbTypeZset = 3;
inline constexpr uint8_t kRdbTypeHash = 4;
inline constexpr uint8_t kRdbTypeZset2 = 5;
inline constexpr uint8_t kRdbTypeSetIntset = 11;
inline constexpr uint8_t kRdbTypeHashListpack = 16;
inline constexpr uint8_t kRdbTypeZsetListpack = 17;
inline constexpr uint8_t kRdbTypeListQuicklist2 = 18;
inline constexpr uint8_t kRdbTypeSetListpack = 20;
// A QUICKLIST_2 node's container: one element as a raw string, or a listpack of elements.
inline constexpr uint8_t kQuicklistNodePlain = 1;
inline constexpr uint8_t kQuicklistNodePacked = 2;

std::string ScoreText(double score);
void PutBinaryDouble(std::string* out, double score);

class ListpackBuilder {
 public:
  void Add(std::string_view item);
  // The bytes Finish would return now (header, entries, end byte).
  size_t bytes() const { return 6 + entries_.size() + 1; }
  size_t count() const { return count_; }
  // The listpack's bytes. The builder is empty afterwards.
  std::string Finish();

 private:
  std::string entries_;
  size_t count_ = 0;
};

// The intset of `n` members (ascending, distinct) read by `at(i)`, at `width` bytes each.
template <typename At>
std::string IntsetBlob(size_t width, size_t n, At at) {
  std::string out;
  out.reserve(8 + n * width);
  auto put = [&](uint64_t v, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put(width, 4);
  put(n, 4);
  for (size_t i = 0; i < n; ++i) put(static_cast<uint64_t>(at(i)), width);
  return out;
}

// For dkv-migrate: complete DUMP payloads (footer included) of a hash (RDB type 4), a set
// (type 2), a list (type 1, elements in order) and a sorted set (type 5, ZSET_2: member and
// binary score) with these contents, which dkv's RESTORE turns into the encoding its limits
// choose. Every Redis from 4.0 on reads the four types.
std::string HashPayload(const std::vector<std::pair<std::string, std::string>>& pairs,
                        uint16_t rdb_version);
std::string SetPayload(const std::vector<std::string>& members, uint16_t rdb_version);
std::string ListPayload(const std::vector<std::string>& elements, uint16_t rdb_version);
std::string ZsetPayload(const std::vector<std::pair<std::string, double>>& members,
                        uint16_t rdb_version);

}  // namespace dkv::rdb
