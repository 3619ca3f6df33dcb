// SORT and SORT_RO through the dispatcher: what the differential corpus cannot show against
// Redis. BY and GET patterns stay inside the client's namespace, need full key access, a huge
// LIMIT allocates nothing, a script sorts a set it would not sort, STORE replaces any type and
// SORT_RO refuses it; the key specs find the last STORE destination.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"

using namespace dkv::server;

namespace {

std::string Array(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& s : items) {
    out += s == "<nil>" ? "$-1\r\n" : "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  }
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sort_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(numeric_alpha_limit_and_patterns_on_a_set) {
  Run({"SADD", "s", "3", "1", "10", "2"});
  BOOST_TEST(Run({"SORT", "s"}) == Array({"1", "2", "3", "10"}));
  BOOST_TEST(Run({"SORT", "s", "DESC"}) == Array({"10", "3", "2", "1"}));
  BOOST_TEST(Run({"SORT", "s", "ALPHA"}) == Array({"1", "10", "2", "3"}));
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "1", "2"}) == Array({"2", "3"}));
  BOOST_TEST(Run({"SORT_RO", "s", "LIMIT", "-5", "2"}) == Array({"1", "2"}));
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "9", "2"}) == "*0\r\n");
  for (const char* k : {"1", "2", "3", "10"}) {
    Run({"SET", std::string("w_") + k, std::to_string(100 - std::stoi(k))});
    Run({"HSET", std::string("h_") + k, "name", std::string("n") + k});
  }
  BOOST_TEST(Run({"SORT", "s", "BY", "w_*"}) == Array({"10", "3", "2", "1"}));
  BOOST_TEST(Run({"SORT", "s", "BY", "w_*", "GET", "#", "GET", "h_*->name", "GET", "nostar",
                  "LIMIT", "0", "1"}) == Array({"10", "n10", "<nil>"}));
  BOOST_TEST(Run({"SORT", "s", "BY", "h_*->name", "ALPHA", "GET", "h_*->nosuch"}) ==
             Array({"<nil>", "<nil>", "<nil>", "<nil>"}));
  Run({"SADD", "bad", "1", "x"});
  BOOST_TEST(Run({"SORT", "bad"}) == "-ERR One or more scores can't be converted into double\r\n");
  BOOST_TEST(Run({"SORT", "bad", "STORE", "d"}) ==
             "-ERR One or more scores can't be converted into double\r\n");
  BOOST_TEST(Run({"EXISTS", "d"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(errors_and_wrong_types) {
  Run({"SET", "str", "x"});
  BOOST_TEST(Run({"SORT", "str"}).rfind("-WRONGTYPE", 0) == 0u);
  BOOST_TEST(Run({"SORT", "str", "FOO"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "1"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "a", "1"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"SORT_RO", "s", "STORE", "d"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"SORT", "nokey"}) == "*0\r\n");
  BOOST_TEST(Run({"SORT", "s", "STORE"}) == "-ERR syntax error\r\n");
}

BOOST_AUTO_TEST_CASE(a_huge_limit_allocates_nothing) {
  Run({"SADD", "s", "1", "2"});
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "0", "9223372036854775807"}) == Array({"1", "2"}));
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "9223372036854775807", "9223372036854775807"}) == "*0\r\n");
  BOOST_TEST(Run({"SORT", "s", "LIMIT", "-9223372036854775808", "-1"}) == Array({"1", "2"}));
}

BOOST_AUTO_TEST_CASE(store_replaces_any_type_and_an_empty_result_deletes) {
  Run({"SADD", "s", "b", "a"});
  Run({"HSET", "d", "f", "v"});
  Run({"EXPIRE", "d", "100"});
  BOOST_TEST(Run({"SORT", "s", "ALPHA", "STORE", "d"}) == ":2\r\n");
  BOOST_TEST(Run({"TYPE", "d"}) == "+list\r\n");
  BOOST_TEST(Run({"TTL", "d"}) == ":-1\r\n");
  // A set that is not sorted (BY without `*`) is stored sorted by bytes.
  Run({"SADD", "t", "c", "b", "a"});
  BOOST_TEST(Run({"SORT", "t", "BY", "nosort", "STORE", "d"}) == ":3\r\n");
  // GET of a missing key stores an empty string.
  BOOST_TEST(Run({"SORT", "s", "ALPHA", "GET", "#", "GET", "x_*", "STORE", "d"}) == ":4\r\n");
  BOOST_TEST(Run({"SORT", "nokey", "STORE", "d"}) == ":0\r\n");
  BOOST_TEST(Run({"EXISTS", "d"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(a_script_sorts_a_set_it_would_not_sort) {
  Run({"SADD", "s", "c", "a", "b"});
  BOOST_TEST(Run({"EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort')", "1", "s"}) ==
             Array({"a", "b", "c"}));
}

BOOST_AUTO_TEST_CASE(key_specs_find_the_last_store) {
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "SORT", "a", "STORE", "b", "STORE", "c"}) ==
             Array({"a", "c"}));
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "SORT", "a", "BY", "store", "GET", "store"}) ==
             Array({"a"}));
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "SORT_RO", "a", "BY", "x"}) == Array({"a"}));
}

BOOST_AUTO_TEST_CASE(patterns_need_full_key_access) {
  Run({"ACL", "SETUSER", "limited", "on", "nopass", "~s*", "+@all"});
  Run({"SADD", "s", "1", "2"});
  BOOST_TEST(Run({"AUTH", "limited", "x"}, 1) == "+OK\r\n");
  BOOST_TEST(Run({"SORT", "s"}, 1) == Array({"1", "2"}));
  BOOST_TEST(Run({"SORT", "s", "BY", "nosort", "GET", "#"}, 1).rfind("-ERR GET option", 0) == 0u);
  BOOST_TEST(Run({"SORT", "s", "BY", "w_*"}, 1) ==
             "-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n");
  BOOST_TEST(Run({"SORT", "s", "GET", "w_*"}, 1) ==
             "-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n");
  BOOST_TEST(Run({"SORT", "s", "BY", "nosort"}, 1).rfind("*2", 0) == 0u);
  // The STORE destination is a key the ACL checks.
  BOOST_TEST(Run({"SORT", "s", "STORE", "other"}, 1).rfind("-NOPERM", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(patterns_stay_in_the_namespace) {
  Run({"ACL", "SETUSER", "tenant", "on", "nopass", "namespaces=tenant-a", "allkeys", "+@all"});
  Run({"SET", "w_1", "9"});
  Run({"SET", "v_1", "secret"});
  Run({"HSET", "h_1", "f", "secret"});
  BOOST_TEST(Run({"AUTH", "tenant", "x"}, 1) == "+OK\r\n");
  Run({"SADD", "s", "1", "2"}, 1);
  Run({"SET", "w_2", "0"}, 1);
  Run({"SET", "v_2", "mine"}, 1);
  BOOST_TEST(Run({"SORT", "s", "BY", "w_*", "GET", "v_*", "GET", "h_*->f"}, 1) ==
             Array({"<nil>", "<nil>", "mine", "<nil>"}));
  BOOST_TEST(Run({"SORT", "s", "BY", "w_*", "GET", "v_*", "STORE", "d"}, 1) == ":2\r\n");
  BOOST_TEST(Run({"LRANGE", "d", "0", "-1"}, 1) == Array({"", "mine"}));
  BOOST_TEST(Run({"EXISTS", "d"}) == ":0\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
