// The portable form of a stream (engine/stream_portable.h; docs/snapshot-format.md repeats the
// layout). Every number is a varint (engine/packed.h: 7 bits a byte, low bits first); a signed
// time is zigzag-encoded first ((v << 1) ^ (v >> 63)); an item is a varint length and its bytes.
//
//   tag            Encoding::kStreamPortable (one byte)
//   last ID        ms, seq
//   entries-added  the count of entries ever added (XINFO's entries-added)
//   max-deleted ID ms, seq
//   first ID       ms, seq (0-0 when the stream is empty)
//   entry count    then per entry, in ascending ID order:
//                    ms, seq, item count (even, at least 2), the items (field, value, ...)
//   group count    then per group, in name byte order:
//                    name (item), last-delivered ID (ms, seq), entries-read + 1 (0: unknown),
//                    consumer count, then per consumer in name byte order:
//                      name (item), seen time (signed), active time (signed, -1: never)
//                    PEL count, then per pending entry in ascending ID order:
//                      ms, seq, delivery time (signed), delivery count, the index of the
//                      consumer that owns it in the group's consumer list
//
// A consumer's own pending IDs are the PEL entries that name it: the form cannot hold a consumer
// PEL that disagrees with its group's. StreamMaterialize checks everything before it builds
// anything: lengths, counts against the bytes left, entry IDs above 0-0, strictly ascending and
// at most the last ID, the first ID, max-deleted ID at most the last ID, entries-added at least
// the entry count, group and consumer names strictly ascending (no duplicates), PEL IDs strictly
// ascending and owned by an existing consumer, and no byte left over.
#include "engine/stream_portable.h"

#include <memory>
#include <unordered_map>
#include <vector>

#include "engine/container.h"
#include "engine/packed.h"

namespace dkv::engine {
namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void AppendId(std::string* out, StreamId id) {
  packed::AppendVarint(out, id.ms);
  packed::AppendVarint(out, id.seq);
}

// Reads the form from outside: every read is checked against the end.
struct Cursor {
  const char* p;
  const char* end;
  bool ok = true;

  uint64_t Varint() {
    uint64_t v = 0;
    size_t n = ok ? packed::GetVarintChecked(p, end, &v) : 0;
    if (n == 0) {
      ok = false;
      return 0;
    }
    p += n;
    return v;
  }
  StreamId Id() {
    StreamId id;
    id.ms = Varint();
    id.seq = Varint();
    return id;
  }
  int64_t Signed() { return UnZigZag(Varint()); }
  std::string_view Item() {
    uint64_t len = Varint();
    if (!ok || len > static_cast<uint64_t>(end - p)) {
      ok = false;
      return {};
    }
    std::string_view s(p, static_cast<size_t>(len));
    p += len;
    return s;
  }
  // A count of things that take at least `min_bytes` each: more than the bytes left is damage.
  uint64_t Count(uint64_t min_bytes) {
    uint64_t n = Varint();
    if (ok && n > static_cast<uint64_t>(end - p) / min_bytes) ok = false;
    return ok ? n : 0;
  }
};

struct ParsedNack {
  StreamId id;
  int64_t delivery_time;
  uint64_t delivery_count;
  size_t consumer;
};
struct ParsedConsumer {
  std::string_view name;
  int64_t seen;
  int64_t active;
};
struct ParsedGroup {
  std::string_view name;
  StreamId last_id;
  int64_t entries_read;
  std::vector<ParsedConsumer> consumers;
  std::vector<ParsedNack> pel;
};

}  // namespace

StreamPortableWriter::StreamPortableWriter(StreamId last_id, uint64_t entries_added,
                                           StreamId max_deleted_id, StreamId first_id,
                                           size_t entries) {
  out_.push_back(static_cast<char>(Encoding::kStreamPortable));
  AppendId(&out_, last_id);
  packed::AppendVarint(&out_, entries_added);
  AppendId(&out_, max_deleted_id);
  AppendId(&out_, first_id);
  packed::AppendVarint(&out_, entries);
}

void StreamPortableWriter::AddEntry(StreamId id, std::span<const std::string_view> items) {
  AppendId(&out_, id);
  packed::AppendVarint(&out_, items.size());
  for (std::string_view item : items) packed::AppendItem(&out_, item);
}

void StreamPortableWriter::BeginGroups(size_t groups) { packed::AppendVarint(&out_, groups); }

void StreamPortableWriter::AddGroup(std::string_view name, const StreamGroup& group) {
  packed::AppendItem(&out_, name);
  AppendId(&out_, group.last_id);
  packed::AppendVarint(&out_, static_cast<uint64_t>(group.entries_read + 1));
  packed::AppendVarint(&out_, group.consumers.size());
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(group.consumers.size());
  for (const auto& [cname, consumer] : group.consumers) {
    index.emplace(cname, index.size());
    packed::AppendItem(&out_, cname);
    packed::AppendVarint(&out_, ZigZag(consumer.seen_time_ms));
    packed::AppendVarint(&out_, ZigZag(consumer.active_time_ms));
  }
  // A pending entry whose consumer is missing cannot be written (the engine never makes one).
  size_t owned = 0;
  for (const auto& [id, nack] : group.pending) owned += index.count(nack.consumer);
  packed::AppendVarint(&out_, owned);
  for (const auto& [id, nack] : group.pending) {
    auto it = index.find(nack.consumer);
    if (it == index.end()) continue;
    AppendId(&out_, id);
    packed::AppendVarint(&out_, ZigZag(nack.delivery_time_ms));
    packed::AppendVarint(&out_, nack.delivery_count);
    packed::AppendVarint(&out_, it->second);
  }
}

