// Database: one namespace of keys (Redis' numbered databases are namespaces "0".."15").
//
// It owns its entries in a chained hash table with power-of-two sizes that grows and shrinks
// incrementally (a few buckets moved per operation and per cron tick, never a stop-the-world
// rehash), and a min-heap of the keys that have an expiry, so the active expiry cycle pops due keys
// without scanning the keyspace. Entries never move in memory while they live, so an Entry* stays
// valid until that key is deleted. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::engine {

class Keyspace;

// One key and its value. Created and destroyed only by Database.
class Entry {
 public:
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  // Valid as long as the entry lives.
  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len_}; }
  int64_t expire_at_ms() const { return expire_at_ms_; }
  bool has_expire() const { return expire_at_ms_ != 0; }

  std::string value;
  // Seconds since the epoch, modulo 2^32, of the last access (OBJECT IDLETIME, LRU).
  uint32_t access_s = 0;
  // The value was built by APPEND/SETRANGE (Redis reports encoding "raw" for it).
  bool raw_encoding = false;

 private:
  friend class Database;
  Entry(std::string_view key, std::string&& v);
  ~Entry() = default;

  Entry* next_ = nullptr;
  int64_t expire_at_ms_ = 0;
  uint32_t heap_index_ = UINT32_MAX;
  uint32_t key_len_;
};

// Why a key changed, for observers (WATCH, persistence).
enum class ChangeKind { kWrite, kDelete, kExpired };

class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void OnKeyChanged(int db, std::string_view key, ChangeKind kind) = 0;
  // The whole database was emptied or swapped.
  virtual void OnDatabaseChanged(int db) = 0;
};

class Database {
 public:
  Database(Keyspace* keyspace, int index);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int index() const { return index_; }
  size_t size() const { return tables_[0].used + tables_[1].used; }
  size_t expires_size() const { return heap_.size(); }

  // The entry for `key`, or nullptr; expired keys are found too. Does not touch access time.
  Entry* FindRaw(std::string_view key);
  // The live entry for `key`, or nullptr. A key found expired is deleted here (lazy expiry), and
  // observers hear of it.
  Entry* Find(std::string_view key);
  // As Find(), and refreshes the access time (unless the client asked for NO-TOUCH).
  Entry* FindForRead(std::string_view key, bool touch = true);

  // Inserts a new key. REQUIRES: FindRaw(key) == nullptr. The returned entry has no expiry.
  Entry* Insert(std::string_view key, std::string value);
  // Sets the value of `key`, creating it if needed; the expiry is removed unless keep_ttl.
  Entry* Upsert(std::string_view key, std::string value, bool keep_ttl = false);
  // Removes the entry. Returns false when the key was not there (expired counts as there).
  bool Erase(std::string_view key);
  void Erase(Entry* entry);

  // Sets (when_ms > 0) or removes (when_ms == 0) the absolute expiry of an entry.
  void SetExpire(Entry* entry, int64_t when_ms);
  bool IsExpired(const Entry* entry) const;

  // Signals that `key` changed (writes call it once per key they modify).
  void Touch(std::string_view key, ChangeKind kind = ChangeKind::kWrite);

  // Redis-style SCAN: visits the entries of some buckets and returns the next cursor (0 at the
  // end). Every key present from the first to the last call is visited at least once, however the
  // table grows or shrinks in between.
  uint64_t Scan(uint64_t cursor, const std::function<void(Entry*)>& visit);
  // A random entry (possibly expired), or nullptr when empty.
  Entry* RandomEntry(std::mt19937_64& rng);
  // Visits every entry. O(size): only for FLUSH-free tools, DEBUG and tests.
  void ForEach(const std::function<void(Entry*)>& visit);

  // Deletes up to `max_keys` keys whose expiry is <= now_ms. Returns how many were deleted; sets
  // *more when due keys remain.
  size_t ExpireDue(int64_t now_ms, size_t max_keys, bool* more);
  // Moves some rehash work forward and shrinks the table when it is mostly empty.
  void Cron();

  // Empties the database. The old contents are returned so the caller can free them elsewhere
  // (FLUSHALL ASYNC); destroying the returned object frees them.
  class Contents;
  std::unique_ptr<Contents> Detach();
  // Exchanges contents with another database (SWAPDB).
  void SwapContents(Database& other);

 private:
  struct Table {
    Entry** buckets = nullptr;
    uint64_t size = 0;  // 0 or a power of two
    uint64_t used = 0;
  };
  struct HeapItem {
    int64_t when;
    Entry* entry;
  };

  static uint64_t Hash(std::string_view key);
  bool Rehashing() const { return rehash_index_ >= 0; }
  void RehashStep(int buckets);
  void MaybeGrow();
  void ResizeTo(uint64_t size);
  // The link that points to `target` (or, when null, to the entry whose key is `key`), and the
  // table holding it; nullptr when absent.
  Entry** FindSlot(std::string_view key, const Entry* target, Table** table_of);
  // Removes `target` (or, when null, the entry whose key is `key`) from the table and frees it.
  bool Unlink(std::string_view key, Entry* target);
  static void DestroyEntry(Entry* entry);

  void HeapPush(Entry* entry);
  void HeapRemove(Entry* entry);
  void HeapFix(uint32_t index);
  void HeapSwap(uint32_t a, uint32_t b);
  bool HeapUp(uint32_t index);
  void HeapDown(uint32_t index);

  Keyspace* keyspace_;
  int index_;
  Table tables_[2];
  int64_t rehash_index_ = -1;
  std::vector<HeapItem> heap_;
};

// What Detach() returns: entries no longer reachable from any database.
class Database::Contents {
 public:
  ~Contents();
  size_t size() const { return count_; }

 private:
  friend class Database;
  std::vector<Entry**> bucket_arrays_;
  std::vector<uint64_t> bucket_sizes_;
  size_t count_ = 0;
};

}  // namespace dkv::engine
