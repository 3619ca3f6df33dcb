// Blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (lists) and BZPOPMIN, BZPOPMAX, BZMPOP
// (sorted sets), with Redis 7.2's parsing, errors and replies. Each handler first acts as its
// non-blocking form (the first key in argument order that holds a value is popped, WRONGTYPE
// for a key of another type met before it); when every key is empty it parks the client
// (src/core/blocked_clients.h), and the dispatcher runs it again when a key gets a value, or it
// is answered a null array at its timeout. Inside MULTI/EXEC and scripts it never blocks: it
// answers as if it had timed out. The pops and moves are the engine's writes (engine/list_ops.h,
// engine/zset_ops.h), which own their side effects.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/list_ops.h"
#include "engine/zset_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {

namespace {

using engine::Kind;
using engine::ListEnd;

// Redis' getTimeoutFromObjectOrReply in seconds: a float (strtold: "0.1", "1e3", hex), in ms
// rounded up; the absolute deadline, or 0 (forever). False after replying the error.
bool DeadlineOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!engine::ParseLongDouble(arg, &seconds)) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return false;
  }
  const long double ms = std::ceil(seconds * 1000.0L);
  if (ms > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    ctx.reply.Error("ERR timeout is out of range");
    return false;
  }
  // Any negative timeout is refused there; -1 keeps a huge negative one from overflowing.
  return BlockDeadlineFromMsOrReply(ctx, static_cast<int64_t>(std::max(ms, -1.0L)), deadline_ms);
}

// Whether this run may park the client: not inside EXEC, not from a script.
bool MayBlock(CommandContext& ctx) { return !ctx.session.deny_blocking && !ctx.services.in_exec(); }

void Park(CommandContext& ctx, Args argv, const std::vector<std::string_view>& keys, Kind kind,
          int64_t deadline_ms) {
  ctx.services.blocked().Block(&ctx.session, ctx.session.db, keys, kind, deadline_ms,
                               ToLower(argv[0]));
}

