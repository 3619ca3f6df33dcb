// Failed logins per source address (src/security/auth_throttle.h): the table's bounded size, decay,
// replacement, source keys, and AUTH and HTTP basic auth through it (new connections from one
// address gain nothing; other addresses are not locked out).
#include "src/security/auth_throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.h"
#include "src/http/http_server.h"

using namespace dkv::server;

namespace {

sockaddr_storage Addr(int family, const char* ip) {
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sin->sin_addr);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &sin6->sin6_addr);
  }
  return ss;
}

Config WithPassword() {
  Config c;
  c.requirepass = "adminpw";
  return c;
}

struct ThrottleFixture : CommandHarness {
  ThrottleFixture() : CommandHarness(WithPassword()) {}
  // A new connection (client number) from `source` tries `password`.
  std::string Auth(int client, const std::string& source, const std::string& password) {
    session(client).auth_source = source;
    return Run({"AUTH", password}, client);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_throttle)

BOOST_AUTO_TEST_CASE(backs_off_after_the_free_failures_and_decays) {
  AuthThrottle t;
  int64_t now = 1000000;
  for (int i = 0; i < AuthThrottle::kFreeFailures - 1; ++i) t.Failure("4:10.0.0.1", now);
  BOOST_TEST(t.BlockedForMs("4:10.0.0.1", now) == 0);
  t.Failure("4:10.0.0.1", now);
  BOOST_TEST(t.BlockedForMs("4:10.0.0.1", now) == AuthThrottle::kFirstBackoffMs);
  BOOST_TEST(t.BlockedForMs("4:10.0.0.2", now) == 0);  // another address is free
  t.Failure("4:10.0.0.1", now);
  BOOST_TEST(t.BlockedForMs("4:10.0.0.1", now) == 2 * AuthThrottle::kFirstBackoffMs);
  for (int i = 0; i < 20; ++i) t.Failure("4:10.0.0.1", now);
  BOOST_TEST(t.BlockedForMs("4:10.0.0.1", now) == AuthThrottle::kMaxBackoffMs);  // capped
  BOOST_TEST(t.Failures("4:10.0.0.1", now) == AuthThrottle::kFreeFailures + 21);
  // One failure forgiven per kDecayMs; all of them after long enough.
  BOOST_TEST(t.Failures("4:10.0.0.1", now + 3 * AuthThrottle::kDecayMs) ==
             AuthThrottle::kFreeFailures + 18);
  BOOST_TEST(t.Tracked(now + 3 * AuthThrottle::kDecayMs) == 1u);
  now += 100 * AuthThrottle::kDecayMs;
  BOOST_TEST(t.Failures("4:10.0.0.1", now) == 0);
  BOOST_TEST(t.BlockedForMs("4:10.0.0.1", now) == 0);
  BOOST_TEST(t.Tracked(now) == 0u);
  // A guesser that waits out each delay keeps the longest one: the decay does not outpace it.
  for (int i = 0; i < 30; ++i) {
    now += t.BlockedForMs("4:10.0.0.9", now);
    t.Failure("4:10.0.0.9", now);
  }
  BOOST_TEST(t.BlockedForMs("4:10.0.0.9", now) == AuthThrottle::kMaxBackoffMs);
}

BOOST_AUTO_TEST_CASE(many_addresses_cannot_grow_the_table) {
  AuthThrottle t;
  const int64_t now = 5000;
  for (int i = 0; i < 100000; ++i) {
    t.Failure("4:10." + std::to_string(i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
                  std::to_string(i % 256),
              now + i / 1000);
  }
  BOOST_TEST(t.Tracked(now + 100) <= AuthThrottle::kCapacity);
  BOOST_TEST(t.Tracked(now + 100) > AuthThrottle::kCapacity / 2);
  BOOST_TEST(sizeof(AuthThrottle) < 200u * 1024);
  // The least recently failed entries were replaced: the newest address is still tracked, a
  // blocked one stays blocked when others come and go in other buckets.
  BOOST_TEST(t.Failures("4:10.1.134.159", now + 100) == 1);  // i = 99999
  AuthThrottle u;
  for (int i = 0; i < AuthThrottle::kFreeFailures; ++i) u.Failure("4:192.0.2.1", now);
  for (int i = 0; i < 50; ++i) u.Failure("4:198.51.100." + std::to_string(i), now);
  BOOST_TEST(u.BlockedForMs("4:192.0.2.1", now) > 0);
}

BOOST_AUTO_TEST_CASE(source_keys) {
  BOOST_TEST(AuthSourceOf(Addr(AF_INET, "127.0.0.1")) == "4:127.0.0.1");
  BOOST_TEST(AuthSourceOf(Addr(AF_INET6, "::ffff:192.0.2.7")) == "4:192.0.2.7");
  // One IPv6 /64 is one source: a host usually owns all of it.
  BOOST_TEST(AuthSourceOf(Addr(AF_INET6, "2001:db8:1:2::5")) == "6:2001:0db8:0001:0002::/64");
  BOOST_TEST(AuthSourceOf(Addr(AF_INET6, "2001:db8:1:2:ffff::9")) ==
             AuthSourceOf(Addr(AF_INET6, "2001:db8:1:2::5")));
  BOOST_TEST(AuthSourceOf(Addr(AF_INET6, "2001:db8:1:3::5")) !=
             AuthSourceOf(Addr(AF_INET6, "2001:db8:1:2::5")));
}

BOOST_FIXTURE_TEST_CASE(auth_on_new_connections_is_slowed_per_address, ThrottleFixture) {
  // Each guess on a fresh connection (a new client number): the per-connection count never
  // reaches its limit, the address's does.
  int client = 10;
  for (int i = 0; i < AuthThrottle::kFreeFailures; ++i) {
    BOOST_TEST(Auth(client++, "4:10.0.0.1", "bad").rfind("-WRONGPASS", 0) == 0u);
  }
  std::string r = Auth(client++, "4:10.0.0.1", "adminpw");  // even the right one, unchecked
  BOOST_TEST(r.rfind("-ERR too many failed AUTH attempts from this address", 0) == 0u, r);
  BOOST_TEST(Auth(client++, "4:10.0.0.2", "adminpw") == "+OK\r\n");  // another address is not
  BOOST_TEST(Auth(client++, "unix", "adminpw") == "+OK\r\n");
  AdvanceMs(AuthThrottle::kFirstBackoffMs);
  BOOST_TEST(Auth(client++, "4:10.0.0.1", "adminpw") == "+OK\r\n");
  // A success does not reset the address's count: the next failure waits longer.
  BOOST_TEST(Auth(client++, "4:10.0.0.1", "bad").rfind("-WRONGPASS", 0) == 0u);
  BOOST_TEST(state.auth_throttle.BlockedForMs("4:10.0.0.1", clock.NowMs()) ==
             2 * AuthThrottle::kFirstBackoffMs);
}

BOOST_FIXTURE_TEST_CASE(http_basic_auth_is_limited_per_address, ThrottleFixture) {
  HttpServer http{&state, uv_default_loop()};
  const std::string wrong = "Basic ZGVmYXVsdDp3cm9uZw==";  // default:wrong
  const std::string right = "Basic ZGVmYXVsdDphZG1pbnB3";  // default:adminpw
  for (int i = 0; i < AuthThrottle::kFreeFailures; ++i) {
    BOOST_TEST(http.Handle("GET", "/metrics", wrong, "127.0.0.1", "4:10.0.0.1").status == 401);
  }
  HttpResponse r = http.Handle("GET", "/metrics", right, "127.0.0.1", "4:10.0.0.1");
  BOOST_TEST(r.status == 429);
  BOOST_TEST(r.extra_headers == "Retry-After: 1\r\n");
  BOOST_TEST(http.Handle("GET", "/metrics", right, "127.0.0.1", "4:10.0.0.2").status == 200);
  // RESP and HTTP share the count: the address is refused over AUTH too.
  BOOST_TEST(Auth(3, "4:10.0.0.1", "adminpw").rfind("-ERR too many failed AUTH", 0) == 0u);
  AdvanceMs(AuthThrottle::kFirstBackoffMs);
  BOOST_TEST(http.Handle("GET", "/metrics", right, "127.0.0.1", "4:10.0.0.1").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
