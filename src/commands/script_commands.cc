// Scripting family: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP. The
// interpreter is src/scripting/scripting.h.
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/dispatcher.h"
#include "src/core/errors.h"
#include "src/scripting/script_api.h"

namespace dkv::server {
namespace {

Scripts* ScriptEngineOrReply(CommandContext& ctx) {
  if (ctx.services.scripts() == nullptr) ctx.reply.Error("ERR scripting is not available");
  return ctx.services.scripts();
}

Scripts* EvalEngineOrReply(CommandContext& ctx, Args argv) {
  ShowScriptCallToMonitors(ctx, argv);
  return ScriptEngineOrReply(ctx);
}

}  // namespace

// EVAL, EVALSHA, FCALL and FCALL_RO are shown to MONITOR before their script runs, as Redis, so
// that the script's commands ("[db lua]") come after them; their rows are kSkipMonitor, so the
// dispatcher does not show them again. A run that is repeated (the cache tier's read back) was
// shown the first time.
void ShowScriptCallToMonitors(CommandContext& ctx, Args argv) {
  if (!ctx.services.clients().monitors().empty() && !ctx.session.rerun) {
    Dispatcher& d = ctx.services.dispatcher();
    if (const CommandSpec* spec = d.Resolve(argv)) d.FeedMonitors(*spec, ctx.session, argv);
  }
}

void CmdEval(CommandContext& ctx, Args argv) {
  if (Scripts* e = EvalEngineOrReply(ctx, argv)) e->Eval(ctx, argv, false, false);
}

void CmdEvalSha(CommandContext& ctx, Args argv) {
  if (Scripts* e = EvalEngineOrReply(ctx, argv)) e->Eval(ctx, argv, true, false);
}

void CmdEvalRo(CommandContext& ctx, Args argv) {
  if (Scripts* e = EvalEngineOrReply(ctx, argv)) e->Eval(ctx, argv, false, true);
}

void CmdEvalShaRo(CommandContext& ctx, Args argv) {
  if (Scripts* e = EvalEngineOrReply(ctx, argv)) e->Eval(ctx, argv, true, true);
}

void CmdScriptLoad(CommandContext& ctx, Args argv) {
  Scripts* e = ScriptEngineOrReply(ctx);
  if (e == nullptr) return;
  std::string sha, error;
  if (!e->Load(argv[2], &sha, &error)) return ctx.reply.Error(error);
  ctx.reply.Bulk(sha);
}

void CmdScriptExists(CommandContext& ctx, Args argv) {
  Scripts* e = ScriptEngineOrReply(ctx);
  if (e == nullptr) return;
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) ctx.reply.Integer(e->Exists(argv[i]) ? 1 : 0);
}

void CmdScriptFlush(CommandContext& ctx, Args argv) {
  Scripts* e = ScriptEngineOrReply(ctx);
  if (e == nullptr) return;
  if (argv.size() > 3 || (argv.size() == 3 && !EqualsIgnoreCase(argv[2], "async") &&
                          !EqualsIgnoreCase(argv[2], "sync"))) {
    return ctx.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  e->Flush();
  ctx.reply.Ok();
}

void CmdScriptKill(CommandContext& ctx, Args) {
  Scripts* e = ScriptEngineOrReply(ctx);
  if (e == nullptr) return;
  if (std::string err = e->Kill(); !err.empty()) return ctx.reply.Error(err);
  ctx.reply.Ok();
}

void CmdScriptHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