bool EndOrReply(CommandContext& ctx, std::string_view arg, ListEnd* end) {
  if (EqualsIgnoreCase(arg, "left")) {
    *end = ListEnd::kHead;
  } else if (EqualsIgnoreCase(arg, "right")) {
    *end = ListEnd::kTail;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// Redis' getRangeLongFromObjectOrReply(1, LONG_MAX) with one message for every failure.
bool PositiveOrReply(CommandContext& ctx, std::string_view arg, int64_t* out,
                     std::string_view message) {
  if (engine::ParseInt64(arg, out) && *out >= 1) return true;
  ctx.reply.Error(message);
  return false;
}

// The numkeys, the end word and COUNT of BLMPOP and BZMPOP (arguments from `numkeys_at`):
// *keys are the keys, *word the LEFT/RIGHT or MIN/MAX argument, *count 1 without COUNT.
bool MultiPopArgsOrReply(CommandContext& ctx, Args argv, size_t numkeys_at,
                         std::vector<std::string_view>* keys, std::string_view* word,
                         int64_t* count) {
  int64_t numkeys;
  if (!PositiveOrReply(ctx, argv[numkeys_at], &numkeys, "ERR numkeys should be greater than 0")) {
    return false;
  }
  if (static_cast<uint64_t>(numkeys) >= argv.size() - numkeys_at - 1) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  const size_t where = numkeys_at + static_cast<size_t>(numkeys) + 1;
  keys->assign(argv.begin() + static_cast<ptrdiff_t>(numkeys_at) + 1,
               argv.begin() + static_cast<ptrdiff_t>(where));
  *word = argv[where];
  *count = -1;
  for (size_t j = where + 1; j < argv.size(); ++j) {
    if (*count == -1 && EqualsIgnoreCase(argv[j], "count") && j + 1 < argv.size()) {
      ++j;
      if (!PositiveOrReply(ctx, argv[j], count, "ERR count should be greater than 0")) {
        return false;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (*count == -1) *count = 1;
  return true;
}

// What the log records of a blocking pop that popped: `name` key, and the count popped when the
// command had a count (`count` >= 0). Redis 7.2's rewrite of BLPOP, BLMPOP, BZPOPMIN, BZMPOP.
void PropagatePop(CommandContext& ctx, std::string_view name, std::string_view key, int64_t count,
                  size_t popped) {
  if (!ctx.Propagating()) return;
  std::vector<std::string> argv{std::string(name), std::string(key)};
  if (count >= 0) argv.push_back(std::to_string(popped));
  ctx.PropagateAs(std::move(argv));
}

// BLPOP, BRPOP, BLMPOP: pops from the first non-empty list among `keys`. `count` < 0: one
// element, replied [key, element]; else up to count, replied [key, [elements]].
void BlockingListPop(CommandContext& ctx, Args argv, const std::vector<std::string_view>& keys,
                     ListEnd end, int64_t count, int64_t deadline_ms) {
  for (std::string_view key : keys) {
    bool wrong = false;
    engine::Entry* e = LookupWrite(ctx, key, Kind::kList, &wrong);
    if (wrong) return;
    if (e == nullptr) continue;
    std::vector<std::string> popped =
        engine::ListPop(ctx.db(), e, end, count < 0 ? 1 : static_cast<size_t>(count));
    NotifyListPop(ctx, key, end == ListEnd::kHead);
    // The log, Redis 7.2's form (served at once or when a push woke it): LPOP/RPOP key, with
    // the count popped for BLMPOP.
    PropagatePop(ctx, end == ListEnd::kHead ? "LPOP" : "RPOP", key, count, popped.size());
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    if (count < 0) return ctx.reply.Bulk(popped.front());
    ctx.reply.ArrayHeader(popped.size());
    for (const std::string& element : popped) ctx.reply.Bulk(element);
    return;
  }
  if (!MayBlock(ctx)) return ctx.reply.NullArray();
  Park(ctx, argv, keys, Kind::kList, deadline_ms);
}

// BZPOPMIN, BZPOPMAX, BZMPOP: as BlockingListPop for sorted sets; replies [key, member, score]
// (count < 0) or [key, [[member, score], ...]].
void BlockingZsetPop(CommandContext& ctx, Args argv, const std::vector<std::string_view>& keys,
                     bool max, int64_t count, int64_t deadline_ms) {
  for (std::string_view key : keys) {
    bool wrong = false;
    engine::Entry* e = LookupWrite(ctx, key, Kind::kZset, &wrong);
    if (wrong) return;
    if (e == nullptr) continue;
    std::vector<engine::ScoredMember> popped =
        engine::ZsetPop(ctx.db(), e, max, count < 0 ? 1 : static_cast<size_t>(count));
    NotifyZsetPop(ctx, key, max, popped.size());
    // The log: ZPOPMIN/ZPOPMAX key, with the count popped for BZMPOP.
    PropagatePop(ctx, max ? "ZPOPMAX" : "ZPOPMIN", key, count, popped.size());
    if (count < 0) {
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(key);
      ctx.reply.Bulk(popped.front().member);
      return ctx.reply.Double(popped.front().score);
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.ArrayHeader(popped.size());
    for (const engine::ScoredMember& m : popped) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(m.member);
      ctx.reply.Double(m.score);
    }
    return;
  }
  if (!MayBlock(ctx)) return ctx.reply.NullArray();
  Park(ctx, argv, keys, Kind::kZset, deadline_ms);
}

// BLMOVE, BRPOPLPUSH: LMOVE when the source holds elements (WRONGTYPE for a destination of
// another type), else park on the source.
void BlockingMove(CommandContext& ctx, Args argv, ListEnd from, ListEnd to, int64_t deadline_ms) {
  bool wrong = false;
  engine::Entry* src = LookupWrite(ctx, argv[1], Kind::kList, &wrong);
  if (wrong) return;
  if (src == nullptr) {
    // Not blocking (EXEC, scripts): the null of LMOVE on an empty source.
    if (!MayBlock(ctx)) return ctx.reply.Null();
    return Park(ctx, argv, {argv[1]}, Kind::kList, deadline_ms);
  }
  LookupWrite(ctx, argv[2], Kind::kList, &wrong);
  if (wrong) return;
  // The destination's look-up may have expired it, never the source (another key, or the same
  // live one).
  src = ctx.db().FindRaw(argv[1]);
  ctx.reply.Bulk(engine::ListMove(ctx.db(), src, argv[2], from, to));
  ctx.Notify(kNotifyList, to == ListEnd::kHead ? "lpush" : "rpush", argv[2]);
  NotifyListPop(ctx, argv[1], from == ListEnd::kHead);
  // The log: the non-blocking form (BLMOVE -> LMOVE, BRPOPLPUSH -> RPOPLPUSH), as Redis 7.2.
  if (!ctx.Propagating()) return;
  if (argv.size() == 6) {
    ctx.PropagateAs({"LMOVE", std::string(argv[1]), std::string(argv[2]), std::string(argv[3]),
                     std::string(argv[4])});
  } else {
    ctx.PropagateAs({"RPOPLPUSH", std::string(argv[1]), std::string(argv[2])});
  }
}

}  // namespace

void CmdBLPop(CommandContext& ctx, Args argv) {
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv.back(), &deadline)) return;
  BlockingListPop(ctx, argv, {argv.begin() + 1, argv.end() - 1}, ListEnd::kHead, -1, deadline);
}

void CmdBRPop(CommandContext& ctx, Args argv) {
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv.back(), &deadline)) return;
  BlockingListPop(ctx, argv, {argv.begin() + 1, argv.end() - 1}, ListEnd::kTail, -1, deadline);
}

