// Set family: SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD, SPOP, SRANDMEMBER, SMOVE and
// SSCAN. The encodings and every write are the engine's (engine/set_ops.h); these handlers parse,
// look the keys up (WRONGTYPE), pick the members and reply in Redis 7.2's shapes: sets (`~` in
// RESP3) for SMEMBERS and SPOP with a count, arrays for SRANDMEMBER with a count and SMISMEMBER.
// The algebra (SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD) reads every input key first
// (WRONGTYPE from any of them), computes the members, then replies them or hands them to
// engine::SetStore.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/container.h"
#include "engine/keyspace.h"
#include "engine/set_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {

namespace {

constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";
constexpr std::string_view kRandCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";

std::vector<std::string_view> Members(Args argv, size_t from) {
  return std::vector<std::string_view>(argv.begin() + static_cast<std::ptrdiff_t>(from),
                                       argv.end());
}

// Every member, copied (an intset's members are made on the fly).
std::vector<std::string> AllMembers(const engine::Entry* e) {
  std::vector<std::string> out;
  out.reserve(engine::SetLen(e));
  engine::SetForEach(e, [&](std::string_view m) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

// Redis' getPositiveLongFromObjectOrReply: every failure is "must be positive".
bool PositiveOrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (engine::ParseInt64(arg, out) && *out >= 0) return true;
  ctx.reply.Error(kMustBePositive);
  return false;
}

void SRandMemberWithCount(CommandContext& ctx, Args argv) {
  int64_t n = 0;
  if (!engine::ParseInt64(argv[2], &n)) return ctx.reply.Error(errors::kNotInteger);
  if (n == INT64_MIN) return ctx.reply.Error(kRandCountRange);
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr || n == 0) return ctx.reply.EmptyArray();
  std::mt19937_64& rng = ctx.db().keyspace().rng();
  size_t size = engine::SetLen(e);
  std::string member;
  if (n < 0) {
    // With repeats: independent uniform picks.
    uint64_t count = static_cast<uint64_t>(-n);
    if (!RepeatReplyFitsOrReply(ctx, e, size, count)) return;
    ctx.reply.ArrayHeader(count);
    for (uint64_t i = 0; i < count; ++i) {
      engine::SetRandom(e, rng, &member);
      ctx.reply.Bulk(member);
    }
    return;
  }
  uint64_t count = static_cast<uint64_t>(n);
  if (count >= size) {
    // The whole set.
    ctx.reply.ArrayHeader(size);
    engine::SetForEach(e, [&](std::string_view m) {
      ctx.reply.Bulk(m);
      return true;
    });
    return;
  }
  if (count * 3 > size) {
    // A large share: copy, then a partial Fisher-Yates shuffle picks `count` distinct members.
    std::vector<std::string> all = AllMembers(e);
    for (size_t i = 0; i < count; ++i) {
      size_t j = std::uniform_int_distribution<size_t>(i, all.size() - 1)(rng);
      std::swap(all[i], all[j]);
    }
    ctx.reply.ArrayHeader(count);
    for (size_t i = 0; i < count; ++i) ctx.reply.Bulk(all[i]);
    return;
  }
  // A small share: uniform picks, rejecting repeats (fewer than 1.5 picks per member).
  std::unordered_set<std::string> picked;
  picked.reserve(count);
  std::vector<const std::string*> order;
  order.reserve(count);
  while (picked.size() < count) {
    engine::SetRandom(e, rng, &member);
    auto [it, added] = picked.insert(member);
    if (added) order.push_back(&*it);
  }
  ctx.reply.ArrayHeader(count);
  for (const std::string* m : order) ctx.reply.Bulk(*m);
}

}  // namespace

