// PgConn's state machine without a PostgreSQL server: failed connects, the reconnect backoff,
// host name lookups through the loop, the connect deadline, and cancelling on destruction. The
// sockets are real (loopback); time and lookups are the fake loop's.
#include "persistence/postgres/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "tests/unit/postgres/fake_loop.h"

using dkv::persistence::postgres::EventLoop;
using dkv::persistence::postgres::LogLevel;
using dkv::persistence::postgres::PgBackendId;
using dkv::persistence::postgres::PgConn;
using dkv::persistence::postgres::testing::FakeEventLoop;
using dkv::persistence::postgres::testing::RecordingHost;

namespace {

struct RecordingListener : PgConn::Listener {
  std::vector<std::pair<std::string, bool>> errors;
  int ready = 0;
  void OnConnError(const std::string& why, bool log) override { errors.emplace_back(why, log); }
  void OnLostInFlight(const PgBackendId&) override {}
  void OnReady() override { ++ready; }
};

// A loopback TCP port: bound and not listening (connections are refused), or listening and
// never answering (the handshake completes in the kernel, then silence).
class LoopbackPort {
 public:
  explicit LoopbackPort(bool listen_silently) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listen_silently) BOOST_REQUIRE(listen(fd_, 16) == 0);
  }
  ~LoopbackPort() { close(fd_); }
  std::string Dsn(const std::string& host = "127.0.0.1") const {
    return "host=" + host + " port=" + std::to_string(port_) +
           " user=dkv dbname=dkv sslmode=disable gssencmode=disable";
  }
  int port() const { return port_; }

 private:
  int fd_;
  int port_;
};

// Drives the loop (real readiness) until `done` or about two seconds.
template <typename F>
bool DriveUntil(FakeEventLoop& loop, F done) {
  for (int i = 0; i < 200 && !done(); ++i) loop.PollOnce(10);
  return done();
}

