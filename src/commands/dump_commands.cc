// DUMP and RESTORE in Redis' serialization format, so that tools built on them (MIGRATE-style
// copies, redis-cli --rdb style scripts, backup tools, dkv-migrate) work against dkv.
//
// A payload is: the RDB type byte, the value in RDB encoding, the RDB version (2 bytes, little
// endian) and a CRC-64 of everything before it (8 bytes, little endian; Jones polynomial,
// reflected, as Redis). The encodings are written by src/tools/rdb_writer.h, never compressed:
//   string  type 0, an integer that fits 32 bits in its integer encoding, else length and bytes;
//           RDB version 10 (Redis 7.0's), which every Redis from 7.0 on restores
//   hash    HASH_LISTPACK (16) while dkv holds it packed, else HASH (4)
//   set     SET_INTSET (11), SET_LISTPACK (20) or SET (2), by its encoding
//   list    LIST_QUICKLIST_2 (18): a packed list as one listpack node; a quicklist as nodes
//           filled as Redis 7.2 fills them by appending (list-max-listpack-size), an element too
//           big for a node as a PLAIN node of its own
//   zset    ZSET_LISTPACK (17) while packed (member, then the score as Redis' d2string text),
//           else ZSET_2 (5): the count, then from the highest score down, member and binary
//           double
//           hashes, sets, lists and sorted sets carry RDB version 11, as Redis 7.2 writes them:
//           the body is what Redis 7.2 answers for the same contents when it does not compress
//   stream  STREAM_LISTPACKS_2 (19) with RDB version 10, as Redis 7.0, or _3 (21) with version
//           11 when a consumer's active time needs it (src/commands/dump_streams.h)
// RESTORE decodes with the RDB reader of src/tools/rdb_file.h: strings in every encoding (LZF
// included); hashes (listpack, ziplist, zipmap, hashtable), sets (intset, listpack, hashtable),
// lists (LIST, ZIPLIST, QUICKLIST of ziplists, QUICKLIST_2 with PLAIN and PACKED nodes) and
// sorted sets (ZSET with text scores, ZSET_2, ZIPLIST, LISTPACK) and streams (STREAM_LISTPACKS 15,
// 19 and 21, with their groups) become dkv containers through
// the engine (engine::StoreContainer), in the encoding the keyspace's limits choose, as Redis
// 7.2 loads them. Empty values, repeated fields or members, NaN or unreadable scores and damaged
// listpacks, ziplists and intsets answer "Bad data format" with the key untouched. RDB versions up
// to 12 (Redis 7.4) are accepted; 7.4's hashes with field expirations (types 22 to 25) are
// refused as "Bad data format": dkv's hash fields have no TTLs, and dropping them would silently
// keep fields Redis would expire.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/container.h"
#include "engine/container_view.h"
#include "engine/hash_ops.h"
#include "engine/intset.h"
#include "engine/list_ops.h"
#include "engine/numbers.h"
#include "engine/packed.h"
#include "engine/set_ops.h"
#include "engine/zset_ops.h"
#include "src/commands/args.h"
#include "src/commands/dump_streams.h"
#include "src/commands/handlers.h"
#include "src/core/errors.h"
#include "src/tools/rdb_file.h"
#include "src/tools/rdb_writer.h"

