// The Lua libraries of the script environment (src/scripting/lua_libs.h) in process: cmsgpack's
// byte choices, bit's int32 arithmetic, struct's formats, and the limits that keep a hostile
// script from crashing or holding the server (huge msgpack headers, deep nesting, a table that
// packs to an endless tree, struct sizes past the data). The byte-for-byte comparison with Redis
// itself is tests/differential/cases/61_lua_libs.txt.
#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.h"
#include "src/security/sha1.h"

using namespace dkv::server;

namespace {

std::string Eval(CommandHarness& h, const std::string& script) {
  return h.Run({"EVAL", script, "0"});
}

std::string Bulk(const std::string& bytes) {
  return "$" + std::to_string(bytes.size()) + "\r\n" + bytes + "\r\n";
}

std::string LuaError(const std::string& script, const std::string& message) {
  return "-ERR user_script:1: " + message + " script: " + Sha1Hex(script) +
         ", on @user_script:1.\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_libs)

BOOST_AUTO_TEST_CASE(cmsgpack_packs_the_bytes_redis_packs) {
  struct Row {
    const char* script;
    std::string bytes;
  };
  const Row rows[] = {
      {"return cmsgpack.pack(0, 127, 128, 256, 65536)",
       std::string("\x00\x7f\xcc\x80\xcd\x01\x00\xce\x00\x01\x00\x00", 12)},
      {"return cmsgpack.pack(-1, -32, -33, -129)", std::string("\xff\xe0\xd0\xdf\xd1\xff\x7f", 7)},
      {"return cmsgpack.pack(-1099511627776)",
       std::string("\xd3\xff\xff\xff\x00\x00\x00\x00\x00", 9)},
      {"return cmsgpack.pack(0.1)", std::string("\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", 9)},
      {"return cmsgpack.pack(1.5)", std::string("\xca\x3f\xc0\x00\x00", 5)},
      {"return cmsgpack.pack(2^63)", std::string("\xca\x5f\x00\x00\x00", 5)},  // not an int64
      {"return cmsgpack.pack(1/0)", std::string("\xca\x7f\x80\x00\x00", 5)},
      {"return cmsgpack.pack({}, {1, 2}, {a = 1})",
       std::string("\x90\x92\x01\x02\x81\xa1\x61\x01", 8)},
      {"return cmsgpack.pack({1, nil, 3})", std::string("\x82\x01\x01\x03\x03", 5)},
      {"return cmsgpack.pack(nil, true, false, tostring)", std::string("\xc0\xc3\xc2\xc0", 4)},
      {"return cmsgpack.pack(string.rep('x', 32)):sub(1, 3)", std::string("\xd9\x20x", 3)},
  };
  CommandHarness h;
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT(row.script) { BOOST_TEST(Eval(h, row.script) == Bulk(row.bytes)); }
  }
}

BOOST_AUTO_TEST_CASE(cmsgpack_unpacks_and_reports_errors_as_redis) {
  CommandHarness h;
  BOOST_TEST(Eval(h, "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {2}))}") ==
             "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n");
  BOOST_TEST(Eval(h, "return {cmsgpack.unpack_one(string.char(1, 2, 3), 1)}") ==
             "*2\r\n:2\r\n:2\r\n");
  BOOST_TEST(Eval(h, "return {cmsgpack.unpack_limit(string.char(1, 2, 3), 2, 1)}") ==
             "*3\r\n:-1\r\n:2\r\n:3\r\n");
  std::string s = "return cmsgpack.unpack(string.char(0x92, 1))";
  BOOST_TEST(Eval(h, s) == LuaError(s, "Missing bytes in input."));
  s = "return cmsgpack.unpack(string.char(0xc1))";
  BOOST_TEST(Eval(h, s) == LuaError(s, "Bad data format in input."));
  s = "return cmsgpack.unpack(string.char(0x81, 0xc0, 1))";
  BOOST_TEST(Eval(h, s) ==
             "-ERR table index is nil script: " + Sha1Hex(s) + ", on @user_script:1.\r\n");
}

BOOST_AUTO_TEST_CASE(cmsgpack_hostile_input_is_refused_without_allocating_or_crashing) {
  CommandHarness h;
  // Headers announcing 2^32-1 elements or bytes: an error at the first missing byte.
  for (const char* header : {"0xdd", "0xdf", "0xdb", "0xc6"}) {
    std::string s = std::string("return {pcall(cmsgpack.unpack, string.char(") + header +
                    ", 255, 255, 255, 255))}";
    BOOST_TEST_CONTEXT(s) {
      std::string reply = Eval(h, s);
      BOOST_TEST(reply.find("*2\r\n$-1\r\n") == 0);
    }
  }
  // Nesting deeper than the Lua stack allows: the library's stack error, at Redis' depth.
  BOOST_TEST(Eval(h,
                  "return type(cmsgpack.unpack(string.rep(string.char(0x91), 3999) .. "
                  "string.char(1)))") == Bulk("table"));
  BOOST_TEST(Eval(h, "return {pcall(cmsgpack.unpack, string.rep(string.char(0x91), 1000000))}") ==
             "*2\r\n$-1\r\n$51\r\nstack overflow (in function mp_decode_to_lua_array)\r\n");
  BOOST_TEST(Eval(h, "return {pcall(cmsgpack.unpack, string.rep(string.char(1), 100000))}") ==
             "*2\r\n$-1\r\n$88\r\nstack overflow (too many return values at once; use "
             "unpack_one or unpack_limit instead.)\r\n");
  // A table holding itself ten times packs 10^16 leaves in Redis (it never returns); here the
  // result is refused once it passes proto-max-bulk-len.
  BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "1048576"}) == "+OK\r\n");
  std::string s = "local a = {} for i = 1, 10 do a[i] = a end return cmsgpack.pack(a)";
  BOOST_TEST(Eval(h, s) == LuaError(s, "MessagePack pack result too large"));
  s = "return #cmsgpack.pack(string.rep('x', 1048571))";
  BOOST_TEST(Eval(h, s) == ":1048576\r\n");
  s = "return #cmsgpack.pack(string.rep('x', 1048572))";
  BOOST_TEST(Eval(h, s) == LuaError(s, "MessagePack pack result too large"));
  BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "536870912"}) == "+OK\r\n");
  BOOST_TEST(Eval(h, "return 1") == ":1\r\n");
}

