#include "src/scripting/lua_libs.h"

#include <cmath>

#include "src/scripting/lua_guards.h"

extern "C" {
#include <lauxlib.h>
#include <lua-cjson.h>
#include <lua.h>
}

namespace dkv::server::lua {
namespace {

// Debian's lua-cjson 2.1.0 sizes its output buffer in an int and reserves 6 bytes per byte of a
// string before escaping it (the bug Redis fixed as CVE-2022-24834): a string of 358 MB, or an
// output past 2 GiB, wraps the size and writes past the buffer or aborts the server. The encode
// wrappers below bound the output before the library runs: an upper bound of what it may reserve
// must stay below kCjsonLimit.
constexpr uint64_t kCjsonLimit = (uint64_t{1} << 31) - (uint64_t{1} << 20);
// Nesting the walk follows at most: with encode_max_depth raised above it, a deeper value is
// refused as too large (cjson's own check would let an array reach about 8,000 levels).
constexpr int kCjsonMaxDepth = 3000;

struct Estimate {
  uint64_t bytes;
  uint32_t budget;
  bool stop;  // cjson fails where the walk stopped (nesting, sparse array): nothing more to add
  int max_depth;
  int sparse_convert;
  double sparse_ratio;
  double sparse_safe;
};

void Add(Estimate* e, uint64_t n) {
  e->bytes = n > kCjsonLimit - e->bytes ? kCjsonLimit : e->bytes + n;
}

bool Done(const Estimate* e) { return e->stop || e->bytes >= kCjsonLimit; }

void EstimateValue(lua_State* L, Estimate* e, int depth);

// The table at the top of the stack, walked in the order cjson encodes it (an array by index, an
// object in next order), adding an upper bound of what cjson reserves for it.
void EstimateTable(lua_State* L, Estimate* e, int depth) {
  if (depth > e->max_depth) {
    e->stop = true;  // cjson raises "excessive nesting" on entering this table
    return;
  }
  if (depth > kCjsonMaxDepth || !lua_checkstack(L, 4)) {
    Add(e, kCjsonLimit);
    return;
  }
  double max = 0, items = 0;
  bool array = true;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    lua_Number k = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (k >= 1 && std::floor(k) == k) {
      if (k > max) max = k;
      items += 1;
    } else {
      lua_pop(L, 1);
      array = false;
      break;
    }
  }
  if (array && e->sparse_ratio > 0 && max > items * e->sparse_ratio && max > e->sparse_safe) {
    if (e->sparse_convert == 0) {
      e->stop = true;  // "excessively sparse array"
      return;
    }
    array = false;
  }
  Add(e, 8);
  if (array && max >= 1 && max <= 2147483647.0) {
    Add(e, static_cast<uint64_t>(max) * 8);  // a value or "null", and a comma, per index
    for (int i = 1; i <= static_cast<int>(max) && !Done(e); ++i) {
      lua_rawgeti(L, -1, i);
      EstimateValue(L, e, depth);
    }
    return;
  }
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      Add(e, uint64_t{lua_objlen(L, -2)} * 6 + 8);
    } else {
      Add(e, 48);  // a number key, quoted, ':' and ','
    }
    EstimateValue(L, e, depth);
    if (Done(e)) {
      lua_pop(L, 1);  // the key of the unfinished walk
      return;
    }
  }
}

// Adds what encoding the value at the top of the stack may reserve, and pops it. `depth` is the
// nesting of the table holding it (0 at the top).
void EstimateValue(lua_State* L, Estimate* e, int depth) {
  if (!Done(e)) {
    if (++e->budget == kBudgetStep) {
      e->budget = 0;
      CallCountHook(L);
    }
    switch (lua_type(L, -1)) {
      case LUA_TSTRING:
        Add(e, uint64_t{lua_objlen(L, -1)} * 6 + 8);
        break;
      case LUA_TTABLE:
        EstimateTable(L, e, depth + 1);
        break;
      default:
        Add(e, 40);  // a number is at most 32 bytes; true, false, null less
        break;
    }
  }
  lua_pop(L, 1);
}

