// Functions family (Redis 7): FCALL, FCALL_RO and FUNCTION LOAD|DELETE|FLUSH|LIST|DUMP|RESTORE|
// STATS|KILL|HELP. The library registry is src/scripting/functions.h; functions run in the
// ScriptEngine (src/scripting/scripting.h).
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/errors.h"
#include "src/scripting/functions.h"
#include "src/scripting/script_api.h"

namespace dkv::server {
namespace {

Scripts* EngineOrReply(CommandContext& ctx) {
  if (ctx.services.scripts() == nullptr) ctx.reply.Error("ERR scripting is not available");
  return ctx.services.scripts();
}

void SubcommandSyntaxError(CommandContext& ctx, std::string_view sub) {
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                  "'. Try FUNCTION HELP.");
}

}  // namespace

void CmdFcall(CommandContext& ctx, Args argv) {
  ShowScriptCallToMonitors(ctx, argv);
  if (Scripts* e = EngineOrReply(ctx)) e->FunctionCall(ctx, argv, false);
}

void CmdFcallRo(CommandContext& ctx, Args argv) {
  ShowScriptCallToMonitors(ctx, argv);
  if (Scripts* e = EngineOrReply(ctx)) e->FunctionCall(ctx, argv, true);
}

void CmdFunctionLoad(CommandContext& ctx, Args argv) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < argv.size(); ++i) {
    if (!EqualsIgnoreCase(argv[i], "replace")) {
      return ctx.reply.Error("ERR Unknown option given: " + std::string(argv[i]));
    }
    replace = true;
  }
  std::string name, error;
  if (!e->functions().Load(argv[i], replace, &name, &error)) return ctx.reply.Error(error);
  ctx.services.propagation().MarkChanged();  // the log records it as it is (Redis 7.2)
  ctx.reply.Bulk(name);
}

void CmdFunctionDelete(CommandContext& ctx, Args argv) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  if (!e->functions().Delete(argv[2])) return ctx.reply.Error("ERR Library not found");
  ctx.services.propagation().MarkChanged();
  ctx.reply.Ok();
}

void CmdFunctionFlush(CommandContext& ctx, Args argv) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  if (argv.size() > 3) return SubcommandSyntaxError(ctx, argv[1]);
  if (argv.size() == 3 && !EqualsIgnoreCase(argv[2], "async") &&
      !EqualsIgnoreCase(argv[2], "sync")) {
    return ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  e->functions().Flush();
  ctx.services.propagation().MarkChanged();
  ctx.reply.Ok();
}

void CmdFunctionList(CommandContext& ctx, Args argv) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  bool with_code = false;
  bool named = false;
  std::string pattern;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (!with_code && EqualsIgnoreCase(argv[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!named && EqualsIgnoreCase(argv[i], "libraryname")) {
      if (i + 1 >= argv.size()) return ctx.reply.Error("ERR library name argument was not given");
      pattern = argv[++i];
      named = true;
      continue;
    }
    return ctx.reply.Error("ERR Unknown argument " + std::string(argv[i]));
  }
  e->functions().List(ctx.reply, named ? &pattern : nullptr, with_code);
}

void CmdFunctionDump(CommandContext& ctx, Args) {
  if (Scripts* e = EngineOrReply(ctx)) ctx.reply.Bulk(e->functions().Dump());
}

void CmdFunctionRestore(CommandContext& ctx, Args argv) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  if (argv.size() > 4) return SubcommandSyntaxError(ctx, argv[1]);
  auto policy = FunctionLibraries::RestorePolicy::kAppend;
  if (argv.size() == 4) {
    if (EqualsIgnoreCase(argv[3], "append")) {
      policy = FunctionLibraries::RestorePolicy::kAppend;
    } else if (EqualsIgnoreCase(argv[3], "replace")) {
      policy = FunctionLibraries::RestorePolicy::kReplace;
    } else if (EqualsIgnoreCase(argv[3], "flush")) {
      policy = FunctionLibraries::RestorePolicy::kFlush;
    } else {
      return ctx.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::string error;
  if (!e->functions().Restore(argv[2], policy, &error)) return ctx.reply.Error(error);
  ctx.services.propagation().MarkChanged();
  ctx.reply.Ok();
}

void CmdFunctionStats(CommandContext& ctx, Args) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("running_script");
  e->ReplyRunningScript(ctx.reply);
  ctx.reply.Bulk("engines");
  ctx.reply.MapHeader(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(e->functions().library_count()));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(e->functions().function_count()));
}

void CmdFunctionKill(CommandContext& ctx, Args) {
  Scripts* e = EngineOrReply(ctx);
  if (e == nullptr) return;
  if (std::string err = e->Kill(true); !err.empty()) return ctx.reply.Error(err);
  ctx.reply.Ok();
}

void CmdFunctionHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
      "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
