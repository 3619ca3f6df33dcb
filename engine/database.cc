#include "engine/database.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "engine/container.h"
#include "engine/hash_ttl.h"
#include "engine/keyspace.h"

namespace dkv::engine {

void Database::CheckSizes(size_t key_size, size_t value_size) {
  // Lengths are stored in 32 bits: a larger one would be cut short silently. Commands bound what
  // they write by proto-max-bulk-len, which is capped at kMaxValueSize; getting here is a bug,
  // and failing loudly beats storing a truncated value.
  if (key_size > UINT32_MAX || value_size > kMaxValueSize) {
    throw std::length_error("dkv: key or value longer than an entry can hold");
  }
}

Database::Database(Keyspace* keyspace, int index) : keyspace_(keyspace), index_(index) {}

Database::~Database() {
  DetachedTree all = tree_.DetachPrefix("");
  all.FreeSome(SIZE_MAX, &Database::FreeEntry);
  for (DetachedTree& g : garbage_) g.FreeSome(SIZE_MAX, &Database::FreeEntry);
}

Entry* Database::NewEntry(std::string_view key, std::string_view value, size_t capacity) {
  if (capacity < value.size()) capacity = value.size();
  CheckSizes(key.size(), capacity);
  void* mem = std::malloc(sizeof(Entry) + key.size() + capacity);
  if (mem == nullptr) throw std::bad_alloc();
  Entry* e = new (mem) Entry();
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->value_len_ = static_cast<uint32_t>(value.size());
  std::memcpy(e->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->data() + key.size(), value.data(), value.size());
  return e;
}

void Database::ForEachChild(std::string_view base, char sep,
                            const std::function<bool(const std::string& child)>& visit) const {
  std::string pos(base);
  bool exclusive = false;
  std::string key;
  // Children that hold a value, seen as keys: their subtrees, which may come later in byte order
  // ("a.b", "a.b!x", "a.b.c"), must not visit them again.
  std::unordered_set<std::string> seen_as_key;
  while (true) {
    bool got = false;
    tree_.Walk(base, pos, exclusive, [&](Entry* e) {
      key.assign(e->key());
      got = true;
      return false;
    });
    if (!got) return;
    size_t seg_end = key.find(sep, base.size());
    std::string child = key.substr(0, seg_end);
    if (seg_end == std::string::npos) {
      pos = key;  // the child itself: continue right after it
      exclusive = true;
    } else {
      pos = child + static_cast<char>(sep + 1);  // jump over the child's whole subtree
      exclusive = false;
    }
    if (seg_end == std::string::npos) {
      seen_as_key.insert(child);
    } else if (seen_as_key.count(child) != 0) {
      continue;
    }
    if (!visit(child)) return;
  }
}

size_t Database::CountSubtree(const std::string& path, char sep) const {
  return (tree_.Find(path) != nullptr ? 1 : 0) + tree_.CountPrefix(path + sep);
}

size_t Database::MemoryUsage(const Entry* entry) const {
  size_t bytes = malloc_usable_size(const_cast<Entry*>(entry)) + 20 +
                 (entry->has_expire() ? 16 : 0) + ContainerExtraBytes(entry);
  if (const UserFields* f = Fields(entry)) {
    bytes += 64 + entry->key().size();
    for (const auto& [name, value] : *f) bytes += 64 + name.size() + value.size();
  }
  return bytes;
}

size_t Database::Capacity(const Entry* entry) {
  // The allocator rounds up to its size class: the slack is free room for the value to grow.
  size_t usable = malloc_usable_size(const_cast<Entry*>(entry)) - sizeof(Entry) - entry->key_len_;
  return std::min(usable, kMaxValueSize);
}

namespace {
struct ColdReadLog {
  std::vector<std::string> keys;
  size_t bytes = 0;  // the values' sizes
};
ColdReadLog& ColdReadList() {
  static ColdReadLog reads;
  return reads;
}
}  // namespace

std::string_view Entry::ColdValue() const {
  ColdReadLog& reads = ColdReadList();
  if (reads.keys.size() < kMaxColdReads && reads.bytes < kMaxColdReadBytes) {
    reads.keys.emplace_back(key());
    reads.bytes += value_len_;
  }
  return {};
}

const std::vector<std::string>& ColdReads() { return ColdReadList().keys; }
void ClearColdReads() {
  ColdReadList().keys.clear();
  ColdReadList().bytes = 0;
}

void Database::FreeEntry(Entry* entry) {
  ReleaseContainer(entry);
  if (entry->cold()) cold_entries_.fetch_sub(1, std::memory_order_relaxed);
  entry->~Entry();
  std::free(entry);
}

Entry* Database::Reallocate(Entry* entry, size_t capacity) {
  // A cold entry has no value bytes: nothing to carry over.
  std::string_view bytes =
      entry->cold() ? std::string_view()
                    : std::string_view(entry->data() + entry->key_len_, entry->value_len_);
  Entry* moved = NewEntry(entry->key(), bytes, capacity);
  // Metadata travels with the entry: copy the whole header, then the new lengths.
  uint32_t value_len = moved->value_len_;
  std::memcpy(static_cast<void*>(moved), entry, sizeof(Entry));
  moved->value_len_ = value_len;
  if (moved->heap_index_ != Entry::kNoHeap) heap_[moved->heap_index_].entry = moved;
  tree_.Replace(entry->key(), moved);
  FreeEntry(entry);
  return moved;
}

bool Database::IsExpired(const Entry* entry) const {
  return entry->heap_index_ != Entry::kNoHeap &&
         heap_[entry->heap_index_].when <= keyspace_->now_ms();
}

Entry* Database::Find(std::string_view key) {
  Entry* e = tree_.Find(key);
  if (e != nullptr && IsExpired(e)) {
    if (keyspace_->expiry_paused()) return nullptr;  // gone for readers, deleted later
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
    if (KeyNotices* notices = keyspace_->notices()) notices->OnKeyMiss(index_, key);
  } else {
    keyspace_->stats().keyspace_hits++;
    if (touch) RecordAccess(e);
  }
  return e;
}

void Database::RecordAccess(Entry* entry) {
  const AccessPolicy& policy = keyspace_->access_policy();
  if (policy.lfu) {
    uint8_t counter =
        LfuDecay(entry->lfu_, entry->accessed_ms(), keyspace_->now_ms(), policy.lfu_decay_minutes);
    entry->lfu_ = LfuIncrement(counter, policy.lfu_log_factor, keyspace_->rng());
  }
  entry->set_accessed_ms(keyspace_->now_ms());
}

Entry* Database::RandomVolatile(std::mt19937_64& rng) const {
  // A few tries: heap slots of keys in a deleted subtree wait for the reaper.
  for (int attempt = 0; attempt < 8 && !heap_.empty(); ++attempt) {
    Entry* e = heap_[rng() % heap_.size()].entry;
    if (tree_.Find(e->key()) == e) return e;
  }
  return nullptr;
}

void KeyspaceObserver::OnFlush(Database& db) { OnPrefixDeleted(db.index(), ""); }

void Database::Touch(std::string_view key, ChangeKind kind) {
  if (KeyspaceObserver* observer = keyspace_->observer()) observer->OnKeyChanged(index_, key, kind);
}

void Database::NoteWrite(std::string_view key, ChangeKind kind, uint64_t writes) {
  Touch(key, kind);
  keyspace_->AddDirty(writes);
}

// --- writes: each notifies the observer and counts in dirty ---

Entry* Database::Store(std::string_view key, std::string_view value, const StoreOptions& opts) {
  keyspace_->AddDirty();
  if (opts.expire_ms != 0 && opts.expire_ms <= keyspace_->now_ms()) {
    if (Erase(key)) Touch(key, ChangeKind::kDelete);
    return nullptr;
  }
  Entry* e = Upsert(key, value, opts.keep_ttl, opts.type);
  if (opts.expire_ms != 0) SetExpire(e, opts.expire_ms);
  if (opts.content_type) e->set_content_type(*opts.content_type);
  if (opts.fields != nullptr && !opts.fields->empty()) SetFields(e, *opts.fields);
  Touch(key);
  return e;
}

Entry* Database::Replace(Entry* entry, std::string_view value, int64_t expire_ms, bool keep_ttl) {
  if (entry->container()) {
    ReleaseContainer(entry);
    entry->clear_kind();
  }
  entry = SetValue(entry, value);
  entry->set_raw_encoding(false);
  if (expire_ms != 0) {
    SetExpire(entry, expire_ms);
  } else if (!keep_ttl) {
    SetExpire(entry, 0);
  }
  NoteWrite(entry->key());
  return entry;
}

bool Database::Delete(std::string_view key) {
  Entry* e = Find(key);
  if (e == nullptr) return false;
  Delete(e);
  return true;
}

void Database::Delete(Entry* entry) {
  std::string key(entry->key());  // the entry dies first
  Erase(entry);
  NoteWrite(key, ChangeKind::kDelete);
}

void Database::Expire(Entry* entry, int64_t when_ms) {
  if (when_ms <= keyspace_->now_ms()) return Delete(entry);
  SetExpire(entry, when_ms);
  NoteWrite(entry->key());
}

void Database::Persist(Entry* entry) {
  SetExpire(entry, 0);
  NoteWrite(entry->key());
}

void Database::SetMeta(Entry* entry, std::optional<uint8_t> content_type,
                       const UserFields& fields) {
  if (content_type) entry->set_content_type(*content_type);
  if (!fields.empty()) SetFields(entry, fields);
  NoteWrite(entry->key());
}

size_t Database::DelMeta(Entry* entry, bool content_type,
                         const std::vector<std::string_view>& names) {
  size_t removed = 0;
  if (content_type) {
    if (entry->content_type() != 0) ++removed;
    entry->set_content_type(0);
  }
  removed += DelFields(entry, names);
  if (removed > 0) NoteWrite(entry->key());
  return removed;
}

Entry* Database::CopyInto(const Entry* src, Database& dst, std::string_view dst_key,
                          bool keep_identity) {
  int64_t expire = ExpireAt(src);
  Entry* copy = dst.InsertCopy(dst_key, *src, Fields(src), keep_identity);
  if (expire != 0) dst.SetExpire(copy, expire);
  dst.Touch(dst_key);
  return copy;
}

Entry* Database::Rename(Entry* src, std::string_view dst_key) {
  std::string src_key(src->key());
  Entry* moved = CopyInto(src, *this, dst_key, true);
  Erase(src_key);
  NoteWrite(src_key, ChangeKind::kDelete);
  return moved;
}

Entry* Database::MoveTo(Entry* src, Database& dst) {
  std::string key(src->key());
  Entry* moved = CopyInto(src, dst, key, true);
  Erase(src);
  NoteWrite(key, ChangeKind::kDelete);
  return moved;
}

Entry* Database::CopyTo(const Entry* src, Database& dst, std::string_view dst_key) {
  Entry* copy = CopyInto(src, dst, dst_key, false);
  keyspace_->AddDirty();
  return copy;
}

std::unique_ptr<Database::Contents> Database::Flush() {
  if (KeyspaceObserver* observer = keyspace_->observer()) observer->OnFlush(*this);
  keyspace_->AddDirty(size());
  return Detach();
}

void Database::Evict(Entry* entry) {
  std::string key(entry->key());
  Erase(entry);
  Touch(key, ChangeKind::kEvicted);
  keyspace_->stats().evicted_keys++;
}

Entry* Database::Insert(std::string_view key, std::string_view value, ValueType type) {
  Entry* e = NewEntry(key, value, value.size());
  int64_t now = keyspace_->now_ms();
  e->version_ = 1;
  Entry::SetTime(e->created_, now);
  Entry::SetTime(e->updated_, now);
  Entry::SetTime(e->accessed_, now);
  e->set_type(type);
  e->lfu_ = kLfuInitialValue;
  tree_.Insert(e);
  if (KeyNotices* notices = keyspace_->notices()) notices->OnKeyCreated(index_, e->key());
  return e;
}

Entry* Database::RestoreBytes(std::string_view key, std::string_view value, const EntryMeta& meta) {
  Entry* e = NewEntry(key, value, value.size());
  e->version_ = meta.version;
  Entry::SetTime(e->created_, meta.created_ms);
  Entry::SetTime(e->updated_, meta.updated_ms);
  Entry::SetTime(e->accessed_, meta.accessed_ms);
  e->set_type(meta.type);
  e->set_content_type(meta.content_type);
  e->set_raw_encoding(meta.raw_encoding);
  e->lfu_ = meta.lfu;
  tree_.Insert(e);
  return e;
}

Entry* Database::Restore(std::string_view key, std::string_view value, const EntryMeta& meta) {
  if (meta.kind == Kind::kString) return RestoreBytes(key, value, meta);
  std::string bytes;
  if (!Materialize(meta.kind, value, keyspace_->container_limits(), &bytes)) return nullptr;
  Entry* e = RestoreBytes(key, bytes, meta);
  e->set_kind(meta.kind);
  PlaceFieldTtls(*this, e);
  return e;
}

Entry* Database::InsertContainer(std::string_view key, Kind kind, std::string_view value,
                                 bool replacing) {
  KeyNotices* notices = keyspace_->notices();
  if (replacing) keyspace_->set_notices(nullptr);
  Entry* e = Insert(key, value);
  keyspace_->set_notices(notices);
  e->set_kind(kind);
  PlaceFieldTtls(*this, e);
  return e;
}

void Database::WarmUp(Entry* entry) {
  if (!entry->cold()) return;
  entry->flags_ = static_cast<uint8_t>(entry->flags_ & ~Entry::kCold);
  entry->value_len_ = 0;
  cold_entries_.fetch_sub(1, std::memory_order_relaxed);
}

Entry* Database::DropValue(Entry* entry) {
  if (entry->cold()) return entry;
  if (KeyspaceObserver* observer = keyspace_->observer()) {
    observer->OnValueDropped(index_, entry->key());
  }
  ReleaseContainer(entry);
  uint32_t size = entry->value_len_;
  entry->value_len_ = 0;  // nothing to carry over
  entry = Reallocate(entry, 0);
  entry->value_len_ = size;
  entry->flags_ = static_cast<uint8_t>(entry->flags_ | Entry::kCold);
  cold_entries_.fetch_add(1, std::memory_order_relaxed);
  return entry;
}

Entry* Database::FillValue(Entry* entry, std::string_view value) {
  if (!entry->cold()) return entry;
  std::string bytes;
  if (entry->container()) {
    // A damaged row would leave the key without a value: an empty container of its kind is
    // what the commands can live with (the backend logs the damage it finds when loading).
    if (!Materialize(entry->kind(), value, keyspace_->container_limits(), &bytes)) {
      bytes = EmptyContainer(entry->kind());
    }
    value = bytes;
  }
  CheckSizes(entry->key_len_, value.size());
  WarmUp(entry);
  entry = Reallocate(entry, value.size());
  if (!value.empty()) std::memcpy(entry->mutable_value(), value.data(), value.size());
  entry->value_len_ = static_cast<uint32_t>(value.size());
  if (entry->container()) PlaceFieldTtls(*this, entry);
  return entry;
}

Entry* Database::RestoreCold(std::string_view key, size_t value_size, const EntryMeta& meta) {
  Entry* e = RestoreBytes(key, {}, meta);
  if (meta.kind != Kind::kString) e->set_kind(meta.kind);
  e->value_len_ = static_cast<uint32_t>(std::min(value_size, kMaxValueSize));
  e->flags_ = static_cast<uint8_t>(e->flags_ | Entry::kCold);
  cold_entries_.fetch_add(1, std::memory_order_relaxed);
  return e;
}

Entry* Database::Upsert(std::string_view key, std::string_view value, bool keep_ttl,
                        ValueType type) {
  Entry* e = tree_.Find(key);
  if (e == nullptr) return Insert(key, value, type);
  if (e->container()) {
    ReleaseContainer(e);
    e->clear_kind();
  }
  e = SetValue(e, value);
  e->set_raw_encoding(false);
  e->set_type(type);
  e->set_accessed_ms(keyspace_->now_ms());
  if (!keep_ttl && e->has_expire()) SetExpire(e, 0);
  return e;
}

void Database::NoteValueChanged(Entry* entry) {
  entry->version_++;
  Entry::SetTime(entry->updated_, keyspace_->now_ms());
}

Entry* Database::SetValue(Entry* entry, std::string_view value) {
  entry = SetRawValue(entry, value);
  NoteValueChanged(entry);
  return entry;
}

Entry* Database::SetRawValue(Entry* entry, std::string_view value) {
  CheckSizes(entry->key_len_, value.size());
  WarmUp(entry);
  size_t capacity = Capacity(entry);
  if (value.size() > capacity ||
      // Give memory back when a big value is replaced by one less than half its size (Redis trims
      // a string whose spare room is over a tenth of it; half keeps clear of the allocator's
      // size-class slack, which is counted as capacity and is under a quarter).
      (capacity > 256 && value.size() < capacity / 2)) {
    entry->value_len_ = 0;  // nothing to carry over
    entry = Reallocate(entry, value.size());
  }
  if (!value.empty()) std::memmove(entry->mutable_value(), value.data(), value.size());
  entry->value_len_ = static_cast<uint32_t>(value.size());
  return entry;
}

Entry* Database::ResizeValue(Entry* entry, size_t size, bool exact) {
  // The server fetches a cold value before a command that changes it in place runs; were one
  // to get here anyway, it is treated as empty rather than read out of bounds.
  CheckSizes(entry->key_len_, size);
  WarmUp(entry);
  size_t cap = Capacity(entry);
  if (size > cap) {
    // Growth by APPEND/SETRANGE: double, so repeated appends cost amortized O(1) per byte.
    size_t capacity = exact ? size : std::max(size, std::min<size_t>(kMaxValueSize, 2 * cap));
    entry = Reallocate(entry, capacity);
  }
  if (size > entry->value_len_) {
    std::memset(entry->mutable_value() + entry->value_len_, 0, size - entry->value_len_);
  }
  entry->value_len_ = static_cast<uint32_t>(size);
  return entry;
}

bool Database::Erase(std::string_view key) {
  Entry* e = tree_.Erase(key);
  if (e == nullptr) return false;
  if (e->heap_index_ != Entry::kNoHeap) HeapRemove(e);
  DropFields(e);
  FreeEntry(e);
  return true;
}

void Database::Erase(Entry* entry) {
  // The key is read by the tree before the entry is freed.
  Erase(entry->key());
}

void Database::DropFields(Entry* entry) {
  if (entry->has_fields()) {
    auto it = fields_.find(entry->key());
    if (it != fields_.end()) fields_.erase(it);
  }
}

Entry* Database::InsertCopy(std::string_view key, const Entry& src, const UserFields* fields,
                            bool keep_identity) {
  // `src` may live in another database, or be the entry that `key` replaces: copy what is
  // needed before erasing.
  // A container's table moves with RENAME and MOVE (the source is erased next) and is copied
  // for COPY; its packed bytes are copied either way.
  std::string value = !src.container() ? std::string(src.value())
                      : keep_identity  ? std::string(src.value())
                                       : CloneContainer(&src);
  if (src.container() && keep_identity) DisownContainer(const_cast<Entry*>(&src));
  Entry header_copy;
  std::memcpy(static_cast<void*>(&header_copy), &src, sizeof(Entry));
  UserFields fields_copy = fields ? *fields : UserFields();
  Erase(key);
  Entry* e = Insert(key, value, src.type());
  if (header_copy.container()) {
    e->set_kind(header_copy.kind());
    PlaceFieldTtls(*this, e);
  }
  e->set_content_type(src.content_type());
  e->set_raw_encoding(src.raw_encoding());
  if (keep_identity) {
    e->version_ = header_copy.version_;
    std::memcpy(e->created_, header_copy.created_, 5);
    std::memcpy(e->updated_, header_copy.updated_, 5);
    std::memcpy(e->accessed_, header_copy.accessed_, 5);
  }
  if (!fields_copy.empty()) SetFields(e, fields_copy);
  return e;
}

const UserFields* Database::Fields(const Entry* entry) const {
  if (!entry->has_fields()) return nullptr;
  auto it = fields_.find(entry->key());
  return it == fields_.end() ? nullptr : &it->second;
}

size_t Database::SetFields(Entry* entry, const UserFields& fields) {
  UserFields& mine = fields_[std::string(entry->key())];
  for (const auto& field : fields) {
    auto it = std::find_if(mine.begin(), mine.end(),
                           [&](const auto& f) { return f.first == field.first; });
    if (it == mine.end()) {
      mine.push_back(field);
    } else {
      it->second = field.second;
    }
  }
  entry->flags_ = static_cast<uint8_t>(entry->flags_ | Entry::kHasFields);
  return fields.size();
}

size_t Database::DelFields(Entry* entry, const std::vector<std::string_view>& names) {
  if (!entry->has_fields()) return 0;
  auto it = fields_.find(entry->key());
  if (it == fields_.end()) return 0;
  size_t removed = 0;
  for (std::string_view name : names) {
    auto f = std::find_if(it->second.begin(), it->second.end(),
                          [&](const auto& p) { return p.first == name; });
    if (f != it->second.end()) {
      it->second.erase(f);
      ++removed;
    }
  }
  if (it->second.empty()) {
    fields_.erase(it);
    entry->flags_ = static_cast<uint8_t>(entry->flags_ & ~Entry::kHasFields);
  }
  return removed;
}

void Database::SetExpire(Entry* entry, int64_t when_ms) {
  if (when_ms == 0) {
    if (entry->heap_index_ != Entry::kNoHeap) HeapRemove(entry);
    return;
  }
  if (entry->heap_index_ == Entry::kNoHeap) {
    HeapPush(entry, when_ms);
  } else {
    heap_[entry->heap_index_].when = when_ms;
    HeapFix(entry->heap_index_);
  }
}

void Database::ForEach(const std::function<void(Entry*)>& visit) const {
  tree_.Walk("", "", false, [&](Entry* e) {
    visit(e);
    return true;
  });
}

size_t Database::DeletePrefix(std::string_view prefix) {
  DetachedTree cut = tree_.DetachPrefix(prefix);
  size_t n = cut.count();
  if (n == 0) return 0;
  garbage_.push_back(std::move(cut));
  // User fields are keyed by name: those of the deleted keys go now, before a new key of the
  // same name could see them.
  auto first = fields_.lower_bound(prefix);
  auto last = first;
  while (last != fields_.end() && last->first.compare(0, prefix.size(), prefix) == 0) ++last;
  fields_.erase(first, last);
  if (KeyspaceObserver* observer = keyspace_->observer()) {
    observer->OnPrefixDeleted(index_, prefix);
  }
  keyspace_->AddDirty(n);
  return n;
}

bool Database::has_garbage() const { return !garbage_.empty() || HasContainerGarbage(); }

bool Database::ReapGarbage(size_t budget) {
  if (!ReapContainers(budget)) return false;
  while (!garbage_.empty() && budget > 0) {
    size_t freed = 0;
    bool done = garbage_.back().FreeSome(budget, [&](Entry* e) {
      if (e->heap_index_ != Entry::kNoHeap) HeapRemove(e);
      FreeEntry(e);
      ++freed;
    });
    budget -= std::min(budget, freed);
    if (done) garbage_.pop_back();
  }
  return garbage_.empty();
}

size_t Database::ExpireDue(int64_t now_ms, size_t max_keys, bool* more) {
  size_t deleted = 0;
  while (!heap_.empty() && heap_[0].when <= now_ms && deleted < max_keys) {
    Entry* e = heap_[0].entry;
    if (tree_.Find(e->key()) != e) {
      // Part of a deleted subtree waiting to be freed: only its heap slot goes here.
      HeapRemove(e);
      continue;
    }
    std::string key(e->key());
    Erase(e);
    keyspace_->stats().expired_keys++;
    Touch(key, ChangeKind::kExpired);
    ++deleted;
  }
  *more = !heap_.empty() && heap_[0].when <= now_ms;
  return deleted;
}

size_t Database::CountDue(int64_t now_ms, size_t cap) const {
  // Due items form a connected top of the heap: explore children of due items only.
  size_t count = 0;
  std::vector<uint32_t> stack;
  if (!heap_.empty() && heap_[0].when <= now_ms) stack.push_back(0);
  while (!stack.empty() && count < cap) {
    uint32_t i = stack.back();
    stack.pop_back();
    ++count;
    for (uint32_t c = 2 * i + 1; c <= 2 * i + 2 && c < heap_.size(); ++c) {
      if (heap_[c].when <= now_ms) stack.push_back(c);
    }
  }
  return count;
}

Database::Contents::~Contents() { tree_.FreeSome(SIZE_MAX, &Database::FreeEntry); }

std::unique_ptr<Database::Contents> Database::Detach() {
  // Entries leave with their heap slots: the heap is simply emptied.
  for (HeapItem& item : heap_) item.entry->heap_index_ = Entry::kNoHeap;
  heap_.clear();
  heap_.shrink_to_fit();
  for (DetachedTree& g : garbage_) g.FreeSome(SIZE_MAX, &Database::FreeEntry);
  garbage_.clear();
  fields_.clear();
  return std::make_unique<Contents>(tree_.DetachPrefix(""));
}

void Database::SwapContents(Database& other) {
  tree_.Swap(other.tree_);
  std::swap(heap_, other.heap_);
  std::swap(garbage_, other.garbage_);
  std::swap(fields_, other.fields_);
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

void Database::HeapPush(Entry* entry, int64_t when) {
  heap_.push_back({when, entry});
  entry->heap_index_ = static_cast<uint32_t>(heap_.size() - 1);
  HeapUp(entry->heap_index_);
}

void Database::HeapRemove(Entry* entry) {
  uint32_t index = entry->heap_index_;
  uint32_t last = static_cast<uint32_t>(heap_.size() - 1);
  if (index != last) HeapSwap(index, last);
  heap_.pop_back();
  entry->heap_index_ = Entry::kNoHeap;
  if (index < heap_.size()) HeapFix(index);
}

}  // namespace dkv::engine