void CmdSAdd(CommandContext& ctx, Args argv) {
  bool wrong = false;
  LookupWrite(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  size_t added = engine::SetAdd(ctx.db(), argv[1], Members(argv, 2));
  if (added > 0) ctx.Notify(kNotifySet, "sadd", argv[1]);
  ctx.reply.Integer(static_cast<int64_t>(added));
}

void CmdSRem(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  size_t removed = engine::SetRemove(ctx.db(), e, Members(argv, 2));
  if (removed > 0) {
    ctx.Notify(kNotifySet, "srem", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void CmdSIsMember(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e != nullptr && engine::SetContains(e, argv[2]) ? 1 : 0);
}

void CmdSMIsMember(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    ctx.reply.Integer(e != nullptr && engine::SetContains(e, argv[i]) ? 1 : 0);
  }
}

void CmdSMembers(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.SetHeader(0);
  ctx.reply.SetHeader(engine::SetLen(e));
  engine::SetForEach(e, [&](std::string_view m) {
    ctx.reply.Bulk(m);
    return true;
  });
}

void CmdSCard(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(engine::SetLen(e)));
}

namespace {

// What the log records of SPOP with a count, Redis 7.2's form: DEL when the whole set went,
// else the members drawn as SREM commands of at most 1024 members each.
void PropagateSPop(CommandContext& ctx, std::string_view key, bool whole,
                   const std::vector<std::string>& popped) {
  if (!ctx.Propagating()) return;
  if (whole) return ctx.PropagateAs({"DEL", std::string(key)});
  constexpr size_t kBatch = 1024;
  for (size_t i = 0; i < popped.size(); i += kBatch) {
    std::vector<std::string> srem{"SREM", std::string(key)};
    const size_t end = std::min(popped.size(), i + kBatch);
    srem.insert(srem.end(), popped.begin() + static_cast<ptrdiff_t>(i),
                popped.begin() + static_cast<ptrdiff_t>(end));
    ctx.PropagateAs(std::move(srem));
  }
}

}  // namespace

void CmdSPop(CommandContext& ctx, Args argv) {
  if (argv.size() > 3) return ctx.reply.Error(errors::kSyntax);
  std::mt19937_64& rng = ctx.db().keyspace().rng();
  bool wrong = false;
  if (argv.size() == 2) {
    engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kSet, &wrong);
    if (wrong) return;
    if (e == nullptr) return ctx.reply.Null();
    std::vector<std::string> popped = engine::SetPop(ctx.db(), e, 1, rng);
    ctx.Notify(kNotifySet, "spop", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
    // The log: the member that was drawn (Redis 7.2: SREM key member).
    if (ctx.Propagating()) ctx.PropagateAs({"SREM", std::string(argv[1]), popped[0]});
    return ctx.reply.Bulk(popped[0]);
  }
  int64_t count = 0;
  if (!PositiveOrReply(ctx, argv[2], &count)) return;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr || count == 0) return ctx.reply.SetHeader(0);
  const bool whole = static_cast<uint64_t>(count) >= engine::SetLen(e);
  std::vector<std::string> popped = engine::SetPop(ctx.db(), e, static_cast<size_t>(count), rng);
  ctx.Notify(kNotifySet, "spop", argv[1]);
  NotifyDelIfGone(ctx, argv[1]);
  PropagateSPop(ctx, argv[1], whole, popped);
  ctx.reply.SetHeader(popped.size());
  for (const std::string& m : popped) ctx.reply.Bulk(m);
}

void CmdSRandMember(CommandContext& ctx, Args argv) {
  if (argv.size() > 3) return ctx.reply.Error(errors::kSyntax);
  if (argv.size() == 3) return SRandMemberWithCount(ctx, argv);
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  std::string member;
  engine::SetRandom(e, ctx.db().keyspace().rng(), &member);
  ctx.reply.Bulk(member);
}