struct Fixture {
  FakeEventLoop loop;
  RecordingHost host;
  RecordingListener listener;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(connection, Fixture)

BOOST_AUTO_TEST_CASE(a_refused_connect_backs_off_and_logs_once) {
  LoopbackPort port(/*listen_silently=*/false);
  PgConn conn(&loop, &host, &listener, "w1", port.Dsn(), "\"t\"");
  BOOST_TEST(conn.disconnected());
  // (A refusal on loopback may come inside connect() already, or on the socket.)
  conn.Connect();
  BOOST_REQUIRE(DriveUntil(loop, [&] { return conn.disconnected(); }));
  BOOST_REQUIRE(listener.errors.size() == 1u);
  BOOST_TEST(listener.errors[0].first.rfind("connection w1: ", 0) == 0);
  BOOST_TEST(!listener.errors[0].second);  // the connection logged it itself
  BOOST_TEST(host.Count(LogLevel::kWarning, "connection w1 cannot connect") == 1u);
  BOOST_TEST(loop.LiveWatches() == 0u);
  // Reconnects after 100 ms with jitter (50..149 ms), then 200, 400: doubling.
  int64_t lows[] = {50, 100, 200, 400};
  int64_t highs[] = {150, 300, 600, 1200};
  for (int attempt = 0; attempt < 4; ++attempt) {
    int64_t delay = conn.reconnect_at_ms() - loop.NowMs();
    BOOST_TEST(delay >= lows[attempt]);
    BOOST_TEST(delay < highs[attempt]);
    conn.Tick(60000);  // not due yet
    BOOST_TEST(conn.disconnected());
    loop.Advance(delay);
    size_t before = listener.errors.size();
    conn.Tick(60000);
    BOOST_REQUIRE(DriveUntil(loop, [&] { return conn.disconnected(); }));
    BOOST_TEST(listener.errors.size() == before + 1);  // the attempt was made, and failed
  }
  BOOST_TEST(listener.errors.size() == 5u);                            // every attempt counts
  BOOST_TEST(host.Count(LogLevel::kWarning, "cannot connect") == 1u);  // the log has the first
  // The exit's drain: retry within 10 ms whatever the backoff.
  conn.ReconnectWithin(10);
  BOOST_TEST(conn.reconnect_at_ms() <= loop.NowMs() + 10);
}

BOOST_AUTO_TEST_CASE(host_names_are_looked_up_through_the_loop) {
  LoopbackPort port(/*listen_silently=*/false);
  PgConn conn(&loop, &host, &listener, "r", port.Dsn("db.example"), "\"t\"");
  conn.Connect();
  BOOST_REQUIRE(loop.lookups.size() == 1u);
  BOOST_TEST(loop.lookups[0]->host == "db.example");
  BOOST_TEST(loop.LiveWatches() == 0u);  // nothing connects before the lookup ends
  BOOST_REQUIRE(loop.CompleteLookup("db.example", {}, "unknown node or service"));
  BOOST_TEST(conn.disconnected());
  BOOST_REQUIRE(listener.errors.size() == 1u);
  BOOST_TEST(listener.errors[0].first ==
             "connection r: resolving the host of postgres.dsn: db.example: unknown node or "
             "service");
  BOOST_TEST(conn.reconnect_at_ms() > loop.NowMs());
}

BOOST_AUTO_TEST_CASE(resolved_addresses_are_what_libpq_connects_to) {
  LoopbackPort port(/*listen_silently=*/false);
  PgConn conn(&loop, &host, &listener, "w2", port.Dsn("db.example"), "\"t\"");
  conn.Connect();
  BOOST_REQUIRE(loop.CompleteLookup("db.example", {"127.0.0.1"}, ""));
  BOOST_REQUIRE(DriveUntil(loop, [&] { return conn.disconnected(); }));
  BOOST_REQUIRE(listener.errors.size() == 1u);
  // libpq was given the address the loop resolved (the name itself is unknown to DNS).
  BOOST_TEST(listener.errors[0].first.find("\"127.0.0.1\", port " + std::to_string(port.port())) !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_lookup_that_cannot_start_fails_the_attempt) {
  LoopbackPort port(/*listen_silently=*/false);
  loop.resolve_start_error = "out of threads";
  PgConn conn(&loop, &host, &listener, "w1", port.Dsn("db.example"), "\"t\"");
  conn.Connect();
  BOOST_TEST(conn.disconnected());
  BOOST_REQUIRE(listener.errors.size() == 1u);
  BOOST_TEST(listener.errors[0].first.find("db.example: out of threads") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_silent_server_hits_the_connect_deadline) {
  LoopbackPort port(/*listen_silently=*/true);
  PgConn conn(&loop, &host, &listener, "w1", port.Dsn(), "\"t\"");
  conn.Connect();
  // The TCP connect completes; libpq sends its startup packet and waits for an answer.
  for (int i = 0; i < 20; ++i) loop.PollOnce(5);
  BOOST_TEST(!conn.disconnected());
  loop.Advance(30000);
  conn.Tick(60000);
  BOOST_TEST(!conn.disconnected());  // 30 s exactly is still allowed
  loop.Advance(1);
  conn.Tick(60000);
  BOOST_TEST(conn.disconnected());
  BOOST_REQUIRE(listener.errors.size() == 1u);
  BOOST_TEST(listener.errors[0].first == "connection w1: connecting took more than 30 seconds");
  BOOST_TEST(listener.errors[0].second);  // logged by the owner
  BOOST_TEST(loop.LiveWatches() == 0u);
}

BOOST_AUTO_TEST_CASE(destroying_a_connection_cancels_its_lookups) {
  LoopbackPort port(/*listen_silently=*/false);
  {
    PgConn conn(&loop, &host, &listener, "w1", port.Dsn("a.example,b.example"), "\"t\"");
    conn.Connect();
    BOOST_REQUIRE(loop.lookups.size() == 2u);  // every name of the list at once
    BOOST_REQUIRE(loop.CompleteLookup("a.example", {"127.0.0.1"}, ""));
    BOOST_TEST(loop.LiveWatches() == 0u);  // still waiting for b
  }
  BOOST_TEST(!loop.lookups[0]->canceled);  // finished already
  BOOST_TEST(loop.lookups[1]->canceled);
  // Its callback still runs, and finds nobody waiting.
  BOOST_REQUIRE(loop.CompleteLookup("b.example", {}, "operation canceled"));
  BOOST_TEST(listener.errors.empty());
  BOOST_TEST(loop.LiveWatches() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
