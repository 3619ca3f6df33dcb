// The Lua guards (src/scripting/lua_guards.h) in process: scripts that crash or hold Debian's
// unpatched Lua 5.1 (unpack ranges, string.rep, table.insert, malformed long strings, collections
// during a compile) answer errors and leave the server serving; settings one script changes (cjson,
// math.randomseed, the collector) do not reach the next script, of another client or tenant.
#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.h"
#include "src/security/acl.h"
#include "src/security/sha1.h"

using namespace dkv::server;

namespace {

std::string Eval(CommandHarness& h, const std::string& script, int client = 0) {
  return h.Run({"EVAL", script, "0"}, client);
}

// Redis' reply to a Lua error raised on line 1 of `script`.
std::string LuaError(const std::string& script, const std::string& message) {
  return "-ERR user_script:1: " + message + " script: " + Sha1Hex(script) +
         ", on @user_script:1.\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_guards)

BOOST_AUTO_TEST_CASE(unpack_ranges_that_overflow_answer_redis_error) {
  CommandHarness h;
  // CVE-2025-46817's shapes: 5.1.5 computed the count in an int and wrote past the stack.
  for (const char* script :
       {"return unpack({}, -1, 2147483646)", "return unpack({}, -2147483648, 2147483647)",
        "return unpack({}, 0, 2147483647)", "return unpack({}, 1, 100000)"}) {
    BOOST_TEST_CONTEXT(script) {
      BOOST_TEST(Eval(h, script) == LuaError(script, "too many results to unpack"));
    }
  }
  std::string ro = "return unpack({}, -2147483648, 2147483647)";
  BOOST_TEST(h.Run({"EVAL_RO", ro, "0"}) == LuaError(ro, "too many results to unpack"));
  // Ordinary ranges as before.
  BOOST_TEST(Eval(h, "return {unpack({1, 2, 3})}") == "*3\r\n:1\r\n:2\r\n:3\r\n");
  BOOST_TEST(Eval(h, "return {unpack({1, 2, 3}, 2)}") == "*2\r\n:2\r\n:3\r\n");
  BOOST_TEST(Eval(h, "return {unpack({1, 2, 3}, 3, 1)}") == "*0\r\n");
  BOOST_TEST(Eval(h, "return select('#', unpack({}, -1, 1))") == ":3\r\n");
  BOOST_TEST(Eval(h, "return select('#', unpack({}, 2147483647, 2147483647))") == ":1\r\n");
  BOOST_TEST(h.Run({"PING"}) == "+PONG\r\n");
}

// A sparse table's length can be far above its entries: 31 entries gave #t = 150,994,944, and
// table.insert(t, 1, v) shifted slot by slot for 13 s in one C call, out of SCRIPT KILL's reach.
// The guard moves only the entries, with exactly the slot-by-slot result.
BOOST_AUTO_TEST_CASE(table_insert_into_a_sparse_table_moves_its_entries_not_its_length) {
  CommandHarness h;
  const std::string build =
      "local function sparse(top) local t = {} "
      "for _, i in ipairs({1, 2, 3, 4, 5, 8}) do t[i] = i end "
      "local j = 9 for k = 0, top do t[j] = 'v' .. j j = j * 2 end return t end ";
  // Against the slot-by-slot loop itself, where that loop is short enough to run.
  std::string same = build +
                     "local t, u = sparse(12), sparse(12) local n = #u "
                     "if n <= 4096 then return 'too dense' end "
                     "for i = n + 1, 2, -1 do u[i] = u[i - 1] end u[1] = 0 "
                     "table.insert(t, 1, 0) "
                     "for k, v in pairs(u) do if t[k] ~= v then return 'differs at ' .. k end end "
                     "for k, v in pairs(t) do if u[k] ~= v then return 'extra at ' .. k end end "
                     "return 'same'";
  BOOST_TEST(Eval(h, same) == "$4\r\nsame\r\n");
  std::string huge =
      build +
      "local t = sparse(24) local n = #t table.insert(t, 1, 0) "
      "return {n, t[1], t[2], t[10], t[9 * 2 ^ 24 + 1], tostring(t[9 * 2 ^ 24]), t[7] == nil}";
  BOOST_TEST(
      Eval(h, huge) ==
      "*7\r\n:150994944\r\n:0\r\n:1\r\n$2\r\nv9\r\n$10\r\nv150994944\r\n$3\r\nnil\r\n:1\r\n");
  BOOST_TEST(h.Run({"PING"}) == "+PONG\r\n");
}

BOOST_AUTO_TEST_CASE(huge_counts_and_positions_fail_cleanly_and_quickly) {
  CommandHarness h;
  // string.rep: nothing over proto-max-bulk-len is built (5.1.5 appends 2^31 - 1 copies).
  std::string rep = "return #string.rep('x', 2147483647)";
  BOOST_TEST(Eval(h, rep) == LuaError(rep, "resulting string too large"));
  std::string method = "return #('ab'):rep(1073741823)";
  BOOST_TEST(Eval(h, method) == LuaError(method, "resulting string too large"));
  BOOST_TEST(Eval(h, "return string.rep('ab', 3)") == "$6\r\nababab\r\n");
  BOOST_TEST(Eval(h, "return string.rep('ab', 0) .. string.rep('', 5) .. string.rep('x', -1)") ==
             "$0\r\n\r\n");
  BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "1048576"}) == "+OK\r\n");
  BOOST_TEST(Eval(h, "return #string.rep('x', 1048576)") == ":1048576\r\n");
  std::string over = "return #string.rep('x', 1048577)";
  BOOST_TEST(Eval(h, over) == LuaError(over, "resulting string too large"));
  // table.insert below position 1: 5.1.5 shifted 2^31 slots in one C loop (about a minute with
  // the loop held and SCRIPT KILL powerless).
  std::string insert = "table.insert({}, -2147483647, 1)";
  BOOST_TEST(Eval(h, insert) ==
             LuaError(insert, "bad argument #2 to 'insert' (position out of bounds)"));
  BOOST_TEST(Eval(h, "local t = {1, 2} table.insert(t, 1, 0) table.insert(t, 'z') return t") ==
             "*4\r\n:0\r\n:1\r\n:2\r\n$1\r\nz\r\n");
  BOOST_TEST(Eval(h, "local t = {} table.insert(t, 5, 'a') return t[5]") == "$1\r\na\r\n");
  // Already bounded in 5.1.5 (Redis 7.0 answers the same): kept so they stay that way.
  const std::pair<const char*, const char*> bounded[] = {
      {"return table.concat({}, '', 1, 2147483647)",
       "invalid value (nil) at index 1 in table for 'concat'"},
      {"return select(-2147483648, 1)", "bad argument #1 to 'select' (index out of range)"},
      {"return string.format('%99999999d', 1)", "invalid format (width or precision too long)"},
      {"return string.byte(string.rep('x', 100000), 1, -1)",
       "stack overflow (string slice too long)"},
      {"return setmetatable('', {})",
       "bad argument #1 to 'setmetatable' (table expected, got string)"},
  };
  for (auto [script, message] : bounded) {
    BOOST_TEST_CONTEXT(script) { BOOST_TEST(Eval(h, script) == LuaError(script, message)); }
  }
  BOOST_TEST(Eval(h, "return string.sub('abc', -2147483648, 2147483647)") == "$3\r\nabc\r\n");
  BOOST_TEST(Eval(h, "return tostring(2^1024)") == "$3\r\ninf\r\n");
  BOOST_TEST(h.Run({"PING"}) == "+PONG\r\n");
}

