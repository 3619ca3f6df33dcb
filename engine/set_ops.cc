#include "engine/set_ops.h"

#include <memory>

#include "engine/container.h"
#include "engine/intset.h"
#include "engine/keyspace.h"
#include "engine/numbers.h"
#include "engine/packed.h"

namespace dkv::engine {

namespace {

bool AsInt(std::string_view s, int64_t* v) { return ParseInt64(s, v); }

// The packed offset of `member` and its item's end, or false.
bool FindPacked(std::string_view bytes, std::string_view member, size_t* offset, size_t* end) {
  packed::Reader r(bytes);
  for (size_t i = 0; i < r.count(); ++i) {
    size_t o = r.offset();
    if (r.Next() == member) {
      *offset = o;
      *end = r.offset();
      return true;
    }
  }
  return false;
}

Entry* ToTable(Database& db, Entry* entry) {
  auto dict = std::make_unique<Dict>(false);
  SetForEach(entry, [&](std::string_view m) {
    dict->Add(m);
    return true;
  });
  return db.SetRawValue(entry, TableValue(Encoding::kSetTable, dict.release()));
}

Entry* IntsetToPacked(Database& db, Entry* entry) {
  std::string bytes(1, static_cast<char>(Encoding::kSetPacked));
  std::string_view v = entry->value();
  size_t n = intset::Count(v);
  packed::AppendVarint(&bytes, n);
  for (size_t i = 0; i < n; ++i) packed::AppendItem(&bytes, FormatInt64(intset::At(v, i)));
  return db.SetRawValue(entry, bytes);
}

// The value bytes of a new empty set, by Redis 7.2's rule: the first member and how many are
// coming decide.
std::string NewSetBytes(std::string_view first, size_t hint, const ContainerLimits& limits) {
  int64_t v = 0;
  if (AsInt(first, &v) && hint <= limits.set_max_intset_entries) {
    return intset::Build(static_cast<char>(Encoding::kSetIntset), nullptr, 0, 2);
  }
  if (hint <= limits.set_max_entries) return EmptyContainer(Kind::kSet);
  return TableValue(Encoding::kSetTable, new Dict(false));
}

// Adds one member; returns whether it was new. *entry may move.
bool AddMember(Database& db, Entry** entry, std::string_view member,
               const ContainerLimits& limits) {
  Entry* e = *entry;
  Encoding enc = EncodingOf(e);
  if (enc == Encoding::kSetIntset) {
    int64_t v = 0;
    if (AsInt(member, &v)) {
      size_t pos = 0;
      if (intset::Find(e->value(), v, &pos)) return false;
      if (intset::Count(e->value()) + 1 <= limits.set_max_intset_entries) {
        *entry = db.SetRawValue(e, intset::Insert(e->value(), v));
        return true;
      }
      e = ToTable(db, e);
    } else if (intset::Count(e->value()) + 1 <= limits.set_max_entries &&
               member.size() <= limits.set_max_value) {
      e = IntsetToPacked(db, e);
    } else {
      e = ToTable(db, e);
    }
    *entry = e;
    enc = EncodingOf(e);
  }
  if (enc == Encoding::kSetPacked) {
    size_t offset = 0, end = 0;
    if (FindPacked(e->value(), member, &offset, &end)) return false;
    size_t items = packed::Reader(e->value()).count();
    if (items + 1 <= limits.set_max_entries && member.size() <= limits.set_max_value) {
      std::string item;
      packed::AppendItem(&item, member);
      e = Splice(db, e, e->value_size(), 0, item);
      *entry = SetPackedCount(db, e, items + 1);
      return true;
    }
    e = ToTable(db, e);
    *entry = e;
  }
  return DictOf(e)->Add(member);
}

// Removes one member; returns whether it was there. *entry may move.
bool RemoveMember(Database& db, Entry** entry, std::string_view member) {
  Entry* e = *entry;
  switch (EncodingOf(e)) {
    case Encoding::kSetIntset: {
      int64_t v = 0;
      size_t pos = 0;
      if (!AsInt(member, &v) || !intset::Find(e->value(), v, &pos)) return false;
      *entry = db.SetRawValue(e, intset::Remove(e->value(), pos));
      return true;
    }
    case Encoding::kSetPacked: {
      size_t offset = 0, end = 0;
      if (!FindPacked(e->value(), member, &offset, &end)) return false;
      size_t items = packed::Reader(e->value()).count();
      e = Splice(db, e, offset, end - offset, {});
      *entry = SetPackedCount(db, e, items - 1);
      return true;
    }
    default:
      return DictOf(e)->Erase(member);
  }
}

// Ends a write of `removed` members: deletes the key when empty, else counts the change.
void Finish(Database& db, Entry* entry, size_t writes) {
  std::string key(entry->key());
  if (SetLen(entry) == 0) {
    db.Erase(entry);
    db.NoteWrite(key, ChangeKind::kDelete, writes);
  } else {
    db.NoteValueChanged(entry);
    db.NoteWrite(key, ChangeKind::kWrite, writes);
  }
}

}  // namespace

size_t SetLen(const Entry* entry) {
  switch (EncodingOf(entry)) {
    case Encoding::kSetIntset:
      return intset::Count(entry->value());
    case Encoding::kSetPacked:
      return packed::Reader(entry->value()).count();
    default: {
      Dict* dict = DictOf(entry);
      return dict ? dict->size() : 0;
    }
  }
}

bool SetContains(const Entry* entry, std::string_view member) {
  switch (EncodingOf(entry)) {
    case Encoding::kSetIntset: {
      int64_t v = 0;
      size_t pos = 0;
      return AsInt(member, &v) && intset::Find(entry->value(), v, &pos);
    }
    case Encoding::kSetPacked: {
      size_t offset = 0, end = 0;
      return FindPacked(entry->value(), member, &offset, &end);
    }
    default:
      return DictOf(entry)->Contains(member);
  }
}

void SetForEach(const Entry* entry, const std::function<bool(std::string_view member)>& visit) {
  switch (EncodingOf(entry)) {
    case Encoding::kSetIntset: {
      std::string_view v = entry->value();
      size_t n = intset::Count(v);
      for (size_t i = 0; i < n; ++i) {
        if (!visit(FormatInt64(intset::At(v, i)))) return;
      }
      return;
    }
    case Encoding::kSetPacked: {
      packed::Reader r(entry->value());
      for (size_t i = 0; i < r.count(); ++i) {
        if (!visit(r.Next())) return;
      }
      return;
    }
    default:
      DictOf(entry)->ForEach([&](std::string_view k, std::string_view) { return visit(k); });
  }
}

void SetRandom(const Entry* entry, std::mt19937_64& rng, std::string* out) {
  if (Dict* dict = DictOf(entry)) {
    out->assign(Dict::KeyOf(dict->Random(rng)));
    return;
  }
  size_t pick = std::uniform_int_distribution<size_t>(0, SetLen(entry) - 1)(rng);
  if (EncodingOf(entry) == Encoding::kSetIntset) {
    *out = FormatInt64(intset::At(entry->value(), pick));
    return;
  }
  packed::Reader r(entry->value());
  for (size_t i = 0; i < pick; ++i) r.Next();
  out->assign(r.Next());
}

uint64_t SetScan(const Entry* entry, uint64_t cursor,
                 const std::function<void(std::string_view member)>& visit) {
  if (Dict* dict = DictOf(entry)) {
    return dict->Scan(cursor, [&](const Dict::Node* node) { visit(Dict::KeyOf(node)); });
  }
  SetForEach(entry, [&](std::string_view m) {
    visit(m);
    return true;
  });
  return 0;
}

size_t SetAdd(Database& db, std::string_view key, const std::vector<std::string_view>& members) {
  const ContainerLimits& limits = db.keyspace().container_limits();
  Entry* e = db.Find(key);
  bool created = e == nullptr;
  if (created) {
    e = db.InsertContainer(key, Kind::kSet, NewSetBytes(members[0], members.size(), limits));
  }
  size_t added = 0;
  for (std::string_view m : members) added += AddMember(db, &e, m, limits) ? 1 : 0;
  if (added == 0) return 0;
  db.NoteValueChanged(e);
  db.NoteWrite(key, ChangeKind::kWrite, added);
  return added;
}

size_t SetRemove(Database& db, Entry* entry, const std::vector<std::string_view>& members) {
  size_t removed = 0;
  for (std::string_view m : members) removed += RemoveMember(db, &entry, m) ? 1 : 0;
  if (removed > 0) Finish(db, entry, removed);
  return removed;
}

std::vector<std::string> SetPop(Database& db, Entry* entry, size_t count, std::mt19937_64& rng) {
  std::vector<std::string> out;
  size_t size = SetLen(entry);
  if (count >= size) {
    out.reserve(size);
    SetForEach(entry, [&](std::string_view m) {
      out.emplace_back(m);
      return true;
    });
    std::string key(entry->key());
    db.Erase(entry);
    db.NoteWrite(key, ChangeKind::kDelete, out.size());
    return out;
  }
  out.reserve(count);
  std::string member;
  for (size_t i = 0; i < count; ++i) {
    // A table pops through PopAnyRandom: SPOP needs random members, not SRANDMEMBER's uniform
    // sampling, whose rejections cost dozens of slot reads in a sparse table.
    if (Dict* dict = DictOf(entry)) {
      out.push_back(dict->PopAnyRandom(rng));
      continue;
    }
    SetRandom(entry, rng, &member);
    RemoveMember(db, &entry, member);
    out.push_back(member);
  }
  if (!out.empty()) Finish(db, entry, out.size());
  return out;
}

void SetMove(Database& db, Entry* src, std::string_view dst_key, std::string_view member) {
  std::string m(member);  // `member` may live in src
  RemoveMember(db, &src, m);
  Finish(db, src, 1);
  const ContainerLimits& limits = db.keyspace().container_limits();
  Entry* dst = db.Find(dst_key);
  if (dst == nullptr) dst = db.InsertContainer(dst_key, Kind::kSet, NewSetBytes(m, 1, limits));
  if (AddMember(db, &dst, m, limits)) {
    db.NoteValueChanged(dst);
    db.NoteWrite(dst_key, ChangeKind::kWrite, 1);  // Redis counts the add as a second write
  }
}

void SetStore(Database& db, std::string_view key, const std::vector<std::string>& members) {
  Entry* old = db.Find(key);
  if (members.empty()) {
    if (old != nullptr) db.Delete(old);
    return;
  }
  std::string k(key);
  bool replacing = old != nullptr;
  if (replacing) db.Erase(old);
  const ContainerLimits& limits = db.keyspace().container_limits();
  Entry* e =
      db.InsertContainer(k, Kind::kSet, NewSetBytes(members[0], members.size(), limits), replacing);
  for (const std::string& m : members) AddMember(db, &e, m, limits);
  db.NoteWrite(k, ChangeKind::kWrite, 1);
}

}  // namespace dkv::engine