void CmdSMove(CommandContext& ctx, Args argv) {
  // Redis' order: a missing source answers 0 before either type is checked.
  engine::Database& db = ctx.db();
  engine::Entry* src = db.Find(argv[1]);
  engine::Entry* dst = db.Find(argv[2]);
  if (src == nullptr) return ctx.reply.Integer(0);
  if (src->kind() != engine::Kind::kSet || (dst != nullptr && dst->kind() != engine::Kind::kSet)) {
    return ctx.reply.Error(errors::kWrongType);
  }
  if (!engine::SetContains(src, argv[3])) return ctx.reply.Integer(0);
  if (src == dst) return ctx.reply.Integer(1);
  bool added = dst == nullptr || !engine::SetContains(dst, argv[3]);
  engine::SetMove(db, src, argv[2], argv[3]);
  ctx.Notify(kNotifySet, "srem", argv[1]);
  NotifyDelIfGone(ctx, argv[1]);
  if (added) ctx.Notify(kNotifySet, "sadd", argv[2]);
  ctx.reply.Integer(1);
}

void CmdSScan(CommandContext& ctx, Args argv) {
  uint64_t cursor = 0;
  ScanOptions opts;
  std::shared_ptr<const engine::Pattern> pattern;
  engine::Entry* e = ContainerScanStart(ctx, argv, engine::Kind::kSet, &cursor, &opts, &pattern);
  if (e == nullptr) return;
  std::vector<std::string> found;
  size_t visited = 0;
  auto visit = [&](std::string_view m) {
    ++visited;
    if (pattern == nullptr || pattern->Matches(m)) found.emplace_back(m);
  };
  // Redis' loop: buckets until COUNT elements were seen, at most COUNT * 10 steps.
  uint64_t count = static_cast<uint64_t>(opts.count);
  uint64_t budget = count > UINT64_MAX / 10 ? UINT64_MAX : count * 10;
  do {
    cursor = engine::SetScan(e, cursor, visit);
  } while (cursor != 0 && budget-- > 0 && visited < count);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(found.size());
  for (const std::string& m : found) ctx.reply.Bulk(m);
}

// --- SINTER, SUNION, SDIFF, the STORE forms, SINTERCARD ---

namespace {

enum class SetOp { kInter, kUnion, kDiff };

// Looks the input keys up (the read form for replies, the write form for the STORE commands, as
// Redis). False after WRONGTYPE from any of them; a missing key is a nullptr (an empty set).
bool LookupSets(CommandContext& ctx, Args keys, bool for_store, std::vector<engine::Entry*>* sets) {
  for (std::string_view key : keys) {
    bool wrong = false;
    engine::Entry* e = for_store ? LookupWrite(ctx, key, engine::Kind::kSet, &wrong)
                                 : LookupRead(ctx, key, engine::Kind::kSet, &wrong);
    if (wrong) return false;
    sets->push_back(e);
  }
  return true;
}

// Members of the intersection: the smallest set is iterated and each member probed in the
// others. Stops at `limit` members (0: no limit).
std::vector<std::string> Intersect(std::vector<engine::Entry*> sets, size_t limit) {
  std::vector<std::string> out;
  for (engine::Entry* e : sets) {
    if (e == nullptr) return out;
  }
  std::sort(sets.begin(), sets.end(), [](const engine::Entry* a, const engine::Entry* b) {
    return engine::SetLen(a) < engine::SetLen(b);
  });
  engine::SetForEach(sets[0], [&](std::string_view m) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (sets[i] != sets[0] && !engine::SetContains(sets[i], m)) return true;
    }
    out.emplace_back(m);
    return limit == 0 || out.size() < limit;
  });
  return out;
}

