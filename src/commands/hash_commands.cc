// Hash family: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS, HDEL, HEXISTS, HLEN,
// HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN. The representation and every write are the
// engine's (engine/hash_ops.h): these parse the arguments, look the key up (LookupRead /
// LookupWrite reply -WRONGTYPE) and shape the reply as Redis 7.2 does for RESP2 and RESP3.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/hash_ttl.h"
#include "engine/keyspace.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

using engine::FieldValue;
using engine::Kind;

// The hash at `key` for a command, with its expired fields gone (engine/hash_ttl.h): nullptr
// when absent (or emptied by them); *wrong after -WRONGTYPE. While expiry is paused (CLIENT
// PAUSE) nothing is deleted.
engine::Entry* FindHash(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  engine::Entry* e =
      write ? LookupWrite(ctx, key, Kind::kHash, wrong) : LookupRead(ctx, key, Kind::kHash, wrong);
  if (e == nullptr || ctx.db().keyspace().expiry_paused()) return e;
  return engine::ExpireDueFields(ctx.db(), e);
}

// The field/value pairs of argv[from..], which the caller has checked come in pairs.
std::vector<FieldValue> Pairs(Args argv, size_t from) {
  std::vector<FieldValue> pairs;
  pairs.reserve((argv.size() - from) / 2);
  for (size_t i = from; i + 1 < argv.size(); i += 2) pairs.emplace_back(argv[i], argv[i + 1]);
  return pairs;
}

// HSET and HMSET: pairs after the key, an odd count is an arity error as in Redis.
bool SetPairs(CommandContext& ctx, Args argv, size_t* added) {
  if (argv.size() % 2 != 0) {
    ctx.reply.Error(errors::WrongArity(ToLower(argv[0])));
    return false;
  }
  bool wrong;
  FindHash(ctx, argv[1], true, &wrong);
  if (wrong) return false;
  *added = engine::HashSet(ctx.db(), argv[1], Pairs(argv, 2));
  ctx.Notify(kNotifyHash, "hset", argv[1]);
  return true;
}

// The fields and/or values of a whole hash: HGETALL (a map in RESP3), HKEYS, HVALS.
void ReplyAll(CommandContext& ctx, Args argv, bool fields, bool values) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  size_t n = e == nullptr ? 0 : engine::HashLen(e);
  if (fields && values) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (e == nullptr) return;
  engine::HashForEach(e, [&](std::string_view f, std::string_view v) {
    if (fields) ctx.reply.Bulk(f);
    if (values) ctx.reply.Bulk(v);
    return true;
  });
}

// HRANDFIELD with a count: shapes as Redis 7.2 (RESP2 a flat array, RESP3 an array of pairs
// with WITHVALUES).
void ReplyPair(CommandContext& ctx, const FieldValue& fv, bool withvalues) {
  if (withvalues && ctx.reply.protocol() > 2) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(fv.first);
  if (withvalues) ctx.reply.Bulk(fv.second);
}

void ReplyPairsHeader(CommandContext& ctx, size_t n, bool withvalues) {
  ctx.reply.ArrayHeader(withvalues && ctx.reply.protocol() == 2 ? n * 2 : n);
}

std::vector<FieldValue> AllPairs(const engine::Entry* e) {
  std::vector<FieldValue> all;
  all.reserve(engine::HashLen(e));
  engine::HashForEach(e, [&](std::string_view f, std::string_view v) {
    all.emplace_back(f, v);
    return true;
  });
  return all;
}

// The most bytes a reply of repeated random fields (negative count) may reach when the
// client has no client-output-buffer-limit: its count is the client's and may be 2^62.
constexpr size_t kMaxRepeatReplyBytes = size_t{1} << 30;

// Tables up to this size are sampled by index (uniform) rather than by random bucket.
constexpr size_t kUniformPickSize = 1024;

