// Containers: the values that are not strings (Redis' hashes and sets; lists, sorted sets and
// streams later). A container lives in its entry like a string does: Entry::kind() says which
// (a flag and the type bits of the header), and the entry's value bytes start with a one-byte
// Encoding tag:
//
//   kHashPacked, kSetPacked  the items inline (engine/packed.h): "listpack" in OBJECT ENCODING
//   kSetIntset               a width byte (2, 4 or 8), then sorted little-endian integers
//   kHashTable, kSetTable    an 8-byte pointer to a Dict the entry owns: "hashtable"
//   kListPacked, kListQuick  a list: inline, or a pointer to its node list (engine/list_ops.h)
//   kZsetPacked, kZsetSkiplist  a sorted set: inline, or a pointer to its skiplist
//                            (engine/zset_ops.h)
//   kStream                  a stream: a pointer to its Stream (engine/stream.h)
//
// Small containers are therefore one allocation with their key; large ones get O(1) point
// operations. An entry converts from a small encoding to the table when it passes the limits
// (Redis' options, ContainerLimits) and never back, as in Redis.
//
// The portable form (Serialize, Materialize) is what leaves the process: snapshot records,
// PostgreSQL rows, the cache tier's cold values, COPY. It is the packed form of any container
// whatever its size: tag kHashPacked or kSetPacked (or kSetIntset), count, items. A hash with
// field expiry times (engine/hash_ttl.h) is kHashPackedTtl: count, then field, value and time
// items (the time 8 bytes little-endian, or empty for none); it materializes as a table.
// A list's is kListPacked (count, items); a sorted set's kZsetPacked (count of items, two per
// member: the member, then its score; engine/zset_ops.cc says how the score is written). A
// stream's is kStreamPortable: entries, counters and consumer groups (engine/stream_portable.cc),
// and unlike the others it may be empty; PortableCount answers its number of entries.
//
// Table dicts are freed with their entry; one with more than kFreeInSlices elements is queued
// and freed in slices by ReapContainers (DEL or FLUSH of a huge hash answers at once). Loop
// thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/database.h"
#include "engine/dict.h"
#include "engine/metadata.h"

namespace dkv::engine {

enum class Encoding : uint8_t {
  kNone = 0,  // not a container (or one whose table was handed to another entry)
  kHashPacked = 1,
  kHashTable = 2,
  kSetIntset = 3,
  kSetPacked = 4,
  kSetTable = 5,
  // Portable form only: a hash whose fields have expiry times (engine/hash_ttl.h).
  kHashPackedTtl = 6,
  // Lists (engine/list_ops.h): items inline ("listpack"), or a pointer to a node list the entry
  // owns ("quicklist"). The portable form of any list is kListPacked.
  kListPacked = 7,
  kListQuick = 8,
  // Sorted sets (engine/zset_ops.h): member and score items inline, ordered by score then member
  // ("listpack"), or a pointer to a skiplist plus dict the entry owns ("skiplist"). The portable
  // form of any sorted set is kZsetPacked.
  kZsetPacked = 9,
  kZsetSkiplist = 10,
  // Streams (engine/stream.h): always a pointer to a Stream the entry owns ("stream"); the
  // portable form of any stream is kStreamPortable (engine/stream_portable.cc).
  kStream = 11,
  kStreamPortable = 12,
};

// Redis' thresholds (CONFIG SET hash-max-listpack-entries, ...), owned by the Keyspace.
struct ContainerLimits {
  size_t hash_max_entries = 512;
  size_t hash_max_value = 64;
  size_t set_max_intset_entries = 512;
  size_t set_max_entries = 128;
  size_t set_max_value = 64;
  // list-max-listpack-size: negative -1..-5 bound a node by bytes (4 KiB << (-n - 1)), positive
  // by items; list-compress-depth: nodes kept plain at each end (0: no compression).
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  size_t zset_max_entries = 128;
  size_t zset_max_value = 64;
};

// REQUIRES (all below): entry->container() and not cold, unless said otherwise.
Encoding EncodingOf(const Entry* entry);
// OBJECT ENCODING's names: "listpack", "intset", "hashtable".
std::string_view EncodingName(Encoding encoding);
// The Dict of a table encoding, else nullptr.
Dict* DictOf(const Entry* entry);
// Bytes the container holds outside its entry (its Dict), for MEMORY USAGE.
size_t ContainerExtraBytes(const Entry* entry);

// The value bytes of a new, empty container of `kind` (a packed one).
std::string EmptyContainer(Kind kind);
// The value bytes of a table encoding that owns `dict`.
std::string TableValue(Encoding encoding, Dict* dict);

// The portable form of the container (see above).
std::string Serialize(const Entry* entry);
// Checks `portable` (bytes from outside: every length is verified before it is read) and
// builds the value bytes of a container of `kind` holding it: packed when within `limits`,
// else a new table. Returns false, building nothing, when the bytes are damaged, name the
// wrong kind, repeat a member or field, or hold no element.
bool Materialize(Kind kind, std::string_view portable, const ContainerLimits& limits,
                 std::string* value);
// The number of elements (fields of a hash, members of a set) in the portable form. REQUIRES:
// bytes that Materialize accepted or Serialize wrote.
size_t PortableCount(std::string_view portable);

// RESTORE of a hash or set: `key` becomes a new container of `kind` built from `portable` (checked
// as Materialize does, at the keyspace's limits), replacing whatever was there (value, expiry,
// metadata), with expiry `expire_ms` (0: none). One write. Returns nullptr, changing nothing, when
// `portable` is damaged. Not on a cold entry's behalf: `key` may be anything.
Entry* StoreContainer(Database& db, std::string_view key, Kind kind, std::string_view portable,
                      int64_t expire_ms);

// The entry is going away or getting a new value: frees (or queues) its Dict and marks its
// value bytes kNone. Called by Database; harmless on a string or a cold entry.
void ReleaseContainer(Entry* entry);
// The entry's Dict now belongs to another entry (RENAME, MOVE): its value bytes become kNone
// without freeing anything.
void DisownContainer(Entry* entry);
// The value bytes of a deep copy of the container (COPY).
std::string CloneContainer(const Entry* entry);

// For the container operations (hash_ops, set_ops): replaces `remove` bytes at `offset` of the
// entry's value bytes by `insert` (which must not point into the entry), quietly. Returns the
// entry's (possibly new) address.
Entry* Splice(Database& db, Entry* entry, size_t offset, size_t remove, std::string_view insert);
// Rewrites the item count of a packed value.
Entry* SetPackedCount(Database& db, Entry* entry, size_t items);

// The value bytes of a pointer encoding (kListQuick, kZsetSkiplist; TableValue for dicts) and
// the pointer back (nullptr when the entry is not warm and of that encoding).
std::string PointerValue(Encoding encoding, const void* object);
void* PointerOf(const Entry* entry, Encoding encoding);

// A structure too big to free in one go (a huge list or sorted set): ReapContainers calls
// FreeSome(budget) until it returns true, then deletes it. FreeSome frees at most about `budget`
// elements per call and returns how many it freed in *freed.
class SlicedGarbage {
 public:
  virtual ~SlicedGarbage() = default;
  virtual bool FreeSome(size_t budget, size_t* freed) = 0;
};
// Queues `garbage` for ReapContainers (takes ownership).
void DisposeInSlices(SlicedGarbage* garbage);

// Elements above which a released Dict is freed in slices.
inline constexpr size_t kFreeInSlices = 4096;
// Frees up to `budget` elements of released dicts. Returns true when none is left.
bool ReapContainers(size_t budget);
bool HasContainerGarbage();

}  // namespace dkv::engine
