#include "engine/hash_ops.h"

#include <memory>
#include <string>

#include "engine/container.h"
#include "engine/hash_ttl.h"
#include "engine/keyspace.h"
#include "engine/packed.h"

namespace dkv::engine {

namespace {

// Where a field of a packed hash is: the offsets of its field item and of its value item.
struct PackedSlot {
  size_t field_offset = 0;
  size_t value_offset = 0;
  size_t end = 0;  // offset after the value item
  std::string_view value;
};

bool FindPacked(std::string_view bytes, std::string_view field, PackedSlot* slot) {
  packed::Reader r(bytes);
  for (size_t i = 0; i < r.count(); i += 2) {
    size_t fo = r.offset();
    std::string_view f = r.Next();
    size_t vo = r.offset();
    std::string_view v = r.Next();
    if (f == field) {
      *slot = {fo, vo, r.offset(), v};
      return true;
    }
  }
  return false;
}

std::string Item(std::string_view s) {
  std::string out;
  packed::AppendItem(&out, s);
  return out;
}

// Converts a packed hash to the table encoding.
Entry* ToTable(Database& db, Entry* entry) {
  auto dict = std::make_unique<Dict>(true);
  HashForEach(entry, [&](std::string_view f, std::string_view v) {
    dict->Add(f, v);
    return true;
  });
  return db.SetRawValue(entry, TableValue(Encoding::kHashTable, dict.release()));
}

// Sets one field; returns whether it was new. *entry may move.
bool SetField(Database& db, Entry** entry, std::string_view field, std::string_view value,
              bool only_new, bool keep_ttl, const ContainerLimits& limits) {
  Entry* e = *entry;
  if (EncodingOf(e) == Encoding::kHashPacked) {
    PackedSlot slot;
    bool found = FindPacked(e->value(), field, &slot);
    if (found && only_new) return false;
    bool fits = field.size() <= limits.hash_max_value && value.size() <= limits.hash_max_value &&
                (found || HashLen(e) + 1 <= limits.hash_max_entries);
    if (fits) {
      if (found) {
        *entry = Splice(db, e, slot.value_offset, slot.end - slot.value_offset, Item(value));
      } else {
        size_t items = packed::Reader(e->value()).count();
        e = Splice(db, e, e->value_size(), 0, Item(field) + Item(value));
        *entry = SetPackedCount(db, e, items + 2);
      }
      return !found;
    }
    e = ToTable(db, e);
    *entry = e;
  }
  Dict* dict = DictOf(e);
  if (only_new) return dict->Add(field, value);
  if (!keep_ttl) ClearFieldTtl(dict, field);
  return dict->Set(field, value);
}

}  // namespace

size_t HashLen(const Entry* entry) {
  if (Dict* dict = DictOf(entry)) return dict->size();
  return packed::Reader(entry->value()).count() / 2;
}

bool HashGet(const Entry* entry, std::string_view field, std::string_view* value) {
  if (Dict* dict = DictOf(entry)) {
    const Dict::Node* node = dict->Find(field);
    if (node == nullptr) return false;
    *value = Dict::ValueOf(node);
    return true;
  }
  PackedSlot slot;
  if (!FindPacked(entry->value(), field, &slot)) return false;
  *value = slot.value;
  return true;
}

void HashForEach(const Entry* entry,
                 const std::function<bool(std::string_view field, std::string_view value)>& visit) {
  if (Dict* dict = DictOf(entry)) {
    dict->ForEach(visit);
    return;
  }
  packed::Reader r(entry->value());
  for (size_t i = 0; i < r.count(); i += 2) {
    std::string_view f = r.Next();
    std::string_view v = r.Next();
    if (!visit(f, v)) return;
  }
}

FieldValue HashRandom(const Entry* entry, std::mt19937_64& rng) {
  if (Dict* dict = DictOf(entry)) {
    const Dict::Node* node = dict->Random(rng);
    return {Dict::KeyOf(node), Dict::ValueOf(node)};
  }
  size_t n = HashLen(entry);
  size_t pick = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  FieldValue out;
  size_t i = 0;
  HashForEach(entry, [&](std::string_view f, std::string_view v) {
    if (i++ < pick) return true;
    out = {f, v};
    return false;
  });
  return out;
}

uint64_t HashScan(
    const Entry* entry, uint64_t cursor,
    const std::function<void(std::string_view field, std::string_view value)>& visit) {
  if (Dict* dict = DictOf(entry)) {
    return dict->Scan(
        cursor, [&](const Dict::Node* node) { visit(Dict::KeyOf(node), Dict::ValueOf(node)); });
  }
  HashForEach(entry, [&](std::string_view f, std::string_view v) {
    visit(f, v);
    return true;
  });
  return 0;
}

size_t HashSet(Database& db, std::string_view key, const std::vector<FieldValue>& pairs,
               bool only_new, bool keep_ttl) {
  const ContainerLimits& limits = db.keyspace().container_limits();
  Entry* e = db.Find(key);
  // A new key starts at version 1 (Insert); an existing one moves once for the command.
  bool created = e == nullptr;
  if (created) e = db.InsertContainer(key, Kind::kHash, EmptyContainer(Kind::kHash));
  size_t added = 0;
  for (const auto& [field, value] : pairs) {
    added += SetField(db, &e, field, value, only_new, keep_ttl, limits) ? 1 : 0;
  }
  size_t writes = only_new ? added : pairs.size();
  if (writes == 0) return 0;
  if (!created) db.NoteValueChanged(e);
  db.NoteWrite(key, ChangeKind::kWrite, writes);
  return added;
}

size_t HashDelete(Database& db, Entry* entry, const std::vector<std::string_view>& fields) {
  size_t removed = 0;
  for (std::string_view field : fields) {
    if (Dict* dict = DictOf(entry)) {
      ClearFieldTtl(dict, field);
      removed += dict->Erase(field) ? 1 : 0;
      continue;
    }
    PackedSlot slot;
    if (!FindPacked(entry->value(), field, &slot)) continue;
    size_t items = packed::Reader(entry->value()).count();
    entry = Splice(db, entry, slot.field_offset, slot.end - slot.field_offset, {});
    entry = SetPackedCount(db, entry, items - 2);
    ++removed;
  }
  if (removed == 0) return 0;
  std::string key(entry->key());
  if (HashLen(entry) == 0) {
    db.Erase(entry);
    db.NoteWrite(key, ChangeKind::kDelete, removed);
  } else {
    db.NoteValueChanged(entry);
    db.NoteWrite(key, ChangeKind::kWrite, removed);
  }
  return removed;
}

}  // namespace dkv::engine
