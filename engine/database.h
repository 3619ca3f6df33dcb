// Database: one namespace of keys (Redis' numbered databases are namespaces "0".."15").
//
// Keys live in an adaptive radix tree (engine/art.h): point lookups, ordered iteration over any
// key range, subtree counts and O(key length) subtree detach. Each key is one allocation, an
// Entry: a 24-byte header, the key bytes, then the value bytes with some spare capacity. Keys with
// an expiry are also in a min-heap ordered by expiry time, so the active expiry cycle pops due
// keys without scanning the keyspace. Detached subtrees (KV.DEL of a subtree, FLUSHDB ASYNC) are
// freed in bounded slices by ReapGarbage. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/art.h"

namespace dkv::engine {

class Keyspace;

// One key and its value. Created, moved and destroyed only by Database: an Entry* stays valid
// until the next call that may change the entry's value size (Database::SetValue, ResizeValue,
// Upsert) or delete it; those return the entry's current address.
class Entry {
 public:
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  // Both views are valid as long as the entry neither moves nor dies.
  std::string_view key() const { return {data(), key_len_}; }
  std::string_view value() const { return {data() + key_len_, value_len_}; }
  char* mutable_value() { return data() + key_len_; }
  bool has_expire() const { return heap_index_ != kNoHeap; }

  // Seconds since the epoch, modulo 2^32, of the last access (OBJECT IDLETIME, LRU).
  uint32_t access_s = 0;
  // The value was built by APPEND/SETRANGE (Redis reports encoding "raw" for it).
  bool raw_encoding = false;

 private:
  friend class Database;
  static constexpr uint32_t kNoHeap = UINT32_MAX;
  Entry() = default;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  uint32_t key_len_ = 0;
  uint32_t value_len_ = 0;
  uint32_t value_cap_ = 0;
  uint32_t heap_index_ = kNoHeap;
};
static_assert(sizeof(Entry) == 24, "Entry header is 24 bytes");

// Why a key changed, for observers (WATCH, persistence).
enum class ChangeKind { kWrite, kDelete, kExpired };

class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void OnKeyChanged(int db, std::string_view key, ChangeKind kind) = 0;
  // Every key starting with `prefix` was deleted at once (KV.DEL of a subtree, FLUSHDB: "").
  virtual void OnPrefixDeleted(int db, std::string_view prefix) = 0;
};

class Database {
 public:
  // Largest value an entry can hold.
  static constexpr size_t kMaxValueSize = UINT32_MAX - 64;

  Database(Keyspace* keyspace, int index);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int index() const { return index_; }
  size_t size() const { return tree_.size(); }
  size_t expires_size() const { return heap_.size(); }

  // The entry for `key`, or nullptr; expired keys are found too. Does not touch access time.
  Entry* FindRaw(std::string_view key) const { return tree_.Find(key); }
  // The live entry for `key`, or nullptr. A key found expired is deleted here (lazy expiry), and
  // observers hear of it.
  Entry* Find(std::string_view key);
  // As Find(), counts a hit or miss, and refreshes the access time unless `touch` is false
  // (CLIENT NO-TOUCH).
  Entry* FindForRead(std::string_view key, bool touch = true);

  // Inserts a new key. REQUIRES: FindRaw(key) == nullptr. The entry has no expiry.
  Entry* Insert(std::string_view key, std::string_view value);
  // Sets the value of `key`, creating it if needed; the expiry is removed unless keep_ttl.
  Entry* Upsert(std::string_view key, std::string_view value, bool keep_ttl = false);
  // Replaces the value. Returns the entry's (possibly new) address.
  Entry* SetValue(Entry* entry, std::string_view value);
  // Grows or shrinks the value to `size` bytes, keeping its start and zero-filling growth.
  Entry* ResizeValue(Entry* entry, size_t size);
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

  // Signals that `key` changed (writes call it once per key they modify).
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
  // Visits every entry in byte order. O(size).
  void ForEach(const std::function<void(Entry*)>& visit) const;

  // Deletes every key starting with `prefix` at once, in O(prefix length); the memory is freed
  // later by ReapGarbage. Returns how many keys went. Observers hear OnPrefixDeleted.
  size_t DeletePrefix(std::string_view prefix);
  // Frees up to `budget` entries of deleted subtrees. Returns true when nothing is left.
  bool ReapGarbage(size_t budget);
  bool has_garbage() const { return !garbage_.empty(); }

  // Deletes up to `max_keys` keys whose expiry is <= now_ms. Returns how many were deleted; sets
  // *more when due keys remain.
  size_t ExpireDue(int64_t now_ms, size_t max_keys, bool* more);

  // Empties the database and returns the old contents, to be freed elsewhere (FLUSHALL ASYNC).
  // Destroying the result frees the entries.
  class Contents;
  std::unique_ptr<Contents> Detach();
  // Exchanges contents with another database (SWAPDB).
  void SwapContents(Database& other);

 private:
  struct HeapItem {
    int64_t when;
    Entry* entry;
  };

  static Entry* NewEntry(std::string_view key, std::string_view value, size_t capacity);
  static void FreeEntry(Entry* entry);
  // Moves an entry to a new allocation with room for `capacity` value bytes.
  Entry* Reallocate(Entry* entry, size_t capacity);

  void HeapPush(Entry* entry, int64_t when);
  void HeapRemove(Entry* entry);
  void HeapFix(uint32_t index);
  void HeapSwap(uint32_t a, uint32_t b);
  bool HeapUp(uint32_t index);
  void HeapDown(uint32_t index);

  Keyspace* keyspace_;
  int index_;
  ArtTree tree_;
  std::vector<HeapItem> heap_;
  std::vector<DetachedTree> garbage_;
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
