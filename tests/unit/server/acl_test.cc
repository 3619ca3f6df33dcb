// Users, rules and protected mode without sockets: password hashes, rule evaluation, the
// dispatcher's NOPERM checks, namespace binding, AUTH backoff and the loopback decision.
#include "src/security/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/test/unit_test.hpp>
#include <cstring>

#include "harness.h"
#include "src/security/sha1.h"

using namespace dkv::server;

namespace {

Config WithUsers() {
  Config c;
  c.requirepass = "adminpw";
  UserConfig alice;
  alice.name = "alice";
  alice.password = Acl::HashPassword("alicepw");
  alice.namespaces = {"tenant-a"};
  alice.commands = "+@all -@dangerous";
  UserConfig reader;
  reader.name = "reader";
  reader.nopass = true;
  reader.read_only = true;
  reader.commands = "+@read -kv.keys +ping";
  c.users = {alice, reader};
  return c;
}

struct AclFixture : CommandHarness {
  AclFixture() : CommandHarness(WithUsers()) {}
  std::string As(int client, const std::vector<std::string>& argv) { return Run(argv, client); }
};

sockaddr_storage V4(const char* ip) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &sin->sin_addr);
  return ss;
}

sockaddr_storage V6(const char* ip) {
  sockaddr_storage ss{};
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &sin6->sin6_addr);
  return ss;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(acl)

