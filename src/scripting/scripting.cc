#include "src/scripting/scripting.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/numbers.h"
#include "resp/text.h"
#include "src/commands/args.h"
#include "src/core/dispatcher.h"
#include "src/core/errors.h"
#include "src/core/log.h"
#include "src/core/server_state.h"
#include "src/core/version.h"
#include "src/scripting/lua_guards.h"
#include "src/scripting/lua_libs.h"
#include "src/scripting/lua_sandbox.h"
#include "src/security/acl.h"
#include "src/security/sha1.h"

namespace dkv::server {
namespace {

using namespace lua;  // NOLINT: the sandbox functions this file installs

// The Lua registry key of the engine, for hooks and C functions.
constexpr char kEngineKey[] = "dkv.engine";
// Instructions between two looks at the clock (and at SCRIPT KILL) while a script runs.
constexpr int kHookInstructions = 100000;

ScriptEngine* EngineOf(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kEngineKey);
  auto* engine = static_cast<ScriptEngine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return engine;
}

}  // namespace

ScriptEngine::ScriptEngine(ServerState* state, Dispatcher* dispatcher)
    : state_(state),
      dispatcher_(dispatcher),
      guards_(&state->config.proto_max_bulk_len),
      fguards_(&state->config.proto_max_bulk_len),
      functions_(state) {
  session_.authenticated = true;
  session_.out = &out_;
  session_.addr = "lua";
  session_.name = "lua";
  session_.script = true;
  session_.deny_blocking = true;  // BLPOP and the like answer at once in scripts, as Redis
  Open();
  int unused;
  flua_ = NewInterpreter(&fguards_, &unused, &functions_memory_);
  functions_.Attach(flua_);
}

ScriptEngine::~ScriptEngine() {
  Close();
  lua_close(flua_);  // the libraries' callbacks go with it
}

void* ScriptEngine::LuaAlloc(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* used = static_cast<size_t*>(ud);  // the interpreter's counter
  if (new_size == 0) {
    if (ptr != nullptr) *used -= old_size;
    std::free(ptr);
    return nullptr;
  }
  void* p = std::realloc(ptr, new_size);
  if (p != nullptr) *used += new_size - (ptr != nullptr ? old_size : 0);
  return p;
}

void ScriptEngine::Open() {
  lua_ = NewInterpreter(&guards_, &globals_ref_, &lua_memory_);
  cur_ = lua_;
}

