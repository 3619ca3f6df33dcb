// String family: GET, SET and its options, the INCR family, APPEND, ranges, LCS, multi-key forms.
#include <climits>

#include "engine/string_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

enum SetFlags : uint32_t {
  kSetNx = 1 << 0,
  kSetXx = 1 << 1,
  kSetGet = 1 << 2,
  kSetPersist = 1 << 3,
  kSetIfEq = 1 << 4,
  kSetIfNe = 1 << 5,
  kSetIfDeq = 1 << 6,
  kSetIfDne = 1 << 7,
};
constexpr uint32_t kAnyCondition = kSetNx | kSetXx | kSetIfEq | kSetIfNe | kSetIfDeq | kSetIfDne;

enum class SetCommand { kSet, kGetEx };

struct SetOptions {
  uint32_t flags = 0;
  ExpiryOption expiry;  // EX, PX, EXAT, PXAT, KEEPTTL (SET only)
  std::string_view compare_value;
};

// Parses SET/GETEX options from argv[first] on, as Redis does (repeated options are accepted,
// conflicting ones are a syntax error).
bool ParseSetOptions(Args argv, size_t first, SetCommand command, SetOptions* opts,
                     resp::ReplyBuilder& reply) {
  bool conflict = false;
  for (size_t j = first; j < argv.size(); ++j) {
    std::string_view opt = argv[j];
    bool has_next = j + 1 < argv.size();
    uint32_t& f = opts->flags;
    if (EqualsIgnoreCase(opt, "nx") && !(f & (kAnyCondition & ~kSetNx)) &&
        command == SetCommand::kSet) {
      f |= kSetNx;
    } else if (EqualsIgnoreCase(opt, "xx") && !(f & (kAnyCondition & ~kSetXx)) &&
               command == SetCommand::kSet) {
      f |= kSetXx;
    } else if (command == SetCommand::kSet && has_next && !(f & kAnyCondition) &&
               (EqualsIgnoreCase(opt, "ifeq") || EqualsIgnoreCase(opt, "ifne") ||
                EqualsIgnoreCase(opt, "ifdeq") || EqualsIgnoreCase(opt, "ifdne"))) {
      f |= EqualsIgnoreCase(opt, "ifeq")    ? kSetIfEq
           : EqualsIgnoreCase(opt, "ifne")  ? kSetIfNe
           : EqualsIgnoreCase(opt, "ifdeq") ? kSetIfDeq
                                            : kSetIfDne;
      opts->compare_value = argv[++j];
    } else if (EqualsIgnoreCase(opt, "get") && command == SetCommand::kSet) {
      f |= kSetGet;
    } else if (EqualsIgnoreCase(opt, "persist") && command == SetCommand::kGetEx &&
               opts->expiry.kind == ExpiryOption::kNone) {
      f |= kSetPersist;
    } else if (size_t k = j;
               !(f & kSetPersist) && TakeExpiryOption(argv, &k, &opts->expiry, &conflict) &&
               !conflict &&
               (opts->expiry.kind != ExpiryOption::kKeepTtl || command == SetCommand::kSet)) {
      j = k;
    } else {
      reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

}  // namespace

bool ExpireAtOrReply(CommandContext& ctx, std::string_view arg, bool seconds, bool relative,
                     std::string_view command, int64_t* when_ms) {
  int64_t v;
  if (!Int64OrReply(ctx.reply, arg, &v)) return false;
  if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
    ctx.reply.Error(errors::InvalidExpire(command));
    return false;
  }
  if (seconds) v *= 1000;
  if (relative) {
    int64_t now = ctx.keyspace().now_ms();
    if (v > LLONG_MAX - now) {
      ctx.reply.Error(errors::InvalidExpire(command));
      return false;
    }
    v += now;
  }
  *when_ms = v;
  return true;
}

namespace {

void ReplyOp(CommandContext& ctx, engine::OpStatus status) {
  ctx.reply.Error(errors::FromOp(status));
}

}  // namespace

void CmdGet(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(e->value());
}

void CmdSet(CommandContext& ctx, Args argv) {
  SetOptions opts;
  if (!ParseSetOptions(argv, 3, SetCommand::kSet, &opts, ctx.reply)) return;
  int64_t when_ms;
  if (!ResolveExpiry(ctx, opts.expiry, "set", &when_ms)) return;
  uint64_t digest = 0;
  if ((opts.flags & (kSetIfDeq | kSetIfDne)) &&
      !engine::ParseChecksumHex(opts.compare_value, &digest)) {
    return ctx.reply.Error(errors::kBadDigest);
  }
  engine::Database& db = ctx.db();
  engine::Entry* old = db.Find(argv[1]);
  // GET and the IFxx conditions read the old value: a container there is WRONGTYPE and nothing
  // is written (Redis 7's getGenericCommand, 8.4's conditions); a plain SET overwrites any type.
  if (old != nullptr && old->container() &&
      (opts.flags & (kSetGet | kSetIfEq | kSetIfNe | kSetIfDeq | kSetIfDne))) {
    return ctx.reply.Error(errors::kWrongType);
  }
  if (opts.flags & kSetGet) {
    if (old == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(old->value());
    }
  }
  bool found = old != nullptr;
  bool refused = ((opts.flags & kSetNx) && found) || ((opts.flags & kSetXx) && !found);
  if (opts.flags & (kSetIfEq | kSetIfNe | kSetIfDeq | kSetIfDne)) {
    refused = !ConditionHolds(opts.flags & kSetIfEq    ? Condition::kIfEq
                              : opts.flags & kSetIfNe  ? Condition::kIfNe
                              : opts.flags & kSetIfDeq ? Condition::kIfDeq
                                                       : Condition::kIfDne,
                              old, opts.compare_value, digest);
  }
  if (refused) {
    if (!(opts.flags & kSetGet)) ctx.reply.Null();
    return;
  }
  StoreValue(ctx, argv[1], argv[2], when_ms, opts.expiry.kind == ExpiryOption::kKeepTtl);
  ctx.Notify(kNotifyString, "set", argv[1]);
  if (when_ms != 0) ctx.Notify(kNotifyGeneric, "expire", argv[1]);
  if (!(opts.flags & kSetGet)) ctx.reply.Ok();
  // The log: a relative or second expiry as PXAT, and without GET (Redis 7.2); the conditions
  // held, so the effect is the plain SET.
  if (when_ms != 0 && opts.expiry.kind != ExpiryOption::kPxAt) {
    ctx.PropagateAs(
        {"SET", std::string(argv[1]), std::string(argv[2]), "PXAT", std::to_string(when_ms)});
  } else if (opts.flags & (kSetGet | kSetIfEq | kSetIfNe | kSetIfDeq | kSetIfDne)) {
    std::vector<std::string> effect = {"SET", std::string(argv[1]), std::string(argv[2])};
    if (when_ms != 0) {
      effect.insert(effect.end(), {"PXAT", std::to_string(when_ms)});
    } else if (opts.expiry.kind == ExpiryOption::kKeepTtl) {
      effect.emplace_back("KEEPTTL");
    }
    ctx.PropagateAs(std::move(effect));
  }
}

void CmdSetNx(CommandContext& ctx, Args argv) {
  if (ctx.db().Find(argv[1]) != nullptr) return ctx.reply.Integer(0);
  StoreValue(ctx, argv[1], argv[2], 0, false);
  ctx.Notify(kNotifyString, "set", argv[1]);
  ctx.reply.Integer(1);
}

void CmdSetEx(CommandContext& ctx, Args argv) {
  int64_t when_ms;
  if (!ExpireAtOrReply(ctx, argv[2], true, true, "setex", &when_ms)) return;
  StoreValue(ctx, argv[1], argv[3], when_ms, false);
  ctx.Notify(kNotifyString, "set", argv[1]);
  ctx.Notify(kNotifyGeneric, "expire", argv[1]);
  ctx.reply.Ok();
  ctx.PropagateAs(
      {"SET", std::string(argv[1]), std::string(argv[3]), "PXAT", std::to_string(when_ms)});
}

void CmdPSetEx(CommandContext& ctx, Args argv) {
  int64_t when_ms;
  if (!ExpireAtOrReply(ctx, argv[2], false, true, "psetex", &when_ms)) return;
  StoreValue(ctx, argv[1], argv[3], when_ms, false);
  ctx.Notify(kNotifyString, "set", argv[1]);
  ctx.Notify(kNotifyGeneric, "expire", argv[1]);
  ctx.reply.Ok();
  ctx.PropagateAs(
      {"SET", std::string(argv[1]), std::string(argv[3]), "PXAT", std::to_string(when_ms)});
}

void CmdGetEx(CommandContext& ctx, Args argv) {
  SetOptions opts;
  if (!ParseSetOptions(argv, 2, SetCommand::kGetEx, &opts, ctx.reply)) return;
  // As Redis: the syntax, then the key (nil when missing, WRONGTYPE), then the expire time.
  bool wrong;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  int64_t when_ms;
  if (!ResolveExpiry(ctx, opts.expiry, "getex", &when_ms)) return;
  engine::Database& db = ctx.db();
  ctx.reply.Bulk(e->value());
  if (when_ms != 0) {
    bool past = when_ms <= ctx.keyspace().now_ms();
    db.Expire(e, when_ms);  // a time already past deletes the key
    ctx.Notify(kNotifyGeneric, past ? "del" : "expire", argv[1]);
    // The log: PEXPIREAT, or DEL when the key went (Redis 7.2).
    if (past) {
      ctx.PropagateAs({"DEL", std::string(argv[1])});
    } else {
      ctx.PropagateAs({"PEXPIREAT", std::string(argv[1]), std::to_string(when_ms)});
    }
  } else if ((opts.flags & kSetPersist) && e->has_expire()) {
    db.Persist(e);
    ctx.Notify(kNotifyGeneric, "persist", argv[1]);
    ctx.PropagateAs({"PERSIST", std::string(argv[1])});
  }
}

void CmdGetDel(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(e->value());
  ctx.db().Delete(e);
  ctx.Notify(kNotifyGeneric, "del", argv[1]);
}

void CmdGetSet(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(e->value());
  }
  StoreValue(ctx, argv[1], argv[2], 0, false);
  ctx.Notify(kNotifyString, "set", argv[1]);
}

