// The sorted-set commands through the dispatcher: what the differential corpus cannot show
// against Redis 7.0.15. RESP3 shapes, ZRANK WITHSCORE (7.2), one version step per command,
// OBJECT ENCODING across the conversion (and the *STORE results built in the encoding their
// size calls for), the skiplist answering like the packed form, and bounded random counts.
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "harness.h"

using namespace dkv::server;

namespace {
// The key's version, read from the keyspace (KV.META's view of sorted sets is not here yet).
std::string Version(CommandHarness& h, const std::string& key) {
  dkv::engine::Entry* e = h.state.keyspace.db(0).FindRaw(key);
  return e == nullptr ? "<missing>" : std::to_string(e->version());
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(zset_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(scores_print_as_redis) {
  Run({"ZADD", "z", "1.1", "a", "3", "b", "inf", "c", "-0", "d"});
  BOOST_TEST(Run({"ZSCORE", "z", "a"}) == "$18\r\n1.1000000000000001\r\n");
  BOOST_TEST(Run({"ZSCORE", "z", "b"}) == "$1\r\n3\r\n");
  BOOST_TEST(Run({"ZSCORE", "z", "c"}) == "$3\r\ninf\r\n");
  BOOST_TEST(Run({"ZSCORE", "z", "d"}) == "$1\r\n0\r\n");  // listpack stores -0 as 0
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"ZSCORE", "z", "a"}) == ",1.1000000000000001\r\n");
  BOOST_TEST(Run({"ZRANGE", "z", "0", "0", "WITHSCORES"}) == "*1\r\n*2\r\n$1\r\nd\r\n,0\r\n");
  BOOST_TEST(Run({"ZPOPMIN", "z"}) == "*2\r\n$1\r\nd\r\n,0\r\n");
  BOOST_TEST(Run({"ZPOPMIN", "z", "1"}) == "*1\r\n*2\r\n$1\r\na\r\n,1.1000000000000001\r\n");
}

BOOST_AUTO_TEST_CASE(zrank_withscore) {
  Run({"ZADD", "z", "1", "a", "2", "b"});
  BOOST_TEST(Run({"ZRANK", "z", "b", "WITHSCORE"}) == "*2\r\n:1\r\n$1\r\n2\r\n");
  BOOST_TEST(Run({"ZREVRANK", "z", "b", "WITHSCORE"}) == "*2\r\n:0\r\n$1\r\n2\r\n");
  BOOST_TEST(Run({"ZRANK", "z", "x", "WITHSCORE"}) == "*-1\r\n");
  BOOST_TEST(Run({"ZRANK", "z", "x"}) == "$-1\r\n");
  BOOST_TEST(Run({"ZRANK", "z", "a", "foo"}) == "-ERR syntax error\r\n");
}

BOOST_AUTO_TEST_CASE(one_version_step_per_command) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  BOOST_TEST(Version(*this, "z") == "1");
  Run({"ZADD", "z", "9", "a", "4", "d"});
  BOOST_TEST(Version(*this, "z") == "2");
  Run({"ZREM", "z", "a", "b"});
  BOOST_TEST(Version(*this, "z") == "3");
  Run({"ZADD", "z", "NX", "1", "c"});  // nothing changed
  BOOST_TEST(Version(*this, "z") == "3");
  Run({"ZPOPMIN", "z"});
  BOOST_TEST(Version(*this, "z") == "4");
}

BOOST_AUTO_TEST_CASE(encodings_follow_the_limits) {
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "4"});
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "z"}) == "$8\r\nlistpack\r\n");
  Run({"ZADD", "z", "5", "e"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "z"}) == "$8\r\nskiplist\r\n");
  // A ZADD of more members than the limit creates the skiplist directly.
  Run({"ZADD", "big", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "big"}) == "$8\r\nskiplist\r\n");
  // Never back on removal; a STORE result is built by its size.
  Run({"ZREM", "z", "a", "b", "c"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "z"}) == "$8\r\nskiplist\r\n");
  BOOST_TEST(Run({"ZRANGESTORE", "d", "z", "0", "-1"}) == ":2\r\n");
  BOOST_TEST(Run({"OBJECT", "ENCODING", "d"}) == "$8\r\nlistpack\r\n");
  BOOST_TEST(Run({"ZUNIONSTORE", "d", "2", "z", "big"}) == ":5\r\n");
  BOOST_TEST(Run({"OBJECT", "ENCODING", "d"}) == "$8\r\nskiplist\r\n");
  Run({"CONFIG", "SET", "zset-max-listpack-value", "3"});
  Run({"ZADD", "long", "1", "abcd"});
  BOOST_TEST(Run({"OBJECT", "ENCODING", "long"}) == "$8\r\nskiplist\r\n");
}

