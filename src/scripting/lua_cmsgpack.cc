// cmsgpack: MessagePack for scripts, giving the bytes Redis 7's cmsgpack gives (see
// docs/lua-libraries.md for the rules and src/scripting/lua_libs.h for the limits).
#include <cmath>
#include <cstring>

#include "src/scripting/lua_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace dkv::server::lua {
namespace {

// Tables nested deeper than this pack as nil (a table holding itself packs 16 levels).
constexpr int kMaxPackNesting = 16;

// The output of one pack: a Lua userdata at stack slot `slot`, replaced by a larger one as it
// fills (the collector frees the old ones, also when an error unwinds the pack).
struct PackBuffer {
  lua_State* L;
  int slot;
  unsigned char* data;
  size_t len;
  size_t cap;
  size_t limit;
  uint32_t budget;
};

void Grow(PackBuffer* b, size_t more) {
  if (more > b->limit - b->len) luaL_error(b->L, "MessagePack pack result too large");
  size_t cap = b->cap * 2;
  if (cap < b->len + more) cap = b->len + more;
  if (cap < 256) cap = 256;
  if (cap > b->limit) cap = b->limit;
  if (!lua_checkstack(b->L, 1)) luaL_error(b->L, "stack overflow (in function mp_pack)");
  auto* fresh = static_cast<unsigned char*>(lua_newuserdata(b->L, cap));
  if (b->len > 0) std::memcpy(fresh, b->data, b->len);
  lua_replace(b->L, b->slot);
  b->data = fresh;
  b->cap = cap;
}

void Append(PackBuffer* b, const void* bytes, size_t n) {
  if (n > b->cap - b->len) Grow(b, n);
  std::memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

// A type byte followed by `width` bytes of `value`, big-endian.
void AppendHeader(PackBuffer* b, unsigned char type, uint64_t value, int width) {
  unsigned char out[9];
  out[0] = type;
  for (int i = 0; i < width; ++i)
    out[1 + i] = static_cast<unsigned char>(value >> (8 * (width - 1 - i)));
  Append(b, out, static_cast<size_t>(1 + width));
}

void PackInt(PackBuffer* b, int64_t n) {
  if (n >= 0) {
    auto u = static_cast<uint64_t>(n);
    if (u <= 127) {
      AppendHeader(b, static_cast<unsigned char>(u), 0, 0);
    } else if (u <= 0xff) {
      AppendHeader(b, 0xcc, u, 1);
    } else if (u <= 0xffff) {
      AppendHeader(b, 0xcd, u, 2);
    } else if (u <= 0xffffffffu) {
      AppendHeader(b, 0xce, u, 4);
    } else {
      AppendHeader(b, 0xcf, u, 8);
    }
    return;
  }
  auto bits = static_cast<uint64_t>(n);
  if (n >= -32) {
    AppendHeader(b, static_cast<unsigned char>(bits), 0, 0);
  } else if (n >= -128) {
    AppendHeader(b, 0xd0, bits, 1);
  } else if (n >= -32768) {
    AppendHeader(b, 0xd1, bits, 2);
  } else if (n >= INT32_MIN) {
    AppendHeader(b, 0xd2, bits, 4);
  } else {
    AppendHeader(b, 0xd3, bits, 8);
  }
}

// A number that is a whole int64 packs as the smallest integer; any other as a float32 when that
// holds it exactly, else as a float64.
void PackNumber(PackBuffer* b, lua_Number n) {
  if (static_cast<double>(X86DoubleToInt64(n)) == n) {
    PackInt(b, X86DoubleToInt64(n));
    return;
  }
  bool as_float = std::isinf(n) || (!std::isnan(n) && std::fabs(n) <= 3.4028234663852886e38 &&
                                    static_cast<double>(static_cast<float>(n)) == n);
  if (as_float) {
    float f = static_cast<float>(n);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    AppendHeader(b, 0xca, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &n, sizeof bits);
    AppendHeader(b, 0xcb, bits, 8);
  }
}

void PackString(PackBuffer* b, const char* s, size_t len) {
  if (len < 32) {
    AppendHeader(b, static_cast<unsigned char>(0xa0 | len), 0, 0);
  } else if (len <= 0xff) {
    AppendHeader(b, 0xd9, len, 1);
  } else if (len <= 0xffff) {
    AppendHeader(b, 0xda, len, 2);
  } else {
    AppendHeader(b, 0xdb, len, 4);
  }
  Append(b, s, len);
}

// `small` is the fix type (0x90 array, 0x80 map); 16 and 32 bits follow it in the type table.
void PackContainerHeader(PackBuffer* b, unsigned char small, unsigned char wide16, size_t n) {
  if (n <= 15) {
    AppendHeader(b, static_cast<unsigned char>(small | n), 0, 0);
  } else if (n <= 0xffff) {
    AppendHeader(b, wide16, n, 2);
  } else {
    AppendHeader(b, static_cast<unsigned char>(wide16 + 1), n, 4);
  }
}

void CountElement(PackBuffer* b) {
  if (++b->budget == kBudgetStep) {
    b->budget = 0;
    CallCountHook(b->L);
  }
}

// A table is an array when its keys are exactly the numbers 1..n (numbers, not numeric strings;
// a key above 2^31-1 makes it a map).
bool IsArray(lua_State* L) {
  int top = lua_gettop(L);
  int64_t count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_settop(L, top);
      return false;
    }
    lua_Number n = lua_tonumber(L, -1);
    if (!(n > 0 && n <= 2147483647.0 && std::floor(n) == n)) {
      lua_settop(L, top);
      return false;
    }
    if (static_cast<int64_t>(n) > max) max = static_cast<int64_t>(n);
    ++count;
  }
  return max == count;
}