void RandomWithCount(CommandContext& ctx, std::string_view key, int64_t l, bool withvalues) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, key, false, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.EmptyArray();
  size_t size = engine::HashLen(e);
  bool unique = l >= 0;
  uint64_t count = unique ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (count == 0 || size == 0) return ctx.reply.EmptyArray();
  std::mt19937_64& rng = ctx.db().keyspace().rng();

  // Repeats allowed: count independent picks, streamed (no reserve of the client's count). A
  // reply that outgrows the output limit stops there and the connection closes, as Redis
  // closes a client past its limit.
  if (!unique || count == 1) {
    ReplyPairsHeader(ctx, count, withvalues);
    // Picks from a table's random bucket favour short chains; an index into all the pairs is
    // uniform. That costs the hash's size, so it is taken when the reply costs at least as
    // much, for a packed hash (whose random pick walks it anyway) and for small tables.
    std::vector<FieldValue> all;
    if (engine::DictOf(e) == nullptr || count >= size || size <= kUniformPickSize) {
      all = AllPairs(e);
    }
    std::uniform_int_distribution<size_t> pick(0, size - 1);
    const std::string* out = ctx.reply.buffer();
    size_t start = out->size();
    int64_t hard = ctx.config().output_limit.hard;
    size_t limit = hard > 0 ? static_cast<size_t>(hard) : kMaxRepeatReplyBytes;
    for (uint64_t i = 0; i < count; ++i) {
      ReplyPair(ctx, all.empty() ? engine::HashRandom(e, rng) : all[pick(rng)], withvalues);
      if ((i & 1023) == 1023 && out->size() - start > limit) {
        ctx.session.close_after_reply = true;
        break;
      }
    }
    return;
  }

  // The whole hash.
  if (count >= size) {
    ReplyPairsHeader(ctx, size, withvalues);
    engine::HashForEach(e, [&](std::string_view f, std::string_view v) {
      ReplyPair(ctx, {f, v}, withvalues);
      return true;
    });
    return;
  }

  // count distinct fields, count < size: a partial shuffle when count is a large part of the
  // hash, else random picks until count distinct ones (about count * 1.5 picks at most).
  ReplyPairsHeader(ctx, count, withvalues);
  if (count * 3 > size || engine::DictOf(e) == nullptr || size <= kUniformPickSize) {
    std::vector<FieldValue> all = AllPairs(e);
    for (size_t i = 0; i < count; ++i) {
      size_t j = std::uniform_int_distribution<size_t>(i, size - 1)(rng);
      std::swap(all[i], all[j]);
      ReplyPair(ctx, all[i], withvalues);
    }
    return;
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    FieldValue fv = engine::HashRandom(e, rng);
    if (seen.insert(fv.first).second) ReplyPair(ctx, fv, withvalues);
  }
}

}  // namespace

void CmdHSet(CommandContext& ctx, Args argv) {
  size_t added;
  if (SetPairs(ctx, argv, &added)) ctx.reply.Integer(static_cast<int64_t>(added));
}

void CmdHMSet(CommandContext& ctx, Args argv) {
  size_t added;
  if (SetPairs(ctx, argv, &added)) ctx.reply.Ok();
}

void CmdHSetNx(CommandContext& ctx, Args argv) {
  bool wrong;
  FindHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  size_t added = engine::HashSet(ctx.db(), argv[1], {{argv[2], argv[3]}}, true);
  if (added > 0) ctx.Notify(kNotifyHash, "hset", argv[1]);
  ctx.reply.Integer(static_cast<int64_t>(added));
}

void CmdHGet(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  std::string_view v;
  if (e == nullptr || !engine::HashGet(e, argv[2], &v)) return ctx.reply.Null();
  ctx.reply.Bulk(v);
}

void CmdHMGet(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    std::string_view v;
    if (e != nullptr && engine::HashGet(e, argv[i], &v)) {
      ctx.reply.Bulk(v);
    } else {
      ctx.reply.Null();
    }
  }
}

void CmdHGetAll(CommandContext& ctx, Args argv) { ReplyAll(ctx, argv, true, true); }
void CmdHKeys(CommandContext& ctx, Args argv) { ReplyAll(ctx, argv, true, false); }
void CmdHVals(CommandContext& ctx, Args argv) { ReplyAll(ctx, argv, false, true); }

void CmdHDel(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  std::vector<std::string_view> fields;
  fields.reserve(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) fields.emplace_back(argv[i]);
  size_t deleted = engine::HashDelete(ctx.db(), e, fields);
  if (deleted > 0) {
    ctx.Notify(kNotifyHash, "hdel", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
  }
  ctx.reply.Integer(static_cast<int64_t>(deleted));
}

void CmdHExists(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  std::string_view v;
  ctx.reply.Integer(e != nullptr && engine::HashGet(e, argv[2], &v) ? 1 : 0);
}

void CmdHLen(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(engine::HashLen(e)));
}

void CmdHStrLen(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  std::string_view v;
  bool found = e != nullptr && engine::HashGet(e, argv[2], &v);
  ctx.reply.Integer(found ? static_cast<int64_t>(v.size()) : 0);
}

void CmdHIncrBy(CommandContext& ctx, Args argv) {
  int64_t incr;
  if (!Int64OrReply(ctx.reply, argv[3], &incr)) return;
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  int64_t value = 0;
  std::string_view current;
  if (e != nullptr && engine::HashGet(e, argv[2], &current) &&
      !engine::ParseInt64(current, &value)) {
    return ctx.reply.Error("ERR hash value is not an integer");
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    return ctx.reply.Error("ERR increment or decrement would overflow");
  }
  value += incr;
  std::string text = engine::FormatInt64(value);
  engine::HashSet(ctx.db(), argv[1], {{argv[2], text}}, false, true);
  ctx.Notify(kNotifyHash, "hincrby", argv[1]);
  ctx.reply.Integer(value);
}

