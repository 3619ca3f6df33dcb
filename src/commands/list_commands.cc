// List family (the non-blocking commands): LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN,
// LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH and LMPOP. The encodings and
// every write are the engine's (engine/list_ops.h); these handlers parse in Redis 7.2's order
// (so the same argument errs first), look the keys up (WRONGTYPE) and reply in Redis' shapes:
// LPOP/RPOP with a count on a missing key is a null array (`*-1`, RESP3 `_`), LMPOP's reply a
// [key, elements] pair.
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/list_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {

namespace {

using engine::ListEnd;

constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";
constexpr std::string_view kRankRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
constexpr std::string_view kRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";

std::vector<std::string_view> Elements(Args argv, size_t from) {
  return std::vector<std::string_view>(argv.begin() + static_cast<std::ptrdiff_t>(from),
                                       argv.end());
}

// LEFT or RIGHT (Redis' getListPositionFromObjectOrReply).
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

// Redis' getRangeLongFromObjectOrReply with a message: any failure replies `message`.
bool RangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                  std::string_view message, int64_t* out) {
  if (engine::ParseInt64(arg, out) && *out >= min && *out <= max) return true;
  ctx.reply.Error(message);
  return false;
}

void NotifyPopped(CommandContext& ctx, std::string_view key, ListEnd end) {
  NotifyListPop(ctx, key, end == ListEnd::kHead);
}

void Push(CommandContext& ctx, Args argv, ListEnd end, bool only_existing) {
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (only_existing && e == nullptr) return ctx.reply.Integer(0);
  size_t len = engine::ListPush(ctx.db(), argv[1], end, Elements(argv, 2));
  ctx.Notify(kNotifyList, end == ListEnd::kHead ? "lpush" : "rpush", argv[1]);
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void Pop(CommandContext& ctx, Args argv, ListEnd end, std::string_view name) {
  if (argv.size() > 3) return ctx.reply.Error(errors::WrongArity(name));
  int64_t count = 0;
  bool has_count = argv.size() == 3;
  if (has_count && !RangeOrReply(ctx, argv[2], 0, INT64_MAX, kMustBePositive, &count)) return;
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return has_count ? ctx.reply.NullArray() : ctx.reply.Null();
  if (has_count && count == 0) return ctx.reply.EmptyArray();
  std::vector<std::string> out =
      engine::ListPop(ctx.db(), e, end, has_count ? static_cast<size_t>(count) : 1);
  NotifyPopped(ctx, argv[1], end);
  if (!has_count) return ctx.reply.Bulk(out[0]);
  ctx.reply.ArrayHeader(out.size());
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

void Move(CommandContext& ctx, Args argv, ListEnd from, ListEnd to) {
  bool wrong = false;
  engine::Entry* src = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (src == nullptr) return ctx.reply.Null();
  LookupWrite(ctx, argv[2], engine::Kind::kList, &wrong);
  if (wrong) return;
  // The lookup of the destination may not move the source (it deletes nothing but an expired
  // key, which the source is not).
  src = ctx.db().Find(argv[1]);
  ctx.reply.Bulk(engine::ListMove(ctx.db(), src, argv[2], from, to));
  // Redis' order: the push on the destination, then the pop (and "del") on the source.
  ctx.Notify(kNotifyList, to == ListEnd::kHead ? "lpush" : "rpush", argv[2]);
  NotifyPopped(ctx, argv[1], from);
}

}  // namespace

void CmdLPush(CommandContext& ctx, Args argv) { Push(ctx, argv, ListEnd::kHead, false); }
void CmdRPush(CommandContext& ctx, Args argv) { Push(ctx, argv, ListEnd::kTail, false); }
void CmdLPushX(CommandContext& ctx, Args argv) { Push(ctx, argv, ListEnd::kHead, true); }
void CmdRPushX(CommandContext& ctx, Args argv) { Push(ctx, argv, ListEnd::kTail, true); }
void CmdLPop(CommandContext& ctx, Args argv) { Pop(ctx, argv, ListEnd::kHead, "lpop"); }
void CmdRPop(CommandContext& ctx, Args argv) { Pop(ctx, argv, ListEnd::kTail, "rpop"); }

void CmdLLen(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(engine::ListLen(e)));
}

void CmdLRange(CommandContext& ctx, Args argv) {
  int64_t start = 0, stop = 0;
  if (!Int64OrReply(ctx.reply, argv[2], &start) || !Int64OrReply(ctx.reply, argv[3], &stop)) {
    return;
  }
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.EmptyArray();
  auto len = static_cast<int64_t>(engine::ListLen(e));
  if (start < 0) start = start < -len ? 0 : start + len;
  if (stop < 0) stop = stop < -len ? -1 : stop + len;
  if (start > stop || start >= len) return ctx.reply.EmptyArray();
  if (stop >= len) stop = len - 1;
  ctx.reply.ArrayHeader(static_cast<size_t>(stop - start + 1));
  engine::ListRange(e, static_cast<size_t>(start), static_cast<size_t>(stop), false,
                    [&](std::string_view v) {
                      ctx.reply.Bulk(v);
                      return true;
                    });
}

void CmdLIndex(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  int64_t index = 0;
  if (!Int64OrReply(ctx.reply, argv[2], &index)) return;
  std::string v;
  if (!engine::ListIndex(e, index, &v)) return ctx.reply.Null();
  ctx.reply.Bulk(v);
}

void CmdLSet(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
  int64_t index = 0;
  if (!Int64OrReply(ctx.reply, argv[2], &index)) return;
  if (!engine::ListSet(ctx.db(), e, index, argv[3])) {
    return ctx.reply.Error("ERR index out of range");
  }
  ctx.Notify(kNotifyList, "lset", argv[1]);
  ctx.reply.Ok();
}

void CmdLInsert(CommandContext& ctx, Args argv) {
  bool before = false;
  if (EqualsIgnoreCase(argv[2], "before")) {
    before = true;
  } else if (!EqualsIgnoreCase(argv[2], "after")) {
    return ctx.reply.Error(errors::kSyntax);
  }
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  int64_t len = engine::ListInsert(ctx.db(), e, before, argv[3], argv[4]);
  if (len > 0) ctx.Notify(kNotifyList, "linsert", argv[1]);
  ctx.reply.Integer(len);
}

void CmdLRem(CommandContext& ctx, Args argv) {
  int64_t count = 0;
  if (!Int64OrReply(ctx.reply, argv[2], &count)) return;
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  size_t removed = engine::ListRemove(ctx.db(), e, count, argv[3]);
  if (removed > 0) {
    ctx.Notify(kNotifyList, "lrem", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void CmdLTrim(CommandContext& ctx, Args argv) {
  int64_t start = 0, stop = 0;
  if (!Int64OrReply(ctx.reply, argv[2], &start) || !Int64OrReply(ctx.reply, argv[3], &stop)) {
    return;
  }
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e != nullptr) {
    engine::ListTrim(ctx.db(), e, start, stop);
    ctx.Notify(kNotifyList, "ltrim", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
  }
  ctx.reply.Ok();
}

void CmdLPos(CommandContext& ctx, Args argv) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < argv.size(); ++j) {
    bool more = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "rank") && more) {
      ++j;
      if (!engine::ParseInt64(argv[j], &rank)) return ctx.reply.Error(errors::kNotInteger);
      if (rank == INT64_MIN) return ctx.reply.Error(kRankRange);
      if (rank == 0) return ctx.reply.Error(kRankZero);
    } else if (EqualsIgnoreCase(argv[j], "count") && more) {
      ++j;
      if (!RangeOrReply(ctx, argv[j], 0, INT64_MAX, "ERR COUNT can't be negative", &count)) {
        return;
      }
    } else if (EqualsIgnoreCase(argv[j], "maxlen") && more) {
      ++j;
      if (!RangeOrReply(ctx, argv[j], 0, INT64_MAX, "ERR MAXLEN can't be negative", &maxlen)) {
        return;
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  bool from_tail = rank < 0;
  uint64_t skip = from_tail ? 0 - static_cast<uint64_t>(rank) : static_cast<uint64_t>(rank);
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kList, &wrong);
  if (wrong) return;
  if (e == nullptr) return count != -1 ? ctx.reply.EmptyArray() : ctx.reply.Null();
  size_t len = engine::ListLen(e);
  std::vector<int64_t> found;
  uint64_t matches = 0;
  size_t index = 0;
  engine::ListRange(e, 0, len - 1, from_tail, [&](std::string_view v) {
    if (maxlen != 0 && index >= static_cast<uint64_t>(maxlen)) return false;
    if (v == argv[2]) {
      ++matches;
      if (matches >= skip) {
        found.push_back(static_cast<int64_t>(from_tail ? len - index - 1 : index));
        if (count == -1) return false;
        if (count != 0 && matches - skip + 1 >= static_cast<uint64_t>(count)) return false;
      }
    }
    ++index;
    return true;
  });
  if (count == -1) {
    return found.empty() ? ctx.reply.Null() : ctx.reply.Integer(found[0]);
  }
  ctx.reply.ArrayHeader(found.size());
  for (int64_t i : found) ctx.reply.Integer(i);
}

void CmdLMove(CommandContext& ctx, Args argv) {
  ListEnd from = ListEnd::kHead, to = ListEnd::kHead;
  if (!EndOrReply(ctx, argv[3], &from) || !EndOrReply(ctx, argv[4], &to)) return;
  Move(ctx, argv, from, to);
}

void CmdRPopLPush(CommandContext& ctx, Args argv) {
  Move(ctx, argv, ListEnd::kTail, ListEnd::kHead);
}

void CmdLMPop(CommandContext& ctx, Args argv) {
  int64_t numkeys = 0;
  if (!RangeOrReply(ctx, argv[1], 1, INT64_MAX, "ERR numkeys should be greater than 0", &numkeys)) {
    return;
  }
  if (static_cast<uint64_t>(numkeys) >= argv.size() - 2) return ctx.reply.Error(errors::kSyntax);
  size_t where = 2 + static_cast<size_t>(numkeys);
  ListEnd end = ListEnd::kHead;
  if (!EndOrReply(ctx, argv[where], &end)) return;
  int64_t count = -1;
  for (size_t j = where + 1; j < argv.size(); ++j) {
    if (count == -1 && EqualsIgnoreCase(argv[j], "count") && j + 1 < argv.size()) {
      ++j;
      if (!RangeOrReply(ctx, argv[j], 1, INT64_MAX, "ERR count should be greater than 0", &count)) {
        return;
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (count == -1) count = 1;
  for (size_t k = 2; k < where; ++k) {
    bool wrong = false;
    engine::Entry* e = LookupWrite(ctx, argv[k], engine::Kind::kList, &wrong);
    if (wrong) return;
    if (e == nullptr || engine::ListLen(e) == 0) continue;
    std::string key(argv[k]);
    std::vector<std::string> out = engine::ListPop(ctx.db(), e, end, static_cast<size_t>(count));
    NotifyPopped(ctx, key, end);
    // The log, Redis 7.2's form: LPOP/RPOP of the one key popped, with the count popped.
    if (ctx.Propagating()) {
      ctx.PropagateAs({end == ListEnd::kHead ? "LPOP" : "RPOP", key, std::to_string(out.size())});
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.ArrayHeader(out.size());
    for (const std::string& s : out) ctx.reply.Bulk(s);
    return;
  }
  ctx.reply.NullArray();
}

}  // namespace dkv::server
