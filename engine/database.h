// Database: one namespace of keys (Redis' numbered databases are namespaces "0".."15").
//
// Keys live in an adaptive radix tree (engine/art.h): point lookups, ordered iteration over any
// key range, subtree counts and O(key length) subtree detach. Each key is one allocation, an
// Entry: a 24-byte header, the key bytes, then the value bytes with some spare capacity. Keys with
// an expiry are also in a min-heap ordered by expiry time, so the active expiry cycle pops due
// keys without scanning the keyspace. Detached subtrees (KV.DEL of a subtree, FLUSHDB ASYNC) are
// freed in bounded slices by ReapGarbage.
//
// The database owns the side effects of writing: its write operations (Store, Delete, Expire,
// Rename, Flush...) tell the keyspace observer what changed and count themselves in the
// keyspace's dirty counter, so a command cannot forget either. The quiet building blocks below
// them are for loaders, the cache tier and tests. Loop thread only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/art.h"
#include "engine/metadata.h"

namespace dkv::engine {

class Keyspace;
class Database;

// One key, its value and its metadata. Created, moved and destroyed only by Database: an Entry*
// stays valid until the next call that may change the entry's value size (Database::SetValue,
// ResizeValue, Upsert) or delete it; those return the entry's current address.
//
// Layout: a packed 34-byte header, then the key bytes, then the value bytes; the allocator's
// size-class slack is the value's spare capacity. (Packed: with a 29-byte key and a 64-byte value
// the entry is 127 bytes and stays in jemalloc's 128-byte class; aligned it would need 160.)
// Timestamps are 40-bit milliseconds since kMetaEpochMs. The checksum is not stored: it is computed
// from the value when asked for (KV.GET, DIGEST).
class __attribute__((packed)) Entry {
 public:
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  // Both views are valid as long as the entry neither moves nor dies. The value of a cold entry
  // (below) is not in memory: value() is empty for it and records the read (ColdReads), so that
  // the server can fetch the value and run the command again.
  std::string_view key() const { return {data(), key_len_}; }
  std::string_view value() const {
    if (flags_ & kCold) [[unlikely]]
      return ColdValue();
    return {data() + key_len_, value_len_};
  }
  // The value's size in bytes, in memory or not.
  size_t value_size() const { return value_len_; }
  char* mutable_value() { return data() + key_len_; }
  // The cache tier over PostgreSQL dropped the value of this (clean) key: its key, metadata and
  // expiry stay in memory, the value is read back from PostgreSQL when a command needs it.
  bool cold() const { return flags_ & kCold; }
  bool has_expire() const { return heap_index_ != kNoHeap; }

  // Incremented by every change of the value (not by TTL or metadata changes).
  uint32_t version() const { return version_; }
  int64_t created_ms() const { return GetTime(created_); }
  int64_t updated_ms() const { return GetTime(updated_); }
  int64_t accessed_ms() const { return GetTime(accessed_); }
  void set_accessed_ms(int64_t ms) { SetTime(accessed_, ms); }
  // The LFU counter as last stored (Keyspace::LfuOf applies the decay).
  uint8_t lfu_counter() const { return lfu_; }

  // The KV type of a string value (KV.SET TYPE); kString for a container.
  ValueType type() const {
    return container() ? ValueType::kString : static_cast<ValueType>((flags_ >> kTypeShift) & 7);
  }
  // A container (hash, set, ...: engine/container.h) or a string. A container's value bytes
  // are its encoding tag and either its packed items or a pointer to its Dict: read them only
  // through engine/container.h, engine/hash_ops.h and engine/set_ops.h.
  bool container() const { return flags_ & kContainer; }
  Kind kind() const {
    return container() ? static_cast<Kind>((flags_ >> kTypeShift) & 7) : Kind::kString;
  }
  void set_type(ValueType t) {
    flags_ = static_cast<uint8_t>(flags_ & ~kContainer);
    flags_ = static_cast<uint8_t>((flags_ & ~(7 << kTypeShift)) |
                                  (static_cast<uint8_t>(t) << kTypeShift));
  }
  // Index into the keyspace's ContentTypes; 0 for none.
  uint8_t content_type() const { return content_type_; }
  void set_content_type(uint8_t index) { content_type_ = index; }
  bool has_fields() const { return flags_ & kHasFields; }
  // The value was built by APPEND, SETRANGE or the bit commands (Redis reports encoding "raw"
  // for it).
  bool raw_encoding() const { return flags_ & kRaw; }
  void set_raw_encoding(bool raw) {
    flags_ = static_cast<uint8_t>(raw ? (flags_ | kRaw) : (flags_ & ~kRaw));
  }