// Reads cjson's current settings through its original getters (upvalues 2 and 3).
void ReadSettings(lua_State* L, Estimate* e) {
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_call(L, 0, 1);
  e->max_depth = static_cast<int>(lua_tointeger(L, -1));
  lua_pop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(3));
  lua_call(L, 0, 3);
  e->sparse_convert = lua_toboolean(L, -3);
  e->sparse_ratio = lua_tonumber(L, -2);
  e->sparse_safe = lua_tonumber(L, -1);
  lua_pop(L, 3);
}

// Calls the original (upvalue 1) with this function's arguments; its errors read as if the
// script had called the original (named as the caller names this function, '?' through pcall).
int CallOriginal(lua_State* L) {
  lua_Debug ar;
  const char* name = "?";
  if (lua_getstack(L, 0, &ar) != 0 && lua_getinfo(L, "n", &ar) != 0 && ar.name != nullptr) {
    name = ar.name;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  return LuaGuards::CallAs(L, name);
}

int GuardedEncode(lua_State* L) {
  if (lua_gettop(L) >= 1) {
    Estimate e{0, 0, false, 1000, 0, 2, 10};
    ReadSettings(L, &e);
    lua_pushvalue(L, 1);
    EstimateValue(L, &e, 0);
    if (e.bytes >= kCjsonLimit) return luaL_error(L, "Cannot serialise: result too large");
  }
  return CallOriginal(L);
}

int GuardedDecode(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING && lua_objlen(L, 1) >= kCjsonLimit) {
    return luaL_error(L, "Cannot parse: input too large");
  }
  return CallOriginal(L);
}

// Replaces encode and decode in the cjson table at the top of the stack by the guarded ones.
void GuardCjsonTable(lua_State* L);

int GuardedNew(lua_State* L) {
  int results = CallOriginal(L);
  if (results >= 1 && lua_type(L, -results) == LUA_TTABLE) {
    lua_settop(L, lua_gettop(L) - results + 1);
    GuardCjsonTable(L);
    return 1;
  }
  return results;
}

void GuardCjsonTable(lua_State* L) {
  lua_getfield(L, -1, "encode");
  lua_getfield(L, -2, "encode_max_depth");
  lua_getfield(L, -3, "encode_sparse_array");
  lua_pushcclosure(L, GuardedEncode, 3);
  lua_setfield(L, -2, "encode");
  const luaL_Reg guards[] = {{"decode", GuardedDecode}, {"new", GuardedNew}};
  for (const luaL_Reg& guard : guards) {
    lua_getfield(L, -1, guard.name);
    lua_pushcclosure(L, guard.func, 1);
    lua_setfield(L, -2, guard.name);
  }
}

}  // namespace

void OpenRedisLibraries(lua_State* L, const int64_t* max_string_len) {
  lua_pushlightuserdata(L, const_cast<int64_t*>(max_string_len));
  lua_setfield(L, LUA_REGISTRYINDEX, kMaxStringLenKey);
  const luaL_Reg libraries[] = {{"cjson", luaopen_cjson},
                                {"cmsgpack", OpenCmsgpack},
                                {"struct", OpenStruct},
                                {"bit", OpenBit}};
  for (const luaL_Reg& lib : libraries) {
    lua_pushcfunction(L, lib.func);
    lua_call(L, 0, 1);
    if (lib.func == luaopen_cjson) GuardCjsonTable(L);
    lua_setglobal(L, lib.name);
  }
}

void CallCountHook(lua_State* L) {
  lua_Hook hook = lua_gethook(L);
  if (hook == nullptr || (lua_gethookmask(L) & LUA_MASKCOUNT) == 0) return;
  lua_Debug ar{};
  ar.event = LUA_HOOKCOUNT;
  hook(L, &ar);
}

int64_t X86DoubleToInt64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(d);
}

uint64_t X86DoubleToUint64(double d) {
  if (!(d >= 9223372036854775808.0)) return static_cast<uint64_t>(X86DoubleToInt64(d));
  return static_cast<uint64_t>(X86DoubleToInt64(d - 9223372036854775808.0)) ^ (uint64_t{1} << 63);
}

}  // namespace dkv::server::lua
