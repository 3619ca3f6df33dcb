// Hash operations (HSET, HGET, HDEL, ...): reads of a hash in either encoding, and the writes,
// which own their side effects as every engine write does (the keyspace observer hears of the
// key, dirty counts as Redis counts, version and updated_at move once per command). A hash that
// loses its last field is deleted. Conversion from the packed encoding to the table follows the
// keyspace's ContainerLimits. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/database.h"

namespace dkv::engine {

using FieldValue = std::pair<std::string_view, std::string_view>;

// --- Reads. REQUIRES: `entry` is a live, warm hash (kind() == Kind::kHash). Views are valid
// until the hash changes. ---
size_t HashLen(const Entry* entry);
// Whether `field` exists; its value in *value.
bool HashGet(const Entry* entry, std::string_view field, std::string_view* value);
// Visits fields in storage order until `visit` returns false.
void HashForEach(const Entry* entry,
                 const std::function<bool(std::string_view field, std::string_view value)>& visit);
// A random field (HRANDFIELD), close to uniform.
FieldValue HashRandom(const Entry* entry, std::mt19937_64& rng);
// One HSCAN step from `cursor`: a packed hash is visited whole (returns 0).
uint64_t HashScan(const Entry* entry, uint64_t cursor,
                  const std::function<void(std::string_view field, std::string_view value)>& visit);
// OBJECT ENCODING is "listpack" until a hash passes the limits, then "hashtable".

// --- Writes. ---
// HSET, HMSET, HSETNX (only_new: existing fields keep their values): sets `pairs` in the hash at
// `key`, creating it. REQUIRES: `key` is absent or a live hash; field and value sizes checked
// by the caller. Returns how many fields were new. Counts one write per pair given (HSETNX: one
// when it set), as Redis.
// A field that had an expiry time (engine/hash_ttl.h) loses it unless keep_ttl (HINCRBY).
size_t HashSet(Database& db, std::string_view key, const std::vector<FieldValue>& pairs,
               bool only_new = false, bool keep_ttl = false);
// HDEL: removes `fields`; deletes the key when none is left. Returns how many were removed, each
// a write.
size_t HashDelete(Database& db, Entry* entry, const std::vector<std::string_view>& fields);

}  // namespace dkv::engine
