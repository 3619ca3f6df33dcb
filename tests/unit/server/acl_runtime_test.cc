// ACL at run time, as Redis 7.2: SETUSER rules and their canonical form (ACL LIST, GETUSER),
// selectors, key patterns with read/write permissions from the rows' key specs, DELUSER closing
// the user's clients, DRYRUN, the ACL LOG, the aclfile (LOAD/SAVE) and CONFIG REWRITE's users.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>

#include "harness.h"
#include "src/security/acl.h"
#include "src/security/sha1.h"

using namespace dkv::server;

namespace {

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string ListOf(CommandHarness& h, const std::string& name) {
  const AclUser* u = h.state.acl.Find(name);
  return u == nullptr ? "" : Acl::Describe(*u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(acl_runtime)

BOOST_AUTO_TEST_CASE(setuser_rules_print_in_redis_canonical_form) {
  CommandHarness h;
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x"}) == "+OK\r\n");
  BOOST_TEST(ListOf(h, "x") == "user x off resetchannels -@all");
  BOOST_TEST(ListOf(h, "default") == "user default on nopass ~* &* +@all");
  h.Run({"ACL", "SETUSER", "y", "on", ">p", "~a*", "%R~b", "(+get ~z)", "+@string", "-append"});
  BOOST_TEST(ListOf(h, "y") == "user y on #" + Sha256Hex("p") +
                                   " ~a* %R~b resetchannels -@all +@string -append (~z "
                                   "resetchannels -@all +get)");
  // Redis 7.2's compaction of the command rules.
  h.Run({"ACL", "SETUSER", "c", "+@all", "-@string", "-@slow", "+get"});
  h.Run({"ACL", "SETUSER", "c", "-@string"});
  BOOST_TEST(ListOf(h, "c") == "user c off resetchannels +@all -@slow +get -@string");
  h.Run({"ACL", "SETUSER", "c", "-@all", "+client|list", "+client|list", "+config|get", "+config",
         "+acl|list", "-acl"});
  BOOST_TEST(ListOf(h, "c") == "user c off resetchannels -@all +client|list +config -acl");
  h.Run({"ACL", "SETUSER", "c", "-@all", "+select|0", "+select|0", "+get|x", "+get"});
  BOOST_TEST(ListOf(h, "c") == "user c off resetchannels -@all +select|0 +get");
  h.Run({"ACL", "SETUSER", "c", "-@all", "+GET", "+get", "+@STRING"});
  BOOST_TEST(ListOf(h, "c") == "user c off resetchannels -@all +get +@string");
  h.Run({"ACL", "SETUSER", "c", "reset"});
  BOOST_TEST(ListOf(h, "c") == "user c off sanitize-payload resetchannels -@all");
  // dkv's namespace binding and read-only flag print after the passwords.
  h.Run({"ACL", "SETUSER", "t", "on", "nopass", "namespaces=tenant-a,tenant-b", "readonly",
         "allkeys", "+@read"});
  BOOST_TEST(
      ListOf(h, "t") ==
      "user t on nopass namespaces=tenant-a,tenant-b readonly ~* resetchannels -@all +@read");
}

BOOST_AUTO_TEST_CASE(setuser_errors_are_redis_and_change_nothing) {
  CommandHarness h;
  h.Run({"ACL", "SETUSER", "x", "on", "+get"});
  const std::string before = ListOf(h, "x");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "-get", "foo"}) ==
             "-ERR Error in ACL SETUSER modifier 'foo': Syntax error\r\n");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "+nosuch"}) ==
             "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in "
             "ACL\r\n");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "-select|0"}).find("Unknown command") !=
             std::string::npos);
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "+config|get|x"}).find("first-arg of a subcommand") !=
             std::string::npos);
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "#abc"}).find("exactly 64 characters") !=
             std::string::npos);
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "<nope"}).find("does not exist") != std::string::npos);
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "allkeys", "~b"}).find("'~b': Adding a pattern") !=
             std::string::npos);
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "(+get"}) ==
             "-ERR Unmatched parenthesis in acl selector starting at '(+get'.\r\n");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "(+get foo)"}) ==
             "-ERR Error in ACL SETUSER modifier '(+get foo)': Syntax error\r\n");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "a b"}) ==
             "-ERR Usernames can't contain spaces or null characters\r\n");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "x", "namespaces=bad name"}).find("is not a namespace") !=
             std::string::npos);
  BOOST_TEST(ListOf(h, "x") == before);
  BOOST_TEST(h.Run({"ACL", "SETUSER", "new", "foo"}).rfind("-ERR", 0) == 0u);
  BOOST_TEST(h.state.acl.Find("new") == nullptr);
}

