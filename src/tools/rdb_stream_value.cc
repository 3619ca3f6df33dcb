#include "src/tools/rdb_stream_value.h"

#include <map>

#include "src/tools/rdb_encode.h"
#include "src/tools/rdb_writer.h"

namespace dkv::rdb {
namespace {

// Redis' STREAM_ITEM_FLAG_SAMEFIELDS, and its STREAM_LISTPACK_MAX_SIZE.
constexpr int64_t kFlagSameFields = 2;
constexpr size_t kListpackMaxSize = size_t{1} << 30;

// A node's radix-tree key: the master ID's ms and seq, big-endian.
std::string EncodeKey(RdbStreamId id) {
  std::string key(16, '\0');
  for (int i = 0; i < 8; ++i) {
    key[static_cast<size_t>(7 - i)] = static_cast<char>((id.ms >> (8 * i)) & 0xFF);
    key[static_cast<size_t>(15 - i)] = static_cast<char>((id.seq >> (8 * i)) & 0xFF);
  }
  return key;
}

}  // namespace

std::string StreamValue(const RdbStream& s, uint8_t type, size_t node_max_entries,
                        size_t node_max_bytes) {
  if (node_max_bytes == 0 || node_max_bytes > kListpackMaxSize) node_max_bytes = kListpackMaxSize;
  // The encoded size of one listpack item.
  auto item_size = [](std::string_view item) {
    ListpackBuilder one;
    one.Add(item);
    return one.bytes() - 7;
  };
  std::string nodes;
  size_t node_count = 0;
  // The open node: its master ID and fields, its entries' items, and their encoded size.
  RdbStreamId master;
  std::vector<std::string_view> fields;
  std::vector<std::string> body;  // entries' items (after the master entry)
  size_t count = 0, fields_bytes = 0, body_bytes = 0;
  auto lp_bytes = [&] {
    // Header and end byte, count, deleted (0), field count, fields, terminator (0), entries.
    return 7 + item_size(std::to_string(count)) + 2 + item_size(std::to_string(fields.size())) +
           fields_bytes + 2 + body_bytes;
  };
  auto flush = [&] {
    if (count == 0) return;
    ListpackBuilder lp;
    lp.Add(std::to_string(count));
    lp.Add("0");
    lp.Add(std::to_string(fields.size()));
    for (std::string_view f : fields) lp.Add(f);
    lp.Add("0");
    for (const std::string& item : body) lp.Add(item);
    PutRdbString(&nodes, EncodeKey(master));
    PutRdbString(&nodes, lp.Finish());
    ++node_count;
    count = fields_bytes = body_bytes = 0;
    fields.clear();
    body.clear();
  };
  auto add = [&](std::string item) {
    body_bytes += item_size(item);
    body.push_back(std::move(item));
  };
  for (const RdbStreamEntry& e : s.entries) {
    size_t totelelen = 0;
    for (const std::string& item : e.items) totelelen += item.size();
    if (count > 0 && (lp_bytes() + totelelen >= node_max_bytes ||
                      (node_max_entries != 0 && count >= node_max_entries))) {
      flush();
    }
    size_t n = e.items.size() / 2;
    bool same = true;
    if (count == 0) {
      master = e.id;
      for (size_t i = 0; i < n; ++i) {
        fields.push_back(e.items[2 * i]);
        fields_bytes += item_size(e.items[2 * i]);
      }
    } else {
      same = fields.size() == n;
      for (size_t i = 0; same && i < n; ++i) same = fields[i] == e.items[2 * i];
    }
    ++count;
    add(std::to_string(same ? kFlagSameFields : 0));
    add(std::to_string(static_cast<int64_t>(e.id.ms - master.ms)));
    add(std::to_string(static_cast<int64_t>(e.id.seq - master.seq)));
    if (!same) add(std::to_string(n));
    for (size_t i = 0; i < n; ++i) {
      if (!same) add(e.items[2 * i]);
      add(e.items[2 * i + 1]);
    }
    add(std::to_string(same ? n + 3 : 2 * n + 4));
  }
  flush();
  std::string out(1, static_cast<char>(type));
  PutRdbLength(&out, node_count);
  out += nodes;
  PutRdbLength(&out, s.entries.size());
  auto id = [&](RdbStreamId v) {
    PutRdbLength(&out, v.ms);
    PutRdbLength(&out, v.seq);
  };
  id(s.last_id);
  id(s.first_id);
  id(s.max_deleted_id);
  PutRdbLength(&out, s.entries_added);
  PutRdbLength(&out, s.groups.size());
  for (const RdbStreamGroup& g : s.groups) {
    PutRdbString(&out, g.name);
    id(g.last_id);
    PutRdbLength(&out, static_cast<uint64_t>(g.entries_read));
    PutRdbLength(&out, g.pel.size());
    for (const RdbStreamNack& n : g.pel) {
      out += EncodeKey(n.id);
      PutLittleEndian(&out, static_cast<uint64_t>(n.delivery_time_ms), 8);
      PutRdbLength(&out, n.delivery_count);
    }
    PutRdbLength(&out, g.consumers.size());
    for (const RdbStreamConsumer& c : g.consumers) {
      PutRdbString(&out, c.name);
      PutLittleEndian(&out, static_cast<uint64_t>(c.seen_time_ms), 8);
      if (type >= kRdbTypeStreamListpacks3) {
        PutLittleEndian(&out, static_cast<uint64_t>(c.active_time_ms), 8);
      }
      PutRdbLength(&out, c.pending.size());
      for (RdbStreamId p : c.pending) out += EncodeKey(p);
    }
  }
  return out;
}

}  // namespace dkv::rdb