 private:
  friend class Database;
  static constexpr uint32_t kNoHeap = UINT32_MAX;
  static constexpr uint8_t kRaw = 1, kHasFields = 2, kTypeShift = 2, kCold = 0x20,
                           kContainer = 0x40;
  // Makes the entry a container of `kind` (its value bytes are then the container's).
  void set_kind(Kind kind) {
    flags_ = static_cast<uint8_t>((flags_ & ~(7 << kTypeShift) & ~kRaw) | kContainer |
                                  (static_cast<uint8_t>(kind) << kTypeShift));
  }
  void clear_kind() { flags_ = static_cast<uint8_t>(flags_ & ~kContainer & ~(7 << kTypeShift)); }
  Entry() = default;
  std::string_view ColdValue() const;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  static int64_t GetTime(const uint8_t (&t)[5]) {
    uint64_t v = 0;
    for (int i = 4; i >= 0; --i) v = (v << 8) | t[i];
    return static_cast<int64_t>(v) + kMetaEpochMs;
  }
  static void SetTime(uint8_t (&t)[5], int64_t ms) {
    int64_t rel = ms - kMetaEpochMs;
    uint64_t v = rel < 0 ? 0 : std::min<uint64_t>(static_cast<uint64_t>(rel), (1ULL << 40) - 1);
    for (int i = 0; i < 5; ++i) {
      t[i] = static_cast<uint8_t>(v & 0xFF);
      v >>= 8;
    }
  }

  uint32_t key_len_ = 0;
  uint32_t value_len_ = 0;
  uint32_t heap_index_ = kNoHeap;
  uint32_t version_ = 0;
  uint8_t created_[5] = {};
  uint8_t updated_[5] = {};
  uint8_t accessed_[5] = {};
  uint8_t flags_ = 0;
  uint8_t content_type_ = 0;
  uint8_t lfu_ = 0;  // logarithmic access counter (LFU policies)
};
static_assert(sizeof(Entry) == 34, "Entry header is 34 bytes");

// The keys of cold entries whose value() was read since the last ClearColdReads(), in the order
// read (loop thread; the dispatcher checks it after each command): the first kMaxColdReads, or
// fewer once their values add up to kMaxColdReadBytes (one round of reading them back).
inline constexpr size_t kMaxColdReads = 16384;
inline constexpr size_t kMaxColdReadBytes = size_t{64} << 20;
const std::vector<std::string>& ColdReads();
void ClearColdReads();

// Everything an entry carries besides its key, value, expiry and user fields: what a snapshot
// saves and loads back (Database::Restore).
struct EntryMeta {
  uint32_t version = 1;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t accessed_ms = 0;
  ValueType type = ValueType::kString;
  uint8_t content_type = 0;  // index into the keyspace's ContentTypes
  uint8_t lfu = kLfuInitialValue;
  bool raw_encoding = false;
  // A container's kind; its value is then in the portable form (engine/container.h).
  Kind kind = Kind::kString;
};

// Why a key changed, for observers (WATCH, persistence, keyspace notifications). kEvicted is a
// deletion by maxmemory (Database::Evict): observers that only care that the key went treat it
// as kDelete.
enum class ChangeKind { kWrite, kDelete, kExpired, kEvicted };

// Hears of every change of the keyspace: WATCH, the PostgreSQL write queue (and, later, keyspace
// notifications and client tracking). The engine's write operations call it; commands never do.
class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void OnKeyChanged(int db, std::string_view key, ChangeKind kind) = 0;
  // Every key starting with `prefix` was deleted at once (KV.DEL of a subtree).
  virtual void OnPrefixDeleted(int db, std::string_view prefix) = 0;
  // Every key of `db` is about to go (FLUSHDB, FLUSHALL): called while they are still there.
  // By default, the prefix "" was deleted.
  virtual void OnFlush(Database& db);
  // `a` and `b` are about to exchange their contents (SWAPDB): called while each still holds
  // its own. By default nothing.
  virtual void OnSwapDatabases(Database& a, Database& b) {
    (void)a;
    (void)b;
  }
  // The cache tier dropped the value of `key` (DropValue: the key stays, its value now lives in
  // the store of record only). Nothing changed for WATCH or persistence; client tracking
  // invalidates it as Redis does for an evicted key. By default nothing.
  virtual void OnValueDropped(int db, std::string_view key) {
    (void)db;
    (void)key;
  }
};

