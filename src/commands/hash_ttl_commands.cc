// Hash field expiration, as Redis 7.4 / 8.0 define it: HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT,
// HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST, HGETEX, HSETEX, HGETDEL. The times and
// their deletion are the engine's (engine/hash_ttl.h); these parse `FIELDS numfields field ...`
// and the time options, and reply one code or value per field.
#include <string>
#include <vector>

#include "engine/hash_ops.h"
#include "engine/hash_ttl.h"
#include "engine/keyspace.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

using engine::Kind;

constexpr std::string_view kFieldsMissing =
    "ERR Mandatory argument FIELDS is missing or not at the right position";
constexpr std::string_view kNumFields = "ERR Parameter `numFields` should be greater than 0";
constexpr std::string_view kNumFieldsMismatch =
    "ERR The `numfields` parameter must match the number of arguments";
// Redis keeps field times below 2^48 ms.
constexpr int64_t kMaxFieldTime = (int64_t{1} << 48) - 1;

// Parses `FIELDS numfields f1 ... fn` at argv[at]: `per` words per field (1, or 2 for HSETEX's
// field value pairs), ending the command. False after replying the error.
bool FieldsOrReply(CommandContext& ctx, Args argv, size_t at, size_t per,
                   std::vector<std::string_view>* words) {
  if (at >= argv.size() || !EqualsIgnoreCase(argv[at], "fields")) {
    ctx.reply.Error(kFieldsMissing);
    return false;
  }
  int64_t n;
  if (at + 1 >= argv.size() || !engine::ParseInt64(argv[at + 1], &n) || n <= 0) {
    ctx.reply.Error(kNumFields);
    return false;
  }
  size_t left = argv.size() - at - 2;
  if (static_cast<uint64_t>(n) > left / per || static_cast<size_t>(n) * per != left) {
    ctx.reply.Error(kNumFieldsMismatch);
    return false;
  }
  for (size_t i = at + 2; i < argv.size(); ++i) words->emplace_back(argv[i]);
  return true;
}

// The hash at `key` with its due fields gone (nullptr: none), or *wrong after -WRONGTYPE.
engine::Entry* LiveHash(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  engine::Entry* e =
      write ? LookupWrite(ctx, key, Kind::kHash, wrong) : LookupRead(ctx, key, Kind::kHash, wrong);
  if (e == nullptr || ctx.db().keyspace().expiry_paused()) return e;
  return engine::ExpireDueFields(ctx.db(), e);
}

// The log of HGETEX / HSETEX with a relative time (EX, PX) or EXAT: the same command with
// `PXAT <when_ms>`, so that a replay later sets the same times. `arg` is the option's argument
// (a view into `argv`).
void PropagateWithPxAt(CommandContext& ctx, Args argv, std::string_view arg, int64_t when_ms) {
  if (!ctx.Propagating()) return;
  std::vector<std::string> out(argv.begin(), argv.end());
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].data() != arg.data()) continue;
    out[i - 1] = "PXAT";
    out[i] = std::to_string(when_ms);
  }
  ctx.PropagateAs(std::move(out));
}

void ReplyCodes(CommandContext& ctx, const std::vector<int>& codes) {
  ctx.reply.ArrayHeader(codes.size());
  for (int c : codes) ctx.reply.Integer(c);
}

