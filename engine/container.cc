#include "engine/container.h"

#include <cstring>
#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "engine/hash_ttl.h"
#include "engine/intset.h"
#include "engine/keyspace.h"
#include "engine/list_ops.h"
#include "engine/packed.h"
#include "engine/stream.h"
#include "engine/stream_portable.h"
#include "engine/zset_ops.h"

namespace dkv::engine {

namespace {

std::deque<SlicedGarbage*>& Garbage() {
  static std::deque<SlicedGarbage*> garbage;
  return garbage;
}

class DictGarbage : public SlicedGarbage {
 public:
  explicit DictGarbage(Dict* dict) : dict_(dict) {}
  ~DictGarbage() override { delete dict_; }
  bool FreeSome(size_t budget, size_t* freed) override {
    size_t before = dict_->size();
    bool done = dict_->FreeSome(budget);
    *freed = before - dict_->size();
    return done;
  }

 private:
  Dict* dict_;
};

void Dispose(Dict* dict) {
  if (dict == nullptr) return;
  ForgetFieldTtls(dict);
  if (dict->size() > kFreeInSlices) {
    DisposeInSlices(new DictGarbage(dict));
  } else {
    delete dict;
  }
}

// Checks the items of a packed portable form; on success `items` holds views into it.
bool ReadItems(std::string_view portable, std::vector<std::string_view>* items) {
  const char* p = portable.data() + 1;
  const char* end = portable.data() + portable.size();
  uint64_t count = 0;
  size_t n = packed::GetVarintChecked(p, end, &count);
  if (n == 0) return false;
  p += n;
  // Every item takes at least one byte: a count beyond the bytes left is damage, caught before
  // anything is reserved for it.
  if (count > static_cast<uint64_t>(end - p)) return false;
  items->reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    n = packed::GetVarintChecked(p, end, &len);
    if (n == 0) return false;
    p += n;
    if (len > static_cast<uint64_t>(end - p)) return false;
    items->emplace_back(p, static_cast<size_t>(len));
    p += len;
  }
  return p == end;
}

// Whether the `stride`-th items (fields, members) repeat.
bool HasDuplicates(const std::vector<std::string_view>& items, size_t stride) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(items.size() / stride);
  for (size_t i = 0; i < items.size(); i += stride) {
    if (!seen.insert(items[i]).second) return true;
  }
  return false;
}

// kHashPackedTtl: field, value, time (8 bytes little-endian, empty for none) per field.
std::string SerializeWithTimes(const Dict* dict) {
  std::unordered_map<std::string_view, int64_t> times;
  ForEachFieldTtl(dict, [&](std::string_view f, int64_t when) { times.emplace(f, when); });
  std::string out(1, static_cast<char>(Encoding::kHashPackedTtl));
  out.reserve(dict->bytes() + times.size() * 9);
  packed::AppendVarint(&out, dict->size() * 3);
  dict->ForEach([&](std::string_view k, std::string_view v) {
    packed::AppendItem(&out, k);
    packed::AppendItem(&out, v);
    auto it = times.find(k);
    if (it == times.end()) {
      packed::AppendItem(&out, {});
    } else {
      char buf[8];
      auto w = static_cast<uint64_t>(it->second);
      for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((w >> (8 * i)) & 0xFF);
      packed::AppendItem(&out, std::string_view(buf, 8));
    }
    return true;
  });
  return out;
}

bool MaterializeWithTimes(std::string_view portable, std::string* value) {
  std::vector<std::string_view> items;
  if (!ReadItems(portable, &items) || items.empty() || items.size() % 3 != 0) return false;
  if (HasDuplicates(items, 3)) return false;
  for (size_t i = 2; i < items.size(); i += 3) {
    if (!items[i].empty() && items[i].size() != 8) return false;
  }
  auto dict = std::make_unique<Dict>(true);
  for (size_t i = 0; i < items.size(); i += 3) {
    dict->Add(items[i], items[i + 1]);
    if (items[i + 2].empty()) continue;
    uint64_t w = 0;
    for (int b = 7; b >= 0; --b)
      w = (w << 8) | static_cast<uint8_t>(items[i + 2][static_cast<size_t>(b)]);
    if (w != 0 && w <= static_cast<uint64_t>(INT64_MAX)) {
      SetFieldTtlRaw(dict.get(), items[i], static_cast<int64_t>(w));
    }
  }
  *value = TableValue(Encoding::kHashTable, dict.release());
  return true;
}

}  // namespace

Encoding EncodingOf(const Entry* entry) {
  std::string_view v = entry->value();
  return v.empty() ? Encoding::kNone : static_cast<Encoding>(v[0]);
}

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kHashPacked:
    case Encoding::kSetPacked:
    case Encoding::kListPacked:
    case Encoding::kZsetPacked:
      return "listpack";
    case Encoding::kListQuick:
      return "quicklist";
    case Encoding::kZsetSkiplist:
      return "skiplist";
    case Encoding::kStream:
    case Encoding::kStreamPortable:
      return "stream";
    case Encoding::kSetIntset:
      return "intset";
    case Encoding::kHashTable:
    case Encoding::kSetTable:
    case Encoding::kHashPackedTtl:
      return "hashtable";
    case Encoding::kNone:
      break;
  }
  return "unknown";
}