BOOST_AUTO_TEST_CASE(malformed_long_strings_are_compile_errors) {
  // CVE-2025-46819's shapes (a long-string delimiter left open or cut off at the end).
  CommandHarness h;
  const std::pair<const char*, const char*> shapes[] = {
      {"return [=[ abc", "user_script:1: unfinished long string near '<eof>'"},
      {"return [==", "user_script:1: invalid long string delimiter near '[=='"},
      {"x = [=a", "user_script:1: invalid long string delimiter near '[='"},
      {"--[==[ abc", "user_script:1: unfinished long comment near '<eof>'"},
      {"[==[", "user_script:1: unfinished long string near '<eof>'"},
  };
  for (auto [script, message] : shapes) {
    BOOST_TEST_CONTEXT(script) {
      std::string expected =
          std::string("-ERR Error compiling script (new function): ") + message + "\r\n";
      BOOST_TEST(Eval(h, script) == expected);
      BOOST_TEST(h.Run({"SCRIPT", "LOAD", script}) == expected);
      std::string inner = std::string("return {loadstring(") + "'" + script + "')}";
      BOOST_TEST(Eval(h, inner).rfind("*0\r\n", 0) == 0u);  // nil and the message: array of 0
    }
  }
  BOOST_TEST(h.Run({"PING"}) == "+PONG\r\n");
}

