// Redis 7 functions in process: FUNCTION LOAD and the load sandbox, FCALL/FCALL_RO, the
// separation from EVAL's interpreter, LIST/STATS replies, DUMP/RESTORE with Redis' payloads.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"

using namespace dkv::server;

namespace {

const std::string kLib =
    "#!lua name=lib\nredis.register_function(\"f\", function(keys, args) return args[1] end)";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// FUNCTION DUMP of kLib from redis-server 7.0.15, with rdbcompression yes (the code LZF
// compressed) and no.
const std::string kRedisDumpLzf = FromHex(
    "f5c3404f40541f23216c7561206e616d653d6c69620a72656469732e72656769737465725f66750b6e6374696f6e"
    "282266222c20e0000d116b6579732c2061726773292072657475726e600c075b315d20656e64290a00a2c722a0f5"
    "13fc54");
const std::string kRedisDumpPlain = FromHex(
    "f5405423216c7561206e616d653d6c69620a72656469732e72656769737465725f66756e6374696f6e282266222c"
    "2066756e6374696f6e286b6579732c2061726773292072657475726e20617267735b315d20656e64290a002c7cc9"
    "acb6b5ddb7");

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string Err(const std::string& s) { return "-" + s + "\r\n"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(functions)

BOOST_AUTO_TEST_CASE(load_call_and_errors_as_redis) {
  CommandHarness h;
  BOOST_TEST(h.Run({"FUNCTION", "LOAD", kLib}) == "$3\r\nlib\r\n");
  BOOST_TEST(h.Run({"FCALL", "f", "0", "hello"}) == "$5\r\nhello\r\n");
  BOOST_TEST(h.Run({"FCALL", "F", "0", "x"}) == "$1\r\nx\r\n");  // names ignore case
  BOOST_TEST(h.Run({"FCALL", "g", "0"}) == Err("ERR Function not found"));
  BOOST_TEST(h.Run({"FCALL", "f", "x"}) == Err("ERR Bad number of keys provided"));
  BOOST_TEST(h.Run({"FCALL", "f", "2", "a"}) ==
             Err("ERR Number of keys can't be greater than number of args"));
  BOOST_TEST(h.Run({"FCALL", "f", "-1"}) == Err("ERR Number of keys can't be negative"));
  BOOST_TEST(h.Run({"FCALL_RO", "f", "0"}) ==
             Err("ERR Can not execute a script with write flag using *_ro command."));
  BOOST_TEST(h.Run({"FUNCTION", "LOAD", kLib}) == Err("ERR Library 'lib' already exists"));
  BOOST_TEST(h.Run({"FUNCTION", "LOAD", "#!lua name=other\n" + kLib.substr(kLib.find('\n'))}) ==
             Err("ERR Function f already exists"));
  // A failed REPLACE keeps the old library.
  BOOST_TEST(h.Run({"FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nbad code"})
                 .rfind("-ERR Error compiling function: user_function:2:", 0) == 0);
  BOOST_TEST(h.Run({"FCALL", "f", "0", "still"}) == "$5\r\nstill\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "LOAD",
                    "#!lua name=e\nredis.register_function('boom', "
                    "function() error('x') end)"}) == "$1\r\ne\r\n");
  BOOST_TEST(h.Run({"FCALL", "boom", "0"}) ==
             Err("ERR user_function:2: x script: boom, on @user_function:2."));
  BOOST_TEST(h.Run({"FUNCTION", "DELETE", "e"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "DELETE", "e"}) == Err("ERR Library not found"));
}

