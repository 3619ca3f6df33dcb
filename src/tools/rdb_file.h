// Redis' RDB encoding, read: whole RDB files (the versions Redis 6.x and 7.x write: RDB 9 to 11)
// for dkv-migrate, and single DUMP payloads for RESTORE.
//
// ReadRdbFile walks the file and hands every key to a callback with its database, type, expiry
// and contents: strings (raw, integer and LZF encodings), lists (quicklist of ziplists or
// listpacks, plain), sets (intset, listpack, hashtable), sorted sets (ziplist, listpack,
// skiplist), hashes (zipmap, ziplist, listpack, hashtable), streams (types 15, 19 and 21, with
// their consumer groups: src/tools/rdb_stream.h); module types and Redis 7.4's hashes with field
// expirations (types 22 to 25) cannot be read past and stop the read with an error. The checksum at
// the end is verified. Errors name the byte offset. The writing side (DUMP) is
// src/tools/rdb_writer.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/tools/rdb_encode.h"
#include "src/tools/rdb_stream.h"

namespace dkv::rdb {

struct RdbKey {
  int db = 0;
  std::string key;
  std::string type;                  // string, list, set, zset, hash, stream
  uint8_t rdb_type = 0;              // the RDB object type it was read from (encoding)
  int64_t expire_ms = 0;             // absolute unix ms, 0 for none
  std::string value;                 // string
  std::vector<std::string> members;  // list (in order), set
  std::vector<std::pair<std::string, std::string>>
      pairs;         // hash (field, value), zset (member, score)
  RdbStream stream;  // stream (src/tools/rdb_stream.h)
};

// The most one value may decode to by default: Redis' default proto-max-bulk-len. A string
// (compressed or not) longer than the limit, or members whose bytes plus a std::string each add
// up to more, stop the read with an error ("the value decodes to more than N bytes").
inline constexpr uint64_t kDefaultMaxValueBytes = uint64_t{512} << 20;

// Returns "" or the error. `on_key` returns false to stop early.
std::string ReadRdbFile(const std::string& path, const std::function<bool(const RdbKey&)>& on_key,
                        uint64_t max_bytes = kDefaultMaxValueBytes);

// CRC-64/Jones (polynomial 0xad93d23594c935a9, reflected, initial value 0): what RDB files and
// DUMP payloads end with.
uint64_t Crc64(std::string_view data);

// A DUMP payload's footer (DUMP, FUNCTION DUMP): the RDB version (2 bytes, little-endian), then
// the CRC-64 of everything before the checksum (8 bytes, little-endian), appended to *out.
void AppendDumpFooter(std::string* out, uint16_t rdb_version);
// True when `payload` ends in a footer whose version is at most `max_version` and whose checksum
// matches (RESTORE, FUNCTION RESTORE: "DUMP payload version or checksum are wrong" otherwise).
bool DumpFooterOk(std::string_view payload, uint16_t max_version);

// Decodes one value as DUMP serializes it (the type byte, then the value; without the version
// and checksum footer) into *out (type and contents; key and expiry untouched), within
// `max_bytes` as ReadRdbFile. Returns "" or the error; *too_large says the limit was the cause.
std::string DecodeRdbValue(std::string_view payload, RdbKey* out,
                           uint64_t max_bytes = kDefaultMaxValueBytes, bool* too_large = nullptr);

}  // namespace dkv::rdb
