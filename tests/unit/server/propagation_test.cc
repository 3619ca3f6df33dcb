// The Propagator (src/core/propagation.h): what the append-only log records of each command.
// Commands run through the real dispatcher with a sink that collects the RESP bytes; the tests
// check the records themselves (MULTI/EXEC wrapping, SELECT, expired keys as DEL, scripts) and,
// in propagation_replay_test.cc, that replaying them on a second server gives the same data.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "propagation_support.h"

using namespace dkv::server;

namespace {

using Commands = std::vector<std::vector<std::string>>;

struct Logged : CommandHarness {
  Logged() {
    state.propagation.set_sink([this](std::string_view resp) {
      bytes.append(resp);
      sink_calls++;
    });
  }
  Commands Take() {
    Commands out = testing::ParseRespCommands(bytes);
    bytes.clear();
    sink_calls = 0;
    return out;
  }
  std::string bytes;
  int sink_calls = 0;
};

// Commands as text, one per line, for failure messages.
std::string Show(const Commands& commands) {
  std::string out;
  for (const auto& c : commands) {
    for (const auto& a : c) out += a + " ";
    out += "\n";
  }
  return out;
}

}  // namespace

// Compares what was logged with `expected`, printing what was logged when they differ.
#define CHECK_LOGGED(h, ...)                                               \
  do {                                                                     \
    Commands got_ = (h).Take();                                            \
    BOOST_TEST((got_ == Commands __VA_ARGS__), "logged:\n" << Show(got_)); \
  } while (0)

BOOST_AUTO_TEST_SUITE(propagation)

BOOST_AUTO_TEST_CASE(a_write_is_logged_once_with_its_select) {
  Logged h;
  h.Run({"SET", "k", "v"});
  BOOST_TEST(h.sink_calls == 1);
  CHECK_LOGGED(h, {{"SELECT", "0"}, {"SET", "k", "v"}});
  h.Run({"SET", "k", "w"});
  CHECK_LOGGED(h, {{"SET", "k", "w"}});
}

BOOST_AUTO_TEST_CASE(reads_and_noop_writes_are_not_logged) {
  Logged h;
  h.Run({"SET", "k", "v"});
  h.Take();
  h.Run({"GET", "k"});
  h.Run({"SET", "k", "x", "NX"});
  h.Run({"DEL", "missing"});
  h.Run({"SET", "k", "x", "XX", "BOGUS"});
  BOOST_TEST(h.bytes.empty());
  BOOST_TEST(h.sink_calls == 0);
}

BOOST_AUTO_TEST_CASE(exec_with_several_writes_is_one_transaction) {
  Logged h;
  h.Run({"SELECT", "0"});
  h.Run({"MULTI"});
  h.Run({"SET", "a", "1"});
  h.Run({"GET", "a"});
  h.Run({"INCR", "a"});
  h.Run({"EXEC"});
  BOOST_TEST(h.sink_calls == 1);
  CHECK_LOGGED(h, {{"MULTI"}, {"SELECT", "0"}, {"SET", "a", "1"}, {"INCR", "a"}, {"EXEC"}});
  // One write in an EXEC: logged alone.
  h.Run({"MULTI"});
  h.Run({"GET", "a"});
  h.Run({"SET", "a", "3"});
  h.Run({"EXEC"});
  CHECK_LOGGED(h, {{"SET", "a", "3"}});
  // No write: nothing.
  h.Run({"MULTI"});
  h.Run({"GET", "a"});
  h.Run({"EXEC"});
  BOOST_TEST(h.sink_calls == 0);
}