Dict* DictOf(const Entry* entry) {
  if (!entry->container() || entry->cold()) return nullptr;
  std::string_view v = entry->value();
  if (v.size() != 1 + sizeof(Dict*)) return nullptr;
  auto enc = static_cast<Encoding>(v[0]);
  if (enc != Encoding::kHashTable && enc != Encoding::kSetTable) return nullptr;
  Dict* dict = nullptr;
  std::memcpy(&dict, v.data() + 1, sizeof(dict));
  return dict;
}

size_t ContainerExtraBytes(const Entry* entry) {
  if (entry->cold()) return 0;
  if (entry->kind() == Kind::kList) return ListExtraBytes(entry);
  if (entry->kind() == Kind::kZset) return ZsetExtraBytes(entry);
  if (entry->kind() == Kind::kStream) return StreamExtraBytes(entry);
  Dict* dict = DictOf(entry);
  return dict ? dict->bytes() : 0;
}

std::string EmptyContainer(Kind kind) {
  Encoding enc = kind == Kind::kHash   ? Encoding::kHashPacked
                 : kind == Kind::kList ? Encoding::kListPacked
                 : kind == Kind::kZset ? Encoding::kZsetPacked
                                       : Encoding::kSetPacked;
  std::string v(1, static_cast<char>(enc));
  packed::AppendVarint(&v, 0);
  return v;
}

std::string TableValue(Encoding encoding, Dict* dict) {
  std::string v(1, static_cast<char>(encoding));
  v.append(reinterpret_cast<const char*>(&dict), sizeof(dict));
  return v;
}

std::string PointerValue(Encoding encoding, const void* object) {
  std::string v(1, static_cast<char>(encoding));
  v.append(reinterpret_cast<const char*>(&object), sizeof(object));
  return v;
}

void* PointerOf(const Entry* entry, Encoding encoding) {
  if (!entry->container() || entry->cold()) return nullptr;
  std::string_view v = entry->value();
  if (v.size() != 1 + sizeof(void*) || static_cast<Encoding>(v[0]) != encoding) return nullptr;
  void* p = nullptr;
  std::memcpy(&p, v.data() + 1, sizeof(p));
  return p;
}

std::string Serialize(const Entry* entry) {
  if (entry->kind() == Kind::kList) return ListSerialize(entry);
  if (entry->kind() == Kind::kZset) return ZsetSerialize(entry);
  if (entry->kind() == Kind::kStream) return StreamSerialize(entry);
  Dict* dict = DictOf(entry);
  if (dict == nullptr) return std::string(entry->value());
  if (HasFieldTtls(dict)) return SerializeWithTimes(dict);
  std::string out(
      1, static_cast<char>(dict->has_values() ? Encoding::kHashPacked : Encoding::kSetPacked));
  out.reserve(dict->bytes());
  packed::AppendVarint(&out, dict->has_values() ? dict->size() * 2 : dict->size());
  dict->ForEach([&](std::string_view k, std::string_view v) {
    packed::AppendItem(&out, k);
    if (dict->has_values()) packed::AppendItem(&out, v);
    return true;
  });
  return out;
}

size_t PortableCount(std::string_view portable) {
  if (portable.empty()) return 0;
  auto enc = static_cast<Encoding>(portable[0]);
  if (enc == Encoding::kSetIntset) return intset::Count(portable);
  if (enc == Encoding::kStreamPortable) return StreamPortableEntries(portable);
  uint64_t n = 0;
  packed::GetVarint(portable.data() + 1, &n);
  if (enc == Encoding::kHashPackedTtl) return static_cast<size_t>(n / 3);
  return enc == Encoding::kHashPacked || enc == Encoding::kZsetPacked ? static_cast<size_t>(n / 2)
                                                                      : static_cast<size_t>(n);
}

