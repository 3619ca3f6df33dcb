#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "server_fixture.h"

using dkv::test::ServerProcess;

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

Reply Command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
}

std::string ReadAll(int fd, size_t at_least) {
  std::string got;
  char buf[4096];
  while (got.size() < at_least) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

struct Fixture {
  ServerProcess server;
  Context ctx{server.Connect()};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hiredis_integration, Fixture)

BOOST_AUTO_TEST_CASE(set_get_binary_safe_values) {
  std::string key("k\0\r\n", 4);
  std::string value(100000, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 7);
  Reply r = Command(ctx.get(), {"SET", key, value});
  BOOST_REQUIRE(r);
  BOOST_TEST(std::string(r->str) == "OK");
  r = Command(ctx.get(), {"GET", key});
  BOOST_REQUIRE_EQUAL(r->type, REDIS_REPLY_STRING);
  BOOST_TEST(std::string(r->str, r->len) == value);
}

BOOST_AUTO_TEST_CASE(pipeline_of_ten_thousand_in_order) {
  for (int i = 0; i < 10000; ++i) {
    redisAppendCommand(ctx.get(), "INCR counter");
  }
  for (int i = 1; i <= 10000; ++i) {
    redisReply* raw = nullptr;
    BOOST_REQUIRE(redisGetReply(ctx.get(), reinterpret_cast<void**>(&raw)) == REDIS_OK);
    Reply r(raw);
    BOOST_REQUIRE_EQUAL(r->integer, i);
  }
}

BOOST_AUTO_TEST_CASE(request_split_across_reads) {
  int fd = server.RawSocket();
  std::string part1 = "*3\r\n$3\r\nSET\r\n$3\r\nabc\r\n$10\r\n01234";
  std::string part2 = "56789\r\n*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n";
  BOOST_REQUIRE(send(fd, part1.data(), part1.size(), 0) == static_cast<ssize_t>(part1.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_REQUIRE(send(fd, part2.data(), part2.size(), 0) == static_cast<ssize_t>(part2.size()));
  std::string expect = "+OK\r\n$10\r\n0123456789\r\n";
  BOOST_TEST(ReadAll(fd, expect.size()) == expect);
  close(fd);
}

BOOST_AUTO_TEST_CASE(protocol_error_replies_and_closes_and_server_survives) {
  int fd = server.RawSocket();
  std::string bad = "*1\r\n$-7\r\n";
  send(fd, bad.data(), bad.size(), 0);
  std::string got = ReadAll(fd, 1000);  // returns at EOF
  BOOST_TEST(got == "-ERR Protocol error: invalid bulk length\r\n");
  close(fd);
  Reply r = Command(ctx.get(), {"PING"});
  BOOST_REQUIRE(r);
  BOOST_TEST(std::string(r->str) == "PONG");
}

BOOST_AUTO_TEST_CASE(huge_announced_bulk_then_disconnect) {
  int fd = server.RawSocket();
  std::string head = "*2\r\n$3\r\nGET\r\n$400000000\r\npartial";
  send(fd, head.data(), head.size(), 0);
  close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_TEST(server.Alive());
  Reply r = Command(ctx.get(), {"PING"});
  BOOST_REQUIRE(r);
  BOOST_TEST(std::string(r->str) == "PONG");
}

BOOST_AUTO_TEST_CASE(inline_commands_work) {
  int fd = server.RawSocket();
  std::string req = "SET greeting \"hello world\"\r\nGET greeting\r\n";
  send(fd, req.data(), req.size(), 0);
  std::string expect = "+OK\r\n$11\r\nhello world\r\n";
  BOOST_TEST(ReadAll(fd, expect.size()) == expect);
  close(fd);
}

BOOST_AUTO_TEST_CASE(slow_reader_gets_every_reply) {
  // 20 MB of replies to a client that reads only after sending everything.
  Command(ctx.get(), {"SET", "big", std::string(100000, 'x')});
  int fd = server.RawSocket();
  std::string req;
  for (int i = 0; i < 200; ++i) req += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
  send(fd, req.data(), req.size(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  size_t one = std::string("$100000\r\n").size() + 100000 + 2;
  std::string got = ReadAll(fd, one * 200);
  BOOST_TEST(got.size() == one * 200);
  close(fd);
}

BOOST_AUTO_TEST_CASE(monitor_sees_other_clients) {
  Context mon(server.Connect());
  Reply r = Command(mon.get(), {"MONITOR"});
  BOOST_TEST(std::string(r->str) == "OK");
  Command(ctx.get(), {"SET", "watched", "1"});
  redisReply* raw = nullptr;
  BOOST_REQUIRE(redisGetReply(mon.get(), reinterpret_cast<void**>(&raw)) == REDIS_OK);
  Reply line(raw);
  std::string text(line->str, line->len);
  BOOST_TEST(text.find("\"SET\" \"watched\" \"1\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(client_kill_and_list) {
  Context other(server.Connect());
  Reply id = Command(other.get(), {"CLIENT", "ID"});
  Reply list = Command(ctx.get(), {"CLIENT", "LIST"});
  BOOST_TEST(std::string(list->str).find("id=" + std::to_string(id->integer) + " ") !=
             std::string::npos);
  Reply killed = Command(ctx.get(), {"CLIENT", "KILL", "ID", std::to_string(id->integer)});
  BOOST_TEST(killed->integer == 1);
  Reply after = Command(other.get(), {"PING"});
  BOOST_TEST(!after);
}

BOOST_AUTO_TEST_CASE(shutdown_command_stops_server) {
  Reply r = Command(ctx.get(), {"SHUTDOWN", "NOSAVE"});
  for (int i = 0; i < 100 && server.Alive(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST(!server.Alive());
}

BOOST_AUTO_TEST_CASE(active_expiry_removes_keys_nobody_reads) {
  for (int i = 0; i < 500; ++i) {
    Command(ctx.get(), {"SET", "tmp" + std::to_string(i), "v", "PX", "50"});
  }
  Command(ctx.get(), {"SET", "keep", "v"});
  Reply size;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    size = Command(ctx.get(), {"DBSIZE"});
    if (size->integer == 1) break;
  }
  BOOST_TEST(size->integer == 1);
}

BOOST_AUTO_TEST_CASE(kv_del_of_a_big_subtree_is_atomic_and_the_server_keeps_serving) {
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    std::string key = "bulk.node" + std::to_string(i % 100) + ".leaf" + std::to_string(i);
    redisAppendCommand(ctx.get(), "SET %s v", key.c_str());
  }
  for (int i = 0; i < n; ++i) {
    redisReply* raw = nullptr;
    BOOST_REQUIRE(redisGetReply(ctx.get(), reinterpret_cast<void**>(&raw)) == REDIS_OK);
    freeReplyObject(raw);
  }
  Command(ctx.get(), {"SET", "other.key", "stays"});
  Context observer(server.Connect());
  BOOST_TEST(Command(observer.get(), {"KV.COUNT", "bulk.**"})->integer == n);
  Reply deleted = Command(ctx.get(), {"KV.DEL", "bulk.**"});
  BOOST_TEST(deleted->integer == n);
  // The other client sees none of the subtree the moment the reply is out.
  BOOST_TEST(Command(observer.get(), {"KV.COUNT", "bulk.**"})->integer == 0);
  BOOST_TEST(Command(observer.get(), {"GET", "bulk.node7.leaf7"})->type == REDIS_REPLY_NIL);
  BOOST_TEST(Command(observer.get(), {"DBSIZE"})->integer == 1);
  // Meanwhile the reaper frees it in slices; the server answers throughout.
  for (int i = 0; i < 50; ++i) {
    Reply pong = Command(observer.get(), {"PING"});
    BOOST_REQUIRE(pong);
  }
  BOOST_TEST(std::string(Command(observer.get(), {"GET", "other.key"})->str) == "stays");
}

BOOST_AUTO_TEST_CASE(scan_over_a_growing_keyspace_returns_every_original_key) {
  for (int i = 0; i < 2000; ++i) Command(ctx.get(), {"SET", "orig:" + std::to_string(i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int extra = 0, calls = 0;
  do {
    Reply r = Command(ctx.get(), {"SCAN", cursor, "COUNT", "50"});
    cursor = std::string(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      seen.insert(std::string(r->element[1]->element[i]->str, r->element[1]->element[i]->len));
    }
    for (int j = 0; j < 100; ++j)
      Command(ctx.get(), {"SET", "new:" + std::to_string(extra++), "v"});
    ++calls;
  } while (cursor != "0" && calls < 10000);
  for (int i = 0; i < 2000; ++i) BOOST_REQUIRE(seen.count("orig:" + std::to_string(i)) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