namespace dkv::server {
namespace {

constexpr uint16_t kDumpRdbVersion = 10;           // strings
constexpr uint16_t kDumpContainerRdbVersion = 11;  // containers, as Redis 7.2
constexpr uint16_t kMaxRdbVersion = 12;

constexpr std::string_view kBadPayload = "ERR DUMP payload version or checksum are wrong";
constexpr std::string_view kBadData = "ERR Bad data format";

std::string DumpPayload(std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(rdb::kRdbTypeString));
  rdb::PutRdbString(&out, value);
  rdb::AppendDumpFooter(&out, kDumpRdbVersion);
  return out;
}

// A list as LIST_QUICKLIST_2 nodes, cut now by the current list-max-listpack-size (not as dkv
// holds them): Redis 7.2 appends an element to the tail node while the node's listpack, grown
// by the element and 8 bytes of estimate, stays within the fill (-1..-5 a byte limit of 4 KiB <<
// (-fill - 1), positive a count, with 8 KiB as the byte limit then); an element over the byte
// limit is a PLAIN node of its own. A packed list is one node, as Redis 7.2 writes a
// listpack-encoded list.
void DumpList(const engine::Entry* e, int64_t fill, std::string* out) {
  size_t len = engine::ListLen(e);
  bool packed = engine::EncodingOf(e) == engine::Encoding::kListPacked;
  constexpr size_t kSafetyLimit = 8192, kEstimate = 8;
  size_t max_bytes = fill < 0 ? size_t{4096} << std::min<int64_t>(-fill - 1, 4) : kSafetyLimit;
  std::string nodes;
  size_t node_count = 0;
  rdb::ListpackBuilder lp;
  auto flush = [&] {
    if (lp.count() == 0) return;
    rdb::PutRdbLength(&nodes, rdb::kQuicklistNodePacked);
    rdb::PutRdbString(&nodes, lp.Finish());
    ++node_count;
  };
  engine::ListRange(e, 0, len - 1, false, [&](std::string_view element) {
    if (!packed && element.size() > max_bytes) {
      flush();
      rdb::PutRdbLength(&nodes, rdb::kQuicklistNodePlain);
      rdb::PutRdbString(&nodes, element);
      ++node_count;
      return true;
    }
    if (!packed && lp.count() > 0 &&
        (lp.bytes() + element.size() + kEstimate > max_bytes ||
         (fill >= 0 && lp.count() + 1 > static_cast<size_t>(fill)))) {
      flush();
    }
    lp.Add(element);
    return true;
  });
  flush();
  out->push_back(static_cast<char>(rdb::kRdbTypeListQuicklist2));
  rdb::PutRdbLength(out, node_count);
  out->append(nodes);
}

void DumpZset(const engine::Entry* e, std::string* out) {
  size_t len = engine::ZsetLen(e);
  if (engine::EncodingOf(e) == engine::Encoding::kZsetPacked) {
    out->push_back(static_cast<char>(rdb::kRdbTypeZsetListpack));
    rdb::ListpackBuilder lp;
    engine::ZsetRangeByRank(e, 0, len - 1, false, [&](std::string_view member, double score) {
      lp.Add(member);
      lp.Add(rdb::ScoreText(score));
      return true;
    });
    rdb::PutRdbString(out, lp.Finish());
    return;
  }
  out->push_back(static_cast<char>(rdb::kRdbTypeZset2));
  rdb::PutRdbLength(out, len);
  engine::ZsetRangeByRank(e, 0, len - 1, true, [&](std::string_view member, double score) {
    rdb::PutRdbString(out, member);
    rdb::PutBinaryDouble(out, score);
    return true;
  });
}

// A container re-encoded as Redis 7.2 serializes the same encoding (never its raw bytes).
std::string DumpContainer(const engine::Entry* e, int64_t list_fill) {
  if (e->kind() == engine::Kind::kStream) return DumpStream(e);
  std::string out;
  auto type = [&](uint8_t t) { out.push_back(static_cast<char>(t)); };
  if (e->kind() == engine::Kind::kList || e->kind() == engine::Kind::kZset) {
    if (e->kind() == engine::Kind::kList) {
      DumpList(e, list_fill, &out);
    } else {
      DumpZset(e, &out);
    }
    rdb::AppendDumpFooter(&out, kDumpContainerRdbVersion);
    return out;
  }
  switch (engine::EncodingOf(e)) {
    case engine::Encoding::kHashPacked:
    case engine::Encoding::kSetPacked: {
      bool hash = e->kind() == engine::Kind::kHash;
      type(hash ? rdb::kRdbTypeHashListpack : rdb::kRdbTypeSetListpack);
      rdb::ListpackBuilder lp;
      if (hash) {
        engine::HashForEach(e, [&](std::string_view f, std::string_view v) {
          lp.Add(f);
          lp.Add(v);
          return true;
        });
      } else {
        engine::SetForEach(e, [&](std::string_view m) {
          lp.Add(m);
          return true;
        });
      }
      rdb::PutRdbString(&out, lp.Finish());
      break;
    }
    case engine::Encoding::kSetIntset: {
      type(rdb::kRdbTypeSetIntset);
      std::string_view v = e->value();
      rdb::PutRdbString(&out, rdb::IntsetBlob(engine::intset::WidthOf(v), engine::intset::Count(v),
                                              [&](size_t i) { return engine::intset::At(v, i); }));
      break;
    }
    case engine::Encoding::kHashTable:
      type(rdb::kRdbTypeHash);
      rdb::PutRdbLength(&out, engine::HashLen(e));
      engine::HashForEach(e, [&](std::string_view f, std::string_view v) {
        rdb::PutRdbString(&out, f);
        rdb::PutRdbString(&out, v);
        return true;
      });
      break;
    default:  // kSetTable
      type(rdb::kRdbTypeSet);
      rdb::PutRdbLength(&out, engine::SetLen(e));
      engine::SetForEach(e, [&](std::string_view m) {
        rdb::PutRdbString(&out, m);
        return true;
      });
      break;
  }
  rdb::AppendDumpFooter(&out, kDumpContainerRdbVersion);
  return out;
}

// The canonical decimal form of an int64 (what Redis keeps in an intset).
bool StrictInt(std::string_view s, int64_t* v) {
  return s.size() <= 20 && engine::ParseInt64(s, v) && std::to_string(*v) == s;
}

// The portable form (engine/container.h) of a decoded hash or set, or false when Redis would
// refuse it: no element, or a field or member twice. A set read from SET or SET_INTSET whose
// members are all integers becomes an intset, as Redis 7.2 loads it (within
// set-max-intset-entries for SET); SET_LISTPACK stays packed.
bool Portable(const rdb::RdbKey& d, const engine::ContainerLimits& limits, std::string* out) {
  bool hash = d.type == "hash";
  size_t n = hash ? d.pairs.size() : d.members.size();
  if (n == 0) return false;
  std::unordered_set<std::string_view> seen;
  seen.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!seen.insert(hash ? std::string_view(d.pairs[i].first) : d.members[i]).second) {
      return false;
    }
  }
  out->clear();
  if (hash) {
    out->push_back(static_cast<char>(engine::Encoding::kHashPacked));
    engine::packed::AppendVarint(out, 2 * n);
    for (const auto& [f, v] : d.pairs) {
      engine::packed::AppendItem(out, f);
      engine::packed::AppendItem(out, v);
    }
    return true;
  }
  bool intset = d.rdb_type == rdb::kRdbTypeSetIntset ||
                (d.rdb_type == rdb::kRdbTypeSet && n <= limits.set_max_intset_entries);
  std::vector<int64_t> ints;
  size_t width = 2;
  for (size_t i = 0; intset && i < n; ++i) {
    int64_t v = 0;
    intset = StrictInt(d.members[i], &v);
    if (!intset) break;
    ints.push_back(v);
    width = std::max(width, engine::intset::WidthFor(v));
  }
  if (intset) {
    std::sort(ints.begin(), ints.end());
    *out = engine::intset::Build(static_cast<char>(engine::Encoding::kSetIntset), ints.data(),
                                 ints.size(), width);
    return true;
  }
  out->push_back(static_cast<char>(engine::Encoding::kSetPacked));
  engine::packed::AppendVarint(out, n);
  for (const std::string& m : d.members) engine::packed::AppendItem(out, m);
  return true;
}

