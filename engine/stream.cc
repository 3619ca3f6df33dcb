// Streams: entries in packed nodes, IDs, trimming (engine/stream.h).
//
// A node is one byte buffer. Its head holds the node's "master" fields (the field names of the
// first entry appended to it): varint field count, then varint length + bytes per field. Entries
// follow, in ID order:
//   flags (1 byte: kDeleted, kSameFields)
//   varint ms delta (id.ms - master.ms)
//   varint seq: id.seq - master.seq when the ms delta is 0, else id.seq
//   kSameFields: the values only (varint length + bytes each), the fields are the master's;
//   otherwise: varint pair count, then field, value, ... (varint length + bytes each).
// Nothing else is kept per entry: no offsets, no per-entry allocation. Reverse iteration collects
// a node's entry offsets in a scratch vector (a node holds at most stream-node-max-entries).
#include "engine/stream.h"

#include <cstring>

namespace dkv::engine {

namespace {

constexpr uint8_t kDeleted = 1;
constexpr uint8_t kSameFields = 2;
// What a node costs beyond its buffer: the map node and the Node object (MEMORY USAGE).
constexpr size_t kNodeOverhead = 96;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t GetVarint(const char*& p) {
  uint64_t v = 0;
  int shift = 0;
  for (;;) {
    uint8_t b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
    shift += 7;
  }
}

std::string_view GetBytes(const char*& p) {
  uint64_t n = GetVarint(p);
  std::string_view s(p, n);
  p += n;
  return s;
}

void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

struct Stream::Node {
  StreamId master;
  uint32_t count = 0;  // entries in the buffer, deleted ones included
  uint32_t live = 0;   // entries not deleted
  uint32_t master_fields = 0;
  uint32_t entries_at = 0;  // offset of the first entry (the end of the master fields)
  std::string buf;

  size_t Cost() const { return kNodeOverhead + buf.capacity(); }

  // A decoded entry; `next` is the offset after it.
  struct Cursor {
    size_t at = 0;
    size_t next = 0;
    uint8_t flags = 0;
    StreamId id;
  };

  // Decodes the entry at `at` (its header; `items` filled when non-null).
  Cursor Decode(size_t at, std::vector<std::string_view>* items) const {
    Cursor c;
    c.at = at;
    const char* p = buf.data() + at;
    c.flags = static_cast<uint8_t>(*p++);
    uint64_t ms_delta = GetVarint(p);
    uint64_t seq = GetVarint(p);
    c.id =
        ms_delta == 0 ? StreamId{master.ms, master.seq + seq} : StreamId{master.ms + ms_delta, seq};
    if (items != nullptr) items->clear();
    if (c.flags & kSameFields) {
      const char* f = buf.data() + 0;
      uint64_t nf = GetVarint(f);
      for (uint64_t i = 0; i < nf; i++) {
        std::string_view field = GetBytes(f);
        std::string_view value = GetBytes(p);
        if (items != nullptr) {
          items->push_back(field);
          items->push_back(value);
        }
      }
    } else {
      uint64_t pairs = GetVarint(p);
      for (uint64_t i = 0; i < 2 * pairs; i++) {
        std::string_view s = GetBytes(p);
        if (items != nullptr) items->push_back(s);
      }
    }
    c.next = static_cast<size_t>(p - buf.data());
    return c;
  }

  bool SameFieldsAsMaster(std::span<const std::string_view> items) const {
    if (items.size() / 2 != master_fields) return false;
    const char* f = buf.data();
    GetVarint(f);
    for (size_t i = 0; i < items.size(); i += 2) {
      if (GetBytes(f) != items[i]) return false;
    }
    return true;
  }

  void AppendEntry(StreamId id, std::span<const std::string_view> items) {
    if (count == 0) {
      master = id;
      buf.clear();
      master_fields = static_cast<uint32_t>(items.size() / 2);
      PutVarint(&buf, master_fields);
      for (size_t i = 0; i < items.size(); i += 2) PutBytes(&buf, items[i]);
      entries_at = static_cast<uint32_t>(buf.size());
    }
    bool same = SameFieldsAsMaster(items);
    buf.push_back(static_cast<char>(same ? kSameFields : 0));
    uint64_t ms_delta = id.ms - master.ms;
    PutVarint(&buf, ms_delta);
    PutVarint(&buf, ms_delta == 0 ? id.seq - master.seq : id.seq);
    if (same) {
      for (size_t i = 1; i < items.size(); i += 2) PutBytes(&buf, items[i]);
    } else {
      PutVarint(&buf, items.size() / 2);
      for (std::string_view s : items) PutBytes(&buf, s);
    }
    count++;
    live++;
  }

  // Offsets of all entries, in order.
  void Offsets(std::vector<size_t>* out) const {
    out->clear();
    for (size_t at = entries_at; at < buf.size(); at = Decode(at, nullptr).next) out->push_back(at);
  }

