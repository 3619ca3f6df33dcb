// Hashes and sets through the generic commands (issue 20): WRONGTYPE from every command that
// needs a string, TYPE, OBJECT, SCAN TYPE, the key commands, MEMORY USAGE, DEBUG and the KV.*
// renderings. The containers are made through the engine (engine::HashSet, engine::SetAdd), so
// these tests do not depend on the HSET/SADD handlers.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "engine/hash_ops.h"
#include "engine/metadata.h"
#include "engine/set_ops.h"
#include "harness.h"

using namespace dkv::server;
namespace engine = dkv::engine;

namespace {

constexpr std::string_view kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

struct Fixture {
  Fixture() { h.state.config.enable_debug_command = "yes"; }  // DEBUG DIGEST-VALUE, OBJECT
  CommandHarness h;
  engine::Database& db() { return h.state.keyspace.db(0); }
  std::string Run(const std::vector<std::string>& argv) { return h.Run(argv); }
  // HashSet and SetAdd want the key absent or of their kind: another value goes first.
  void Clear(std::string_view key, engine::Kind kind) {
    if (engine::Entry* e = db().Find(key); e != nullptr && e->kind() != kind) db().Delete(e);
  }
  void Hash(std::string_view key, const std::vector<engine::FieldValue>& pairs) {
    Clear(key, engine::Kind::kHash);
    engine::HashSet(db(), key, pairs);
  }
  void Set(std::string_view key, const std::vector<std::string_view>& members) {
    Clear(key, engine::Kind::kSet);
    engine::SetAdd(db(), key, members);
  }
  void StandardKeys() {
    Hash("h", {{"f", "v"}, {"g", "w"}});
    Set("s", {"a", "b"});
    Set("si", {"1", "2", "3"});
    BOOST_REQUIRE(Run({"SET", "str", "abc"}) == "+OK\r\n");
  }
};

// A hash or a set is still there, unchanged, after a refused command.
void ExpectUntouched(Fixture& f) {
  BOOST_TEST(f.Run({"TYPE", "h"}) == "+hash\r\n");
  BOOST_TEST(f.Run({"DEBUG", "DIGEST-VALUE", "h"}) == f.Run({"DEBUG", "DIGEST-VALUE", "h2"}));
  BOOST_TEST(f.Run({"TYPE", "s"}) == "+set\r\n");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(generic_commands_on_containers)

BOOST_AUTO_TEST_CASE(string_commands_answer_wrongtype) {
  // Every command that reads or writes a string value, against a hash and against a set. Each
  // gives Redis' exact error and changes nothing.
  const std::vector<std::vector<std::string>> commands = {
      {"GET", "$"},
      {"GETSET", "$", "x"},
      {"GETDEL", "$"},
      {"GETEX", "$"},
      {"GETEX", "$", "EX", "10"},
      {"GETEX", "$", "EX", "-1"},  // the key is checked before the expire time, as Redis
      {"GETEX", "$", "PERSIST"},
      {"SET", "$", "x", "GET"},
      {"SET", "$", "x", "NX", "GET"},
      {"SET", "$", "x", "XX", "GET"},
      {"SET", "$", "x", "IFEQ", "v"},
      {"SET", "$", "x", "IFNE", "v"},
      {"SET", "$", "x", "IFDEQ", "0123456789abcdef"},
      {"SET", "$", "x", "IFDNE", "0123456789abcdef"},
      {"APPEND", "$", "x"},
      {"APPEND", "$", ""},
      {"STRLEN", "$"},
      {"GETRANGE", "$", "0", "1"},
      {"SUBSTR", "$", "0", "1"},
      {"SETRANGE", "$", "0", "x"},
      {"SETRANGE", "$", "0", ""},
      {"INCR", "$"},
      {"DECR", "$"},
      {"INCRBY", "$", "1"},
      {"DECRBY", "$", "1"},
      {"INCRBYFLOAT", "$", "1.5"},
      {"INCRBYFLOAT", "$", "abc"},  // the type is checked before the increment, as Redis
      {"GETBIT", "$", "0"},
      {"SETBIT", "$", "0", "1"},
      {"BITCOUNT", "$"},
      {"BITCOUNT", "$", "0", "-1"},
      {"BITPOS", "$", "1"},
      {"BITOP", "AND", "dest", "str", "$"},
      {"BITOP", "NOT", "dest", "$"},
      {"BITFIELD", "$", "GET", "u8", "0"},
      {"BITFIELD", "$", "SET", "u8", "0", "1"},
      {"BITFIELD", "$", "INCRBY", "u8", "0", "1"},
      {"BITFIELD_RO", "$", "GET", "u8", "0"},
      {"PFADD", "$", "a"},
      {"PFADD", "$"},
      {"PFCOUNT", "$"},
      {"PFCOUNT", "nokey", "$"},
      {"PFMERGE", "$"},
      {"PFMERGE", "$", "nokey"},
      {"PFMERGE", "dest", "$"},
      {"PFDEBUG", "GETREG", "$"},
      {"PFDEBUG", "TODENSE", "$"},
      {"DIGEST", "$"},
      {"DELEX", "$", "IFEQ", "v"},
      {"DELEX", "$", "IFNE", "v"},
      {"DELEX", "$", "IFDEQ", "0123456789abcdef"},
      {"DELEX", "$", "IFDNE", "0123456789abcdef"},
      {"DELIFEQ", "$", "v"},
      {"KV.CAS", "$", "v", "w"},
  };
  for (const char* key : {"h", "s", "si"}) {
    Fixture f;
    f.StandardKeys();
    f.Hash("h2", {{"f", "v"}, {"g", "w"}});
    for (std::vector<std::string> argv : commands) {
      for (std::string& a : argv) {
        if (a == "$") a = key;
      }
      BOOST_TEST_CONTEXT(argv[0] << " " << key) { BOOST_TEST(f.Run(argv) == kWrongType); }
    }
    ExpectUntouched(f);
    BOOST_TEST(f.Run({"EXISTS", "dest"}) == ":0\r\n");
  }
}

BOOST_AUTO_TEST_CASE(lcs_wants_strings) {
  Fixture f;
  f.StandardKeys();
  const std::string err = "-ERR The specified keys must contain string values\r\n";
  BOOST_TEST(f.Run({"LCS", "h", "str"}) == err);
  BOOST_TEST(f.Run({"LCS", "str", "s"}) == err);
  BOOST_TEST(f.Run({"LCS", "nokey", "h", "LEN"}) == err);
  // Checked before the options, as Redis.
  BOOST_TEST(f.Run({"LCS", "h", "str", "BOGUS"}) == err);
  BOOST_TEST(f.Run({"LCS", "str", "nokey", "BOGUS"}) == "-ERR syntax error\r\n");
}

BOOST_AUTO_TEST_CASE(commands_that_do_not_read_the_value) {
  Fixture f;
  f.StandardKeys();
  // MGET answers nil for a key of another type.
  BOOST_TEST(f.Run({"MGET", "h", "s", "nokey", "str"}) ==
             "*4\r\n$-1\r\n$-1\r\n$-1\r\n" + Bulk("abc"));
  // Conditions on existence only: unchanged.
  BOOST_TEST(f.Run({"SETNX", "h", "x"}) == ":0\r\n");
  BOOST_TEST(f.Run({"SET", "h", "x", "NX"}) == "$-1\r\n");
  BOOST_TEST(f.Run({"MSETNX", "h", "x", "other", "y"}) == ":0\r\n");
  BOOST_TEST(f.Run({"EXISTS", "other"}) == ":0\r\n");
  BOOST_TEST(f.Run({"TYPE", "h"}) == "+hash\r\n");
  // Plain SET (and XX, SETEX, MSET) overwrites any type.
  BOOST_TEST(f.Run({"SET", "h", "x", "XX"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"TYPE", "h"}) == "+string\r\n");
  BOOST_TEST(f.Run({"GET", "h"}) == Bulk("x"));
  BOOST_TEST(f.Run({"SETEX", "s", "100", "y"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"GET", "s"}) == Bulk("y"));
  BOOST_TEST(f.Run({"MSET", "si", "z"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"GET", "si"}) == Bulk("z"));
  // BITOP overwrites its destination whatever it holds.
  f.Hash("h", {{"f", "v"}});
  BOOST_TEST(f.Run({"BITOP", "AND", "h", "str"}) == ":3\r\n");
  BOOST_TEST(f.Run({"GET", "h"}) == Bulk("abc"));
  // DELEX without a condition deletes a key of any type.
  f.Hash("h", {{"f", "v"}});
  BOOST_TEST(f.Run({"DELEX", "h"}) == ":1\r\n");
  BOOST_TEST(f.Run({"EXISTS", "h"}) == ":0\r\n");
  // KV.SET overwrites as SET does.
  f.Set("s2", {"a"});
  BOOST_TEST(f.Run({"KV.SET", "s2", "v"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"TYPE", "s2"}) == "+string\r\n");
  // A string that is not a HyperLogLog keeps its own error.
  BOOST_TEST(f.Run({"PFADD", "str", "a"}) ==
             "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
}

BOOST_AUTO_TEST_CASE(type_object_and_scan_type) {
  Fixture f;
  f.StandardKeys();
  std::vector<engine::FieldValue> many;
  std::vector<std::string> names;
  for (int i = 0; i < 600; ++i) names.push_back("field" + std::to_string(i));
  for (const std::string& n : names) many.emplace_back(n, "v");
  f.Hash("bighash", many);
  std::vector<std::string_view> members(names.begin(), names.end());
  f.Set("bigset", members);
  BOOST_TEST(f.Run({"TYPE", "h"}) == "+hash\r\n");
  BOOST_TEST(f.Run({"TYPE", "s"}) == "+set\r\n");
  BOOST_TEST(f.Run({"TYPE", "str"}) == "+string\r\n");
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpack"));
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "bighash"}) == Bulk("hashtable"));
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "s"}) == Bulk("listpack"));
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "si"}) == Bulk("intset"));
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "bigset"}) == Bulk("hashtable"));
  BOOST_TEST(f.Run({"OBJECT", "REFCOUNT", "h"}) == ":1\r\n");
  BOOST_TEST(f.Run({"OBJECT", "REFCOUNT", "si"}) == ":1\r\n");
  BOOST_TEST(f.Run({"OBJECT", "IDLETIME", "h"}) == ":0\r\n");
  BOOST_TEST(f.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"OBJECT", "FREQ", "bigset"}).starts_with(":"));
  BOOST_TEST(f.Run({"CONFIG", "SET", "maxmemory-policy", "noeviction"}) == "+OK\r\n");
  auto scan = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {"SCAN", "0", "COUNT", "1000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return f.Run(argv);
  };
  std::string hashes = scan({"TYPE", "hash"});
  BOOST_TEST(hashes.find(Bulk("h")) != std::string::npos);
  BOOST_TEST(hashes.find(Bulk("bighash")) != std::string::npos);
  BOOST_TEST(hashes.find("*2\r\n", 4) != std::string::npos);  // exactly two keys
  BOOST_TEST(scan({"TYPE", "HASH"}) == hashes);               // any case, as Redis
  std::string sets = scan({"TYPE", "set"});
  BOOST_TEST(sets.find(Bulk("s")) != std::string::npos);
  BOOST_TEST(sets.find(Bulk("si")) != std::string::npos);
  BOOST_TEST(sets.find(Bulk("h")) == std::string::npos);
  BOOST_TEST(scan({"TYPE", "string"}) == "*2\r\n$1\r\n0\r\n*1\r\n" + Bulk("str"));
  for (const char* none : {"list", "zset", "stream", "nosuchtype"}) {
    BOOST_TEST(scan({"TYPE", none}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  }
  BOOST_TEST(scan({"MATCH", "big*", "TYPE", "set"}) == "*2\r\n$1\r\n0\r\n*1\r\n" + Bulk("bigset"));
}

BOOST_AUTO_TEST_CASE(key_commands_move_copy_and_expire_containers) {
  Fixture f;
  f.StandardKeys();
  const std::string digest = f.Run({"DEBUG", "DIGEST-VALUE", "h"});
  BOOST_TEST(digest.size() == 4 + 1 + 40 + 2);  // *1, then +<40 hex digits>
  BOOST_TEST(f.Run({"EXISTS", "h", "s", "si", "nokey"}) == ":3\r\n");
  BOOST_TEST(f.Run({"EXPIRE", "h", "100"}) == ":1\r\n");
  BOOST_TEST(f.Run({"TTL", "h"}) == ":100\r\n");
  BOOST_TEST(f.Run({"PERSIST", "h"}) == ":1\r\n");
  BOOST_TEST(f.Run({"TTL", "h"}) == ":-1\r\n");
  BOOST_TEST(f.Run({"COPY", "h", "hcopy"}) == ":1\r\n");
  BOOST_TEST(f.Run({"TYPE", "hcopy"}) == "+hash\r\n");
  BOOST_TEST(f.Run({"DEBUG", "DIGEST-VALUE", "hcopy"}) == digest);
  // A deep copy: deleting the original leaves the copy whole.
  BOOST_TEST(f.Run({"DEL", "h"}) == ":1\r\n");
  BOOST_TEST(f.Run({"DEBUG", "DIGEST-VALUE", "hcopy"}) == digest);
  BOOST_TEST(f.Run({"RENAME", "hcopy", "h"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"DEBUG", "DIGEST-VALUE", "h"}) == digest);
  BOOST_TEST(f.Run({"RENAMENX", "s", "h"}) == ":0\r\n");
  BOOST_TEST(f.Run({"RENAMENX", "s", "s2"}) == ":1\r\n");
  BOOST_TEST(f.Run({"TYPE", "s2"}) == "+set\r\n");
  BOOST_TEST(f.Run({"MOVE", "s2", "1"}) == ":1\r\n");
  BOOST_TEST(f.Run({"SELECT", "1"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"TYPE", "s2"}) == "+set\r\n");
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "s2"}) == Bulk("listpack"));
  BOOST_TEST(f.Run({"SWAPDB", "0", "1"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"TYPE", "h"}) == "+hash\r\n");
  BOOST_TEST(f.Run({"SELECT", "0"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"TYPE", "s2"}) == "+set\r\n");
  BOOST_TEST(f.Run({"RANDOMKEY"}) == Bulk("s2"));
  BOOST_TEST(f.Run({"UNLINK", "s2"}) == ":1\r\n");
  BOOST_TEST(f.Run({"FLUSHALL"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"DBSIZE"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(memory_usage_counts_the_table) {
  Fixture f;
  f.Hash("small", {{"f", "v"}});
  std::vector<engine::FieldValue> many;
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("field-number-" + std::to_string(i));
  for (const std::string& n : names) many.emplace_back(n, n);
  f.Hash("big", many);
  auto usage = [&](std::vector<std::string> argv) {
    std::string r = f.Run(argv);
    BOOST_REQUIRE(r[0] == ':');
    return std::stoll(r.substr(1));
  };
  long long small = usage({"MEMORY", "USAGE", "small"});
  long long big = usage({"MEMORY", "USAGE", "big"});
  BOOST_TEST(big > small + 1000 * 2 * 15);  // at least the bytes of its fields and values
  BOOST_TEST(usage({"MEMORY", "USAGE", "big", "SAMPLES", "0"}) == big);
  BOOST_TEST(usage({"MEMORY", "USAGE", "big", "SAMPLES", "5"}) == big);
  BOOST_TEST(f.Run({"MEMORY", "USAGE", "big", "SAMPLES", "-1"}) == "-ERR syntax error\r\n");
  BOOST_TEST(f.Run({"MEMORY", "USAGE", "big", "SAMPLES", "x"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(f.Run({"MEMORY", "USAGE", "big", "SAMPLES"}) == "-ERR syntax error\r\n");
}

BOOST_AUTO_TEST_CASE(encoding_options_apply_to_the_next_write) {
  Fixture f;
  BOOST_TEST(f.Run({"CONFIG", "GET", "hash-max-ziplist-entries"}) ==
             "*2\r\n" + Bulk("hash-max-ziplist-entries") + Bulk("512"));
  BOOST_TEST(f.Run({"CONFIG", "SET", "hash-max-ziplist-entries", "2"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"CONFIG", "GET", "hash-max-listpack-entries"}) ==
             "*2\r\n" + Bulk("hash-max-listpack-entries") + Bulk("2"));
  f.Hash("h", {{"a", "1"}, {"b", "2"}});
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpack"));
  f.Hash("h", {{"c", "3"}});
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
  BOOST_TEST(f.Run({"CONFIG", "SET", "set-max-listpack-value", "1k"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"CONFIG", "GET", "set-max-listpack-value"}) ==
             "*2\r\n" + Bulk("set-max-listpack-value") + Bulk("1000"));
  f.Set("s", {std::string(900, 'x')});
  BOOST_TEST(f.Run({"OBJECT", "ENCODING", "s"}) == Bulk("listpack"));
  BOOST_TEST(f.Run({"CONFIG", "SET", "set-max-intset-entries", "1kb"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'set-max-intset-entries') - "
             "argument couldn't be parsed into an integer\r\n");
  BOOST_TEST(f.Run({"CONFIG", "SET", "hash-max-listpack-value", "-1"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-value') - "
             "argument must be a memory value\r\n");
  BOOST_TEST(f.Run({"CONFIG", "SET", "set-max-listpack-entries", "-1"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'set-max-listpack-entries') - "
             "argument must be between 0 and 9223372036854775807 inclusive\r\n");
}

BOOST_AUTO_TEST_CASE(debug_digest_is_by_content) {
  Fixture f;
  // The same members added in other orders (and one set converted to a table and back to the
  // same members) digest the same.
  f.Set("a", {"x", "y", "z"});
  f.Set("b", {"z", "x", "y"});
  BOOST_TEST(f.Run({"DEBUG", "DIGEST-VALUE", "a"}) == f.Run({"DEBUG", "DIGEST-VALUE", "b"}));
  f.Hash("h", {{"x", "1"}});
  // A hash is not a set with the same bytes.
  f.Set("c", {"x", "1"});
  BOOST_TEST(f.Run({"DEBUG", "DIGEST-VALUE", "h"}) != f.Run({"DEBUG", "DIGEST-VALUE", "c"}));
  BOOST_TEST(f.Run({"DEBUG", "OBJECT", "a"}).find("encoding:listpack") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(kv_views_of_containers)

namespace {
// The fields of a RESP2 flat map of bulk strings and integers: name -> value.
std::string MapField(const std::string& reply, const std::string& name) {
  size_t pos = reply.find(Bulk(name));
  if (pos == std::string::npos) return "<missing>";
  pos += Bulk(name).size();
  size_t eol = reply.find("\r\n", pos);
  if (reply[pos] == ':') return reply.substr(pos + 1, eol - pos - 1);
  long n = std::stol(reply.substr(pos + 1, eol - pos - 1));
  return n < 0 ? "(nil)" : reply.substr(eol + 2, static_cast<size_t>(n));
}
}  // namespace

BOOST_AUTO_TEST_CASE(kv_get_and_meta_render_hashes_and_sets) {
  Fixture f;
  f.Hash("app.user", {{"name", "ann"}, {"age", "7"}});
  f.Set("app.tags", {"red", "blue", "green"});
  f.Set("app.ids", {"30", "4", "100"});
  std::string r = f.Run({"KV.GET", "app.user"});
  BOOST_TEST(MapField(r, "value") == "{\"age\":\"7\",\"name\":\"ann\"}");
  BOOST_TEST(MapField(r, "type") == "hash");
  BOOST_TEST(MapField(r, "size") == "2");
  // The checksum covers the canonical form: tag, item count, items by field in byte order.
  const std::string canonical_hash =
      std::string("\x01\x04", 2) + "\x03" + "age" + "\x01" + "7" + "\x04" + "name" + "\x03" + "ann";
  BOOST_TEST(MapField(r, "checksum") == engine::ChecksumHex(engine::Checksum(canonical_hash)));
  r = f.Run({"KV.GET", "app.tags"});
  BOOST_TEST(MapField(r, "value") == "[\"blue\",\"green\",\"red\"]");
  BOOST_TEST(MapField(r, "type") == "set");
  BOOST_TEST(MapField(r, "size") == "3");
  const std::string canonical_set =
      std::string("\x04\x03", 2) + "\x04" + "blue" + "\x05" + "green" + "\x03" + "red";
  BOOST_TEST(MapField(r, "checksum") == engine::ChecksumHex(engine::Checksum(canonical_set)));
  // An intset's members are strings too, in byte order.
  BOOST_TEST(MapField(f.Run({"KV.GET", "app.ids"}), "value") == "[\"100\",\"30\",\"4\"]");
  // Equal contents, equal checksum, whatever the order they came in.
  f.Set("app.tags2", {"green", "red", "blue"});
  BOOST_TEST(MapField(f.Run({"KV.META", "app.tags2"}), "checksum") == MapField(r, "checksum"));
  std::string m = f.Run({"KV.META", "app.user"});
  BOOST_TEST(MapField(m, "value") == "<missing>");
  BOOST_TEST(MapField(m, "type") == "hash");
  BOOST_TEST(MapField(m, "size") == "2");
  // Metadata works on containers as on strings.
  BOOST_TEST(f.Run({"KV.SETMETA", "app.user", "owner", "ops"}) == ":1\r\n");
  BOOST_TEST(MapField(f.Run({"KV.META", "app.user"}), "owner") == "ops");
  BOOST_TEST(f.Run({"TYPE", "app.user"}) == "+hash\r\n");
}

BOOST_AUTO_TEST_CASE(kv_pattern_commands_see_a_container_as_one_leaf) {
  Fixture f;
  f.Hash("app.user", {{"name", "ann"}, {"age", "7"}});
  f.Set("app.tags", {"red", "blue"});
  BOOST_TEST(f.Run({"SET", "app.port", "80"}) == "+OK\r\n");
  BOOST_TEST(f.Run({"KV.KEYS", "app.*"}) ==
             "*3\r\n" + Bulk("app.port") + Bulk("app.tags") + Bulk("app.user"));
  BOOST_TEST(f.Run({"KV.COUNT", "app.**"}) == ":3\r\n");
  BOOST_TEST(f.Run({"KV.MGET", "app.*"}) == "*6\r\n" + Bulk("app.port") + Bulk("80") +
                                                Bulk("app.tags") + Bulk("[\"blue\",\"red\"]") +
                                                Bulk("app.user") +
                                                Bulk("{\"age\":\"7\",\"name\":\"ann\"}"));
  BOOST_TEST(f.Run({"KV.TREE", "app"}) == "*3\r\n*3\r\n" + Bulk("app.port") + ":1\r\n:1\r\n" +
                                              "*3\r\n" + Bulk("app.tags") + ":1\r\n:1\r\n" +
                                              "*3\r\n" + Bulk("app.user") + ":1\r\n:1\r\n");
  BOOST_TEST(f.Run({"KV.EXPORT", "app.**"}) ==
             Bulk("{\"app\":{\"port\":\"80\",\"tags\":[\"blue\",\"red\"],\"user\":{\"age\":\"7\","
                  "\"name\":\"ann\"}}}"));
  BOOST_TEST(f.Run({"KV.DEL", "app.**"}) == ":3\r\n");
  BOOST_TEST(f.Run({"DBSIZE"}) == ":0\r\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scripts_on_containers)

BOOST_AUTO_TEST_CASE(redis_call_raises_and_pcall_returns_the_error) {
  Fixture f;
  f.StandardKeys();
  BOOST_TEST(f.Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "h"})
                 .starts_with("-WRONGTYPE Operation against a key holding the wrong kind of value "
                              "script: "));
  BOOST_TEST(f.Run({"EVAL", "local r = redis.pcall('get', KEYS[1]); return r['err']", "1", "h"}) ==
             Bulk("WRONGTYPE Operation against a key holding the wrong kind of value"));
  BOOST_TEST(f.Run({"EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s"}) == kWrongType);
}

BOOST_AUTO_TEST_SUITE_END()
