// Lua guards: checked replacements for library functions of Debian's unpatched Lua 5.1, the
// collector stopped while chunks compile, and the per-script reset of settings scripts share.
// See lua_guards.h.
#include "src/scripting/lua_guards.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <sys/random.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <ctime>
#include <vector>

namespace dkv::server {
namespace {

// The cjson functions that change a setting of the module (every later cjson call sees it).
constexpr const char* kCjsonSetters[] = {
    "encode_sparse_array",     "encode_max_depth",   "decode_max_depth",
    "encode_number_precision", "encode_keep_buffer", "encode_invalid_numbers",
    "decode_invalid_numbers",
};

// The 48-bit linear congruential generator of POSIX drand48 (multiplier 0x5DEECE66D,
// increment 11), which Redis' math.random draws from.
constexpr uint64_t kRandMul = 0x5DEECE66DULL;
constexpr uint64_t kRandAdd = 0xB;
constexpr uint64_t kRandMask = (1ULL << 48) - 1;

// Which setting a wrapped function changes (upvalue 4 of MarkChange).
enum Kind { kCjson = 0, kGc = 1 };

}  // namespace

LuaGuards* LuaGuards::Self(lua_State* L) {
  return static_cast<LuaGuards*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// unpack(t [, i [, j]]) as Lua 5.1 has it, with the count computed in 64 bits: 5.1.5 computes
// j - i + 1 in an int, and a range such as (-1, 2^31 - 2) overflows to a small count and then
// pushes 2^31 values past the end of the stack.
int LuaGuards::Unpack(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t first = luaL_optint(L, 2, 1);
  int64_t last = lua_isnoneornil(L, 3) ? static_cast<int64_t>(lua_objlen(L, 1))
                                       : static_cast<int64_t>(luaL_checkint(L, 3));
  if (first > last) return 0;
  int64_t n = last - first + 1;
  if (n >= INT_MAX || !lua_checkstack(L, static_cast<int>(n))) {
    return luaL_error(L, "too many results to unpack");
  }
  for (int64_t i = first; i <= last; ++i) lua_rawgeti(L, 1, static_cast<int>(i));
  return static_cast<int>(n);
}

// string.rep(s, n): a result longer than proto-max-bulk-len is an error before any allocation
// (5.1.5 appends n copies one by one in C: 2^31 - 1 of them hold the loop for seconds, beyond
// the count hook, and allocate gigabytes).
int LuaGuards::StringRep(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  int n = luaL_checkint(L, 2);
  if (n <= 0 || len == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  const int64_t max = *Self(L)->max_string_len_;
  if (len > static_cast<uint64_t>(max) / static_cast<uint64_t>(n)) {
    return luaL_error(L, "resulting string too large");
  }
  size_t total = len * static_cast<size_t>(n);
  // Filled by doubling in a collectable block (nothing to free if the push below fails).
  char* block = static_cast<char*>(lua_newuserdata(L, total));
  std::memcpy(block, s, len);
  for (size_t filled = len; filled < total;) {
    size_t copy = filled <= total - filled ? filled : total - filled;
    std::memcpy(block + filled, block, copy);
    filled += copy;
  }
  lua_pushlstring(L, block, total);
  return 1;
}

// table.insert(t, [pos,] v) as Lua 5.1 has it, but a position below 1 is refused (Lua 5.2's
// error): 5.1.5 shifts every slot from the end down to the position, 2^31 of them for
// table.insert({}, -2^31 + 1, v), in one C loop the count hook never interrupts.
// What `for i = end, pos + 1, -1 do t[i] = t[i - 1] end` does, at a cost in the table's entries
// rather than in end - pos: every integer key k in [pos, end - 1] moves to k + 1, and a key in
// (pos, end] whose predecessor held nothing becomes nil.
void LuaGuards::ShiftExistingKeys(lua_State* L, int64_t pos, int64_t end) {
  std::vector<int64_t> keys;  // integer keys in [pos, end]
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);  // the value
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Number n = lua_tonumber(L, -1);
      if (n >= static_cast<lua_Number>(pos) && n <= static_cast<lua_Number>(end) &&
          n == std::floor(n)) {
        keys.push_back(static_cast<int64_t>(n));
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  auto held = [&](int64_t k) { return std::binary_search(keys.begin(), keys.end(), k); };
  // Highest first, so nothing is overwritten before it has moved.
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    const int64_t k = *it;
    if (k <= end - 1) {
      lua_rawgeti(L, 1, static_cast<int>(k));
      lua_rawseti(L, 1, static_cast<int>(k + 1));
    }
    if (k > pos && !held(k - 1)) {
      lua_pushnil(L);
      lua_rawseti(L, 1, static_cast<int>(k));
    }
  }
}

int LuaGuards::TableInsert(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t end = static_cast<int64_t>(lua_objlen(L, 1)) + 1;  // first empty slot
  int64_t pos;
  switch (lua_gettop(L)) {
    case 2:
      pos = end;
      break;
    case 3: {
      pos = luaL_checkint(L, 2);
      luaL_argcheck(L, pos >= 1, 2, "position out of bounds");
      if (pos > end) end = pos;  // a gap: nothing to shift
      if (end - pos > kDenseShiftLimit) {
        // The length of a sparse table can be far above its entries (31 entries can have a
        // length of 150 million): slot by slot that is a C loop SCRIPT KILL cannot stop.
        ShiftExistingKeys(L, pos, end);
        break;
      }
      for (int64_t i = end; i > pos; --i) {
        lua_rawgeti(L, 1, static_cast<int>(i - 1));
        lua_rawseti(L, 1, static_cast<int>(i));
      }
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_rawseti(L, 1, static_cast<int>(pos));
  return 0;
}

void LuaGuards::Seed(uint32_t seed) {
  rand_state_ = ((static_cast<uint64_t>(seed) << 16) | 0x330E) & kRandMask;
  rand_seeded_ = true;
}

uint32_t LuaGuards::Next31() {
  if (!rand_seeded_) {
    // The script's first draw: a seed no earlier script chose or saw.
    uint64_t fresh = 0;
    if (getrandom(&fresh, sizeof(fresh), 0) != static_cast<ssize_t>(sizeof(fresh))) {
      fresh = static_cast<uint64_t>(std::time(nullptr)) * 0x9E3779B97F4A7C15ULL ^ rand_state_;
    }
    rand_state_ = fresh & kRandMask;
    rand_seeded_ = true;
  }
  rand_state_ = (rand_state_ * kRandMul + kRandAdd) & kRandMask;
  return static_cast<uint32_t>(rand_state_ >> 17);
}

// math.random as Redis has it: the generator above, scaled as Lua 5.1 scales rand().
int LuaGuards::Random(lua_State* L) {
  constexpr double kMax = 2147483647.0;
  double r = static_cast<double>(Self(L)->Next31() % 2147483647u) / kMax;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int upper = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= upper, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * upper) + 1);
      break;
    }
    case 2: {
      int lower = luaL_checkint(L, 1);
      int upper = luaL_checkint(L, 2);
      luaL_argcheck(L, lower <= upper, 2, "interval is empty");
      double span = static_cast<double>(upper) - lower + 1;
      lua_pushnumber(L, std::floor(r * span) + lower);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int LuaGuards::RandomSeed(lua_State* L) {
  Self(L)->Seed(static_cast<uint32_t>(luaL_checkint(L, 1)));
  return 0;
}

// A cjson setter or collectgarbage: notes that the script changed a setting, then calls the
// original (upvalue 2, named upvalue 3). Its argument errors keep the text and position the
// original gives when a script calls it directly.
int LuaGuards::MarkChange(lua_State* L) {
  LuaGuards* self = Self(L);
  int args = lua_gettop(L);
  if (static_cast<int>(lua_tointeger(L, lua_upvalueindex(4))) == kGc) {
    const char* option = args > 0 ? lua_tostring(L, 1) : nullptr;
    if (option != nullptr &&
        (std::strcmp(option, "stop") == 0 || std::strcmp(option, "setpause") == 0 ||
         std::strcmp(option, "setstepmul") == 0)) {
      self->gc_changed_ = true;
    }
  } else if (args > 0) {
    self->cjson_changed_ = true;
  }
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  return CallAs(L, lua_tostring(L, lua_upvalueindex(3)));
}

int LuaGuards::CallAs(lua_State* L, const char* name) {
  if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) != 0) {
    // A C function called from C has no name: its argument errors say "to '?'" and carry no
    // script position. Both as if the script had called it.
    if (lua_type(L, -1) == LUA_TSTRING) {
      luaL_where(L, 1);
      lua_pushfstring(L, "'%s'", name);
      luaL_gsub(L, lua_tostring(L, -3), "'?'", lua_tostring(L, -1));
      lua_remove(L, -2);
      lua_concat(L, 2);
    }
    return lua_error(L);
  }
  return lua_gettop(L);
}

void LuaGuards::Install(lua_State* L) {
  rand_seeded_ = false;
  cjson_changed_ = false;
  gc_changed_ = false;
  lua_pushcfunction(L, Unpack);
  lua_setglobal(L, "unpack");
  lua_getglobal(L, "string");
  lua_pushlightuserdata(L, this);
  lua_pushcclosure(L, StringRep, 1);
  lua_setfield(L, -2, "rep");
  lua_pop(L, 1);
  lua_getglobal(L, "table");
  lua_pushcfunction(L, TableInsert);
  lua_setfield(L, -2, "insert");
  lua_pop(L, 1);
  lua_getglobal(L, "math");
  lua_pushlightuserdata(L, this);
  lua_pushcclosure(L, Random, 1);
  lua_setfield(L, -2, "random");
  lua_pushlightuserdata(L, this);
  lua_pushcclosure(L, RandomSeed, 1);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);