BOOST_AUTO_TEST_CASE(namespaces_are_selected_when_they_change) {
  Logged h;
  h.Run({"SET", "a", "1"});
  h.Run({"SELECT", "3"});
  h.Run({"SET", "b", "2"});
  h.Run({"SET", "c", "3"});
  h.Run({"SELECT", "app"});
  h.Run({"SET", "d", "4"});
  h.Run({"SELECT", "0"});
  h.Run({"SET", "e", "5"});
  CHECK_LOGGED(h, {{"SELECT", "0"},
                   {"SET", "a", "1"},
                   {"SELECT", "3"},
                   {"SET", "b", "2"},
                   {"SET", "c", "3"},
                   {"SELECT", "app"},
                   {"SET", "d", "4"},
                   {"SELECT", "0"},
                   {"SET", "e", "5"}});
  // A new log file starts with the namespace's SELECT.
  h.state.propagation.ForgetSelectedDb();
  h.Run({"SET", "e", "6"});
  CHECK_LOGGED(h, {{"SELECT", "0"}, {"SET", "e", "6"}});
}

BOOST_AUTO_TEST_CASE(an_expired_key_is_logged_as_del_where_it_is_met) {
  Logged h;
  h.Run({"SET", "k", "v"});
  h.Run({"PEXPIREAT", "k", std::to_string(h.clock.NowMs() + 100)});
  h.Take();
  h.AdvanceMs(200);
  // A read meets it: DEL, alone.
  h.Run({"GET", "k"});
  CHECK_LOGGED(h, {{"DEL", "k"}});
  // A write meets it: DEL then the write, as one transaction.
  h.Run({"SET", "k", "v"});
  h.Run({"PEXPIREAT", "k", std::to_string(h.clock.NowMs() + 100)});
  h.Take();
  h.AdvanceMs(200);
  h.Run({"APPEND", "k", "x"});
  CHECK_LOGGED(h, {{"MULTI"}, {"DEL", "k"}, {"APPEND", "k", "x"}, {"EXEC"}});
  // Outside any command (the cron's active expiry): at once, with its namespace.
  h.Run({"SELECT", "2"});
  h.Run({"SET", "t", "v"});
  h.Run({"PEXPIREAT", "t", std::to_string(h.clock.NowMs() + 100)});
  h.Take();
  h.AdvanceMs(200);
  h.state.keyspace.RefreshTime();
  BOOST_TEST(h.state.propagation.depth() == 0u);
  bool more = false;
  h.state.keyspace.db(2).ExpireDue(h.clock.NowMs(), 100, &more);
  BOOST_TEST(h.sink_calls == 1);
  CHECK_LOGGED(h, {{"DEL", "t"}});
  // Evicted, likewise.
  h.Run({"SELECT", "app"});
  h.Run({"SET", "e", "v"});
  h.Take();
  dkv::engine::Database& app = h.state.keyspace.db(h.session(0).db);
  app.Evict(app.Find("e"));
  CHECK_LOGGED(h, {{"DEL", "e"}});
  BOOST_TEST(h.state.propagation.depth() == 0u);
}

BOOST_AUTO_TEST_CASE(a_script_logs_its_writes_in_a_transaction) {
  Logged h;
  h.Run({"EVAL", "redis.call('set','a','1') redis.call('get','a') redis.call('set','b','2')", "0"});
  BOOST_TEST(h.sink_calls == 1);
  // As the script called them (Redis logs a script's commands as it called them too).
  CHECK_LOGGED(h, {{"MULTI"}, {"SELECT", "0"}, {"set", "a", "1"}, {"set", "b", "2"}, {"EXEC"}});
  // Across namespaces: SELECT inside the script.
  h.Run({"EVAL",
         "redis.call('set','a','x') redis.call('select','app') redis.call('set','b','y') "
         "redis.call('select','4') redis.call('set','c','z')",
         "0"});
  CHECK_LOGGED(h, {{"MULTI"},
                   {"set", "a", "x"},
                   {"SELECT", "app"},
                   {"set", "b", "y"},
                   {"SELECT", "4"},
                   {"set", "c", "z"},
                   {"EXEC"}});
  // redis.set_repl without REPL_AOF: the calls after it are not logged, until REPL_ALL.
  h.Run({"SELECT", "0"});
  h.Run({"EVAL",
         "redis.set_repl(redis.REPL_NONE) redis.call('set','a','1') "
         "redis.set_repl(redis.REPL_ALL) redis.call('set','b','2')",
         "0"});
  CHECK_LOGGED(h, {{"SELECT", "0"}, {"set", "b", "2"}});
  h.Run({"EVAL", "redis.set_repl(redis.REPL_REPLICA) redis.call('set','a','2')", "0"});
  BOOST_TEST(h.sink_calls == 0);
  h.Run({"SET", "c", "3"});  // the next command is logged again
  CHECK_LOGGED(h, {{"SET", "c", "3"}});
  BOOST_TEST(h.Run({"EVAL", "redis.set_repl(8)", "0"}).find("Invalid replication flags") !=
             std::string::npos);
  // A read-only script: nothing.
  h.Run({"EVAL", "return redis.call('get','a')", "0"});
  BOOST_TEST(h.sink_calls == 0);
}