void CmdBLMPop(CommandContext& ctx, Args argv) {
  // Redis' order: the timeout first, then numkeys, the end and COUNT.
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv[1], &deadline)) return;
  std::vector<std::string_view> keys;
  std::string_view word;
  int64_t count;
  if (!MultiPopArgsOrReply(ctx, argv, 2, &keys, &word, &count)) return;
  ListEnd end;
  if (!EndOrReply(ctx, word, &end)) return;
  BlockingListPop(ctx, argv, keys, end, count, deadline);
}

void CmdBLMove(CommandContext& ctx, Args argv) {
  ListEnd from, to;
  if (!EndOrReply(ctx, argv[3], &from) || !EndOrReply(ctx, argv[4], &to)) return;
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv[5], &deadline)) return;
  BlockingMove(ctx, argv, from, to, deadline);
}

void CmdBRPopLPush(CommandContext& ctx, Args argv) {
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv[3], &deadline)) return;
  BlockingMove(ctx, argv, ListEnd::kTail, ListEnd::kHead, deadline);
}

void CmdBZPopMin(CommandContext& ctx, Args argv) {
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv.back(), &deadline)) return;
  BlockingZsetPop(ctx, argv, {argv.begin() + 1, argv.end() - 1}, false, -1, deadline);
}

void CmdBZPopMax(CommandContext& ctx, Args argv) {
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv.back(), &deadline)) return;
  BlockingZsetPop(ctx, argv, {argv.begin() + 1, argv.end() - 1}, true, -1, deadline);
}

void CmdBZMPop(CommandContext& ctx, Args argv) {
  // Redis' order: numkeys, MIN/MAX and COUNT, then the timeout.
  std::vector<std::string_view> keys;
  std::string_view word;
  int64_t count;
  if (!MultiPopArgsOrReply(ctx, argv, 2, &keys, &word, &count)) return;
  bool max;
  if (EqualsIgnoreCase(word, "min")) {
    max = false;
  } else if (EqualsIgnoreCase(word, "max")) {
    max = true;
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  int64_t deadline;
  if (!DeadlineOrReply(ctx, argv[1], &deadline)) return;
  BlockingZsetPop(ctx, argv, keys, max, count, deadline);
}

}  // namespace dkv::server
