// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
#include "src/commands/handlers.h"
#include "src/core/dispatcher.h"
#include "src/core/errors.h"

namespace dkv::server {
namespace {
void DiscardTransaction(CommandContext& ctx) {
  ctx.session.queued.clear();
  ctx.session.in_multi = false;
  ctx.session.multi_error = false;
  ctx.services.watches().UnwatchAll(&ctx.session);
}

// A watched key that was live at WATCH time and is logically expired now counts as changed.
bool WatchedKeyExpired(CommandContext& ctx) {
  for (const WatchedKey& w : ctx.session.watched) {
    if (w.expired_at_watch) continue;
    engine::Database& db = ctx.keyspace().db(w.db);
    engine::Entry* e = db.FindRaw(w.key);
    if (e != nullptr && db.IsExpired(e)) return true;
  }
  return false;
}
}  // namespace

void CmdMulti(CommandContext& ctx, Args) {
  if (ctx.session.in_multi) return ctx.reply.Error("ERR MULTI calls can not be nested");
  ctx.session.in_multi = true;
  ctx.session.multi_error = false;
  ctx.session.queued.clear();
  ctx.reply.Ok();
}

void CmdExec(CommandContext& ctx, Args) {
  Session& s = ctx.session;
  if (!s.in_multi) return ctx.reply.Error("ERR EXEC without MULTI");
  if (WatchedKeyExpired(ctx)) s.watch_dirty = true;
  if (s.multi_error || s.watch_dirty) {
    if (s.multi_error) {
      ctx.reply.Error(errors::kExecAbort);
    } else {
      ctx.reply.NullArray();
    }
    DiscardTransaction(ctx);
    return;
  }
  ctx.services.watches().UnwatchAll(&s);
  ctx.services.dispatcher().ExecQueued(s, ctx.reply);
  s.multi_error = false;
}

void CmdDiscard(CommandContext& ctx, Args) {
  if (!ctx.session.in_multi) return ctx.reply.Error("ERR DISCARD without MULTI");
  DiscardTransaction(ctx);
  ctx.reply.Ok();
}

void CmdWatch(CommandContext& ctx, Args argv) {
  if (ctx.session.in_multi) return ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
  // A client whose transaction is already doomed need not watch more keys.
  if (!ctx.session.watch_dirty) {
    engine::Database& db = ctx.db();
    for (size_t i = 1; i < argv.size(); ++i) {
      engine::Entry* e = db.FindRaw(argv[i]);
      bool expired = e != nullptr && db.IsExpired(e);
      ctx.services.watches().Watch(&ctx.session, ctx.session.db, argv[i], expired);
    }
  }
  ctx.reply.Ok();
}

void CmdUnwatch(CommandContext& ctx, Args) {
  ctx.services.watches().UnwatchAll(&ctx.session);
  ctx.reply.Ok();
}

}  // namespace dkv::server