// How Database::Store writes a value.
struct StoreOptions {
  // Absolute expiry in ms; 0 for none. One already past deletes the key instead (Redis 7).
  int64_t expire_ms = 0;
  // Keep the key's current expiry (when expire_ms is 0).
  bool keep_ttl = false;
  ValueType type = ValueType::kString;
  // Metadata written with the value (KV.SET META): a content type index, user fields to add.
  std::optional<uint8_t> content_type;
  const UserFields* fields = nullptr;
};

class Database {
 public:
  // Largest value an entry can hold.
  static constexpr size_t kMaxValueSize = UINT32_MAX - 64;
  // Throws std::length_error when a key or value is longer than an entry can hold (never stored
  // cut short; callers bound sizes by proto-max-bulk-len first).
  static void CheckSizes(size_t key_size, size_t value_size);

  Database(Keyspace* keyspace, int index);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int index() const { return index_; }
  size_t size() const { return tree_.size(); }
  Keyspace& keyspace() const { return *keyspace_; }
  size_t expires_size() const { return heap_.size(); }

  // The entry for `key`, or nullptr; expired keys are found too. Does not touch access time.
  Entry* FindRaw(std::string_view key) const { return tree_.Find(key); }
  // The live entry for `key`, or nullptr. A key found expired is deleted here (lazy expiry), and
  // observers hear of it.
  Entry* Find(std::string_view key);
  // As Find(), counts a hit or miss, and records the access (time, LFU counter) unless `touch`
  // is false (CLIENT NO-TOUCH).
  Entry* FindForRead(std::string_view key, bool touch = true);
  // Records an access: accessed_at = now and, under an LFU policy, the counter's decay and
  // logarithmic increment.
  void RecordAccess(Entry* entry);
  // A uniformly random key that has an expiry, or nullptr (volatile-* eviction policies).
  Entry* RandomVolatile(std::mt19937_64& rng) const;

  // --- Writes. Each tells the keyspace observer which keys changed (WATCH, persistence) and
  // counts in the keyspace's dirty counter (Redis' server.dirty: one per key written or
  // deleted, as Redis counts). Commands change the keyspace only through these. ---