void CmdMGet(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  ctx.reply.ArrayHeader(argv.size() - 1);
  for (size_t i = 1; i < argv.size(); ++i) {
    engine::Entry* e = db.FindForRead(argv[i], !ctx.session.no_touch);
    if (e == nullptr || e->container()) {  // nil for a key of another type, as Redis
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(e->value());
    }
  }
}

void CmdMSet(CommandContext& ctx, Args argv) {
  if (argv.size() % 2 == 0) return ctx.reply.Error(errors::WrongArity("mset"));
  for (size_t i = 1; i < argv.size(); i += 2) {
    StoreValue(ctx, argv[i], argv[i + 1], 0, false);
    ctx.Notify(kNotifyString, "set", argv[i]);
  }
  ctx.reply.Ok();
}

void CmdMSetNx(CommandContext& ctx, Args argv) {
  if (argv.size() % 2 == 0) return ctx.reply.Error(errors::WrongArity("msetnx"));
  engine::Database& db = ctx.db();
  for (size_t i = 1; i < argv.size(); i += 2) {
    if (db.Find(argv[i]) != nullptr) return ctx.reply.Integer(0);
  }
  for (size_t i = 1; i < argv.size(); i += 2) {
    StoreValue(ctx, argv[i], argv[i + 1], 0, false);
    ctx.Notify(kNotifyString, "set", argv[i]);
  }
  ctx.reply.Integer(1);
}

