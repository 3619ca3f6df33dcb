#include "engine/database.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "engine/keyspace.h"

namespace dkv::engine {
namespace {

constexpr uint64_t kInitialSize = 4;
// A table is shrunk when fewer than 1 in kShrinkRatio buckets would be used.
constexpr uint64_t kShrinkRatio = 8;
// Empty buckets a rehash step may pass over per bucket it is asked to move.
constexpr int kEmptyVisitsPerStep = 10;

uint64_t NextPowerOfTwo(uint64_t n) {
  uint64_t size = kInitialSize;
  while (size < n) size <<= 1;
  return size;
}

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
  return (v >> 32) | (v << 32);
}

Entry** AllocBuckets(uint64_t size) {
  // calloc: the kernel hands out zeroed pages lazily, so a big table costs nothing up front.
  auto* buckets = static_cast<Entry**>(std::calloc(size, sizeof(Entry*)));
  if (buckets == nullptr) throw std::bad_alloc();
  return buckets;
}

}  // namespace

Entry::Entry(std::string_view key, std::string&& v)
    : value(std::move(v)), key_len_(static_cast<uint32_t>(key.size())) {
  std::memcpy(reinterpret_cast<char*>(this + 1), key.data(), key.size());
}

Database::Database(Keyspace* keyspace, int index) : keyspace_(keyspace), index_(index) {}

Database::~Database() { Detach(); }

