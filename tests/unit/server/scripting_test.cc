// Lua scripting in process: Redis' conversion rules between Lua values and RESP2/RESP3 replies,
// both ways, as a table; the script cache; SHA-1; errors and the sandbox.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "src/security/sha1.h"

using namespace dkv::server;

namespace {

struct Row {
  const char* script;
  const char* resp2;
  const char* resp3;  // nullptr: same as resp2
};

std::string Eval(CommandHarness& h, const std::string& script, int client = 0) {
  return h.Run({"EVAL", script, "0"}, client);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scripting)

BOOST_AUTO_TEST_CASE(lua_values_become_replies_by_redis_rules) {
  const Row rows[] = {
      {"return 'hello'", "$5\r\nhello\r\n", nullptr},
      {"return ''", "$0\r\n\r\n", nullptr},
      {"return 42", ":42\r\n", nullptr},
      {"return 3.99", ":3\r\n", nullptr},  // numbers truncate to integers
      {"return -3.99", ":-3\r\n", nullptr},
      {"return true", ":1\r\n", "#t\r\n"},
      {"return false", "$-1\r\n", "#f\r\n"},
      {"return nil", "$-1\r\n", "_\r\n"},
      {"return", "$-1\r\n", "_\r\n"},
      {"return {}", "*0\r\n", nullptr},
      {"return {1, 'a', {2}}", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n", nullptr},
      {"return {1, nil, 3}", "*1\r\n:1\r\n", nullptr},  // an array ends at the first nil
      {"return {ok = 'FINE'}", "+FINE\r\n", nullptr},
      {"return {err = 'CODE message'}", "-CODE message\r\n", nullptr},
      {"return redis.status_reply('S')", "+S\r\n", nullptr},
      {"return redis.error_reply('E x')", "-E x\r\n", nullptr},
      {"return redis.error_reply('-E x')", "-E x\r\n", nullptr},
      {"return {double = 2.5}", "$3\r\n2.5\r\n", ",2.5\r\n"},
      {"return {map = {k = 'v'}}", "*2\r\n$1\r\nk\r\n$1\r\nv\r\n", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n"},
      {"return {set = {m = true}}", "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
      {"return {big_number = '123456789012345678901'}", "$21\r\n123456789012345678901\r\n",
       "(123456789012345678901\r\n"},
      {"return {1, {ok = 'x'}, {err = 'E y'}}", "*3\r\n:1\r\n+x\r\n-E y\r\n", nullptr},
  };
  CommandHarness h;
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT(row.script) {
      BOOST_TEST(Eval(h, row.script, 0) == row.resp2);
      h.Run({"HELLO", "3"}, 1);
      BOOST_TEST(Eval(h, row.script, 1) == (row.resp3 ? row.resp3 : row.resp2));
    }
  }
}

BOOST_AUTO_TEST_CASE(command_replies_become_lua_values_by_redis_rules) {
  CommandHarness h;
  h.Run({"SET", "s", "abc"});
  h.Run({"SET", "n", "7"});
  const Row rows[] = {
      // bulk -> string, nil bulk -> false, integer -> number, status -> {ok=}, error -> {err=},
      // array -> table
      {"return type(redis.call('get', 's'))", "$6\r\nstring\r\n", nullptr},
      {"return redis.call('get', 'missing') == false", ":1\r\n", nullptr},
      {"return type(redis.call('incr', 'n'))", "$6\r\nnumber\r\n", nullptr},
      {"return redis.call('set', 'x', 1)['ok']", "$2\r\nOK\r\n", nullptr},
      {"return redis.pcall('incr', 's')['err']",
       "$43\r\nERR value is not an integer or out of range\r\n", nullptr},
      {"local t = redis.call('mget', 's', 'missing') return {#t, t[1], tostring(t[2])}",
       "*3\r\n:2\r\n$3\r\nabc\r\n$5\r\nfalse\r\n", nullptr},
      // RESP3 inside the script: null -> nil, map -> {map=}, double -> {double=}
      {"redis.setresp(3) return redis.call('get', 'missing') == nil", ":1\r\n", nullptr},
      {"redis.setresp(3) return redis.call('incrbyfloat', 'f', '1.5')", "$3\r\n1.5\r\n", nullptr},
      {"redis.setresp(3) redis.call('kv.set', 'app.k', 'v') "
       "return redis.call('kv.meta', 'app.k')['map']['type']",
       "$6\r\nstring\r\n", nullptr},
      {"return redis.call('config', 'get', 'hz')",
       "-ERR This Redis command is not allowed from script script: "
       "4fd161615005686a21e0c2f0eee6e797ec99123d, on @user_script:1.\r\n",
       nullptr},
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT(row.script) { BOOST_TEST(Eval(h, row.script) == row.resp2); }
  }
}

BOOST_AUTO_TEST_CASE(script_cache_evalsha_and_sha1) {
  BOOST_TEST(Sha1Hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  BOOST_TEST(Sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(Sha1Hex(std::string(1000, 'a')) == "291e9a6c66994949b57ba5e650361e98fc36b1ba");
  // 55 and 56 bytes: the padding spills into a second block.
  BOOST_TEST(Sha1Hex(std::string(56, 'x')) == Sha1Hex(std::string(56, 'x')));
  BOOST_TEST(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CommandHarness h;
  std::string sha = Sha1Hex("return ARGV[1]");
  BOOST_TEST(h.Run({"EVALSHA", sha, "0", "x"}) ==
             "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  BOOST_TEST(h.Run({"SCRIPT", "LOAD", "return ARGV[1]"}) == "$40\r\n" + sha + "\r\n");
  BOOST_TEST(h.Run({"EVALSHA", sha, "0", "x"}) == "$1\r\nx\r\n");
  BOOST_TEST(h.Run({"SCRIPT", "EXISTS", sha, "nope"}) == "*2\r\n:1\r\n:0\r\n");
  BOOST_TEST(h.Run({"SCRIPT", "FLUSH"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"SCRIPT", "EXISTS", sha}) == "*1\r\n:0\r\n");
  // EVAL caches what it runs.
  h.Run({"EVAL", "return ARGV[1]", "0", "y"});
  BOOST_TEST(h.Run({"EVALSHA", sha, "0", "z"}) == "$1\r\nz\r\n");
  BOOST_TEST(h.scripts.scripts() == 1u);
}

BOOST_AUTO_TEST_CASE(the_sandbox_and_error_positions) {
  CommandHarness h;
  std::string sha = Sha1Hex("x = 1");
  BOOST_TEST(Eval(h, "x = 1") == "-ERR user_script:1: Attempt to modify a readonly table script: " +
                                     sha + ", on @user_script:1.\r\n");
  BOOST_TEST(Eval(h, "return os").find("nonexistent global variable 'os'") != std::string::npos);
  BOOST_TEST(Eval(h, "return io").find("nonexistent global variable 'io'") != std::string::npos);
  BOOST_TEST(Eval(h, "return loadfile").find("nonexistent global") != std::string::npos);
  BOOST_TEST(Eval(h, "string.rep = nil").find("readonly table") != std::string::npos);
  BOOST_TEST(Eval(h, "rawset(_G, 'y', 1)").find("readonly table") != std::string::npos);
  BOOST_TEST(Eval(h, "return {loadstring(string.dump(function() return 1 end))}") == "*0\r\n");
  BOOST_TEST(Eval(h, "\n\nreturn redis.call('nosuch')") ==
             "-ERR Unknown Redis command called from script script: " +
                 Sha1Hex("\n\nreturn redis.call('nosuch')") + ", on @user_script:3.\r\n");
  // A shebang may declare the script read-only.
  BOOST_TEST(Eval(h, "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')")
                 .find("Write commands are not allowed from read-only scripts") !=
             std::string::npos);
  BOOST_TEST(Eval(h, "#!lua flags=bogus\nreturn 1") ==
             "-ERR Unexpected flag in script shebang: bogus\r\n");
  // Nothing leaked into the next run.
  BOOST_TEST(Eval(h, "return type(rawget(_G, 'y'))") == "$3\r\nnil\r\n");
  // Found in review: bytecode as a script body, a result whose conversion would run script code
  // (the globals proxy), rawget on a script's own table with a __metatable field, and the
  // strings' shared metatable.
  BOOST_TEST(h.Run({"EVAL", std::string("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00", 12), "0"})
                 .find("precompiled chunks are not allowed") != std::string::npos);
  BOOST_TEST(Eval(h, "return _G") == "*0\r\n");
  BOOST_TEST(Eval(h, "return rawget(setmetatable({}, {__metatable = 1}), 1)") == "$-1\r\n");
  BOOST_TEST(Eval(h, "getmetatable('').__index = {}").find("readonly table") != std::string::npos);
  BOOST_TEST(Eval(h, "return ('abc'):len()") == ":3\r\n");
  BOOST_TEST(Eval(h, "return 0/0") == ":-9223372036854775808\r\n");
}

BOOST_AUTO_TEST_CASE(scripts_run_in_the_callers_namespace_and_count_writes) {
  CommandHarness h;
  h.Run({"SELECT", "3"});
  BOOST_TEST(h.Run({"EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"}) ==
             "+OK\r\n");
  BOOST_TEST(h.Run({"GET", "k"}) == "$1\r\nv\r\n");
  h.Run({"SELECT", "0"});
  BOOST_TEST(h.Run({"GET", "k"}) == "$-1\r\n");
  // SELECT inside a script does not change the caller's database.
  h.Run({"EVAL", "redis.call('select', 5) return redis.call('set', 'in5', '1')", "0"});
  BOOST_TEST(h.Run({"GET", "in5"}) == "$-1\r\n");
  BOOST_TEST(h.Run({"SELECT", "5"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"GET", "in5"}) == "$1\r\n1\r\n");
}

BOOST_AUTO_TEST_CASE(deny_oom_commands_inside_a_script_are_refused_over_maxmemory) {
  CommandHarness h;  // 100 bytes per key: maxmemory 1000 holds 10 keys
  for (int i = 0; i < 12; ++i) h.Run({"SET", "k" + std::to_string(i), "v"});
  h.Run({"CONFIG", "SET", "maxmemory", "1000", "maxmemory-policy", "noeviction"});
  std::string script = "return redis.call('set', 'new', 'v')";
  BOOST_TEST(Eval(h, script) ==
             "-OOM command not allowed when used memory > 'maxmemory'. script: " + Sha1Hex(script) +
                 ", on @user_script:1.\r\n");
  BOOST_TEST(Eval(h, "return redis.call('get', 'k1')") == "$1\r\nv\r\n");         // reads still run
  BOOST_TEST(Eval(h, "return redis.call('del', 'k1', 'k2', 'k3')") == ":3\r\n");  // DEL frees
  BOOST_TEST(Eval(h, script) == "+OK\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
