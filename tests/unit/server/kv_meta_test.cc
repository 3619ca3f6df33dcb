#include <boost/test/unit_test.hpp>

#include "harness.h"

using namespace dkv::server;

namespace {
// Fields of a RESP2 flat map reply of bulk strings and integers, in order.
std::vector<std::string> Tokens(const std::string& reply) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t eol = reply.find("\r\n", pos);
    char t = reply[pos];
    std::string head = reply.substr(pos + 1, eol - pos - 1);
    if (t == '$') {
      long n = std::stol(head);
      if (n < 0) {
        out.push_back("(nil)");
        pos = eol + 2;
      } else {
        out.push_back(reply.substr(eol + 2, static_cast<size_t>(n)));
        pos = eol + 2 + static_cast<size_t>(n) + 2;
      }
    } else {
      if (t == ':') out.push_back(head);
      pos = eol + 2;
    }
  }
  return out;
}

std::string Field(const std::vector<std::string>& t, const std::string& name) {
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] == name) return t[i + 1];
  }
  return "<missing>";
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(kv_metadata, CommandHarness)

BOOST_AUTO_TEST_CASE(kv_set_types_validation_and_conditions) {
  BOOST_TEST(Run({"KV.SET", "a.n", "12.5", "TYPE", "number"}) == "+OK\r\n");
  BOOST_TEST(Run({"KV.SET", "a.n", "x", "TYPE", "number"}) ==
             "-ERR invalid value for type number: value is not a number\r\n");
  BOOST_TEST(Run({"KV.SET", "a.j", "{\"k\":[1,2]}", "TYPE", "json"}) == "+OK\r\n");
  BOOST_TEST(Run({"KV.SET", "a.j", "{oops", "TYPE", "json"}) ==
             "-ERR invalid value for type json: value is not valid JSON\r\n");
  BOOST_TEST(Run({"KV.SET", "a.b", "yes", "TYPE", "boolean"}) ==
             "-ERR invalid value for type boolean: value is not true or false\r\n");
  BOOST_TEST(Run({"KV.SET", "a.x", "1", "TYPE", "weird"}).rfind("-ERR unknown type 'weird'", 0) ==
             0u);
  BOOST_TEST(Run({"KV.SET", "a..b", "1"}).rfind("-ERR invalid key 'a..b'", 0) == 0u);
  BOOST_TEST(Run({"KV.SET", ".a", "1"}).rfind("-ERR invalid key", 0) == 0u);
  BOOST_TEST(Run({"KV.SET", "a.n", "1", "NX"}) == "$-1\r\n");
  BOOST_TEST(Run({"KV.SET", "a.new", "1", "XX"}) == "$-1\r\n");
  BOOST_TEST(Run({"KV.SET", "a.n", "2", "IFVERSION", "7"}) == "$-1\r\n");
  BOOST_TEST(Run({"KV.SET", "a.n", "2", "IFVERSION", "1", "TYPE", "number"}) == "+OK\r\n");
  BOOST_TEST(Run({"KV.SET", "a.fresh", "1", "IFVERSION", "0"}) == "+OK\r\n");
  BOOST_TEST(Run({"KV.SET", "a.n", "3", "EX", "10", "PX", "5"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"KV.SET", "a.n", "3", "EX", "0"}) ==
             "-ERR invalid expire time in 'kv.set' command\r\n");
}