BOOST_AUTO_TEST_CASE(the_load_sandbox_offers_only_registration) {
  CommandHarness h;
  auto load = [&](const std::string& body) {
    return h.Run({"FUNCTION", "LOAD", "#!lua name=x\n" + body});
  };
  BOOST_TEST(load("return redis.call('ping')") ==
             Err("ERR Error registering functions: ERR user_function:2: Script attempted to access "
                 "nonexistent global variable 'call'"));
  BOOST_TEST(load("return math.random()") ==
             Err("ERR Error registering functions: ERR user_function:2: Script attempted to access "
                 "nonexistent global variable 'math'"));
  BOOST_TEST(load("a = 1") == Err("ERR Error registering functions: ERR user_function:2: Attempt "
                                  "to modify a readonly table"));
  BOOST_TEST(load("redis.register_function()") ==
             Err("ERR Error registering functions: ERR wrong number of arguments to "
                 "redis.register_function"));
  BOOST_TEST(load("return 1") == Err("ERR No functions registered"));
  BOOST_TEST(load("redis.register_function{function_name='a', callback=function() end, "
                  "flags={'bad'}}") ==
             Err("ERR Error registering functions: ERR unknown flag given"));
  // A load API captured at load is useless later.
  BOOST_TEST(load("local lib = redis\nredis.register_function('r', function() "
                  "lib.register_function('z', function() end) end)") == "$1\r\nx\r\n");
  BOOST_TEST(h.Run({"FCALL", "r", "0"}).find("can only be called on FUNCTION LOAD command") !=
             std::string::npos);
  // At run time the callback has the full API.
  BOOST_TEST(h.Run({"FUNCTION", "LOAD", "REPLACE",
                    "#!lua name=x\nredis.register_function{function_name='s', callback="
                    "function(keys) return redis.call('SET', keys[1], string.rep('a', 2)) end}"}) ==
             "$1\r\nx\r\n");
  BOOST_TEST(h.Run({"FCALL", "s", "1", "k"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"GET", "k"}) == "$2\r\naa\r\n");
}

BOOST_AUTO_TEST_CASE(functions_do_not_share_globals_with_eval) {
  CommandHarness h;
  // EVAL's KEYS global is not the functions interpreter's.
  BOOST_TEST(h.Run({"EVAL", "return KEYS[1]", "1", "k"}) == "$1\r\nk\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "LOAD",
                    "#!lua name=g\nredis.register_function('g', function() return KEYS end)"}) ==
             "$1\r\ng\r\n");
  BOOST_TEST(h.Run({"FCALL", "g", "1", "k"}).find("nonexistent global variable 'KEYS'") !=
             std::string::npos);
  // SCRIPT FLUSH leaves the libraries.
  BOOST_TEST(h.Run({"SCRIPT", "FLUSH"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"FCALL", "g", "0"}).find("nonexistent global variable") != std::string::npos);
  BOOST_TEST(h.Run({"FUNCTION", "KILL"}) == Err("NOTBUSY No scripts in execution right now."));
}

BOOST_AUTO_TEST_CASE(list_and_stats_replies) {
  CommandHarness h;
  h.Run({"FUNCTION", "LOAD",
         "#!lua name=lib\nredis.register_function{function_name='f', callback=function() end, "
         "description='d', flags={'allow-oom', 'no-writes'}}"});
  BOOST_TEST(h.Run({"FUNCTION", "LIST"}) ==
             "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
             "$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n"
             "$1\r\nd\r\n$5\r\nflags\r\n*2\r\n+no-writes\r\n+allow-oom\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "LIST", "LIBRARYNAME", "LI*"}).rfind("*1\r\n", 0) == 0);
  BOOST_TEST(h.Run({"FUNCTION", "LIST", "LIBRARYNAME", "x*"}) == "*0\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "LIST", "WITHCODE", "WITHCODE"}) ==
             Err("ERR Unknown argument WITHCODE"));
  BOOST_TEST(h.Run({"FUNCTION", "STATS"}) ==
             "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
             "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n");
}

BOOST_AUTO_TEST_CASE(dump_and_restore_are_byte_compatible_with_redis) {
  CommandHarness h;
  BOOST_TEST(h.Run({"FUNCTION", "LOAD", kLib}) == "$3\r\nlib\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "DUMP"}) == Bulk(kRedisDumpPlain));
  BOOST_TEST(h.Run({"FUNCTION", "RESTORE", kRedisDumpLzf}) ==
             Err("ERR Library lib already exists"));
  BOOST_TEST(h.Run({"FUNCTION", "RESTORE", kRedisDumpLzf, "FLUSH"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"FCALL", "f", "0", "lzf"}) == "$3\r\nlzf\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "FLUSH"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"FUNCTION", "RESTORE", kRedisDumpPlain}) == "+OK\r\n");
  BOOST_TEST(h.Run({"FCALL", "f", "0", "plain"}) == "$5\r\nplain\r\n");
  std::string damaged = kRedisDumpPlain;
  damaged[10] ^= 1;
  BOOST_TEST(h.Run({"FUNCTION", "RESTORE", damaged, "FLUSH"}) ==
             Err("ERR DUMP payload version or checksum are wrong"));
  BOOST_TEST(h.Run({"FUNCTION", "RESTORE", "x"}) ==
             Err("ERR DUMP payload version or checksum are wrong"));
  BOOST_TEST(h.Run({"FCALL", "f", "0", "kept"}) == "$4\r\nkept\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
