// Bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO on string
// values. Argument parsing and replies, as Redis 7.2 words them; the bit work and the writes are
// in engine/bit_ops.h.
#include <optional>
#include <vector>

#include "engine/bit_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

constexpr std::string_view kBadOffset = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBadBit = "ERR bit is not an integer or out of range";
constexpr std::string_view kBadBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 "
    "is.";

// A bit offset: a non-negative integer whose byte is below proto-max-bulk-len. With `bits` > 0
// (BITFIELD), "#N" means the N-th field of that width.
bool BitOffsetOrReply(CommandContext& ctx, std::string_view arg, unsigned bits, uint64_t* out) {
  bool positional = bits > 0 && !arg.empty() && arg[0] == '#';
  if (positional) arg.remove_prefix(1);
  int64_t v;
  if (!engine::ParseInt64(arg, &v) || v < 0 ||
      (positional && v > INT64_MAX / static_cast<int64_t>(bits))) {
    ctx.reply.Error(kBadOffset);
    return false;
  }
  if (positional) v *= static_cast<int64_t>(bits);
  if ((v >> 3) >= ctx.config().proto_max_bulk_len) {
    ctx.reply.Error(kBadOffset);
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// "BYTE" or "BIT" (any case); otherwise a syntax error.
bool UnitOrReply(CommandContext& ctx, std::string_view arg, bool* bit_units) {
  if (EqualsIgnoreCase(arg, "bit")) {
    *bit_units = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    *bit_units = false;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// The value of a string key for a read, or empty for a missing one (*exists false). For a key
// of another type, replies WRONGTYPE and sets *wrong (the handler returns).
std::string_view ReadValue(CommandContext& ctx, std::string_view key, bool* exists, bool* wrong) {
  engine::Entry* e = LookupRead(ctx, key, engine::Kind::kString, wrong);
  *exists = e != nullptr;
  return e == nullptr ? std::string_view() : e->value();
}

// The error of a failed bit write: WRONGTYPE, or the offset past the largest value.
void ReplyBitWriteError(CommandContext& ctx, engine::OpStatus status) {
  ctx.reply.Error(status == engine::OpStatus::kWrongType ? errors::kWrongType : kBadOffset);
}

// i1..i64 or u1..u63 (lower-case letter, as Redis).
bool BitfieldTypeOrReply(CommandContext& ctx, std::string_view arg, engine::BitfieldOp* op) {
  int64_t bits = 0;
  bool ok = !arg.empty() && (arg[0] == 'i' || arg[0] == 'u') &&
            engine::ParseInt64(arg.substr(1), &bits) && bits >= 1 &&
            bits <= (arg[0] == 'i' ? 64 : 63);
  if (!ok) {
    ctx.reply.Error(kBadBitfieldType);
    return false;
  }
  op->is_signed = arg[0] == 'i';
  op->bits = static_cast<unsigned>(bits);
  return true;
}

void ReplyResults(CommandContext& ctx, const std::vector<std::optional<int64_t>>& results) {
  ctx.reply.ArrayHeader(results.size());
  for (const std::optional<int64_t>& r : results) {
    if (r) {
      ctx.reply.Integer(*r);
    } else {
      ctx.reply.Null();
    }
  }
}

void Bitfield(CommandContext& ctx, Args argv, bool read_only_command) {
  std::vector<engine::BitfieldOp> ops;
  engine::Overflow overflow = engine::Overflow::kWrap;
  bool writes = false;
  for (size_t j = 2; j < argv.size(); ++j) {
    const size_t more = argv.size() - j - 1;
    std::string_view sub = argv[j];
    engine::BitfieldOp op;
    if (EqualsIgnoreCase(sub, "get") && more >= 2) {
      op.kind = engine::BitfieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && more >= 3) {
      op.kind = engine::BitfieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && more >= 3) {
      op.kind = engine::BitfieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && more >= 1) {
      std::string_view type = argv[++j];
      if (EqualsIgnoreCase(type, "wrap")) {
        overflow = engine::Overflow::kWrap;
      } else if (EqualsIgnoreCase(type, "sat")) {
        overflow = engine::Overflow::kSat;
      } else if (EqualsIgnoreCase(type, "fail")) {
        overflow = engine::Overflow::kFail;
      } else {
        return ctx.reply.Error("ERR Invalid OVERFLOW type specified");
      }
      continue;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (!BitfieldTypeOrReply(ctx, argv[j + 1], &op)) return;
    if (!BitOffsetOrReply(ctx, argv[j + 2], op.bits, &op.offset)) return;
    if (op.kind != engine::BitfieldOp::kGet) {
      writes = true;
      if (!Int64OrReply(ctx.reply, argv[j + 3], &op.value)) return;
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.kind == engine::BitfieldOp::kGet ? 2 : 3;
  }
  if (!writes) {
    bool exists, wrong;
    std::string_view value = ReadValue(ctx, argv[1], &exists, &wrong);
    if (wrong) return;
    return ReplyResults(ctx, engine::BitfieldRead(value, ops));
  }
  if (read_only_command) return ctx.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
  std::vector<std::optional<int64_t>> results;
  uint64_t dirty = ctx.keyspace().dirty();
  if (engine::OpStatus s = engine::BitfieldWrite(ctx.db(), argv[1], ops, &results);
      s != engine::OpStatus::kOk) {
    return ReplyBitWriteError(ctx, s);
  }
  // "setbit" when a SET or INCRBY changed the value (the engine counted it), as Redis.
  if (ctx.keyspace().dirty() != dirty) ctx.Notify(kNotifyString, "setbit", argv[1]);
  ReplyResults(ctx, results);
}

}  // namespace

void CmdSetBit(CommandContext& ctx, Args argv) {
  uint64_t offset;
  if (!BitOffsetOrReply(ctx, argv[2], 0, &offset)) return;
  int64_t on;
  if (!Int64OrReply(ctx.reply, argv[3], &on, kBadBit)) return;
  if (on != 0 && on != 1) return ctx.reply.Error(kBadBit);
  bool old = false;
  uint64_t dirty = ctx.keyspace().dirty();
  if (engine::OpStatus s = engine::SetBit(ctx.db(), argv[1], offset, on == 1, &old);
      s != engine::OpStatus::kOk) {
    return ReplyBitWriteError(ctx, s);
  }
  // Only a created or grown value or a flipped bit is a change (Redis' event and dirty alike).
  if (ctx.keyspace().dirty() != dirty) ctx.Notify(kNotifyString, "setbit", argv[1]);
  ctx.reply.Integer(old ? 1 : 0);
}

void CmdGetBit(CommandContext& ctx, Args argv) {
  uint64_t offset;
  if (!BitOffsetOrReply(ctx, argv[2], 0, &offset)) return;
  bool exists, wrong;
  std::string_view value = ReadValue(ctx, argv[1], &exists, &wrong);
  if (wrong) return;
  ctx.reply.Integer(static_cast<int64_t>(engine::GetUnsignedField(value, offset, 1)));
}

void CmdBitCount(CommandContext& ctx, Args argv) {
  int64_t start = 0, end = 0;
  bool bit_units = false, ranged = argv.size() == 4 || argv.size() == 5;
  if (ranged) {
    if (!Int64OrReply(ctx.reply, argv[2], &start) || !Int64OrReply(ctx.reply, argv[3], &end)) {
      return;
    }
    if (argv.size() == 5 && !UnitOrReply(ctx, argv[4], &bit_units)) return;
  } else if (argv.size() != 2) {
    return ctx.reply.Error(errors::kSyntax);
  }
  bool exists, wrong;
  std::string_view value = ReadValue(ctx, argv[1], &exists, &wrong);
  if (wrong) return;
  // Both ends negative and in the wrong order: empty, before any clamping (Redis 7.2).
  if (ranged && start < 0 && end < 0 && start > end) return ctx.reply.Integer(0);
  if (!ranged) end = -1;  // the whole value
  int64_t first, last;
  if (!engine::ResolveBitRange(static_cast<int64_t>(value.size()), start, end, bit_units, &first,
                               &last)) {
    return ctx.reply.Integer(0);
  }
  ctx.reply.Integer(static_cast<int64_t>(engine::CountBits(value, first, last)));
}

void CmdBitPos(CommandContext& ctx, Args argv) {
  int64_t bit;
  if (!Int64OrReply(ctx.reply, argv[2], &bit)) return;
  if (bit != 0 && bit != 1) return ctx.reply.Error("ERR The bit argument must be 1 or 0.");
  std::optional<engine::BitPosRange> range;
  if (argv.size() >= 4 && argv.size() <= 6) {
    range.emplace();
    if (!Int64OrReply(ctx.reply, argv[3], &range->start)) return;
    if (argv.size() == 6 && !UnitOrReply(ctx, argv[5], &range->bit_units)) return;
    if (argv.size() >= 5) {
      int64_t end;
      if (!Int64OrReply(ctx.reply, argv[4], &end)) return;
      range->end = end;
    }
  } else if (argv.size() != 3) {
    return ctx.reply.Error(errors::kSyntax);
  }
  bool exists, wrong;
  std::string_view value = ReadValue(ctx, argv[1], &exists, &wrong);
  if (wrong) return;
  // A missing key is an endless run of clear bits.
  if (!exists) return ctx.reply.Integer(bit ? -1 : 0);
  ctx.reply.Integer(engine::BitPos(value, bit == 1, range));
}

void CmdBitOp(CommandContext& ctx, Args argv) {
  std::string_view name = argv[1];
  engine::BitOpKind op;
  if (EqualsIgnoreCase(name, "and")) {
    op = engine::BitOpKind::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = engine::BitOpKind::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = engine::BitOpKind::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = engine::BitOpKind::kNot;
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  if (op == engine::BitOpKind::kNot && argv.size() != 4) {
    return ctx.reply.Error("ERR BITOP NOT must be called with a single source key.");
  }
  std::vector<std::string_view> sources;
  sources.reserve(argv.size() - 3);
  for (size_t j = 3; j < argv.size(); ++j) {
    bool exists, wrong;  // a source of another type is WRONGTYPE; the destination is overwritten
    sources.push_back(ReadValue(ctx, argv[j], &exists, &wrong));
    if (wrong) return;
  }
  bool existed = DestinationExisted(ctx, argv[2]);
  int64_t len = engine::BitOpStore(ctx.db(), op, argv[2], sources);
  NotifyStored(ctx, argv[2], kNotifyString, "set", len > 0, existed);
  ctx.reply.Integer(len);
}

void CmdBitField(CommandContext& ctx, Args argv) { Bitfield(ctx, argv, false); }

void CmdBitFieldRo(CommandContext& ctx, Args argv) { Bitfield(ctx, argv, true); }

}  // namespace dkv::server
