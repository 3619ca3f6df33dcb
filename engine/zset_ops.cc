// The sorted-set engine (engine/zset_ops.h).
//
// kZsetPacked value bytes: the tag, a varint count of items (two per member), then per member
// a member item and a score item (engine/packed.h items: varint length, bytes). A score item
// is always 8 bytes: the IEEE-754 double, little-endian (-0 written as 0, as Redis' listpack
// keeps it). Members are in order (score, then
// member bytes). The portable form is the same bytes; Materialize checks every length, refuses
// a score item that is not 8 bytes, a NaN score, a repeated member or an empty set, and sorts
// items that arrive out of order.
//
// kZsetSkiplist: a pointer to an engine/skiplist.h Skiplist (nodes plus member hash) the entry
// owns; a huge one is freed in slices (SlicedGarbage).
//
// A write loads a packed set into a sorted vector, applies the whole command, and stores the
// bytes back once; a skiplist is changed in place. Either way the command ends with one
// version bump and one NoteWrite carrying Redis' dirty count.
#include "engine/zset_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "engine/keyspace.h"
#include "engine/packed.h"
#include "engine/skiplist.h"

namespace dkv::engine {

namespace {

using Node = Skiplist::Node;

constexpr size_t kScoreBytes = 8;

void AppendScore(std::string* out, double score) {
  if (score == 0) score = 0;  // -0 is stored as 0, as Redis' listpack stores it (an integer)
  uint64_t bits = std::bit_cast<uint64_t>(score);
  char buf[kScoreBytes];
  for (size_t i = 0; i < kScoreBytes; ++i) buf[i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
  packed::AppendItem(out, std::string_view(buf, kScoreBytes));
}

double LoadScore(std::string_view item) {
  uint64_t bits = 0;
  for (size_t i = 0; i < kScoreBytes; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(item[i])) << (8 * i);
  }
  return std::bit_cast<double>(bits);
}

bool Before(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

// A member of a packed set as read (views into the entry or into a vector's strings).
struct Item {
  std::string_view member;
  double score;
};

std::vector<Item> ReadPacked(std::string_view value) {
  packed::Reader r(value);
  std::vector<Item> out;
  out.reserve(r.count() / 2);
  for (size_t i = 0; i + 1 < r.count(); i += 2) {
    std::string_view m = r.Next();
    out.push_back({m, LoadScore(r.Next())});
  }
  return out;
}

template <typename Vec>
std::string BuildPacked(const Vec& items) {
  size_t bytes = 1 + 10;
  for (const auto& it : items) bytes += packed::ItemSize(it.member) + 1 + kScoreBytes;
  std::string out(1, static_cast<char>(Encoding::kZsetPacked));
  out.reserve(bytes);
  packed::AppendVarint(&out, items.size() * 2);
  for (const auto& it : items) {
    packed::AppendItem(&out, it.member);
    AppendScore(&out, it.score);
  }
  return out;
}

Skiplist* SkipOf(const Entry* entry) {
  return static_cast<Skiplist*>(PointerOf(entry, Encoding::kZsetSkiplist));
}

class SkiplistGarbage : public SlicedGarbage {
 public:
  explicit SkiplistGarbage(Skiplist* s) : s_(s) {}
  ~SkiplistGarbage() override { delete s_; }
  bool FreeSome(size_t budget, size_t* freed) override { return s_->FreeSome(budget, freed); }

 private:
  Skiplist* s_;
};

// A sorted set being written: a packed one copied into a sorted vector (owning its members),
// or the entry's skiplist changed in place.
class Work {
 public:
  // An existing set.
  explicit Work(const Entry* entry) : skip_(SkipOf(entry)) {
    if (skip_ == nullptr) {
      for (const Item& it : ReadPacked(entry->value())) {
        vec_.push_back({std::string(it.member), it.score});
      }
    }
  }
  // A new set, in the encoding `skiplist` says.
  explicit Work(bool skiplist) : skip_(skiplist ? new Skiplist() : nullptr), owned_(skiplist) {}
  ~Work() {
    if (owned_) delete skip_;
  }
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;

  bool packed() const { return skip_ == nullptr; }
  size_t size() const { return skip_ ? skip_->size() : vec_.size(); }
  bool converted() const { return converted_; }

  bool Score(std::string_view m, double* score) const {
    if (skip_) {
      Node* n = skip_->Find(m);
      if (n) *score = n->score;
      return n != nullptr;
    }
    size_t i = Index(m);
    if (i == kNone) return false;
    *score = vec_[i].score;
    return true;
  }
  // REQUIRES: absent.
  void Insert(std::string_view m, double score) {
    if (skip_) {
      skip_->Insert(m, score);
      return;
    }
    auto pos =
        std::lower_bound(vec_.begin(), vec_.end(), std::pair<double, std::string_view>(score, m),
                         [](const ScoredMember& a, const std::pair<double, std::string_view>& b) {
                           return Before(a.score, a.member, b.first, b.second);
                         });
    vec_.insert(pos, ScoredMember{std::string(m), score});
  }
  // REQUIRES: present.
  void Update(std::string_view m, double score) {
    if (skip_) {
      skip_->UpdateScore(skip_->Find(m), score);
      return;
    }
    std::string copy(m);
    Remove(copy);
    Insert(copy, score);
  }
  bool Remove(std::string_view m) {
    if (skip_) {
      Node* n = skip_->Find(m);
      if (n) skip_->Erase(n);
      return n != nullptr;
    }
    size_t i = Index(m);
    if (i == kNone) return false;
    vec_.erase(vec_.begin() + static_cast<std::ptrdiff_t>(i));
    return true;
  }
  // Removes ascending ranks [lo, hi] (0-based).
  void RemoveRanks(size_t lo, size_t hi) {
    if (skip_) {
      Node* n = skip_->AtRank(lo + 1);
      for (size_t i = lo; i <= hi && n != nullptr; ++i) {
        Node* next = n->next();
        skip_->Erase(n);
        n = next;
      }
      return;
    }
    vec_.erase(vec_.begin() + static_cast<std::ptrdiff_t>(lo),
               vec_.begin() + static_cast<std::ptrdiff_t>(hi + 1));
  }
  // Pops the lowest (or highest) member.
  ScoredMember Pop(bool max) {
    if (skip_) {
      Node* n = max ? skip_->Last() : skip_->First();
      ScoredMember out{std::string(n->member()), n->score};
      skip_->Erase(n);
      return out;
    }
    ScoredMember out;
    if (max) {
      out = std::move(vec_.back());
      vec_.pop_back();
    } else {
      out = std::move(vec_.front());
      vec_.erase(vec_.begin());
    }
    return out;
  }
  // A packed set becomes a skiplist.
  void ToSkiplist() {
    if (skip_) return;
    skip_ = new Skiplist();
    owned_ = true;
    converted_ = true;
    for (const ScoredMember& sm : vec_) skip_->Insert(sm.member, sm.score);
    vec_.clear();
  }
  // The value bytes to store: a packed set's, or a pointer to a skiplist this Work made (which
  // the entry then owns). Empty when an existing skiplist was changed in place.
  std::string Bytes() {
    if (skip_ == nullptr) return BuildPacked(vec_);
    if (!owned_) return {};
    owned_ = false;
    return PointerValue(Encoding::kZsetSkiplist, skip_);
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  size_t Index(std::string_view m) const {
    for (size_t i = 0; i < vec_.size(); ++i) {
      if (vec_[i].member == m) return i;
    }
    return kNone;
  }
  std::vector<ScoredMember> vec_;
  Skiplist* skip_ = nullptr;
  bool owned_ = false;
  bool converted_ = false;
};

// Ends a write of an existing set: stores new bytes when needed, deletes the key when empty,
// else counts the change; `writes` is Redis' dirty count.
void Finish(Database& db, Entry* entry, Work& work, size_t writes) {
  if (writes == 0) return;
  std::string key(entry->key());
  if (work.size() == 0) {
    db.Erase(entry);
    db.NoteWrite(key, ChangeKind::kDelete, writes);
    return;
  }
  std::string bytes = work.Bytes();
  if (!bytes.empty()) {
    entry = db.SetRawValue(entry, bytes);
  }
  db.NoteValueChanged(entry);
  db.NoteWrite(key, ChangeKind::kWrite, writes);
}

bool ScoreAboveMin(double s, const ScoreRange& r) {
  return r.min_exclusive ? s > r.min : s >= r.min;
}
bool ScoreBelowMax(double s, const ScoreRange& r) {
  return r.max_exclusive ? s < r.max : s <= r.max;
}
bool LexAboveMin(std::string_view m, const LexRange& r) {
  if (r.min_is_neg_inf) return true;
  return r.min_exclusive ? m > r.min : m >= r.min;
}
bool LexBelowMax(std::string_view m, const LexRange& r) {
  if (r.max_is_pos_inf) return true;
  return r.max_exclusive ? m < r.max : m <= r.max;
}
bool EmptyScoreRange(const ScoreRange& r) {
  return r.min > r.max || (r.min == r.max && (r.min_exclusive || r.max_exclusive));
}
bool EmptyLexRange(const LexRange& r) {
  if (r.min_is_neg_inf || r.max_is_pos_inf) {
    // "+" as min or "-" as max cannot be expressed here; the caller maps them to empty.
    return false;
  }
  int c = r.min.compare(r.max);
  return c > 0 || (c == 0 && (r.min_exclusive || r.max_exclusive));
}

// The ascending ranks [*lo, *hi] (0-based) of the members for which above_min and below_max
// hold; false when none.
template <typename AboveMin, typename BelowMax>
bool RanksWhere(const Entry* entry, const AboveMin& above_min, const BelowMax& below_max,
                size_t* lo, size_t* hi) {
  if (Skiplist* s = SkipOf(entry)) {
    size_t first = 0, last = 0;
    Node* a =
        s->FirstNotBefore([&](const Node* n) { return !above_min(n->member(), n->score); }, &first);
    if (a == nullptr || !below_max(a->member(), a->score)) return false;
    Node* b = s->LastWithin([&](const Node* n) { return below_max(n->member(), n->score); }, &last);
    if (b == nullptr || last < first) return false;
    *lo = first - 1;
    *hi = last - 1;
    return true;
  }
  std::vector<Item> items = ReadPacked(entry->value());
  size_t i = 0;
  while (i < items.size() && !above_min(items[i].member, items[i].score)) ++i;
  if (i == items.size() || !below_max(items[i].member, items[i].score)) return false;
  size_t j = i;
  while (j + 1 < items.size() && below_max(items[j + 1].member, items[j + 1].score)) ++j;
  *lo = i;
  *hi = j;
  return true;
}

bool ScoreRanks(const Entry* entry, const ScoreRange& r, size_t* lo, size_t* hi) {
  if (EmptyScoreRange(r)) return false;
  return RanksWhere(
      entry, [&](std::string_view, double s) { return ScoreAboveMin(s, r); },
      [&](std::string_view, double s) { return ScoreBelowMax(s, r); }, lo, hi);
}

bool LexRanks(const Entry* entry, const LexRange& r, size_t* lo, size_t* hi) {
  if (EmptyLexRange(r)) return false;
  return RanksWhere(
      entry, [&](std::string_view m, double) { return LexAboveMin(m, r); },
      [&](std::string_view m, double) { return LexBelowMax(m, r); }, lo, hi);
}

// Visits ascending ranks [lo, hi], from hi down when `reverse`.
void VisitRanks(const Entry* entry, size_t lo, size_t hi, bool reverse, const ZsetVisit& visit) {
  if (Skiplist* s = SkipOf(entry)) {
    Node* n = s->AtRank((reverse ? hi : lo) + 1);
    for (size_t i = 0; i <= hi - lo && n != nullptr; ++i) {
      if (!visit(n->member(), n->score)) return;
      n = reverse ? n->backward : n->next();
    }
    return;
  }
  std::vector<Item> items = ReadPacked(entry->value());
  for (size_t i = 0; i <= hi - lo; ++i) {
    const Item& it = items[reverse ? hi - i : lo + i];
    if (!visit(it.member, it.score)) return;
  }
}

// Applies offset and limit to the ascending ranks [lo, hi] and visits them.
void VisitLimited(const Entry* entry, size_t lo, size_t hi, bool reverse, size_t offset,
                  int64_t limit, const ZsetVisit& visit) {
  size_t count = hi - lo + 1;
  if (offset >= count || limit == 0) return;
  size_t n = count - offset;
  if (limit > 0 && static_cast<uint64_t>(limit) < n) n = static_cast<size_t>(limit);
  if (reverse) {
    VisitRanks(entry, hi - offset - (n - 1), hi - offset, true, visit);
  } else {
    VisitRanks(entry, lo + offset, lo + offset + n - 1, false, visit);
  }
}

// Whether a new set of `count` members, the longest `max_len` bytes, is a skiplist.
bool WantsSkiplist(size_t count, size_t max_len, const ContainerLimits& limits) {
  return count > limits.zset_max_entries || max_len > limits.zset_max_value;
}

}  // namespace

size_t ZsetLen(const Entry* entry) {
  if (Skiplist* s = SkipOf(entry)) return s->size();
  return packed::Reader(entry->value()).count() / 2;
}

bool ZsetScore(const Entry* entry, std::string_view member, double* score) {
  if (Skiplist* s = SkipOf(entry)) {
    Node* n = s->Find(member);
    if (n != nullptr) *score = n->score;
    return n != nullptr;
  }
  packed::Reader r(entry->value());
  for (size_t i = 0; i + 1 < r.count(); i += 2) {
    std::string_view m = r.Next();
    std::string_view sc = r.Next();
    if (m == member) {
      *score = LoadScore(sc);
      return true;
    }
  }
  return false;
}

bool ZsetRank(const Entry* entry, std::string_view member, bool reverse, size_t* rank,
              double* score) {
  size_t len = ZsetLen(entry);
  size_t r = 0;
  if (Skiplist* s = SkipOf(entry)) {
    Node* n = s->Find(member);
    if (n == nullptr) return false;
    r = s->RankOf(n) - 1;
    *score = n->score;
  } else {
    packed::Reader rd(entry->value());
    bool found = false;
    for (size_t i = 0; i + 1 < rd.count(); i += 2) {
      std::string_view m = rd.Next();
      std::string_view sc = rd.Next();
      if (m == member) {
        r = i / 2;
        *score = LoadScore(sc);
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  *rank = reverse ? len - 1 - r : r;
  return true;
}

void ZsetRangeByRank(const Entry* entry, size_t start, size_t stop, bool reverse,
                     const ZsetVisit& visit) {
  if (!reverse) return VisitRanks(entry, start, stop, false, visit);
  size_t len = ZsetLen(entry);
  VisitRanks(entry, len - 1 - stop, len - 1 - start, true, visit);
}

void ZsetRangeByScore(const Entry* entry, const ScoreRange& range, bool reverse, size_t offset,
                      int64_t limit, const ZsetVisit& visit) {
  size_t lo = 0, hi = 0;
  if (ScoreRanks(entry, range, &lo, &hi))
    VisitLimited(entry, lo, hi, reverse, offset, limit, visit);
}

void ZsetRangeByLex(const Entry* entry, const LexRange& range, bool reverse, size_t offset,
                    int64_t limit, const ZsetVisit& visit) {
  size_t lo = 0, hi = 0;
  if (LexRanks(entry, range, &lo, &hi)) VisitLimited(entry, lo, hi, reverse, offset, limit, visit);
}

size_t ZsetCountByScore(const Entry* entry, const ScoreRange& range) {
  size_t lo = 0, hi = 0;
  return ScoreRanks(entry, range, &lo, &hi) ? hi - lo + 1 : 0;
}

size_t ZsetCountByLex(const Entry* entry, const LexRange& range) {
  size_t lo = 0, hi = 0;
  return LexRanks(entry, range, &lo, &hi) ? hi - lo + 1 : 0;
}

ScoredMember ZsetRandom(const Entry* entry, std::mt19937_64& rng) {
  size_t len = ZsetLen(entry);
  size_t pick = std::uniform_int_distribution<size_t>(0, len - 1)(rng);
  ScoredMember out;
  VisitRanks(entry, pick, pick, false, [&](std::string_view m, double s) {
    out.member.assign(m);
    out.score = s;
    return false;
  });
  return out;
}

uint64_t ZsetScan(const Entry* entry, uint64_t cursor,
                  const std::function<void(std::string_view member, double score)>& visit) {
  if (Skiplist* s = SkipOf(entry)) {
    return s->Scan(cursor, [&](const Node* n) { visit(n->member(), n->score); });
  }
  for (const Item& it : ReadPacked(entry->value())) visit(it.member, it.score);
  return 0;
}

ZaddResult ZsetAdd(Database& db, std::string_view key,
                   const std::vector<std::pair<double, std::string_view>>& pairs,
                   const ZaddFlags& flags) {
  ZaddResult res;
  const ContainerLimits& limits = db.keyspace().container_limits();
  Entry* e = db.Find(key);
  if (e == nullptr && flags.xx) {
    res.skipped = true;
    return res;
  }
  std::unique_ptr<Work> work;
  if (e != nullptr) {
    work = std::make_unique<Work>(e);
  } else {
    size_t max_len = 0;
    for (const auto& p : pairs) max_len = std::max(max_len, p.second.size());
    work = std::make_unique<Work>(WantsSkiplist(pairs.size(), max_len, limits));
  }
  size_t updated = 0;
  for (const auto& [score_in, member] : pairs) {
    double score = score_in;
    double cur = 0;
    if (work->Score(member, &cur)) {
      if (flags.nx) {
        res.skipped = true;
        continue;
      }
      if (flags.incr) {
        score += cur;
        if (std::isnan(score)) {
          res.nan = true;
          break;
        }
      }
      if ((flags.gt && score <= cur) || (flags.lt && score >= cur)) {
        res.skipped = true;
        continue;
      }
      res.score = score;
      res.skipped = false;
      if (score != cur) {
        work->Update(member, score);
        ++updated;
        ++res.changed;
      }
    } else {
      if (flags.xx) {
        res.skipped = true;
        continue;
      }
      if (work->packed() &&
          (work->size() + 1 > limits.zset_max_entries || member.size() > limits.zset_max_value)) {
        work->ToSkiplist();
      }
      work->Insert(member, score);
      res.score = score;
      res.skipped = false;
      ++res.added;
      ++res.changed;
    }
  }
  size_t writes = res.added + updated;
  if (writes == 0) return res;
  if (e == nullptr) {
    // A new key starts at version 1 (InsertContainer).
    db.InsertContainer(key, Kind::kZset, work->Bytes());
    db.NoteWrite(key, ChangeKind::kWrite, writes);
    return res;
  }
  Finish(db, e, *work, writes);
  return res;
}

size_t ZsetRemove(Database& db, Entry* entry, const std::vector<std::string_view>& members) {
  Work work(entry);
  size_t removed = 0;
  for (std::string_view m : members) {
    if (work.Remove(m)) ++removed;
    if (work.size() == 0) break;
  }
  Finish(db, entry, work, removed);
  return removed;
}

size_t ZsetRemoveRangeByRank(Database& db, Entry* entry, size_t start, size_t stop) {
  Work work(entry);
  work.RemoveRanks(start, stop);
  Finish(db, entry, work, stop - start + 1);
  return stop - start + 1;
}

size_t ZsetRemoveRangeByScore(Database& db, Entry* entry, const ScoreRange& range) {
  size_t lo = 0, hi = 0;
  if (!ScoreRanks(entry, range, &lo, &hi)) return 0;
  return ZsetRemoveRangeByRank(db, entry, lo, hi);
}

size_t ZsetRemoveRangeByLex(Database& db, Entry* entry, const LexRange& range) {
  size_t lo = 0, hi = 0;
  if (!LexRanks(entry, range, &lo, &hi)) return 0;
  return ZsetRemoveRangeByRank(db, entry, lo, hi);
}

std::vector<ScoredMember> ZsetPop(Database& db, Entry* entry, bool max, size_t count) {
  std::vector<ScoredMember> out;
  if (count == 0) return out;
  Work work(entry);
  size_t n = std::min(count, work.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(work.Pop(max));
  Finish(db, entry, work, out.size());
  return out;
}

void ZsetStore(Database& db, std::string_view key, const std::vector<ScoredMember>& members) {
  Entry* old = db.Find(key);
  if (members.empty()) {
    if (old != nullptr) db.Delete(old);
    return;
  }
  std::string k(key);
  bool replacing = old != nullptr;
  if (replacing) db.Erase(old);
  const ContainerLimits& limits = db.keyspace().container_limits();
  size_t max_len = 0;
  for (const ScoredMember& m : members) max_len = std::max(max_len, m.member.size());
  std::string bytes;
  if (WantsSkiplist(members.size(), max_len, limits)) {
    auto s = std::make_unique<Skiplist>();
    for (const ScoredMember& m : members) s->Insert(m.member, m.score);
    bytes = PointerValue(Encoding::kZsetSkiplist, s.release());
  } else {
    std::vector<const ScoredMember*> sorted;
    sorted.reserve(members.size());
    for (const ScoredMember& m : members) sorted.push_back(&m);
    std::sort(sorted.begin(), sorted.end(), [](const ScoredMember* a, const ScoredMember* b) {
      return Before(a->score, a->member, b->score, b->member);
    });
    std::vector<Item> items;
    items.reserve(sorted.size());
    for (const ScoredMember* m : sorted) items.push_back({m->member, m->score});
    bytes = BuildPacked(items);
  }
  db.InsertContainer(k, Kind::kZset, bytes, replacing);
  db.NoteWrite(k, ChangeKind::kWrite, 1);
}

std::string ZsetSerialize(const Entry* entry) {
  Skiplist* s = SkipOf(entry);
  if (s == nullptr) return std::string(entry->value());
  std::vector<Item> items;
  items.reserve(s->size());
  for (const Node* n = s->First(); n != nullptr; n = n->next()) {
    items.push_back({n->member(), n->score});
  }
  return BuildPacked(items);
}

bool ZsetMaterialize(std::string_view portable, const ContainerLimits& limits, std::string* value) {
  if (portable.empty() || static_cast<Encoding>(portable[0]) != Encoding::kZsetPacked) {
    return false;
  }
  const char* p = portable.data() + 1;
  const char* end = portable.data() + portable.size();
  uint64_t count = 0;
  size_t n = packed::GetVarintChecked(p, end, &count);
  if (n == 0) return false;
  p += n;
  // Every item takes at least one byte: a count beyond the bytes left is damage, caught before
  // anything is reserved for it.
  if (count == 0 || count % 2 != 0 || count > static_cast<uint64_t>(end - p)) return false;
  std::vector<Item> items;
  items.reserve(static_cast<size_t>(count / 2));
  for (uint64_t i = 0; i < count; i += 2) {
    std::string_view two[2];
    for (auto& item : two) {
      uint64_t len = 0;
      size_t m = packed::GetVarintChecked(p, end, &len);
      if (m == 0) return false;
      p += m;
      if (len > static_cast<uint64_t>(end - p)) return false;
      item = std::string_view(p, static_cast<size_t>(len));
      p += len;
    }
    if (two[1].size() != kScoreBytes) return false;
    double score = LoadScore(two[1]);
    if (std::isnan(score)) return false;
    items.push_back({two[0], score});
  }
  if (p != end) return false;
  std::unordered_set<std::string_view> seen;
  seen.reserve(items.size());
  size_t max_len = 0;
  bool ordered = true;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(items[i].member).second) return false;
    max_len = std::max(max_len, items[i].member.size());
    if (i > 0 &&
        !Before(items[i - 1].score, items[i - 1].member, items[i].score, items[i].member)) {
      ordered = false;
    }
  }
  if (WantsSkiplist(items.size(), max_len, limits)) {
    auto s = std::make_unique<Skiplist>();
    for (const Item& it : items) s->Insert(it.member, it.score);
    *value = PointerValue(Encoding::kZsetSkiplist, s.release());
    return true;
  }
  if (ordered) {
    value->assign(portable);
    return true;
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return Before(a.score, a.member, b.score, b.member);
  });
  *value = BuildPacked(items);
  return true;
}

void ZsetRelease(Entry* entry) {
  Skiplist* s = SkipOf(entry);
  if (s == nullptr) return;
  if (s->size() > kFreeInSlices) {
    DisposeInSlices(new SkiplistGarbage(s));
  } else {
    delete s;
  }
}

std::string ZsetClone(const Entry* entry) {
  Skiplist* s = SkipOf(entry);
  if (s == nullptr) return std::string(entry->value());
  return PointerValue(Encoding::kZsetSkiplist, s->Clone());
}

size_t ZsetExtraBytes(const Entry* entry) {
  Skiplist* s = SkipOf(entry);
  return s ? s->bytes() : 0;
}

}  // namespace dkv::engine
