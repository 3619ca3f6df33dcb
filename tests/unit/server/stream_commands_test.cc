// Stream commands without groups (src/commands/stream_commands.cc) through the real dispatcher:
// XADD's automatic IDs on the FakeClock (same millisecond, clock going back), its errors, and
// XREAD BLOCK through BlockedClients (the harness plays the network layer): "$" resolved when the
// client blocked and kept for the re-run, an entry deleted before the client is served parks it
// again, a deleted key or another type keeps it waiting, deadlines, no blocking in EXEC.
#include <boost/test/unit_test.hpp>
#include <map>

#include "harness.h"

using namespace dkv::server;

namespace {

struct StreamHarness : CommandHarness {
  std::map<uint64_t, std::vector<std::string>> sent;

  std::string Send(const std::vector<std::string>& argv, int client) {
    sent[session(client).id] = argv;
    return Run(argv, client);
  }
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
};

std::string Entry(const std::string& id, const std::string& f, const std::string& v) {
  return "*2\r\n$" + std::to_string(id.size()) + "\r\n" + id + "\r\n*2\r\n$" +
         std::to_string(f.size()) + "\r\n" + f + "\r\n$" + std::to_string(v.size()) + "\r\n" + v +
         "\r\n";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stream_commands, StreamHarness)

BOOST_AUTO_TEST_CASE(xadd_generates_ids_from_the_clock) {
  const std::string ms = std::to_string(clock.NowMs());
  BOOST_TEST(Run({"XADD", "s", "*", "f", "v"}) == "$15\r\n" + ms + "-0\r\n");
  BOOST_TEST(Run({"XADD", "s", "*", "f", "v"}) == "$15\r\n" + ms + "-1\r\n");
  clock.AdvanceMs(-5000);  // the clock going back: the sequence goes on
  BOOST_TEST(Run({"XADD", "s", "*", "f", "v"}) == "$15\r\n" + ms + "-2\r\n");
  clock.AdvanceMs(6000);
  const std::string later = std::to_string(clock.NowMs());
  BOOST_TEST(Run({"XADD", "s", "*", "f", "v"}) == "$15\r\n" + later + "-0\r\n");
  BOOST_TEST(Run({"XADD", "s", later + "-*", "f", "v"}) == "$15\r\n" + later + "-1\r\n");
  BOOST_TEST(Run({"XLEN", "s"}) == ":5\r\n");
  BOOST_TEST(Run({"XADD", "m", "18446744073709551615-18446744073709551615", "f", "v"}) ==
             "$41\r\n18446744073709551615-18446744073709551615\r\n");
  BOOST_TEST(Run({"XADD", "m", "*", "f", "v"}) ==
             "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n");
  BOOST_TEST(Run({"XADD", "n", "5-18446744073709551615", "f", "v"}) ==
             "$22\r\n5-18446744073709551615\r\n");
  BOOST_TEST(Run({"XADD", "n", "5-*", "f", "v"}) ==
             "-ERR The ID specified in XADD is equal or smaller than the target stream top "
             "item\r\n");
  BOOST_TEST(Run({"OBJECT", "ENCODING", "n"}) == "$6\r\nstream\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "stream-node-max-entries", "-1"}).rfind("-ERR", 0) == 0);
  BOOST_TEST(Run({"CONFIG", "SET", "stream-node-max-bytes", "1kb"}) == "+OK\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "stream-node-max-bytes"}) ==
             "*2\r\n$21\r\nstream-node-max-bytes\r\n$4\r\n1024\r\n");
  BOOST_TEST(dkv::engine::GlobalStreamLimits().node_max_bytes == 1024u);
  BOOST_TEST(Run({"CONFIG", "SET", "stream-node-max-bytes", "4096"}) == "+OK\r\n");
}

BOOST_AUTO_TEST_CASE(xread_block_keeps_the_dollar_it_resolved) {
  Run({"XADD", "s", "5-0", "old", "x"});
  BOOST_TEST(Send({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}, 1) == "");
  BOOST_TEST(session(1).blocked);
  // An entry added and deleted before the client is served: it parks again.
  Run({"MULTI"});
  Run({"XADD", "s", "6-0", "a", "1"});
  Run({"XDEL", "s", "6-0"});
  Run({"EXEC"});
  Serve();
  BOOST_TEST(session(1).blocked);
  BOOST_TEST(Out(1) == "");
  // Deleted, then another type: still waiting.
  Run({"DEL", "s"});
  Run({"SET", "s", "x"});
  Serve();
  BOOST_TEST(session(1).blocked);
  Run({"DEL", "s"});
  // A new stream at the key: what follows 5-0 (the "$" of the first run) serves it.
  Run({"XADD", "s", "5-1", "new", "y"});
  Serve();
  BOOST_TEST(!session(1).blocked);
  BOOST_TEST(Out(1) == "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n" + Entry("5-1", "new", "y"));
}

BOOST_AUTO_TEST_CASE(xread_block_timeouts_and_exec) {
  const int64_t now = clock.NowMs();
  BOOST_TEST(Send({"XREAD", "BLOCK", "1500", "STREAMS", "a", "b", "0", "$"}, 1) == "");
  BOOST_TEST(state.blocked.NextDeadline() == now + 1500);
  BOOST_TEST(state.blocked.Finish(session(1).id, BlockedClients::Ending::kTimeout) != nullptr);
  BOOST_TEST(Out(1) == "*-1\r\n");
  Run({"MULTI"}, 2);
  Run({"XREAD", "BLOCK", "0", "STREAMS", "a", "$"}, 2);
  BOOST_TEST(Run({"EXEC"}, 2) == "*1\r\n*-1\r\n");
  BOOST_TEST(Run({"EVAL", "return redis.pcall('XREAD','BLOCK','0','STREAMS','a','0')", "0"}) ==
             "-ERR XREAD command is not allowed with BLOCK option from scripts\r\n");
  // Served in argument order, RESP3 as a map.
  Run({"HELLO", "3"}, 3);
  BOOST_TEST(Send({"XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"}, 3) == "");
  Run({"MULTI"});
  Run({"XADD", "b", "1-0", "f", "v"});
  Run({"XADD", "b", "2-0", "f", "v"});
  Run({"XADD", "a", "1-0", "f", "v"});
  Run({"EXEC"});
  Serve();
  BOOST_TEST(Out(3).find("%2\r\n$1\r\na\r\n*1\r\n" + Entry("1-0", "f", "v") + "$1\r\nb\r\n*1\r\n" +
                         Entry("1-0", "f", "v")) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
