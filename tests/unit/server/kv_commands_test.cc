#include <boost/test/unit_test.hpp>

#include "harness.h"

using namespace dkv::server;

namespace {
struct KvFixture : CommandHarness {
  KvFixture() {
    for (const char* k :
         {"app.config.debug", "app.config.database.host", "app.config.database.port",
          "app.dev.config", "app.prod.config", "user.7.settings", "app"}) {
      Run({"SET", k, std::string("v:") + k});
    }
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(kv_commands, KvFixture)

BOOST_AUTO_TEST_CASE(kv_keys_byte_order_limit_and_errors) {
  BOOST_TEST(Run({"KV.KEYS", "app.config.**"}) ==
             "*3\r\n$24\r\napp.config.database.host\r\n$24\r\napp.config.database.port\r\n"
             "$16\r\napp.config.debug\r\n");
  BOOST_TEST(Run({"KV.KEYS", "app.config.**", "LIMIT", "1"}) ==
             "*1\r\n$24\r\napp.config.database.host\r\n");
  BOOST_TEST(Run({"KV.KEYS", "app.config.**", "LIMIT", "0"}) == "*0\r\n");
  BOOST_TEST(Run({"KV.KEYS", "a["}) == "-ERR invalid pattern: unclosed '['\r\n");
  BOOST_TEST(Run({"KV.KEYS", "*", "BOGUS"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"KV.KEYS", "*", "LIMIT", "x"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"KV.KEYS"}) == "-ERR wrong number of arguments for 'kv.keys' command\r\n");
}

BOOST_AUTO_TEST_CASE(kv_count_subtree_and_pattern) {
  BOOST_TEST(Run({"KV.COUNT", "app.**"}) == ":5\r\n");
  BOOST_TEST(Run({"KV.COUNT", "app**"}) == ":6\r\n");
  BOOST_TEST(Run({"KV.COUNT", "app.*.config"}) == ":2\r\n");
  BOOST_TEST(Run({"KV.COUNT", "APP.*.CONFIG", "NOCASE"}) == ":2\r\n");
}

BOOST_AUTO_TEST_CASE(kv_mget_resp2_and_resp3) {
  BOOST_TEST(Run({"KV.MGET", "app.*.config"}) ==
             "*4\r\n$14\r\napp.dev.config\r\n$16\r\nv:app.dev.config\r\n"
             "$15\r\napp.prod.config\r\n$17\r\nv:app.prod.config\r\n");
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"KV.MGET", "user.**"}) ==
             "%1\r\n$15\r\nuser.7.settings\r\n$17\r\nv:user.7.settings\r\n");
}

BOOST_AUTO_TEST_CASE(kv_del_subtree_and_pattern_mark_watchers) {
  Run({"WATCH", "app.config.debug"}, 1);
  BOOST_TEST(Run({"KV.DEL", "app.config.**"}) == ":3\r\n");
  Run({"MULTI"}, 1);
  Run({"GET", "app"}, 1);
  BOOST_TEST(Run({"EXEC"}, 1) == "*-1\r\n");
  BOOST_TEST(Run({"KV.DEL", "app.*.config"}) == ":2\r\n");
  BOOST_TEST(Run({"KV.KEYS", "**"}) == "*2\r\n$3\r\napp\r\n$15\r\nuser.7.settings\r\n");
  BOOST_TEST(Run({"DBSIZE"}) == ":2\r\n");
}

BOOST_AUTO_TEST_CASE(kv_scan_walks_the_prefix_range) {
  std::vector<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::string reply = Run({"KV.SCAN", cursor, "MATCH", "app.**", "COUNT", "2"});
    // *2\r\n$<n>\r\n<cursor>\r\n*<k>\r\n...
    size_t p = reply.find("\r\n", 4);
    size_t c_start = p + 2;
    size_t c_end = reply.find("\r\n", c_start);
    cursor = reply.substr(c_start, c_end - c_start);
    size_t pos = reply.find('*', c_end);
    size_t k = std::stoul(reply.substr(pos + 1));
    pos = reply.find("\r\n", pos) + 2;
    for (size_t i = 0; i < k; ++i) {
      size_t len_end = reply.find("\r\n", pos);
      size_t len = std::stoul(reply.substr(pos + 1, len_end - pos - 1));
      seen.push_back(reply.substr(len_end + 2, len));
      pos = len_end + 2 + len + 2;
    }
    ++calls;
  } while (cursor != "0" && calls < 100);
  BOOST_TEST(calls == 3);
  BOOST_TEST(seen.size() == 5u);
  BOOST_TEST(Run({"KV.SCAN", "424242"}) == "-ERR invalid cursor\r\n");
}

BOOST_AUTO_TEST_CASE(kv_tree_children_counts_and_depth) {
  BOOST_TEST(Run({"KV.TREE", ""}) ==
             "*2\r\n*3\r\n$3\r\napp\r\n:6\r\n:1\r\n*3\r\n$4\r\nuser\r\n:1\r\n:0\r\n");
  BOOST_TEST(Run({"KV.TREE", "app.config"}) ==
             "*2\r\n*3\r\n$19\r\napp.config.database\r\n:2\r\n:0\r\n"
             "*3\r\n$16\r\napp.config.debug\r\n:1\r\n:1\r\n");
  std::string deep = Run({"KV.TREE", "app", "DEPTH", "2"});
  BOOST_TEST(deep.rfind("*7\r\n", 0) == 0u);
  BOOST_TEST(Run({"KV.TREE", "nothing"}) == "*0\r\n");
  BOOST_TEST(Run({"KV.TREE", "app", "DEPTH", "0"}) == "-ERR DEPTH must be at least 1\r\n");
}

BOOST_AUTO_TEST_CASE(kv_tree_children_not_contiguous_in_byte_order) {
  // "c-d" sorts between "c" and "c.x": the child "c" must still be reported once.
  Run({"SET", "t.c", "1"});
  Run({"SET", "t.c-d", "1"});
  Run({"SET", "t.c.x", "1"});
  BOOST_TEST(Run({"KV.TREE", "t"}) ==
             "*2\r\n*3\r\n$3\r\nt.c\r\n:2\r\n:1\r\n*3\r\n$5\r\nt.c-d\r\n:1\r\n:1\r\n");
}

BOOST_AUTO_TEST_CASE(keys_and_scan_use_the_prefix_range_with_redis_globs) {
  BOOST_TEST(Run({"KEYS", "app.config.*"}) ==
             "*3\r\n$24\r\napp.config.database.host\r\n$24\r\napp.config.database.port\r\n"
             "$16\r\napp.config.debug\r\n");
  BOOST_TEST(Run({"SCAN", "0", "MATCH", "user.*", "COUNT", "100"}) ==
             "*2\r\n$1\r\n0\r\n*1\r\n$15\r\nuser.7.settings\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