BOOST_AUTO_TEST_CASE(getuser_has_redis_shape) {
  CommandHarness h;
  h.Run({"ACL", "SETUSER", "g", "on", ">p", "~a", "&ch", "+get", "(%W~w +set)"});
  std::string hash = Sha256Hex("p");
  BOOST_TEST(h.Run({"ACL", "GETUSER", "g"}) ==
             "*12\r\n" + Bulk("flags") + "*1\r\n" + Bulk("on") + Bulk("passwords") + "*1\r\n" +
                 Bulk(hash) + Bulk("commands") + Bulk("-@all +get") + Bulk("keys") + Bulk("~a") +
                 Bulk("channels") + Bulk("&ch") + Bulk("selectors") + "*1\r\n*6\r\n" +
                 Bulk("commands") + Bulk("-@all +set") + Bulk("keys") + Bulk("%W~w") +
                 Bulk("channels") + Bulk(""));
  BOOST_TEST(h.Run({"ACL", "GETUSER", "nobody"}) == "$-1\r\n");
}

BOOST_AUTO_TEST_CASE(key_patterns_follow_the_key_specs) {
  CommandHarness h;
  h.Run({"ACL", "SETUSER", "k", "on", "nopass", "+@all", "%R~r*", "%W~w*", "~rw*"});
  BOOST_TEST(h.Run({"AUTH", "k", "x"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"GET", "r1"}, 1) == "$-1\r\n");
  BOOST_TEST(h.Run({"SET", "r1", "v"}, 1) == "-NOPERM No permissions to access a key\r\n");
  BOOST_TEST(h.Run({"SET", "w1", "v"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"GET", "w1"}, 1) == "-NOPERM No permissions to access a key\r\n");
  BOOST_TEST(h.Run({"SET", "w1", "v", "GET"}, 1) == "-NOPERM No permissions to access a key\r\n");
  BOOST_TEST(h.Run({"SET", "rw1", "v", "GET"}, 1) == "$-1\r\n");
  BOOST_TEST(h.Run({"EXISTS", "w1", "r1"}, 1) == ":1\r\n");  // no access: any pattern will do
  BOOST_TEST(h.Run({"GET", "other"}, 1) == "-NOPERM No permissions to access a key\r\n");
  BOOST_TEST(h.state.stats.acl_denied_key == 4u);
  // DRYRUN says which key, verbosely.
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "k", "GET", "w1"}) ==
             Bulk("User k has no permissions to access the 'w1' key"));
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "k", "GET", "r1"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "nobody", "GET", "r1"}) == "-ERR User 'nobody' not found\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "k", "nocmd"}) == "-ERR Command 'nocmd' not found\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "k", "GET"}) ==
             "-ERR wrong number of arguments for 'get' command\r\n");
  // A second selector adds to the first, but each checks the whole command.
  h.Run({"ACL", "SETUSER", "s", "on", "nopass", "-@all", "+get", "~a*", "(+set ~b*)"});
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "s", "GET", "a1"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "s", "SET", "b1", "v"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "s", "SET", "a1", "v"}) ==
             Bulk("User s has no permissions to access the 'a1' key"));
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "s", "DEL", "a1"}) ==
             Bulk("User s has no permissions to run the 'del' command"));
  // First arguments: +select|0.
  h.Run({"ACL", "SETUSER", "f", "on", "nopass", "-@all", "+select|0"});
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "f", "SELECT", "0"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "f", "SELECT", "1"}) ==
             Bulk("User f has no permissions to run the 'select' command"));
}