void CmdHIncrByFloat(CommandContext& ctx, Args argv) {
  long double incr;
  if (!engine::ParseLongDouble(argv[3], &incr)) return ctx.reply.Error(errors::kNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.reply.Error("ERR value is NaN or Infinity");
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  long double value = 0;
  std::string_view current;
  if (e != nullptr && engine::HashGet(e, argv[2], &current) &&
      !engine::ParseLongDouble(current, &value)) {
    return ctx.reply.Error("ERR hash value is not a float");
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    return ctx.reply.Error("ERR increment would produce NaN or Infinity");
  }
  std::string text = engine::FormatLongDouble(value);
  engine::HashSet(ctx.db(), argv[1], {{argv[2], text}}, false, true);
  ctx.Notify(kNotifyHash, "hincrbyfloat", argv[1]);
  // The log: the value it got, so that float formatting cannot differ on replay (Redis 7.2:
  // HSET key field value). A field with a time to live keeps it: HSETEX ... KEEPTTL then.
  if (ctx.Propagating()) {
    engine::Entry* h = ctx.db().FindRaw(argv[1]);
    if (h != nullptr && engine::FieldTtl(h, argv[2]) != 0) {
      ctx.PropagateAs(
          {"HSETEX", std::string(argv[1]), "KEEPTTL", "FIELDS", "1", std::string(argv[2]), text});
    } else {
      ctx.PropagateAs({"HSET", std::string(argv[1]), std::string(argv[2]), text});
    }
  }
  ctx.reply.Bulk(text);
}

void CmdHRandField(CommandContext& ctx, Args argv) {
  if (argv.size() >= 3) {
    int64_t l;
    if (!Int64OrReply(ctx.reply, argv[2], &l)) return;
    if (l < -INT64_MAX) {
      return ctx.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    bool withvalues = false;
    if (argv.size() > 4 || (argv.size() == 4 && !EqualsIgnoreCase(argv[3], "withvalues"))) {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (argv.size() == 4) {
      withvalues = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
        return ctx.reply.Error("ERR value is out of range");
      }
    }
    return RandomWithCount(ctx, argv[1], l, withvalues);
  }
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  std::mt19937_64& rng = ctx.db().keyspace().rng();
  size_t size = engine::HashLen(e);
  if (engine::DictOf(e) == nullptr || size > kUniformPickSize) {
    return ctx.reply.Bulk(engine::HashRandom(e, rng).first);
  }
  // A small table: by index, uniform (a random bucket favours short chains).
  size_t pick = std::uniform_int_distribution<size_t>(0, size - 1)(rng);
  engine::HashForEach(e, [&](std::string_view f, std::string_view) {
    if (pick-- > 0) return true;
    ctx.reply.Bulk(f);
    return false;
  });
}

// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]. A missing key answers an empty
// scan before the options are read, as Redis.
void CmdHScan(CommandContext& ctx, Args argv) {
  uint64_t cursor;
  if (!CursorOrReply(ctx, argv[2], &cursor)) return;
  bool wrong;
  engine::Entry* e = FindHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  int64_t count = 10;
  std::string_view match;
  bool has_match = false;
  bool novalues = false;
  for (size_t j = 3; j < argv.size();) {
    size_t left = argv.size() - j;
    if (EqualsIgnoreCase(argv[j], "count") && left >= 2) {
      if (!Int64OrReply(ctx.reply, argv[j + 1], &count)) return;
      if (count < 1) return ctx.reply.Error(errors::kSyntax);
      j += 2;
    } else if (EqualsIgnoreCase(argv[j], "match") && left >= 2) {
      match = argv[j + 1];
      has_match = true;
      j += 2;
    } else if (EqualsIgnoreCase(argv[j], "novalues")) {
      novalues = true;
      j += 1;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::shared_ptr<const engine::Pattern> pattern;
  if (!ScanPatternOrReply(ctx, match, has_match, &pattern)) return;
  // Views into the hash, which does not change during the call.
  std::vector<std::string_view> out;
  auto visit = [&](std::string_view f, std::string_view v) {
    if (pattern != nullptr && !pattern->Matches(f)) return;
    out.push_back(f);
    if (!novalues) out.push_back(v);
  };
  if (engine::DictOf(e) == nullptr) {
    cursor = engine::HashScan(e, cursor, visit);  // packed: the whole hash, cursor 0
  } else {
    // Buckets until about `count` fields were seen, or 10 * count buckets (a sparse table), as
    // Redis bounds one call.
    size_t seen = 0;
    uint64_t budget = static_cast<uint64_t>(count) * 10;
    do {
      cursor = engine::HashScan(e, cursor, [&](std::string_view f, std::string_view v) {
        ++seen;
        visit(f, v);
      });
    } while (cursor != 0 && budget-- > 0 && seen < static_cast<uint64_t>(count));
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(out.size());
  for (std::string_view s : out) ctx.reply.Bulk(s);
}

}  // namespace dkv::server
