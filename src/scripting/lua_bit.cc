// bit: 32-bit operations on Lua numbers with LuaBitOp's API and results, as Redis 7 ships it
// (see docs/lua-libraries.md). Every argument becomes an int32 by the IEEE trick LuaBitOp uses
// (add 2^52 + 2^51, keep the low 32 bits of the double), so fractions round to even and large
// numbers wrap exactly as there; results are signed int32 numbers.
#include <cstdint>
#include <cstring>

#include "src/scripting/lua_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace dkv::server::lua {
namespace {

uint32_t ToBits(lua_Number n) {
  double biased = static_cast<double>(n) + 6755399441055744.0;
  uint64_t bits;
  std::memcpy(&bits, &biased, sizeof bits);
  return static_cast<uint32_t>(bits);
}

// Argument `index` as 32 bits; a value that is not a number (nor a numeric string) is an error.
uint32_t Arg(lua_State* L, int index) {
  uint32_t b = ToBits(lua_tonumber(L, index));
  if (b == 0 && !lua_isnumber(L, index)) luaL_typerror(L, index, "number");
  return b;
}

int Return(lua_State* L, uint32_t b) {
  lua_pushnumber(L, static_cast<lua_Number>(static_cast<int32_t>(b)));
  return 1;
}

int ToBit(lua_State* L) { return Return(L, Arg(L, 1)); }
int BNot(lua_State* L) { return Return(L, ~Arg(L, 1)); }

// band/bor/bxor: the first argument, then the others from the last one down (the order in which
// a bad argument is found).
template <typename Op>
int Fold(lua_State* L, Op op) {
  uint32_t b = Arg(L, 1);
  for (int i = lua_gettop(L); i > 1; --i) b = op(b, Arg(L, i));
  return Return(L, b);
}
int BAnd(lua_State* L) {
  return Fold(L, [](uint32_t a, uint32_t b) { return a & b; });
}
int BOr(lua_State* L) {
  return Fold(L, [](uint32_t a, uint32_t b) { return a | b; });
}
int BXor(lua_State* L) {
  return Fold(L, [](uint32_t a, uint32_t b) { return a ^ b; });
}

// The shift count is the second argument's low 5 bits.
int LShift(lua_State* L) {
  uint32_t b = Arg(L, 1), n = Arg(L, 2) & 31;
  return Return(L, b << n);
}
int RShift(lua_State* L) {
  uint32_t b = Arg(L, 1), n = Arg(L, 2) & 31;
  return Return(L, b >> n);
}
int ARShift(lua_State* L) {
  uint32_t b = Arg(L, 1), n = Arg(L, 2) & 31;
  return Return(L, static_cast<uint32_t>(static_cast<int32_t>(b) >> n));
}
int Rol(lua_State* L) {
  uint32_t b = Arg(L, 1), n = Arg(L, 2) & 31;
  return Return(L, n == 0 ? b : (b << n) | (b >> (32 - n)));
}
int Ror(lua_State* L) {
  uint32_t b = Arg(L, 1), n = Arg(L, 2) & 31;
  return Return(L, n == 0 ? b : (b >> n) | (b << (32 - n)));
}
int BSwap(lua_State* L) {
  uint32_t b = Arg(L, 1);
  b = (b >> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24);
  return Return(L, b);
}

// tohex(x [, n]): the low |n| hex digits (8 at most, 8 by default), upper case when n < 0.
int ToHex(lua_State* L) {
  uint32_t b = Arg(L, 1);
  int32_t n = lua_isnone(L, 2) ? 8 : static_cast<int32_t>(Arg(L, 2));
  const char* digits = "0123456789abcdef";
  if (n == INT32_MIN) n = INT32_MIN + 1;
  if (n < 0) {
    n = -n;
    digits = "0123456789ABCDEF";
  }
  if (n > 8) n = 8;
  char out[8];
  for (int i = n - 1; i >= 0; --i) {
    out[i] = digits[b & 15];
    b >>= 4;
  }
  lua_pushlstring(L, out, static_cast<size_t>(n));
  return 1;
}

}  // namespace

int OpenBit(lua_State* L) {
  lua_newtable(L);
  const luaL_Reg functions[] = {{"tobit", ToBit},   {"bnot", BNot},       {"band", BAnd},
                                {"bor", BOr},       {"bxor", BXor},       {"lshift", LShift},
                                {"rshift", RShift}, {"arshift", ARShift}, {"rol", Rol},
                                {"ror", Ror},       {"bswap", BSwap},     {"tohex", ToHex}};
  for (const luaL_Reg& fn : functions) {
    lua_pushcfunction(L, fn.func);
    lua_setfield(L, -2, fn.name);
  }
  return 1;
}

}  // namespace dkv::server::lua
