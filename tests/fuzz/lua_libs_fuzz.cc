// libFuzzer target for the script libraries that read untrusted bytes (src/scripting/lua_libs.h):
// any bytes given to cmsgpack.unpack, unpack_one and unpack_limit, and what they decode packed
// again; the same bytes split into a struct format and its data for struct.unpack, struct.size
// and struct.pack. Each call must return or raise a Lua error, never crash, read out of bounds,
// allocate for a size the input only announces, or exhaust the C stack. The corpus starts from
// packed values of every type and a few struct formats.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include "src/scripting/lua_libs.h"

namespace {

// Lua's memory, capped so that no input can make the fuzzer itself run out.
size_t g_lua_bytes = 0;
constexpr size_t kLuaCap = size_t{512} << 20;

void* Alloc(void*, void* ptr, size_t old_size, size_t new_size) {
  if (new_size == 0) {
    if (ptr != nullptr) g_lua_bytes -= old_size;
    std::free(ptr);
    return nullptr;
  }
  size_t before = ptr != nullptr ? old_size : 0;
  if (new_size > before && g_lua_bytes + (new_size - before) > kLuaCap) return nullptr;
  void* p = std::realloc(ptr, new_size);
  if (p != nullptr) g_lua_bytes = g_lua_bytes - before + new_size;
  return p;
}

constexpr char kScript[] = R"lua(
local input, fmt, data = ...
local ok, a, b, c = pcall(cmsgpack.unpack, input)
if ok then pcall(cmsgpack.pack, a, b, c) end
local off = 0
for _ = 1, 64 do
  local ok2, next_off, v = pcall(cmsgpack.unpack_one, input, off)
  if not ok2 or next_off == -1 then break end
  pcall(cmsgpack.pack, v)
  off = next_off
end
pcall(cmsgpack.unpack_limit, input, 3, #input % 7)
pcall(struct.unpack, fmt, data)
pcall(struct.unpack, fmt, data, #data % 5 + 1)
pcall(struct.size, fmt)
pcall(struct.pack, fmt, 1, data, -2.5, data, 2^40, 'x', 7, 0/0, data)
)lua";

lua_State* State() {
  static lua_State* L = [] {
    lua_State* s = lua_newstate(Alloc, nullptr);
    lua_pushcfunction(s, luaopen_base);
    lua_pushstring(s, "");
    lua_call(s, 1, 0);
    static const int64_t kMaxString = int64_t{64} << 20;
    dkv::server::lua::OpenRedisLibraries(s, &kMaxString);
    return s;
  }();
  return L;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lua_State* L = State();
  if (luaL_loadbuffer(L, kScript, sizeof kScript - 1, "=fuzz") != 0) __builtin_trap();
  const char* bytes = reinterpret_cast<const char*>(data);
  lua_pushlstring(L, bytes, size);
  // The format is the bytes up to the first NUL (at most 24); the data is the rest.
  size_t fmt_len = 0;
  while (fmt_len < size && fmt_len < 24 && bytes[fmt_len] != '\0') ++fmt_len;
  lua_pushlstring(L, bytes, fmt_len);
  size_t rest = fmt_len < size ? fmt_len + 1 : size;
  lua_pushlstring(L, bytes + rest, size - rest);
  if (lua_pcall(L, 3, 0, 0) != 0) lua_pop(L, 1);  // only out of memory gets here
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