namespace {
void IncrByReply(CommandContext& ctx, std::string_view key, int64_t delta) {
  int64_t result;
  engine::OpStatus status = engine::IncrBy(ctx.db(), key, delta, &result);
  if (status != engine::OpStatus::kOk) return ReplyOp(ctx, status);
  ctx.Notify(kNotifyString, "incrby", key);
  ctx.reply.Integer(result);
}
}  // namespace

void CmdIncr(CommandContext& ctx, Args argv) { IncrByReply(ctx, argv[1], 1); }
void CmdDecr(CommandContext& ctx, Args argv) { IncrByReply(ctx, argv[1], -1); }

void CmdIncrBy(CommandContext& ctx, Args argv) {
  int64_t delta;
  if (!Int64OrReply(ctx.reply, argv[2], &delta)) return;
  IncrByReply(ctx, argv[1], delta);
}

void CmdDecrBy(CommandContext& ctx, Args argv) {
  int64_t delta;
  if (!Int64OrReply(ctx.reply, argv[2], &delta)) return;
  if (delta == LLONG_MIN) return ctx.reply.Error("ERR decrement would overflow");
  IncrByReply(ctx, argv[1], -delta);
}

void CmdIncrByFloat(CommandContext& ctx, Args argv) {
  // The key's type is checked before the increment is parsed, as Redis does.
  bool wrong;
  LookupWrite(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  long double delta;
  if (!engine::ParseLongDouble(argv[2], &delta)) return ctx.reply.Error(errors::kNotFloat);
  std::string result;
  engine::OpStatus status = engine::IncrByFloat(ctx.db(), argv[1], delta, &result);
  if (status != engine::OpStatus::kOk) return ReplyOp(ctx, status);
  ctx.Notify(kNotifyString, "incrbyfloat", argv[1]);
  ctx.reply.Bulk(result);
  // The log: itself. Redis 7.2 logs SET key <result> KEEPTTL; here that would lose the "number"
  // KV type INCRBYFLOAT gives the key, and dkv's arithmetic (long double, the same formatting)
  // gives the same result on replay (docs/propagation.md).
}

void CmdAppend(CommandContext& ctx, Args argv) {
  int64_t len;
  engine::OpStatus status =
      engine::Append(ctx.db(), argv[1], argv[2], ctx.config().proto_max_bulk_len, &len);
  if (status != engine::OpStatus::kOk) return ReplyOp(ctx, status);
  ctx.Notify(kNotifyString, "append", argv[1]);
  ctx.reply.Integer(len);
}

void CmdStrLen(CommandContext& ctx, Args argv) {
  bool wrong;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(e->value_size()));
}