  // The offset of the entry with this ID, or npos.
  size_t Find(StreamId id) const {
    for (size_t at = entries_at; at < buf.size();) {
      Cursor c = Decode(at, nullptr);
      if (c.id == id) return (c.flags & kDeleted) ? std::string::npos : at;
      if (c.id > id) break;
      at = c.next;
    }
    return std::string::npos;
  }

  StreamId LastId() const {
    StreamId last = master;
    for (size_t at = entries_at; at < buf.size();) {
      Cursor c = Decode(at, nullptr);
      last = c.id;
      at = c.next;
    }
    return last;
  }
};

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

bool StreamId::Increment(StreamId* next) const {
  if (*this == Max()) return false;
  *next = seq == UINT64_MAX ? StreamId{ms + 1, 0} : StreamId{ms, seq + 1};
  return true;
}

bool StreamId::Decrement(StreamId* prev) const {
  if (*this == Min()) return false;
  *prev = seq == 0 ? StreamId{ms - 1, UINT64_MAX} : StreamId{ms, seq - 1};
  return true;
}

bool ParseStreamId(std::string_view text, uint64_t missing_seq, bool allow_extremes,
                   StreamId* out) {
  if (allow_extremes && text.size() == 1) {
    if (text[0] == '-') {
      *out = StreamId::Min();
      return true;
    }
    if (text[0] == '+') {
      *out = StreamId::Max();
      return true;
    }
  }
  size_t dash = text.find('-');
  uint64_t ms = 0;
  uint64_t seq = missing_seq;
  if (dash == std::string_view::npos) {
    if (!ParseU64(text, &ms)) return false;
  } else {
    if (!ParseU64(text.substr(0, dash), &ms) || !ParseU64(text.substr(dash + 1), &seq)) {
      return false;
    }
  }
  *out = {ms, seq};
  return true;
}

StreamLimits& GlobalStreamLimits() {
  static StreamLimits limits;
  return limits;
}

Stream::Stream() = default;
Stream::~Stream() = default;

StreamId Stream::first_id() const {
  if (nodes_.empty()) return {};
  const Node& n = *nodes_.begin()->second;
  for (size_t at = n.entries_at; at < n.buf.size();) {
    Node::Cursor c = n.Decode(at, nullptr);
    if (!(c.flags & kDeleted)) return c.id;
    at = c.next;
  }
  return {};
}

void Stream::Append(StreamId id, std::span<const std::string_view> items,
                    const StreamLimits& limits) {
  size_t add = 0;
  for (std::string_view s : items) add += s.size();
  Node* tail = nodes_.empty() ? nullptr : nodes_.rbegin()->second.get();
  if (tail != nullptr) {
    bool full = (limits.node_max_bytes != 0 && tail->buf.size() + add >= limits.node_max_bytes) ||
                (limits.node_max_entries != 0 && tail->count >= limits.node_max_entries);
    if (full) {
      node_bytes_ -= tail->Cost();
      tail->buf.shrink_to_fit();
      node_bytes_ += tail->Cost();
      tail = nullptr;
    }
  }
  if (tail == nullptr) {
    // The map's own node (ids ascend, so `id` is new): no pointer into a node that an
    // emplace finding the key taken would have freed.
    tail = nodes_.emplace(id, std::make_unique<Node>()).first->second.get();
    node_bytes_ += tail->Cost();
  }
  node_bytes_ -= tail->Cost();
  tail->AppendEntry(id, items);
  node_bytes_ += tail->Cost();
  length_++;
  entries_added_++;
  last_id_ = id;
}

bool Stream::Delete(StreamId id) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  Node& n = *it->second;
  size_t at = n.Find(id);
  if (at == std::string::npos) return false;
  n.buf[at] = static_cast<char>(n.buf[at] | kDeleted);
  n.live--;
  length_--;
  if (n.live == 0) {
    node_bytes_ -= n.Cost();
    nodes_.erase(it);
  }
  if (id > max_deleted_id_) max_deleted_id_ = id;
  return true;
}

void Stream::Range(StreamId start, StreamId end, bool reverse, const StreamVisit& visit) const {
  if (start > end || nodes_.empty()) return;
  std::vector<std::string_view> items;
  if (!reverse) {
    auto it = nodes_.upper_bound(start);
    if (it != nodes_.begin()) --it;
    for (; it != nodes_.end(); ++it) {
      const Node& n = *it->second;
      if (n.master > end) return;
      for (size_t at = n.entries_at; at < n.buf.size();) {
        Node::Cursor c = n.Decode(at, &items);
        at = c.next;
        if (c.id > end) return;
        if (c.id < start || (c.flags & kDeleted)) continue;
        if (!visit(StreamEntryView{c.id, items})) return;
      }
    }
    return;
  }
  auto it = nodes_.upper_bound(end);
  if (it == nodes_.begin()) return;
  std::vector<size_t> offsets;
  for (;;) {
    --it;
    const Node& n = *it->second;
    n.Offsets(&offsets);
    for (size_t i = offsets.size(); i-- > 0;) {
      Node::Cursor c = n.Decode(offsets[i], &items);
      if (c.id < start) return;
      if (c.id > end || (c.flags & kDeleted)) continue;
      if (!visit(StreamEntryView{c.id, items})) return;
    }
    if (it == nodes_.begin()) return;
  }
}

bool Stream::Lookup(StreamId id, const StreamVisit& visit) const {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  const Node& n = *it->second;
  size_t at = n.Find(id);
  if (at == std::string::npos) return false;
  std::vector<std::string_view> items;
  Node::Cursor c = n.Decode(at, &items);
  visit(StreamEntryView{c.id, items});
  return true;
}

// Both trims follow Redis' streamTrim: whole nodes from the head while they may go; then,
// unless approximate, entries of the first remaining node flagged deleted one by one.
size_t Stream::TrimByLength(size_t maxlen, bool approx, size_t limit) {
  size_t deleted = 0;
  while (!nodes_.empty() && length_ > maxlen) {
    auto it = nodes_.begin();
    Node& n = *it->second;
    if (limit != 0 && deleted + n.live > limit) break;
    if (length_ - n.live >= maxlen) {
      length_ -= n.live;
      deleted += n.live;
      node_bytes_ -= n.Cost();
      nodes_.erase(it);
      continue;
    }
    if (approx) break;
    for (size_t at = n.entries_at; at < n.buf.size() && length_ > maxlen;) {
      Node::Cursor c = n.Decode(at, nullptr);
      if (!(c.flags & kDeleted)) {
        n.buf[at] = static_cast<char>(n.buf[at] | kDeleted);
        n.live--;
        length_--;
        deleted++;
      }
      at = c.next;
    }
    break;
  }
  return deleted;
}

size_t Stream::TrimByMinId(StreamId minid, bool approx, size_t limit) {
  size_t deleted = 0;
  while (!nodes_.empty()) {
    auto it = nodes_.begin();
    Node& n = *it->second;
    if (limit != 0 && deleted + n.live > limit) break;
    if (n.LastId() < minid) {
      length_ -= n.live;
      deleted += n.live;
      node_bytes_ -= n.Cost();
      nodes_.erase(it);
      continue;
    }
    if (approx) break;
    for (size_t at = n.entries_at; at < n.buf.size();) {
      Node::Cursor c = n.Decode(at, nullptr);
      if (c.id >= minid) break;
      if (!(c.flags & kDeleted)) {
        n.buf[at] = static_cast<char>(n.buf[at] | kDeleted);
        n.live--;
        length_--;
        deleted++;
      }
      at = c.next;
    }
    break;
  }
  return deleted;
}

size_t Stream::node_count() const { return nodes_.size(); }

size_t Stream::bytes() const {
  size_t total = sizeof(Stream) + node_bytes_;
  for (const auto& [name, g] : groups_) {
    total += 128 + name.size() + g.pending.size() * 96;
    for (const auto& [cname, c] : g.consumers) total += 128 + cname.size() + c.pending.size() * 48;
  }
  return total;
}

Stream* Stream::Clone() const {
  auto* copy = new Stream();
  for (const auto& [key, node] : nodes_) copy->nodes_.emplace(key, std::make_unique<Node>(*node));
  copy->length_ = length_;
  copy->last_id_ = last_id_;
  copy->max_deleted_id_ = max_deleted_id_;
  copy->entries_added_ = entries_added_;
  copy->node_bytes_ = 0;
  for (const auto& [key, node] : copy->nodes_) copy->node_bytes_ += node->Cost();
  copy->groups_ = groups_;
  return copy;
}

Stream* StreamOf(const Entry* entry) {
  return static_cast<Stream*>(PointerOf(entry, Encoding::kStream));
}

Entry* CreateStream(Database& db, std::string_view key) {
  Entry* e = db.FindRaw(key);
  if (e != nullptr) return e;
  return db.InsertContainer(key, Kind::kStream, PointerValue(Encoding::kStream, new Stream()));
}

void NoteStreamWrite(Database& db, Entry* entry, uint64_t writes) {
  db.NoteValueChanged(entry);
  db.NoteWrite(entry->key(), ChangeKind::kWrite, writes);
}

void StreamRelease(Entry* entry) { delete StreamOf(entry); }
std::string StreamClone(const Entry* entry) {
  const Stream* s = StreamOf(entry);
  return PointerValue(Encoding::kStream, s != nullptr ? s->Clone() : new Stream());
}
size_t StreamExtraBytes(const Entry* entry) {
  Stream* s = StreamOf(entry);
  return s ? s->bytes() : 0;
}

}  // namespace dkv::engine