bool Materialize(Kind kind, std::string_view portable, const ContainerLimits& limits,
                 std::string* value) {
  if (portable.empty()) return false;
  if (kind == Kind::kList) return ListMaterialize(portable, limits, value);
  if (kind == Kind::kZset) return ZsetMaterialize(portable, limits, value);
  if (kind == Kind::kStream) return StreamMaterialize(portable, value);
  if (kind != Kind::kHash && kind != Kind::kSet) return false;
  auto enc = static_cast<Encoding>(portable[0]);
  if (kind == Kind::kSet && enc == Encoding::kSetIntset) {
    if (!intset::Valid(portable) || intset::Count(portable) == 0) return false;
    if (intset::Count(portable) <= limits.set_max_intset_entries) {
      value->assign(portable);
      return true;
    }
    auto dict = std::make_unique<Dict>(false);
    size_t n = intset::Count(portable);
    for (size_t i = 0; i < n; ++i) dict->Add(std::to_string(intset::At(portable, i)));
    *value = TableValue(Encoding::kSetTable, dict.release());
    return true;
  }
  bool hash = kind == Kind::kHash;
  if (hash && enc == Encoding::kHashPackedTtl) return MaterializeWithTimes(portable, value);
  if ((hash && enc != Encoding::kHashPacked) || (!hash && enc != Encoding::kSetPacked)) {
    return false;
  }
  std::vector<std::string_view> items;
  if (!ReadItems(portable, &items) || items.empty()) return false;
  size_t stride = hash ? 2 : 1;
  if (items.size() % stride != 0 || HasDuplicates(items, stride)) return false;
  size_t max_entries = hash ? limits.hash_max_entries : limits.set_max_entries;
  size_t max_value = hash ? limits.hash_max_value : limits.set_max_value;
  bool small = items.size() / stride <= max_entries;
  for (size_t i = 0; small && i < items.size(); ++i) small = items[i].size() <= max_value;
  if (small) {
    value->assign(portable);
    return true;
  }
  auto dict = std::make_unique<Dict>(hash);
  for (size_t i = 0; i < items.size(); i += stride) {
    dict->Add(items[i], hash ? items[i + 1] : std::string_view());
  }
  *value = TableValue(hash ? Encoding::kHashTable : Encoding::kSetTable, dict.release());
  return true;
}

Entry* StoreContainer(Database& db, std::string_view key, Kind kind, std::string_view portable,
                      int64_t expire_ms) {
  std::string bytes;
  if (!Materialize(kind, portable, db.keyspace().container_limits(), &bytes)) return nullptr;
  db.Erase(key);  // the old entry, its container and user fields
  Entry* e = db.InsertContainer(key, kind, bytes);
  if (expire_ms != 0) db.SetExpire(e, expire_ms);
  db.NoteWrite(key);
  return e;
}

void ReleaseContainer(Entry* entry) {
  if (!entry->container() || entry->cold()) return;
  if (entry->value().empty() || EncodingOf(entry) == Encoding::kNone) return;
  if (entry->kind() == Kind::kList) {
    ListRelease(entry);
  } else if (entry->kind() == Kind::kZset) {
    ZsetRelease(entry);
  } else if (entry->kind() == Kind::kStream) {
    StreamRelease(entry);
  } else {
    Dispose(DictOf(entry));
  }
  DisownContainer(entry);
}

void DisownContainer(Entry* entry) {
  if (!entry->container() || entry->cold() || entry->value().empty()) return;
  entry->mutable_value()[0] = static_cast<char>(Encoding::kNone);
}

std::string CloneContainer(const Entry* entry) {
  if (entry->kind() == Kind::kList) return ListClone(entry);
  if (entry->kind() == Kind::kZset) return ZsetClone(entry);
  if (entry->kind() == Kind::kStream) return StreamClone(entry);
  Dict* dict = DictOf(entry);
  if (dict == nullptr) return std::string(entry->value());
  Dict* copy = dict->Clone();
  CloneFieldTtls(dict, copy);
  return TableValue(static_cast<Encoding>(entry->value()[0]), copy);
}

Entry* Splice(Database& db, Entry* entry, size_t offset, size_t remove, std::string_view insert) {
  size_t old = entry->value_size();
  size_t tail = old - offset - remove;
  size_t size = old - remove + insert.size();
  if (size > old) entry = db.ResizeValue(entry, size, /*exact=*/true);
  char* p = entry->mutable_value();
  if (tail > 0 && insert.size() != remove) {
    std::memmove(p + offset + insert.size(), p + offset + remove, tail);
  }
  if (!insert.empty()) std::memcpy(p + offset, insert.data(), insert.size());
  if (size < old) entry = db.ResizeValue(entry, size);
  return entry;
}

Entry* SetPackedCount(Database& db, Entry* entry, size_t items) {
  uint64_t old = 0;
  size_t old_size = packed::GetVarint(entry->value().data() + 1, &old);
  char buf[10];
  size_t n = packed::PutVarint(buf, items);
  if (n == old_size) {
    std::memcpy(entry->mutable_value() + 1, buf, n);
    return entry;
  }
  return Splice(db, entry, 1, old_size, std::string_view(buf, n));
}

bool ReapContainers(size_t budget) {
  auto& garbage = Garbage();
  while (!garbage.empty() && budget > 0) {
    SlicedGarbage* g = garbage.front();
    size_t freed = 0;
    bool done = g->FreeSome(budget, &freed);
    budget -= std::min(budget, freed);
    if (!done) break;
    delete g;
    garbage.pop_front();
  }
  return garbage.empty();
}

void DisposeInSlices(SlicedGarbage* garbage) { Garbage().push_back(garbage); }

bool HasContainerGarbage() { return !Garbage().empty(); }

}  // namespace dkv::engine
