#include <boost/test/unit_test.hpp>
#include <set>

#include "harness.h"
#include "src/core/version.h"

using namespace dkv::server;

BOOST_AUTO_TEST_SUITE(command_table)

BOOST_AUTO_TEST_CASE(rows_are_consistent) {
  std::set<std::string_view> names;
  for (const CommandSpec& spec : CommandTable()) {
    BOOST_TEST_CONTEXT(spec.name) {
      BOOST_TEST(names.insert(spec.name).second);
      BOOST_TEST(spec.arity != 0);
      BOOST_TEST(!spec.summary.empty());
      BOOST_TEST(!spec.group.empty());
      for (char c : spec.name) BOOST_TEST(!(c >= 'A' && c <= 'Z'));
      size_t bar = spec.name.find('|');
      if (bar != std::string_view::npos) {
        BOOST_TEST(names.count(spec.name.substr(0, bar)) == 1u);  // parent listed first
        BOOST_TEST(spec.handler != nullptr);
      }
      if (spec.handler == nullptr) BOOST_TEST(spec.arity == -2);
      if (LegacyRange r = LegacyKeyRange(spec); r.first > 0) {
        BOOST_TEST(r.step > 0);
        BOOST_TEST((r.last < 0 || r.last >= r.first));
        int min_args = spec.arity > 0 ? spec.arity : -spec.arity;
        // SUNSUBSCRIBE's shard channels (its key range, as Redis') are optional.
        BOOST_TEST((r.first < min_args || spec.name == "sunsubscribe"));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(dispatch, CommandHarness)

BOOST_AUTO_TEST_CASE(errors_for_unknown_and_arity) {
  BOOST_TEST(Run({"nosuch", "a", "b"}) ==
             "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n");
  BOOST_TEST(Run({"GET"}) == "-ERR wrong number of arguments for 'get' command\r\n");
  BOOST_TEST(Run({"config"}) == "-ERR wrong number of arguments for 'config' command\r\n");
  BOOST_TEST(Run({"config", "nope"}) == "-ERR unknown subcommand 'nope'. Try CONFIG HELP.\r\n");
  BOOST_TEST(Run({"config", "get"}) ==
             "-ERR wrong number of arguments for 'config|get' command\r\n");
}

BOOST_AUTO_TEST_CASE(set_get_with_expiry_on_fake_clock) {
  BOOST_TEST(Run({"SET", "sess:1", "data", "PX", "1500"}) == "+OK\r\n");
  BOOST_TEST(Run({"PTTL", "sess:1"}) == ":1500\r\n");
  AdvanceMs(1499);
  BOOST_TEST(Run({"GET", "sess:1"}) == "$4\r\ndata\r\n");
  AdvanceMs(1);
  BOOST_TEST(Run({"GET", "sess:1"}) == "$-1\r\n");
  BOOST_TEST(Run({"EXISTS", "sess:1"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(set_options_and_conflicts) {
  BOOST_TEST(Run({"SET", "k", "v", "NX", "XX"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"SET", "k", "v", "EX", "0"}) == "-ERR invalid expire time in 'set' command\r\n");
  BOOST_TEST(Run({"SET", "k", "v", "NX", "GET"}) == "$-1\r\n");
  BOOST_TEST(Run({"SET", "k", "w", "NX", "GET"}) == "$1\r\nv\r\n");
  BOOST_TEST(Run({"SET", "k", "x", "IFEQ", "nope"}) == "$-1\r\n");
  BOOST_TEST(Run({"SET", "k", "x", "IFEQ", "v"}) == "+OK\r\n");
  BOOST_TEST(Run({"GET", "k"}) == "$1\r\nx\r\n");
}

BOOST_AUTO_TEST_CASE(watch_and_exec_across_two_clients) {
  Run({"SET", "counter", "1"});
  BOOST_TEST(Run({"WATCH", "counter"}, 0) == "+OK\r\n");
  Run({"MULTI"}, 0);
  BOOST_TEST(Run({"INCR", "counter"}, 0) == "+QUEUED\r\n");
  Run({"SET", "counter", "10"}, 1);
  BOOST_TEST(Run({"EXEC"}, 0) == "*-1\r\n");
  Run({"MULTI"}, 0);
  Run({"INCR", "counter"}, 0);
  Run({"GET", "counter"}, 0);
  BOOST_TEST(Run({"EXEC"}, 0) == "*2\r\n:11\r\n$2\r\n11\r\n");
}

BOOST_AUTO_TEST_CASE(queue_errors_abort_exec) {
  Run({"MULTI"});
  BOOST_TEST(Run({"GET"}) == "-ERR wrong number of arguments for 'get' command\r\n");
  BOOST_TEST(Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  BOOST_TEST(Run({"EXEC"}) == "-ERR EXEC without MULTI\r\n");
}

BOOST_AUTO_TEST_CASE(shutdown_is_refused_in_multi_and_abort_needs_a_shutdown_in_progress) {
  // As Redis 7 (no_multi): SHUTDOWN's reply may wait for PostgreSQL, which EXEC's cannot.
  Run({"MULTI"});
  BOOST_TEST(Run({"SHUTDOWN", "NOSAVE"}) == "-ERR Command not allowed inside a transaction\r\n");
  BOOST_TEST(Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  BOOST_TEST(!shutdown_requested);
  BOOST_TEST(Run({"SHUTDOWN", "ABORT"}) == "-ERR No shutdown in progress.\r\n");
  BOOST_TEST(Run({"SHUTDOWN", "NOSAVE"}).empty());
  BOOST_TEST(shutdown_requested);
}

BOOST_AUTO_TEST_CASE(hello_switches_to_resp3) {
  std::string hello = Run({"HELLO", "3"});
  BOOST_TEST(hello.rfind("%7\r\n", 0) == 0u);
  BOOST_TEST(Run({"GET", "missing"}) == "_\r\n");
  BOOST_TEST(Run({"HELLO", "4"}) == "-NOPROTO unsupported protocol version\r\n");
}

BOOST_AUTO_TEST_CASE(requirepass_gates_commands) {
  state.config.requirepass = "secret";
  state.ApplyConfig();
  session(5).authenticated = false;
  BOOST_TEST(Run({"GET", "k"}, 5) == "-NOAUTH Authentication required.\r\n");
  BOOST_TEST(Run({"AUTH", "wrong"}, 5) ==
             "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  BOOST_TEST(Run({"AUTH", "secret"}, 5) == "+OK\r\n");
  BOOST_TEST(Run({"GET", "k"}, 5) == "$-1\r\n");
}

BOOST_AUTO_TEST_CASE(config_set_is_all_or_nothing) {
  BOOST_TEST(
      Run({"CONFIG", "SET", "hz", "20", "maxmemory", "lots"}).rfind("-ERR CONFIG SET failed", 0) ==
      0u);
  BOOST_TEST(state.config.hz == 10);
  BOOST_TEST(Run({"CONFIG", "SET", "hz", "20", "maxmemory", "1mb"}) == "+OK\r\n");
  BOOST_TEST(state.config.maxmemory == 1024 * 1024);
  BOOST_TEST(Run({"CONFIG", "GET", "hz"}) == "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
}

BOOST_AUTO_TEST_CASE(flushall_and_swapdb) {
  Run({"SET", "a", "1"});
  Run({"SELECT", "1"});
  Run({"SET", "b", "2"});
  BOOST_TEST(Run({"SWAPDB", "0", "1"}) == "+OK\r\n");
  BOOST_TEST(Run({"GET", "a"}) == "$1\r\n1\r\n");
  BOOST_TEST(Run({"FLUSHALL"}) == "+OK\r\n");
  BOOST_TEST(Run({"DBSIZE"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(lolwut_draws_and_ends_with_the_redis_version_line) {
  const std::string art = std::string("dkv\n `-- kv\n      `-- ver\n           `-- ") +
                          kDkvVersion + "\nRedis ver. " + kRedisCompatVersion + "\n";
  // RESP2: a bulk string; clients look for "Redis ver." in it.
  BOOST_TEST(Run({"LOLWUT"}) == "$" + std::to_string(art.size()) + "\r\n" + art + "\r\n");
  BOOST_TEST(Run({"lolwut", "VERSION", "5", "1", "2"}) ==
             "$" + std::to_string(art.size()) + "\r\n" + art + "\r\n");
  // VERSION must be an integer, as in Redis; other words are ignored.
  BOOST_TEST(Run({"LOLWUT", "VERSION", "five"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"LOLWUT", "whatever"}).rfind("$", 0) == 0u);
  // RESP3: a verbatim string of format txt.
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"LOLWUT"}) == "=" + std::to_string(art.size() + 4) + "\r\ntxt:" + art + "\r\n");
  // The row: readonly, fast, no keys; so it runs in MULTI and is allowed to read-only users.
  BOOST_TEST(Run({"COMMAND", "INFO", "lolwut"}).find("readonly") != std::string::npos);
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "LOLWUT", "VERSION", "5"}) ==
             "-ERR The command has no key arguments\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