void PackValue(PackBuffer* b, int level);

void PackTable(PackBuffer* b, int level) {
  lua_State* L = b->L;
  luaL_checkstack(L, 4, "in function mp_encode_lua_table");
  if (IsArray(L)) {
    size_t len = lua_objlen(L, -1);
    PackContainerHeader(b, 0x90, 0xdc, len);
    for (size_t i = 1; i <= len; ++i) {
      lua_rawgeti(L, -1, static_cast<int>(i));
      PackValue(b, level + 1);
    }
    return;
  }
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++count;
  }
  PackContainerHeader(b, 0x80, 0xde, count);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    PackValue(b, level + 1);  // the key
    PackValue(b, level + 1);  // the value
  }
}

// Packs the value on top of the stack and pops it.
void PackValue(PackBuffer* b, int level) {
  lua_State* L = b->L;
  CountElement(b);
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxPackNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      PackString(b, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      AppendHeader(b, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0);
      break;
    case LUA_TNUMBER:
      PackNumber(b, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      PackTable(b, level);
      break;
    default:  // nil, functions, coroutines, userdata
      AppendHeader(b, 0xc0, 0, 0);
      break;
  }
  lua_pop(L, 1);
}

size_t PackLimit(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kMaxStringLenKey);
  const auto* limit = static_cast<const int64_t*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return limit != nullptr && *limit > 0 ? static_cast<size_t>(*limit) : SIZE_MAX;
}

// cmsgpack.pack(v1, v2, ...): the values' encodings one after the other.
int Pack(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  PackBuffer b{L, nargs + 1, nullptr, 0, 0, PackLimit(L), 0};
  lua_pushnil(L);  // the buffer's slot
  for (int i = 1; i <= nargs; ++i) {
    luaL_checkstack(L, 1, "in function mp_check");
    lua_pushvalue(L, i);
    PackValue(&b, 0);
  }
  lua_pushlstring(L, reinterpret_cast<const char*>(b.data), b.len);
  return 1;
}

enum class DecodeError { kNone, kEof, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err;
  uint32_t budget;
};

