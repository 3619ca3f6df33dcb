#include "src/scripting.h"

extern "C" {
#include <lauxlib.h>
#include <lua-cjson.h>
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
#include "src/commands/args.h"
#include "src/dispatcher.h"
#include "src/errors.h"
#include "src/log.h"
#include "src/lua_guards.h"
#include "src/postgres_backend.h"
#include "src/sha1.h"
#include "src/snapshotter.h"
#include "src/version.h"

namespace dkv::server {
namespace {

// The Lua registry key of the engine, for hooks and C functions.
constexpr char kEngineKey[] = "dkv.engine";
// Instructions between two looks at the clock (and at SCRIPT KILL) while a script runs.
constexpr int kHookInstructions = 100000;
// Deepest nesting converted between Lua tables and RESP.
constexpr int kMaxDepth = 512;

ScriptEngine* EngineOf(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kEngineKey);
  auto* engine = static_cast<ScriptEngine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return engine;
}

// Pops the string on top of the stack as one line of status or error text (CR and LF, which
// would break the reply, become spaces).
std::string PopLine(lua_State* L) {
  size_t len;
  const char* s = lua_tolstring(L, -1, &len);
  std::string line(s, len);
  lua_pop(L, 1);
  for (char& c : line) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return line;
}

// Pushes t[name] without metamethods: what runs outside a protected call (converting a
// script's result) must not run script code that could raise.
void RawField(lua_State* L, int index, const char* name) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  lua_pushstring(L, name);
  lua_rawget(L, index);
}

// Pushes {name = value}.
void PushSingleField(lua_State* L, const char* name, std::string_view value) {
  lua_newtable(L);
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, name);
}

// __index of the globals: an unknown global is an error, not nil.
int GlobalIndex(lua_State* L) {
  // upvalue 1: the real globals table.
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (lua_isnil(L, -1)) {
    const char* name = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      name ? name : "?");
  }
  return 1;
}

int ReadOnlyNewIndex(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

// An error from a library function, reported without a script position (as Redis' are).
int RaisePlain(lua_State* L, const char* message) {
  lua_pushstring(L, message);
  return lua_error(L);
}

// The registry table mapping every read-only proxy to the table behind it.
constexpr char kProxiesKey[] = "dkv.proxies";

// Pushes the real table behind the proxy at `index`, or nil when it is not one of ours (a
// script's own table with a __metatable field is not).
void PushProxied(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  lua_getfield(L, LUA_REGISTRYINDEX, kProxiesKey);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

bool IsProtected(lua_State* L, int index) {
  PushProxied(L, index);
  bool is_protected = lua_istable(L, -1);
  lua_pop(L, 1);
  return is_protected;
}

// setmetatable that refuses the read-only tables with Redis' message.
int SafeSetMetatable(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE && IsProtected(L, 1)) {
    return RaisePlain(L, "Attempt to modify a readonly table");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  return LuaGuards::CallAs(L, "setmetatable");
}

// loadstring and load without precompiled chunks: malformed bytecode can crash Lua 5.1 (the
// reason Redis refuses it too). A refused chunk gives nil and a message, as a compile error does.
int LoadChecked(lua_State* L, std::string_view code, const char* chunkname) {
  if (!code.empty() && code[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushstring(L, "precompiled chunks are not allowed");
    return 2;
  }
  if (LuaGuards::Load(L, code.data(), code.size(), chunkname) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

int SafeLoadString(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, s);
  return LoadChecked(L, std::string_view(s, len), name);
}

int SafeLoad(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* name = luaL_optstring(L, 2, "=(load)");
  lua_settop(L, 2);
  // The pieces are joined in a Lua buffer: the reader may raise, and no C++ object may be
  // alive when it does.
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);
  while (true) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "reader function must return a string");
    if (lua_objlen(L, -1) == 0) {
      lua_pop(L, 1);
      break;
    }
    luaL_addvalue(&buffer);
  }
  luaL_pushresult(&buffer);
  size_t len;
  const char* code = lua_tolstring(L, -1, &len);
  return LoadChecked(L, std::string_view(code, len), name);
}

// rawget that sees through the read-only proxies to the tables behind them.
int SafeRawGet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  PushProxied(L, 1);
  if (lua_istable(L, -1)) {
    lua_replace(L, 1);
  } else {
    lua_pop(L, 1);
  }
  lua_rawget(L, 1);
  return 1;
}

