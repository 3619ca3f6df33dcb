// ScriptEngine: Lua scripts as Redis runs them (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT) and
// Redis 7 functions (FCALL, FCALL_RO; the libraries are src/scripting/functions.h).
//
// Two Lua 5.1 interpreters on the loop thread, built alike: one for EVAL scripts, one for function
// libraries (so neither sees the other's globals); a script or function runs atomically, like any
// command.
// Scripts reach every command through redis.call/redis.pcall, which run the command through the
// dispatcher on a session of the script's own and convert its reply to Lua values by Redis'
// rules (and the script's return value back to RESP). The sandbox is Redis': no io/os/loadfile/
// dofile, globals are read-only (a script cannot create one; reading an unknown one is an error),
// and the libraries are read-only too. A script that runs longer than busy-reply-threshold makes
// the server answer other clients -BUSY until it ends or is stopped with SCRIPT KILL (allowed
// while it has not written) or SHUTDOWN NOSAVE. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/core/command.h"
#include "src/core/session.h"
#include "src/scripting/functions.h"
#include "src/scripting/lua_guards.h"
#include "src/scripting/script_api.h"

struct lua_State;
struct lua_Debug;

namespace dkv::server {

class Dispatcher;
struct ServerState;

class ScriptEngine final : public Scripts {
 public:
  ScriptEngine(ServerState* state, Dispatcher* dispatcher);
  ~ScriptEngine() override;
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // EVAL/EVAL_RO (by_sha false: argv[1] is the body) and EVALSHA/EVALSHA_RO; writes the reply.
  void Eval(CommandContext& ctx, Args argv, bool by_sha, bool read_only) override;
  // SCRIPT LOAD: compiles and caches. Returns false with the error reply text in *error.
  bool Load(std::string_view body, std::string* sha, std::string* error) override;
  bool Exists(std::string_view sha) const override;
  // SCRIPT FLUSH: forgets every script and starts a fresh interpreter.
  void Flush() override;
  // SCRIPT KILL / FUNCTION KILL: "" when the running script will stop, else the error reply text.
  std::string Kill(bool function) override;
  void FunctionCall(CommandContext& ctx, Args argv, bool read_only) override;
  FunctionLibraries& functions() override { return functions_; }
  void ReplyRunningScript(resp::ReplyBuilder& reply) const override;
  std::string_view busy_error() const override;
  // SHUTDOWN NOSAVE while a script is busy: the script stops even if it wrote.
  void KillForShutdown() override;

  bool running() const { return running_; }
  // A script has run past busy-reply-threshold: other commands get -BUSY.
  bool busy() const override { return busy_; }
  size_t scripts() const override { return scripts_.size(); }
  size_t memory() const override { return lua_memory_; }

 private:
  struct Script {
    int ref;         // the compiled function in the Lua registry
    bool no_writes;  // shebang flags=no-writes
  };

  // What one run needs: the interpreter, its guards, the compiled function, how it is called.
  struct Run {
    lua_State* L;
    LuaGuards* guards;
    int ref;
    bool function;   // FCALL: KEYS and ARGV are its arguments, errors name the function
    bool read_only;  // *_RO or no-writes
    bool allow_oom;
    std::string_view name;  // the SHA-1 or the function name, for errors
  };

  // Opens an interpreter with the sandbox; *globals_ref gets the real globals table, *used
  // counts its memory.
  lua_State* NewInterpreter(LuaGuards* guards, int* globals_ref, size_t* used);
  void Open();
  void Close();
  void Execute(CommandContext& ctx, Args argv, size_t numkeys, const Run& run);
  // Compiles `body` (shebang handled) into the cache under `sha`. Returns nullptr with
  // *error set when it does not compile.
  const Script* Compile(std::string_view body, const std::string& sha, std::string* error);
  void PushReplyAsLua(std::string_view reply);
  void ReplyFromLua(resp::ReplyBuilder& reply, int index, int depth);
  void ReplyError(resp::ReplyBuilder& reply, std::string_view sha);

  // Lua entry points (the engine is an upvalue or a registry entry).
  static int LuaCall(lua_State* L);
  static int LuaPcall(lua_State* L);
  static int LuaErrorReply(lua_State* L);
  static int LuaStatusReply(lua_State* L);
  static int LuaSha1Hex(lua_State* L);
  static int LuaAclCheckCmd(lua_State* L);
  static int LuaLog(lua_State* L);
  static int LuaSetResp(lua_State* L);
  static int LuaSetRepl(lua_State* L);
  static int LuaNoop(lua_State* L);
  static int LuaErrorHandler(lua_State* L);
  static void LuaHook(lua_State* L, lua_Debug* ar);
  static void* LuaAlloc(void* ud, void* ptr, size_t old_size, size_t new_size);
  // Runs redis.call's arguments as a command and pushes the reply as a Lua value (an error as
  // {err = ...}). Returns whether the reply is an error.
  bool CallCommand(lua_State* L);
  void OnHook(lua_State* L);

  ServerState* state_;
  Dispatcher* dispatcher_;
  lua_State* lua_ = nullptr;     // EVAL scripts
  lua_State* flua_ = nullptr;    // function libraries
  lua_State* cur_ = nullptr;     // the one running now (lua_ when none runs)
  size_t lua_memory_ = 0;        // EVAL's interpreter (INFO's used_memory_lua)
  size_t functions_memory_ = 0;  // the functions interpreter
  LuaGuards guards_;
  LuaGuards fguards_;
  FunctionLibraries functions_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // By lower-case SHA-1 hex.
  std::unordered_map<std::string, Script, Hash, std::equal_to<>> scripts_;
  int globals_ref_ = 0;  // the real globals table, in the registry

  // The script running now.
  bool running_ = false;
  bool busy_ = false;
  bool kill_requested_ = false;
  bool wrote_ = false;
  bool read_only_ = false;
  bool allow_oom_ = false;
  bool run_function_ = false;
  std::string_view run_name_;
  Args run_argv_;
  std::vector<std::string> busy_argv_;  // the running command, copied once it is busy
  int64_t start_ms_ = 0;
  Session* caller_ = nullptr;
  std::string caller_command_;  // the caller's command (eval, evalsha ...), for ACL LOG
  Session session_;             // the session commands called by scripts run on
  std::string out_;             // their replies
};

}  // namespace dkv::server