// A score as the RDB holds it (ZSET's text, a listpack's or ziplist's string or integer, ZSET_2
// as %.17g text from the reader): the whole text must read as a number, and NaN is refused.
bool ParseScore(const std::string& text, double* score) {
  if (text.empty() || text.size() > 128) return false;
  char* end = nullptr;
  *score = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && !std::isnan(*score);
}

// The portable form of a decoded list (elements in order) or sorted set (distinct members,
// readable scores, put in order by score then member), or false when Redis would refuse it.
bool PortableSequence(rdb::RdbKey& d, std::string* out) {
  out->clear();
  if (d.type == "list") {
    if (d.members.empty()) return false;
    out->push_back(static_cast<char>(engine::Encoding::kListPacked));
    engine::packed::AppendVarint(out, d.members.size());
    for (const std::string& m : d.members) engine::packed::AppendItem(out, m);
    return true;
  }
  size_t n = d.pairs.size();
  if (n == 0) return false;
  std::vector<engine::ScoredMember> members(n);
  std::unordered_set<std::string_view> seen;
  seen.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!ParseScore(d.pairs[i].second, &members[i].score)) return false;
    members[i].member = std::move(d.pairs[i].first);
  }
  for (const auto& m : members) {
    if (!seen.insert(m.member).second) return false;
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return a.score != b.score ? a.score < b.score : a.member < b.member;
  });
  *out = engine::ZsetPortableForm(members);
  return true;
}

}  // namespace

void CmdDump(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().FindForRead(argv[1], !ctx.session.no_touch);
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(e->container()
                     ? DumpContainer(e, ctx.keyspace().container_limits().list_max_listpack_size)
                     : DumpPayload(e->value()));
}

