// The list engine (engine/list_ops.h). A packed list's value bytes are the tag, a varint item
// count, then its items (engine/list_pack.h); a quicklist's are the tag and a pointer to a
// quick::List (engine/quicklist.h). A write works on a quick::List: the entry's own, or, for a
// packed list, a one-node copy of its items; Writer::Finish then stores the result in the
// encoding Redis 7.2 would hold (packed while one node's worth, quicklist past it, packed again
// at half of it) and owns the side effects (version, dirty, observer, deletion of an empty list).
#include "engine/list_ops.h"

#include <algorithm>
#include <memory>

#include "engine/keyspace.h"
#include "engine/list_compress.h"
#include "engine/list_pack.h"
#include "engine/packed.h"
#include "engine/quicklist.h"

namespace dkv::engine {

namespace {

using Visit = std::function<bool(std::string_view element)>;

struct Span {
  const char* data;
  size_t bytes;
  size_t count;
};

Span PackedSpan(const Entry* e) {
  std::string_view v = e->value();
  uint64_t n = 0;
  size_t k = packed::GetVarint(v.data() + 1, &n);
  return {v.data() + 1 + k, v.size() - 1 - k, static_cast<size_t>(n)};
}

quick::List* QuickOf(const Entry* e) {
  return static_cast<quick::List*>(PointerOf(e, Encoding::kListQuick));
}

std::string PackedBytes(const char* data, size_t bytes, size_t count) {
  std::string v(1, static_cast<char>(Encoding::kListPacked));
  v.reserve(1 + packed::VarintSize(count) + bytes);
  packed::AppendVarint(&v, count);
  v.append(data, bytes);
  return v;
}

// A node's plain items: its own bytes, or decompressed into `scratch`.
const char* NodeData(const quick::Node* n, std::string* scratch) {
  if (n->zbytes == 0) return n->data();
  scratch->resize(n->bytes);
  lzf::Decompress(n->data(), n->zbytes, scratch->data(), n->bytes);
  return scratch->data();
}

// Visits items [lo, hi] of a plain run, in order or reversed; false when `visit` stopped.
bool VisitSpan(const Span& s, size_t lo, size_t hi, bool reverse, const Visit& visit) {
  char buf[24];
  if (!reverse) {
    const char* p = s.data + quick::Locate(s.data, s.bytes, s.count, lo);
    for (size_t i = lo; i <= hi; ++i) {
      listpack::Item it = listpack::Decode(p);
      if (!visit(listpack::Text(it, buf))) return false;
      p += it.size;
    }
    return true;
  }
  const char* end = s.data + quick::Locate(s.data, s.bytes, s.count, hi + 1);
  for (size_t i = hi + 1; i > lo; --i) {
    const char* p = listpack::PrevStart(end);
    if (!visit(listpack::Text(listpack::Decode(p), buf))) return false;
    end = p;
  }
  return true;
}

// The node holding item `index` and the item's index in it, found from the nearer end.
const quick::Node* FindNode(const quick::List* l, size_t index, size_t* local) {
  const quick::Node* n = nullptr;
  if (index < l->count / 2) {
    n = l->head;
    while (index >= n->count) {
      index -= n->count;
      n = n->next;
    }
  } else {
    size_t r = l->count - 1 - index;
    n = l->tail;
    while (r >= n->count) {
      r -= n->count;
      n = n->prev;
    }
    index = n->count - 1 - r;
  }
  *local = index;
  return n;
}

void VisitList(const quick::List* l, size_t start, size_t stop, bool reverse, const Visit& visit) {
  std::string scratch;
  size_t remaining = stop - start + 1;
  size_t idx = 0;
  const quick::Node* n = FindNode(l, reverse ? stop : start, &idx);
  while (remaining > 0 && n != nullptr) {
    Span s{NodeData(n, &scratch), n->bytes, n->count};
    if (!reverse) {
      size_t take = std::min(remaining, n->count - idx);
      if (!VisitSpan(s, idx, idx + take - 1, false, visit)) return;
      remaining -= take;
      n = n->next;
      idx = 0;
    } else {
      size_t take = std::min(remaining, idx + 1);
      if (!VisitSpan(s, idx + 1 - take, idx, true, visit)) return;
      remaining -= take;
      n = n->prev;
      if (n != nullptr) idx = n->count - 1;
    }
  }
}

// The value bytes for a list built from nothing (a new key, RESTORE, SORT STORE): packed when
// one node holds it, else a quicklist (compressed as configured). Takes `l`.
std::string NewValue(quick::List* l, const ContainerLimits& limits) {
  quick::Limit limit = quick::LimitOf(limits.list_max_listpack_size);
  if (l->nodes <= 1 && (l->count == 0 || quick::Fits(limit, l->head->bytes, l->count))) {
    std::string v = l->count == 0 ? PackedBytes(nullptr, 0, 0)
                                  : PackedBytes(l->head->data(), l->head->bytes, l->count);
    quick::Free(l);
    return v;
  }
  quick::CompressAll(l, limits.list_compress_depth);
  return PointerValue(Encoding::kListQuick, l);
}

// One write command's work on one list (see the file comment).
class Writer {
 public:
  Writer(Database& db, Entry* e)
      : db_(db),
        e_(e),
        limits_(db.keyspace().container_limits()),
        limit_(quick::LimitOf(limits_.list_max_listpack_size)) {
    ql_ = QuickOf(e);
    if (ql_ == nullptr) {
      was_packed_ = true;
      Span s = PackedSpan(e);
      ql_ = quick::New();
      if (s.count > 0) quick::AppendNode(ql_, {s.data, s.bytes}, s.count);
    }
    nodes_before_ = ql_->nodes;
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  quick::List* ql() { return ql_; }
  const quick::Limit& limit() const { return limit_; }

  // Nothing changed: drops the copy.
  void Abandon() {
    if (was_packed_) quick::Free(ql_);
    ql_ = nullptr;
  }

  // Stores the result and counts `writes`. `touched`: a node written in the middle (for
  // compression); `bulk`: nodes changed anywhere (compress them all).
  void Finish(uint64_t writes, quick::Node* touched = nullptr, bool bulk = false) {
    std::string key(e_->key());
    if (ql_->count == 0) {
      if (was_packed_) quick::Free(ql_);
      db_.Erase(e_);  // frees a quicklist with its entry
      db_.NoteWrite(key, ChangeKind::kDelete, writes);
      return;
    }
    Entry* e = e_;
    quick::Limit bound = was_packed_ ? limit_ : quick::Half(limit_);
    if (ql_->nodes == 1 && quick::Fits(bound, ql_->head->bytes, ql_->count)) {
      quick::Node* n = quick::Plain(ql_, ql_->head);
      e = db_.SetRawValue(e, PackedBytes(n->data(), n->bytes, n->count));
      quick::Free(ql_);
    } else {
      if (was_packed_) e = db_.SetRawValue(e, PointerValue(Encoding::kListQuick, ql_));
      int64_t depth = limits_.list_compress_depth;
      if (depth > 0) {
        quick::Compress(ql_, depth, touched);
        size_t diff =
            ql_->nodes > nodes_before_ ? ql_->nodes - nodes_before_ : nodes_before_ - ql_->nodes;
        if (bulk || was_packed_ || diff > 1) quick::CompressAll(ql_, depth);
      }
    }
    ql_ = nullptr;
    db_.NoteValueChanged(e);
    db_.NoteWrite(key, ChangeKind::kWrite, writes);
  }

 private:
  Database& db_;
  Entry* e_;
  const ContainerLimits& limits_;
  quick::Limit limit_;
  quick::List* ql_ = nullptr;
  bool was_packed_ = false;
  size_t nodes_before_ = 0;
};

Entry* FindOrCreate(Database& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) e = db.InsertContainer(key, Kind::kList, EmptyContainer(Kind::kList));
  return e;
}

// A Redis index (negative from the tail) as a position, or false when out of range.
bool Position(size_t len, int64_t index, size_t* pos) {
  if (index < 0) index += static_cast<int64_t>(len);
  if (index < 0 || static_cast<uint64_t>(index) >= len) return false;
  *pos = static_cast<size_t>(index);
  return true;
}

class QuickGarbage : public SlicedGarbage {
 public:
  explicit QuickGarbage(quick::List* l) : l_(l) {}
  ~QuickGarbage() override { quick::Free(l_); }
  bool FreeSome(size_t budget, size_t* freed) override {
    *freed = quick::FreeSome(l_, budget);
    return l_->head == nullptr;
  }

