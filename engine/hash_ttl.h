// Hash field expiration (Redis 7.4 / 8.0: HEXPIRE, HTTL, HPERSIST, HGETEX, HSETEX, ...): the
// expiry times of single fields of a hash.
//
// A hash gets field expiry times only in the table encoding (a packed hash converts when its
// first field gets one). The times live beside its Dict in a registry keyed by the Dict's
// address (FieldTtls: field -> absolute ms, and the fields ordered by time), so a hash without
// them, and every packed hash, pays nothing. The registry entry follows its Dict: it is dropped
// when the Dict is released (engine/container.cc), copied with it (COPY), and told where the
// Dict lives (database and key) whenever an entry takes it (InsertContainer, InsertCopy for
// RENAME and MOVE, Restore, FillValue: PlaceFieldTtls). That location lets the active cycle
// (ActiveExpireFields, run by Keyspace::ActiveExpireCycle) delete due fields in bounded slices
// without a scan; a location gone stale (SWAPDB) only leaves the work to the lazy path.
//
// Lazy path: the hash commands call ExpireDueFields on the hash they look up, so an expired
// field is never seen by any of them. Deleting fields this way, or actively, is a write as
// HDEL's is (observers hear of the key, dirty counts one per field), and a hash that loses its
// last field is deleted as an expired key.
//
// The portable form (Serialize) of a hash with field times is kHashPackedTtl: count of items,
// then field, value and a varint time (0: none) for each field. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"
#include "engine/dict.h"

namespace dkv::engine {

// --- The registry (engine/container.cc and engine/database.cc call these). ---
// Whether `dict` has any field with an expiry time.
bool HasFieldTtls(const Dict* dict);
// The Dict is released: its times go.
void ForgetFieldTtls(const Dict* dict);
// `to` is a copy of `from` (COPY): it gets the same times.
void CloneFieldTtls(const Dict* from, const Dict* to);
// `entry` (a live hash in `db`) now holds its Dict: records the location for the active cycle.
void PlaceFieldTtls(Database& db, const Entry* entry);
// For Serialize: visits (field, time) of the fields that have a time.
void ForEachFieldTtl(const Dict* dict,
                     const std::function<void(std::string_view field, int64_t when)>& visit);
// For Materialize: sets a field's time in a Dict not yet placed.
void SetFieldTtlRaw(const Dict* dict, std::string_view field, int64_t when);

// --- Reads. REQUIRES: `entry` is a live, warm hash. ---
// The absolute expiry time of `field` in ms, or 0 when it has none.
int64_t FieldTtl(const Entry* entry, std::string_view field);

// --- Writes. Each is one command: observers hear once, dirty counts as Redis. ---
// Deletes the fields of `entry` whose time is <= now. Returns the entry (it may have moved) or
// nullptr when the hash lost its last field and was deleted.
Entry* ExpireDueFields(Database& db, Entry* entry);

enum class FieldTtlCondition { kNone, kNx, kXx, kGt, kLt };
// HEXPIRE family: gives `fields` of the hash at `entry` the absolute time `when_ms` under
// `cond`. Per field: -2 no such field, 0 condition not met, 1 set, 2 deleted because `when_ms`
// is not in the future. REQUIRES: `entry` is a live hash without due fields.
std::vector<int> ExpireFields(Database& db, Entry* entry,
                              const std::vector<std::string_view>& fields, int64_t when_ms,
                              FieldTtlCondition cond);
// HPERSIST: per field -2 no such field, -1 no time, 1 time removed.
std::vector<int> PersistFields(Database& db, Entry* entry,
                               const std::vector<std::string_view>& fields);
// Sets field times without conditions (HGETEX, HSETEX): when_ms 0 removes them, a time not in
// the future deletes the fields. Missing fields are skipped. Counts and notifies once; after a
// write of the same command (HSETEX's values) the version does not move again. Returns the
// entry or nullptr when the hash was deleted.
Entry* SetFieldTimes(Database& db, Entry* entry, const std::vector<std::string_view>& fields,
                     int64_t when_ms, bool after_write = false);

// HSET and friends overwrite a field: its time goes (HINCRBY keeps it). Quiet; the caller's
// write counts.
void ClearFieldTtl(const Dict* dict, std::string_view field);

// The active cycle: deletes due fields across the keyspace's hashes until `budget` fields are
// deleted. *more says whether due fields remain.
size_t ActiveExpireFields(int64_t now_ms, size_t budget, bool* more);

}  // namespace dkv::engine