BOOST_AUTO_TEST_CASE(acl_log_records_refusals) {
  CommandHarness h;
  h.Run({"ACL", "SETUSER", "antirez", "on", ">foo", "+set", "+multi", "+exec", "+discard", "+eval",
         "~object:*"});
  BOOST_TEST(h.Run({"AUTH", "antirez", "foo"}, 1) == "+OK\r\n");
  h.Run({"GET", "foo"}, 1);
  h.Run({"GET", "foo"}, 1);
  h.Run({"SET", "notallowed", "1"}, 1);
  h.Run({"AUTH", "antirez", "wrong"}, 2);
  h.Run({"MULTI"}, 1);
  h.Run({"INCR", "object:1"}, 1);
  h.Run({"DISCARD"}, 1);
  h.Run({"EVAL", "return redis.call('incr','object:1')", "0"}, 1);
  const auto& e = h.state.acl.log().entries();
  BOOST_TEST(e.size() == 5u);
  BOOST_TEST(e[0].context == "lua");
  BOOST_TEST(e[0].object == "incr");
  BOOST_TEST(e[0].client_info.find("cmd=eval") != std::string::npos);
  BOOST_TEST(e[1].context == "multi");
  BOOST_TEST(e[2].reason == "auth");
  BOOST_TEST(e[2].object == "AUTH");
  BOOST_TEST(e[2].username == "antirez");
  BOOST_TEST(e[3].reason == "key");
  BOOST_TEST(e[3].object == "notallowed");
  BOOST_TEST(e[4].reason == "command");
  BOOST_TEST(e[4].object == "get");
  BOOST_TEST(e[4].count == 2u);
  BOOST_TEST(e[4].client_info.find("cmd=get user=antirez") != std::string::npos);
  BOOST_TEST(e[4].entry_id == 0u);
  BOOST_TEST(e[0].entry_id == 4u);
  std::string log = h.Run({"ACL", "LOG", "1"});
  BOOST_TEST(log.rfind("*1\r\n*20\r\n$5\r\ncount\r\n:1\r\n$6\r\nreason\r\n$7\r\ncommand\r\n", 0) ==
             0u);
  BOOST_TEST(log.find("timestamp-last-updated") != std::string::npos);
  BOOST_TEST(h.Run({"ACL", "LOG", "RESET"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "LOG"}) == "*0\r\n");
  BOOST_TEST(h.Run({"ACL", "LOG", "x"}) == "-ERR value is not an integer or out of range\r\n");
  h.Run({"CONFIG", "SET", "acllog-max-len", "2"});
  for (int i = 0; i < 5; ++i) h.Run({"SET", "k" + std::to_string(i), "1"}, 1);
  BOOST_TEST(h.state.acl.log().entries().size() == 2u);
}