size_t StreamPortableEntries(std::string_view portable) {
  Cursor c{portable.data() + 1, portable.data() + portable.size()};
  c.Id();
  c.Varint();
  c.Id();
  c.Id();
  return static_cast<size_t>(c.Varint());
}

std::string StreamSerialize(const Entry* entry) {
  const Stream* s = StreamOf(entry);
  if (s == nullptr) return std::string(1, static_cast<char>(Encoding::kStreamPortable));
  StreamPortableWriter w(s->last_id(), s->entries_added(), s->max_deleted_id(), s->first_id(),
                         s->length());
  size_t written = 0;
  s->Range(StreamId::Min(), StreamId::Max(), false, [&](const StreamEntryView& e) {
    if (written == s->length()) return false;  // defensive: never more than announced
    w.AddEntry(e.id, e.items);
    ++written;
    return true;
  });
  w.BeginGroups(s->groups().size());
  for (const auto& [name, group] : s->groups()) w.AddGroup(name, group);
  return w.Take();
}

bool StreamMaterialize(std::string_view portable, std::string* value) {
  if (portable.empty() || static_cast<Encoding>(portable[0]) != Encoding::kStreamPortable) {
    return false;
  }
  Cursor c{portable.data() + 1, portable.data() + portable.size()};
  StreamId last_id = c.Id();
  uint64_t entries_added = c.Varint();
  StreamId max_deleted = c.Id();
  StreamId first_id = c.Id();
  // An entry takes at least 5 bytes (ms, seq, count, two empty items).
  uint64_t entries = c.Count(5);
  if (!c.ok) return false;
  std::vector<StreamId> ids;
  std::vector<size_t> starts;  // each entry's first item in `items`
  std::vector<std::string_view> items;
  ids.reserve(static_cast<size_t>(entries));
  starts.reserve(static_cast<size_t>(entries) + 1);
  StreamId prev = StreamId::Min();
  for (uint64_t i = 0; i < entries && c.ok; ++i) {
    StreamId id = c.Id();
    uint64_t n = c.Count(1);
    if (!c.ok || id <= prev || id > last_id || n < 2 || n % 2 != 0) return false;
    prev = id;
    ids.push_back(id);
    starts.push_back(items.size());
    for (uint64_t j = 0; j < n && c.ok; ++j) items.push_back(c.Item());
  }
  starts.push_back(items.size());
  if (!c.ok) return false;
  if (!ids.empty() && first_id != ids.front()) return false;
  if (max_deleted > last_id || entries_added < entries) return false;

  // A group takes at least 6 bytes; a consumer 3; a pending entry 5.
  uint64_t group_count = c.Count(6);
  std::vector<ParsedGroup> groups(static_cast<size_t>(group_count));
  for (size_t g = 0; g < groups.size() && c.ok; ++g) {
    ParsedGroup& pg = groups[g];
    pg.name = c.Item();
    if (g > 0 && pg.name <= groups[g - 1].name) return false;
    pg.last_id = c.Id();
    uint64_t read = c.Varint();
    if (read > static_cast<uint64_t>(INT64_MAX)) return false;
    pg.entries_read = static_cast<int64_t>(read) - 1;
    uint64_t consumers = c.Count(3);
    pg.consumers.reserve(static_cast<size_t>(consumers));
    for (uint64_t k = 0; k < consumers && c.ok; ++k) {
      ParsedConsumer pc{c.Item(), 0, 0};
      pc.seen = c.Signed();
      pc.active = c.Signed();
      if (!pg.consumers.empty() && pc.name <= pg.consumers.back().name) return false;
      pg.consumers.push_back(pc);
    }
    uint64_t pel = c.Count(5);
    pg.pel.reserve(static_cast<size_t>(pel));
    for (uint64_t k = 0; k < pel && c.ok; ++k) {
      ParsedNack n;
      n.id = c.Id();
      n.delivery_time = c.Signed();
      n.delivery_count = c.Varint();
      uint64_t owner = c.Varint();
      if (!c.ok || owner >= pg.consumers.size()) return false;
      if (!pg.pel.empty() && n.id <= pg.pel.back().id) return false;
      n.consumer = static_cast<size_t>(owner);
      pg.pel.push_back(n);
    }
  }
  if (!c.ok || c.p != c.end) return false;

  auto stream = std::make_unique<Stream>();
  const StreamLimits& limits = GlobalStreamLimits();
  for (size_t i = 0; i < ids.size(); ++i) {
    stream->Append(
        ids[i],
        std::span<const std::string_view>(items.data() + starts[i], starts[i + 1] - starts[i]),
        limits);
  }
  stream->set_last_id(last_id);
  stream->set_entries_added(entries_added);
  stream->set_max_deleted_id(max_deleted);
  for (const ParsedGroup& pg : groups) {
    StreamGroup& group = stream->groups()[std::string(pg.name)];
    group.last_id = pg.last_id;
    group.entries_read = pg.entries_read;
    std::vector<StreamConsumer*> owners;
    owners.reserve(pg.consumers.size());
    for (const ParsedConsumer& pc : pg.consumers) {
      StreamConsumer& consumer = group.consumers[std::string(pc.name)];
      consumer.seen_time_ms = pc.seen;
      consumer.active_time_ms = pc.active;
      owners.push_back(&consumer);
    }
    for (const ParsedNack& n : pg.pel) {
      StreamNack& nack = group.pending[n.id];
      nack.delivery_time_ms = n.delivery_time;
      nack.delivery_count = n.delivery_count;
      nack.consumer = std::string(pg.consumers[n.consumer].name);
      owners[n.consumer]->pending.insert(n.id);
    }
  }
  *value = PointerValue(Encoding::kStream, stream.release());
  return true;
}

}  // namespace dkv::engine