lua_State* ScriptEngine::NewInterpreter(LuaGuards* guards, int* globals_ref, size_t* used) {
  lua_State* L = lua_newstate(LuaAlloc, used);
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kEngineKey);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kProxiesKey);
  // Redis' libraries: base (and coroutine), table, string, math; cjson, cmsgpack, struct, bit.
  // No io, os, package, debug.
  using Opener = std::pair<const char*, lua_CFunction>;
  for (auto [name, open] :
       {Opener{"", luaopen_base}, Opener{LUA_TABLIBNAME, luaopen_table},
        Opener{LUA_STRLIBNAME, luaopen_string}, Opener{LUA_MATHLIBNAME, luaopen_math}}) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
  }
  OpenRedisLibraries(L, &state_->config.proto_max_bulk_len);  // cjson, cmsgpack, struct, bit
  for (const char* name : {"dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, SafeRawSet);
  lua_setglobal(L, "rawset");
  lua_pushcfunction(L, SafePcall);
  lua_setglobal(L, "pcall");
  lua_pushcfunction(L, SafeRawGet);
  lua_setglobal(L, "rawget");
  lua_pushcfunction(L, SafeNext);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "next");
  lua_pushcclosure(L, SafePairs, 1);
  lua_setglobal(L, "pairs");
  lua_pushcfunction(L, SafeLoadString);
  lua_setglobal(L, "loadstring");
  lua_pushcfunction(L, SafeLoad);
  lua_setglobal(L, "load");
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, SafeSetMetatable, 1);
  lua_setglobal(L, "setmetatable");
  guards->Install(L);  // unpack, string.rep, table.insert, math.random, the cjson setters

  // The redis table.
  lua_newtable(L);
  auto add = [&](const char* name, lua_CFunction fn) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, name);
  };
  add("call", LuaCall);
  add("pcall", LuaPcall);
  add("error_reply", LuaErrorReply);
  add("status_reply", LuaStatusReply);
  add("sha1hex", LuaSha1Hex);
  add("acl_check_cmd", LuaAclCheckCmd);
  add("log", LuaLog);
  add("setresp", LuaSetResp);
  add("set_repl", LuaSetRepl);
  add("replicate_commands", LuaNoop);
  add("breakpoint", LuaNoop);
  add("debug", LuaNoop);
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  int major = 0, minor = 0, patch = 0;
  std::sscanf(kRedisCompatVersion, "%d.%d.%d", &major, &minor, &patch);
  lua_pushnumber(L, (major << 16) | (minor << 8) | patch);
  lua_setfield(L, -2, "REDIS_VERSION_NUM");
  int level = 0;
  for (const char* name : {"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"}) {
    lua_pushnumber(L, level++);
    lua_setfield(L, -2, name);
  }
  // redis.set_repl's flags: REPL_AOF decides whether the append-only log records the script's
  // later calls (docs/propagation.md); there is no replication.
  for (auto [name, value] :
       {std::pair{"REPL_NONE", 0}, std::pair{"REPL_AOF", 1}, std::pair{"REPL_SLAVE", 2},
        std::pair{"REPL_REPLICA", 2}, std::pair{"REPL_ALL", 3}}) {
    lua_pushnumber(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "redis");

  // Read-only libraries: each global table is replaced by a read-only proxy (strings reach
  // their methods through the proxy too).
  for (const char* name : {"redis", "cjson", "cmsgpack", "struct", "bit", LUA_TABLIBNAME,
                           LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_COLIBNAME}) {
    lua_getglobal(L, name);
    PushReadOnlyProxy(L, -1, false);
    if (std::strcmp(name, LUA_STRLIBNAME) == 0) {
      // Strings reach their methods through the read-only proxy, and getmetatable('') gives a
      // read-only view of their metatable: no script can change what strings do for the next.
      lua_pushstring(L, "");
      lua_getmetatable(L, -1);
      lua_pushvalue(L, -3);
      lua_setfield(L, -2, "__index");
      PushReadOnlyProxy(L, -1, false);
      lua_setfield(L, -2, "__metatable");
      lua_pop(L, 2);
    }
    lua_setglobal(L, name);
    lua_pop(L, 1);
  }
  // Read-only globals: scripts see a proxy of the globals table that refuses new globals and
  // errors on unknown ones. It becomes the environment of every function compiled from now on.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushvalue(L, -1);
  *globals_ref = luaL_ref(L, LUA_REGISTRYINDEX);  // the real table, for KEYS and ARGV
  PushReadOnlyProxy(L, -1, true);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "_G");  // _G is the read-only view too
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);
  lua_sethook(L, LuaHook, LUA_MASKCOUNT, kHookInstructions);
  return L;
}

void ScriptEngine::Close() {
  if (lua_ != nullptr) lua_close(lua_);
  lua_ = nullptr;
  cur_ = nullptr;
  scripts_.clear();
}

const ScriptEngine::Script* ScriptEngine::Compile(std::string_view body, const std::string& sha,
                                                  std::string* error) {
  auto it = scripts_.find(std::string_view(sha));
  if (it != scripts_.end()) return &it->second;
  bool no_writes = false;
  std::string_view code = body;
  if (!ParseShebang(&code, &no_writes, error)) return nullptr;
  if (!code.empty() && code[0] == LUA_SIGNATURE[0]) {
    // Malformed bytecode can crash Lua 5.1: only source text is compiled.
    *error = "ERR Error compiling script (new function): precompiled chunks are not allowed";
    return nullptr;
  }
  if (LuaGuards::Load(lua_, code.data(), code.size(), "@user_script") != 0) {
    *error = std::string("ERR Error compiling script (new function): ") + lua_tostring(lua_, -1);
    lua_pop(lua_, 1);
    return nullptr;
  }
  int ref = luaL_ref(lua_, LUA_REGISTRYINDEX);
  return &scripts_.emplace(sha, Script{ref, no_writes}).first->second;
}

