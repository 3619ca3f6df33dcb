// Lua guards: the parts of the script sandbox that protect the server from Debian's unpatched
// liblua5.1 (5.1.5) and keep one script's settings from reaching the next.
//
// - Library functions that can crash or hold the loop are replaced by checked C versions:
//   `unpack` (CVE-2025-46817: a range whose length overflows an int pushed past the stack),
//   `string.rep` (a result over proto-max-bulk-len is refused before anything is allocated),
//   `table.insert` (a position below 1 made it shift up to 2^31 slots in C, out of reach of the
//   count hook and of SCRIPT KILL).
// - Every compilation (EVAL, SCRIPT LOAD, `loadstring`/`load` inside scripts) runs with the
//   collector stopped: Lua 5.1's parser holds the chunk name unanchored, and a collection during
//   the parse could free it (CVE-2025-49844).
// - Settings a script may change live in the interpreter, which every script shares. `math.random`
//   and `math.randomseed` use an engine-owned generator (Redis' 48-bit one, so a seeded sequence
//   equals Redis') that each script starts unseeded: its first draw takes a fresh random seed, so a
//   `math.randomseed` in one script predicts nothing in the next. The cjson setters and
//   `collectgarbage` are wrapped to note a change; after the script, the changed settings are put
//   back through the original setters, captured before any script ran.
//
// The ScriptEngine owns a LuaGuards, calls Install() once per interpreter (before its libraries
// are made read-only), Load() for every compilation, and BeforeScript()/AfterScript() around
// every run. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>

struct lua_State;

namespace dkv::server {

class LuaGuards {
 public:
  // `max_string_len` (proto-max-bulk-len) outlives the interpreter; string.rep reads it per call.
  explicit LuaGuards(const int64_t* max_string_len) : max_string_len_(max_string_len) {}

  // Replaces the guarded functions in the real library tables of `L` and captures the default
  // cjson and collector settings. `L` has the base, table, string and math libraries and the
  // cjson module in the global `cjson`.
  void Install(lua_State* L);
  // luaL_loadbuffer with the collector stopped for the duration of the parse.
  static int Load(lua_State* L, const char* code, size_t len, const char* chunkname);
  void BeforeScript();
  // Puts back what the script changed (cjson settings, the collector's). Never raises.
  void AfterScript(lua_State* L);
  // Calls the function at stack index 1 with the values above it, for a C function standing in
  // for the library function `name`: errors read as the original's would (name and script
  // position). Returns the number of results, left on the stack.
  static int CallAs(lua_State* L, const char* name);

 private:
  static int Unpack(lua_State* L);
  static int StringRep(lua_State* L);
  static int TableInsert(lua_State* L);
  static void ShiftExistingKeys(lua_State* L, int64_t pos, int64_t end);
  // Above this many slots to shift, table.insert walks the table's entries instead.
  static constexpr int64_t kDenseShiftLimit = 4096;
  static int Random(lua_State* L);
  static int RandomSeed(lua_State* L);
  static int MarkChange(lua_State* L);
  static LuaGuards* Self(lua_State* L);

  void Seed(uint32_t seed);
  uint32_t Next31();

  const int64_t* max_string_len_;
  uint64_t rand_state_ = 0;  // 48 bits
  bool rand_seeded_ = false;
  bool cjson_changed_ = false;
  bool gc_changed_ = false;
  int gc_pause_ = 200;
  int gc_stepmul_ = 200;
  int cjson_defaults_ref_ = -2;  // LUA_NOREF: {{setter, n, values...}, ...} in the registry
};

}  // namespace dkv::server