BOOST_AUTO_TEST_CASE(skiplist_answers_like_packed) {
  // The same commands against both encodings give the same bytes.
  std::vector<std::vector<std::string>> queries = {
      {"ZRANGE", "K", "0", "-1", "WITHSCORES"},
      {"ZRANGE", "K", "(2", "+inf", "BYSCORE", "REV", "LIMIT", "1", "3", "WITHSCORES"},
      {"ZCOUNT", "K", "3", "(7"},
      {"ZLEXCOUNT", "K", "-", "+"},  // lex ranges are meaningful only with equal scores
      {"ZRANK", "K", "m7"},
      {"ZREVRANK", "K", "m7"},
      {"ZMSCORE", "K", "m1", "nope", "m9"},
      {"ZREVRANGE", "K", "2", "-3"},
  };
  for (std::string key : {"p", "s"}) {
    if (key == "s") Run({"CONFIG", "SET", "zset-max-listpack-entries", "0"});
    for (int i = 0; i < 20; ++i) {
      Run({"ZADD", key, std::to_string(i / 2), "m" + std::to_string(i)});
    }
  }
  BOOST_TEST(Run({"OBJECT", "ENCODING", "p"}) == "$8\r\nlistpack\r\n");
  BOOST_TEST(Run({"OBJECT", "ENCODING", "s"}) == "$8\r\nskiplist\r\n");
  for (auto q : queries) {
    auto qp = q, qs = q;
    qp[1] = "p";
    qs[1] = "s";
    BOOST_TEST(Run(qp) == Run(qs));
  }
  BOOST_TEST(Run({"ZREMRANGEBYRANK", "p", "3", "8"}) == Run({"ZREMRANGEBYRANK", "s", "3", "8"}));
  BOOST_TEST(Run({"ZRANGE", "p", "0", "-1"}) == Run({"ZRANGE", "s", "0", "-1"}));
  BOOST_TEST(Run({"ZPOPMAX", "p", "3"}) == Run({"ZPOPMAX", "s", "3"}));
  BOOST_TEST(Run({"ZRANGE", "p", "0", "-1"}) == Run({"ZRANGE", "s", "0", "-1"}));
}

BOOST_AUTO_TEST_CASE(skiplist_scan_visits_every_member) {
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "8"});
  std::set<std::string> want;
  for (int i = 0; i < 500; ++i) {
    std::string m = "m" + std::to_string(i);
    Run({"ZADD", "z", std::to_string(i), m});
    want.insert(m);
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  for (int step = 0; step < 10000; ++step) {
    std::string reply = Run({"ZSCAN", "z", cursor, "COUNT", "50"});
    // *2 $n cursor *k ...
    size_t p = reply.find("\r\n", 4);
    size_t q = reply.find("\r\n", p + 2);
    cursor = reply.substr(p + 2, q - p - 2);
    size_t pos = reply.find("\r\n", q + 2) + 2;
    bool member = true;
    while (pos < reply.size()) {
      size_t eol = reply.find("\r\n", pos);
      size_t n = std::stoul(reply.substr(pos + 1, eol - pos - 1));
      if (member) seen.insert(reply.substr(eol + 2, n));
      member = !member;
      pos = eol + 2 + n + 2;
    }
    if (cursor == "0") break;
  }
  BOOST_TEST(seen == want);
}

BOOST_AUTO_TEST_CASE(random_counts_are_bounded) {
  Run({"ZADD", "z", "1", "a", "2", "b"});
  BOOST_TEST(Run({"ZRANDMEMBER", "z", "9223372036854775807"}).rfind("*2\r\n", 0) == 0u);
  BOOST_TEST(Run({"ZRANDMEMBER", "z", "-4611686018427387903"}).rfind("-ERR", 0) == 0u);
  BOOST_TEST(Run({"ZRANDMEMBER", "z", "-3", "WITHSCORES"}).rfind("*6\r\n", 0) == 0u);
  BOOST_TEST(Run({"ZRANDMEMBER", "z", "1", "WITHSCORES"}).rfind("*2\r\n", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(zadd_is_deny_oom) {
  Run({"ZADD", "z", "1", "a"});
  Run({"CONFIG", "SET", "maxmemory", "1"});
  BOOST_TEST(Run({"ZADD", "z", "2", "b"}).rfind("-OOM", 0) == 0u);
  BOOST_TEST(Run({"ZREM", "z", "a"}) == ":1\r\n");
  Run({"CONFIG", "SET", "maxmemory", "0"});
}

BOOST_AUTO_TEST_SUITE_END()