BOOST_AUTO_TEST_CASE(no_collection_runs_while_a_chunk_compiles) {
  // CVE-2025-49844: the parser holds the chunk name unanchored; a collection during the parse
  // could free it. Garbage is made with the collector stopped, then the collector is set to run
  // at every allocation: memory must not shrink across loadstring (it would if the collector ran).
  CommandHarness h;
  std::string script =
      "collectgarbage('stop') "
      "local code = string.rep('do local t = {1, 2, \"three\"} end ', 4000) "
      "for i = 1, 3000 do local s = string.rep('g', 1000) .. i end "
      "collectgarbage('setpause', 0) collectgarbage('setstepmul', 100000) "
      "collectgarbage('restart') "
      "local before = collectgarbage('count') "
      "local f = loadstring(code) "
      "local after = collectgarbage('count') "
      "return {type(f), after >= before}";
  BOOST_TEST(Eval(h, script) == "*2\r\n$8\r\nfunction\r\n:1\r\n");
  // And the collector is back to its defaults for the next script.
  BOOST_TEST(
      Eval(h, "return {collectgarbage('setpause', 200), collectgarbage('setstepmul', 200)}") ==
      "*2\r\n:200\r\n:200\r\n");
}

BOOST_AUTO_TEST_CASE(cjson_settings_do_not_survive_a_script) {
  Config c;
  UserConfig alice;
  alice.name = "alice";
  alice.nopass = true;
  alice.namespaces = {"tenant-a"};
  alice.commands = "+@all";
  c.users = {alice};
  CommandHarness h(c);
  BOOST_TEST(h.Run({"AUTH", "alice", "x"}, 1) == "+OK\r\n");
  // Client 0 (default user) changes every setting; its own script sees the change.
  std::string change =
      "cjson.encode_number_precision(1) cjson.encode_max_depth(1) "
      "cjson.encode_sparse_array(true) cjson.encode_keep_buffer(false) cjson.decode_max_depth(1) "
      "cjson.encode_invalid_numbers(true) cjson.decode_invalid_numbers(false) "
      "return cjson.encode({1.23456789})";
  BOOST_TEST(Eval(h, change, 0) == "$3\r\n[1]\r\n");
  // The next script, of another client in another tenant, sees the defaults.
  std::string check =
      "return {cjson.encode({1.23456789, {2}}), cjson.encode({[3] = 1}), "
      "(pcall(cjson.encode, 0/0)) and 'nan' or 'no-nan', cjson.decode('[[7]]')[1][1], "
      "tostring(cjson.encode_keep_buffer()), tostring(cjson.decode('NaN') ~= cjson.decode('NaN'))}";
  std::string defaults =
      "*6\r\n$16\r\n[1.23456789,[2]]\r\n$13\r\n[null,null,1]\r\n$6\r\nno-nan\r\n:7\r\n"
      "$4\r\ntrue\r\n$4\r\ntrue\r\n";
  BOOST_TEST(Eval(h, check, 1) == defaults);
  // Also after a script that changed them and then failed.
  Eval(h, "cjson.encode_number_precision(2) error('boom')", 1);
  BOOST_TEST(Eval(h, check, 0) == defaults);
  // The setters the reset calls are the originals: the cjson table is read-only.
  BOOST_TEST(Eval(h, "cjson.encode_number_precision = nil").find("readonly table") !=
             std::string::npos);
  // A setter's argument error reads as before.
  std::string bad = "return cjson.encode_max_depth('x')";
  BOOST_TEST(Eval(h, bad) ==
             LuaError(bad, "bad argument #1 to 'encode_max_depth' (number expected, got string)"));
}

BOOST_AUTO_TEST_CASE(math_randomseed_does_not_reach_the_next_script) {
  CommandHarness h;
  // Redis' generator: a seeded sequence is Redis' (7.0.15 answers 266445 and 682036).
  std::string seeded = "math.randomseed(7) return {math.random(1000000), math.random(1000000)}";
  BOOST_TEST(Eval(h, seeded, 0) == "*2\r\n:266445\r\n:682036\r\n");
  BOOST_TEST(Eval(h, seeded, 1) == "*2\r\n:266445\r\n:682036\r\n");
  // After a seeded script, the next script (another client) does not continue that sequence;
  // unseeded scripts draw different numbers (as in Redis 7, which does not reseed per script).
  int continued = 0;
  std::string previous;
  int repeats = 0;
  for (int i = 0; i < 8; ++i) {
    Eval(h, "math.randomseed(7) return math.random(1000000)", 0);
    std::string next = Eval(h, "return math.random(1000000)", 1);
    if (next == ":682036\r\n") ++continued;
    if (next == previous) ++repeats;
    previous = next;
  }
  BOOST_TEST(continued == 0);
  BOOST_TEST(repeats < 2);
  BOOST_TEST(Eval(h, "local r = math.random() return r >= 0 and r < 1") == ":1\r\n");
  BOOST_TEST(Eval(h, "local r = math.random(5, 6) return r == 5 or r == 6") == ":1\r\n");
  std::string empty = "return math.random(0)";
  BOOST_TEST(Eval(h, empty) == LuaError(empty, "bad argument #1 to 'random' (interval is empty)"));
}

BOOST_AUTO_TEST_SUITE_END()