BOOST_AUTO_TEST_CASE(kv_get_reports_metadata) {
  Run({"KV.SET", "cfg.port", "5432", "TYPE", "number", "META", "owner", "ops", "content_type",
       "text/plain", "PX", "5000"});
  AdvanceMs(1000);
  auto t = Tokens(Run({"KV.GET", "cfg.port"}));
  BOOST_TEST(Field(t, "value") == "5432");
  BOOST_TEST(Field(t, "type") == "number");
  BOOST_TEST(Field(t, "version") == "1");
  BOOST_TEST(Field(t, "ttl_ms") == "4000");
  BOOST_TEST(Field(t, "size") == "4");
  BOOST_TEST(Field(t, "checksum").size() == 16u);
  BOOST_TEST(Field(t, "content_type") == "text/plain");
  BOOST_TEST(Field(t, "owner") == "ops");
  BOOST_TEST(std::stoll(Field(t, "updated_at")) == std::stoll(Field(t, "created_at")));
  // KV.GET refreshed accessed_at; KV.META shows it.
  auto m = Tokens(Run({"KV.META", "cfg.port"}));
  BOOST_TEST(Field(m, "value") == "<missing>");
  BOOST_TEST(std::stoll(Field(m, "accessed_at")) == std::stoll(Field(t, "created_at")) + 1000);
  BOOST_TEST(Run({"KV.GET", "nope"}) == "$-1\r\n");
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"KV.META", "cfg.port"}).rfind("%10\r\n", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(every_read_of_a_value_counts_as_an_access) {
  Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"});
  Run({"CONFIG", "SET", "lfu-log-factor", "0"});  // every access counts: deterministic
  Run({"SET", "a.x", "1"});
  Run({"SET", "a.y", "2"});
  auto accessed = [&] { return std::stoll(Field(Tokens(Run({"KV.META", "a.x"})), "accessed_at")); };
  const int64_t created = accessed();
  BOOST_TEST(Run({"OBJECT", "FREQ", "a.x"}) == ":5\r\n");
  AdvanceMs(1000);
  Run({"KV.KEYS", "a.*"});  // names only: no value is read
  BOOST_TEST(accessed() == created);
  Run({"KV.MGET", "a.*"});
  BOOST_TEST(accessed() == created + 1000);
  BOOST_TEST(Run({"OBJECT", "FREQ", "a.x"}) == ":6\r\n");
  AdvanceMs(1000);
  BOOST_TEST(Run({"KV.EXPORT", "a.**"}) == "$23\r\n{\"a\":{\"x\":\"1\",\"y\":\"2\"}}\r\n");
  BOOST_TEST(accessed() == created + 2000);
  AdvanceMs(1000);
  Run({"KV.GET", "a.x"});
  BOOST_TEST(accessed() == created + 3000);
  BOOST_TEST(Run({"OBJECT", "FREQ", "a.x"}) == ":8\r\n");
  // CLIENT NO-TOUCH: reads leave both alone.
  Run({"CLIENT", "NO-TOUCH", "ON"});
  AdvanceMs(1000);
  Run({"KV.MGET", "a.*"});
  Run({"KV.GET", "a.x"});
  BOOST_TEST(accessed() == created + 3000);
  BOOST_TEST(Run({"OBJECT", "FREQ", "a.x"}) == ":8\r\n");
}

BOOST_AUTO_TEST_CASE(versions_count_value_changes_only) {
  Run({"SET", "k", "a"});
  Run({"APPEND", "k", "b"});
  Run({"SETRANGE", "k", "0", "z"});
  Run({"EXPIRE", "k", "100"});
  Run({"KV.SETMETA", "k", "tag", "x"});
  Run({"PERSIST", "k"});
  BOOST_TEST(Field(Tokens(Run({"KV.META", "k"})), "version") == "3");
  Run({"INCR", "n"});
  Run({"INCRBY", "n", "5"});
  auto n = Tokens(Run({"KV.META", "n"}));
  BOOST_TEST(Field(n, "version") == "2");
  BOOST_TEST(Field(n, "type") == "number");
  Run({"RENAME", "n", "m"});  // the same key under a new name keeps its identity
  BOOST_TEST(Field(Tokens(Run({"KV.META", "m"})), "version") == "2");
  Run({"COPY", "m", "c"});  // a copy is a new key
  BOOST_TEST(Field(Tokens(Run({"KV.META", "c"})), "version") == "1");
}

BOOST_AUTO_TEST_CASE(setmeta_delmeta) {
  BOOST_TEST(Run({"KV.SETMETA", "missing", "a", "b"}) == "-ERR no such key\r\n");
  Run({"SET", "k", "v"});
  BOOST_TEST(Run({"KV.SETMETA", "k", "a", "1", "b", "2"}) == ":2\r\n");
  BOOST_TEST(Run({"KV.SETMETA", "k", "a"}) ==
             "-ERR wrong number of arguments for 'kv.setmeta' command\r\n");
  BOOST_TEST(Run({"KV.DELMETA", "k", "a", "zzz"}) == ":1\r\n");
  BOOST_TEST(Field(Tokens(Run({"KV.META", "k"})), "b") == "2");
  Run({"DEL", "k"});
  Run({"SET", "k", "again"});  // a new key does not inherit the old one's fields
  BOOST_TEST(Field(Tokens(Run({"KV.META", "k"})), "b") == "<missing>");
}

BOOST_AUTO_TEST_CASE(cas_swaps_only_on_the_expected_value) {
  BOOST_TEST(Run({"KV.CAS", "c", "0", "1"}) == ":0\r\n");
  Run({"SET", "c", "0", "EX", "100"});
  BOOST_TEST(Run({"KV.CAS", "c", "9", "1"}) == ":0\r\n");
  BOOST_TEST(Run({"KV.CAS", "c", "0", "1", "KEEPTTL"}) == ":1\r\n");
  BOOST_TEST(Run({"TTL", "c"}) == ":100\r\n");
  BOOST_TEST(Run({"KV.CAS", "c", "1", "2"}) == ":1\r\n");
  BOOST_TEST(Run({"TTL", "c"}) == ":-1\r\n");
  BOOST_TEST(Run({"GET", "c"}) == "$1\r\n2\r\n");
}

BOOST_AUTO_TEST_CASE(cleanup_removes_due_keys_now) {
  Run({"SET", "a", "1", "PX", "10"});
  Run({"SET", "b", "1", "PX", "10"});
  Run({"SET", "c", "1"});
  AdvanceMs(20);
  BOOST_TEST(Run({"KV.CLEANUP"}) == ":2\r\n");
  BOOST_TEST(Run({"DBSIZE"}) == ":1\r\n");
}

BOOST_AUTO_TEST_CASE(named_namespaces_are_isolated) {
  Run({"SET", "k", "db0"});
  BOOST_TEST(Run({"SELECT", "tenant1"}) == "+OK\r\n");
  BOOST_TEST(Run({"GET", "k"}) == "$-1\r\n");
  Run({"SET", "k", "t1"});
  BOOST_TEST(Run({"SELECT", "0"}) == "+OK\r\n");
  BOOST_TEST(Run({"GET", "k"}) == "$3\r\ndb0\r\n");
  BOOST_TEST(Run({"SELECT", "a%b"}) == "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"KV.NAMESPACES"}) == "*4\r\n$1\r\n0\r\n:1\r\n$7\r\ntenant1\r\n:1\r\n");
  state.config.max_namespaces = 17;
  BOOST_TEST(Run({"SELECT", "another"}).rfind("-ERR too many namespaces", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(redis_84_conditional_writes) {
  Run({"SET", "k", "Hello world"});
  BOOST_TEST(Run({"DIGEST", "k"}) == "$16\r\nb6acb9d84a38ff74\r\n");
  BOOST_TEST(Run({"DIGEST", "nope"}) == "$-1\r\n");
  BOOST_TEST(Run({"SET", "k", "x", "IFDEQ", "0000000000000000"}) == "$-1\r\n");
  BOOST_TEST(Run({"SET", "k", "x", "IFDEQ", "B6ACB9D84A38FF74"}) == "+OK\r\n");
  BOOST_TEST(Run({"SET", "k", "y", "IFDEQ", "xyz"}) ==
             "-ERR the digest must be exactly 16 hexadecimal characters\r\n");
  BOOST_TEST(Run({"SET", "k", "y", "IFNE", "x"}) == "$-1\r\n");
  BOOST_TEST(Run({"SET", "k", "y", "IFNE", "z"}) == "+OK\r\n");
  BOOST_TEST(Run({"SET", "fresh", "1", "IFNE", "z"}) == "+OK\r\n");   // IFNE creates
  BOOST_TEST(Run({"SET", "fresh2", "1", "IFEQ", "z"}) == "$-1\r\n");  // IFEQ does not
  BOOST_TEST(Run({"SET", "fresh3", "1", "IFDNE", "0000000000000000"}) == "+OK\r\n");
  BOOST_TEST(Run({"SET", "k", "y", "NX", "IFEQ", "y"}) == "-ERR syntax error\r\n");
  BOOST_TEST(Run({"SET", "k", "z", "IFEQ", "y", "GET"}) == "$1\r\ny\r\n");
  BOOST_TEST(Run({"DELEX", "k", "IFEQ", "nope"}) == ":0\r\n");
  BOOST_TEST(Run({"DELEX", "k", "IFNE", "nope"}) == ":1\r\n");
  BOOST_TEST(Run({"DELEX", "k"}) == ":0\r\n");
  BOOST_TEST(Run({"DELEX", "fresh"}) == ":1\r\n");
  BOOST_TEST(Run({"DELEX", "fresh3", "BOGUS", "x"}) == "-ERR syntax error\r\n");
  Run({"SET", "lock", "token1"});
  BOOST_TEST(Run({"DELIFEQ", "lock", "token2"}) == ":0\r\n");
  BOOST_TEST(Run({"DELIFEQ", "lock", "token1"}) == ":1\r\n");
}

BOOST_AUTO_TEST_CASE(msetex_sets_all_or_none_with_one_ttl) {
  BOOST_TEST(Run({"MSETEX", "2", "a", "1", "b", "2", "PX", "5000"}) == ":1\r\n");
  BOOST_TEST(Run({"PTTL", "b"}) == ":5000\r\n");
  BOOST_TEST(Run({"MSETEX", "2", "a", "9", "c", "9", "NX"}) == ":0\r\n");
  BOOST_TEST(Run({"EXISTS", "c"}) == ":0\r\n");
  BOOST_TEST(Run({"MSETEX", "2", "a", "9", "b", "9", "XX", "KEEPTTL"}) == ":1\r\n");
  BOOST_TEST(Run({"PTTL", "b"}) == ":5000\r\n");
  BOOST_TEST(Run({"MSETEX", "3", "a", "1", "b", "2"}) ==
             "-ERR wrong number of arguments for 'msetex' command\r\n");
  BOOST_TEST(Run({"MSETEX", "0", "a", "1"}) == "-ERR numkeys should be greater than 0\r\n");
  BOOST_TEST(Run({"MSETEX", "1", "a", "1", "EX", "5", "PX", "5"}) == "-ERR syntax error\r\n");
}

BOOST_AUTO_TEST_CASE(export_import_in_process) {
  BOOST_TEST(Run({"KV.IMPORT", "app", "{\"a\":{\"b\":1,\"c\":\"x\"},\"d\":[true]}"}) == ":3\r\n");
  BOOST_TEST(Run({"KV.EXPORT", "app.a.**"}) ==
             "$29\r\n{\"app\":{\"a\":{\"b\":1,\"c\":\"x\"}}}\r\n");
  BOOST_TEST(Run({"KV.IMPORT", "", "[1]"}) ==
             "-ERR KV.IMPORT: the document must be a JSON object when the prefix is empty\r\n");
  BOOST_TEST(Run({"KV.IMPORT", "t", "{\"x\":1}", "EX", "100"}) == ":1\r\n");
  BOOST_TEST(Run({"TTL", "t.x"}) == ":100\r\n");
}

BOOST_AUTO_TEST_CASE(json_nesting_is_bounded) {
  auto nested = [](size_t depth) {
    return std::string(depth, '[') + "1" + std::string(depth, ']');
  };
  BOOST_TEST(Run({"KV.SET", "ok", nested(512), "TYPE", "json"}) == "+OK\r\n");
  BOOST_TEST(Run({"KV.SET", "deep", nested(513), "TYPE", "json"}).find("deeper than 512") !=
             std::string::npos);
  // Far deeper than any stack could serialize: refused before parsing, nothing crashes.
  std::string objects;
  for (int i = 0; i < 200000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(200000, '}');
  BOOST_TEST(Run({"KV.IMPORT", "imp", objects}).find("deeper than 512") != std::string::npos);
  BOOST_TEST(Run({"KV.IMPORT", "imp", nested(100000)}).find("deeper than 512") !=
             std::string::npos);
  BOOST_TEST(Run({"EXISTS", "imp"}) == ":0\r\n");
  // A key of 600 segments cannot be exported as a nested document.
  std::string key = "k";
  for (int i = 0; i < 600; ++i) key += ".s";
  Run({"SET", key, "v"});
  BOOST_TEST(Run({"KV.EXPORT", "k.**"}).find("deeper than 512") != std::string::npos);
  // Brackets inside strings do not count.
  BOOST_TEST(Run({"KV.SET", "str", "[\"" + std::string(1000, '[') + "\"]", "TYPE", "json"}) ==
             "+OK\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