BOOST_AUTO_TEST_CASE(bit_is_int32_arithmetic_as_luabitop) {
  CommandHarness h;
  BOOST_TEST(Eval(h,
                  "return {bit.tobit(0xffffffff), bit.tobit(2^32 + 5), bit.tobit(2.5), "
                  "bit.tobit(1e300)}") == "*4\r\n:-1\r\n:5\r\n:2\r\n:-2013235812\r\n");
  BOOST_TEST(Eval(h,
                  "return {bit.band(-1, 0xff), bit.bor(1, 2, 4), bit.bxor(-1, 5), "
                  "bit.bnot(0)}") == "*4\r\n:255\r\n:7\r\n:-6\r\n:-1\r\n");
  BOOST_TEST(Eval(h,
                  "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), "
                  "bit.rol(0x12345678, 4), bit.bswap(0x12345678)}") ==
             "*5\r\n:-2147483648\r\n:15\r\n:-16\r\n:591751041\r\n:2018915346\r\n");
  BOOST_TEST(Eval(h, "return {bit.tohex(255), bit.tohex(255, -3), bit.tohex(1, -2147483648)}") ==
             "*3\r\n$8\r\n000000ff\r\n$3\r\n0FF\r\n$8\r\n00000001\r\n");
  std::string s = "return bit.band(1, 'x', {})";
  BOOST_TEST(Eval(h, s) == LuaError(s, "bad argument #3 to 'band' (number expected, got table)"));
}

