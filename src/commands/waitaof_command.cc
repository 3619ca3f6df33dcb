// WAITAOF numlocal numreplicas timeout (Redis 7.2): waits until this client's writes are in the
// local append-only log and fdatasync()ed (numlocal 1) and on `numreplicas` replicas (dkv has
// none: such a wait ends at its timeout), then replies [local, replicas]. The wait itself is
// the network layer's (ServerHooks::WaitAof); it never blocks the loop.
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/aof.h"
#include "src/core/aof_log.h"

namespace dkv::server {

namespace {

// Redis' getLongFromObjectOrReply + range check (getRangeLongFromObjectOrReply).
bool RangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                  std::string_view range_error, std::string_view parse_error, int64_t* out) {
  if (!engine::ParseInt64(arg, out)) {
    ctx.reply.Error(parse_error);
    return false;
  }
  if (*out < min || *out > max) {
    ctx.reply.Error(range_error);
    return false;
  }
  return true;
}

}  // namespace

void CmdWaitAof(CommandContext& ctx, Args argv) {
  int64_t numlocal = 0;
  int64_t numreplicas = 0;
  int64_t timeout = 0;
  if (!RangeOrReply(ctx, argv[1], 0, 1, "ERR value is out of range, value must between 0 and 1",
                    errors::kNotInteger, &numlocal) ||
      !RangeOrReply(ctx, argv[2], 0, INT64_MAX, "ERR value is out of range, must be positive",
                    "ERR value is out of range, must be positive", &numreplicas) ||
      !Int64OrReply(ctx.reply, argv[3], &timeout,
                    "ERR timeout is not an integer or out of range")) {
    return;
  }
  int64_t deadline = 0;
  if (!BlockDeadlineFromMsOrReply(ctx, timeout, &deadline)) return;
  Aof* aof = ctx.services.aof();
  if (numlocal != 0 && (aof == nullptr || !aof->enabled())) {
    return ctx.reply.Error(
        "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
  }
  // Without the log open nothing is synced: Redis' fsynced_reploff is -1 then.
  AofLog* log = ctx.services.aof_log();
  const uint64_t offset = ctx.session.aof_offset;
  const int acklocal = log != nullptr && log->is_open() && log->synced() >= offset ? 1 : 0;
  const bool may_block = !ctx.session.deny_blocking && !ctx.services.in_exec();
  if ((acklocal >= numlocal && numreplicas == 0) || !may_block || ctx.services.hooks() == nullptr ||
      !ctx.services.hooks()->WaitAof(&ctx.session, offset, static_cast<int>(numlocal),
                                     numreplicas > 0 ? 1 : 0, deadline)) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(acklocal);
    ctx.reply.Integer(0);
  }
}

}  // namespace dkv::server