// pcall as Redis 7 has it: an error raised by redis.call ({err = "..."}) reaches the script as
// its message string.
int SafePcall(lua_State* L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != 0) {
    if (lua_istable(L, -1)) {
      lua_pushstring(L, "err");
      lua_rawget(L, -2);
      if (lua_isstring(L, -1))
        lua_replace(L, -2);
      else
        lua_pop(L, 1);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  return lua_gettop(L);
}

// A library table as scripts see it: an empty table reading through to the real one, refusing
// writes, its metatable hidden.
void PushReadOnlyProxy(lua_State* L, int real_index, bool strict) {
  if (real_index < 0) real_index = lua_gettop(L) + real_index + 1;
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  if (strict) {
    lua_pushvalue(L, real_index);
    lua_pushcclosure(L, GlobalIndex, 1);
  } else {
    lua_pushvalue(L, real_index);
  }
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_getfield(L, LUA_REGISTRYINDEX, kProxiesKey);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, real_index);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// rawset that refuses the read-only proxies (whose metatable is protected).
int SafeRawSet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsProtected(L, 1)) return RaisePlain(L, "Attempt to modify a readonly table");
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

std::string NumberToArg(lua_Number n) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<double>(n));
  return ec == std::errc() ? std::string(buf, end) : std::to_string(n);
}

// Reads one RESP reply from [*p, end) and pushes it as a Lua value, by Redis' rules.
bool PushResp(lua_State* L, const char*& p, const char* end, int depth) {
  if (p >= end || depth > kMaxDepth || !lua_checkstack(L, 8)) return false;
  char type = *p++;
  const char* nl = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(end - p)));
  if (nl == nullptr || nl + 1 >= end) return false;
  std::string_view line(p, static_cast<size_t>(nl - p));
  p = nl + 2;
  int64_t n = 0;
  auto number = [&] { return engine::ParseInt64(line, &n); };
  auto bulk = [&](std::string_view* out) {
    if (!number() || n < 0 || end - p < n + 2) return false;
    *out = std::string_view(p, static_cast<size_t>(n));
    p += n + 2;
    return true;
  };
  switch (type) {
    case '+':
      PushSingleField(L, "ok", line);
      return true;
    case '-':
      PushSingleField(L, "err", line);
      return true;
    case ':':
      if (!number()) return false;
      lua_pushnumber(L, static_cast<lua_Number>(n));
      return true;
    case '$':
    case '=': {
      if (line == "-1") {
        lua_pushboolean(L, 0);
        return true;
      }
      std::string_view s;
      if (!bulk(&s)) return false;
      if (type == '=' && s.size() >= 4) {
        lua_newtable(L);
        lua_newtable(L);
        lua_pushlstring(L, s.data(), 3);
        lua_setfield(L, -2, "format");
        lua_pushlstring(L, s.data() + 4, s.size() - 4);
        lua_setfield(L, -2, "string");
        lua_setfield(L, -2, "verbatim_string");
      } else {
        lua_pushlstring(L, s.data(), s.size());
      }
      return true;
    }
    case '*':
    case '>':
    case '~':
    case '%': {
      if (line == "-1") {
        lua_pushboolean(L, 0);
        return true;
      }
      if (!number() || n < 0) return false;
      lua_newtable(L);
      for (int64_t i = 0; i < n; ++i) {
        if (!PushResp(L, p, end, depth + 1)) return false;
        if (type == '%') {
          if (!PushResp(L, p, end, depth + 1)) return false;
          lua_rawset(L, -3);
        } else if (type == '~') {
          lua_pushboolean(L, 1);
          lua_rawset(L, -3);
        } else {
          lua_rawseti(L, -2, static_cast<int>(i + 1));
        }
      }
      if (type == '%' || type == '~') {
        // {map = {...}} / {set = {...}}
        lua_newtable(L);
        lua_insert(L, -2);
        lua_setfield(L, -2, type == '%' ? "map" : "set");
      }
      return true;
    }
    case '_':
      lua_pushnil(L);
      return true;
    case '#':
      lua_pushboolean(L, line == "t");
      return true;
    case ',': {
      lua_newtable(L);
      lua_pushnumber(L, std::strtod(std::string(line).c_str(), nullptr));
      lua_setfield(L, -2, "double");
      return true;
    }
    case '(':
      PushSingleField(L, "big_number", line);
      return true;
    default:
      return false;
  }
}

