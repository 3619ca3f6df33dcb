// Transactions' no_multi and not-queued rows, CLIENT REPLY / PAUSE / UNBLOCK / GETREDIR / LIST,
// through the real dispatcher (issue 19). The network side of CLIENT PAUSE (resuming held
// clients) is in tests/integration/test_transactions_clients.py.
#include <boost/test/unit_test.hpp>

#include "harness.h"

using namespace dkv::server;

BOOST_FIXTURE_TEST_SUITE(client_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(no_multi_commands_are_refused_and_abort_exec) {
  BOOST_TEST(Run({"SET", "k", "1"}) == "+OK\r\n");
  for (const char* cmd : {"SHUTDOWN", "SAVE"}) {
    BOOST_TEST(Run({"MULTI"}) == "+OK\r\n");
    BOOST_TEST(Run({cmd}) == "-ERR Command not allowed inside a transaction\r\n");
    BOOST_TEST(Run({"SET", "k", "2"}) == "+QUEUED\r\n");
    BOOST_TEST(Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  }
  BOOST_TEST(!shutdown_requested);
  BOOST_TEST(Run({"GET", "k"}) == "$1\r\n1\r\n");
}

BOOST_AUTO_TEST_CASE(transaction_commands_run_at_once_inside_multi) {
  BOOST_TEST(Run({"MULTI"}) == "+OK\r\n");
  BOOST_TEST(Run({"MULTI"}) == "-ERR MULTI calls can not be nested\r\n");
  BOOST_TEST(Run({"WATCH", "k"}) == "-ERR WATCH inside MULTI is not allowed\r\n");
  BOOST_TEST(Run({"UNWATCH"}) == "+QUEUED\r\n");
  BOOST_TEST(Run({"EXEC"}) == "*1\r\n+OK\r\n");
  // A script refuses them.
  BOOST_TEST(Run({"EVAL", "return redis.pcall('shutdown')", "0"}) ==
             "-ERR This Redis command is not allowed from script\r\n");
}

BOOST_AUTO_TEST_CASE(command_info_shows_redis_flags) {
  std::string quit = Run({"COMMAND", "INFO", "quit"});
  BOOST_TEST(quit.find("no_multi") == std::string::npos);
  BOOST_TEST(quit.find("allow_busy") != std::string::npos);
  std::string save = Run({"COMMAND", "INFO", "save"});
  BOOST_TEST(save.find("+no_async_loading\r\n+no_multi\r\n") != std::string::npos);
  BOOST_TEST(Run({"COMMAND", "INFO", "eval"}).find("may_replicate") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(client_reply_off_skip_on) {
  BOOST_TEST(Run({"CLIENT", "REPLY", "OFF"}) == "");
  BOOST_TEST(Run({"SET", "a", "1"}) == "");
  BOOST_TEST(Run({"CLIENT", "REPLY", "SKIP"}) == "");  // ignored while OFF
  BOOST_TEST(Run({"CLIENT", "REPLY", "ON"}) == "+OK\r\n");
  BOOST_TEST(Run({"CLIENT", "REPLY", "SKIP"}) == "");
  BOOST_TEST(Run({"GET", "a"}) == "");
  BOOST_TEST(Run({"GET", "a"}) == "$1\r\n1\r\n");
  BOOST_TEST(Run({"CLIENT", "REPLY", "SKIP"}) == "");
  BOOST_TEST(Run({"CLIENT", "REPLY", "ON"}) == "+OK\r\n");  // ON clears SKIP before replying
  BOOST_TEST(Run({"CLIENT", "REPLY", "maybe"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"CLIENT", "REPLY", "OFF"}) == "");
  BOOST_TEST(Run({"RESET"}) == "+RESET\r\n");  // RESET turns replies back on
}

BOOST_AUTO_TEST_CASE(client_pause_arguments_and_holding) {
  BOOST_TEST(Run({"CLIENT", "PAUSE", "abc"}) ==
             "-ERR timeout is not an integer or out of range\r\n");
  BOOST_TEST(Run({"CLIENT", "PAUSE", "-1"}) == "-ERR timeout is negative\r\n");
  BOOST_TEST(Run({"CLIENT", "PAUSE", "10", "NONE"}) ==
             "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
  BOOST_TEST(Run({"CLIENT", "PAUSE", "10", "WRITE", "x"}) ==
             "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT "
             "HELP.\r\n");
  BOOST_TEST(Run({"SET", "k", "v"}) == "+OK\r\n");
  BOOST_TEST(Run({"CLIENT", "PAUSE", "1000", "WRITE"}) == "+OK\r\n");
  // Reads and arity errors are answered; a write is held, unanswered.
  BOOST_TEST(Run({"GET", "k"}, 1) == "$1\r\nv\r\n");
  BOOST_TEST(Run({"SET", "k"}, 1) == "-ERR wrong number of arguments for 'set' command\r\n");
  BOOST_TEST(Run({"SET", "k", "w"}, 1) == "");
  BOOST_TEST(session(1).postponed);
  session(1).postponed = false;
  BOOST_TEST(Run({"EVAL", "return 1", "0"}, 2) == "");
  BOOST_TEST(session(2).postponed);
  session(2).postponed = false;
  BOOST_TEST(Run({"EVAL_RO", "return 1", "0"}, 2) == ":1\r\n");
  BOOST_TEST(Run({"CLIENT", "UNPAUSE"}) == "+OK\r\n");
  BOOST_TEST(Run({"SET", "k", "w"}, 1) == "+OK\r\n");
  // ALL holds everything; its end passes with the clock.
  BOOST_TEST(Run({"CLIENT", "PAUSE", "500"}) == "+OK\r\n");
  BOOST_TEST(Run({"PING"}, 1) == "");
  session(1).postponed = false;
  AdvanceMs(500);
  BOOST_TEST(Run({"PING"}, 1) == "+PONG\r\n");
}

BOOST_AUTO_TEST_CASE(client_unblock_getredir) {
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", "999"}) == ":0\r\n");
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", "999", "ERROR"}) == ":0\r\n");
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", "abc"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"CLIENT", "UNBLOCK", "1", "maybe"}) ==
             "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
  BOOST_TEST(Run({"CLIENT", "GETREDIR"}) == ":-1\r\n");
}

BOOST_AUTO_TEST_CASE(client_list_shows_current_command_and_queue) {
  std::string line = Run({"CLIENT", "INFO"});
  BOOST_TEST(line.find(" cmd=client|info ") != std::string::npos);
  BOOST_TEST(line.find(" multi=-1 ") != std::string::npos);
  BOOST_TEST(line.find(" argv-mem=10 ") != std::string::npos);
  BOOST_TEST(line.find(" user=default ") != std::string::npos);
  Run({"MULTI"}, 1);
  Run({"SET", "k", "v"}, 1);
  std::string list = Run({"CLIENT", "LIST", "ID", std::to_string(session(1).id)});
  BOOST_TEST(list.find(" flags=x ") != std::string::npos);
  BOOST_TEST(list.find(" multi=1 ") != std::string::npos);
  BOOST_TEST(list.find(" multi-mem=29 ") != std::string::npos);  // 5 bytes + 3 pointers
  BOOST_TEST(list.find(" cmd=set ") != std::string::npos);
  BOOST_TEST(Run({"CLIENT", "LIST", "TYPE", "master"}) == "$0\r\n\r\n");
  BOOST_TEST(Run({"CLIENT", "LIST", "TYPE", "x"}) == "-ERR Unknown client type 'x'\r\n");
  BOOST_TEST(Run({"CLIENT", "LIST", "ID", "x"}) == "-ERR Invalid client ID\r\n");
  Run({"NOSUCH"}, 1);
  BOOST_TEST(Run({"CLIENT", "LIST", "ID", std::to_string(session(1).id)}).find(" cmd=NULL ") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