 private:
  quick::List* l_;
};

}  // namespace

size_t ListLen(const Entry* entry) {
  if (quick::List* l = QuickOf(entry)) return l->count;
  if (EncodingOf(entry) != Encoding::kListPacked) return 0;
  return PackedSpan(entry).count;
}

bool ListIndex(const Entry* entry, int64_t index, std::string* out) {
  size_t pos = 0;
  if (!Position(ListLen(entry), index, &pos)) return false;
  ListRange(entry, pos, pos, false, [&](std::string_view v) {
    out->assign(v);
    return false;
  });
  return true;
}

void ListRange(const Entry* entry, size_t start, size_t stop, bool reverse, const Visit& visit) {
  if (quick::List* l = QuickOf(entry)) return VisitList(l, start, stop, reverse, visit);
  VisitSpan(PackedSpan(entry), start, stop, reverse, visit);
}

size_t ListPush(Database& db, std::string_view key, ListEnd end,
                const std::vector<std::string_view>& elements) {
  Writer w(db, FindOrCreate(db, key));
  for (std::string_view s : elements) quick::Push(w.ql(), end == ListEnd::kHead, s, w.limit());
  size_t len = w.ql()->count;
  w.Finish(elements.size());
  return len;
}

std::vector<std::string> ListPop(Database& db, Entry* entry, ListEnd end, size_t count) {
  Writer w(db, entry);
  size_t n = std::min(count, w.ql()->count);
  std::vector<std::string> out(n);
  for (size_t i = 0; i < n; ++i) quick::Pop(w.ql(), end == ListEnd::kHead, &out[i]);
  if (n == 0) {
    w.Abandon();
    return out;
  }
  w.Finish(n);
  return out;
}

bool ListSet(Database& db, Entry* entry, int64_t index, std::string_view element) {
  size_t pos = 0;
  if (!Position(ListLen(entry), index, &pos)) return false;
  std::string copy(element);  // `element` may not point into the list, but stay safe
  Writer w(db, entry);
  quick::Node* touched = quick::Replace(w.ql(), quick::Seek(w.ql(), pos), copy, w.limit());
  w.Finish(1, touched);
  return true;
}

int64_t ListInsert(Database& db, Entry* entry, bool before, std::string_view pivot,
                   std::string_view element) {
  size_t len = ListLen(entry);
  size_t at = 0;
  bool found = false;
  ListRange(entry, 0, len - 1, false, [&](std::string_view v) {
    if (v == pivot) {
      found = true;
      return false;
    }
    ++at;
    return true;
  });
  if (!found) return -1;
  Writer w(db, entry);
  quick::Node* touched = quick::Insert(w.ql(), quick::Seek(w.ql(), at), before, element, w.limit());
  w.Finish(1, touched);
  return static_cast<int64_t>(len + 1);
}

size_t ListRemove(Database& db, Entry* entry, int64_t count, std::string_view element) {
  size_t max = count == 0 ? SIZE_MAX
                          : (count < 0 ? static_cast<size_t>(0 - static_cast<uint64_t>(count))
                                       : static_cast<size_t>(count));
  Writer w(db, entry);
  size_t removed = quick::RemoveEqual(w.ql(), max, count < 0, element, w.limit());
  if (removed == 0) {
    w.Abandon();
    return 0;
  }
  w.Finish(removed, nullptr, /*bulk=*/true);
  return removed;
}

void ListTrim(Database& db, Entry* entry, int64_t start, int64_t stop) {
  auto len = static_cast<int64_t>(ListLen(entry));
  if (start < 0) start = start < -len ? 0 : start + len;
  if (stop < 0) stop = stop < -len ? -1 : stop + len;
  int64_t ltrim = 0, rtrim = 0;
  if (start > stop || start >= len) {
    ltrim = len;
  } else {
    if (stop >= len) stop = len - 1;
    ltrim = start;
    rtrim = len - stop - 1;
  }
  Writer w(db, entry);
  quick::TrimEnd(w.ql(), true, static_cast<size_t>(ltrim));
  quick::TrimEnd(w.ql(), false, static_cast<size_t>(rtrim));
  w.Finish(static_cast<uint64_t>(ltrim + rtrim));
}

std::string ListMove(Database& db, Entry* src, std::string_view dst_key, ListEnd from, ListEnd to) {
  std::string v;
  std::string dst(dst_key);  // may point into src's key
  if (src->key() == dst) {
    Writer w(db, src);
    quick::Pop(w.ql(), from == ListEnd::kHead, &v);
    quick::Push(w.ql(), to == ListEnd::kHead, v, w.limit());
    w.Finish(1);
    return v;
  }
  {
    Writer w(db, src);
    quick::Pop(w.ql(), from == ListEnd::kHead, &v);
    w.Finish(1);  // Redis counts the move once
  }
  Writer w(db, FindOrCreate(db, dst));
  quick::Push(w.ql(), to == ListEnd::kHead, v, w.limit());
  w.Finish(0);
  return v;
}

void ListStore(Database& db, std::string_view key, const std::vector<std::string>& elements,
               uint64_t writes) {
  Entry* old = db.Find(key);
  if (elements.empty()) {
    if (old != nullptr) db.Delete(old);
    return;
  }
  std::string k(key);
  bool replacing = old != nullptr;
  if (replacing) db.Erase(old);
  const ContainerLimits& limits = db.keyspace().container_limits();
  quick::Limit limit = quick::LimitOf(limits.list_max_listpack_size);
  quick::List* l = quick::New();
  for (const std::string& s : elements) quick::Push(l, false, s, limit);
  db.InsertContainer(k, Kind::kList, NewValue(l, limits), replacing);
  db.NoteWrite(k, ChangeKind::kWrite, writes);
}

std::string ListSerialize(const Entry* entry) {
  std::string out(1, static_cast<char>(Encoding::kListPacked));
  size_t len = ListLen(entry);
  packed::AppendVarint(&out, len);
  if (len == 0) return out;
  ListRange(entry, 0, len - 1, false, [&](std::string_view v) {
    packed::AppendItem(&out, v);
    return true;
  });
  return out;
}

bool ListMaterialize(std::string_view portable, const ContainerLimits& limits, std::string* value) {
  if (portable.empty() || static_cast<Encoding>(portable[0]) != Encoding::kListPacked) {
    return false;
  }
  const char* p = portable.data() + 1;
  const char* end = portable.data() + portable.size();
  uint64_t count = 0;
  size_t n = packed::GetVarintChecked(p, end, &count);
  if (n == 0) return false;
  p += n;
  // Every item takes at least one byte: a count beyond the bytes left is damage.
  if (count == 0 || count > static_cast<uint64_t>(end - p)) return false;
  std::vector<std::string_view> items;
  items.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    n = packed::GetVarintChecked(p, end, &len);
    if (n == 0) return false;
    p += n;
    if (len > static_cast<uint64_t>(end - p) || len > UINT32_MAX) return false;
    items.emplace_back(p, static_cast<size_t>(len));
    p += len;
  }
  if (p != end) return false;
  quick::Limit limit = quick::LimitOf(limits.list_max_listpack_size);
  quick::List* l = quick::New();
  for (std::string_view s : items) quick::Push(l, false, s, limit);
  *value = NewValue(l, limits);
  return true;
}

void ListRelease(Entry* entry) {
  quick::List* l = QuickOf(entry);
  if (l == nullptr) return;
  if (l->count > kFreeInSlices) {
    DisposeInSlices(new QuickGarbage(l));
  } else {
    quick::Free(l);
  }
}

std::string ListClone(const Entry* entry) {
  if (quick::List* l = QuickOf(entry)) {
    return PointerValue(Encoding::kListQuick, quick::Clone(l));
  }
  return std::string(entry->value());
}

size_t ListExtraBytes(const Entry* entry) {
  quick::List* l = QuickOf(entry);
  return l ? quick::Bytes(l) : 0;
}

}  // namespace dkv::engine
