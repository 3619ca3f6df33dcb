// The Lua libraries Redis puts in its scripting environment besides Lua's own: cjson (Debian's
// lua-cjson), cmsgpack (MessagePack), bit (LuaBitOp's API) and struct (pack/unpack of binary
// records). cmsgpack, bit and struct are dkv's own C++ (lua_cmsgpack.cc, lua_bit.cc,
// lua_struct.cc), written to give the same bytes, results and error texts as Redis 7's; the rules
// they follow are written down in docs/lua-libraries.md.
//
// cjson.encode (and the encode of every cjson.new() instance) is wrapped: lua-cjson 2.1.0 sizes
// its buffer in an int, so a 358 MB string or a 2 GiB result would overflow it (Redis' fix:
// CVE-2022-24834); the wrapper bounds what the library may reserve first and refuses past 2 GiB.
//
// OpenRedisLibraries() is the one call an interpreter makes (EVAL's and the functions' alike): it
// sets the four globals to the real library tables; the caller makes them read-only afterwards.
// The functions keep no state of their own, so one set serves any number of interpreters.
//
// Hostile input: no function allocates for a size read from its input before the bytes exist,
// recursion is bounded (cmsgpack packs 16 levels and unpacks as deep as the Lua stack allows,
// about 4000), a pack result is refused past `*max_string_len` bytes, and long loops call the
// interpreter's count hook (the script time limit and SCRIPT KILL) every kBudgetStep elements.
// Lua errors unwind these functions with longjmp: the frames they cross hold nothing to destroy
// (buffers are Lua userdata the collector frees). Loop thread only.
#pragma once

#include <cstdint>

struct lua_State;

namespace dkv::server::lua {

// Sets the globals cjson, cmsgpack, bit and struct in `L`. `max_string_len` (proto-max-bulk-len)
// outlives the interpreter and is read per call.
void OpenRedisLibraries(lua_State* L, const int64_t* max_string_len);

// The libraries one by one: each pushes its table.
int OpenCmsgpack(lua_State* L);  // upvalue-free; reads the length limit from the registry
int OpenBit(lua_State* L);
int OpenStruct(lua_State* L);

// Elements a library loop handles between two calls of the count hook.
inline constexpr uint32_t kBudgetStep = 1u << 16;
// Calls the interpreter's count hook, if one is set, as if the count had run out: the script
// time limit and SCRIPT KILL reach a long C loop. The hook may raise.
void CallCountHook(lua_State* L);

// The registry key holding a light userdata pointing at the pack length limit.
inline constexpr char kMaxStringLenKey[] = "dkv.max_string_len";

// What x86-64 compilers make of a double converted to a 64-bit integer, without the undefined
// behaviour (cvttsd2si: NaN and out-of-range values give INT64_MIN; conversion to unsigned goes
// through the signed one, biased by 2^63 at and above 2^63). Redis' C libraries convert this way,
// and their results for such numbers are part of their byte output.
int64_t X86DoubleToInt64(double d);
uint64_t X86DoubleToUint64(double d);

}  // namespace dkv::server::lua
