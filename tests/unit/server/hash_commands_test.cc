// The hash commands through the dispatcher: what the differential corpus cannot show against
// Redis. Client-controlled counts (HRANDFIELD) stay bounded, a write moves the key's version once
// per command, the table encoding scans and answers like the packed one, and the hash commands
// are deny-oom where Redis' are.
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "engine/container.h"
#include "harness.h"

using namespace dkv::server;

namespace {
const std::string kOom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

// The bulk strings of a RESP2 reply, in order (nested arrays flattened).
std::vector<std::string> Bulks(const std::string& reply) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t eol = reply.find("\r\n", pos);
    std::string head = reply.substr(pos + 1, eol - pos - 1);
    if (reply[pos] == '$' && head != "-1") {
      size_t n = std::stoul(head);
      out.push_back(reply.substr(eol + 2, n));
      pos = eol + 2 + n + 2;
    } else {
      pos = eol + 2;
    }
  }
  return out;
}

std::string Version(CommandHarness& h, const std::string& key) {
  std::string reply = h.Run({"KV.META", key});
  size_t at = reply.find("version\r\n:");
  if (at == std::string::npos) return "<missing>";
  at += 10;
  return reply.substr(at, reply.find("\r\n", at) - at);
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(hash_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(negative_count_stops_at_the_output_limit) {
  Run({"HSET", "h", "f", "value"});
  Run({"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"});
  std::string reply = Run({"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"});
  BOOST_TEST(reply.rfind("*9223372036854775806\r\n", 0) == 0u);
  BOOST_TEST(reply.size() > 1024u * 1024u);
  BOOST_TEST(reply.size() < 2u * 1024u * 1024u);
  BOOST_TEST(session(0).close_after_reply);
}

BOOST_AUTO_TEST_CASE(positive_count_is_bounded_by_the_hash) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  BOOST_TEST(Run({"HRANDFIELD", "h", "9223372036854775807"}).rfind("*2\r\n", 0) == 0u);
  BOOST_TEST(Run({"HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"}).rfind("*4\r\n", 0) ==
             0u);
}

BOOST_AUTO_TEST_CASE(one_version_step_per_command) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  BOOST_TEST(Version(*this, "h") == "1");
  Run({"HSET", "h", "a", "9", "d", "4"});
  BOOST_TEST(Version(*this, "h") == "2");
  Run({"HDEL", "h", "a", "b"});
  BOOST_TEST(Version(*this, "h") == "3");
  Run({"HSETNX", "h", "c", "x"});  // nothing set
  BOOST_TEST(Version(*this, "h") == "3");
  Run({"HINCRBY", "h", "n", "2"});
  BOOST_TEST(Version(*this, "h") == "4");
}

BOOST_AUTO_TEST_CASE(table_encoding_scans_every_field) {
  Run({"CONFIG", "SET", "hash-max-listpack-entries", "8"});
  std::set<std::string> want;
  for (int i = 0; i < 1000; ++i) {
    std::string f = "f" + std::to_string(i);
    Run({"HSET", "h", f, "v" + std::to_string(i)});
    want.insert(f);
  }
  BOOST_TEST(dkv::engine::DictOf(state.keyspace.db(0).FindRaw("h")) != nullptr);  // the table
  std::set<std::string> seen;
  std::string cursor = "0";
  for (int calls = 0; calls < 10000; ++calls) {
    std::vector<std::string> b = Bulks(Run({"HSCAN", "h", cursor, "COUNT", "50", "NOVALUES"}));
    BOOST_REQUIRE(!b.empty());
    cursor = b[0];
    seen.insert(b.begin() + 1, b.end());
    if (cursor == "0") break;
  }
  BOOST_TEST(cursor == "0");
  BOOST_TEST(seen == want);
  // MATCH filters; a table hash never answers everything at once for a small COUNT.
  std::vector<std::string> m = Bulks(Run({"HSCAN", "h", "0", "MATCH", "f99*", "COUNT", "2000"}));
  BOOST_TEST(m.size() == 1u + 2u * 11u);
  BOOST_TEST(Run({"HRANDFIELD", "h", "5"}).rfind("*5\r\n", 0) == 0u);
  BOOST_TEST(Run({"HRANDFIELD", "h", "900"}).rfind("*900\r\n", 0) == 0u);
  std::set<std::string> distinct;
  for (const std::string& f : Bulks(Run({"HRANDFIELD", "h", "300"}))) distinct.insert(f);
  BOOST_TEST(distinct.size() == 300u);
}

BOOST_AUTO_TEST_CASE(writes_are_deny_oom) {
  for (int i = 0; i < 10; ++i) Run({"SET", "k" + std::to_string(i), "a"});
  Run({"HSET", "h", "f", "1"});
  Run({"CONFIG", "SET", "maxmemory", "1000", "maxmemory-policy", "noeviction"});
  BOOST_TEST(Run({"HSET", "h", "g", "1"}) == kOom);
  BOOST_TEST(Run({"HINCRBY", "h", "f", "1"}) == kOom);
  BOOST_TEST(Run({"HDEL", "h", "f"}) == ":1\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
