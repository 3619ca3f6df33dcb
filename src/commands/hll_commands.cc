// HyperLogLog family: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. The representation and the
// write operations are the engine's (engine/hyperloglog.h); these parse, pick the reply and map
// the engine's status to Redis' errors.
#include <string>
#include <vector>

#include "engine/hyperloglog.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

namespace hll = engine::hll;

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

std::vector<std::string_view> Rest(Args argv, size_t from) {
  std::vector<std::string_view> out;
  for (size_t i = from; i < argv.size(); ++i) out.emplace_back(argv[i]);
  return out;
}

// Replies the error for a failed status; false when there was none.
bool ReplyFailure(CommandContext& ctx, hll::Status status) {
  switch (status) {
    case hll::Status::kOk:
      return false;
    case hll::Status::kWrongType:
      ctx.reply.Error(kNotHll);
      return true;
    case hll::Status::kNotString:
      ctx.reply.Error(errors::kWrongType);
      return true;
    case hll::Status::kCorrupt:
      ctx.reply.Error(kCorrupt);
      return true;
    case hll::Status::kNoKey:
      ctx.reply.Error("ERR The specified key does not exist");
      return true;
  }
  return false;
}

}  // namespace

void CmdPfAdd(CommandContext& ctx, Args argv) {
  bool changed = false;
  hll::Status s =
      hll::PfAdd(ctx.db(), argv[1], Rest(argv, 2), ctx.config().hll_sparse_max_bytes, &changed);
  if (ReplyFailure(ctx, s)) return;
  if (changed) ctx.Notify(kNotifyString, "pfadd", argv[1]);
  ctx.reply.Integer(changed ? 1 : 0);
}

void CmdPfCount(CommandContext& ctx, Args argv) {
  uint64_t count = 0;
  hll::Status s = argv.size() == 2 ? hll::PfCountOne(ctx.db(), argv[1], &count)
                                   : hll::PfCountUnion(ctx.db(), Rest(argv, 1), &count);
  if (ReplyFailure(ctx, s)) return;
  ctx.reply.Integer(static_cast<int64_t>(count));
}

void CmdPfMerge(CommandContext& ctx, Args argv) {
  hll::Status s = hll::PfMerge(ctx.db(), argv[1], Rest(argv, 2), ctx.config().hll_sparse_max_bytes);
  if (ReplyFailure(ctx, s)) return;
  // Redis sends "pfadd" for a merge too (a mass add).
  ctx.Notify(kNotifyString, "pfadd", argv[1]);
  ctx.reply.Ok();
}

// PFDEBUG <subcommand> <key>: the key must exist and be a HyperLogLog before the subcommand is
// looked at, as in Redis.
void CmdPfDebug(CommandContext& ctx, Args argv) {
  std::string_view sub = argv[1];
  engine::Entry* e = ctx.db().Find(argv[2]);
  if (e == nullptr) return ctx.reply.Error("ERR The specified key does not exist");
  if (e->container()) return ctx.reply.Error(errors::kWrongType);
  if (!hll::LooksLikeHll(e->value())) return ctx.reply.Error(kNotHll);
  if (EqualsIgnoreCase(sub, "getreg")) {
    bool converted;
    if (ReplyFailure(ctx, hll::PfToDense(ctx.db(), argv[2], &converted))) return;
    e = ctx.db().Find(argv[2]);
    hll::Registers regs = hll::DenseRegisters(e->value());
    ctx.reply.ArrayHeader(regs.size());
    for (uint8_t r : regs) ctx.reply.Integer(r);
  } else if (EqualsIgnoreCase(sub, "decode")) {
    if (!hll::IsSparse(e->value())) return ctx.reply.Error("ERR HLL encoding is not sparse");
    auto text = hll::DecodeSparse(e->value());
    if (!text) return ctx.reply.Error(kCorrupt);
    ctx.reply.Bulk(*text);
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.reply.Simple(hll::IsSparse(e->value()) ? "sparse" : "dense");
  } else if (EqualsIgnoreCase(sub, "todense")) {
    bool converted = false;
    if (ReplyFailure(ctx, hll::PfToDense(ctx.db(), argv[2], &converted))) return;
    ctx.reply.Integer(converted ? 1 : 0);
  } else {
    ctx.reply.Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
}

void CmdPfSelfTest(CommandContext& ctx, Args) {
  std::string failure = hll::SelfTest();
  if (!failure.empty()) return ctx.reply.Error(failure);
  ctx.reply.Ok();
}

}  // namespace dkv::server