  // Sets the value of `key` (creating it, or replacing its value and type; content type and
  // user fields stay unless opts give new ones) and its expiry per `opts` (the old one goes
  // unless keep_ttl). An expiry already past deletes the key instead and returns nullptr.
  // Counts one write either way (SET, MSET per key, KV.SET, RESTORE, KV.IMPORT per key).
  Entry* Store(std::string_view key, std::string_view value, const StoreOptions& opts = {});
  // KV.CAS: replaces the value of a live entry (type, content type and user fields stay), then
  // sets its expiry to expire_ms, or removes it unless keep_ttl. One write.
  Entry* Replace(Entry* entry, std::string_view value, int64_t expire_ms, bool keep_ttl);
  // Deletes `key` if it is live (DEL). Returns whether it was; one write if so.
  bool Delete(std::string_view key);
  // Deletes a live entry (found by Find). One write.
  void Delete(Entry* entry);
  // Sets the absolute expiry of a live entry; one already past deletes it. One write.
  void Expire(Entry* entry, int64_t when_ms);
  // Removes the expiry of an entry (PERSIST). One write.
  void Persist(Entry* entry);
  // Sets the content type (when given) and adds or replaces user fields (KV.SETMETA). One write.
  void SetMeta(Entry* entry, std::optional<uint8_t> content_type, const UserFields& fields);
  // Removes the content type (when asked) and the named user fields (KV.DELMETA). Returns how
  // many of them were there; one write when any was.
  size_t DelMeta(Entry* entry, bool content_type, const std::vector<std::string_view>& names);
  // RENAME: `src` (a live entry of this database) moves to `dst_key`, replacing what is there,
  // with its value, metadata and expiry. REQUIRES: dst_key != src->key(). One write.
  Entry* Rename(Entry* src, std::string_view dst_key);
  // MOVE: `src` moves to the same key in `dst` (another database), keeping its identity. One
  // write.
  Entry* MoveTo(Entry* src, Database& dst);
  // COPY: `dst_key` in `dst` (possibly this database) becomes a new key with a copy of `src`'s
  // value, metadata and expiry, replacing what is there. One write.
  Entry* CopyTo(const Entry* src, Database& dst, std::string_view dst_key);
  // Deletes every key starting with `prefix` at once, in O(prefix length); the memory is freed
  // later by ReapGarbage. Returns how many keys went, each a write. Observers hear
  // OnPrefixDeleted.
  size_t DeletePrefix(std::string_view prefix);
  // Empties the database (FLUSHDB; FLUSHALL per database): observers hear OnFlush first, every
  // key counts as a write. Returns the old contents, to be freed by the caller (in the
  // background for ASYNC).
  class Contents;
  std::unique_ptr<Contents> Flush();
  // The engine's own write operations (engine/string_ops.cc, bit_ops.cc, hyperloglog.cc) end with
  // it: observers hear of `key` and `writes` writes are counted (Redis counts PFADD once per
  // element that changed a register, BITFIELD once per field it changed). Commands never call it.
  void NoteWrite(std::string_view key, ChangeKind kind = ChangeKind::kWrite, uint64_t writes = 1);

  // --- Deletions that are not writes: observers hear of them, dirty does not count them (as
  // Redis). Lazy expiry (Find) and the active cycle (ExpireDue) are the others. ---

  // Deletes an entry to free memory (maxmemory); counts it in evicted_keys. Observers hear
  // ChangeKind::kEvicted.
  void Evict(Entry* entry);

  // --- Building blocks. Quiet: no observer hears of them and nothing is counted. Loaders (the
  // snapshot reader, the PostgreSQL backend's load), the cache tier, tests that build a keyspace
  // and the write operations above use them; commands never do. ---