bool ScriptEngine::Load(std::string_view body, std::string* sha, std::string* error) {
  *sha = Sha1Hex(body);
  return Compile(body, *sha, error) != nullptr;
}

bool ScriptEngine::Exists(std::string_view sha) const {
  std::string lower = text::ToLower(sha);
  return scripts_.find(std::string_view(lower)) != scripts_.end();
}

void ScriptEngine::Flush() {
  Close();
  Open();
}

std::string ScriptEngine::Kill(bool function) {
  if (!running_) return "NOTBUSY No scripts in execution right now.";
  if (wrote_) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  // SCRIPT KILL stops scripts, FUNCTION KILL functions; the other gets the -BUSY of the one
  // running.
  if (function != run_function_) return std::string(busy_error());
  kill_requested_ = true;
  return "";
}

std::string_view ScriptEngine::busy_error() const {
  return run_function_ ? errors::kBusyFunction : errors::kBusy;
}

void ScriptEngine::ReplyRunningScript(resp::ReplyBuilder& reply) const {
  if (!running_) return reply.Null();
  reply.MapHeader(3);
  reply.Bulk("name");
  reply.Bulk(run_name_);
  reply.Bulk("command");
  reply.ArrayHeader(busy_argv_.size());
  for (const std::string& a : busy_argv_) reply.Bulk(a);
  reply.Bulk("duration_ms");
  reply.Integer(state_->clock->NowMs() - start_ms_);
}

void ScriptEngine::FunctionCall(CommandContext& ctx, Args argv, bool read_only) {
  const FunctionDef* fn = functions_.Find(argv[1]);
  if (fn == nullptr) return ctx.reply.Error("ERR Function not found");
  int64_t numkeys;
  if (!engine::ParseInt64(argv[2], &numkeys)) {
    return ctx.reply.Error("ERR Bad number of keys provided");
  }
  if (numkeys > static_cast<int64_t>(argv.size()) - 3) {
    return ctx.reply.Error("ERR Number of keys can't be greater than number of args");
  }
  if (numkeys < 0) return ctx.reply.Error("ERR Number of keys can't be negative");
  const bool no_writes = fn->flags & kFnNoWrites;
  const bool allow_oom = fn->flags & kFnAllowOom;
  if (!no_writes) {
    // A function that may write is refused where a write would be.
    if (!allow_oom && state_->config.maxmemory > 0 &&
        state_->Evict(1000) == Evictor::Result::kFail) {
      return ctx.reply.Error("OOM command not allowed when used memory > 'maxmemory'.");
    }
    if (state_->backend().SnapshotWritesRefused()) {
      return ctx.reply.Error(
          "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
          "persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only "
          "scripts. AOF error: ");
    }
    if (read_only) {
      return ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    }
  }
  Execute(ctx, argv, static_cast<size_t>(numkeys),
          Run{flua_, &fguards_, fn->ref, true, read_only || no_writes, allow_oom, fn->name});
}

void ScriptEngine::KillForShutdown() {
  if (running_) kill_requested_ = true;
}

void ScriptEngine::Eval(CommandContext& ctx, Args argv, bool by_sha, bool read_only) {
  if (by_sha && argv[1].size() != 40) return ctx.reply.Error(errors::kNoScript);
  int64_t numkeys;
  if (!engine::ParseInt64(argv[2], &numkeys)) return ctx.reply.Error(errors::kNotInteger);
  if (numkeys < 0) return ctx.reply.Error("ERR Number of keys can't be negative");
  if (numkeys > static_cast<int64_t>(argv.size()) - 3) {
    return ctx.reply.Error("ERR Number of keys can't be greater than number of args");
  }
  char sha[41];  // lower-case hex, without an allocation per call
  const Script* script = nullptr;
  if (by_sha) {
    for (size_t i = 0; i < 40; ++i) {
      sha[i] = text::AsciiLower(argv[1][i]);
    }
    auto it = scripts_.find(std::string_view(sha, 40));
    if (it == scripts_.end()) return ctx.reply.Error(errors::kNoScript);
    script = &it->second;
  } else {
    std::string hex = Sha1Hex(argv[1]);
    std::memcpy(sha, hex.data(), 40);
    std::string error;
    script = Compile(argv[1], hex, &error);
    if (script == nullptr) return ctx.reply.Error(error);
  }
  sha[40] = '\0';
  Execute(ctx, argv, static_cast<size_t>(numkeys),
          Run{lua_, &guards_, script->ref, false, read_only || script->no_writes, false,
              std::string_view(sha, 40)});
}

