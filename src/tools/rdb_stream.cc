#include "src/tools/rdb_stream.h"

#include <charconv>
#include <map>

#include "src/tools/rdb_encode.h"

namespace dkv::rdb {
namespace {

// Redis' STREAM_ITEM_FLAG_DELETED and STREAM_ITEM_FLAG_SAMEFIELDS.
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;

bool ToInt(const std::string& s, int64_t* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

RdbStreamId DecodeKey(const std::string& key) {
  RdbStreamId id;
  for (int i = 0; i < 8; ++i) {
    id.ms = (id.ms << 8) | static_cast<unsigned char>(key[static_cast<size_t>(i)]);
    id.seq = (id.seq << 8) | static_cast<unsigned char>(key[static_cast<size_t>(8 + i)]);
  }
  return id;
}

// One node's listpack items in entries (as strings); appends its live entries to `out`.
std::string ReadNode(const std::string& key, const std::vector<std::string>& lp, RdbSource& in,
                     RdbStream* out) {
  if (lp.empty()) return "empty listpack inside stream";
  RdbStreamId master = DecodeKey(key);
  size_t p = 0;
  auto next = [&](int64_t* v) { return p < lp.size() && ToInt(lp[p++], v); };
  int64_t count = 0, deleted = 0, nfields = 0, zero = -1;
  if (!next(&count) || !next(&deleted) || !next(&nfields) || count < 0 || deleted < 0 ||
      nfields <= 0 || static_cast<uint64_t>(nfields) > lp.size() - p) {
    return "bad stream master entry";
  }
  size_t master_fields = p;
  p += static_cast<size_t>(nfields);
  if (!next(&zero) || zero != 0) return "bad stream master entry terminator";
  int64_t live = 0, dead = 0;
  while (p < lp.size()) {
    size_t start = p;
    int64_t flags = 0, ms_diff = 0, seq_diff = 0, n = nfields;
    if (!next(&flags) || !next(&ms_diff) || !next(&seq_diff) || flags < 0 || flags > 3) {
      return "bad stream entry header";
    }
    bool same = flags & kFlagSameFields;
    if (!same && (!next(&n) || n <= 0)) return "bad stream entry field count";
    size_t items = static_cast<size_t>(n) * (same ? 1 : 2);
    if (items > lp.size() - p) return "stream entry past its listpack";
    RdbStreamEntry e;
    e.id.ms = master.ms + static_cast<uint64_t>(ms_diff);
    e.id.seq = master.seq + static_cast<uint64_t>(seq_diff);
    bool keep = !(flags & kFlagDeleted);
    if (keep) {
      e.items.reserve(static_cast<size_t>(n) * 2);
      for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
        if (same) {
          e.items.push_back(lp[master_fields + i]);
          e.items.push_back(lp[p + i]);
        } else {
          e.items.push_back(lp[p + 2 * i]);
          e.items.push_back(lp[p + 2 * i + 1]);
        }
      }
    }
    p += items;
    int64_t lp_count = 0;
    if (!next(&lp_count) || lp_count != static_cast<int64_t>(p - 1 - start)) {
      return "bad stream entry lp-count";
    }
    const RdbStreamId prev = out->entries.empty() ? RdbStreamId{} : out->entries.back().id;
    if (keep) {
      if (e.id <= prev) return "stream entry IDs out of order (or 0-0)";
      uint64_t bytes = sizeof(RdbStreamEntry);
      for (const std::string& s : e.items) bytes += s.size() + sizeof(std::string);
      if (!in.Charge(bytes)) return "";
      out->entries.push_back(std::move(e));
      ++live;
    } else {
      ++dead;
    }
  }
  if (live != count || dead != deleted) return "stream node counts disagree with its entries";
  return "";
}

std::string ReadId(RdbSource& in, RdbStreamId* id) {
  return in.GetLength(&id->ms) && in.GetLength(&id->seq) ? "" : "truncated stream ID";
}

std::string ReadRawId(RdbSource& in, RdbStreamId* id) {
  std::string raw;
  if (!in.GetRaw(16, &raw)) return "truncated stream PEL ID";
  *id = DecodeKey(raw);
  return "";
}

}  // namespace

std::string ReadStream(uint8_t type, RdbSource& in, RdbStream* out) {
  uint64_t nodes = 0;
  if (!in.GetLength(&nodes)) return "truncated stream";
  std::vector<std::string> items;
  for (uint64_t i = 0; i < nodes; ++i) {
    std::string key, lp;
    if (!in.GetString(&key) || !in.GetString(&lp)) return "truncated stream node";
    if (key.size() != 16) return "stream node key is not 128 bits";
    items.clear();
    if (!in.GetListpack(lp, &items)) return "damaged stream listpack";
    // Entries in a node are at or above its master ID (the deltas are signed only for seq).
    size_t before = out->entries.size();
    if (std::string err = ReadNode(key, items, in, out); !err.empty()) return err;
    if (out->entries.size() > before && out->entries[before].id < DecodeKey(key)) {
      return "stream entry below its node's master ID";
    }
  }
  uint64_t length = 0;
  if (!in.GetLength(&length)) return "truncated stream";
  if (std::string err = ReadId(in, &out->last_id); !err.empty()) return err;
  if (type >= kRdbTypeStreamListpacks2) {
    if (std::string err = ReadId(in, &out->first_id); !err.empty()) return err;
    if (std::string err = ReadId(in, &out->max_deleted_id); !err.empty()) return err;
    if (!in.GetLength(&out->entries_added)) return "truncated stream";
  } else {
    out->entries_added = length;
  }
  if (length != out->entries.size()) return "stream length disagrees with its entries";
  if (!out->entries.empty() && out->entries.back().id > out->last_id) {
    return "stream entry above the last ID";
  }
  out->first_id = out->entries.empty() ? RdbStreamId{} : out->entries.front().id;
  uint64_t groups = 0;
  if (!in.GetLength(&groups)) return "truncated stream groups";
  for (uint64_t g = 0; g < groups; ++g) {
    RdbStreamGroup group;
    if (!in.GetString(&group.name)) return "truncated stream group";
    if (!out->groups.empty() && group.name <= out->groups.back().name) {
      return "stream groups repeated or out of order";
    }
    if (std::string err = ReadId(in, &group.last_id); !err.empty()) return err;
    if (type >= kRdbTypeStreamListpacks2) {
      uint64_t read = 0;
      if (!in.GetLength(&read)) return "truncated stream group";
      group.entries_read = static_cast<int64_t>(read);
    } else {
      // Redis 7's estimate (streamEstimateDistanceFromFirstEverEntry; entries-added is the
      // length and no entry was deleted as far as the payload says).
      auto added = static_cast<int64_t>(out->entries_added);
      const RdbStreamId id = group.last_id;
      if (added == 0) {
        group.entries_read = 0;
      } else if ((out->entries.empty() && id <= out->last_id) || id == out->last_id) {
        group.entries_read = added;
      } else if (id > out->last_id) {
        group.entries_read = -1;
      } else if (id < out->first_id) {
        group.entries_read = added - static_cast<int64_t>(out->entries.size());
      } else if (id == out->first_id) {
        group.entries_read = added - static_cast<int64_t>(out->entries.size()) + 1;
      } else {
        group.entries_read = -1;
      }
    }
    uint64_t pel = 0;
    if (!in.GetLength(&pel)) return "truncated stream PEL";
    std::map<RdbStreamId, size_t> at;
    std::vector<bool> owned;
    for (uint64_t i = 0; i < pel; ++i) {
      RdbStreamNack n;
      uint64_t when = 0;
      if (std::string err = ReadRawId(in, &n.id); !err.empty()) return err;
      if (!in.GetFixed(8, &when) || !in.GetLength(&n.delivery_count)) return "truncated stream PEL";
      n.delivery_time_ms = static_cast<int64_t>(when);
      if (!group.pel.empty() && n.id <= group.pel.back().id) return "stream PEL out of order";
      if (!in.Charge(sizeof(RdbStreamNack))) return "";
      at.emplace(n.id, group.pel.size());
      owned.push_back(false);
      group.pel.push_back(std::move(n));
    }
    uint64_t consumers = 0;
    if (!in.GetLength(&consumers)) return "truncated stream consumers";
    for (uint64_t c = 0; c < consumers; ++c) {
      RdbStreamConsumer consumer;
      uint64_t seen = 0, active = 0;
      if (!in.GetString(&consumer.name) || !in.GetFixed(8, &seen))
        return "truncated stream consumer";
      if (type >= kRdbTypeStreamListpacks3 && !in.GetFixed(8, &active)) {
        return "truncated stream consumer";
      }
      if (!group.consumers.empty() && consumer.name <= group.consumers.back().name) {
        return "stream consumers repeated or out of order";
      }
      consumer.seen_time_ms = static_cast<int64_t>(seen);
      // Before 7.2 a consumer had no active time: Redis 7.2 loads the seen time as it.
      consumer.active_time_ms =
          type >= kRdbTypeStreamListpacks3 ? static_cast<int64_t>(active) : consumer.seen_time_ms;
      uint64_t own = 0;
      if (!in.GetLength(&own)) return "truncated stream consumer PEL";
      for (uint64_t i = 0; i < own; ++i) {
        RdbStreamId id;
        if (std::string err = ReadRawId(in, &id); !err.empty()) return err;
        auto it = at.find(id);
        if (it == at.end()) return "consumer PEL entry not found in group global PEL";
        RdbStreamNack& n = group.pel[it->second];
        if (owned[it->second]) return "stream PEL entry owned twice";
        owned[it->second] = true;
        if (!in.Charge(sizeof(RdbStreamId) + consumer.name.size())) return "";
        n.consumer = consumer.name;
        consumer.pending.push_back(id);
      }
      group.consumers.push_back(std::move(consumer));
    }
    for (bool o : owned) {
      if (!o) return "stream PEL entry without a consumer";
    }
    out->groups.push_back(std::move(group));
  }
  return "";
}

}  // namespace dkv::rdb