// The script's first line may be a shebang: "#!lua" or "#!lua flags=no-writes,allow-oom".
// Returns false with the error reply in *error for an unknown engine or flag.
bool ParseShebang(std::string_view* body, bool* no_writes, std::string* error) {
  *no_writes = false;
  if (body->substr(0, 2) != "#!") return true;
  size_t eol = body->find('\n');
  std::string_view line = body->substr(2, eol == std::string_view::npos ? body->size() : eol - 2);
  *body = eol == std::string_view::npos ? std::string_view() : body->substr(eol + 1);
  size_t space = line.find(' ');
  std::string_view engine_name = line.substr(0, space);
  if (engine_name != "lua") {
    *error = "ERR Could not find engine '" + std::string(engine_name) + "'";
    return false;
  }
  std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
  while (!rest.empty()) {
    size_t next = rest.find(' ');
    std::string_view part = rest.substr(0, next);
    rest = next == std::string_view::npos ? "" : rest.substr(next + 1);
    if (part.empty()) continue;
    if (part.substr(0, 6) != "flags=") {
      *error = "ERR Unknown lua shebang option: " + std::string(part);
      return false;
    }
    std::string_view flags = part.substr(6);
    while (!flags.empty()) {
      size_t comma = flags.find(',');
      std::string_view flag = flags.substr(0, comma);
      flags = comma == std::string_view::npos ? "" : flags.substr(comma + 1);
      if (flag == "no-writes") {
        *no_writes = true;
      } else if (flag != "allow-oom" && flag != "allow-stale" && flag != "no-cluster" &&
                 flag != "allow-cross-slot-keys" && !flag.empty()) {
        *error = "ERR Unexpected flag in script shebang: " + std::string(flag);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

ScriptEngine::ScriptEngine(ServerState* state, Dispatcher* dispatcher)
    : state_(state), dispatcher_(dispatcher), guards_(&state->config.proto_max_bulk_len) {
  session_.authenticated = true;
  session_.out = &out_;
  session_.addr = "lua";
  session_.name = "lua";
  Open();
}

ScriptEngine::~ScriptEngine() { Close(); }

void* ScriptEngine::LuaAlloc(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* engine = static_cast<ScriptEngine*>(ud);
  if (new_size == 0) {
    if (ptr != nullptr) engine->lua_memory_ -= old_size;
    std::free(ptr);
    return nullptr;
  }
  void* p = std::realloc(ptr, new_size);
  if (p != nullptr) engine->lua_memory_ += new_size - (ptr != nullptr ? old_size : 0);
  return p;
}

void ScriptEngine::Open() {
  lua_State* L = lua_newstate(LuaAlloc, this);
  lua_ = L;
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kEngineKey);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kProxiesKey);
  // Redis' libraries: base (and coroutine), table, string, math; cjson. No io, os, package, debug.
  using Opener = std::pair<const char*, lua_CFunction>;
  for (auto [name, open] :
       {Opener{"", luaopen_base}, Opener{LUA_TABLIBNAME, luaopen_table},
        Opener{LUA_STRLIBNAME, luaopen_string}, Opener{LUA_MATHLIBNAME, luaopen_math}}) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
  }
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
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
  lua_pushcfunction(L, SafeLoadString);
  lua_setglobal(L, "loadstring");
  lua_pushcfunction(L, SafeLoad);
  lua_setglobal(L, "load");
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, SafeSetMetatable, 1);
  lua_setglobal(L, "setmetatable");
  guards_.Install(L);  // unpack, string.rep, table.insert, math.random, the cjson setters

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
  add("log", LuaLog);
  add("setresp", LuaSetResp);
  add("set_repl", LuaNoop);
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
  // redis.set_repl's flags: accepted and ignored (dkv has no replication).
  for (auto [name, value] :
       {std::pair{"REPL_NONE", 0}, std::pair{"REPL_AOF", 1}, std::pair{"REPL_SLAVE", 2},
        std::pair{"REPL_REPLICA", 2}, std::pair{"REPL_ALL", 3}}) {
    lua_pushnumber(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "redis");

  // Read-only libraries: each global table is replaced by a read-only proxy (strings reach
  // their methods through the proxy too).
  for (const char* name :
       {"redis", "cjson", LUA_TABLIBNAME, LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_COLIBNAME}) {
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
  globals_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);  // the real table, for KEYS and ARGV
  PushReadOnlyProxy(L, -1, true);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "_G");  // _G is the read-only view too
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);
  lua_sethook(L, LuaHook, LUA_MASKCOUNT, kHookInstructions);
}