void ScriptEngine::Execute(CommandContext& ctx, Args argv, size_t numkeys, const Run& run) {
  lua_State* L = run.L;
  lua_settop(L, 0);
  // KEYS and ARGV: globals of an EVAL run, the arguments of a function.
  if (!run.function) lua_rawgeti(L, LUA_REGISTRYINDEX, globals_ref_);
  size_t first_arg = 3 + numkeys;
  for (auto [name, from, to] :
       {std::tuple{"KEYS", size_t{3}, first_arg}, std::tuple{"ARGV", first_arg, argv.size()}}) {
    lua_createtable(L, static_cast<int>(to - from), 0);
    for (size_t i = from; i < to; ++i) {
      lua_pushlstring(L, argv[i].data(), argv[i].size());
      lua_rawseti(L, -2, static_cast<int>(i - from + 1));
    }
    if (!run.function) lua_setfield(L, -2, name);
  }
  if (!run.function) lua_pop(L, 1);
  int nargs = run.function ? 2 : 0;

  cur_ = L;
  running_ = true;
  busy_ = false;
  kill_requested_ = false;
  wrote_ = false;
  read_only_ = run.read_only;
  allow_oom_ = run.allow_oom;
  run_function_ = run.function;
  run_name_ = run.name;
  run_argv_ = argv;
  start_ms_ = state_->clock->NowMs();
  caller_ = &ctx.session;
  caller_command_ = text::ToLower(argv[0]);
  session_.db = ctx.session.db;
  session_.user = ctx.session.user;  // redis.call runs with the caller's permissions
  session_.protocol = 2;
  session_.no_touch = ctx.session.no_touch;

  if (lua_gethookcount(L) != kHookInstructions) {
    lua_sethook(L, LuaHook, LUA_MASKCOUNT, kHookInstructions);  // after a kill
  }
  lua_pushcfunction(L, LuaErrorHandler);
  lua_insert(L, 1);  // below the arguments
  lua_rawgeti(L, LUA_REGISTRYINDEX, run.ref);
  lua_insert(L, 2);
  run.guards->BeforeScript();
  int rc = lua_pcall(L, nargs, 1, 1);
  if (rc == 0) {
    ReplyFromLua(ctx.reply, -1, 0);
  } else {
    ReplyError(ctx.reply, run.name);
  }
  lua_settop(L, 0);
  run.guards->AfterScript(L);  // the next script starts from the defaults
  if (busy_) {
    Log(LogLevel::kWarning, "Slow script finished after %lld milliseconds",
        static_cast<long long>(state_->clock->NowMs() - start_ms_));
  }
  running_ = false;
  busy_ = false;
  kill_requested_ = false;
  run_function_ = false;
  busy_argv_.clear();
  run_argv_ = {};
  cur_ = lua_;
  caller_ = nullptr;
  out_.clear();
  if (out_.capacity() > 64 * 1024) out_.shrink_to_fit();
}

void ScriptEngine::ReplyError(resp::ReplyBuilder& reply, std::string_view sha) {
  lua_State* L = cur_;
  std::string message;
  if (lua_istable(L, -1)) {
    RawField(L, -1, "err");
    const char* err = lua_tostring(L, -1);
    message = err ? err : "ERR unknown error";
    lua_pop(L, 1);
    RawField(L, -1, "source");
    RawField(L, -2, "line");
    if (lua_isstring(L, -2) && lua_isnumber(L, -1)) {
      message += " script: " + std::string(sha) + ", on " + lua_tostring(L, -2) + ":" +
                 std::to_string(static_cast<int64_t>(lua_tonumber(L, -1))) + ".";
    }
    lua_pop(L, 2);
  } else {
    const char* err = lua_tostring(L, -1);
    message = std::string("ERR Error running script ") + std::string(sha) + ", " +
              (err ? err : "execution failure");
  }
  if (!message.empty() && message[0] == '-') message.erase(0, 1);
  lua_pushlstring(L, message.data(), message.size());
  reply.Error(PopLine(L));
}

