// CONFIG GET/SET's Redis 7 rules, INFO's sections, LATENCY and DEBUG's gate (issue 19).
#include <boost/test/unit_test.hpp>

#include "harness.h"
#include "src/core/latency.h"

using namespace dkv::server;

BOOST_AUTO_TEST_SUITE(latency_structures)

BOOST_AUTO_TEST_CASE(histogram_percentiles_and_power_of_two_buckets) {
  LatencyHistogram h;
  BOOST_TEST(h.total() == 0u);
  for (int i = 0; i < 98; ++i) h.Record(3);
  h.Record(1000);
  h.Record(50000);
  BOOST_TEST(h.Percentile(50) == 3.0);
  // Within 1/8 of the value, never below it.
  BOOST_TEST(h.Percentile(99) >= 1000.0);
  BOOST_TEST(h.Percentile(99) < 1000.0 * 1.125);
  BOOST_TEST(h.Percentile(100) >= 50000.0);
  std::vector<std::pair<int64_t, uint64_t>> buckets;
  h.PowerOfTwoBuckets([&](int64_t upper, uint64_t calls) { buckets.emplace_back(upper, calls); });
  BOOST_REQUIRE(buckets.size() == 3u);
  BOOST_TEST(buckets[0].first == 4);
  BOOST_TEST(buckets[0].second == 98u);
  BOOST_TEST(buckets[1].first == 1024);
  BOOST_TEST(buckets[1].second == 99u);
  BOOST_TEST(buckets[2].first == 65536);
  BOOST_TEST(buckets[2].second == 100u);
}

BOOST_AUTO_TEST_CASE(monitor_keeps_the_worst_of_each_second_and_160_seconds) {
  LatencyMonitor m;
  m.Add("command", 100, 5);
  m.Add("command", 100, 9);
  m.Add("command", 100, 7);
  BOOST_REQUIRE(m.Find("command") != nullptr);
  BOOST_TEST(m.Find("command")->samples.size() == 1u);
  BOOST_TEST(m.Find("command")->samples[0].ms == 9);
  for (int s = 101; s < 400; ++s) m.Add("command", s, 1);
  BOOST_TEST(m.Find("command")->samples.size() == LatencyEventLog::kSamples);
  BOOST_TEST(m.Find("command")->max_ms == 9);
  m.Add("expire-cycle", 1, 1);
  BOOST_TEST(m.Reset({"nosuch"}) == 0u);
  BOOST_TEST(m.Reset({"expire-cycle"}) == 1u);
  BOOST_TEST(m.Reset({}) == 1u);
  BOOST_TEST(m.events().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(introspection, CommandHarness)

BOOST_AUTO_TEST_CASE(config_get_exact_hidden_aliases_once) {
  BOOST_TEST(Run({"CONFIG", "GET", "rdb-key-save-delay"}) ==
             "*2\r\n$18\r\nrdb-key-save-delay\r\n$1\r\n0\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "rdb-key-*"}) == "*0\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "*of", "replicaof", "slaveof"}) ==
             "*4\r\n$9\r\nreplicaof\r\n$0\r\n\r\n$7\r\nslaveof\r\n$0\r\n\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "HZ"}) == "*2\r\n$2\r\nHZ\r\n$2\r\n10\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "cluster-enabled"}) ==
             "*2\r\n$15\r\ncluster-enabled\r\n$2\r\nno\r\n");
}