// Members of the union or the difference, in first-seen order; as Redis 7.2 builds the result
// as an intset while it can, all-integer results that fit one come out ascending.
std::vector<std::string> UnionOrDiff(const std::vector<engine::Entry*>& sets, SetOp op,
                                     size_t intset_max) {
  std::vector<std::string> out;
  if (op == SetOp::kUnion) {
    std::unordered_set<std::string> seen;
    for (engine::Entry* e : sets) {
      if (e == nullptr) continue;
      engine::SetForEach(e, [&](std::string_view m) {
        if (seen.emplace(m).second) out.emplace_back(m);
        return true;
      });
    }
  } else if (sets[0] != nullptr) {
    engine::SetForEach(sets[0], [&](std::string_view m) {
      for (size_t i = 1; i < sets.size(); ++i) {
        if (sets[i] != nullptr && (sets[i] == sets[0] || engine::SetContains(sets[i], m))) {
          return true;
        }
      }
      out.emplace_back(m);
      return true;
    });
  }
  if (out.size() <= intset_max) {
    std::vector<std::pair<int64_t, size_t>> ints;
    ints.reserve(out.size());
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t v = 0;
      if (!engine::ParseInt64(out[i], &v)) return out;
      ints.emplace_back(v, i);
    }
    std::sort(ints.begin(), ints.end());
    std::vector<std::string> sorted;
    sorted.reserve(out.size());
    for (const auto& [v, i] : ints) sorted.push_back(std::move(out[i]));
    return sorted;
  }
  return out;
}

std::vector<std::string> Compute(CommandContext& ctx, const std::vector<engine::Entry*>& sets,
                                 SetOp op) {
  if (op == SetOp::kInter) return Intersect(sets, 0);
  return UnionOrDiff(sets, op, ctx.db().keyspace().container_limits().set_max_intset_entries);
}

void SetOpReply(CommandContext& ctx, Args argv, SetOp op) {
  std::vector<engine::Entry*> sets;
  if (!LookupSets(ctx, argv.subspan(1), false, &sets)) return;
  std::vector<std::string> members = Compute(ctx, sets, op);
  ctx.reply.SetHeader(members.size());
  for (const std::string& m : members) ctx.reply.Bulk(m);
}

void SetOpStore(CommandContext& ctx, Args argv, SetOp op) {
  std::vector<engine::Entry*> sets;
  if (!LookupSets(ctx, argv.subspan(2), true, &sets)) return;
  std::vector<std::string> members = Compute(ctx, sets, op);
  bool existed = DestinationExisted(ctx, argv[1]);
  engine::SetStore(ctx.db(), argv[1], members);
  NotifyStored(ctx, argv[1], kNotifySet,
               op == SetOp::kInter   ? "sinterstore"
               : op == SetOp::kUnion ? "sunionstore"
                                     : "sdiffstore",
               !members.empty(), existed);
  ctx.reply.Integer(static_cast<int64_t>(members.size()));
}

}  // namespace

void CmdSInter(CommandContext& ctx, Args argv) { SetOpReply(ctx, argv, SetOp::kInter); }
void CmdSUnion(CommandContext& ctx, Args argv) { SetOpReply(ctx, argv, SetOp::kUnion); }
void CmdSDiff(CommandContext& ctx, Args argv) { SetOpReply(ctx, argv, SetOp::kDiff); }
void CmdSInterStore(CommandContext& ctx, Args argv) { SetOpStore(ctx, argv, SetOp::kInter); }
void CmdSUnionStore(CommandContext& ctx, Args argv) { SetOpStore(ctx, argv, SetOp::kUnion); }
void CmdSDiffStore(CommandContext& ctx, Args argv) { SetOpStore(ctx, argv, SetOp::kDiff); }

void CmdSInterCard(CommandContext& ctx, Args argv) {
  int64_t numkeys = 0;
  if (!engine::ParseInt64(argv[1], &numkeys) || numkeys < 1) {
    return ctx.reply.Error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > argv.size() - 2) {
    return ctx.reply.Error("ERR Number of keys can't be greater than number of args");
  }
  size_t nkeys = static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t j = 2 + nkeys; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "limit") && j + 1 < argv.size()) {
      if (!engine::ParseInt64(argv[j + 1], &limit) || limit < 0) {
        return ctx.reply.Error("ERR LIMIT can't be negative");
      }
      ++j;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::vector<engine::Entry*> sets;
  if (!LookupSets(ctx, argv.subspan(2, nkeys), false, &sets)) return;
  ctx.reply.Integer(static_cast<int64_t>(Intersect(sets, static_cast<size_t>(limit)).size()));
}

}  // namespace dkv::server
