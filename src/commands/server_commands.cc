// Server family: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE,
// SHUTDOWN. COMMAND is in command_commands.cc, CONFIG in config_commands.cc, INFO, SLOWLOG, MEMORY
// and DEBUG in introspection_commands.cc.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unordered_set>

#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/config/config_rewrite.h"
#include "src/core/aof.h"
#include "src/core/command_docs.h"
#include "src/core/dispatcher.h"
#include "src/core/log.h"
#include "src/core/version.h"
#include "src/scripting/scripting.h"

namespace dkv::server {
namespace {

// Parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Returns false after replying an error.
bool FlushModeOrReply(CommandContext& ctx, Args argv, bool* async) {
  *async = ctx.config().lazyfree_lazy_user_flush;
  if (argv.size() > 2) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  if (argv.size() == 2) {
    if (EqualsIgnoreCase(argv[1], "async")) {
      *async = true;
    } else if (EqualsIgnoreCase(argv[1], "sync")) {
      *async = false;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Frees a flushed database's old contents: in the background for ASYNC (and enough of them),
// else here.
void Dispose(CommandContext& ctx, std::unique_ptr<engine::Database::Contents> contents,
             bool async) {
  if (async && ctx.services.hooks() != nullptr && contents->size() > 64) {
    ctx.services.hooks()->FreeLater(std::move(contents));
  }
}

}  // namespace

void CmdDbSize(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.db().size()));
}

void CmdFlushDb(CommandContext& ctx, Args argv) {
  bool async;
  if (!FlushModeOrReply(ctx, argv, &async)) return;
  Dispose(ctx, ctx.db().Flush(), async);
  ctx.reply.Ok();
  // The log: always (an empty database too, as Redis 7.2), without ASYNC/SYNC.
  if (ctx.Propagating()) ctx.PropagateAs({"FLUSHDB"});
}

void CmdFlushAll(CommandContext& ctx, Args argv) {
  bool async;
  if (!FlushModeOrReply(ctx, argv, &async)) return;
  ctx.keyspace().FlushAll(
      [&](std::unique_ptr<engine::Database::Contents> contents) {
        Dispose(ctx, std::move(contents), async);
      },
      [&] {
        // As Redis: a running background save is stopped, and with a schedule the (now empty)
        // snapshot is written at once, so a restart does not bring the flushed keys back.
        if (Backend& backend = ctx.services.backend(); backend.has_snapshot_file()) {
          backend.StopBackgroundSave();
          if (backend.HasSaveSchedule()) backend.Save();
        }
      });
  ctx.reply.Ok();
  // The log: always (empty databases too, as Redis 7.2), without ASYNC/SYNC.
  if (ctx.Propagating()) ctx.PropagateAs({"FLUSHALL"});
}

void CmdSwapDb(CommandContext& ctx, Args argv) {
  int a, b;
  if (!IntOrReply(ctx.reply, argv[1], &a, "ERR invalid first DB index")) return;
  if (!IntOrReply(ctx.reply, argv[2], &b, "ERR invalid second DB index")) return;
  int n = ctx.keyspace().numbered_count();
  if (a < 0 || a >= n || b < 0 || b >= n) return ctx.reply.Error(errors::kDbIndexRange);
  ctx.keyspace().Swap(a, b);  // WATCH and the PostgreSQL backend hear of it
  ctx.reply.Ok();
}

// --- misc ---

void CmdTime(CommandContext& ctx, Args) {
  int64_t us = ctx.services.clock().NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

// LOLWUT [VERSION version [...]]: Redis draws a piece of computer art and its version; dkv draws
// what it is about, a key path, and ends with the same line as Redis ("Redis ver. 7.2.4"), which
// clients look for. VERSION must be an integer, as in Redis; further arguments are ignored.
void CmdLolwut(CommandContext& ctx, Args argv) {
  if (argv.size() >= 3 && EqualsIgnoreCase(argv[1], "version")) {
    int64_t version;
    if (!Int64OrReply(ctx.reply, argv[2], &version)) return;
  }
  std::string art = "dkv\n `-- kv\n      `-- ver\n           `-- ";
  art += kDkvVersion;
  art += "\nRedis ver. ";
  art += kRedisCompatVersion;
  art += '\n';
  ctx.reply.Verbatim(art);
}

void CmdShutdown(CommandContext& ctx, Args argv) {
  // (Refused inside MULTI by its row's no_multi flag: its reply may wait for PostgreSQL, which
  // EXEC's cannot.)
  bool nosave = false, save = false, force = false, abort = false;
  for (size_t j = 1; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(argv[j], "save")) {
      save = true;
    } else if (EqualsIgnoreCase(argv[j], "force")) {
      force = true;
    } else if (EqualsIgnoreCase(argv[j], "abort")) {
      abort = true;
    } else if (!EqualsIgnoreCase(argv[j], "now")) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if ((nosave && save) || (abort && argv.size() > 2)) return ctx.reply.Error(errors::kSyntax);
  if (abort) {
    // Ends an exit's wait for PostgreSQL; the SHUTDOWNs that waited get the error.
    if (!ctx.services.hooks()->AbortShutdown())
      return ctx.reply.Error("ERR No shutdown in progress.");
    return ctx.reply.Ok();
  }
  if (ctx.services.scripts() != nullptr && ctx.services.scripts()->busy()) {
    // Only SHUTDOWN NOSAVE gets past a busy script: it stops the script, saves nothing.
    if (!nosave) return ctx.reply.Error(ctx.services.scripts()->busy_error());
    ctx.services.scripts()->KillForShutdown();
    return ctx.services.hooks()->RequestShutdown();
  }
  if (ctx.services.hooks()->ShutdownPending()) {
    // An exit already waits for PostgreSQL: this SHUTDOWN joins it (as Redis 7's), or with
    // FORCE exits now without waiting further.
    if (force) return ctx.services.hooks()->RequestShutdown();
    return ctx.services.hooks()->ShutdownAfterCommit(&ctx.session);
  }
  if (Backend& backend = ctx.services.backend(); backend.has_snapshot_file()) {
    backend.StopBackgroundSave();
    if (save || (!nosave && backend.FinalSaveWanted())) {
      Log(LogLevel::kNotice, "Saving the final snapshot before exiting.");
      if (!backend.Save().empty()) {
        if (!force) {
          Log(LogLevel::kWarning, "Error trying to save the DB, can't exit.");
          return ctx.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
        }
        Log(LogLevel::kWarning, "Error trying to save the DB, exiting anyway (FORCE).");
      }
    }
  }
  // The PostgreSQL backend's queue is committed first, while other clients are served; this
  // client's reply waits for the outcome (FORCE: it exits, committing what it can on the way out).
  if (force) return ctx.services.hooks()->RequestShutdown();
  ctx.services.hooks()->ShutdownAfterCommit(&ctx.session);
}

// --- SAVE, BGSAVE, LASTSAVE ---

void CmdSave(CommandContext& ctx, Args) {
  Backend& backend = ctx.services.backend();
  if (!backend.has_snapshot_file()) return ctx.reply.Error("ERR no snapshot file is configured");
  if (backend.SaveInProgress()) return ctx.reply.Error("ERR Background save already in progress");
  if (std::string err = backend.Save(); !err.empty()) return ctx.reply.Error("ERR " + err);
  ctx.reply.Ok();
}

void CmdBgSave(CommandContext& ctx, Args argv) {
  bool schedule = false;
  if (argv.size() > 1) {
    if (argv.size() != 2 || !EqualsIgnoreCase(argv[1], "schedule")) {
      return ctx.reply.Error(errors::kSyntax);
    }
    schedule = true;
  }
  Backend& backend = ctx.services.backend();
  if (!backend.has_snapshot_file()) return ctx.reply.Error("ERR no snapshot file is configured");
  if (backend.SaveInProgress()) return ctx.reply.Error("ERR Background save already in progress");
  if (ctx.services.in_exec()) {
    // Not inside a transaction's atomic run: the save starts from the cron right after it.
    backend.ScheduleBackgroundSave();
    return ctx.reply.Simple("Background saving scheduled");
  }
  // A rewrite of the append-only log is the other child (one at a time, as Redis).
  if (ctx.services.aof() != nullptr && ctx.services.aof()->rewrite_in_progress()) {
    if (!schedule) {
      return ctx.reply.Error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
          "SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    backend.ScheduleBackgroundSave();
    return ctx.reply.Simple("Background saving scheduled");
  }
  if (std::string err = backend.StartBackgroundSave(); !err.empty()) {
    return ctx.reply.Error("ERR " + err);
  }
  ctx.reply.Simple("Background saving started");
}

void CmdBgRewriteAof(CommandContext& ctx, Args) {
  Aof* aof = ctx.services.aof();
  if (aof == nullptr) return ctx.reply.Error("ERR the append-only log is not available");
  bool scheduled = false;
  if (ctx.services.in_exec() && !aof->rewrite_in_progress()) {
    // Not inside a transaction's atomic run: the cron starts it right after (as Redis).
    aof->ScheduleRewrite();
    scheduled = true;
  } else if (std::string err = aof->StartRewrite(&scheduled); !err.empty()) {
    return ctx.reply.Error(err);
  }
  ctx.reply.Simple(scheduled ? "Background append only file rewriting scheduled"
                             : "Background append only file rewriting started");
}

void CmdLastSave(CommandContext& ctx, Args) {
  Backend& backend = ctx.services.backend();
  ctx.reply.Integer(backend.has_snapshot_file() ? backend.snapshot_status().last_save_s
                                                : ctx.services.start_ms() / 1000);
}

}  // namespace dkv::server
