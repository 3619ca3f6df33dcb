// The cache tier's rule for which values a command needs in memory before it runs
// (Dispatcher::ColdKeysOf): key specs with ACCESS, and containers that a command of a container
// type reads or changes in place, though Redis' key specs for HSET, SADD, HDEL, SREM, SMOVE
// ("RW" without ACCESS) or HLEN ("RO") do not say so. A cold hash that HSET treated as empty
// would lose its fields.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "engine/hash_ops.h"
#include "engine/keyspace.h"
#include "engine/set_ops.h"
#include "harness.h"

using namespace dkv::server;

namespace {

const CommandSpec* Row(std::string_view name) {
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Rows shaped as Redis 7.2 gives them (group and key specs), independent of the handlers.
CommandSpec Spec(std::string_view name, std::string_view group, KeySpecs keys) {
  CommandSpec spec{};
  spec.name = name;
  spec.group = group;
  spec.keys = keys;
  spec.tenancy = Tenancy::kSession;
  return spec;
}
const CommandSpec kHSet = Spec("hset", "hash", Keys(Range(kKeyRW | kKeyUpdate, 1)));
const CommandSpec kHDel = Spec("hdel", "hash", Keys(Range(kKeyRW | kKeyDelete, 1)));
const CommandSpec kHLen = Spec("hlen", "hash", Keys(Range(kKeyRO, 1)));
const CommandSpec kSAdd = Spec("sadd", "set", Keys(Range(kKeyRW | kKeyInsert, 1)));
const CommandSpec kSMove =
    Spec("smove", "set", Keys(Range(kKeyRW | kKeyDelete, 1), Range(kKeyRW | kKeyInsert, 2)));
const CommandSpec kSUnionStore = Spec(
    "sunionstore", "set", Keys(Range(kKeyOW | kKeyUpdate, 1), Range(kKeyRO | kKeyAccess, 2, -1)));

struct ColdFixture : CommandHarness {
  dkv::engine::Database& db = state.keyspace.db(0);

  ColdFixture() {
    dkv::engine::HashSet(db, "h", {{"f1", "v1"}, {"f2", "v2"}});
    std::vector<std::string> many;
    for (int i = 0; i < 1000; ++i) many.push_back("m" + std::to_string(i));
    dkv::engine::SetAdd(db, "s", std::vector<std::string_view>(many.begin(), many.end()));
    dkv::engine::SetAdd(db, "s2", {"x"});
    db.Insert("str", "value");
    for (const char* key : {"h", "s", "s2", "str"}) db.DropValue(db.FindRaw(key));
  }
  std::vector<std::string> Cold(const CommandSpec& spec, std::vector<std::string> args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    std::vector<DbKey> out;
    dispatcher.ColdKeysOf(spec, session(0), argv, &out);
    std::vector<std::string> keys;
    for (const auto& [index, key] : out) keys.push_back(key);
    return keys;
  }
  std::vector<std::string> Cold(std::string_view row, std::vector<std::string> args) {
    const CommandSpec* spec = Row(row);
    BOOST_REQUIRE(spec != nullptr);
    return Cold(*spec, std::move(args));
  }
};

using Keys_ = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cold_values, ColdFixture)

BOOST_AUTO_TEST_CASE(container_commands_fetch_cold_containers_they_change_or_read) {
  BOOST_TEST(db.FindRaw("h")->cold());
  BOOST_TEST(Cold(kHSet, {"hset", "h", "f3", "v3"}) == Keys_{"h"});
  BOOST_TEST(Cold(kHDel, {"hdel", "h", "f1"}) == Keys_{"h"});
  BOOST_TEST(Cold(kHLen, {"hlen", "h"}) == Keys_{"h"});
  BOOST_TEST(Cold(kSAdd, {"sadd", "s", "new"}) == Keys_{"s"});
  BOOST_TEST(Cold(kSMove, {"smove", "s", "s2", "m1"}) == (Keys_{"s", "s2"}));
  // A STORE destination is overwritten: only the sources.
  BOOST_TEST(Cold(kSUnionStore, {"sunionstore", "s2", "s", "h"}) == (Keys_{"s", "h"}));
  // Absent keys need nothing.
  BOOST_TEST(Cold(kSAdd, {"sadd", "nokey", "a"}).empty());
}

BOOST_AUTO_TEST_CASE(generic_commands_and_strings_keep_their_rule) {
  // ACCESS: read back whatever the key holds.
  BOOST_TEST(Cold("get", {"get", "str"}) == Keys_{"str"});
  BOOST_TEST(Cold("rename", {"rename", "h", "h9"}) == Keys_{"h"});
  BOOST_TEST(Cold("dump", {"dump", "s"}) == Keys_{"s"});
  // Metadata, overwrites and deletions need no value, of a container either.
  for (const char* key : {"h", "s", "str"}) {
    BOOST_TEST_CONTEXT(key) {
      BOOST_TEST(Cold("expire", {"expire", key, "100"}).empty());
      BOOST_TEST(Cold("persist", {"persist", key}).empty());
      BOOST_TEST(Cold("ttl", {"ttl", key}).empty());
      BOOST_TEST(Cold("type", {"type", key}).empty());
      BOOST_TEST(Cold("exists", {"exists", key}).empty());
      BOOST_TEST(Cold("del", {"del", key}).empty());
      BOOST_TEST(Cold("set", {"set", key, "v"}).empty());
    }
  }
  // A string command on a cold container answers WRONGTYPE from the kind alone.
  BOOST_TEST(Cold("strlen", {"strlen", "h"}).empty());
}

BOOST_AUTO_TEST_CASE(an_expired_cold_container_is_not_fetched) {
  db.SetExpire(db.FindRaw("h"), state.keyspace.now_ms() - 1);
  BOOST_TEST(Cold(kHSet, {"hset", "h", "f", "v"}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