uint64_t Database::Hash(std::string_view key) {
  // FNV-1a over 8-byte words with a final mix: fast on short keys, good enough spread for a
  // chained table (the mix step decorrelates the low bits that select the bucket).
  uint64_t h = 0xcbf29ce484222325ULL ^ key.size();
  const char* p = key.data();
  size_t n = key.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * 0x100000001b3ULL;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

Entry** Database::FindSlot(std::string_view key, const Entry* target, Table** table_of) {
  const uint64_t hash = Hash(key);
  for (int t = 0; t <= (Rehashing() ? 1 : 0); ++t) {
    Table& table = tables_[t];
    if (table.size == 0) continue;
    Entry** slot = &table.buckets[hash & (table.size - 1)];
    while (*slot != nullptr) {
      Entry* e = *slot;
      if (target != nullptr
              ? e == target
              : (e->key_len_ == key.size() && std::memcmp(e + 1, key.data(), key.size()) == 0)) {
        if (table_of != nullptr) *table_of = &table;
        return slot;
      }
      slot = &e->next_;
    }
  }
  return nullptr;
}

Entry* Database::FindRaw(std::string_view key) {
  if (size() == 0) return nullptr;
  if (Rehashing()) RehashStep(1);
  Entry** slot = FindSlot(key, nullptr, nullptr);
  return slot ? *slot : nullptr;
}

bool Database::IsExpired(const Entry* entry) const {
  return entry->expire_at_ms_ != 0 && entry->expire_at_ms_ <= keyspace_->now_ms();
}

Entry* Database::Find(std::string_view key) {
  Entry* e = FindRaw(key);
  if (e != nullptr && IsExpired(e)) {
    keyspace_->stats().expired_keys++;
    std::string copy(key);  // `key` may point into the entry
    Erase(e);
    Touch(copy, ChangeKind::kExpired);
    return nullptr;
  }
  return e;
}

Entry* Database::FindForRead(std::string_view key, bool touch) {
  Entry* e = Find(key);
  if (e == nullptr) {
    keyspace_->stats().keyspace_misses++;
  } else {
    keyspace_->stats().keyspace_hits++;
    if (touch) e->access_s = keyspace_->now_s32();
  }
  return e;
}

void Database::Touch(std::string_view key, ChangeKind kind) {
  if (KeyspaceObserver* observer = keyspace_->observer()) observer->OnKeyChanged(index_, key, kind);
}

void Database::MaybeGrow() {
  if (Rehashing()) return;
  Table& t0 = tables_[0];
  if (t0.size == 0) {
    t0.buckets = AllocBuckets(kInitialSize);
    t0.size = kInitialSize;
    return;
  }
  if (t0.used >= t0.size) ResizeTo(NextPowerOfTwo(t0.used * 2));
}

void Database::ResizeTo(uint64_t new_size) {
  if (Rehashing() || new_size == tables_[0].size) return;
  tables_[1].buckets = AllocBuckets(new_size);
  tables_[1].size = new_size;
  tables_[1].used = 0;
  rehash_index_ = 0;
}

void Database::RehashStep(int buckets) {
  if (!Rehashing()) return;
  Table& from = tables_[0];
  Table& to = tables_[1];
  int empty_visits = buckets * kEmptyVisitsPerStep;
  while (buckets-- > 0 && from.used > 0) {
    while (from.buckets[rehash_index_] == nullptr) {
      ++rehash_index_;
      if (--empty_visits == 0) return;
    }
    Entry* e = from.buckets[rehash_index_];
    while (e != nullptr) {
      Entry* next = e->next_;
      uint64_t idx = Hash(e->key()) & (to.size - 1);
      e->next_ = to.buckets[idx];
      to.buckets[idx] = e;
      from.used--;
      to.used++;
      e = next;
    }
    from.buckets[rehash_index_] = nullptr;
    ++rehash_index_;
  }
  if (from.used == 0) {
    std::free(from.buckets);
    from = to;
    to = Table{};
    rehash_index_ = -1;
  }
}

Entry* Database::Insert(std::string_view key, std::string value) {
  if (Rehashing()) RehashStep(1);
  MaybeGrow();
  void* mem = ::operator new(sizeof(Entry) + key.size());
  Entry* e = new (mem) Entry(key, std::move(value));
  e->access_s = keyspace_->now_s32();
  Table& table = tables_[Rehashing() ? 1 : 0];
  uint64_t idx = Hash(key) & (table.size - 1);
  e->next_ = table.buckets[idx];
  table.buckets[idx] = e;
  table.used++;
  return e;
}

Entry* Database::Upsert(std::string_view key, std::string value, bool keep_ttl) {
  Entry* e = FindRaw(key);
  if (e == nullptr) return Insert(key, std::move(value));
  e->value = std::move(value);
  e->raw_encoding = false;
  e->access_s = keyspace_->now_s32();
  if (!keep_ttl && e->has_expire()) SetExpire(e, 0);
  return e;
}

void Database::DestroyEntry(Entry* entry) {
  entry->~Entry();
  ::operator delete(static_cast<void*>(entry));
}

bool Database::Erase(std::string_view key) {
  if (size() == 0) return false;
  if (Rehashing()) RehashStep(1);
  return Unlink(key, nullptr);
}

void Database::Erase(Entry* entry) { Unlink(entry->key(), entry); }

bool Database::Unlink(std::string_view key, Entry* target) {
  Table* table = nullptr;
  Entry** slot = FindSlot(key, target, &table);
  if (slot == nullptr) return false;
  Entry* e = *slot;
  *slot = e->next_;
  table->used--;
  if (e->heap_index_ != UINT32_MAX) HeapRemove(e);
  DestroyEntry(e);
  return true;
}

void Database::SetExpire(Entry* entry, int64_t when_ms) {
  if (when_ms == 0) {
    if (entry->heap_index_ != UINT32_MAX) HeapRemove(entry);
    entry->expire_at_ms_ = 0;
    return;
  }
  entry->expire_at_ms_ = when_ms;
  if (entry->heap_index_ == UINT32_MAX) {
    HeapPush(entry);
  } else {
    heap_[entry->heap_index_].when = when_ms;
    HeapFix(entry->heap_index_);
  }
}

uint64_t Database::Scan(uint64_t cursor, const std::function<void(Entry*)>& visit) {
  if (size() == 0) return 0;
  auto emit_bucket = [&](Entry* e) {
    while (e != nullptr) {
      Entry* next = e->next_;
      visit(e);
      e = next;
    }
  };
  if (!Rehashing()) {
    const Table& t = tables_[0];
    uint64_t mask = t.size - 1;
    emit_bucket(t.buckets[cursor & mask]);
    // Increment the reversed cursor: walks buckets in an order that survives resizing.
    cursor |= ~mask;
    cursor = ReverseBits(cursor);
    cursor++;
    cursor = ReverseBits(cursor);
    return cursor;
  }
  const Table* small = &tables_[0];
  const Table* large = &tables_[1];
  if (small->size > large->size) std::swap(small, large);
  uint64_t small_mask = small->size - 1;
  uint64_t large_mask = large->size - 1;
  emit_bucket(small->buckets[cursor & small_mask]);
  // Then every bucket of the larger table that expands the small table's bucket.
  do {
    emit_bucket(large->buckets[cursor & large_mask]);
    cursor |= ~large_mask;
    cursor = ReverseBits(cursor);
    cursor++;
    cursor = ReverseBits(cursor);
  } while (cursor & (small_mask ^ large_mask));
  return cursor;
}

Entry* Database::RandomEntry(std::mt19937_64& rng) {
  if (size() == 0) return nullptr;
  if (Rehashing()) RehashStep(1);
  Entry* bucket = nullptr;
  // The fill factor stays above 1/kShrinkRatio after cron shrinks, so this ends quickly; the
  // bound covers tables that have not been shrunk yet.
  for (int attempt = 0; bucket == nullptr; ++attempt) {
    if (Rehashing()) {
      uint64_t span = tables_[0].size + tables_[1].size;
      uint64_t i = rng() % span;
      bucket =
          i < tables_[0].size ? tables_[0].buckets[i] : tables_[1].buckets[i - tables_[0].size];
    } else {
      bucket = tables_[0].buckets[rng() & (tables_[0].size - 1)];
    }
    if (attempt > 4096 && bucket == nullptr) {
      // Extremely sparse table: take the first non-empty bucket from a random start.
      for (int t = 0; t < 2 && bucket == nullptr; ++t) {
        for (uint64_t i = 0; i < tables_[t].size && bucket == nullptr; ++i) {
          bucket = tables_[t].buckets[i];
        }
      }
    }
  }
  size_t chain = 0;
  for (Entry* e = bucket; e != nullptr; e = e->next_) ++chain;
  size_t pick = rng() % chain;
  Entry* e = bucket;
  while (pick-- > 0) e = e->next_;
  return e;
}

void Database::ForEach(const std::function<void(Entry*)>& visit) {
  for (int t = 0; t < 2; ++t) {
    for (uint64_t i = 0; i < tables_[t].size; ++i) {
      for (Entry* e = tables_[t].buckets[i]; e != nullptr;) {
        Entry* next = e->next_;
        visit(e);
        e = next;
      }
    }
  }
}

size_t Database::ExpireDue(int64_t now_ms, size_t max_keys, bool* more) {
  size_t deleted = 0;
  while (!heap_.empty() && heap_[0].when <= now_ms && deleted < max_keys) {
    Entry* e = heap_[0].entry;
    std::string key(e->key());
    Erase(e);
    keyspace_->stats().expired_keys++;
    Touch(key, ChangeKind::kExpired);
    ++deleted;
  }
  *more = !heap_.empty() && heap_[0].when <= now_ms;
  return deleted;
}

void Database::Cron() {
  if (Rehashing()) {
    RehashStep(100);
    return;
  }
  Table& t0 = tables_[0];
  if (t0.size > kInitialSize && t0.used * kShrinkRatio < t0.size) {
    ResizeTo(NextPowerOfTwo(t0.used));
  }
}

Database::Contents::~Contents() {
  for (size_t i = 0; i < bucket_arrays_.size(); ++i) {
    Entry** buckets = bucket_arrays_[i];
    for (uint64_t b = 0; b < bucket_sizes_[i]; ++b) {
      for (Entry* e = buckets[b]; e != nullptr;) {
        Entry* next = e->next_;
        DestroyEntry(e);
        e = next;
      }
    }
    std::free(buckets);
  }
}

std::unique_ptr<Database::Contents> Database::Detach() {
  auto contents = std::make_unique<Contents>();
  for (Table& t : tables_) {
    if (t.buckets != nullptr) {
      contents->bucket_arrays_.push_back(t.buckets);
      contents->bucket_sizes_.push_back(t.size);
      contents->count_ += t.used;
    }
    t = Table{};
  }
  rehash_index_ = -1;
  heap_.clear();
  heap_.shrink_to_fit();
  return contents;
}

void Database::SwapContents(Database& other) {
  std::swap(tables_, other.tables_);
  std::swap(rehash_index_, other.rehash_index_);
  std::swap(heap_, other.heap_);
}

// --- expiry heap: heap_[i].entry->heap_index_ == i for every i ---

void Database::HeapSwap(uint32_t a, uint32_t b) {
  std::swap(heap_[a], heap_[b]);
  heap_[a].entry->heap_index_ = a;
  heap_[b].entry->heap_index_ = b;
}

bool Database::HeapUp(uint32_t index) {
  bool moved = false;
  while (index > 0) {
    uint32_t parent = (index - 1) / 2;
    if (heap_[parent].when <= heap_[index].when) break;
    HeapSwap(parent, index);
    index = parent;
    moved = true;
  }
  return moved;
}

void Database::HeapDown(uint32_t index) {
  const uint32_t n = static_cast<uint32_t>(heap_.size());
  while (true) {
    uint32_t smallest = index;
    uint32_t left = 2 * index + 1;
    uint32_t right = left + 1;
    if (left < n && heap_[left].when < heap_[smallest].when) smallest = left;
    if (right < n && heap_[right].when < heap_[smallest].when) smallest = right;
    if (smallest == index) return;
    HeapSwap(index, smallest);
    index = smallest;
  }
}

void Database::HeapFix(uint32_t index) {
  if (!HeapUp(index)) HeapDown(index);
}

void Database::HeapPush(Entry* entry) {
  heap_.push_back({entry->expire_at_ms_, entry});
  entry->heap_index_ = static_cast<uint32_t>(heap_.size() - 1);
  HeapUp(entry->heap_index_);
}

void Database::HeapRemove(Entry* entry) {
  uint32_t index = entry->heap_index_;
  uint32_t last = static_cast<uint32_t>(heap_.size() - 1);
  if (index != last) HeapSwap(index, last);
  heap_.pop_back();
  entry->heap_index_ = UINT32_MAX;
  if (index < heap_.size()) HeapFix(index);
}

}  // namespace dkv::engine