  // Inserts a new key (version 1, created now). REQUIRES: FindRaw(key) == nullptr. The entry
  // has no expiry. Tells the keyspace's KeyNotices listener, when one is set, that the key is
  // new (keyspace notifications' "new"; loaders use Restore, which does not).
  Entry* Insert(std::string_view key, std::string_view value, ValueType type = ValueType::kString);
  // Sets the value and type of `key`, creating it if needed; the expiry is removed unless
  // keep_ttl. Content type and user fields stay.
  Entry* Upsert(std::string_view key, std::string_view value, bool keep_ttl = false,
                ValueType type = ValueType::kString);
  // Replaces the value and counts the change (version, updated_at). Returns the entry's
  // (possibly new) address. A container stays one (its operations replace their bytes so);
  // Store, Upsert and Replace turn a container into a string.
  Entry* SetValue(Entry* entry, std::string_view value);
  // As SetValue, without counting a change (a container operation counts once per command).
  Entry* SetRawValue(Entry* entry, std::string_view value);
  // Inserts a new container of `kind` whose value bytes are `value` (engine/container.h: the
  // entry owns the Dict they may point to). REQUIRES: FindRaw(key) == nullptr. `replacing`: the
  // command overwrites a key it just erased (the *STORE commands), which is no "new" key.
  Entry* InsertContainer(std::string_view key, Kind kind, std::string_view value,
                         bool replacing = false);
  // Grows or shrinks the value to `size` bytes, keeping its start and zero-filling growth. The
  // caller writes the new bytes, then calls NoteValueChanged.
  // Growth doubles the room (amortized appends) unless `exact`: a container's packed bytes grow
  // by one item at a time and are kept at the allocator's size class of what they need.
  Entry* ResizeValue(Entry* entry, size_t size, bool exact = false);
  // Counts a change of the value made in place: version + 1, updated_at = now.
  void NoteValueChanged(Entry* entry);
  // Inserts a key with the given metadata, as it was when saved (snapshot load). REQUIRES:
  // FindRaw(key) == nullptr. The entry has no expiry and no user fields. A container's value is
  // its portable form, checked here: returns nullptr, inserting nothing, when it is damaged.
  Entry* Restore(std::string_view key, std::string_view value, const EntryMeta& meta);
  // Writes `key` as a copy of `src` (value, type, content type, user fields), replacing any
  // entry there. keep_identity (RENAME, MOVE) also keeps version and timestamps; otherwise
  // (COPY) the copy is a new key. The expiry is not copied.
  Entry* InsertCopy(std::string_view key, const Entry& src, const UserFields* fields,
                    bool keep_identity);

  // The cache tier: drops the value of `entry` (it becomes cold, keeping its size, metadata and
  // expiry) and returns the entry's new address. Observers hear OnValueDropped only (nothing
  // changed; client tracking invalidates the key).
  Entry* DropValue(Entry* entry);
  // Gives a cold entry its value back (read from the store of record; a container's in its
  // portable form); version and timestamps stay. Returns the entry's new address.
  Entry* FillValue(Entry* entry, std::string_view value);
  // Inserts a cold key as loaded from the store of record: metadata and the value's size only.
  Entry* RestoreCold(std::string_view key, size_t value_size, const EntryMeta& meta);
  // Cold entries in all databases of the process.
  static size_t cold_entries() { return cold_entries_.load(std::memory_order_relaxed); }

  // Bytes the key costs (MEMORY USAGE): its allocation, its share of the tree (about 20 bytes),
  // its expiry-heap slot and its user fields.
  size_t MemoryUsage(const Entry* entry) const;

  // User fields of an entry, or nullptr when it has none.
  const UserFields* Fields(const Entry* entry) const;
  // Sets (adds or replaces) fields; returns how many were given.
  size_t SetFields(Entry* entry, const UserFields& fields);
  // Removes the named fields; returns how many existed.
  size_t DelFields(Entry* entry, const std::vector<std::string_view>& names);
  // Removes the key. Returns false when it was not there (expired counts as there).
  bool Erase(std::string_view key);
  void Erase(Entry* entry);

  // Absolute expiry in ms, or 0 for none.
  int64_t ExpireAt(const Entry* entry) const {
    return entry->heap_index_ == Entry::kNoHeap ? 0 : heap_[entry->heap_index_].when;
  }
  // Sets (when_ms > 0) or removes (when_ms == 0) the absolute expiry of an entry.
  void SetExpire(Entry* entry, int64_t when_ms);
  bool IsExpired(const Entry* entry) const;

  // Tells the observer that `key` changed, without counting a write. Kept for the PostgreSQL
  // backend, which deletes a cold key whose row is gone (Erase, then Touch); commands never call
  // it.
  void Touch(std::string_view key, ChangeKind kind = ChangeKind::kWrite);