BOOST_AUTO_TEST_CASE(replace_states_the_effect) {
  Logged h;
  Propagator& p = h.state.propagation;
  std::vector<std::string_view> argv = {"X", "k"};
  p.Enter();
  p.OnKeyChanged(0, "k", dkv::engine::ChangeKind::kWrite);
  p.Replace(0, {"SET", "k", "1"});
  p.Replace(0, {"PEXPIREAT", "k", "5"});
  p.Leave(0, argv);
  BOOST_TEST(h.sink_calls == 1);
  CHECK_LOGGED(h,
               {{"MULTI"}, {"SELECT", "0"}, {"SET", "k", "1"}, {"PEXPIREAT", "k", "5"}, {"EXEC"}});
  // Suppress: nothing although data changed.
  p.Enter();
  p.OnKeyChanged(0, "k", dkv::engine::ChangeKind::kWrite);
  p.Suppress();
  p.Leave(0, argv);
  BOOST_TEST(h.sink_calls == 0);
  // MarkChanged: a change that is not a key's.
  p.Enter();
  p.MarkChanged();
  p.Leave(0, argv);
  CHECK_LOGGED(h, {{"X", "k"}});
}

BOOST_AUTO_TEST_CASE(the_sink_changing_during_a_run_is_safe) {
  Logged h;
  Propagator& p = h.state.propagation;
  std::vector<std::string_view> argv = {"SET", "k", "v"};
  p.Enter();
  p.OnKeyChanged(0, "k", dkv::engine::ChangeKind::kWrite);
  p.set_sink(nullptr);
  p.Leave(0, argv);  // entered with a sink: leaves without one
  BOOST_TEST(p.depth() == 0u);
  BOOST_TEST(!p.active());
  // Turned on inside a run: the runs entered after it balance, the outer Leave is not called
  // (the dispatcher tests active() once per run).
  std::string got;
  p.set_sink([&](std::string_view r) { got.append(r); });
  p.Enter();
  p.OnKeyChanged(0, "k", dkv::engine::ChangeKind::kWrite);
  p.set_sink([&](std::string_view r) { got.append(r); });
  p.Leave(0, argv);
  BOOST_TEST(p.depth() == 0u);
  BOOST_TEST(got.empty());  // the run in progress when the sink changed is not logged
  h.Run({"SET", "k", "v"});
  BOOST_TEST(testing::ParseRespCommands(got) == (Commands{{"SELECT", "0"}, {"SET", "k", "v"}}));
}

BOOST_AUTO_TEST_CASE(without_a_sink_nothing_is_entered) {
  CommandHarness h;
  BOOST_TEST(!h.state.propagation.active());
  h.Run({"SET", "k", "v"});
  h.Run({"MULTI"});
  h.Run({"SET", "k", "w"});
  h.Run({"EXEC"});
  BOOST_TEST(h.state.propagation.depth() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
