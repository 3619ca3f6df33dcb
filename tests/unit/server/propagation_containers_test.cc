// What the append-only log records of the container and blocking commands (hashes, sets, lists,
// sorted sets, streams, blocking pops), beyond propagation_test.cc's one example per command:
// the exact logged forms (Redis 7.2's rewrites: SPOP -> SREM / DEL, BLPOP -> LPOP, XADD * -> the
// ID, XREADGROUP -> XCLAIM ... + XGROUP SETID, ...), blocking commands served later by another
// client's push, several entries delivered at once, approximate trims, and for each case a
// replay of the log into a second server state that must hold the same data (DUMP, or the
// members sorted where a set's order is its hash table's).
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "harness.h"
#include "propagation_support.h"

using namespace dkv::server;
using dkv::server::testing::ParseRespCommands;

namespace {

using Argv = std::vector<std::string>;

struct LoggedHarness : CommandHarness {
  // What the log received: `log` since the test last cleared it, `all` since the start.
  std::string log;
  std::string all;
  // What each client sent last: the command a served client runs again.
  std::map<uint64_t, Argv> sent;

  LoggedHarness() {
    state.propagation.set_sink([this](std::string_view resp) {
      log.append(resp);
      all.append(resp);
    });
  }

  std::string Send(const Argv& argv, int client = 0) {
    sent[session(client).id] = argv;
    return Run(argv, client);
  }
  // The network layer's part after a command: serve the ready keys (as blocking_test.cc).
  void Serve() {
    state.blocked.ServeReady(state.keyspace, [this](Session* s) {
      const Argv& argv = sent[s->id];
      std::vector<std::string_view> views(argv.begin(), argv.end());
      s->block_rerun = true;
      dispatcher.Execute(*s, views);
      s->block_rerun = false;
    });
  }
  // The logged commands, SELECT left out.
  std::vector<Argv> Logged() const {
    std::vector<Argv> out;
    for (Argv& c : ParseRespCommands(log)) {
      if (!c.empty() && c[0] == "SELECT") continue;
      out.push_back(std::move(c));
    }
    return out;
  }
  // The whole log replayed into a fresh server state at this clock's time.
  std::unique_ptr<CommandHarness> Replay() const {
    auto b = std::make_unique<CommandHarness>();
    b->clock.SetMs(clock.NowMs());
    for (const Argv& c : ParseRespCommands(all)) {
      std::string reply = b->Run(c);
      BOOST_TEST_INFO("replaying " << c[0]);
      BOOST_TEST((reply.empty() || reply[0] != '-'), reply);
    }
    return b;
  }
  // Whether `key` holds the same in `b` as here (DUMP's bytes).
  void CheckSameDump(CommandHarness& b, const std::string& key) {
    BOOST_TEST(Run({"DUMP", key}) == b.Run({"DUMP", key}), "DUMP " << key);
  }
};

Argv Sorted(Argv v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The members of a set replied as RESP, sorted.
Argv SetMembers(CommandHarness& h, const std::string& key) {
  Argv out;
  std::string r = h.Run({"SMEMBERS", key});
  for (const Argv& c : ParseRespCommands(r)) out.insert(out.end(), c.begin(), c.end());
  return Sorted(out);
}

Argv Cmd(std::initializer_list<std::string> words) { return Argv(words); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(propagation_containers, LoggedHarness)

BOOST_AUTO_TEST_CASE(spop_logs_srem_of_what_was_drawn) {
  Run({"SADD", "s", "a", "b", "c"});
  log.clear();
  std::string reply = Run({"SPOP", "s"});
  std::vector<Argv> logged = Logged();
  BOOST_TEST_REQUIRE(logged.size() == 1u);
  BOOST_TEST(logged[0].size() == 3u);
  BOOST_TEST(logged[0][0] == "SREM");
  BOOST_TEST(logged[0][1] == "s");
  BOOST_TEST(reply == "$1\r\n" + logged[0][2] + "\r\n");
}

BOOST_AUTO_TEST_CASE(spop_count_larger_than_the_set_logs_del) {
  Run({"SADD", "s", "a", "b", "c"});
  Run({"SET", "other", "x"});
  log.clear();
  Run({"SPOP", "s", "10"});
  BOOST_TEST(Logged() == std::vector<Argv>{Cmd({"DEL", "s"})});
  // Exactly the size: the whole set too.
  Run({"SADD", "t", "a", "b"});
  log.clear();
  Run({"SPOP", "t", "2"});
  BOOST_TEST(Logged() == std::vector<Argv>{Cmd({"DEL", "t"})});
  // A missing key: nothing.
  log.clear();
  Run({"SPOP", "missing", "3"});
  BOOST_TEST(log.empty());
}

BOOST_AUTO_TEST_CASE(spop_count_logs_srem_in_batches_of_1024) {
  Argv sadd{"SADD", "s"};
  for (int i = 0; i < 3000; ++i) sadd.push_back("m" + std::to_string(i));
  Run(sadd);
  log.clear();
  Run({"SPOP", "s", "2100"});
  std::vector<Argv> logged = Logged();
  // One transaction of three SREMs: 1024 + 1024 + 52 members.
  BOOST_TEST_REQUIRE(logged.size() == 5u);
  BOOST_TEST(logged[0] == Cmd({"MULTI"}));
  BOOST_TEST(logged[1].size() == 1026u);
  BOOST_TEST(logged[2].size() == 1026u);
  BOOST_TEST(logged[3].size() == 54u);
  BOOST_TEST(logged[4] == Cmd({"EXEC"}));
  // Replayed from the start: the same members are left.
  log.clear();
  state.propagation.set_sink(nullptr);
  LoggedHarness again;
  again.Run(sadd);
  again.Run({"SPOP", "s", "700"});
  again.Run({"SPOP", "s", "1"});
  auto b = again.Replay();
  BOOST_TEST(SetMembers(again, "s") == SetMembers(*b, "s"));
  BOOST_TEST(SetMembers(*b, "s").size() == 2299u);
}

BOOST_AUTO_TEST_CASE(hincrbyfloat_logs_the_value_it_got) {
  Run({"HSET", "h", "f", "1"});
  log.clear();
  BOOST_TEST(Run({"HINCRBYFLOAT", "h", "f", "0.1"}) == "$3\r\n1.1\r\n");
  BOOST_TEST(Logged() == std::vector<Argv>{Cmd({"HSET", "h", "f", "1.1"})});
  // A field with a time to live keeps it on replay.
  Run({"HPEXPIRE", "h", "100000", "FIELDS", "1", "f"});
  log.clear();
  Run({"HINCRBYFLOAT", "h", "f", "1e2"});
  BOOST_TEST(Logged() ==
             std::vector<Argv>{Cmd({"HSETEX", "h", "KEEPTTL", "FIELDS", "1", "f", "101.1"})});
}

BOOST_AUTO_TEST_CASE(hash_field_times_are_logged_absolute) {
  Run({"HSET", "h", "f", "1", "g", "2"});
  log.clear();
  const std::string at = std::to_string(clock.NowMs() + 5000);
  Run({"HEXPIRE", "h", "5", "NX", "FIELDS", "2", "f", "nope"});
  BOOST_TEST(Logged() ==
             std::vector<Argv>{Cmd({"HPEXPIREAT", "h", at, "NX", "FIELDS", "2", "f", "nope"})});
  log.clear();
  Run({"HGETEX", "h", "PX", "7000", "FIELDS", "1", "g"});
  BOOST_TEST(Logged() ==
             std::vector<Argv>{Cmd({"HGETEX", "h", "PXAT", std::to_string(clock.NowMs() + 7000),
                                    "FIELDS", "1", "g"})});
  log.clear();
  Run({"HSETEX", "h2", "EX", "9", "FIELDS", "1", "a", "b"});
  BOOST_TEST(Logged() ==
             std::vector<Argv>{Cmd({"HSETEX", "h2", "PXAT", std::to_string(clock.NowMs() + 9000),
                                    "FIELDS", "1", "a", "b"})});
  // A condition that holds for no field: nothing changed, nothing logged.
  log.clear();
  Run({"HEXPIRE", "h", "5", "NX", "FIELDS", "1", "f"});
  BOOST_TEST(log.empty());
  auto b = Replay();
  BOOST_TEST(Run({"HPEXPIRETIME", "h", "FIELDS", "2", "f", "g"}) ==
             b->Run({"HPEXPIRETIME", "h", "FIELDS", "2", "f", "g"}));
}

BOOST_AUTO_TEST_CASE(blocking_pops_served_at_once_log_the_plain_pop) {
  Run({"RPUSH", "l", "a", "b", "c", "d"});
  Run({"ZADD", "z", "1", "x", "2", "y", "3", "w"});
  log.clear();
  Run({"BLPOP", "none", "l", "0"});
  Run({"BRPOP", "l", "0"});
  Run({"BLMPOP", "0", "2", "none", "l", "RIGHT", "COUNT", "10"});
  Run({"BZPOPMIN", "z", "0"});
  Run({"BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"});
  BOOST_TEST(Logged() ==
             (std::vector<Argv>{Cmd({"LPOP", "l"}), Cmd({"RPOP", "l"}), Cmd({"RPOP", "l", "2"}),
                                Cmd({"ZPOPMIN", "z"}), Cmd({"ZPOPMAX", "z", "2"})}));
  Run({"RPUSH", "l", "a", "b"});
  log.clear();
  Run({"BLMOVE", "l", "m", "LEFT", "RIGHT", "0"});
  Run({"BRPOPLPUSH", "l", "m", "0"});
  BOOST_TEST(Logged() == (std::vector<Argv>{Cmd({"LMOVE", "l", "m", "LEFT", "RIGHT"}),
                                            Cmd({"RPOPLPUSH", "l", "m"})}));
}

BOOST_AUTO_TEST_CASE(lmpop_and_zmpop_log_the_pop_with_the_count_popped) {
  Run({"RPUSH", "l", "a", "b", "c"});
  Run({"ZADD", "z", "1", "x", "2", "y"});
  log.clear();
  Run({"LMPOP", "2", "none", "l", "LEFT", "COUNT", "2"});
  Run({"ZMPOP", "1", "z", "MIN", "COUNT", "9"});
  Run({"LPOP", "l", "5"});
  BOOST_TEST(Logged() == (std::vector<Argv>{Cmd({"LPOP", "l", "2"}), Cmd({"ZPOPMIN", "z", "2"}),
                                            Cmd({"LPOP", "l", "5"})}));
}

BOOST_AUTO_TEST_CASE(blocking_pops_served_later_by_a_push_from_another_client) {
  BOOST_TEST(Send({"BLPOP", "l", "0"}, 1) == "");
  BOOST_TEST(Send({"BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2"}, 2) == "");
  BOOST_TEST(Send({"BZPOPMAX", "z", "0"}, 3) == "");
  BOOST_TEST(Send({"BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"}, 4) == "");
  // A client that blocked changed nothing: nothing logged.
  BOOST_TEST(log.empty());
  Send({"RPUSH", "l", "a", "b", "c", "d"});
  Serve();
  Send({"ZADD", "z", "1", "x", "2", "y"});
  Serve();
  Send({"LPUSH", "src", "v"});
  Serve();
  BOOST_TEST(*session(1).out == "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
  // Each served command is logged as its own command, after the push that served it.
  BOOST_TEST(Logged() ==
             (std::vector<Argv>{Cmd({"RPUSH", "l", "a", "b", "c", "d"}), Cmd({"LPOP", "l"}),
                                Cmd({"RPOP", "l", "2"}), Cmd({"ZADD", "z", "1", "x", "2", "y"}),
                                Cmd({"ZPOPMAX", "z"}), Cmd({"LPUSH", "src", "v"}),
                                Cmd({"LMOVE", "src", "dst", "RIGHT", "LEFT"})}));
  auto b = Replay();
  for (const char* key : {"l", "z", "src", "dst"}) CheckSameDump(*b, key);
}

BOOST_AUTO_TEST_CASE(xadd_logs_the_id_it_got) {
  log.clear();
  const std::string now = std::to_string(clock.NowMs());
  Run({"XADD", "s", "*", "f", "v"});
  Run({"XADD", "s", "*", "f", "v"});
  Run({"XADD", "s", "NOMKSTREAM", "99999999999999-*", "f", "v"});
  Run({"XADD", "s", "99999999999999-*", "f", "v"});
  Run({"XADD", "s", "99999999999999-7", "f", "v"});
  BOOST_TEST(Logged() ==
             (std::vector<Argv>{Cmd({"XADD", "s", now + "-0", "f", "v"}),
                                Cmd({"XADD", "s", now + "-1", "f", "v"}),
                                Cmd({"XADD", "s", "NOMKSTREAM", "99999999999999-0", "f", "v"}),
                                Cmd({"XADD", "s", "99999999999999-1", "f", "v"}),
                                Cmd({"XADD", "s", "99999999999999-7", "f", "v"})}));
  // NOMKSTREAM on a missing key: nothing.
  log.clear();
  Run({"XADD", "none", "NOMKSTREAM", "*", "f", "v"});
  BOOST_TEST(log.empty());
}

BOOST_AUTO_TEST_CASE(approximate_trims_log_the_exact_threshold) {
  // 250 entries: nodes of 100 (stream-node-max-entries).
  for (int i = 1; i <= 250; ++i) Run({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  Run({"XADD", "t", "1-1", "f", "v"});
  log.clear();
  // MAXLEN ~ 120 removes whole nodes only: more than 120 entries are left, and the log says
  // how many, with the ID the partial one got.
  Run({"XADD", "s", "MAXLEN", "~", "120", "251-*", "f", "v"});
  std::vector<Argv> logged = Logged();
  BOOST_TEST_REQUIRE(logged.size() == 1u);
  BOOST_TEST_REQUIRE(logged[0].size() == 8u);
  BOOST_TEST(logged[0][2] == "MAXLEN");
  BOOST_TEST(logged[0][3] == "=");
  BOOST_TEST(logged[0][5] == "251-0");
  BOOST_TEST(Run({"XLEN", "s"}) == ":" + logged[0][4] + "\r\n");
  BOOST_TEST(std::stoi(logged[0][4]) > 120);
  BOOST_TEST(std::stoi(logged[0][4]) < 251);
  // MINID ~ with LIMIT: the first ID left, without the LIMIT.
  for (int i = 300; i < 400; ++i) Run({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  log.clear();
  Run({"XTRIM", "s", "MINID", "~", "380", "LIMIT", "150"});
  logged = Logged();
  BOOST_TEST_REQUIRE(logged.size() == 1u);
  std::string first = Run({"XRANGE", "s", "-", "+", "COUNT", "1"});
  BOOST_TEST(logged[0].size() == 5u);
  BOOST_TEST(logged[0][2] == "MINID");
  BOOST_TEST(logged[0][3] == "=");
  BOOST_TEST(first.find("$" + std::to_string(logged[0][4].size()) + "\r\n" + logged[0][4]) !=
             std::string::npos);
  // An exact trim is logged as given.
  log.clear();
  Run({"XTRIM", "s", "MAXLEN", "=", "10"});
  BOOST_TEST(Logged() == std::vector<Argv>{Cmd({"XTRIM", "s", "MAXLEN", "=", "10"})});
  // Replayed, the stream is the same.
  state.propagation.set_sink(nullptr);
  LoggedHarness again;
  for (int i = 1; i <= 250; ++i) again.Run({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  again.Run({"XADD", "s", "MAXLEN", "~", "120", "251-*", "f", "v"});
  for (int i = 300; i < 400; ++i) again.Run({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  again.Run({"XTRIM", "s", "MINID", "~", "380", "LIMIT", "150"});
  again.Run({"XADD", "s", "MINID", "~", "390", "*", "f", "v"});
  auto b = again.Replay();
  again.CheckSameDump(*b, "s");
  BOOST_TEST(again.Run({"XLEN", "s"}) == b->Run({"XLEN", "s"}));
}

BOOST_AUTO_TEST_CASE(xreadgroup_delivering_several_entries) {
  Run({"XADD", "s", "1-1", "a", "1"});
  Run({"XADD", "s", "2-1", "b", "2"});
  Run({"XADD", "s", "3-1", "c", "3"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  log.clear();
  const std::string now = std::to_string(clock.NowMs());
  Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"});
  auto claim = [&](const std::string& consumer, const std::string& id, const std::string& last) {
    return Cmd({"XCLAIM", "s", "g", consumer, "0", id, "TIME", now, "RETRYCOUNT", "1", "FORCE",
                "JUSTID", "LASTID", last});
  };
  BOOST_TEST(Logged() ==
             (std::vector<Argv>{
                 Cmd({"MULTI"}), Cmd({"XGROUP", "CREATECONSUMER", "s", "g", "alice"}),
                 claim("alice", "1-1", "1-1"), claim("alice", "2-1", "2-1"),
                 Cmd({"XGROUP", "SETID", "s", "g", "2-1", "ENTRIESREAD", "2"}), Cmd({"EXEC"})}));
  // NOACK: no pending entries, the group's position only.
  log.clear();
  Run({"XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"});
  BOOST_TEST(Logged() ==
             (std::vector<Argv>{Cmd({"MULTI"}), Cmd({"XGROUP", "CREATECONSUMER", "s", "g", "bob"}),
                                Cmd({"XGROUP", "SETID", "s", "g", "3-1", "ENTRIESREAD", "3"}),
                                Cmd({"EXEC"})}));
  // Nothing new for a known consumer: nothing logged (XREADGROUP's own arguments never are).
  log.clear();
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  BOOST_TEST(log.empty());
  auto b = Replay();
  CheckSameDump(*b, "s");
}

BOOST_AUTO_TEST_CASE(xreadgroup_block_served_later_by_another_client) {
  Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "c"});
  log.clear();
  BOOST_TEST(Send({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, 1) == "");
  BOOST_TEST(log.empty());
  Send({"XADD", "s", "5-1", "f", "v"});
  Serve();
  BOOST_TEST(session(1).out->find("5-1") != std::string::npos);
  const std::string now = std::to_string(clock.NowMs());
  BOOST_TEST(Logged() ==
             (std::vector<Argv>{Cmd({"XADD", "s", "5-1", "f", "v"}), Cmd({"MULTI"}),
                                Cmd({"XCLAIM", "s", "g", "c", "0", "5-1", "TIME", now, "RETRYCOUNT",
                                     "1", "FORCE", "JUSTID", "LASTID", "5-1"}),
                                Cmd({"XGROUP", "SETID", "s", "g", "5-1", "ENTRIESREAD", "1"}),
                                Cmd({"EXEC"})}));
}

BOOST_AUTO_TEST_CASE(xclaim_and_xautoclaim_log_xclaim_per_entry) {
  for (int i = 1; i <= 4; ++i) Run({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  Run({"XDEL", "s", "2-1"});
  AdvanceMs(1000);
  log.clear();
  const std::string now = std::to_string(clock.NowMs());
  Run({"XCLAIM", "s", "g", "bob", "500", "1-1", "2-1"});
  std::vector<Argv> logged = Logged();
  BOOST_TEST_REQUIRE(logged.size() == 5u);
  BOOST_TEST(logged[1] == Cmd({"XGROUP", "CREATECONSUMER", "s", "g", "bob"}));
  BOOST_TEST(logged[2] == Cmd({"XCLAIM", "s", "g", "bob", "0", "1-1", "TIME", now, "RETRYCOUNT",
                               "2", "FORCE", "JUSTID", "LASTID", "4-1"}));
  // 2-1 is gone from the stream: its pending entry went, and goes again on replay.
  BOOST_TEST(logged[3][0] == "XCLAIM");
  BOOST_TEST(logged[3][5] == "2-1");
  AdvanceMs(1000);
  log.clear();
  Run({"XAUTOCLAIM", "s", "g", "carol", "100", "0", "COUNT", "10"});
  logged = Logged();
  // CREATECONSUMER, then 1-1, 3-1, 4-1 claimed.
  BOOST_TEST_REQUIRE(logged.size() == 6u);
  BOOST_TEST(logged[2][5] == "1-1");
  BOOST_TEST(logged[2][9] == "3");
  BOOST_TEST(logged[4][5] == "4-1");
  // LASTID alone moving the group: XGROUP SETID.
  log.clear();
  Run({"XCLAIM", "s", "g", "carol", "0", "9-9", "LASTID", "7-0"});
  BOOST_TEST(Logged() ==
             std::vector<Argv>{Cmd({"XGROUP", "SETID", "s", "g", "7-0", "ENTRIESREAD", "4"})});
  // Nothing to claim, a known consumer: nothing.
  log.clear();
  Run({"XCLAIM", "s", "g", "carol", "0", "9-9"});
  BOOST_TEST(log.empty());
}

BOOST_AUTO_TEST_CASE(stream_with_groups_replays_to_the_same_dump) {
  for (int i = 1; i <= 6; ++i) Run({"XADD", "s", "*", "f", std::to_string(i)});
  const std::string seventh = std::to_string(clock.NowMs()) + "-6";
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XGROUP", "CREATE", "s", "h", "$"});
  Run({"XREADGROUP", "GROUP", "g", "a", "COUNT", "3", "STREAMS", "s", ">"});
  Run({"XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"});
  Run({"XREADGROUP", "GROUP", "h", "a", "NOACK", "STREAMS", "s", ">"});
  Run({"XADD", "s", "*", "f", "7"});
  Run({"XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"});
  BOOST_TEST(Run({"XACK", "s", "g", seventh}) == ":1\r\n");
  Run({"XCLAIM", "s", "g", "c", "0", "0-1"});
  Run({"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "2"});
  Run({"XTRIM", "s", "MAXLEN", "~", "2"});
  Run({"XGROUP", "SETID", "s", "h", "$"});
  auto b = Replay();
  CheckSameDump(*b, "s");
  BOOST_TEST(Run({"XINFO", "STREAM", "s", "FULL"}) == b->Run({"XINFO", "STREAM", "s", "FULL"}));
}

BOOST_AUTO_TEST_SUITE_END()
