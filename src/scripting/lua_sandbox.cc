#include "src/scripting/lua_sandbox.h"

extern "C" {
#include <lauxlib.h>
#include <lualib.h>
}

#include <charconv>
#include <cstdio>
#include <cstring>

#include "engine/numbers.h"
#include "src/commands/args.h"
#include "src/scripting/lua_guards.h"

namespace dkv::server::lua {

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

namespace {
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
}  // namespace

namespace {
int ReadOnlyNewIndex(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }
}  // namespace

// An error from a library function, reported without a script position (as Redis' are).
int RaisePlain(lua_State* L, const char* message) {
  lua_pushstring(L, message);
  return lua_error(L);
}

namespace {
// Pushes the real table behind the proxy at `index`, or nil when it is not one of ours (a
// script's own table with a __metatable field is not).
void PushProxied(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  lua_getfield(L, LUA_REGISTRYINDEX, kProxiesKey);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}
}  // namespace

namespace {
// Replaces the read-only proxy at `index` (positive) by the table behind it; leaves anything else.
void SeeThroughProxy(lua_State* L, int index) {
  PushProxied(L, index);
  if (lua_istable(L, -1)) {
    lua_replace(L, index);
  } else {
    lua_pop(L, 1);
  }
}

bool IsProtected(lua_State* L, int index) {
  PushProxied(L, index);
  bool is_protected = lua_istable(L, -1);
  lua_pop(L, 1);
  return is_protected;
}
}  // namespace

// setmetatable that refuses the read-only tables with Redis' message.
int SafeSetMetatable(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE && IsProtected(L, 1)) {
    return RaisePlain(L, "Attempt to modify a readonly table");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  return LuaGuards::CallAs(L, "setmetatable");
}

namespace {
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
}  // namespace

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
  SeeThroughProxy(L, 1);
  lua_rawget(L, 1);
  return 1;
}

// next that walks the table behind a read-only proxy (the proxy itself is empty). Only keys and
// values come back, never the table behind the proxy.
int SafeNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  SeeThroughProxy(L, 1);
  if (lua_next(L, 1) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

// pairs(t): SafeNext (upvalue 1), t, nil.
int SafePairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
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

}  // namespace dkv::server::lua