// The `n` bytes after the type byte, big-endian.
uint64_t ReadBig(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

bool Need(Cursor* c, size_t n) {
  if (c->left < n) {
    c->err = DecodeError::kEof;
    return false;
  }
  return true;
}

void Consume(Cursor* c, size_t n) {
  c->p += n;
  c->left -= n;
}

void DecodeValue(lua_State* L, Cursor* c);

void DecodeArray(lua_State* L, Cursor* c, uint64_t count) {
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  for (uint64_t i = 1; i <= count; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    DecodeValue(L, c);
    if (c->err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor* c, uint64_t count) {
  lua_newtable(L);
  for (uint64_t i = 0; i < count; ++i) {
    DecodeValue(L, c);
    if (c->err != DecodeError::kNone) return;
    DecodeValue(L, c);
    if (c->err != DecodeError::kNone) return;
    lua_settable(L, -3);  // a nil or NaN key raises, as Redis' does
  }
}

// A string, array or map whose length takes `width` bytes after the type byte.
void DecodeSized(lua_State* L, Cursor* c, int width, char kind) {
  if (!Need(c, static_cast<size_t>(1 + width))) return;
  uint64_t n = ReadBig(c->p + 1, width);
  Consume(c, static_cast<size_t>(1 + width));
  if (kind == 's') {
    if (!Need(c, n)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(c->p), n);
    Consume(c, n);
  } else if (kind == 'a') {
    DecodeArray(L, c, n);
  } else {
    DecodeMap(L, c, n);
  }
}

// A fixed-width number: `width` bytes after the type byte.
void DecodeFixed(lua_State* L, Cursor* c, unsigned char type, int width) {
  if (!Need(c, static_cast<size_t>(1 + width))) return;
  uint64_t v = ReadBig(c->p + 1, width);
  lua_Number n = 0;
  switch (type) {
    case 0xcc:
    case 0xcd:
    case 0xce:
      n = static_cast<lua_Number>(v);
      break;
    case 0xcf:  // read as int64, as Redis' (2^64 - 1 is -1)
      n = static_cast<lua_Number>(static_cast<int64_t>(v));
      break;
    case 0xd0:
      n = static_cast<int8_t>(v);
      break;
    case 0xd1:
      n = static_cast<int16_t>(v);
      break;
    case 0xd2:
      n = static_cast<int32_t>(v);
      break;
    case 0xd3:
      n = static_cast<lua_Number>(static_cast<int64_t>(v));
      break;
    case 0xca: {
      auto bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      n = f;
      break;
    }
    default: {  // 0xcb
      double d;
      std::memcpy(&d, &v, sizeof d);
      n = d;
      break;
    }
  }
  lua_pushnumber(L, n);
  Consume(c, static_cast<size_t>(1 + width));
}

// Decodes one value at the cursor and pushes it; on an error pushes nothing more and sets err.
void DecodeValue(lua_State* L, Cursor* c) {
  if (!Need(c, 1)) return;
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  if (++c->budget == kBudgetStep) {
    c->budget = 0;
    CallCountHook(L);
  }
  unsigned char type = c->p[0];
  if (type <= 0x7f || type >= 0xe0) {  // positive and negative fixint
    lua_pushnumber(L, type <= 0x7f ? type : static_cast<int8_t>(type));
    Consume(c, 1);
    return;
  }
  if (type >= 0xa0 && type <= 0xbf) {  // fixstr
    size_t len = type & 0x1f;
    if (!Need(c, 1 + len)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(c->p + 1), len);
    Consume(c, 1 + len);
    return;
  }
  if (type >= 0x80 && type <= 0x9f) {  // fixmap, fixarray
    Consume(c, 1);
    if (type >= 0x90) {
      DecodeArray(L, c, type & 0x0f);
    } else {
      DecodeMap(L, c, type & 0x0f);
    }
    return;
  }
  switch (type) {
    case 0xc0:
      lua_pushnil(L);
      Consume(c, 1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, type == 0xc3);
      Consume(c, 1);
      return;
    case 0xcc:
    case 0xd0:
      return DecodeFixed(L, c, type, 1);
    case 0xcd:
    case 0xd1:
      return DecodeFixed(L, c, type, 2);
    case 0xce:
    case 0xd2:
    case 0xca:
      return DecodeFixed(L, c, type, 4);
    case 0xcf:
    case 0xd3:
    case 0xcb:
      return DecodeFixed(L, c, type, 8);
    case 0xd9:
      return DecodeSized(L, c, 1, 's');
    case 0xda:
      return DecodeSized(L, c, 2, 's');
    case 0xdb:
      return DecodeSized(L, c, 4, 's');
    case 0xdc:
      return DecodeSized(L, c, 2, 'a');
    case 0xdd:
      return DecodeSized(L, c, 4, 'a');
    case 0xde:
      return DecodeSized(L, c, 2, 'm');
    case 0xdf:
      return DecodeSized(L, c, 4, 'm');
    default:  // 0xc1, bin and ext types: not read (as Redis)
      c->err = DecodeError::kBadFormat;
      return;
  }
}

// Decodes up to `limit` values from byte `offset` of argument 1 (all of them when both are 0, and
// then without the next offset before them).
int UnpackFull(lua_State* L, int limit, int offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", offset,
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT32_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset),
           DecodeError::kNone, 0};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    DecodeValue(L, &c);
    if (c.err == DecodeError::kEof) return luaL_error(L, "Missing bytes in input.");
    if (c.err == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (!decode_all) {
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, c.left == 0 ? -1 : static_cast<int>(len - c.left));
    lua_insert(L, 2);
    ++count;
  }
  return count;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  auto offset = static_cast<int>(luaL_optinteger(L, 2, 0));
  if (lua_gettop(L) > 1) lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  auto limit = static_cast<int>(luaL_checkinteger(L, 2));
  auto offset = static_cast<int>(luaL_optinteger(L, 3, 0));
  if (lua_gettop(L) > 1) lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  lua_newtable(L);
  const luaL_Reg functions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"unpack_one", UnpackOne}, {"unpack_limit", UnpackLimit}};
  for (const luaL_Reg& fn : functions) {
    lua_pushcfunction(L, fn.func);
    lua_setfield(L, -2, fn.name);
  }
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");  // the version whose behaviour this follows
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

}  // namespace dkv::server::lua