void ScriptEngine::ReplyFromLua(resp::ReplyBuilder& reply, int index, int depth) {
  lua_State* L = cur_;
  index = index < 0 ? lua_gettop(L) + index + 1 : index;
  const int protocol = caller_->protocol;
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, index, &len);
      return reply.Bulk(std::string_view(s, len));
    }
    case LUA_TBOOLEAN:
      if (protocol == 3) return reply.Bool(lua_toboolean(L, index));
      return lua_toboolean(L, index) ? reply.Integer(1) : reply.Null();
    case LUA_TNUMBER: {
      // Truncated toward zero; NaN and numbers out of range give INT64_MIN, as the x86
      // conversion Redis relies on does (the C++ cast would be undefined).
      double d = lua_tonumber(L, index);
      bool in_range = d > -9223372036854775808.0 && d < 9223372036854775808.0;
      return reply.Integer(in_range ? static_cast<int64_t>(d) : INT64_MIN);
    }
    case LUA_TTABLE:
      break;
    default:
      return reply.Null();
  }
  if (depth > kMaxDepth || !lua_checkstack(L, 4)) {
    return reply.Error("ERR reached lua stack limit");
  }
  // {err = ...}, {ok = ...} and the RESP3 shapes first.
  RawField(L, index, "err");
  if (lua_isstring(L, -1)) {
    std::string err = PopLine(L);
    if (!err.empty() && err[0] == '-') err.erase(0, 1);
    return reply.Error(err);
  }
  lua_pop(L, 1);
  RawField(L, index, "ok");
  if (lua_isstring(L, -1)) return reply.Simple(PopLine(L));
  lua_pop(L, 1);
  RawField(L, index, "double");
  if (lua_isnumber(L, -1)) {
    double d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return reply.Double(d);
  }
  lua_pop(L, 1);
  RawField(L, index, "big_number");
  if (lua_isstring(L, -1)) {
    std::string big(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (protocol == 3) return reply.Raw("(" + big + "\r\n");
    return reply.Bulk(big);
  }
  lua_pop(L, 1);
  for (const char* kind : {"map", "set"}) {
    RawField(L, index, kind);
    if (lua_istable(L, -1)) {
      int t = lua_gettop(L);
      size_t n = 0;
      lua_pushnil(L);
      while (lua_next(L, t) != 0) {
        ++n;
        lua_pop(L, 1);
      }
      bool map = kind[0] == 'm';
      if (map) {
        reply.MapHeader(n);
      } else {
        reply.SetHeader(n);
      }
      lua_pushnil(L);
      while (lua_next(L, t) != 0) {
        lua_pushvalue(L, -2);  // the key, converted without disturbing lua_next
        ReplyFromLua(reply, -1, depth + 1);
        lua_pop(L, 1);
        if (map) ReplyFromLua(reply, -1, depth + 1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      return;
    }
    lua_pop(L, 1);
  }
  // An array: elements 1..n up to the first nil.
  size_t n = 0;
  while (true) {
    lua_rawgeti(L, index, static_cast<int>(n + 1));
    bool nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) break;
    ++n;
  }
  reply.ArrayHeader(n);
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, index, static_cast<int>(i));
    ReplyFromLua(reply, -1, depth + 1);
    lua_pop(L, 1);
  }
}

void ScriptEngine::PushReplyAsLua(std::string_view reply) {
  const char* p = reply.data();
  const char* end = p + reply.size();
  int top = lua_gettop(cur_);
  if (!PushResp(cur_, p, end, 0)) {
    lua_settop(cur_, top);
    PushSingleField(cur_, "err", "ERR reply could not be converted to Lua");
  }
}