void CmdRestore(CommandContext& ctx, Args argv) {
  // Redis' order of checks: options, an existing key, the TTL, the payload.
  bool replace = false, absttl = false, idle_given = false, freq_given = false;
  for (size_t j = 4; j < argv.size(); ++j) {
    bool more = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(argv[j], "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(argv[j], "idletime") && more && !freq_given) {
      int64_t idle;
      if (!Int64OrReply(ctx.reply, argv[++j], &idle)) return;
      if (idle < 0) return ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
      idle_given = true;
    } else if (EqualsIgnoreCase(argv[j], "freq") && more && !idle_given) {
      int64_t freq;
      if (!Int64OrReply(ctx.reply, argv[++j], &freq)) return;
      if (freq < 0 || freq > 255) {
        return ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
      freq_given = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  engine::Database& db = ctx.db();
  if (!replace && db.Find(argv[1]) != nullptr) {
    return ctx.reply.Error("BUSYKEY Target key name already exists.");
  }
  int64_t ttl;
  if (!Int64OrReply(ctx.reply, argv[2], &ttl)) return;
  if (ttl < 0) return ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
  // The footer: RDB version and the CRC-64 of everything before the checksum.
  std::string_view payload = argv[3];
  if (!rdb::DumpFooterOk(payload, kMaxRdbVersion)) return ctx.reply.Error(kBadPayload);
  // The value: a string, a hash, a set, a list or a sorted set.
  // Everything it decodes to is bounded by proto-max-bulk-len, as a value a client could send:
  // an LZF string or listpack may announce a hundred times its size.
  uint64_t max_bytes = static_cast<uint64_t>(ctx.config().proto_max_bulk_len);
  auto too_large = [&] {
    ctx.reply.Error("ERR RESTORE: the value would be larger than proto-max-bulk-len (" +
                    std::to_string(max_bytes) + " bytes)");
  };
  rdb::RdbKey decoded;
  bool over = false;
  if (!rdb::DecodeRdbValue(payload.substr(0, payload.size() - 10), &decoded, max_bytes, &over)
           .empty()) {
    if (over) return too_large();
    return ctx.reply.Error(kBadData);
  }
  std::string value;
  engine::Kind kind = engine::Kind::kString;
  if (decoded.type == "string") {
    value = std::move(decoded.value);
  } else if (decoded.type == "hash" || decoded.type == "set") {
    kind = decoded.type == "hash" ? engine::Kind::kHash : engine::Kind::kSet;
    if (!Portable(decoded, ctx.keyspace().container_limits(), &value)) {
      return ctx.reply.Error(kBadData);
    }
  } else if (decoded.type == "list" || decoded.type == "zset") {
    kind = decoded.type == "list" ? engine::Kind::kList : engine::Kind::kZset;
    if (!PortableSequence(decoded, &value)) return ctx.reply.Error(kBadData);
  } else if (decoded.type == "stream") {
    kind = engine::Kind::kStream;
    value = StreamPortableForm(decoded.stream);
  } else {
    return ctx.reply.Error("ERR RESTORE: a Redis " + decoded.type + " has no dkv equivalent");
  }
  // Defensive: the engine holds values up to kMaxValueSize, and proto-max-bulk-len is capped there.
  if (value.size() > engine::Database::kMaxValueSize) return too_large();
  int64_t when = 0;
  if (ttl > 0) {
    when = absttl ? ttl : ctx.keyspace().now_ms() + ttl;
    if (when <= ctx.keyspace().now_ms()) {
      // Already expired: as Redis, nothing is created (an existing key is still replaced).
      if (replace && db.Delete(argv[1])) {
        ctx.Notify(kNotifyGeneric, "del", argv[1]);
        ctx.PropagateAs({"DEL", std::string(argv[1])});  // the log: what it did
      }
      return ctx.reply.Ok();
    }
  }
  if (kind != engine::Kind::kString) {
    if (engine::StoreContainer(db, argv[1], kind, value, when) == nullptr) {
      return ctx.reply.Error(kBadData);
    }
  } else {
    StoreValue(ctx, argv[1], value, when, false, engine::ValueType::kString);
  }
  ctx.Notify(kNotifyGeneric, "restore", argv[1]);
  ctx.reply.Ok();
  // The log: a relative TTL as ABSTTL (Redis 7.2), the other options kept.
  if (when != 0 && !absttl) {
    std::vector<std::string> effect(argv.begin(), argv.end());
    effect[2] = std::to_string(when);
    effect.emplace_back("ABSTTL");
    ctx.PropagateAs(std::move(effect));
  }
}

}  // namespace dkv::server
