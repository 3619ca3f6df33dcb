// Sorted-set family, single-key commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
// ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family (ZRANGE, ZRANGESTORE, ZREVRANGE,
// Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZREMRANGEBYRANK/BYSCORE/BYLEX, ZPOPMIN and ZPOPMAX.
// Encodings and every write are the engine's (engine/zset_ops.h); these handlers parse in Redis'
// order (options, then scores, then the key: WRONGTYPE comes after a syntax error), look the
// key up and reply in Redis' shapes (scores as zset_args.h prints them).
#include <string>
#include <vector>

#include "engine/keyspace.h"
#include "src/commands/handlers.h"
#include "src/commands/zset_args.h"

namespace dkv::server {

namespace {

using Pairs = std::vector<std::pair<double, std::string_view>>;

void ZAddGeneric(CommandContext& ctx, Args argv, bool zincrby) {
  engine::ZaddFlags flags;
  bool ch = false;
  size_t idx = 2;
  if (zincrby) {
    flags.incr = true;
  } else {
    for (; idx < argv.size(); ++idx) {
      std::string_view o = argv[idx];
      if (EqualsIgnoreCase(o, "nx")) {
        flags.nx = true;
      } else if (EqualsIgnoreCase(o, "xx")) {
        flags.xx = true;
      } else if (EqualsIgnoreCase(o, "ch")) {
        ch = true;
      } else if (EqualsIgnoreCase(o, "incr")) {
        flags.incr = true;
      } else if (EqualsIgnoreCase(o, "gt")) {
        flags.gt = true;
      } else if (EqualsIgnoreCase(o, "lt")) {
        flags.lt = true;
      } else {
        break;
      }
    }
  }
  size_t elements = argv.size() - idx;
  if (elements == 0 || elements % 2 != 0) return ctx.reply.Error(errors::kSyntax);
  elements /= 2;
  if (flags.nx && flags.xx) {
    return ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
  }
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    return ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (flags.incr && elements > 1) {
    return ctx.reply.Error("ERR INCR option supports a single increment-element pair");
  }
  Pairs pairs;
  pairs.reserve(elements);
  for (size_t i = 0; i < elements; ++i) {
    double score = 0;
    if (!ScoreArg(argv[idx + 2 * i], &score)) return ctx.reply.Error(errors::kNotFloat);
    pairs.emplace_back(score, argv[idx + 2 * i + 1]);
  }
  bool wrong = false;
  LookupWrite(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  engine::ZaddResult r = engine::ZsetAdd(ctx.db(), argv[1], pairs, flags);
  if (r.nan) return ctx.reply.Error("ERR resulting score is not a number (NaN)");
  if (r.changed > 0) ctx.Notify(kNotifyZset, flags.incr ? "zincr" : "zadd", argv[1]);
  if (flags.incr) {
    if (r.skipped) return ctx.reply.Null();
    return ReplyScore(ctx.reply, r.score);
  }
  ctx.reply.Integer(static_cast<int64_t>(ch ? r.changed : r.added));
}

// --- the ZRANGE family ---

enum class RangeType { kAuto, kRank, kScore, kLex };

struct RangeRequest {
  RangeType type = RangeType::kAuto;
  int direction = 0;  // 0 auto, 1 forward, -1 reverse
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;
  bool has_limit = false;
};

// Redis' zrangeGenericCommand. `from` is the index of the source key (1, or 2 for ZRANGESTORE
// whose destination is argv[1]).
void RangeGeneric(CommandContext& ctx, Args argv, size_t from, RangeRequest req, bool store) {
  for (size_t j = from + 3; j < argv.size(); ++j) {
    size_t left = argv.size() - j - 1;
    std::string_view o = argv[j];
    if (!store && EqualsIgnoreCase(o, "withscores")) {
      req.withscores = true;
    } else if (EqualsIgnoreCase(o, "limit") && left >= 2) {
      if (!Int64OrReply(ctx.reply, argv[j + 1], &req.offset) ||
          !Int64OrReply(ctx.reply, argv[j + 2], &req.limit)) {
        return;
      }
      req.has_limit = true;
      j += 2;
    } else if (req.direction == 0 && EqualsIgnoreCase(o, "rev")) {
      req.direction = -1;
    } else if (req.type == RangeType::kAuto && EqualsIgnoreCase(o, "bylex")) {
      req.type = RangeType::kLex;
    } else if (req.type == RangeType::kAuto && EqualsIgnoreCase(o, "byscore")) {
      req.type = RangeType::kScore;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (req.direction == 0) req.direction = 1;
  if (req.type == RangeType::kAuto) req.type = RangeType::kRank;
  if (req.has_limit && req.type == RangeType::kRank) {
    return ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (req.withscores && req.type == RangeType::kLex) {
    return ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  bool reverse = req.direction < 0;
  std::string_view min = argv[from + 1], max = argv[from + 2];
  if (reverse && req.type != RangeType::kRank) std::swap(min, max);
  int64_t start = 0, stop = 0;
  engine::ScoreRange srange;
  engine::LexRange lrange;
  bool lex_empty = false;
  switch (req.type) {
    case RangeType::kScore:
      if (!ParseScoreRange(min, max, &srange)) return ctx.reply.Error(kMinMaxNotFloat);
      break;
    case RangeType::kLex:
      if (!ParseLexRange(min, max, &lrange, &lex_empty)) return ctx.reply.Error(kMinMaxNotLex);
      break;
    default:
      if (!Int64OrReply(ctx.reply, min, &start) || !Int64OrReply(ctx.reply, max, &stop)) return;
  }
  bool wrong = false;
  engine::Entry* e = store ? LookupWrite(ctx, argv[from], engine::Kind::kZset, &wrong)
                           : LookupRead(ctx, argv[from], engine::Kind::kZset, &wrong);
  if (wrong) return;
  std::vector<engine::ScoredMember> out;
  auto collect = [&](std::string_view m, double s) {
    out.push_back({std::string(m), s});
    return true;
  };
  if (e != nullptr) {
    size_t offset = req.offset < 0 ? SIZE_MAX : static_cast<size_t>(req.offset);
    if (req.type == RangeType::kRank) {
      size_t lo = 0, hi = 0;
      if (NormalizeRanks(start, stop, engine::ZsetLen(e), &lo, &hi)) {
        engine::ZsetRangeByRank(e, lo, hi, reverse, collect);
      }
    } else if (req.offset >= 0 && req.type == RangeType::kScore) {
      engine::ZsetRangeByScore(e, srange, reverse, offset, req.limit, collect);
    } else if (req.offset >= 0 && !lex_empty) {
      engine::ZsetRangeByLex(e, lrange, reverse, offset, req.limit, collect);
    }
  }
  if (store) {
    bool existed = DestinationExisted(ctx, argv[1]);
    engine::ZsetStore(ctx.db(), argv[1], out);
    NotifyStored(ctx, argv[1], kNotifyZset, "zrangestore", !out.empty(), existed);
    return ctx.reply.Integer(static_cast<int64_t>(out.size()));
  }
  if (req.withscores && ctx.reply.protocol() < 3) {
    ctx.reply.ArrayHeader(out.size() * 2);
  } else {
    ctx.reply.ArrayHeader(out.size());
  }
  for (const auto& sm : out) {
    if (req.withscores) {
      ReplyScored(ctx.reply, sm.member, sm.score, true);
    } else {
      ctx.reply.Bulk(sm.member);
    }
  }
}

void RankGeneric(CommandContext& ctx, Args argv, bool reverse) {
  if (argv.size() > 4) {
    return ctx.reply.Error(std::string("ERR wrong number of arguments for '") +
                           (reverse ? "zrevrank" : "zrank") + "' command");
  }
  bool withscore = false;
  if (argv.size() == 4) {
    if (!EqualsIgnoreCase(argv[3], "withscore")) return ctx.reply.Error(errors::kSyntax);
    withscore = true;
  }
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  size_t rank = 0;
  double score = 0;
  if (e == nullptr || !engine::ZsetRank(e, argv[2], reverse, &rank, &score)) {
    return withscore ? ctx.reply.NullArray() : ctx.reply.Null();
  }
  if (!withscore) return ctx.reply.Integer(static_cast<int64_t>(rank));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(static_cast<int64_t>(rank));
  ReplyScore(ctx.reply, score);
}

void PopGeneric(CommandContext& ctx, Args argv, bool max) {
  if (argv.size() > 3) return ctx.reply.Error(errors::kSyntax);
  int64_t count = 1;
  bool has_count = argv.size() == 3;
  if (has_count) {
    if (!engine::ParseInt64(argv[2], &count) || count < 0) {
      return ctx.reply.Error("ERR value is out of range, must be positive");
    }
  }
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr || count == 0) return ctx.reply.EmptyArray();
  std::vector<engine::ScoredMember> popped =
      engine::ZsetPop(ctx.db(), e, max, static_cast<size_t>(count));
  NotifyZsetPop(ctx, argv[1], max, popped.size());
  bool nested = has_count && ctx.reply.protocol() >= 3;
  ctx.reply.ArrayHeader(nested ? popped.size() : popped.size() * 2);
  for (const auto& sm : popped) ReplyScored(ctx.reply, sm.member, sm.score, nested);
}

// The events of ZREM and ZREMRANGEBY*: `event` when members went, then "del" with the last.
void NotifyRemoved(CommandContext& ctx, std::string_view key, std::string_view event,
                   size_t removed) {
  if (removed == 0) return;
  ctx.Notify(kNotifyZset, event, key);
  NotifyDelIfGone(ctx, key);
}

template <typename Remove>
void RemRangeGeneric(CommandContext& ctx, Args argv, std::string_view event, const Remove& remove) {
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  size_t removed = remove(e);
  NotifyRemoved(ctx, argv[1], event, removed);
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

}  // namespace

void CmdZAdd(CommandContext& ctx, Args argv) { ZAddGeneric(ctx, argv, false); }
void CmdZIncrBy(CommandContext& ctx, Args argv) { ZAddGeneric(ctx, argv, true); }

void CmdZRem(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  std::vector<std::string_view> members(argv.begin() + 2, argv.end());
  size_t removed = engine::ZsetRemove(ctx.db(), e, members);
  NotifyRemoved(ctx, argv[1], "zrem", removed);
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void CmdZCard(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(engine::ZsetLen(e)));
}

void CmdZScore(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  double score = 0;
  if (e == nullptr || !engine::ZsetScore(e, argv[2], &score)) return ctx.reply.Null();
  ReplyScore(ctx.reply, score);
}

void CmdZMScore(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    double score = 0;
    if (e != nullptr && engine::ZsetScore(e, argv[i], &score)) {
      ReplyScore(ctx.reply, score);
    } else {
      ctx.reply.Null();
    }
  }
}

void CmdZRank(CommandContext& ctx, Args argv) { RankGeneric(ctx, argv, false); }
void CmdZRevRank(CommandContext& ctx, Args argv) { RankGeneric(ctx, argv, true); }

void CmdZCount(CommandContext& ctx, Args argv) {
  engine::ScoreRange range;
  if (!ParseScoreRange(argv[2], argv[3], &range)) return ctx.reply.Error(kMinMaxNotFloat);
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(engine::ZsetCountByScore(e, range)));
}

void CmdZLexCount(CommandContext& ctx, Args argv) {
  engine::LexRange range;
  bool empty = false;
  if (!ParseLexRange(argv[2], argv[3], &range, &empty)) return ctx.reply.Error(kMinMaxNotLex);
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr || empty) return ctx.reply.Integer(0);
  ctx.reply.Integer(static_cast<int64_t>(engine::ZsetCountByLex(e, range)));
}

void CmdZRange(CommandContext& ctx, Args argv) { RangeGeneric(ctx, argv, 1, {}, false); }
void CmdZRangeStore(CommandContext& ctx, Args argv) { RangeGeneric(ctx, argv, 2, {}, true); }

void CmdZRevRange(CommandContext& ctx, Args argv) {
  RangeRequest req;
  req.type = RangeType::kRank;
  req.direction = -1;
  RangeGeneric(ctx, argv, 1, req, false);
}
void CmdZRangeByScore(CommandContext& ctx, Args argv) {
  RangeRequest req;
  req.type = RangeType::kScore;
  req.direction = 1;
  RangeGeneric(ctx, argv, 1, req, false);
}
void CmdZRevRangeByScore(CommandContext& ctx, Args argv) {
  RangeRequest req;
  req.type = RangeType::kScore;
  req.direction = -1;
  RangeGeneric(ctx, argv, 1, req, false);
}
void CmdZRangeByLex(CommandContext& ctx, Args argv) {
  RangeRequest req;
  req.type = RangeType::kLex;
  req.direction = 1;
  RangeGeneric(ctx, argv, 1, req, false);
}
void CmdZRevRangeByLex(CommandContext& ctx, Args argv) {
  RangeRequest req;
  req.type = RangeType::kLex;
  req.direction = -1;
  RangeGeneric(ctx, argv, 1, req, false);
}

void CmdZRemRangeByRank(CommandContext& ctx, Args argv) {
  int64_t start = 0, stop = 0;
  if (!Int64OrReply(ctx.reply, argv[2], &start) || !Int64OrReply(ctx.reply, argv[3], &stop)) {
    return;
  }
  RemRangeGeneric(ctx, argv, "zremrangebyrank", [&](engine::Entry* e) -> size_t {
    size_t lo = 0, hi = 0;
    if (!NormalizeRanks(start, stop, engine::ZsetLen(e), &lo, &hi)) return 0;
    return engine::ZsetRemoveRangeByRank(ctx.db(), e, lo, hi);
  });
}

void CmdZRemRangeByScore(CommandContext& ctx, Args argv) {
  engine::ScoreRange range;
  if (!ParseScoreRange(argv[2], argv[3], &range)) return ctx.reply.Error(kMinMaxNotFloat);
  RemRangeGeneric(ctx, argv, "zremrangebyscore", [&](engine::Entry* e) {
    return engine::ZsetRemoveRangeByScore(ctx.db(), e, range);
  });
}

void CmdZRemRangeByLex(CommandContext& ctx, Args argv) {
  engine::LexRange range;
  bool empty = false;
  if (!ParseLexRange(argv[2], argv[3], &range, &empty)) return ctx.reply.Error(kMinMaxNotLex);
  RemRangeGeneric(ctx, argv, "zremrangebylex", [&](engine::Entry* e) -> size_t {
    return empty ? 0 : engine::ZsetRemoveRangeByLex(ctx.db(), e, range);
  });
}

void CmdZPopMin(CommandContext& ctx, Args argv) { PopGeneric(ctx, argv, false); }
void CmdZPopMax(CommandContext& ctx, Args argv) { PopGeneric(ctx, argv, true); }

}  // namespace dkv::server