bool ScriptEngine::CallCommand(lua_State* L) {
  int argc = lua_gettop(L);
  auto fail = [&](std::string_view message) {
    PushSingleField(L, "err", message);
    return true;
  };
  // A killed script runs no more commands, even from a coroutine that swallowed the kill.
  if (kill_requested_) return fail("ERR Script killed by user with SCRIPT KILL...");
  if (argc == 0) return fail("ERR Please specify at least one argument for this redis lib call");
  std::vector<std::string_view> argv;
  argv.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      std::string s = NumberToArg(lua_tonumber(L, i));
      lua_pushlstring(L, s.data(), s.size());
      lua_replace(L, i);
    } else if (t != LUA_TSTRING) {
      return fail("ERR Lua redis lib command arguments must be strings or integers");
    }
    size_t len;
    const char* s = lua_tolstring(L, i, &len);
    argv.emplace_back(s, len);
  }
  const CommandSpec* spec = dispatcher_->Resolve(argv);
  if (spec == nullptr) return fail("ERR Unknown Redis command called from script");
  int n = static_cast<int>(argv.size());
  if ((spec->arity > 0 && n != spec->arity) || (spec->arity < 0 && n < -spec->arity)) {
    return fail("ERR Wrong number of args calling Redis command from script");
  }
  if (spec->flags & kNoScript) return fail("ERR This Redis command is not allowed from script");
  if (std::string denied = dispatcher_->CheckAcl(*spec, state_->UserOf(session_), argv, *caller_,
                                                 caller_command_, "lua");
      !denied.empty()) {
    return fail("ERR ACL failure in script: " + denied);
  }
  if (spec->flags & kWrite) {
    if (read_only_) return fail("ERR Write commands are not allowed from read-only scripts.");
    if (state_->backend().SnapshotWritesRefused()) {
      return fail(errors::kMisconf);
    }
    if (state_->backend().draining()) {
      return fail(errors::kShuttingDown);
    }
  }
  if ((spec->flags & kDenyOom) && !allow_oom_ && state_->config.maxmemory > 0 &&
      state_->Evict(1000) == Evictor::Result::kFail) {
    return fail("OOM command not allowed when used memory > 'maxmemory'.");
  }
  // The cache tier: a script cannot wait for PostgreSQL in the middle of its atomic run. Values
  // of its declared KEYS were read back before it started; a key it did not declare whose value
  // is not in memory is an error (never an empty value).
  const bool cold = state_->backend().TierActive();
  if (cold) {
    std::vector<DbKey> missing;
    dispatcher_->ColdKeysOf(*spec, session_, argv, &missing);
    if (!missing.empty()) return fail(Dispatcher::kValueNotInMemory);
    engine::ClearColdReads();
  }
  out_.clear();
  resp::ReplyBuilder reply(&out_, session_.protocol);
  dispatcher_->Call(*spec, session_, argv, reply);
  if (spec->flags & kWrite) wrote_ = true;
  if (cold && !engine::ColdReads().empty()) {
    // Only reads get here: a write's keys were checked above.
    engine::ClearColdReads();
    return fail(Dispatcher::kValueNotInMemory);
  }
  PushReplyAsLua(out_);
  bool is_error = false;
  if (lua_istable(L, -1)) {
    RawField(L, -1, "err");
    is_error = lua_isstring(L, -1);
    lua_pop(L, 1);
  }
  return is_error;
}

// lua_error unwinds with longjmp, past C++ destructors: it is called only here, once
// CallCommand's locals are gone.
int ScriptEngine::LuaCall(lua_State* L) {
  if (EngineOf(L)->CallCommand(L)) return lua_error(L);
  return 1;
}

int ScriptEngine::LuaPcall(lua_State* L) {
  EngineOf(L)->CallCommand(L);
  return 1;
}

int ScriptEngine::LuaErrorReply(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  std::string_view msg(s, len);
  PushSingleField(L, "err", msg);
  return 1;
}

int ScriptEngine::LuaStatusReply(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  PushSingleField(L, "ok", std::string_view(s, len));
  return 1;
}

int ScriptEngine::LuaSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) return RaisePlain(L, "wrong number of arguments");
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(std::string_view(s ? s : "", s ? len : 0));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