BOOST_AUTO_TEST_CASE(config_set_checks_names_then_values_all_or_nothing) {
  BOOST_TEST(Run({"CONFIG", "SET", "daemonize", "yes", "x", "1"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
             "immutable config\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "x", "1", "daemonize", "yes"}) ==
             "-ERR Unknown option or number of arguments for CONFIG SET - 'x'\r\n");
  BOOST_TEST(
      Run({"CONFIG", "SET", "hz", "20", "hz", "30"}) ==
      "-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "hz", "20", "maxmemory-clients", "200%"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - "
             "percentage argument must be less or equal to 100\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "hz"}) == "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
  // An option dkv fixes at start accepts its current value, not another one.
  BOOST_TEST(Run({"CONFIG", "SET", "port", "6379", "hz", "20"}) == "+OK\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "port", "6380"}).find("can't set immutable config") !=
             std::string::npos);
  // Redis' own immutable options refuse even their value.
  BOOST_TEST(Run({"CONFIG", "SET", "databases", "16"}).find("can't set immutable config") !=
             std::string::npos);
  BOOST_TEST(Run({"CONFIG", "SET", "repl-backlog-size", "2mb"}) == "+OK\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "repl-backlog-size"}) ==
             "*2\r\n$17\r\nrepl-backlog-size\r\n$7\r\n2097152\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "activedefrag", "maybe"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'activedefrag') - argument "
             "must be 'yes' or 'no'\r\n");
}

BOOST_AUTO_TEST_CASE(info_sections) {
  std::string all = Run({"INFO"});
  BOOST_TEST(all.find("# Cluster\r\ncluster_enabled:0\r\n") != std::string::npos);
  BOOST_TEST(all.find("# Modules\r\n") != std::string::npos);
  BOOST_TEST(all.find("# Errorstats\r\n") != std::string::npos);
  BOOST_TEST(all.find("# Commandstats") == std::string::npos);
  BOOST_TEST(all.find("# Keysizes") == std::string::npos);
  BOOST_TEST(Run({"INFO", "all"}).find("# Latencystats") != std::string::npos);
  BOOST_TEST(Run({"INFO", "all"}).find("# Keysizes") == std::string::npos);
  Run({"SET", "k", "12345"});
  BOOST_TEST(Run({"INFO", "keysizes"}).find("db0_distrib_strings_sizes:4=1\r\n") !=
             std::string::npos);
  Run({"GET", "k"});
  BOOST_TEST(Run({"INFO", "latencystats"}).find("latency_percentiles_usec_get:p50=") !=
             std::string::npos);
  BOOST_TEST(Run({"INFO", "nosuch"}) == "$0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(latency_histogram_after_resetstat) {
  Run({"CONFIG", "RESETSTAT"});
  std::string h = Run({"LATENCY", "HISTOGRAM"});
  BOOST_TEST(h.find("config|resetstat") != std::string::npos);
  BOOST_TEST(h.find("calls") != std::string::npos);
  BOOST_TEST(Run({"LATENCY", "HISTOGRAM", "nosuch"}) == "*0\r\n");
  BOOST_TEST(Run({"LATENCY", "HISTORY", "command"}) == "*0\r\n");
  BOOST_TEST(Run({"LATENCY", "GRAPH", "command"}) ==
             "-ERR No samples available for event 'command'\r\n");
}

BOOST_AUTO_TEST_CASE(debug_is_refused_unless_enabled) {
  BOOST_TEST(Run({"DEBUG", "HELP"})
                 .rfind("-ERR DEBUG command not allowed. If the "
                        "enable-debug-command option is set to \"local\"",
                        0) == 0);
  BOOST_TEST(Run({"CONFIG", "SET", "enable-debug-command", "yes"}).find("immutable") !=
             std::string::npos);
  state.config.enable_debug_command = "local";
  BOOST_TEST(Run({"DEBUG", "SLEEP", "0"}).rfind("-ERR DEBUG command not allowed", 0) == 0);
  session(0).local = true;
  BOOST_TEST(Run({"DEBUG", "SLEEP", "0"}) == "+OK\r\n");
  state.config.enable_debug_command = "yes";
  BOOST_TEST(Run({"DEBUG", "DIGEST"}) == "+" + std::string(40, '0') + "\r\n");
  BOOST_TEST(Run({"DEBUG", "POPULATE", "3"}) == "+OK\r\n");
  BOOST_TEST(Run({"GET", "key:2"}) == "$7\r\nvalue:2\r\n");
  BOOST_TEST(Run({"DEBUG", "DIGEST"}) != "+" + std::string(40, '0') + "\r\n");
  BOOST_TEST(Run({"DEBUG", "PROTOCOL", "map"}) == "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
  BOOST_TEST(Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == "+OK\r\n");
  BOOST_TEST(!state.keyspace.active_expire());
  Run({"DEBUG", "SET-ACTIVE-EXPIRE", "1"});
}

BOOST_AUTO_TEST_CASE(errors_of_scripts_count_once) {
  Run({"SET", "x", "abc"});
  Run({"CONFIG", "RESETSTAT"});
  BOOST_TEST(Run({"EVAL", "return redis.call('incr','x')", "0"}).rfind("-ERR value is not", 0) ==
             0);
  BOOST_TEST(Run({"INFO", "stats"}).find("total_error_replies:1\r\n") != std::string::npos);
  BOOST_TEST(Run({"INFO", "errorstats"}).find("errorstat_ERR:count=1\r\n") != std::string::npos);
  std::string cmd = Run({"INFO", "commandstats"});
  BOOST_TEST(cmd.find("cmdstat_incr:calls=1,") != std::string::npos);
  BOOST_TEST(cmd.find("rejected_calls=0,failed_calls=1\r\ncmdstat_incr") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(readonly_readwrite_without_cluster) {
  BOOST_TEST(Run({"READONLY"}) == "-ERR This instance has cluster support disabled\r\n");
  BOOST_TEST(Run({"READWRITE"}) == "-ERR This instance has cluster support disabled\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
