// Blocked clients (src/core/blocked_clients.h) through the real dispatcher and command table:
// parking, first-come first-served service of a ready key (the harness plays the network layer:
// it runs a served client's command again), deadlines on the FakeClock, CLIENT UNBLOCK's
// replies and statistics, no blocking inside EXEC or scripts, WRONGTYPE, SWAPDB, and INFO. The
// network side (pipelines, the timer, disconnects, 2,000 idle clients) is in
// tests/integration/test_blocking.py.
#include <boost/test/unit_test.hpp>
#include <map>

#include "harness.h"

using namespace dkv::server;

namespace {

struct BlockingHarness : CommandHarness {
  // What each client sent last: the command a served client runs again.
  std::map<uint64_t, std::vector<std::string>> sent;

  std::string Send(const std::vector<std::string>& argv, int client) {
    sent[session(client).id] = argv;
    return Run(argv, client);
  }
  // The network layer's part after a write: serve the ready keys.
  void Serve() {
    state.blocked.ServeReady(state.keyspace, [this](Session* s) {
      const std::vector<std::string>& argv = sent[s->id];
      std::vector<std::string_view> views(argv.begin(), argv.end());
      s->block_rerun = true;
      dispatcher.Execute(*s, views);
      s->block_rerun = false;
    });
  }
  std::string Out(int client) { return *session(client).out; }
  std::string Info(const std::string& field) {
    std::string info = Run({"INFO", "clients"}, 9);
    size_t at = info.find(field + ":");
    if (at == std::string::npos) return "?";
    at += field.size() + 1;
    return info.substr(at, info.find('\r', at) - at);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(blocking, BlockingHarness)

BOOST_AUTO_TEST_CASE(parked_clients_are_served_first_come_first_served) {
  BOOST_TEST(Send({"BLPOP", "k", "0"}, 1) == "");
  BOOST_TEST(Send({"BLPOP", "other", "k", "0"}, 2) == "");
  BOOST_TEST(session(1).blocked);
  BOOST_TEST(Info("blocked_clients") == "2");
  BOOST_TEST(Info("total_blocking_keys") == "2");
  BOOST_TEST(Info("clients_in_timeout_table") == "0");
  BOOST_TEST(Run({"RPUSH", "k", "a", "b", "c"}) == ":3\r\n");
  BOOST_TEST(state.blocked.has_ready());
  Serve();
  BOOST_TEST(Out(1) == "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  BOOST_TEST(Out(2) == "*2\r\n$1\r\nk\r\n$1\r\nb\r\n");
  BOOST_TEST(!session(1).blocked);
  BOOST_TEST(Run({"LRANGE", "k", "0", "-1"}) == "*1\r\n$1\r\nc\r\n");
  BOOST_TEST(Info("blocked_clients") == "0");
  BOOST_TEST(Info("total_blocking_keys") == "0");
  // Counted once, when served.
  BOOST_TEST(Run({"INFO", "commandstats"}).find("cmdstat_blpop:calls=2,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_key_of_another_type_does_not_serve) {
  Send({"BZPOPMIN", "k", "0"}, 1);
  Send({"BLPOP", "k", "0"}, 2);
  Run({"RPUSH", "k", "x"});
  Serve();
  BOOST_TEST(session(1).blocked);  // a list does not serve a sorted-set waiter
  BOOST_TEST(Out(2) == "*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
  Run({"ZADD", "k", "1.5", "m"});
  Serve();
  BOOST_TEST(Out(1) == "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$3\r\n1.5\r\n");
}

BOOST_AUTO_TEST_CASE(blmove_serves_the_next_waiter_in_the_same_call) {
  Send({"BLMOVE", "a", "b", "RIGHT", "LEFT", "0"}, 1);
  Send({"BRPOP", "b", "0"}, 2);
  Run({"LPUSH", "a", "v"});
  Serve();
  BOOST_TEST(Out(1) == "$1\r\nv\r\n");
  BOOST_TEST(Out(2) == "*2\r\n$1\r\nb\r\n$1\r\nv\r\n");
  BOOST_TEST(Run({"EXISTS", "a", "b"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(swapdb_makes_both_namespaces_ready) {
  Send({"BLPOP", "k", "0"}, 1);
  Run({"SELECT", "1"}, 3);
  Run({"RPUSH", "k", "from1"}, 3);
  Serve();
  BOOST_TEST(session(1).blocked);
  Run({"SWAPDB", "0", "1"});
  Serve();
  BOOST_TEST(Out(1) == "*2\r\n$1\r\nk\r\n$5\r\nfrom1\r\n");
}

BOOST_AUTO_TEST_CASE(deadlines_and_timeouts) {
  const int64_t now = clock.NowMs();
  Send({"BZMPOP", "1.5", "1", "z", "MIN"}, 1);
  Send({"BRPOPLPUSH", "k", "d", "0.0001"}, 2);  // rounded up to 1 ms
  BOOST_TEST(state.blocked.NextDeadline() == now + 1);
  BOOST_TEST(Info("clients_in_timeout_table") == "2");
  std::vector<uint64_t> due = state.blocked.Due(now + 1);
  BOOST_TEST(due.size() == 1u);
  BOOST_TEST(due[0] == session(2).id);
  BOOST_TEST(state.blocked.Finish(due[0], BlockedClients::Ending::kTimeout) == &session(2));
  BOOST_TEST(Out(2) == "*-1\r\n");
  BOOST_TEST(state.blocked.Due(now + 1499).empty());
  BOOST_TEST(state.blocked.Due(now + 1500).size() == 1u);
  Run({"HELLO", "3"}, 1);  // not blocked for the harness: it answers
  BOOST_TEST(state.blocked.Finish(session(1).id, BlockedClients::Ending::kTimeout) != nullptr);
  BOOST_TEST(Out(1).substr(Out(1).size() - 3) == "_\r\n");
  BOOST_TEST(state.blocked.NextDeadline() == 0);
}

BOOST_AUTO_TEST_CASE(timeout_arguments) {
  BOOST_TEST(Run({"BLPOP", "k", "-1"}) == "-ERR timeout is negative\r\n");
  BOOST_TEST(Run({"BLPOP", "k", "-0.0001"}) == "");  // rounds to 0: forever, as Redis
  BOOST_TEST(session(0).blocked);
  state.blocked.Forget(&session(0));
  BOOST_TEST(Run({"BLPOP", "k", "x"}) == "-ERR timeout is not a float or out of range\r\n");
  BOOST_TEST(Run({"BRPOP", "k", "0x7FFFFFFFFFFFFF"}) == "-ERR timeout is out of range\r\n");
  BOOST_TEST(Run({"BZPOPMIN", "k", "inf"}) == "-ERR timeout is out of range\r\n");
  BOOST_TEST(Run({"BLMPOP", "x", "1", "k", "LEFT"}) ==
             "-ERR timeout is not a float or out of range\r\n");
  // BZMPOP checks its other arguments before the timeout, BLMPOP after.
  BOOST_TEST(Run({"BZMPOP", "x", "0", "k", "MIN"}) == "-ERR numkeys should be greater than 0\r\n");
  BOOST_TEST(Run({"BLMPOP", "0", "0", "k", "LEFT"}) == "-ERR numkeys should be greater than 0\r\n");
  BOOST_TEST(Run({"BLMPOP", "0", "2", "k", "LEFT"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"BLMPOP", "0", "1", "k", "UP"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"BZMPOP", "0", "1", "k", "MIN", "COUNT", "0"}) ==
             "-ERR count should be greater than 0\r\n");
  BOOST_TEST(Run({"BZMPOP", "0", "1", "k", "MIN", "COUNT", "1", "COUNT", "1"}) ==
             "-ERR syntax error\r\n");
  BOOST_TEST(Run({"BLMOVE", "a", "b", "LEFT", "UP", "0"}) == "-ERR syntax error\r\n");
  BOOST_TEST(!session(0).blocked);
}

BOOST_AUTO_TEST_CASE(client_unblock_timeout_and_error) {
  Send({"BLPOP", "k", "0"}, 1);
  const std::string id = std::to_string(session(1).id);
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", id}) == ":1\r\n");
  BOOST_TEST(Out(1) == "*-1\r\n");
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", id}) == ":0\r\n");
  Run({"CONFIG", "RESETSTAT"});
  Send({"BLPOP", "k", "0"}, 1);
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", id, "ERROR"}) == ":1\r\n");
  BOOST_TEST(Out(1) == "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  std::string stats = Run({"INFO", "errorstats"}) + Run({"INFO", "commandstats"});
  BOOST_TEST(stats.find("errorstat_UNBLOCKED:count=1") != std::string::npos);
  BOOST_TEST(stats.find("cmdstat_blpop:calls=1,") != std::string::npos);
  BOOST_TEST(stats.find("failed_calls=1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_blocking_inside_exec_or_scripts) {
  Run({"MULTI"});
  Run({"BLPOP", "k", "0"});
  Run({"BLMOVE", "k", "d", "LEFT", "LEFT", "0"});
  Run({"BZMPOP", "0", "1", "z", "MIN"});
  BOOST_TEST(Run({"EXEC"}) == "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
  BOOST_TEST(Run({"EVAL", "return redis.call('bzpopmax', 'z', 0)", "0"}) == "$-1\r\n");
  BOOST_TEST(!session(0).blocked);
  BOOST_TEST(Info("blocked_clients") == "0");
}

BOOST_AUTO_TEST_CASE(wrongtype_at_block_time) {
  Run({"SET", "s", "x"});
  BOOST_TEST(Run({"BLPOP", "nokey", "s", "0"}).substr(0, 10) == "-WRONGTYPE");
  BOOST_TEST(Run({"BZPOPMIN", "s", "0"}).substr(0, 10) == "-WRONGTYPE");
  BOOST_TEST(Run({"RPUSH", "l", "v"}) == ":1\r\n");
  // The first key with a value answers; a later one of another type is not looked at.
  BOOST_TEST(Run({"BLPOP", "l", "s", "0"}) == "*2\r\n$1\r\nl\r\n$1\r\nv\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