// redis.acl_check_cmd(command, arg...): whether the script's user may run the command with these
// arguments (commands, first arguments and keys, as the dispatcher checks), as Redis 7. Nothing
// is logged: a question is not a refusal.
int ScriptEngine::LuaAclCheckCmd(lua_State* L) {
  ScriptEngine* self = EngineOf(L);
  int argc = lua_gettop(L);
  if (argc == 0) {
    return RaisePlain(L, "ERR Please specify at least one argument for this redis lib call");
  }
  std::vector<std::string> args;
  args.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      args.push_back(NumberToArg(lua_tonumber(L, i)));
    } else if (t == LUA_TSTRING) {
      size_t len;
      const char* a = lua_tolstring(L, i, &len);
      args.emplace_back(a, len);
    } else {
      return RaisePlain(L, "ERR Lua redis lib command arguments must be strings or integers");
    }
  }
  std::vector<std::string_view> argv(args.begin(), args.end());
  const CommandSpec* spec = self->dispatcher_->Resolve(argv);
  if (spec == nullptr) return RaisePlain(L, "ERR Invalid command passed to redis.acl_check_cmd()");
  size_t index = 0;
  lua_pushboolean(
      L, Acl::Check(self->state_->UserOf(self->session_), *spec, argv, &index) == AclDenial::kNone);
  return 1;
}

int ScriptEngine::LuaLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return RaisePlain(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return RaisePlain(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return RaisePlain(L, "Invalid debug level.");
  std::string msg;
  for (int i = 2; i <= argc; ++i) {
    size_t len;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (!msg.empty()) msg += ' ';
    msg.append(s, len);
  }
  Log(static_cast<LogLevel>(level), "%s", msg.c_str());
  return 0;
}

int ScriptEngine::LuaSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) return RaisePlain(L, "redis.setresp() requires one argument.");
  int v = static_cast<int>(lua_tonumber(L, 1));
  if (v != 2 && v != 3) return RaisePlain(L, "RESP version must be 2 or 3.");
  ScriptEngine* engine = EngineOf(L);
  engine->session_.protocol = v;
  return 0;
}

int ScriptEngine::LuaSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) return RaisePlain(L, "redis.set_repl() requires one argument.");
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    return RaisePlain(
        L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  Propagator& propagation = EngineOf(L)->state_->propagation;
  if (propagation.active()) propagation.set_recording((flags & 1) != 0);
  return 0;
}

int ScriptEngine::LuaNoop(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// The message handler of every script run: turns any error into {err=..., source=..., line=...}
// with the script position it came from, as Redis reports it.
int ScriptEngine::LuaErrorHandler(lua_State* L) {
  if (!lua_istable(L, 1)) {
    const char* msg = lua_tostring(L, 1);
    std::string err = std::string("ERR ") + (msg ? msg : "unknown error");
    lua_settop(L, 0);
    PushSingleField(L, "err", err);
  }
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); ++level) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0 && std::strcmp(ar.what, "C") != 0) {
      lua_pushstring(L, ar.source);
      lua_setfield(L, 1, "source");
      lua_pushnumber(L, ar.currentline);
      lua_setfield(L, 1, "line");
      break;
    }
  }
  lua_settop(L, 1);
  return 1;
}

void ScriptEngine::LuaHook(lua_State* L, lua_Debug*) { EngineOf(L)->OnHook(L); }

void ScriptEngine::OnHook(lua_State* L) {
  int64_t elapsed = state_->clock->NowMs() - start_ms_;
  if (!busy_ && elapsed >= state_->config.busy_reply_threshold) {
    busy_ = true;
    busy_argv_.assign(run_argv_.begin(), run_argv_.end());  // for FUNCTION STATS
    Log(LogLevel::kWarning,
        "Slow script detected: still in execution after %lld milliseconds. You can try killing "
        "the script using the SCRIPT KILL command.",
        static_cast<long long>(elapsed));
  }
  if (busy_ && state_->hooks != nullptr) state_->hooks->ProcessEventsWhileBusy(caller_);
  if (kill_requested_) {
    // Keep raising on every instruction, in this thread and in the main one: neither a pcall
    // nor a coroutine can swallow the kill.
    lua_sethook(L, LuaHook, LUA_MASKCOUNT, 1);
    if (L != cur_) lua_sethook(cur_, LuaHook, LUA_MASKCOUNT, 1);
    PushSingleField(L, "err", "ERR Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
  lua_sethook(L, LuaHook, LUA_MASKCOUNT, kHookInstructions);
}

}  // namespace dkv::server