BOOST_AUTO_TEST_CASE(sha256_vectors) {
  BOOST_TEST(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(Sha256Hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(Sha256Hex(std::string(1000000, 'a')) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(hashes_are_salted_and_verify) {
  std::string h1 = Acl::HashPassword("pw"), h2 = Acl::HashPassword("pw");
  BOOST_TEST(h1 != h2);  // a fresh salt each time
  BOOST_TEST(h1.rfind("sha256:", 0) == 0u);
  BOOST_TEST(Acl::VerifyHash(h1, "pw"));
  BOOST_TEST(Acl::VerifyHash(h2, "pw"));
  BOOST_TEST(!Acl::VerifyHash(h1, "pw2"));
  BOOST_TEST(!Acl::VerifyHash(h1, ""));
  BOOST_TEST(!Acl::VerifyHash("plain", "plain"));
}

BOOST_AUTO_TEST_CASE(bad_configurations_are_refused) {
  auto load = [](UserConfig u) {
    Config c;
    c.users = {u};
    Acl acl;
    return acl.Load(c);
  };
  UserConfig u;
  u.name = "x";
  u.password = "plaintext";
  BOOST_TEST(load(u).find("must be a hash") != std::string::npos);
  u.password = Acl::HashPassword("p");
  u.commands = "+@nosuch";
  BOOST_TEST(load(u).find("Unknown command or category name in ACL") != std::string::npos);
  u.commands = "+nosuchcommand";
  BOOST_TEST(load(u).find("Unknown command or category name in ACL") != std::string::npos);
  u.commands = "get";
  BOOST_TEST(load(u).find("Syntax error") != std::string::npos);
  u.commands = "+@all";
  u.namespaces = {"bad name!"};
  BOOST_TEST(load(u).find("is not a namespace") != std::string::npos);
  u.namespaces = {"99"};
  BOOST_TEST(load(u).find("is not a namespace") != std::string::npos);
  u.namespaces = {};
  u.name = "white space";
  BOOST_TEST(load(u).find("cannot contain spaces") != std::string::npos);
  u.name = "x";
  u.rules = "on nopass";
  BOOST_TEST(load(u).find("either rules: or the other fields") != std::string::npos);
  UserConfig dup;
  dup.name = "d";
  dup.rules = "on nopass";
  {
    Config c;
    c.users = {dup, dup};
    Acl acl;
    BOOST_TEST(acl.Load(c).find("defined twice") != std::string::npos);
  }
  UserConfig nopw;
  nopw.name = "nopw";
  BOOST_TEST(load(nopw).find("needs a password") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(rules_apply_left_to_right, AclFixture) {
  const AclUser* reader = state.acl.Find("reader");
  BOOST_REQUIRE(reader != nullptr);
  Dispatcher& d = dispatcher;
  BOOST_TEST(Acl::CanRun(*reader, *d.Find("get")));
  BOOST_TEST(Acl::CanRun(*reader, *d.Find("ping")));      // +ping after +@read
  BOOST_TEST(!Acl::CanRun(*reader, *d.Find("kv.keys")));  // -kv.keys
  BOOST_TEST(!Acl::CanRun(*reader, *d.Find("set")));      // not in @read
  BOOST_TEST(!Acl::CanRun(*reader, *d.Find("config|get")));
  const AclUser* alice = state.acl.Find("alice");
  BOOST_TEST(Acl::CanRun(*alice, *d.Find("set")));
  BOOST_TEST(!Acl::CanRun(*alice, *d.Find("keys")));      // @dangerous
  BOOST_TEST(!Acl::CanRun(*alice, *d.Find("flushall")));  // server-wide, and @dangerous
  BOOST_TEST(!Acl::CanRun(*alice, *d.Find("swapdb")));
  BOOST_TEST(!Acl::CanRun(*alice, *d.Find("client|list")));
  BOOST_TEST(state.acl.default_user()->unrestricted);
}

BOOST_FIXTURE_TEST_CASE(auth_binds_the_session_to_the_user_and_its_namespace, AclFixture) {
  session(1).authenticated = false;
  session(1).user = state.acl.default_user();
  BOOST_TEST(As(1, {"GET", "k"}) == "-NOAUTH Authentication required.\r\n");
  BOOST_TEST(As(1, {"AUTH", "alice", "wrong"}) ==
             "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  BOOST_TEST(As(1, {"AUTH", "alice", "alicepw"}) == "+OK\r\n");
  BOOST_TEST(As(1, {"ACL", "WHOAMI"}) == "$5\r\nalice\r\n");
  BOOST_TEST(state.keyspace.NamespaceName(session(1).db) == "tenant-a");
  BOOST_TEST(As(1, {"SET", "k", "a"}) == "+OK\r\n");
  BOOST_TEST(As(1, {"SELECT", "0"}) ==
             "-NOPERM User alice has no permissions to access the '0' namespace\r\n");
  BOOST_TEST(As(1, {"SELECT", "tenant-b"}) ==
             "-NOPERM User alice has no permissions to access the 'tenant-b' namespace\r\n");
  BOOST_TEST(As(1, {"MOVE", "k", "0"}) ==
             "-NOPERM User alice has no permissions to access the '0' namespace\r\n");
  BOOST_TEST(As(1, {"FLUSHALL"}) ==
             "-NOPERM User alice has no permissions to run the 'flushall' command\r\n");
  BOOST_TEST(As(1, {"CONFIG", "GET", "port"}) ==
             "-NOPERM User alice has no permissions to run the 'config|get' command\r\n");
  // Inside MULTI the refusal comes at queueing time and aborts the EXEC, as in Redis.
  BOOST_TEST(As(1, {"MULTI"}) == "+OK\r\n");
  BOOST_TEST(As(1, {"FLUSHALL"}).rfind("-NOPERM", 0) == 0u);
  BOOST_TEST(As(1, {"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  // RESET: back to the default user, not authenticated.
  BOOST_TEST(As(1, {"RESET"}) == "+RESET\r\n");
  BOOST_TEST(As(1, {"GET", "k"}) == "-NOAUTH Authentication required.\r\n");
  BOOST_TEST(state.stats.acl_denied_cmd >= 3u);
  BOOST_TEST(state.stats.acl_denied_namespace >= 3u);
}

BOOST_FIXTURE_TEST_CASE(read_only_users_cannot_write_even_from_scripts, AclFixture) {
  BOOST_TEST(As(2, {"AUTH", "reader", "anything"}) == "+OK\r\n");
  BOOST_TEST(As(2, {"GET", "k"}) == "$-1\r\n");
  BOOST_TEST(As(2, {"SET", "k", "v"}) ==
             "-NOPERM User reader has no permissions to run the 'set' command\r\n");
  BOOST_TEST(As(2, {"EVAL", "return 1", "0"}) ==
             "-NOPERM User reader has no permissions to run the 'eval' command\r\n");
}

BOOST_FIXTURE_TEST_CASE(scripts_run_with_the_callers_permissions, AclFixture) {
  BOOST_TEST(As(3, {"AUTH", "alice", "alicepw"}) == "+OK\r\n");
  std::string r = As(3, {"EVAL", "return redis.call('flushall')", "0"});
  // Redis 7.2's text for a refusal inside a script.
  BOOST_TEST(r.rfind("-ERR ACL failure in script: User alice has no permissions to run the "
                     "'flushall' command",
                     0) == 0u);
  r = As(3, {"EVAL", "return redis.call('select', '0')", "0"});
  BOOST_TEST(r.rfind("-NOPERM User alice has no permissions to access the '0' namespace", 0) == 0u);
}

BOOST_FIXTURE_TEST_CASE(failed_auth_backs_off_per_connection, AclFixture) {
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(As(4, {"AUTH", "alice", "bad"}).rfind("-WRONGPASS", 0) == 0u);
  }
  // Now even the right password is refused until the delay passes, without being checked.
  BOOST_TEST(As(4, {"AUTH", "alice", "alicepw"}).rfind("-ERR too many failed AUTH attempts", 0) ==
             0u);
  BOOST_TEST(As(5, {"AUTH", "alice", "alicepw"}) == "+OK\r\n");  // another connection is not slowed
  AdvanceMs(200);
  BOOST_TEST(As(4, {"AUTH", "alice", "alicepw"}) == "+OK\r\n");
  BOOST_TEST(state.stats.acl_denied_auth == 4u);
  for (int i = 0; i < 25 && !session(6).close_after_reply; ++i) {
    As(6, {"AUTH", "alice", "bad"});
    AdvanceMs(20000);
  }
  BOOST_TEST(session(6).close_after_reply);  // closed after kMaxAuthFailures
}

BOOST_AUTO_TEST_CASE(protected_mode_accepts_only_loopback_without_a_password) {
  BOOST_TEST(IsLoopback(V4("127.0.0.1")));
  BOOST_TEST(IsLoopback(V4("127.1.2.3")));
  BOOST_TEST(!IsLoopback(V4("10.0.0.1")));
  BOOST_TEST(!IsLoopback(V4("128.0.0.1")));
  BOOST_TEST(IsLoopback(V6("::1")));
  BOOST_TEST(IsLoopback(V6("::ffff:127.0.0.1")));
  BOOST_TEST(!IsLoopback(V6("::ffff:10.0.0.1")));
  BOOST_TEST(!IsLoopback(V6("fe80::1")));
  CommandHarness open;
  BOOST_TEST(open.state.RefusedByProtectedMode(false));
  BOOST_TEST(!open.state.RefusedByProtectedMode(true));
  open.Run({"CONFIG", "SET", "protected-mode", "no"});
  BOOST_TEST(!open.state.RefusedByProtectedMode(false));
  open.Run({"CONFIG", "SET", "protected-mode", "yes", "requirepass", "x"});
  BOOST_TEST(!open.state.RefusedByProtectedMode(false));  // a password: anyone may try AUTH
}

BOOST_FIXTURE_TEST_CASE(read_only_users_cannot_change_the_server, AclFixture) {
  BOOST_TEST(As(2, {"AUTH", "reader", "x"}) == "+OK\r\n");
  // Its rules are +@read...; even with +@all a read-only user may not do these.
  const AclUser* reader = state.acl.Find("reader");
  for (const char* name : {"config|set", "shutdown", "client|kill", "script|flush", "flushall",
                           "debug", "monitor", "config|rewrite", "kv.cleanup"}) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(!Acl::CanRun(*reader, *dispatcher.Find(name)));
  }
  Config c;
  UserConfig ro;
  ro.name = "ro";
  ro.nopass = true;
  ro.read_only = true;  // rules default to +@all
  c.users = {ro};
  Acl acl;
  BOOST_TEST(acl.Load(c) == "");
  const AclUser* u = acl.Find("ro");
  BOOST_TEST(Acl::CanRun(*u, *dispatcher.Find("get")));
  BOOST_TEST(Acl::CanRun(*u, *dispatcher.Find("info")));
  BOOST_TEST(!Acl::CanRun(*u, *dispatcher.Find("config|set")));
  BOOST_TEST(!Acl::CanRun(*u, *dispatcher.Find("shutdown")));
  BOOST_TEST(!Acl::CanRun(*u, *dispatcher.Find("set")));
}

BOOST_FIXTURE_TEST_CASE(exec_checks_queued_commands_again, AclFixture) {
  BOOST_TEST(As(1, {"AUTH", "alice", "alicepw"}) == "+OK\r\n");
  BOOST_TEST(As(1, {"MULTI"}) == "+OK\r\n");
  BOOST_TEST(As(1, {"AUTH", "reader", "x"}) == "+QUEUED\r\n");
  BOOST_TEST(As(1, {"SET", "k", "v"}) == "+QUEUED\r\n");  // alice may queue it
  std::string r = As(1, {"EXEC"});
  // ... but at EXEC the session is the read-only reader.
  BOOST_TEST(r ==
             "*2\r\n+OK\r\n-NOPERM User reader has no permissions to run the 'set' "
             "command\r\n");
  BOOST_TEST(session(1).user == state.acl.Find("reader"));
}

BOOST_AUTO_TEST_CASE(login_fails_when_the_users_namespace_cannot_be_created) {
  Config c = WithUsers();
  c.max_namespaces = c.databases;  // no room for tenant-a
  CommandHarness h(c);
  std::string r = h.Run({"AUTH", "alice", "alicepw"}, 1);
  BOOST_TEST(r.find("cannot use its namespace 'tenant-a'") != std::string::npos);
  BOOST_TEST(h.Run({"GET", "k"}, 1) == "-NOAUTH Authentication required.\r\n");
  BOOST_TEST(h.session(1).db == 0);
  Config bad = WithUsers();
  bad.users[0].namespaces = {"07"};
  Acl acl;
  BOOST_TEST(acl.Load(bad).find("is not a namespace") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(secrets_are_redacted_in_the_slow_log, AclFixture) {
  BOOST_TEST(As(0, {"AUTH", "adminpw"}) == "+OK\r\n");
  As(0, {"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  As(1, {"AUTH", "alice", "alicepw"});
  As(1, {"HELLO", "2", "AUTH", "alice", "alicepw"});
  std::string log = As(0, {"SLOWLOG", "GET", "-1"});
  BOOST_TEST(log.find("alicepw") == std::string::npos);
  BOOST_TEST(log.find("(redacted)") != std::string::npos);
  // The rows say which arguments are secret.
  const CommandSpec& hello_spec = *dispatcher.Find("hello");
  std::vector<std::string_view> hello = {"HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"};
  BOOST_TEST(!SecretArgument(hello_spec, hello, 2));
  BOOST_TEST(SecretArgument(hello_spec, hello, 3));
  BOOST_TEST(SecretArgument(hello_spec, hello, 4));
  BOOST_TEST(!SecretArgument(hello_spec, hello, 6));
  const CommandSpec& set_spec = *dispatcher.Find("config|set");
  std::vector<std::string_view> set = {"CONFIG", "SET", "maxmemory", "1", "requirepass", "pw"};
  BOOST_TEST(!SecretArgument(set_spec, set, 3));
  BOOST_TEST(!SecretArgument(set_spec, set, 4));
  BOOST_TEST(SecretArgument(set_spec, set, 5));
  std::vector<std::string_view> auth = {"AUTH", "u", "p"};
  BOOST_TEST(!SecretArgument((*dispatcher.Find("auth")), auth, 0));
  BOOST_TEST(SecretArgument((*dispatcher.Find("auth")), auth, 1));
  BOOST_TEST(SecretArgument((*dispatcher.Find("auth")), auth, 2));
  // ACL SETUSER's rules may hold passwords (>password).
  std::vector<std::string_view> setuser = {"ACL", "SETUSER", "u", ">pw"};
  BOOST_TEST(SecretArgument((*dispatcher.Find("acl|setuser")), setuser, 3));
  // No other row has secrets.
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.name != "auth" && spec.name != "hello" && spec.name != "config|set" &&
        spec.name != "acl|setuser") {
      BOOST_TEST(spec.secret.kind == SecretArgs::kNone, spec.name);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(scan_cursors_belong_to_their_user_and_namespace, AclFixture) {
  BOOST_TEST(As(0, {"AUTH", "adminpw"}) == "+OK\r\n");
  for (int i = 0; i < 30; ++i) As(0, {"SET", "key" + std::to_string(i), "v"});
  std::string r = As(0, {"SCAN", "0", "COUNT", "5"});
  size_t a = r.find("$", 4), b = r.find("\r\n", a);
  std::string cursor = r.substr(b + 2, r.find("\r\n", b + 2) - b - 2);
  BOOST_TEST(cursor != "0");
  BOOST_TEST(As(2, {"AUTH", "reader", "x"}) == "+OK\r\n");
  BOOST_TEST(As(2, {"SCAN", cursor}) == "-ERR invalid cursor\r\n");
  BOOST_TEST(As(0, {"SCAN", cursor}).rfind("*2\r\n", 0) == 0u);  // its owner continues
}

BOOST_AUTO_TEST_CASE(requirepass_sets_the_default_users_password_as_redis) {
  Config c;
  UserConfig d;
  d.name = "default";
  d.password = Acl::HashPassword("filepw");
  c.users = {d};
  CommandHarness h(c);
  BOOST_TEST(h.Run({"AUTH", "filepw"}, 0) == "+OK\r\n");
  // Another option leaves the user as the file made it.
  BOOST_TEST(h.Run({"CONFIG", "SET", "maxclients", "100"}, 0) == "+OK\r\n");
  BOOST_TEST(h.Run({"AUTH", "filepw"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"CONFIG", "SET", "requirepass", "other"}, 0) == "+OK\r\n");
  BOOST_TEST(h.Run({"AUTH", "other"}, 2) == "+OK\r\n");
  BOOST_TEST(h.Run({"AUTH", "filepw"}, 3).rfind("-WRONGPASS", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
