// Client-side caching (src/core/tracking.h) through the real dispatcher with several sessions:
// CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO replies and errors, the invalidation
// messages (default mode, BCAST, NOLOOP, OPTIN/OPTOUT, REDIRECT in RESP3 and RESP2, broken
// redirects, FLUSHALL), their order after the writer's own reply, the table's bound, and dkv's
// prefix invalidations (subtree delete, pattern reads, large writes). docs/client-tracking.md.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"

using namespace dkv::server;

namespace {

// One RESP3 push: ["invalidate", [keys...]].
std::string Push(const std::vector<std::string>& keys) {
  std::string s = ">2\r\n$10\r\ninvalidate\r\n*" + std::to_string(keys.size()) + "\r\n";
  for (const std::string& k : keys) s += "$" + std::to_string(k.size()) + "\r\n" + k + "\r\n";
  return s;
}
const std::string kNullPush = ">2\r\n$10\r\ninvalidate\r\n_\r\n";
// dkv's prefix invalidation: ["invalidate", null, [prefix**...]].
std::string PrefixPush(const std::vector<std::string>& prefixes) {
  std::string s = ">3\r\n$10\r\ninvalidate\r\n_\r\n*" + std::to_string(prefixes.size()) + "\r\n";
  for (const std::string& p : prefixes) {
    s += "$" + std::to_string(p.size() + 2) + "\r\n" + p + "**\r\n";
  }
  return s;
}

struct TrackingHarness : CommandHarness {
  std::string& Out(int client) { return *session(client).out; }
  // Client `c` in RESP3 with tracking on with `options`.
  void Track(int c, std::vector<std::string> options = {}) {
    Run({"HELLO", "3"}, c);
    std::vector<std::string> cmd{"CLIENT", "TRACKING", "ON"};
    cmd.insert(cmd.end(), options.begin(), options.end());
    BOOST_REQUIRE(Run(cmd, c) == "+OK\r\n");
  }
  std::string Id(int c) { return std::to_string(session(c).id); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tracking, TrackingHarness)

BOOST_AUTO_TEST_CASE(default_mode_invalidates_a_read_key_once) {
  Track(0);
  Run({"SET", "a", "1"}, 1);
  BOOST_TEST(Run({"GET", "a"}, 0) == "$1\r\n1\r\n");
  Run({"SET", "b", "1"}, 1);  // not read: nothing
  BOOST_TEST(Out(0) == "$1\r\n1\r\n");
  Run({"SET", "a", "2"}, 1);
  BOOST_TEST(Out(0) == "$1\r\n1\r\n" + Push({"a"}));
  Out(0).clear();
  Run({"SET", "a", "3"}, 1);  // forgotten after the first invalidation
  BOOST_TEST(Out(0).empty());
}

BOOST_AUTO_TEST_CASE(own_write_invalidation_follows_the_reply) {
  Track(0);
  Run({"HSET", "h", "f", "1"}, 0);
  Run({"HGET", "h", "f"}, 0);
  BOOST_TEST(Run({"HDEL", "h", "f"}, 0) == ":1\r\n" + Push({"h"}));
  // Inside a transaction: after EXEC's whole reply.
  Run({"MSET", "a", "1", "b", "2"}, 0);
  Run({"GET", "a"}, 0);
  Run({"MULTI"}, 0);
  Run({"INCR", "a"}, 0);
  Run({"GET", "b"}, 0);
  BOOST_TEST(Run({"EXEC"}, 0) == "*2\r\n:2\r\n$1\r\n2\r\n" + Push({"a"}));
  // FLUSHDB in a transaction: one null invalidation after the reply.
  Run({"GET", "a"}, 0);
  Run({"MULTI"}, 0);
  Run({"FLUSHDB"}, 0);
  BOOST_TEST(Run({"EXEC"}, 0) == "*1\r\n+OK\r\n" + kNullPush);
}

BOOST_AUTO_TEST_CASE(noloop_skips_own_writes) {
  Track(0, {"NOLOOP"});
  Run({"MGET", "x", "y"}, 0);
  BOOST_TEST(Run({"SET", "x", "1"}, 0) == "+OK\r\n");
  Run({"SET", "y", "1"}, 1);
  BOOST_TEST(Out(0) == "+OK\r\n" + Push({"y"}));
}

BOOST_AUTO_TEST_CASE(optin_and_optout_follow_client_caching) {
  Track(0, {"OPTIN"});
  Run({"GET", "k"}, 0);
  Run({"SET", "k", "1"}, 1);
  BOOST_TEST(Out(0) == "_\r\n");
  BOOST_TEST(Run({"CLIENT", "CACHING", "yes"}, 0) == "+OK\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKINGINFO"}, 0).find("caching-yes") != std::string::npos);
  Run({"GET", "k"}, 0);
  // CACHING applied to that command only.
  BOOST_TEST(Run({"CLIENT", "TRACKINGINFO"}, 0).find("caching-yes") == std::string::npos);
  Run({"SET", "k", "2"}, 1);
  BOOST_TEST(Out(0).find(Push({"k"})) != std::string::npos);
  BOOST_TEST(Run({"CLIENT", "CACHING", "no"}, 0) ==
             "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "OPTOUT"}, 0) ==
             "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
             "and then re-enabling it with a different mode.\r\n");
  Run({"CLIENT", "TRACKING", "OFF"}, 0);
  Track(0, {"OPTOUT"});
  Run({"CLIENT", "CACHING", "no"}, 0);
  Run({"GET", "n"}, 0);
  Run({"SET", "n", "1"}, 1);
  BOOST_TEST(Out(0) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(errors_are_redis_texts) {
  BOOST_TEST(Run({"CLIENT", "CACHING", "yes"}) ==
             "-ERR CLIENT CACHING can be called only when the client is in tracking mode with "
             "OPTIN or OPTOUT mode enabled\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "PREFIX", "a"}) ==
             "-ERR PREFIX option requires BCAST mode to be enabled\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"}) ==
             "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"}) ==
             "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "REDIRECT", "9999"}) ==
             "-ERR The client ID you want redirect to does not exist\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "REDIRECT", "x"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "FOO"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "MAYBE"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO"}) ==
             "-ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a "
             "single client must not overlap.\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR"}) ==
             "+OK\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FO"}) ==
             "-ERR Prefix 'FO' overlaps with an existing prefix 'FOO'. Prefixes for a single "
             "client must not overlap.\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKING", "ON"}) ==
             "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
             "and then re-enabling it with a different mode.\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKINGINFO"}) ==
             "*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
             "$8\r\nprefixes\r\n*2\r\n$3\r\nBAR\r\n$3\r\nFOO\r\n");
  BOOST_TEST(Run({"CLIENT", "LIST"}).find("flags=tB ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(getredir_and_trackinginfo) {
  BOOST_TEST(Run({"CLIENT", "GETREDIR"}) == ":-1\r\n");
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"CLIENT", "TRACKINGINFO"}) ==
             "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n"
             "*0\r\n");
  Run({"CLIENT", "TRACKING", "ON"});
  BOOST_TEST(Run({"CLIENT", "GETREDIR"}) == ":0\r\n");
  session(1);
  Run({"CLIENT", "TRACKING", "ON", "REDIRECT", Id(1), "NOLOOP"});
  BOOST_TEST(Run({"CLIENT", "GETREDIR"}) == ":" + Id(1) + "\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKINGINFO"}) ==
             "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:" + Id(1) +
                 "\r\n$8\r\nprefixes\r\n*0\r\n");
  BOOST_TEST(Run({"CLIENT", "INFO"}).find("redir=" + Id(1)) != std::string::npos);
  std::string info = Run({"INFO", "clients"});
  BOOST_TEST(info.find("tracking_clients:1\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(redirect_to_resp3_and_resp2_subscribed_clients) {
  Run({"HELLO", "3"}, 1);
  Out(1).clear();
  Run({"CLIENT", "TRACKING", "ON", "REDIRECT", Id(1)}, 0);  // client 0 stays RESP2
  Run({"GET", "k"}, 0);
  Run({"SET", "k", "1"}, 2);
  BOOST_TEST(Out(1) == Push({"k"}));
  // A RESP2 target hears a Pub/Sub message only when it is in Pub/Sub mode.
  Run({"HELLO", "2"}, 1);
  Out(1).clear();
  Run({"GET", "k"}, 0);
  Run({"SET", "k", "2"}, 2);
  BOOST_TEST(Out(1).empty());
  session(1).subscriptions = 1;
  Out(1).clear();
  Run({"GET", "k"}, 0);
  Run({"SET", "k", "3"}, 2);
  BOOST_TEST(Out(1) == "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n");
  Out(1).clear();
  Run({"GET", "k"}, 0);
  Run({"FLUSHALL"}, 2);  // one null for every database flushed
  BOOST_TEST(Out(1) == "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
}

BOOST_AUTO_TEST_CASE(broken_redirect_is_reported_to_a_resp3_client) {
  session(1);
  Track(0, {"REDIRECT", Id(1)});
  Run({"GET", "k"}, 0);
  state.clients.Remove(&session(1));
  Run({"SET", "k", "1"}, 2);
  BOOST_TEST(Out(0) == "_\r\n>2\r\n$21\r\ntracking-redir-broken\r\n:" + Id(1) + "\r\n");
  BOOST_TEST(Run({"CLIENT", "TRACKINGINFO"}, 0).find("broken_redirect") != std::string::npos);
  BOOST_TEST(Run({"CLIENT", "INFO"}, 0).find("flags=tR ") != std::string::npos);
  state.clients.Add(&session(1));
}

BOOST_AUTO_TEST_CASE(bcast_collects_per_prefix_until_the_loop_flushes) {
  Track(0, {"BCAST", "PREFIX", "a:", "PREFIX", "b:"});
  Run({"MSET", "a:1", "1", "a:2", "2", "b:1", "3", "c:1", "4"}, 1);
  BOOST_TEST(Out(0) == "+OK\r\n");  // nothing before the loop iteration ends
  state.tracking.BeforeSleep();
  BOOST_TEST(Out(0) == "+OK\r\n" + Push({"a:1", "a:2"}) + Push({"b:1"}));
  // Another database (namespace): not heard.
  Run({"SELECT", "1"}, 1);
  Run({"SET", "a:9", "x"}, 1);
  Run({"SELECT", "0"}, 1);
  Out(0).clear();
  state.tracking.BeforeSleep();
  BOOST_TEST(Out(0).empty());
  // NOLOOP in BCAST mode.
  Run({"CLIENT", "TRACKING", "OFF"}, 0);
  Run({"CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"}, 0);
  Run({"SET", "mine", "1"}, 0);
  Run({"SET", "theirs", "1"}, 1);
  Out(0).clear();
  state.tracking.BeforeSleep();
  BOOST_TEST(Out(0) == Push({"theirs"}));
  BOOST_TEST(Run({"INFO", "stats"}, 0).find("tracking_total_prefixes:1\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(subtree_delete_sends_one_prefix_invalidation) {
  Track(0, {"BCAST", "PREFIX", "app.tenant7."});
  for (int i = 0; i < 200; ++i) {
    Run({"SET", "app.tenant7.user" + std::to_string(i), "v"}, 1);
  }
  state.tracking.BeforeSleep();  // 200 keys in one iteration: coalesced to their prefix
  BOOST_TEST(Out(0) == "+OK\r\n" + PrefixPush({"app.tenant7.user"}));
  Out(0).clear();
  BOOST_TEST(Run({"KV.DEL", "app.tenant7.**"}, 1) == ":200\r\n");
  state.tracking.BeforeSleep();
  BOOST_TEST(Out(0) == PrefixPush({"app.tenant7."}));

  // Default mode: the keys read under the subtree, and a pattern read, give one message.
  Track(2);
  Run({"SET", "app.t8.a", "1"}, 1);
  Run({"SET", "app.t8.b", "1"}, 1);
  Run({"MGET", "app.t8.a", "app.t8.b", "other"}, 2);
  Out(2).clear();
  Run({"KV.DEL", "app.t8.**"}, 1);
  BOOST_TEST(Out(2) == PrefixPush({"app.t8."}));
}

BOOST_AUTO_TEST_CASE(pattern_reads_track_their_literal_prefix) {
  Track(0);
  Run({"SET", "app.t1.a", "1"}, 1);
  Run({"KV.KEYS", "app.t1.*"}, 0);
  Run({"KV.COUNT", "app.t2.**"}, 0);
  Out(0).clear();
  Run({"SET", "app.t9.x", "1"}, 1);  // outside both
  BOOST_TEST(Out(0).empty());
  Run({"SET", "app.t1.b", "1"}, 1);
  BOOST_TEST(Out(0) == PrefixPush({"app.t1."}));
  Out(0).clear();
  Run({"SET", "app.t1.c", "1"}, 1);  // forgotten after the invalidation
  BOOST_TEST(Out(0).empty());
  Run({"KV.IMPORT", "app.t2", R"({"a": 1, "b": {"c": 2}})"}, 1);
  BOOST_TEST(Out(0) == PrefixPush({"app.t2."}));
}

BOOST_AUTO_TEST_CASE(large_writes_coalesce_to_one_prefix_message) {
  Track(0);
  std::vector<std::string> mset{"MSET"};
  std::vector<std::string> mget{"MGET"};
  for (int i = 0; i < 100; ++i) {
    mset.push_back("big.k" + std::to_string(i));
    mset.push_back("v");
    mget.push_back("big.k" + std::to_string(i));
  }
  Run(mget, 0);
  Out(0).clear();
  Run(mset, 1);
  BOOST_TEST(Out(0) == PrefixPush({"big.k"}));
}

BOOST_AUTO_TEST_CASE(expiry_and_flush_invalidate) {
  Track(0);
  Run({"SET", "e", "1", "PX", "10"}, 1);
  Run({"GET", "e"}, 0);
  Out(0).clear();
  AdvanceMs(20);
  Run({"GET", "e"}, 0);  // lazy expiry: the invalidation follows the reply
  BOOST_TEST(Out(0) == "_\r\n" + Push({"e"}));
  Run({"GET", "f"}, 0);
  Out(0).clear();
  Run({"FLUSHALL"}, 1);
  BOOST_TEST(Out(0) == kNullPush);
  BOOST_TEST(Run({"INFO", "stats"}, 0).find("tracking_total_keys:0\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(table_bound_evicts_keys_with_invalidations) {
  Track(0);
  Run({"MGET", "k1", "k2", "k3"}, 0);
  BOOST_TEST(Run({"INFO", "stats"}, 0).find("tracking_total_keys:3\r\n") != std::string::npos);
  BOOST_TEST(Run({"CONFIG", "SET", "tracking-table-max-keys", "1"}, 1) == "+OK\r\n");
  // Before the next command, the table is brought within the bound.
  std::string reply = Run({"PING"}, 0);
  BOOST_TEST(reply == Push({"k1"}) + Push({"k2"}) + "+PONG\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "tracking-table-max-keys"}, 1) ==
             "*2\r\n$23\r\ntracking-table-max-keys\r\n$1\r\n1\r\n");
}

BOOST_AUTO_TEST_CASE(scripts_track_what_they_read_for_their_caller) {
  Track(0);
  Run({"EVAL", "redis.call('set', 'k3', 'bar')", "2", "k1", "k2"}, 0);
  Run({"EVAL", "redis.call('get', 'k2')", "2", "k1", "k2"}, 0);
  Out(0).clear();
  Run({"MSET", "k1", "1", "k2", "2"}, 1);
  BOOST_TEST(Out(0) == Push({"k2"}));
}

BOOST_AUTO_TEST_CASE(cache_tier_drop_and_swapdb_invalidate) {
  Track(0);
  Run({"SET", "cold", "1"}, 1);
  Run({"GET", "cold"}, 0);
  Out(0).clear();
  // The cache tier drops the value (the key stays, its value only in PostgreSQL).
  dkv::engine::Database& db = state.keyspace.db(0);
  db.FillValue(db.DropValue(db.FindRaw("cold")), "1");
  BOOST_TEST(Out(0) == Push({"cold"}));
  Out(0).clear();
  Run({"GET", "w"}, 0);
  Out(0).clear();
  BOOST_TEST(Run({"SWAPDB", "0", "1"}, 1) == "+OK\r\n");
  BOOST_TEST(Out(0) == kNullPush);
}

BOOST_AUTO_TEST_CASE(tracking_off_and_reset_stop_it) {
  Track(0);
  Run({"GET", "k"}, 0);
  BOOST_TEST(Run({"CLIENT", "TRACKING", "OFF"}, 0) == "+OK\r\n");
  Run({"SET", "k", "1"}, 1);
  BOOST_TEST(Out(0) == "+OK\r\n");
  Track(0);
  BOOST_TEST(Run({"RESET"}, 0) == "+RESET\r\n");
  BOOST_TEST(Run({"CLIENT", "GETREDIR"}, 0) == ":-1\r\n");
  BOOST_TEST(Run({"INFO", "clients"}, 0).find("tracking_clients:0\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
