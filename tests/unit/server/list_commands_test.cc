// The list commands through the dispatcher: replies and errors in Redis 7.2's shapes (RESP2 and
// RESP3 nulls), the encodings OBJECT ENCODING reports and their conversions, a write moving the
// version once per command, WRONGTYPE, and deny-oom where Redis has it.
#include <boost/test/unit_test.hpp>
#include <string>

#include "engine/keyspace.h"
#include "harness.h"

using namespace dkv::server;

namespace {
const std::string kOom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
const std::string kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

// (Read from the entry: KV.META's JSON view of lists is the persistence work's.)
std::string Version(CommandHarness& h, const std::string& key) {
  dkv::engine::Entry* e = h.state.keyspace.db(0).FindRaw(key);
  return e == nullptr ? "<missing>" : std::to_string(e->version());
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(list_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(push_pop_range) {
  BOOST_TEST(Run({"RPUSH", "l", "a", "b", "c"}) == ":3\r\n");
  BOOST_TEST(Run({"LPUSH", "l", "z"}) == ":4\r\n");
  BOOST_TEST(Run({"LRANGE", "l", "0", "-1"}) ==
             "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  BOOST_TEST(Run({"LRANGE", "l", "-100", "1"}) == "*2\r\n$1\r\nz\r\n$1\r\na\r\n");
  BOOST_TEST(Run({"LRANGE", "l", "5", "10"}) == "*0\r\n");
  BOOST_TEST(Run({"LRANGE", "l", "x", "1"}) == "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"LLEN", "l"}) == ":4\r\n");
  BOOST_TEST(Run({"LINDEX", "l", "-1"}) == "$1\r\nc\r\n");
  BOOST_TEST(Run({"LINDEX", "l", "9"}) == "$-1\r\n");
  BOOST_TEST(Run({"LPOP", "l"}) == "$1\r\nz\r\n");
  BOOST_TEST(Run({"RPOP", "l", "2"}) == "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
  BOOST_TEST(Run({"LPOP", "l", "0"}) == "*0\r\n");
  BOOST_TEST(Run({"LPOP", "l", "-1"}) == "-ERR value is out of range, must be positive\r\n");
  BOOST_TEST(Run({"LPOP", "l", "1", "2"}) ==
             "-ERR wrong number of arguments for 'lpop' command\r\n");
  BOOST_TEST(Run({"RPOP", "l", "5"}) == "*1\r\n$1\r\na\r\n");
  BOOST_TEST(Run({"EXISTS", "l"}) == ":0\r\n");
  BOOST_TEST(Run({"LPOP", "l"}) == "$-1\r\n");
  BOOST_TEST(Run({"LPOP", "l", "1"}) == "*-1\r\n");
  BOOST_TEST(Run({"LPUSHX", "l", "a"}) == ":0\r\n");
  BOOST_TEST(Run({"RPUSH", "l", "a"}) == ":1\r\n");
  BOOST_TEST(Run({"RPUSHX", "l", "b", "c"}) == ":3\r\n");
}

BOOST_AUTO_TEST_CASE(resp3_nulls) {
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"LPOP", "none", "2"}) == "_\r\n");
  BOOST_TEST(Run({"LPOP", "none"}) == "_\r\n");
  BOOST_TEST(Run({"LMPOP", "1", "none", "LEFT"}) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(set_insert_rem_trim_pos) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  BOOST_TEST(Run({"LSET", "l", "1", "B"}) == "+OK\r\n");
  BOOST_TEST(Run({"LSET", "l", "10", "B"}) == "-ERR index out of range\r\n");
  BOOST_TEST(Run({"LSET", "nokey", "0", "B"}) == "-ERR no such key\r\n");
  BOOST_TEST(Run({"LINSERT", "l", "BEFORE", "c", "x"}) == ":6\r\n");
  BOOST_TEST(Run({"LINSERT", "l", "after", "zz", "x"}) == ":-1\r\n");
  BOOST_TEST(Run({"LINSERT", "l", "middle", "c", "x"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"LINSERT", "nokey", "after", "c", "x"}) == ":0\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a"}) == ":0\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "RANK", "-1"}) == ":5\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "COUNT", "0"}) == "*3\r\n:0\r\n:2\r\n:5\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "RANK", "2", "COUNT", "1"}) == "*1\r\n:2\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "MAXLEN", "2"}) == ":0\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "RANK", "-1", "MAXLEN", "1"}) == ":5\r\n");
  BOOST_TEST(Run({"LPOS", "l", "q"}) == "$-1\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "RANK", "0"}) ==
             "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
             "or use negative to start from the end of the list\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "COUNT", "-1"}) == "-ERR COUNT can't be negative\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "MAXLEN", "-1"}) == "-ERR MAXLEN can't be negative\r\n");
  BOOST_TEST(Run({"LPOS", "l", "a", "RANK"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"LPOS", "none", "a", "COUNT", "2"}) == "*0\r\n");
  BOOST_TEST(Run({"LREM", "l", "-2", "a"}) == ":2\r\n");
  BOOST_TEST(Run({"LRANGE", "l", "0", "-1"}) ==
             "*4\r\n$1\r\na\r\n$1\r\nB\r\n$1\r\nx\r\n$1\r\nc\r\n");
  BOOST_TEST(Run({"LTRIM", "l", "1", "-2"}) == "+OK\r\n");
  BOOST_TEST(Run({"LRANGE", "l", "0", "-1"}) == "*2\r\n$1\r\nB\r\n$1\r\nx\r\n");
  BOOST_TEST(Run({"LTRIM", "l", "5", "1"}) == "+OK\r\n");
  BOOST_TEST(Run({"EXISTS", "l"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(move_and_mpop) {
  Run({"RPUSH", "a", "1", "2", "3"});
  BOOST_TEST(Run({"LMOVE", "a", "b", "LEFT", "RIGHT"}) == "$1\r\n1\r\n");
  BOOST_TEST(Run({"RPOPLPUSH", "a", "b"}) == "$1\r\n3\r\n");
  BOOST_TEST(Run({"LRANGE", "b", "0", "-1"}) == "*2\r\n$1\r\n3\r\n$1\r\n1\r\n");
  BOOST_TEST(Run({"LMOVE", "a", "b", "UP", "RIGHT"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"LMOVE", "none", "b", "LEFT", "RIGHT"}) == "$-1\r\n");
  Run({"SET", "s", "x"});
  BOOST_TEST(Run({"LMOVE", "a", "s", "LEFT", "RIGHT"}) == kWrongType);
  BOOST_TEST(Run({"LMOVE", "none", "s", "LEFT", "RIGHT"}) == "$-1\r\n");
  BOOST_TEST(Run({"LMPOP", "2", "none", "b", "RIGHT", "COUNT", "5"}) ==
             "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n3\r\n");
  BOOST_TEST(Run({"LMPOP", "1", "none", "LEFT"}) == "*-1\r\n");
  BOOST_TEST(Run({"LMPOP", "0", "a", "LEFT"}) == "-ERR numkeys should be greater than 0\r\n");
  BOOST_TEST(Run({"LMPOP", "5", "a", "LEFT"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"LMPOP", "1", "a", "LEFT", "COUNT", "0"}) ==
             "-ERR count should be greater than 0\r\n");
  BOOST_TEST(Run({"LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"}) ==
             "-ERR syntax error\r\n");
  BOOST_TEST(Run({"LMPOP", "2", "s", "a", "LEFT"}) == kWrongType);
}

BOOST_AUTO_TEST_CASE(wrong_type_everywhere) {
  Run({"SET", "s", "x"});
  for (auto argv : std::vector<std::vector<std::string>>{{"LPUSH", "s", "a"},
                                                         {"RPUSHX", "s", "a"},
                                                         {"LPOP", "s"},
                                                         {"RPOP", "s", "2"},
                                                         {"LLEN", "s"},
                                                         {"LRANGE", "s", "0", "1"},
                                                         {"LINDEX", "s", "0"},
                                                         {"LSET", "s", "0", "a"},
                                                         {"LREM", "s", "0", "a"},
                                                         {"LTRIM", "s", "0", "1"},
                                                         {"LPOS", "s", "a"},
                                                         {"RPOPLPUSH", "s", "d"},
                                                         {"LINSERT", "s", "BEFORE", "a", "b"}}) {
    BOOST_TEST(Run(argv) == kWrongType);
  }
}

BOOST_AUTO_TEST_CASE(encodings_convert_both_ways) {
  Run({"CONFIG", "SET", "list-max-listpack-size", "4"});
  Run({"RPUSH", "l", "1", "2", "3", "4"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "l"}) == "$8\r\nlistpack\r\n");
  Run({"RPUSH", "l", "5"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "l"}) == "$9\r\nquicklist\r\n");
  Run({"RPOP", "l", "3"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "l"}) == "$8\r\nlistpack\r\n");
  Run({"CONFIG", "SET", "list-max-listpack-size", "-2"});
  Run({"CONFIG", "SET", "list-compress-depth", "1"});
  for (int i = 0; i < 50; ++i) {
    std::vector<std::string> argv = {"RPUSH", "big"};
    for (int j = 0; j < 200; ++j) argv.push_back("item:" + std::to_string(i * 200 + j));
    Run(argv);
  }
  BOOST_TEST(Run({"LLEN", "big"}) == ":10000\r\n");
  BOOST_TEST(Run({"LINDEX", "big", "5000"}) == "$9\r\nitem:5000\r\n");
  BOOST_TEST(Run({"LRANGE", "big", "-2", "-1"}) == "*2\r\n$9\r\nitem:9998\r\n$9\r\nitem:9999\r\n");
  BOOST_TEST(Run({"LINSERT", "big", "AFTER", "item:4000", "new"}) == ":10001\r\n");
  BOOST_TEST(Run({"LINDEX", "big", "4001"}) == "$3\r\nnew\r\n");
  BOOST_TEST(Run({"DEBUG", "DIGEST-VALUE", "big"}).size() > 0u);
}

BOOST_AUTO_TEST_CASE(one_version_per_write) {
  Run({"RPUSH", "l", "a", "b", "c"});
  std::string v = Version(*this, "l");
  Run({"RPUSH", "l", "d", "e"});
  BOOST_TEST(Version(*this, "l") == std::to_string(std::stoi(v) + 1));
  Run({"LPOP", "l", "2"});
  BOOST_TEST(Version(*this, "l") == std::to_string(std::stoi(v) + 2));
  Run({"LREM", "l", "0", "zzz"});  // nothing removed: unchanged
  BOOST_TEST(Version(*this, "l") == std::to_string(std::stoi(v) + 2));
}

BOOST_AUTO_TEST_CASE(deny_oom_where_redis_does) {
  Run({"RPUSH", "l", "a", "b"});
  Run({"CONFIG", "SET", "maxmemory", "1"});
  BOOST_TEST(Run({"RPUSH", "l", "x"}) == kOom);
  BOOST_TEST(Run({"LSET", "l", "0", "x"}) == kOom);
  BOOST_TEST(Run({"LPOP", "l"}) == "$1\r\na\r\n");
  BOOST_TEST(Run({"LREM", "l", "0", "b"}) == ":1\r\n");
  Run({"CONFIG", "SET", "maxmemory", "0"});
}

BOOST_AUTO_TEST_SUITE_END()
