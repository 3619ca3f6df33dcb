// The command table's rows agree with themselves (flags, categories, key specs, tenancy), and the
// facts in a row drive what COMMAND INFO, GETKEYS, GETKEYSANDFLAGS, ACL and redaction do.
#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.h"

using namespace dkv::server;

namespace {

int MinArgs(const CommandSpec& spec) { return spec.arity > 0 ? spec.arity : -spec.arity; }

uint32_t Access(uint32_t f) { return f & (kKeyRO | kKeyRW | kKeyOW | kKeyRM); }

}  // namespace

BOOST_AUTO_TEST_SUITE(command_rows)

BOOST_AUTO_TEST_CASE(key_specs_agree_with_flags) {
  for (const CommandSpec& spec : CommandTable()) {
    BOOST_TEST_CONTEXT(spec.name) {
      bool writes_a_key = false;
      for (const KeySpec& s : spec.keys.all()) {
        // Exactly one of RO, RW, OW, RM.
        const uint32_t a = Access(s.flags);
        BOOST_TEST((a == kKeyRO || a == kKeyRW || a == kKeyOW || a == kKeyRM));
        if (a != kKeyRO) writes_a_key = true;
        // A read-only command changes no key, except PFCOUNT: it stores the count it computed
        // in the value's cache (Redis flags it readonly with an RW key spec, and so does dkv).
        if (spec.flags & kReadOnly) BOOST_TEST((a == kKeyRO || spec.name == "pfcount"));
        BOOST_TEST(s.keystep > 0);
        BOOST_TEST((s.unknown || (s.keyword.empty() ? s.index > 0 : s.startfrom != 0)));
        if (!s.keynum && s.keyword.empty() && s.lastkey >= 0) {
          BOOST_TEST(s.index + s.lastkey < MinArgs(spec));
        }
        // Variable flags are resolved by the row's function, and only then.
        BOOST_TEST(((s.flags & kKeyVariableFlags) != 0) == (spec.key_flags != nullptr));
      }
      // A write command with keys writes one of them (EVAL-like commands aside: they write
      // what the script writes).
      if ((spec.flags & kWrite) && spec.keys.count > 0) BOOST_TEST(writes_a_key);
      // Keys are the session's; an admin command with a key (PFDEBUG) is server-wide for who
      // may run it, and its key is still in the session's namespace.
      if (spec.keys.count > 0 && !(spec.flags & kAdmin)) {
        BOOST_TEST((spec.tenancy == Tenancy::kSession || spec.tenancy == Tenancy::kTargetDb ||
                    spec.tenancy == Tenancy::kScript));
      }
      // The legacy range is what the specs say when they are one plain range.
      LegacyRange r = LegacyKeyRange(spec);
      if (spec.keys.count == 0) BOOST_TEST((r.first == 0 && !r.movable));
      if (spec.keys.count == 1 && !spec.keys.spec[0].keynum && spec.keys.spec[0].keyword.empty()) {
        BOOST_TEST(r.first == spec.keys.spec[0].index);
        BOOST_TEST(!r.movable);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(categories_agree_with_flags) {
  for (const CommandSpec& spec : CommandTable()) {
    BOOST_TEST_CONTEXT(spec.name) {
      const uint32_t c = spec.categories;
      BOOST_TEST(((spec.flags & kWrite) != 0) == ((c & kCatWrite) != 0));
      if (c & kCatRead) BOOST_TEST((spec.flags & kReadOnly) != 0);
      BOOST_TEST(((c & kCatFast) != 0) != ((c & kCatSlow) != 0));
      if (spec.handler != nullptr) BOOST_TEST(((spec.flags & kFast) != 0) == ((c & kCatFast) != 0));
      if (spec.flags & kAdmin) {
        BOOST_TEST((c & kCatAdmin) != 0);
        BOOST_TEST((c & kCatDangerous) != 0);
        BOOST_TEST((spec.tenancy == Tenancy::kServerWide));
      }
      if (spec.group == "kv") BOOST_TEST((c & kCatKv) != 0);
      if (spec.flags & kBlocking) BOOST_TEST((c & kCatBlocking) != 0);
      if (spec.flags & kPubSub) BOOST_TEST((c & kCatPubSub) != 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(legacy_range_from_key_specs) {
  KeySpecs two = Keys(Range(kKeyRW | kKeyAccess | kKeyDelete, 1), Range(kKeyOW | kKeyUpdate, 2));
  CommandSpec rename{"x",     "",  3,  kWrite, kCatWrite, two, Tenancy::kSession,
                     nullptr, "g", "", "s",    ""};
  LegacyRange r = LegacyKeyRange(rename);
  BOOST_TEST((r.first == 1 && r.last == 2 && r.step == 1 && !r.movable));
  CommandSpec eval{
      "x",     "",  -3, 0,   kCatSlow, Keys(KeyNum(kKeyRO, 2, 0, 1, 1)), Tenancy::kScript,
      nullptr, "g", "", "s", ""};
  r = LegacyKeyRange(eval);
  BOOST_TEST((r.first == 0 && r.last == 0 && r.step == 0 && r.movable));
  CommandSpec mset{
      "x",     "",  -3, kWrite, kCatWrite, Keys(Range(kKeyOW, 1, -1, 2)), Tenancy::kSession,
      nullptr, "g", "", "s",    ""};
  r = LegacyKeyRange(mset);
  BOOST_TEST((r.first == 1 && r.last == -1 && r.step == 2 && !r.movable));
}

BOOST_AUTO_TEST_CASE(keys_of_a_call) {
  CommandSpec kw{"x",
                 "",
                 -2,
                 0,
                 kCatSlow,
                 Keys(KeySpec{kKeyRO, 0, "keys", 1, false, -1, 1, 0, 0, 0}),
                 Tenancy::kSession,
                 nullptr,
                 "g",
                 "",
                 "s",
                 ""};
  std::vector<std::string_view> argv = {"X", "a", "KEYS", "k1", "k2"};
  std::vector<KeyRef> keys;
  BOOST_TEST(KeysOf(kw, argv, &keys));
  BOOST_REQUIRE_EQUAL(keys.size(), 2u);
  BOOST_TEST(keys[0].index == 3);
  BOOST_TEST(keys[1].index == 4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(command_replies, CommandHarness)

BOOST_AUTO_TEST_CASE(getkeysandflags) {
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b"}) ==
             "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b", "GET"}) ==
             "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "RENAME", "a", "b"}) ==
             "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"
             "*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "EVAL", "s", "1", "k", "a"}) ==
             "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "EVAL", "s", "5", "k"}) == "*0\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "PING", "x"}) ==
             "-ERR The command has no key arguments\r\n");
  // A command alone is not enough (arity -4, as Redis): COMMAND GETKEYS needs an argument too.
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "PING"}) ==
             "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "GET"}) ==
             "-ERR wrong number of arguments for 'command|getkeysandflags' command\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "MSETEX", "2", "a", "1", "b", "2", "EX", "5"}) ==
             "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "MSETEX", "3", "a", "1"}) ==
             "-ERR Invalid arguments specified for command\r\n");
}

BOOST_AUTO_TEST_CASE(command_info_from_the_row) {
  std::string get = Run({"COMMAND", "INFO", "get"});
  BOOST_TEST(get.find("*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n"
                      "+@fast\r\n") != std::string::npos);
  BOOST_TEST(get.find("*2\r\n+RO\r\n+access\r\n") != std::string::npos);
  std::string eval = Run({"COMMAND", "INFO", "eval"});
  BOOST_TEST(eval.find("+no_mandatory_keys\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n") !=
             std::string::npos);
  BOOST_TEST(eval.find("$6\r\nkeynum\r\n") != std::string::npos);
  // dkv's own categories are not in COMMAND INFO.
  BOOST_TEST(Run({"COMMAND", "INFO", "dbsize"}).find("@server") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(acl_categories_from_the_row) {
  std::string cat = Run({"ACL", "CAT"});
  BOOST_TEST(cat.find("$2\r\nkv\r\n") != std::string::npos);
  BOOST_TEST(cat.find("$4\r\nhash\r\n") != std::string::npos);
  BOOST_TEST(cat.find("$6\r\nstream\r\n") != std::string::npos);
  BOOST_TEST(Run({"ACL", "CAT", "stream"}).find("$10\r\nxreadgroup\r\n") != std::string::npos);
  BOOST_TEST(Run({"ACL", "CAT", "nosuch"}) == "-ERR Unknown category 'nosuch'\r\n");
  std::string dangerous = Run({"ACL", "CAT", "dangerous"});
  BOOST_TEST(dangerous.find("$4\r\nkeys\r\n") != std::string::npos);
  BOOST_TEST(dangerous.find("$3\r\nget\r\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(monitor_redacts_by_the_row) {
  Run({"MONITOR"}, 1);
  Run({"CONFIG", "SET", "requirepass", "s3cret"});
  Run({"AUTH", "s3cret"});
  std::string out = session(1).out->substr(0);
  BOOST_TEST(out.find("s3cret") == std::string::npos);
  BOOST_TEST(out.find("(redacted)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
