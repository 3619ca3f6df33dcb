// Scripts: what commands, the dispatcher, INFO and /metrics use of the Lua engine. ScriptEngine
// (src/scripting/scripting.h) implements it; the server owns that object, ServerState points at it
// (null in tests that run without scripting). Loop thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "src/core/command.h"

namespace dkv::server {

class FunctionLibraries;

class Scripts {
 public:
  virtual ~Scripts() = default;
  // EVAL/EVAL_RO (by_sha false: argv[1] is the body) and EVALSHA/EVALSHA_RO; writes the reply.
  virtual void Eval(CommandContext& ctx, Args argv, bool by_sha, bool read_only) = 0;
  // SCRIPT LOAD: compiles and caches. Returns false with the error reply text in *error.
  virtual bool Load(std::string_view body, std::string* sha, std::string* error) = 0;
  virtual bool Exists(std::string_view sha) const = 0;
  // SCRIPT FLUSH: forgets every script and starts a fresh interpreter.
  virtual void Flush() = 0;
  // SCRIPT KILL (function false) and FUNCTION KILL (true): "" when the running script will stop,
  // else the error reply text.
  virtual std::string Kill(bool function = false) = 0;
  // FCALL/FCALL_RO; writes the reply.
  virtual void FunctionCall(CommandContext& ctx, Args argv, bool read_only) = 0;
  // The function libraries (FUNCTION LOAD, LIST, ...; src/scripting/functions.h).
  virtual FunctionLibraries& functions() = 0;
  // FUNCTION STATS' running_script: a map of the script running now, or a null.
  virtual void ReplyRunningScript(resp::ReplyBuilder& reply) const = 0;
  // The -BUSY reply while busy(): it names SCRIPT KILL or FUNCTION KILL, whichever applies.
  virtual std::string_view busy_error() const = 0;
  // SHUTDOWN NOSAVE while a script is busy: the script stops even if it wrote.
  virtual void KillForShutdown() = 0;
  // A script has run past busy-reply-threshold: other commands get -BUSY.
  virtual bool busy() const = 0;
  // Scripts cached, and the interpreter's memory in bytes (INFO memory, /metrics).
  virtual size_t scripts() const = 0;
  virtual size_t memory() const = 0;
};

}  // namespace dkv::server
