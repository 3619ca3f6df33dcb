// The Lua sandbox's C functions and value conversions, as ScriptEngine (src/scripting/scripting.cc)
// installs them: read-only library proxies, safe replacements for load/loadstring/pcall/rawget/
// rawset/setmetatable, the RESP-to-Lua conversion of a command's reply, the script's shebang line.
// Stateless functions on a lua_State the caller owns. Loop thread only.
#pragma once

#include <string>
#include <string_view>

extern "C" {
#include <lua.h>
}

namespace dkv::server::lua {

// The registry table mapping every read-only proxy to the table behind it (created by the
// engine when it opens the interpreter).
inline constexpr char kProxiesKey[] = "dkv.proxies";
// Deepest nesting converted between Lua tables and RESP.
inline constexpr int kMaxDepth = 512;

// Pops the string on top of the stack as one line of status or error text (CR and LF become
// spaces).
std::string PopLine(lua_State* L);
// Pushes t[name] without metamethods.
void RawField(lua_State* L, int index, const char* name);
// Pushes {name = value}.
void PushSingleField(lua_State* L, const char* name, std::string_view value);
// An error from a library function, reported without a script position.
int RaisePlain(lua_State* L, const char* message);
// setmetatable refusing the read-only tables (upvalue 1: the original setmetatable).
int SafeSetMetatable(lua_State* L);
// loadstring and load without precompiled chunks.
int SafeLoadString(lua_State* L);
int SafeLoad(lua_State* L);
// rawget/rawset that see through (rawset: refuse) the read-only proxies.
int SafeRawGet(lua_State* L);
int SafeRawSet(lua_State* L);
// next and pairs that walk the table behind a read-only proxy (pairs(cjson) lists cjson's
// functions, as in Redis 7, whose libraries are read-only in place). pairs' upvalue 1: SafeNext.
int SafeNext(lua_State* L);
int SafePairs(lua_State* L);
// pcall as Redis 7 has it.
int SafePcall(lua_State* L);
// Replaces the table at `real_index` by a read-only proxy reading through to it.
void PushReadOnlyProxy(lua_State* L, int real_index, bool strict);
// A Lua number as a command argument, as Redis formats it.
std::string NumberToArg(lua_Number n);
// Reads one RESP reply from [*p, end) and pushes it as a Lua value, by Redis' rules.
bool PushResp(lua_State* L, const char*& p, const char* end, int depth);
// The script's first line may be a shebang: "#!lua" or "#!lua flags=no-writes,allow-oom".
bool ParseShebang(std::string_view* body, bool* no_writes, std::string* error);

}  // namespace dkv::server::lua
