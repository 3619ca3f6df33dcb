// Redis 8.4's conditional writes on strings (DELEX, DIGEST, MSETEX; SET's IFxx options live with
// SET) and Valkey's DELIFEQ.
#include "engine/metadata.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {

void CmdDigest(CommandContext& ctx, Args argv) {
  bool wrong;  // a digest of strings only: WRONGTYPE for a hash or a set, as Redis 8.4
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(engine::ChecksumHex(engine::Checksum(e->value())));
}

void CmdDelEx(CommandContext& ctx, Args argv) {
  Condition condition = Condition::kNone;
  std::string_view operand;
  uint64_t digest = 0;
  if (argv.size() != 2) {
    if (argv.size() != 4) return ctx.reply.Error(errors::kSyntax);
    std::string_view w = argv[2];
    if (EqualsIgnoreCase(w, "ifeq")) {
      condition = Condition::kIfEq;
    } else if (EqualsIgnoreCase(w, "ifne")) {
      condition = Condition::kIfNe;
    } else if (EqualsIgnoreCase(w, "ifdeq")) {
      condition = Condition::kIfDeq;
    } else if (EqualsIgnoreCase(w, "ifdne")) {
      condition = Condition::kIfDne;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
    operand = argv[3];
    if ((condition == Condition::kIfDeq || condition == Condition::kIfDne) &&
        !engine::ParseChecksumHex(operand, &digest)) {
      return ctx.reply.Error(errors::kBadDigest);
    }
  }
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  // A condition compares string values: WRONGTYPE for a container (Redis 8.4); without one
  // DELEX deletes a key of any type, as DEL.
  if (e != nullptr && e->container() && condition != Condition::kNone) {
    return ctx.reply.Error(errors::kWrongType);
  }
  // A missing key is never deleted, whatever the condition.
  if (e == nullptr || !ConditionHolds(condition, e, operand, digest)) return ctx.reply.Integer(0);
  db.Delete(e);
  ctx.Notify(kNotifyGeneric, "del", argv[1]);
  ctx.reply.Integer(1);
}

void CmdDelIfEq(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  bool wrong;  // Valkey's DELIFEQ compares strings only
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr || e->value() != argv[2]) return ctx.reply.Integer(0);
  db.Delete(e);
  ctx.Notify(kNotifyGeneric, "del", argv[1]);
  ctx.reply.Integer(1);
}

void CmdMSetEx(CommandContext& ctx, Args argv) {
  int64_t numkeys;
  if (!Int64OrReply(ctx.reply, argv[1], &numkeys)) return;
  if (numkeys < 1) return ctx.reply.Error("ERR numkeys should be greater than 0");
  if (static_cast<uint64_t>(numkeys) > (argv.size() - 2) / 2) {
    return ctx.reply.Error(errors::WrongArity("msetex"));
  }
  size_t first_option = 2 + 2 * static_cast<size_t>(numkeys);
  bool nx = false, xx = false, conflict = false;
  ExpiryOption expiry;
  for (size_t j = first_option; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nx") && !xx) {
      nx = true;
    } else if (EqualsIgnoreCase(argv[j], "xx") && !nx) {
      xx = true;
    } else if (!TakeExpiryOption(argv, &j, &expiry, &conflict)) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (conflict) return ctx.reply.Error(errors::kSyntax);
  int64_t when_ms;
  if (!ResolveExpiry(ctx, expiry, "msetex", &when_ms)) return;
  engine::Database& db = ctx.db();
  if (nx || xx) {
    for (size_t i = 2; i < first_option; i += 2) {
      bool exists = db.Find(argv[i]) != nullptr;
      if ((nx && exists) || (xx && !exists)) return ctx.reply.Integer(0);
    }
  }
  bool keep_ttl = expiry.kind == ExpiryOption::kKeepTtl;
  for (size_t i = 2; i < first_option; i += 2) {
    StoreValue(ctx, argv[i], argv[i + 1], when_ms, keep_ttl);
    ctx.Notify(kNotifyString, "set", argv[i]);
    if (when_ms != 0) ctx.Notify(kNotifyGeneric, "expire", argv[i]);
  }
  ctx.reply.Integer(1);
  // The log: a relative or second expiry as PXAT, without NX/XX (they held).
  if (when_ms != 0 && expiry.kind != ExpiryOption::kPxAt) {
    std::vector<std::string> effect(argv.begin(), argv.begin() + first_option);
    effect.insert(effect.end(), {"PXAT", std::to_string(when_ms)});
    ctx.PropagateAs(std::move(effect));
  }
}

}  // namespace dkv::server
