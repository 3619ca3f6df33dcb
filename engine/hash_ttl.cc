#include "engine/hash_ttl.h"

#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/keyspace.h"

namespace dkv::engine {

namespace {

struct FieldTtls {
  std::unordered_map<std::string, int64_t> when;         // field -> absolute ms
  std::set<std::pair<int64_t, std::string_view>> order;  // views of `when`'s keys
  Database* db = nullptr;                                // where the Dict lives, once placed
  std::string key;
  int64_t queued = 0;  // the time it is queued under in Due(); 0: not queued
};

std::unordered_map<const Dict*, std::unique_ptr<FieldTtls>>& Registry() {
  static std::unordered_map<const Dict*, std::unique_ptr<FieldTtls>> registry;
  return registry;
}

// Placed hashes by their earliest field time.
std::set<std::pair<int64_t, const Dict*>>& Due() {
  static std::set<std::pair<int64_t, const Dict*>> due;
  return due;
}

FieldTtls* Find(const Dict* dict) {
  auto& reg = Registry();
  if (dict == nullptr || reg.empty()) return nullptr;
  auto it = reg.find(dict);
  return it == reg.end() ? nullptr : it->second.get();
}

void Unqueue(const Dict* dict, FieldTtls* t) {
  if (t->queued != 0) Due().erase({t->queued, dict});
  t->queued = 0;
}

void Requeue(const Dict* dict, FieldTtls* t) {
  int64_t first = t->order.empty() ? 0 : t->order.begin()->first;
  if (first == t->queued) return;
  Unqueue(dict, t);
  if (first != 0 && t->db != nullptr) {
    Due().insert({first, dict});
    t->queued = first;
  }
}

void Drop(const Dict* dict) {
  auto& reg = Registry();
  auto it = reg.find(dict);
  if (it == reg.end()) return;
  Unqueue(dict, it->second.get());
  reg.erase(it);
}

// Sets a field's time (0 removes it). Quiet.
void SetTime(const Dict* dict, std::string_view field, int64_t when) {
  FieldTtls* t = Find(dict);
  if (t == nullptr) {
    if (when == 0) return;
    t = Registry().emplace(dict, std::make_unique<FieldTtls>()).first->second.get();
  }
  auto it = t->when.find(std::string(field));
  if (it != t->when.end()) {
    t->order.erase({it->second, it->first});
    if (when == 0) {
      t->when.erase(it);
    } else {
      it->second = when;
      t->order.insert({when, it->first});
    }
  } else if (when != 0) {
    it = t->when.emplace(std::string(field), when).first;
    t->order.insert({when, it->first});
  }
  if (t->when.empty()) {
    Drop(dict);
  } else {
    Requeue(dict, t);
  }
}

// Makes a packed hash a table one (field times need the table). Returns the entry.
Entry* EnsureTable(Database& db, Entry* entry) {
  if (DictOf(entry) != nullptr) return entry;
  auto dict = std::make_unique<Dict>(true);
  HashForEach(entry, [&](std::string_view f, std::string_view v) {
    dict->Add(f, v);
    return true;
  });
  return db.SetRawValue(entry, TableValue(Encoding::kHashTable, dict.release()));
}

// Deletes `fields` (which exist) from the table hash; the caller counts and notifies. Returns
// the number removed.
size_t EraseQuietly(Dict* dict, const std::vector<std::string>& fields) {
  size_t n = 0;
  for (const std::string& f : fields) {
    SetTime(dict, f, 0);
    n += dict->Erase(f) ? 1 : 0;
  }
  return n;
}

// Finishes a command that changed the times of fields or deleted fields (`writes` of them):
// the hash is deleted when empty (as an expired key when `expired`); otherwise its version
// moves unless it `moved` already in this command. Returns the entry or nullptr.
Entry* Finish(Database& db, Entry* entry, size_t writes, bool expired, bool moved = false) {
  if (writes == 0) return entry;
  std::string key(entry->key());
  if (HashLen(entry) == 0) {
    db.Erase(entry);
    db.NoteWrite(key, expired ? ChangeKind::kExpired : ChangeKind::kDelete, writes);
    return nullptr;
  }
  if (!moved) db.NoteValueChanged(entry);
  db.NoteWrite(key, ChangeKind::kWrite, writes);
  return entry;
}

}  // namespace

bool HasFieldTtls(const Dict* dict) { return Find(dict) != nullptr; }

void ForgetFieldTtls(const Dict* dict) {
  if (!Registry().empty()) Drop(dict);
}

void CloneFieldTtls(const Dict* from, const Dict* to) {
  FieldTtls* t = Find(from);
  if (t == nullptr) return;
  for (const auto& [field, when] : t->when) SetTime(to, field, when);
}

void PlaceFieldTtls(Database& db, const Entry* entry) {
  const Dict* dict = DictOf(entry);
  FieldTtls* t = Find(dict);
  if (t == nullptr) return;
  t->db = &db;
  t->key.assign(entry->key());
  Unqueue(dict, t);
  Requeue(dict, t);
}

void ForEachFieldTtl(const Dict* dict,
                     const std::function<void(std::string_view field, int64_t when)>& visit) {
  FieldTtls* t = Find(dict);
  if (t == nullptr) return;
  for (const auto& [field, when] : t->when) visit(field, when);
}

void SetFieldTtlRaw(const Dict* dict, std::string_view field, int64_t when) {
  SetTime(dict, field, when);
}

void ClearFieldTtl(const Dict* dict, std::string_view field) {
  if (Find(dict) != nullptr) SetTime(dict, field, 0);
}

int64_t FieldTtl(const Entry* entry, std::string_view field) {
  FieldTtls* t = Find(DictOf(entry));
  if (t == nullptr) return 0;
  auto it = t->when.find(std::string(field));
  return it == t->when.end() ? 0 : it->second;
}

Entry* ExpireDueFields(Database& db, Entry* entry) {
  Dict* dict = DictOf(entry);
  FieldTtls* t = Find(dict);
  if (t == nullptr) return entry;
  if (t->db != &db || t->key != entry->key()) PlaceFieldTtls(db, entry);  // moved (SWAPDB)
  int64_t now = db.keyspace().now_ms();
  if (t->order.empty() || t->order.begin()->first > now) return entry;
  std::vector<std::string> due;
  for (auto it = t->order.begin(); it != t->order.end() && it->first <= now; ++it) {
    due.emplace_back(it->second);
  }
  size_t n = EraseQuietly(dict, due);
  return Finish(db, entry, n, true);
}

std::vector<int> ExpireFields(Database& db, Entry* entry,
                              const std::vector<std::string_view>& fields, int64_t when_ms,
                              FieldTtlCondition cond) {
  std::vector<int> codes;
  codes.reserve(fields.size());
  int64_t now = db.keyspace().now_ms();
  bool placed = false;
  std::vector<std::string> doomed;
  size_t writes = 0;
  for (std::string_view field : fields) {
    std::string_view v;
    if (!HashGet(entry, field, &v)) {
      codes.push_back(-2);
      continue;
    }
    int64_t current = FieldTtl(entry, field);
    bool ok = true;
    switch (cond) {
      case FieldTtlCondition::kNone:
        break;
      case FieldTtlCondition::kNx:
        ok = current == 0;
        break;
      case FieldTtlCondition::kXx:
        ok = current != 0;
        break;
      case FieldTtlCondition::kGt:  // no time counts as forever
        ok = current != 0 && when_ms > current;
        break;
      case FieldTtlCondition::kLt:
        ok = current == 0 || when_ms < current;
        break;
    }
    if (!ok) {
      codes.push_back(0);
      continue;
    }
    if (when_ms <= now) {
      // Deleted below; a field named twice is deleted once and counted as deleted twice.
      doomed.emplace_back(field);
      codes.push_back(2);
      continue;
    }
    if (!placed) {
      entry = EnsureTable(db, entry);
      placed = true;
    }
    SetTime(DictOf(entry), field, when_ms);
    ++writes;
    codes.push_back(1);
  }
  if (!doomed.empty()) {
    entry = EnsureTable(db, entry);
    placed = true;
    writes += EraseQuietly(DictOf(entry), doomed);
  }
  if (placed) PlaceFieldTtls(db, entry);
  Finish(db, entry, writes, false);
  return codes;
}

std::vector<int> PersistFields(Database& db, Entry* entry,
                               const std::vector<std::string_view>& fields) {
  std::vector<int> codes;
  codes.reserve(fields.size());
  size_t writes = 0;
  for (std::string_view field : fields) {
    std::string_view v;
    if (!HashGet(entry, field, &v)) {
      codes.push_back(-2);
    } else if (FieldTtl(entry, field) == 0) {
      codes.push_back(-1);
    } else {
      SetTime(DictOf(entry), field, 0);
      ++writes;
      codes.push_back(1);
    }
  }
  Finish(db, entry, writes, false);
  return codes;
}

Entry* SetFieldTimes(Database& db, Entry* entry, const std::vector<std::string_view>& fields,
                     int64_t when_ms, bool after_write) {
  int64_t now = db.keyspace().now_ms();
  size_t writes = 0;
  std::vector<std::string> doomed;
  for (std::string_view field : fields) {
    std::string_view v;
    if (!HashGet(entry, field, &v)) continue;
    if (when_ms == 0) {
      if (FieldTtl(entry, field) == 0) continue;
      SetTime(DictOf(entry), field, 0);
      ++writes;
    } else if (when_ms <= now) {
      doomed.emplace_back(field);
    } else {
      entry = EnsureTable(db, entry);
      SetTime(DictOf(entry), field, when_ms);
      ++writes;
    }
  }
  if (!doomed.empty()) {
    entry = EnsureTable(db, entry);
    writes += EraseQuietly(DictOf(entry), doomed);
  }
  if (HasFieldTtls(DictOf(entry))) PlaceFieldTtls(db, entry);
  return Finish(db, entry, writes, false, after_write);
}

size_t ActiveExpireFields(int64_t now_ms, size_t budget, bool* more) {
  auto& due = Due();
  size_t deleted = 0;
  while (!due.empty() && deleted < budget && due.begin()->first <= now_ms) {
    const Dict* dict = due.begin()->second;
    FieldTtls* t = Find(dict);
    if (t == nullptr || t->db == nullptr) {  // cannot happen: queued implies placed
      due.erase(due.begin());
      if (t != nullptr) t->queued = 0;
      continue;
    }
    Database& db = *t->db;
    Entry* entry = db.FindRaw(t->key);
    if (entry == nullptr || entry->cold() || DictOf(entry) != dict) {
      Unqueue(dict, t);  // moved where the cycle cannot see (SWAPDB): left to the lazy path
      continue;
    }
    std::vector<std::string> doomed;
    for (auto it = t->order.begin();
         it != t->order.end() && it->first <= now_ms && deleted + doomed.size() < budget; ++it) {
      doomed.emplace_back(it->second);
    }
    size_t n = EraseQuietly(DictOf(entry), doomed);
    deleted += n;
    Finish(db, entry, n, true);
  }
  if (more != nullptr) *more = !due.empty() && due.begin()->first <= now_ms;
  return deleted;
}

}  // namespace dkv::engine