BOOST_AUTO_TEST_CASE(struct_formats_and_their_limits) {
  CommandHarness h;
  BOOST_TEST(Eval(h, "return struct.pack('>i<h!4bi', 1, -2, 3, 4)") ==
             Bulk(std::string("\x00\x00\x00\x01\xfe\xff\x03\x00\x04\x00\x00\x00", 12)));
  BOOST_TEST(Eval(h, "return {struct.unpack('bc0', string.char(3) .. 'abcdef')}") ==
             "*2\r\n$3\r\nabc\r\n:5\r\n");
  BOOST_TEST(Eval(h, "return {struct.size('!8bd'), struct.size('i32')}") == "*2\r\n:16\r\n:32\r\n");
  std::string s = "return struct.pack('c99999999999', 'a')";
  BOOST_TEST(Eval(h, s) == LuaError(s, "integral size overflow"));
  s = "return struct.pack('c2147483647', 'a')";
  BOOST_TEST(Eval(h, s) == LuaError(s, "bad argument #3 to 'pack' (string too short)"));
  s = "return struct.unpack('c2147483647', 'abc')";
  BOOST_TEST(Eval(h, s) == LuaError(s, "bad argument #2 to 'unpack' (data string too short)"));
  s = "return struct.unpack('bc0', string.char(255) .. 'abc')";
  BOOST_TEST(Eval(h, s) == LuaError(s, "bad argument #2 to 'unpack' (data string too short)"));
  s = "return struct.pack('b!0h', 1, 2)";
  BOOST_TEST(Eval(h, s) == LuaError(s, "alignment 0 is not a power of 2"));
}

// Debian's lua-cjson sizes its buffer in an int: what it may reserve is bounded before it runs.
BOOST_AUTO_TEST_CASE(cjson_encode_refuses_what_its_buffer_cannot_hold) {
  CommandHarness h;
  // A sparse array written as 2^28 "null"s (the sparse check off), refused without allocating.
  std::string s =
      "cjson.encode_sparse_array(false, 0) local ok, e = pcall(cjson.encode, {[2^28] = 1}) "
      "cjson.encode_sparse_array(false, 2, 10) return e";
  BOOST_TEST(Eval(h, s) == Bulk("Cannot serialise: result too large"));
  s = "return cjson.encode({[2^28] = 1})";
  BOOST_TEST(Eval(h, s) == LuaError(s, "Cannot serialise table: excessively sparse array"));
  // A table holding itself: the library's own nesting error, at once.
  s = "local a = {} a.x = a a.y = a return cjson.encode(a)";
  BOOST_TEST(Eval(h, s) == LuaError(s, "Cannot serialise, excessive nesting (1001)"));
  BOOST_TEST(Eval(h, "return cjson.new().encode({1, 'a'})") == Bulk("[1,\"a\"]"));
  s = "return cjson.new().encode({[2^28] = 1})";
  BOOST_TEST(Eval(h, s) == LuaError(s, "Cannot serialise table: excessively sparse array"));
}

BOOST_AUTO_TEST_CASE(libraries_are_read_only_globals) {
  CommandHarness h;
  for (const char* lib : {"cmsgpack", "bit", "struct", "cjson"}) {
    std::string s = std::string(lib) + ".x = 1";
    BOOST_TEST_CONTEXT(s) {
      BOOST_TEST(Eval(h, s).find("Attempt to modify a readonly table") != std::string::npos);
    }
    s = std::string(lib) + " = nil";
    BOOST_TEST_CONTEXT(s) {
      BOOST_TEST(Eval(h, s).find("Attempt to modify a readonly table") != std::string::npos);
    }
    s = std::string("return type(") + lib + ")";
    BOOST_TEST_CONTEXT(s) { BOOST_TEST(Eval(h, s) == Bulk("table")); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
