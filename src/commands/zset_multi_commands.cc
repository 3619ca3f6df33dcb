// Sorted-set family, the rest: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (sets
// are accepted as inputs, every member scoring 1), ZMPOP (the non-blocking form), ZRANDMEMBER
// and ZSCAN. The algebra reads every input key first (WRONGTYPE from any of them, before the
// options are parsed, as Redis), computes the members with their scores, then replies them in
// order (score, member) or hands them to engine::ZsetStore, which picks the encoding their
// size calls for.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/container.h"
#include "engine/keyspace.h"
#include "engine/set_ops.h"
#include "src/commands/handlers.h"
#include "src/commands/zset_args.h"

namespace dkv::server {

namespace {

enum class ZOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, a set (scores 1) or nothing (a missing key).
struct Source {
  engine::Entry* entry = nullptr;
  bool is_set = false;
  double weight = 1;
  size_t size() const {
    if (entry == nullptr) return 0;
    return is_set ? engine::SetLen(entry) : engine::ZsetLen(entry);
  }
  bool Score(std::string_view m, double* s) const {
    if (entry == nullptr) return false;
    if (is_set) {
      *s = 1;
      return engine::SetContains(entry, m);
    }
    return engine::ZsetScore(entry, m, s);
  }
  void ForEach(const std::function<void(std::string_view, double)>& visit) const {
    if (entry == nullptr) return;
    if (is_set) {
      engine::SetForEach(entry, [&](std::string_view m) {
        visit(m, 1.0);
        return true;
      });
      return;
    }
    size_t n = engine::ZsetLen(entry);
    if (n == 0) return;
    engine::ZsetRangeByRank(entry, 0, n - 1, false, [&](std::string_view m, double s) {
      visit(m, s);
      return true;
    });
  }
};

double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

void Combine(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

// Looks the `n` keys from argv[from] up. False after WRONGTYPE.
bool LookupSources(CommandContext& ctx, Args argv, size_t from, size_t n, bool for_store,
                   std::vector<Source>* out) {
  engine::Database& db = ctx.db();
  for (size_t i = 0; i < n; ++i) {
    std::string_view key = argv[from + i];
    engine::Entry* e = for_store ? db.Find(key) : db.FindForRead(key, !ctx.session.no_touch);
    if (e != nullptr && e->kind() != engine::Kind::kZset && e->kind() != engine::Kind::kSet) {
      ctx.reply.Error(errors::kWrongType);
      return false;
    }
    Source s;
    s.entry = e;
    s.is_set = e != nullptr && e->kind() == engine::Kind::kSet;
    out->push_back(s);
  }
  return true;
}

std::vector<engine::ScoredMember> Compute(std::vector<Source> src, ZOp op, Aggregate agg,
                                          size_t limit = 0) {
  std::vector<engine::ScoredMember> out;
  if (op == ZOp::kInter) {
    for (const Source& s : src) {
      if (s.size() == 0) return out;
    }
    std::stable_sort(src.begin(), src.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
    std::vector<engine::ScoredMember> candidates;
    src[0].ForEach([&](std::string_view m, double s) {
      candidates.push_back({std::string(m), Weighted(s, src[0].weight)});
    });
    for (auto& c : candidates) {
      bool in_all = true;
      for (size_t i = 1; i < src.size() && in_all; ++i) {
        double s = 0;
        if (!src[i].Score(c.member, &s)) {
          in_all = false;
          break;
        }
        Combine(&c.score, Weighted(s, src[i].weight), agg);
      }
      if (in_all) {
        out.push_back(std::move(c));
        if (limit != 0 && out.size() >= limit) break;
      }
    }
  } else if (op == ZOp::kUnion) {
    std::unordered_map<std::string, size_t> index;
    for (const Source& s : src) {
      s.ForEach([&](std::string_view m, double score) {
        double v = Weighted(score, s.weight);
        auto [it, added] = index.try_emplace(std::string(m), out.size());
        if (added) {
          out.push_back({it->first, v});
        } else {
          Combine(&out[it->second].score, v, agg);
        }
      });
    }
  } else {
    src[0].ForEach([&](std::string_view m, double score) {
      for (size_t i = 1; i < src.size(); ++i) {
        double s = 0;
        if (src[i].Score(m, &s)) return;
      }
      out.push_back({std::string(m), score});
    });
  }
  return out;
}

void SortResult(std::vector<engine::ScoredMember>* v) {
  std::sort(v->begin(), v->end(), [](const engine::ScoredMember& a, const engine::ScoredMember& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
}

void ReplyMembers(CommandContext& ctx, const std::vector<engine::ScoredMember>& v,
                  bool withscores) {
  ctx.reply.ArrayHeader(withscores && ctx.reply.protocol() < 3 ? v.size() * 2 : v.size());
  for (const auto& sm : v) {
    if (withscores) {
      ReplyScored(ctx.reply, sm.member, sm.score, true);
    } else {
      ctx.reply.Bulk(sm.member);
    }
  }
}

// Redis' zunionInterDiffGenericCommand. `numkeys_at` is 1, or 2 with a destination at argv[1].
void ZOpGeneric(CommandContext& ctx, Args argv, ZOp op, bool store, std::string_view name) {
  size_t numkeys_at = store ? 2 : 1;
  int64_t numkeys = 0;
  if (!Int64OrReply(ctx.reply, argv[numkeys_at], &numkeys)) return;
  if (numkeys < 1) {
    return ctx.reply.Error("ERR at least 1 input key is needed for '" + std::string(name) +
                           "' command");
  }
  if (static_cast<uint64_t>(numkeys) > argv.size() - numkeys_at - 1) {
    return ctx.reply.Error(errors::kSyntax);
  }
  auto n = static_cast<size_t>(numkeys);
  std::vector<Source> src;
  if (!LookupSources(ctx, argv, numkeys_at + 1, n, store, &src)) return;
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  size_t j = numkeys_at + 1 + n;
  while (j < argv.size()) {
    size_t remaining = argv.size() - j;
    if (op != ZOp::kDiff && remaining >= n + 1 && EqualsIgnoreCase(argv[j], "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        if (!ScoreArg(argv[j], &src[i].weight)) {
          return ctx.reply.Error("ERR weight value is not a float");
        }
      }
    } else if (op != ZOp::kDiff && remaining >= 2 && EqualsIgnoreCase(argv[j], "aggregate")) {
      std::string_view a = argv[j + 1];
      if (EqualsIgnoreCase(a, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(a, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(a, "max")) {
        agg = Aggregate::kMax;
      } else {
        return ctx.reply.Error(errors::kSyntax);
      }
      j += 2;
    } else if (!store && EqualsIgnoreCase(argv[j], "withscores")) {
      withscores = true;
      ++j;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::vector<engine::ScoredMember> result = Compute(std::move(src), op, agg);
  if (store) {
    bool existed = DestinationExisted(ctx, argv[1]);
    engine::ZsetStore(ctx.db(), argv[1], result);
    NotifyStored(ctx, argv[1], kNotifyZset,
                 op == ZOp::kUnion   ? "zunionstore"
                 : op == ZOp::kInter ? "zinterstore"
                                     : "zdiffstore",
                 !result.empty(), existed);
    return ctx.reply.Integer(static_cast<int64_t>(result.size()));
  }
  SortResult(&result);
  ReplyMembers(ctx, result, withscores);
}

void ZRandMemberWithCount(CommandContext& ctx, Args argv) {
  int64_t n = 0;
  if (!engine::ParseInt64(argv[2], &n)) return ctx.reply.Error(errors::kNotInteger);
  if (n == INT64_MIN) {
    return ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  }
  bool withscores = false;
  if (argv.size() > 4 || (argv.size() == 4 && !EqualsIgnoreCase(argv[3], "withscores"))) {
    return ctx.reply.Error(errors::kSyntax);
  }
  withscores = argv.size() == 4;
  if (withscores && n < -INT64_MAX / 2) return ctx.reply.Error("ERR value is out of range");
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr || n == 0) return ctx.reply.EmptyArray();
  std::mt19937_64& rng = ctx.db().keyspace().rng();
  size_t size = engine::ZsetLen(e);
  auto reply_n = [&](size_t count) {
    ctx.reply.ArrayHeader(withscores && ctx.reply.protocol() < 3 ? count * 2 : count);
  };
  auto reply_one = [&](std::string_view m, double s) {
    if (withscores) {
      ReplyScored(ctx.reply, m, s, true);
    } else {
      ctx.reply.Bulk(m);
    }
  };
  if (n < 0) {
    uint64_t count = static_cast<uint64_t>(-n);
    if (!RepeatReplyFitsOrReply(ctx, e, size, count)) return;
    reply_n(count);
    for (uint64_t i = 0; i < count; ++i) {
      engine::ScoredMember sm = engine::ZsetRandom(e, rng);
      reply_one(sm.member, sm.score);
    }
    return;
  }
  auto count = static_cast<uint64_t>(n);
  std::vector<engine::ScoredMember> all;
  if (count >= size || count * 3 > size) {
    all.reserve(size);
    engine::ZsetRangeByRank(e, 0, size - 1, false, [&](std::string_view m, double s) {
      all.push_back({std::string(m), s});
      return true;
    });
    if (count >= size) {
      reply_n(size);
      for (const auto& sm : all) reply_one(sm.member, sm.score);
      return;
    }
    for (size_t i = 0; i < count; ++i) {
      size_t j = std::uniform_int_distribution<size_t>(i, all.size() - 1)(rng);
      std::swap(all[i], all[j]);
    }
    reply_n(count);
    for (size_t i = 0; i < count; ++i) reply_one(all[i].member, all[i].score);
    return;
  }
  std::unordered_set<std::string> picked;
  std::vector<engine::ScoredMember> order;
  order.reserve(count);
  while (picked.size() < count) {
    engine::ScoredMember sm = engine::ZsetRandom(e, rng);
    if (picked.insert(sm.member).second) order.push_back(std::move(sm));
  }
  reply_n(count);
  for (const auto& sm : order) reply_one(sm.member, sm.score);
}

}  // namespace

void CmdZUnion(CommandContext& ctx, Args argv) {
  ZOpGeneric(ctx, argv, ZOp::kUnion, false, "zunion");
}
void CmdZInter(CommandContext& ctx, Args argv) {
  ZOpGeneric(ctx, argv, ZOp::kInter, false, "zinter");
}
void CmdZDiff(CommandContext& ctx, Args argv) { ZOpGeneric(ctx, argv, ZOp::kDiff, false, "zdiff"); }
void CmdZUnionStore(CommandContext& ctx, Args argv) {
  ZOpGeneric(ctx, argv, ZOp::kUnion, true, "zunionstore");
}
void CmdZInterStore(CommandContext& ctx, Args argv) {
  ZOpGeneric(ctx, argv, ZOp::kInter, true, "zinterstore");
}
void CmdZDiffStore(CommandContext& ctx, Args argv) {
  ZOpGeneric(ctx, argv, ZOp::kDiff, true, "zdiffstore");
}

void CmdZInterCard(CommandContext& ctx, Args argv) {
  int64_t numkeys = 0;
  if (!Int64OrReply(ctx.reply, argv[1], &numkeys)) return;
  if (numkeys < 1) {
    return ctx.reply.Error("ERR at least 1 input key is needed for 'zintercard' command");
  }
  if (static_cast<uint64_t>(numkeys) > argv.size() - 2) return ctx.reply.Error(errors::kSyntax);
  auto n = static_cast<size_t>(numkeys);
  std::vector<Source> src;
  if (!LookupSources(ctx, argv, 2, n, false, &src)) return;
  int64_t limit = 0;
  for (size_t j = 2 + n; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "limit") && j + 1 < argv.size()) {
      if (!engine::ParseInt64(argv[j + 1], &limit) || limit < 0) {
        return ctx.reply.Error("ERR LIMIT can't be negative");
      }
      ++j;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  auto result = Compute(std::move(src), ZOp::kInter, Aggregate::kSum, static_cast<size_t>(limit));
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

void CmdZMPop(CommandContext& ctx, Args argv) {
  int64_t numkeys = 0;
  if (!engine::ParseInt64(argv[1], &numkeys) || numkeys < 1) {
    return ctx.reply.Error("ERR numkeys should be greater than 0");
  }
  size_t where_at = 0;
  if (static_cast<uint64_t>(numkeys) >= argv.size() - 2) return ctx.reply.Error(errors::kSyntax);
  where_at = 2 + static_cast<size_t>(numkeys);
  bool max = false;
  if (EqualsIgnoreCase(argv[where_at], "max")) {
    max = true;
  } else if (!EqualsIgnoreCase(argv[where_at], "min")) {
    return ctx.reply.Error(errors::kSyntax);
  }
  int64_t count = -1;
  for (size_t j = where_at + 1; j < argv.size(); ++j) {
    if (count == -1 && EqualsIgnoreCase(argv[j], "count") && j + 1 < argv.size()) {
      if (!engine::ParseInt64(argv[j + 1], &count) || count < 1) {
        return ctx.reply.Error("ERR count should be greater than 0");
      }
      ++j;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (count == -1) count = 1;
  for (size_t i = 2; i < where_at; ++i) {
    bool wrong = false;
    engine::Entry* e = LookupWrite(ctx, argv[i], engine::Kind::kZset, &wrong);
    if (wrong) return;
    if (e == nullptr) continue;
    std::vector<engine::ScoredMember> popped =
        engine::ZsetPop(ctx.db(), e, max, static_cast<size_t>(count));
    NotifyZsetPop(ctx, argv[i], max, popped.size());
    // The log, Redis 7.2's form: ZPOPMIN/ZPOPMAX of the one key popped, with the count popped.
    if (ctx.Propagating()) {
      ctx.PropagateAs(
          {max ? "ZPOPMAX" : "ZPOPMIN", std::string(argv[i]), std::to_string(popped.size())});
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[i]);
    ctx.reply.ArrayHeader(popped.size());
    for (const auto& sm : popped) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(sm.member);
      ReplyScore(ctx.reply, sm.score);
    }
    return;
  }
  ctx.reply.NullArray();
}

void CmdZRandMember(CommandContext& ctx, Args argv) {
  if (argv.size() >= 3) return ZRandMemberWithCount(ctx, argv);
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(engine::ZsetRandom(e, ctx.db().keyspace().rng()).member);
}

void CmdZScan(CommandContext& ctx, Args argv) {
  uint64_t cursor = 0;
  ScanOptions opts;
  std::shared_ptr<const engine::Pattern> pattern;
  engine::Entry* e = ContainerScanStart(ctx, argv, engine::Kind::kZset, &cursor, &opts, &pattern);
  if (e == nullptr) return;
  std::vector<std::string> found;
  size_t visited = 0;
  // Redis replies a listpack's scores as the listpack holds them: an integral score within
  // +-LLONG_MAX/2 is an integer there ("123456789012345680", not "1.2345678901234568e+17").
  bool packed = engine::EncodingOf(e) == engine::Encoding::kZsetPacked;
  auto visit = [&](std::string_view m, double s) {
    ++visited;
    if (pattern != nullptr && !pattern->Matches(m)) return;
    found.emplace_back(m);
    constexpr double kHalf = static_cast<double>(INT64_MAX / 2);
    if (packed && s >= -kHalf && s <= kHalf && static_cast<double>(static_cast<int64_t>(s)) == s) {
      found.push_back(std::to_string(static_cast<int64_t>(s)));
    } else {
      found.push_back(FormatScore(s));
    }
  };
  uint64_t count = static_cast<uint64_t>(opts.count);
  uint64_t budget = count > UINT64_MAX / 10 ? UINT64_MAX : count * 10;
  do {
    cursor = engine::ZsetScan(e, cursor, visit);
  } while (cursor != 0 && budget-- > 0 && visited < count);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(found.size());
  for (const std::string& m : found) ctx.reply.Bulk(m);
}

}  // namespace dkv::server