  // Visits keys in byte order that start with `prefix` and are >= start (> start when
  // `exclusive`), expired ones included, until `visit` returns false.
  void Walk(std::string_view prefix, std::string_view start, bool exclusive,
            const std::function<bool(Entry*)>& visit) const {
    tree_.Walk(prefix, start, exclusive, visit);
  }
  // Keys starting with `prefix` (expired ones not yet removed included), in O(prefix length).
  size_t CountPrefix(std::string_view prefix) const { return tree_.CountPrefix(prefix); }
  // A uniformly random entry (possibly expired), or nullptr when empty.
  Entry* RandomEntry(std::mt19937_64& rng) const { return tree_.Random(rng); }
  // Visits the distinct paths one segment below `base` ("" for the roots, else a path ending in
  // `sep`), in byte order, until `visit` returns false: for keys a.b.c and a.x under "a." it
  // visits "a.b" and "a.x". Jumps over each child's subtree: O(children x key length).
  void ForEachChild(std::string_view base, char sep,
                    const std::function<bool(const std::string& child)>& visit) const;
  // Keys in the subtree of `path`: the key `path` itself and the keys under `path` + sep.
  size_t CountSubtree(const std::string& path, char sep) const;
  // Visits every entry in byte order. O(size).
  void ForEach(const std::function<void(Entry*)>& visit) const;

  // Frees up to `budget` entries of deleted subtrees. Returns true when nothing is left.
  bool ReapGarbage(size_t budget);
  // Includes released containers' dicts (engine/container.h), which are process-wide.
  bool has_garbage() const;

  // Keys with expiry <= now_ms still here, counted up to `cap` (a walk of the heap's due top).
  size_t CountDue(int64_t now_ms, size_t cap) const;
  // Deletes up to `max_keys` keys whose expiry is <= now_ms. Returns how many were deleted; sets
  // *more when due keys remain.
  size_t ExpireDue(int64_t now_ms, size_t max_keys, bool* more);

  // Building blocks (quiet): empties the database and returns the old contents (destroying
  // them frees the entries); exchanges contents with another database (Keyspace::Swap).
  std::unique_ptr<Contents> Detach();
  void SwapContents(Database& other);

 private:
  struct HeapItem {
    int64_t when;
    Entry* entry;
  };

  // RENAME, MOVE, COPY: writes `dst_key` in `dst` as a copy of `src` with its expiry, and
  // tells dst's observer; counts nothing.
  Entry* CopyInto(const Entry* src, Database& dst, std::string_view dst_key, bool keep_identity);
  static Entry* NewEntry(std::string_view key, std::string_view value, size_t capacity);
  // Restore's insert of value bytes as they are.
  Entry* RestoreBytes(std::string_view key, std::string_view value, const EntryMeta& meta);
  static size_t Capacity(const Entry* entry);
  void DropFields(Entry* entry);
  static void FreeEntry(Entry* entry);
  // A cold entry becomes an ordinary one with an empty value (before it is written).
  static void WarmUp(Entry* entry);
  // Moves an entry to a new allocation with room for `capacity` value bytes.
  Entry* Reallocate(Entry* entry, size_t capacity);

  void HeapPush(Entry* entry, int64_t when);
  void HeapRemove(Entry* entry);
  void HeapFix(uint32_t index);
  void HeapSwap(uint32_t a, uint32_t b);
  bool HeapUp(uint32_t index);
  void HeapDown(uint32_t index);

  static inline std::atomic<size_t> cold_entries_{0};

  Keyspace* keyspace_;
  int index_;
  ArtTree tree_;
  std::vector<HeapItem> heap_;
  std::vector<DetachedTree> garbage_;
  // User fields, only for the keys that have them (Entry::has_fields).
  std::map<std::string, UserFields, std::less<>> fields_;
};

// What Detach() returns: a whole tree no longer reachable from any database.
class Database::Contents {
 public:
  explicit Contents(DetachedTree tree) : tree_(std::move(tree)) {}
  ~Contents();
  size_t size() const { return tree_.count(); }

 private:
  DetachedTree tree_;
};

}  // namespace dkv::engine