BOOST_AUTO_TEST_CASE(deluser_closes_the_users_clients) {
  CommandHarness h;
  BOOST_TEST(h.Run({"ACL", "DELUSER", "default"}) ==
             "-ERR The 'default' user cannot be removed\r\n");
  h.Run({"ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"});
  BOOST_TEST(h.Run({"AUTH", "gone", "x"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"AUTH", "gone", "x"}, 2) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "DELUSER", "gone", "nosuch"}, 2) == ":1\r\n");
  BOOST_TEST(h.session(1).close_after_reply);
  BOOST_TEST(h.session(2).close_after_reply);  // the caller too, after its reply
  BOOST_TEST(!h.session(0).close_after_reply);
  BOOST_TEST(h.session(1).user->deleted);  // still valid, and allows nothing
  BOOST_TEST(h.Run({"AUTH", "gone", "x"}, 3).rfind("-WRONGPASS", 0) == 0u);
  // Disabling does not close clients (as Redis), but no new login.
  h.Run({"ACL", "SETUSER", "off1", "on", "nopass", "+@all"});
  BOOST_TEST(h.Run({"AUTH", "off1", "x"}, 4) == "+OK\r\n");
  h.Run({"ACL", "SETUSER", "off1", "off"});
  BOOST_TEST(!h.session(4).close_after_reply);
  BOOST_TEST(h.Run({"AUTH", "off1", "x"}, 5).rfind("-WRONGPASS", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(genpass_and_errors) {
  CommandHarness h;
  BOOST_TEST(h.Run({"ACL", "GENPASS"}).size() == 5u + 64 + 2);
  BOOST_TEST(h.Run({"ACL", "GENPASS", "5"}).rfind("$2\r\n", 0) == 0u);
  BOOST_TEST(h.Run({"ACL", "GENPASS", "0"}).find("must be the number of bits") !=
             std::string::npos);
  BOOST_TEST(h.Run({"ACL", "LOAD"}).find("not configured to use an ACL file") != std::string::npos);
  BOOST_TEST(h.Run({"ACL", "SAVE"}).find("not configured to use an ACL file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aclfile_save_and_load) {
  char dir[] = "/tmp/dkv-acl-test-XXXXXX";
  BOOST_REQUIRE(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/users.acl";
  {
    std::ofstream f(path);
    f << "user alice on nopass ~* &* +@all\n\nuser bob on #" << Sha256Hex("pw")
      << " ~b* -@all +get\n";
  }
  Config c;
  c.aclfile = path;
  CommandHarness h(c);
  BOOST_TEST(h.Run({"AUTH", "bob", "pw"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "SETUSER", "carol", "on", ">cpw", "+ping"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"ACL", "SAVE"}) == "+OK\r\n");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text == "user alice on nopass ~* &* +@all\nuser bob on #" + Sha256Hex("pw") +
                         " ~b* resetchannels -@all +get\nuser carol on #" + Sha256Hex("cpw") +
                         " resetchannels -@all +ping\nuser default on nopass ~* &* +@all\n");
  {
    std::ofstream f(path, std::ios::app);
    f << "user alice on nopass ~* -@all\n";
  }
  BOOST_TEST(h.Run({"ACL", "LOAD"}).find("Duplicate user 'alice' found") != std::string::npos);
  BOOST_TEST(h.state.acl.Find("carol") != nullptr);  // nothing changed
  {
    std::ofstream f(path);
    f << "user bob on nopass ~* -@all +get\n";
  }
  BOOST_TEST(h.Run({"ACL", "LOAD"}) == "+OK\r\n");
  BOOST_TEST(h.state.acl.Find("carol") == nullptr);
  BOOST_TEST(ListOf(h, "default") == "user default on nopass ~* &* +@all");
  BOOST_TEST(ListOf(h, "bob") == "user bob on nopass ~* resetchannels -@all +get");
  BOOST_TEST(h.session(1).user == h.state.acl.Find("bob"));  // the same user object
  std::remove(path.c_str());
  rmdir(dir);
}

BOOST_AUTO_TEST_CASE(users_export_for_config_rewrite) {
  Config c;
  c.requirepass = "adminpw";
  CommandHarness h(c);
  BOOST_TEST(h.state.acl.ExportUsers("adminpw").empty());  // default as requirepass makes it
  h.Run({"AUTH", "adminpw"});
  h.Run({"ACL", "SETUSER", "u", "on", ">p", "~k*", "+get", "namespaces=tenant-a", "(~s* +set)"});
  h.Run({"ACL", "SETUSER", "default", "-flushdb"});
  std::vector<UserConfig> users = h.state.acl.ExportUsers("adminpw");
  BOOST_TEST(users.size() == 2u);
  BOOST_TEST(users[0].name == "default");
  BOOST_TEST(users[0].rules == "on #" + Sha256Hex("adminpw") + " ~* &* +@all -flushdb");
  // Loading them back gives the same users.
  Config again;
  again.requirepass = "adminpw";
  again.users = users;
  Acl acl;
  BOOST_TEST(acl.Load(again) == "");
  BOOST_TEST(Acl::Describe(*acl.Find("u")) == ListOf(h, "u"));
  BOOST_TEST(Acl::Describe(*acl.Find("default")) == ListOf(h, "default"));
  BOOST_TEST(acl.Authenticate("u", "p") != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