  // The collector's defaults, read by setting and putting back.
  gc_pause_ = lua_gc(L, LUA_GCSETPAUSE, 200);
  lua_gc(L, LUA_GCSETPAUSE, gc_pause_);
  gc_stepmul_ = lua_gc(L, LUA_GCSETSTEPMUL, 200);
  lua_gc(L, LUA_GCSETSTEPMUL, gc_stepmul_);
  lua_getglobal(L, "collectgarbage");
  lua_pushlightuserdata(L, this);
  lua_insert(L, -2);
  lua_pushstring(L, "collectgarbage");
  lua_pushinteger(L, kGc);
  lua_pushcclosure(L, MarkChange, 4);
  lua_setglobal(L, "collectgarbage");

  // Each cjson setter: its defaults (what it answers when called without arguments) under the
  // original function, then the wrapper in its place.
  lua_newtable(L);  // {{setter, defaults...}, ...}
  lua_getglobal(L, "cjson");
  int defaults = lua_gettop(L) - 1;
  int cjson = lua_gettop(L);
  int count = 0;
  for (const char* name : kCjsonSetters) {
    lua_getfield(L, cjson, name);
    if (!lua_isfunction(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    int base = lua_gettop(L);
    lua_pushvalue(L, base);
    if (lua_pcall(L, 0, LUA_MULTRET, 0) != 0) {
      lua_settop(L, base - 1);
      continue;
    }
    int values = lua_gettop(L) - base;
    lua_createtable(L, values + 1, 0);
    lua_pushvalue(L, base);
    lua_rawseti(L, -2, 1);
    for (int i = 1; i <= values; ++i) {
      lua_pushvalue(L, base + i);
      lua_rawseti(L, -2, i + 1);
    }
    lua_rawseti(L, defaults, ++count);
    lua_settop(L, base);  // the original setter
    lua_pushlightuserdata(L, this);
    lua_insert(L, -2);
    lua_pushstring(L, name);
    lua_pushinteger(L, kCjson);
    lua_pushcclosure(L, MarkChange, 4);
    lua_setfield(L, cjson, name);
  }
  lua_pop(L, 1);  // cjson
  cjson_defaults_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

int LuaGuards::Load(lua_State* L, const char* code, size_t len, const char* chunkname) {
  lua_gc(L, LUA_GCSTOP, 0);
  int rc = luaL_loadbuffer(L, code, len, chunkname);
  lua_gc(L, LUA_GCRESTART, 0);
  return rc;
}

void LuaGuards::BeforeScript() { rand_seeded_ = false; }

void LuaGuards::AfterScript(lua_State* L) {
  if (gc_changed_) {
    lua_gc(L, LUA_GCRESTART, 0);
    lua_gc(L, LUA_GCSETPAUSE, gc_pause_);
    lua_gc(L, LUA_GCSETSTEPMUL, gc_stepmul_);
    gc_changed_ = false;
  }
  if (!cjson_changed_) return;
  cjson_changed_ = false;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, cjson_defaults_ref_);
  int defaults = lua_gettop(L);
  for (int i = 1;; ++i) {
    lua_rawgeti(L, defaults, i);
    if (!lua_istable(L, -1)) break;
    int entry = lua_gettop(L);
    int n = static_cast<int>(lua_objlen(L, entry));
    for (int j = 1; j <= n; ++j) lua_rawgeti(L, entry, j);
    lua_pcall(L, n - 1, 0, 0);  // a setter given its own answer does not fail
    lua_settop(L, defaults);
  }
  lua_settop(L, top);
}

}  // namespace dkv::server