// HEXPIRE key time [NX | XX | GT | LT] FIELDS numfields field ...
void ExpireGeneric(CommandContext& ctx, Args argv, bool seconds, bool relative) {
  int64_t t;
  if (!Int64OrReply(ctx.reply, argv[2], &t)) return;
  engine::FieldTtlCondition cond = engine::FieldTtlCondition::kNone;
  size_t at = 3;
  if (at < argv.size()) {
    std::string_view w = argv[at];
    if (EqualsIgnoreCase(w, "nx")) cond = engine::FieldTtlCondition::kNx;
    if (EqualsIgnoreCase(w, "xx")) cond = engine::FieldTtlCondition::kXx;
    if (EqualsIgnoreCase(w, "gt")) cond = engine::FieldTtlCondition::kGt;
    if (EqualsIgnoreCase(w, "lt")) cond = engine::FieldTtlCondition::kLt;
    if (cond != engine::FieldTtlCondition::kNone) ++at;
  }
  std::vector<std::string_view> fields;
  if (!FieldsOrReply(ctx, argv, at, 1, &fields)) return;
  std::string name = ToLower(argv[0]);
  if (t < 0) return ctx.reply.Error("ERR invalid expire time, must be >= 0");
  int64_t when = t;
  if (seconds) {
    if (when > kMaxFieldTime / 1000) return ctx.reply.Error(errors::InvalidExpire(name));
    when *= 1000;
  }
  if (relative) {
    if (when > kMaxFieldTime - ctx.db().keyspace().now_ms()) {
      return ctx.reply.Error(errors::InvalidExpire(name));
    }
    when += ctx.db().keyspace().now_ms();
  }
  if (when > kMaxFieldTime) return ctx.reply.Error(errors::InvalidExpire(name));
  bool wrong;
  engine::Entry* e = LiveHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  if (e == nullptr) return ReplyCodes(ctx, std::vector<int>(fields.size(), -2));
  std::vector<int> codes = engine::ExpireFields(ctx.db(), e, fields, when, cond);
  ReplyCodes(ctx, codes);
  // Redis 7.4: "hdel" when a time in the past deleted fields (then "del" with the last one),
  // else "hexpire" when any time was set.
  bool deleted = false, set = false;
  for (int c : codes) {
    deleted |= c == 2;
    set |= c == 1;
  }
  if (deleted) {
    ctx.Notify(kNotifyHash, "hdel", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
  } else if (set) {
    ctx.Notify(kNotifyHash, "hexpire", argv[1]);
  }
  // The log, Redis 7.4's form: HPEXPIREAT with the absolute time in ms (the same fields and
  // condition replay to the same codes on the same data).
  if ((deleted || set) && (seconds || relative) && ctx.Propagating()) {
    std::vector<std::string> out(argv.begin(), argv.end());
    out[0] = "HPEXPIREAT";
    out[2] = std::to_string(when);
    ctx.PropagateAs(std::move(out));
  }
}

// HTTL family: `unit` ms per reply unit; `absolute` for the *EXPIRETIME ones.
void TtlGeneric(CommandContext& ctx, Args argv, int64_t unit, bool absolute) {
  std::vector<std::string_view> fields;
  if (!FieldsOrReply(ctx, argv, 2, 1, &fields)) return;
  bool wrong;
  engine::Entry* e = LiveHash(ctx, argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(fields.size());
  int64_t now = ctx.db().keyspace().now_ms();
  for (std::string_view f : fields) {
    std::string_view v;
    if (e == nullptr || !engine::HashGet(e, f, &v)) {
      ctx.reply.Integer(-2);
      continue;
    }
    int64_t when = engine::FieldTtl(e, f);
    if (when == 0) {
      ctx.reply.Integer(-1);
    } else if (absolute) {
      ctx.reply.Integer(when / unit);
    } else {
      int64_t left = when - now;
      ctx.reply.Integer(unit == 1 ? left : (left + 500) / 1000);
    }
  }
}

}  // namespace

void CmdHExpire(CommandContext& ctx, Args argv) { ExpireGeneric(ctx, argv, true, true); }
void CmdHPExpire(CommandContext& ctx, Args argv) { ExpireGeneric(ctx, argv, false, true); }
void CmdHExpireAt(CommandContext& ctx, Args argv) { ExpireGeneric(ctx, argv, true, false); }
void CmdHPExpireAt(CommandContext& ctx, Args argv) { ExpireGeneric(ctx, argv, false, false); }
void CmdHTtl(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, 1000, false); }
void CmdHPTtl(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, 1, false); }
void CmdHExpireTime(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, 1000, true); }
void CmdHPExpireTime(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, 1, true); }

void CmdHPersist(CommandContext& ctx, Args argv) {
  std::vector<std::string_view> fields;
  if (!FieldsOrReply(ctx, argv, 2, 1, &fields)) return;
  bool wrong;
  engine::Entry* e = LiveHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  if (e == nullptr) return ReplyCodes(ctx, std::vector<int>(fields.size(), -2));
  std::vector<int> codes = engine::PersistFields(ctx.db(), e, fields);
  ReplyCodes(ctx, codes);
  for (int c : codes) {
    if (c == 1) return ctx.Notify(kNotifyHash, "hpersist", argv[1]);
  }
}

namespace {

// The events of HGETEX's and HSETEX's field times (Redis 8): "hpersist" for PERSIST (when_ms 0),
// "hdel" (and "del" with the last field) for a time not in the future, else "hexpire".
void NotifyFieldTimes(CommandContext& ctx, std::string_view key, int64_t when_ms) {
  if (when_ms == 0) return ctx.Notify(kNotifyHash, "hpersist", key);
  if (when_ms <= ctx.keyspace().now_ms()) {
    ctx.Notify(kNotifyHash, "hdel", key);
    return NotifyDelIfGone(ctx, key);
  }
  ctx.Notify(kNotifyHash, "hexpire", key);
}

// HGETEX's and HGETDEL's reply: each field's value, or nil (`e` may be nullptr: no hash).
void ReplyFieldValues(CommandContext& ctx, engine::Entry* e,
                      const std::vector<std::string_view>& fields) {
  ctx.reply.ArrayHeader(fields.size());
  for (std::string_view f : fields) {
    std::string_view v;
    if (e != nullptr && engine::HashGet(e, f, &v)) {
      ctx.reply.Bulk(v);
    } else {
      ctx.reply.Null();
    }
  }
}

}  // namespace

// HGETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST] FIELDS numfields field ...
void CmdHGetEx(CommandContext& ctx, Args argv) {
  ExpiryOption opt;
  bool persist = false;
  size_t at = 2;
  while (at < argv.size() && !EqualsIgnoreCase(argv[at], "fields")) {
    bool conflict = false;
    size_t j = at;
    if (EqualsIgnoreCase(argv[at], "persist")) {
      if (persist || opt.kind != ExpiryOption::kNone) {
        return ctx.reply.Error(
            "ERR Only one of EX, PX, EXAT, PXAT or PERSIST arguments can be specified");
      }
      persist = true;
      ++at;
      continue;
    }
    if (EqualsIgnoreCase(argv[at], "keepttl") || !TakeExpiryOption(argv, &j, &opt, &conflict)) {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (conflict || persist) {
      return ctx.reply.Error(
          "ERR Only one of EX, PX, EXAT, PXAT or PERSIST arguments can be specified");
    }
    at = j + 1;
  }
  std::vector<std::string_view> fields;
  if (!FieldsOrReply(ctx, argv, at, 1, &fields)) return;
  int64_t when = 0;
  if (!ResolveExpiry(ctx, opt, "hgetex", &when)) return;
  bool wrong;
  engine::Entry* e = LiveHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  ReplyFieldValues(ctx, e, fields);
  if (e == nullptr || (!persist && opt.kind == ExpiryOption::kNone)) return;
  engine::SetFieldTimes(ctx.db(), e, fields, persist ? 0 : when);
  NotifyFieldTimes(ctx, argv[1], persist ? 0 : when);
  if (!persist && opt.kind != ExpiryOption::kPxAt) PropagateWithPxAt(ctx, argv, opt.arg, when);
}

// HSETEX key [FNX | FXX] [EX s | PX ms | EXAT t | PXAT t | KEEPTTL] FIELDS numfields f v ...
void CmdHSetEx(CommandContext& ctx, Args argv) {
  ExpiryOption opt;
  bool fnx = false, fxx = false;
  size_t at = 2;
  while (at < argv.size() && !EqualsIgnoreCase(argv[at], "fields")) {
    if (EqualsIgnoreCase(argv[at], "fnx") || EqualsIgnoreCase(argv[at], "fxx")) {
      bool nx = EqualsIgnoreCase(argv[at], "fnx");
      if ((nx && fxx) || (!nx && fnx)) {
        return ctx.reply.Error("ERR Only one of FXX or FNX arguments can be specified");
      }
      (nx ? fnx : fxx) = true;
      ++at;
      continue;
    }
    bool conflict = false;
    size_t j = at;
    if (!TakeExpiryOption(argv, &j, &opt, &conflict)) return ctx.reply.Error(errors::kSyntax);
    if (conflict) {
      return ctx.reply.Error(
          "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified");
    }
    at = j + 1;  // j is the last word the option took
  }
  std::vector<std::string_view> words;
  if (!FieldsOrReply(ctx, argv, at, 2, &words)) return;
  int64_t when = 0;
  if (!ResolveExpiry(ctx, opt, "hsetex", &when)) return;
  bool wrong;
  engine::Entry* e = LiveHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  std::vector<engine::FieldValue> pairs;
  std::vector<std::string_view> fields;
  for (size_t i = 0; i + 1 < words.size(); i += 2) {
    pairs.emplace_back(words[i], words[i + 1]);
    fields.push_back(words[i]);
  }
  if (fnx || fxx) {
    for (std::string_view f : fields) {
      std::string_view v;
      bool exists = e != nullptr && engine::HashGet(e, f, &v);
      if (exists != fxx) return ctx.reply.Integer(0);
    }
  }
  engine::HashSet(ctx.db(), argv[1], pairs, false, opt.kind == ExpiryOption::kKeepTtl);
  ctx.Notify(kNotifyHash, "hset", argv[1]);
  if (when != 0) {
    if (engine::Entry* h = ctx.db().FindRaw(argv[1])) {
      engine::SetFieldTimes(ctx.db(), h, fields, when, true);
      NotifyFieldTimes(ctx, argv[1], when);
    }
    if (opt.kind != ExpiryOption::kPxAt) PropagateWithPxAt(ctx, argv, opt.arg, when);
  }
  ctx.reply.Integer(1);
}

void CmdHGetDel(CommandContext& ctx, Args argv) {
  std::vector<std::string_view> fields;
  if (!FieldsOrReply(ctx, argv, 2, 1, &fields)) return;
  bool wrong;
  engine::Entry* e = LiveHash(ctx, argv[1], true, &wrong);
  if (wrong) return;
  ReplyFieldValues(ctx, e, fields);
  if (e != nullptr && engine::HashDelete(ctx.db(), e, fields) > 0) {
    ctx.Notify(kNotifyHash, "hdel", argv[1]);
    NotifyDelIfGone(ctx, argv[1]);
  }
}

}  // namespace dkv::server