void ScriptEngine::Close() {
  if (lua_ != nullptr) lua_close(lua_);
  lua_ = nullptr;
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
  std::string lower(sha);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scripts_.find(std::string_view(lower)) != scripts_.end();
}

void ScriptEngine::Flush() {
  Close();
  Open();
}

std::string ScriptEngine::Kill() {
  if (!running_) return "NOTBUSY No scripts in execution right now.";
  if (wrote_) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  kill_requested_ = true;
  return "";
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
      sha[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(argv[1][i])));
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
  lua_State* L = lua_;
  // KEYS and ARGV are globals of this run.
  lua_rawgeti(L, LUA_REGISTRYINDEX, globals_ref_);
  size_t first_arg = 3 + static_cast<size_t>(numkeys);
  for (auto [name, from, to] :
       {std::tuple{"KEYS", size_t{3}, first_arg}, std::tuple{"ARGV", first_arg, argv.size()}}) {
    lua_createtable(L, static_cast<int>(to - from), 0);
    for (size_t i = from; i < to; ++i) {
      lua_pushlstring(L, argv[i].data(), argv[i].size());
      lua_rawseti(L, -2, static_cast<int>(i - from + 1));
    }
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);

  running_ = true;
  busy_ = false;
  kill_requested_ = false;
  wrote_ = false;
  read_only_ = read_only || script->no_writes;
  start_ms_ = state_->clock->NowMs();
  caller_ = &ctx.session;
  session_.db = ctx.session.db;
  session_.user = ctx.session.user;  // redis.call runs with the caller's permissions
  session_.protocol = 2;
  session_.no_touch = ctx.session.no_touch;

  if (lua_gethookcount(L) != kHookInstructions) {
    lua_sethook(L, LuaHook, LUA_MASKCOUNT, kHookInstructions);  // after a kill
  }
  lua_pushcfunction(L, LuaErrorHandler);
  int handler = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, script->ref);
  guards_.BeforeScript();
  int rc = lua_pcall(L, 0, 1, handler);
  if (rc == 0) {
    ReplyFromLua(ctx.reply, -1, 0);
  } else {
    ReplyError(ctx.reply, sha);
  }
  lua_settop(L, 0);
  guards_.AfterScript(L);  // the next script starts from the defaults
  if (busy_) {
    Log(LogLevel::kWarning, "Slow script finished after %lld milliseconds",
        static_cast<long long>(state_->clock->NowMs() - start_ms_));
  }
  running_ = false;
  busy_ = false;
  kill_requested_ = false;
  caller_ = nullptr;
  out_.clear();
  if (out_.capacity() > 64 * 1024) out_.shrink_to_fit();
}

void ScriptEngine::ReplyError(resp::ReplyBuilder& reply, std::string_view sha) {
  lua_State* L = lua_;
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
  lua_State* L = lua_;
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
  int top = lua_gettop(lua_);
  if (!PushResp(lua_, p, end, 0)) {
    lua_settop(lua_, top);
    PushSingleField(lua_, "err", "ERR reply could not be converted to Lua");
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
  if (const AclUser& user = state_->UserOf(session_); !Acl::CanRun(user, *spec)) {
    state_->stats.acl_denied_cmd++;
    return fail(errors::NoPermCommand(user.name, spec->name));
  }
  if (spec->flags & kWrite) {
    if (read_only_) return fail("ERR Write commands are not allowed from read-only scripts.");
    if (state_->snapshotter != nullptr && state_->snapshotter->WritesRefused()) {
      return fail(errors::kMisconf);
    }
    if (state_->postgres != nullptr && state_->postgres->draining()) {
      return fail(errors::kShuttingDown);
    }
  }
  if ((spec->flags & kDenyOom) && state_->config.maxmemory > 0 &&
      state_->Evict(1000) == Evictor::Result::kFail) {
    return fail("OOM command not allowed when used memory > 'maxmemory'.");
  }
  // The cache tier: a script cannot wait for PostgreSQL in the middle of its atomic run. Values
  // of its declared KEYS were read back before it started; a key it did not declare whose value
  // is not in memory is an error (never an empty value).
  const bool cold = state_->postgres != nullptr && state_->postgres->TierActive();
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
    if (L != lua_) lua_sethook(lua_, LuaHook, LUA_MASKCOUNT, 1);
    PushSingleField(L, "err", "ERR Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
  lua_sethook(L, LuaHook, LUA_MASKCOUNT, kHookInstructions);
}

}  // namespace dkv::server