void CmdGetRange(CommandContext& ctx, Args argv) {
  int64_t start, end;
  if (!Int64OrReply(ctx.reply, argv[2], &start) || !Int64OrReply(ctx.reply, argv[3], &end)) return;
  bool wrong;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Bulk("");
  ctx.reply.Bulk(engine::Substring(e->value(), start, end));
}

void CmdSetRange(CommandContext& ctx, Args argv) {
  int64_t offset;
  if (!Int64OrReply(ctx.reply, argv[2], &offset)) return;
  if (offset < 0) return ctx.reply.Error("ERR offset is out of range");
  int64_t len;
  engine::OpStatus status =
      engine::SetRange(ctx.db(), argv[1], offset, argv[3], ctx.config().proto_max_bulk_len, &len);
  if (status != engine::OpStatus::kOk) return ReplyOp(ctx, status);
  // Nothing is written for an empty value (Redis sends no event then either).
  if (!argv[3].empty()) ctx.Notify(kNotifyString, "setrange", argv[1]);
  ctx.reply.Integer(len);
}

void CmdLcs(CommandContext& ctx, Args argv) {
  // Both keys are looked up and checked before the options are parsed, as Redis does.
  engine::Database& db = ctx.db();
  engine::Entry* ea = db.FindForRead(argv[1], !ctx.session.no_touch);
  engine::Entry* eb = db.FindForRead(argv[2], !ctx.session.no_touch);
  if ((ea != nullptr && ea->container()) || (eb != nullptr && eb->container())) {
    return ctx.reply.Error("ERR The specified keys must contain string values");
  }
  std::string_view a = ea ? ea->value() : std::string_view();
  std::string_view b = eb ? eb->value() : std::string_view();
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < argv.size(); ++j) {
    bool more = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "idx")) {
      want_idx = true;
    } else if (EqualsIgnoreCase(argv[j], "len")) {
      want_len = true;
    } else if (EqualsIgnoreCase(argv[j], "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(argv[j], "minmatchlen") && more) {
      if (!Int64OrReply(ctx.reply, argv[++j], &min_match_len)) return;
      if (min_match_len < 0) min_match_len = 0;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (want_len && want_idx) {
    return ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  uint64_t cells = (static_cast<uint64_t>(a.size()) + 1) * (static_cast<uint64_t>(b.size()) + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(ctx.config().proto_max_bulk_len)) {
    return ctx.reply.Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  engine::LcsResult lcs = engine::ComputeLcs(a, b, want_idx);
  if (want_len) return ctx.reply.Integer(static_cast<int64_t>(lcs.sequence.size()));
  if (!want_idx) return ctx.reply.Bulk(lcs.sequence);
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  size_t shown = 0;
  for (const auto& m : lcs.matches) {
    if (min_match_len == 0 || m.a_end - m.a_start + 1 >= min_match_len) ++shown;
  }
  ctx.reply.ArrayHeader(shown);
  for (const auto& m : lcs.matches) {
    int64_t len = m.a_end - m.a_start + 1;
    if (min_match_len != 0 && len < min_match_len) continue;
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(m.a_start);
    ctx.reply.Integer(m.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(m.b_start);
    ctx.reply.Integer(m.b_end);
    if (with_match_len) ctx.reply.Integer(len);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(static_cast<int64_t>(lcs.sequence.size()));
}

}  // namespace dkv::server
