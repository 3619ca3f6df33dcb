// Redis' RDB encoding, read: whole RDB files (the versions Redis 6.x and 7.x write: RDB 9 to 11)
// for dkv-migrate, and single DUMP payloads for RESTORE.
//
// ReadRdbFile walks the file and hands every key to a callback with its database, type, expiry
// and contents: strings (raw, integer and LZF encodings), lists (quicklist of ziplists or
// listpacks, plain), sets (intset, listpack, hashtable), sorted sets (ziplist, listpack,
// skiplist), hashes (ziplist, listpack, hashtable). Streams are read past and reported with their
// type; module types cannot be read past and stop the read with an error. The checksum at the
// end is verified. Errors name the byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dkv::rdb {

struct RdbKey {
  int db = 0;
  std::string key;
  std::string type;                  // string, list, set, zset, hash, stream
  int64_t expire_ms = 0;             // absolute unix ms, 0 for none
  std::string value;                 // string
  std::vector<std::string> members;  // list (in order), set
  std::vector<std::pair<std::string, std::string>>
      pairs;  // hash (field, value), zset (member, score)
};

// Returns "" or the error. `on_key` returns false to stop early.
std::string ReadRdbFile(const std::string& path, const std::function<bool(const RdbKey&)>& on_key);

// CRC-64/Jones (polynomial 0xad93d23594c935a9, reflected, initial value 0): what RDB files and
// DUMP payloads end with.
uint64_t Crc64(std::string_view data);

// Decodes one value as DUMP serializes it (the type byte, then the value; without the version
// and checksum footer) into *out (type and contents; key and expiry untouched). Returns "" or the
// error.
std::string DecodeRdbValue(std::string_view payload, RdbKey* out);

// A list, set or sorted set as dkv stores it: a JSON array (sorted sets as [member, score]
// pairs in score order, sets sorted). Returns false when a member is not UTF-8.
bool CollectionToJson(const RdbKey& key, std::string* json);

}  // namespace dkv::rdb
