#include "src/commands/dump_streams.h"

#include <vector>

#include "engine/stream.h"
#include "engine/stream_portable.h"
#include "src/tools/rdb_file.h"
#include "src/tools/rdb_stream_value.h"

namespace dkv::server {
namespace {

rdb::RdbStreamId Id(engine::StreamId id) { return {id.ms, id.seq}; }
engine::StreamId Id(rdb::RdbStreamId id) { return {id.ms, id.seq}; }

}  // namespace

std::string DumpStream(const engine::Entry* e) {
  const engine::Stream* s = engine::StreamOf(e);
  rdb::RdbStream r;
  if (s != nullptr) {
    r.entries.reserve(s->length());
    s->Range(
        engine::StreamId::Min(), engine::StreamId::Max(), false,
        [&](const engine::StreamEntryView& v) {
          r.entries.push_back({Id(v.id), std::vector<std::string>(v.items.begin(), v.items.end())});
          return true;
        });
    r.last_id = Id(s->last_id());
    r.first_id = Id(s->first_id());
    r.max_deleted_id = Id(s->max_deleted_id());
    r.entries_added = s->entries_added();
  }
  bool active_times = false;
  if (s != nullptr) {
    for (const auto& [name, g] : s->groups()) {
      rdb::RdbStreamGroup& rg = r.groups.emplace_back();
      rg.name = name;
      rg.last_id = Id(g.last_id);
      rg.entries_read = g.entries_read;
      for (const auto& [id, nack] : g.pending) {
        rg.pel.push_back({Id(id), nack.delivery_time_ms, nack.delivery_count, nack.consumer});
      }
      for (const auto& [cname, c] : g.consumers) {
        rdb::RdbStreamConsumer& rc = rg.consumers.emplace_back();
        rc.name = cname;
        rc.seen_time_ms = c.seen_time_ms;
        rc.active_time_ms = c.active_time_ms;
        if (c.active_time_ms != c.seen_time_ms) active_times = true;
        for (engine::StreamId id : c.pending) rc.pending.push_back(Id(id));
      }
    }
  }
  const engine::StreamLimits& limits = engine::GlobalStreamLimits();
  uint8_t type = active_times ? rdb::kRdbTypeStreamListpacks3 : rdb::kRdbTypeStreamListpacks2;
  std::string out = rdb::StreamValue(r, type, limits.node_max_entries, limits.node_max_bytes);
  rdb::AppendDumpFooter(&out, active_times ? 11 : 10);
  return out;
}

std::string StreamPortableForm(const rdb::RdbStream& s) {
  engine::StreamPortableWriter w(Id(s.last_id), s.entries_added, Id(s.max_deleted_id),
                                 Id(s.first_id), s.entries.size());
  std::vector<std::string_view> items;
  for (const rdb::RdbStreamEntry& e : s.entries) {
    items.assign(e.items.begin(), e.items.end());
    w.AddEntry(Id(e.id), items);
  }
  w.BeginGroups(s.groups.size());
  for (const rdb::RdbStreamGroup& rg : s.groups) {
    engine::StreamGroup g;
    g.last_id = Id(rg.last_id);
    g.entries_read = rg.entries_read;
    for (const rdb::RdbStreamConsumer& rc : rg.consumers) {
      engine::StreamConsumer& c = g.consumers[rc.name];
      c.seen_time_ms = rc.seen_time_ms;
      c.active_time_ms = rc.active_time_ms;
    }
    for (const rdb::RdbStreamNack& n : rg.pel) {
      g.pending[Id(n.id)] = engine::StreamNack{n.delivery_time_ms, n.delivery_count, n.consumer};
    }
    w.AddGroup(rg.name, g);
  }
  return w.Take();
}

}  // namespace dkv::server
