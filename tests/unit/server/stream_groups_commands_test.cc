// Consumer-group commands (src/commands/stream_group_commands.cc, stream_info_commands.cc)
// through the real dispatcher, on streams seeded through the engine: XREADGROUP's replies (new
// entries, history with a deleted entry, RESP3), XPENDING with idle times on the FakeClock,
// XACK, XCLAIM and XAUTOCLAIM, XINFO GROUPS' lag, the XGROUP errors, and a blocked XREADGROUP
// answering NOGROUP when its group is destroyed. The byte-level comparison with Redis is the
// differential corpus (tests/differential/cases/94_stream_groups.txt).
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "engine/stream.h"
#include "harness.h"

using namespace dkv::server;

namespace {

struct GroupsHarness : CommandHarness {
  // A stream "s" with entries 1-0 .. n-0, each {"f", "<i>"}.
  void Seed(int n) {
    dkv::engine::Entry* e = dkv::engine::CreateStream(state.keyspace.db(0), "s");
    dkv::engine::Stream* s = dkv::engine::StreamOf(e);
    for (int i = 1; i <= n; ++i) {
      std::string v = std::to_string(i);
      std::vector<std::string_view> items = {"f", v};
      s->Append({static_cast<uint64_t>(i), 0}, items, dkv::engine::StreamLimits{});
    }
  }
  std::string Entry(int i) {
    std::string id = std::to_string(i) + "-0";
    std::string v = std::to_string(i);
    return "*2\r\n$" + std::to_string(id.size()) + "\r\n" + id + "\r\n*2\r\n$1\r\nf\r\n$" +
           std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stream_group_commands, GroupsHarness)

BOOST_AUTO_TEST_CASE(read_ack_pending_claim) {
  Seed(3);
  BOOST_TEST(Run({"XGROUP", "CREATE", "s", "g", "0"}) == "+OK\r\n");
  BOOST_TEST(Run({"XGROUP", "CREATE", "s", "g", "0"}) ==
             "-BUSYGROUP Consumer Group name already exists\r\n");
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"}) ==
             "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n" + Entry(1) + Entry(2));
  AdvanceMs(500);
  BOOST_TEST(Run({"XPENDING", "s", "g"}) ==
             "*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*1\r\n*2\r\n$5\r\nalice\r\n$1\r\n2\r\n");
  BOOST_TEST(Run({"XPENDING", "s", "g", "-", "+", "1"}) ==
             "*1\r\n*4\r\n$3\r\n1-0\r\n$5\r\nalice\r\n:500\r\n:1\r\n");
  BOOST_TEST(Run({"XPENDING", "s", "g", "IDLE", "600", "-", "+", "10"}) == "*0\r\n");
  // History: re-delivered, count 2.
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "1-0"}) ==
             "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n" + Entry(2));
  BOOST_TEST(Run({"XACK", "s", "g", "1-0", "9-0"}) == ":1\r\n");
  BOOST_TEST(Run({"XACK", "s", "g", "1-0", "bad"}) ==
             "-ERR Invalid stream ID specified as stream command argument\r\n");
  // Claimed by bob once idle 100 ms (2-0 was re-delivered at 500).
  BOOST_TEST(Run({"XCLAIM", "s", "g", "bob", "100", "2-0", "JUSTID"}) == "*0\r\n");
  AdvanceMs(100);
  BOOST_TEST(Run({"XCLAIM", "s", "g", "bob", "100", "2-0", "JUSTID"}) == "*1\r\n$3\r\n2-0\r\n");
  BOOST_TEST(Run({"XCLAIM", "s", "g", "bob", "0", "2-0", "BOGUS"}) ==
             "-ERR Unrecognized XCLAIM option 'BOGUS'\r\n");
  BOOST_TEST(Run({"XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "0"}) ==
             "-ERR COUNT must be > 0\r\n");
  BOOST_TEST(Run({"XAUTOCLAIM", "s", "g", "carol", "0", "0"}) ==
             "*3\r\n$3\r\n0-0\r\n*1\r\n" + Entry(2) + "*0\r\n");
  BOOST_TEST(Run({"XINFO", "GROUPS", "s"}) ==
             "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:"
             "1\r\n$17\r\nlast-delivered-id\r\n$3\r\n2-0\r\n$12\r\nentries-read\r\n:2\r\n$3\r\nla"
             "g\r\n:1\r\n");
  BOOST_TEST(Run({"XGROUP", "DELCONSUMER", "s", "g", "carol"}) == ":1\r\n");
  BOOST_TEST(Run({"XPENDING", "s", "g"}) == "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n");
}

BOOST_AUTO_TEST_CASE(resp3_and_errors) {
  Seed(2);
  BOOST_TEST(Run({"XGROUP", "CREATE", "s", "g", "$"}) == "+OK\r\n");
  BOOST_TEST(Run({"XGROUP", "SETID", "s", "g", "0"}) == "+OK\r\n");
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"}) ==
             "%1\r\n$1\r\ns\r\n*1\r\n" + Entry(1));
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s", ">"}) ==
             "-ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' "
             "must be specified.\r\n");
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"}) ==
             "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP "
             "option\r\n");
  BOOST_TEST(Run({"XGROUP", "CREATECONSUMER", "s", "nog", "c"}) ==
             "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
  BOOST_TEST(Run({"XGROUP", "CREATE", "nokey", "g", "0"}).rfind("-ERR The XGROUP subcommand", 0) ==
             0u);
  BOOST_TEST(Run({"XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-3"}) ==
             "-ERR value for ENTRIESREAD must be positive or -1\r\n");
  BOOST_TEST(Run({"XINFO", "STREAM", "nokey"}) == "-ERR no such key\r\n");
}

BOOST_AUTO_TEST_CASE(blocked_reader_gets_nogroup) {
  Seed(1);
  Run({"XGROUP", "CREATE", "s", "g", "$"});
  // No BLOCK: a null at once; with BLOCK the client parks.
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}) == "*-1\r\n");
  BOOST_TEST(Run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, 1) == "");
  BOOST_TEST(session(1).blocked);
  // Inside MULTI it answers a null instead of blocking.
  Run({"MULTI"}, 2);
  Run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, 2);
  BOOST_TEST(Run({"EXEC"}, 2) == "*1\r\n*-1\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
