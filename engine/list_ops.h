// List operations (LPUSH, LPOP, LRANGE, LSET, LINSERT, LREM, LTRIM, LMOVE, SORT ... STORE): reads
// of a list in either encoding and the writes, which own their side effects as every engine
// write does (the keyspace observer hears of the key, dirty counts as Redis counts, version and
// updated_at move once per command). A list that loses its last element is deleted.
//
// Encodings (engine/container.h), as Redis 7.2 names them: a small list is kListPacked, its
// items inline in the entry ("listpack"); past list-max-listpack-size (ContainerLimits) it
// becomes kListQuick ("quicklist"), a pointer to a doubly linked list of packed nodes the entry
// owns, O(1) at both ends; it converts back to packed when it shrinks to half the limit, as
// Redis 7.2 does. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/container.h"
#include "engine/database.h"

namespace dkv::engine {

enum class ListEnd : uint8_t { kHead, kTail };

// --- Reads. REQUIRES: `entry` is a live, warm list (kind() == Kind::kList). Views are valid only
// during the visit. ---
size_t ListLen(const Entry* entry);
// LINDEX: the element at `index` (negative counts from the tail); false when out of range.
bool ListIndex(const Entry* entry, int64_t index, std::string* out);
// Visits the elements at positions [start, stop] (REQUIRES: start <= stop < ListLen) in order,
// or from stop down to start when `reverse`, until `visit` returns false. Cost: the distance
// from the nearer end to the range, plus the range.
void ListRange(const Entry* entry, size_t start, size_t stop, bool reverse,
               const std::function<bool(std::string_view element)>& visit);

// --- Writes. ---
// LPUSH, RPUSH (LPUSHX/RPUSHX check existence first): pushes `elements` one by one at `end` of
// the list at `key`, creating it. REQUIRES: `key` is absent or a live list; `elements` not empty.
// Returns the new length. Counts one write per element, as Redis.
size_t ListPush(Database& db, std::string_view key, ListEnd end,
                const std::vector<std::string_view>& elements);
// LPOP, RPOP: removes up to `count` elements from `end` and returns them in pop order; the key
// goes when empty. One write per element.
std::vector<std::string> ListPop(Database& db, Entry* entry, ListEnd end, size_t count);
// LSET: false (nothing changed) when `index` is out of range.
bool ListSet(Database& db, Entry* entry, int64_t index, std::string_view element);
// LINSERT: inserts `element` before or after the first `pivot`. Returns the new length, or -1
// when the pivot is absent (nothing changed).
int64_t ListInsert(Database& db, Entry* entry, bool before, std::string_view pivot,
                   std::string_view element);
// LREM: removes up to |count| (0: all) elements equal to `element`, from the head when count >=
// 0, from the tail otherwise. Returns how many; deletes the key when empty.
size_t ListRemove(Database& db, Entry* entry, int64_t count, std::string_view element);
// LTRIM with Redis' index rules (negative from the tail, out of range clamps, an empty range
// deletes the key).
void ListTrim(Database& db, Entry* entry, int64_t start, int64_t stop);
// LMOVE, RPOPLPUSH, BLMOVE: pops one element from `from` of `src` (REQUIRES: not empty) and
// pushes it at `to` of the list at `dst_key` (absent or a live list; may be src's own key).
// Returns the element. Writes as Redis counts them.
std::string ListMove(Database& db, Entry* src, std::string_view dst_key, ListEnd from, ListEnd to);
// SORT ... STORE, GEO*STORE-like replacements: `key` becomes a list of `elements`, replacing
// whatever it held (its TTL goes), or is deleted when `elements` is empty. Counts `writes`
// writes when it stores (SORT ... STORE: one per element, as Redis), one when it deletes.
void ListStore(Database& db, std::string_view key, const std::vector<std::string>& elements,
               uint64_t writes = 1);

// --- Container plumbing, for engine/container.cc only. ---
// The portable form (kListPacked: count, items).
std::string ListSerialize(const Entry* entry);
// Checks `portable` as Materialize does and builds a list's value bytes within `limits`.
bool ListMaterialize(std::string_view portable, const ContainerLimits& limits, std::string* value);
// Frees (or queues, when huge) the node list of a kListQuick entry.
void ListRelease(Entry* entry);
// A deep copy's value bytes (COPY).
std::string ListClone(const Entry* entry);
// Bytes held outside the entry (MEMORY USAGE).
size_t ListExtraBytes(const Entry* entry);

}  // namespace dkv::engine
