// Hash field expiration (HEXPIRE family, HGETEX, HSETEX, HGETDEL) through the dispatcher with a
// FakeClock: reply codes, expired fields invisible at once, the active cycle reclaiming them in
// slices, the key going with its last field, and the times carried by the portable form
// (snapshots, PostgreSQL, COPY) and by RENAME.
#include "engine/hash_ttl.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "harness.h"

using namespace dkv::server;

namespace {
std::string Codes(std::initializer_list<int> codes) {
  std::string out = "*" + std::to_string(codes.size()) + "\r\n";
  for (int c : codes) out += ":" + std::to_string(c) + "\r\n";
  return out;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(hash_ttl, CommandHarness)

BOOST_AUTO_TEST_CASE(hexpire_codes_and_conditions) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  BOOST_TEST(Run({"HEXPIRE", "h", "100", "FIELDS", "2", "a", "nope"}) == Codes({1, -2}));
  BOOST_TEST(dkv::engine::DictOf(state.keyspace.db(0).FindRaw("h")) != nullptr);  // the table
  BOOST_TEST(Run({"HEXPIRE", "h", "50", "NX", "FIELDS", "2", "a", "b"}) == Codes({0, 1}));
  BOOST_TEST(Run({"HEXPIRE", "h", "200", "XX", "FIELDS", "2", "a", "c"}) == Codes({1, 0}));
  BOOST_TEST(Run({"HEXPIRE", "h", "100", "GT", "FIELDS", "3", "a", "b", "c"}) == Codes({0, 1, 0}));
  BOOST_TEST(Run({"HEXPIRE", "h", "10", "LT", "FIELDS", "2", "a", "c"}) == Codes({1, 1}));
  BOOST_TEST(Run({"HTTL", "h", "FIELDS", "3", "a", "b", "x"}) == Codes({10, 100, -2}));
  BOOST_TEST(Run({"HPTTL", "h", "FIELDS", "1", "c"}) == Codes({10000}));
  int64_t now = clock.NowMs();
  BOOST_TEST(Run({"HPEXPIRETIME", "h", "FIELDS", "1", "a"}) ==
             "*1\r\n:" + std::to_string(now + 10000) + "\r\n");
  BOOST_TEST(Run({"HPERSIST", "h", "FIELDS", "3", "a", "a", "x"}) == Codes({1, -1, -2}));
  BOOST_TEST(Run({"HTTL", "h", "FIELDS", "1", "a"}) == Codes({-1}));
  // A time not in the future deletes the field at once.
  BOOST_TEST(Run({"HEXPIRE", "h", "0", "FIELDS", "1", "a"}) == Codes({2}));
  BOOST_TEST(Run({"HEXISTS", "h", "a"}) == ":0\r\n");
  BOOST_TEST(Run({"HEXPIRE", "missing", "10", "FIELDS", "2", "a", "b"}) == Codes({-2, -2}));
  BOOST_TEST(Run({"HTTL", "missing", "FIELDS", "1", "a"}) == Codes({-2}));
}

BOOST_AUTO_TEST_CASE(argument_errors) {
  Run({"HSET", "h", "a", "1"});
  Run({"SET", "s", "v"});
  const std::string missing =
      "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n";
  BOOST_TEST(Run({"HEXPIRE", "h", "10", "FIELD", "1", "a"}) == missing);
  BOOST_TEST(Run({"HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "a"}) == missing);
  BOOST_TEST(Run({"HEXPIRE", "h", "10", "FIELDS", "0", "a"}) ==
             "-ERR Parameter `numFields` should be greater than 0\r\n");
  BOOST_TEST(Run({"HEXPIRE", "h", "10", "FIELDS", "2", "a"}) ==
             "-ERR The `numfields` parameter must match the number of arguments\r\n");
  BOOST_TEST(Run({"HEXPIRE", "h", "x", "FIELDS", "1", "a"}) ==
             "-ERR value is not an integer or out of range\r\n");
  BOOST_TEST(Run({"HEXPIRE", "h", "-1", "FIELDS", "1", "a"}) ==
             "-ERR invalid expire time, must be >= 0\r\n");
  BOOST_TEST(Run({"HPEXPIREAT", "h", "281474976710656", "FIELDS", "1", "a"}) ==
             "-ERR invalid expire time in 'hpexpireat' command\r\n");
  BOOST_TEST(Run({"HEXPIRE", "s", "10", "FIELDS", "1", "a"}).rfind("-WRONGTYPE", 0) == 0u);
  BOOST_TEST(Run({"HTTL", "s", "FIELDS", "1", "a"}).rfind("-WRONGTYPE", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(expired_fields_are_invisible_and_the_key_goes_last) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  Run({"HPEXPIRE", "h", "100", "FIELDS", "1", "a"});
  AdvanceMs(100);
  BOOST_TEST(Run({"HGET", "h", "a"}) == "$-1\r\n");
  BOOST_TEST(Run({"HLEN", "h"}) == ":1\r\n");
  BOOST_TEST(Run({"HGETALL", "h"}) == "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
  Run({"HPEXPIRE", "h", "100", "FIELDS", "1", "b"});
  AdvanceMs(150);
  BOOST_TEST(Run({"HLEN", "h"}) == ":0\r\n");
  BOOST_TEST(Run({"EXISTS", "h"}) == ":0\r\n");
  // HSET drops a field's time; HINCRBY keeps it.
  Run({"HSET", "k", "a", "1", "n", "1"});
  Run({"HEXPIRE", "k", "100", "FIELDS", "2", "a", "n"});
  Run({"HSET", "k", "a", "2"});
  Run({"HINCRBY", "k", "n", "1"});
  BOOST_TEST(Run({"HTTL", "k", "FIELDS", "2", "a", "n"}) == Codes({-1, 100}));
}

BOOST_AUTO_TEST_CASE(active_cycle_reclaims_in_slices) {
  for (int i = 0; i < 1000; ++i) Run({"HSET", "h", "f" + std::to_string(i), "v"});
  Run({"HSET", "h", "keep", "v"});
  for (int i = 0; i < 1000; ++i) {
    Run({"HPEXPIRE", "h", "10", "FIELDS", "1", "f" + std::to_string(i)});
  }
  Run({"HSET", "gone", "a", "1"});
  Run({"HPEXPIRE", "gone", "10", "FIELDS", "1", "a"});
  AdvanceMs(20);
  bool more = false;
  size_t first = state.keyspace.ActiveExpireCycle(SIZE_MAX, 1000000, &more);
  BOOST_TEST(first > 0u);
  BOOST_TEST(first <= 256u);
  BOOST_TEST(more);
  for (int i = 0; i < 100 && more; ++i) state.keyspace.ActiveExpireCycle(SIZE_MAX, 1000000, &more);
  BOOST_TEST(!more);
  dkv::engine::Entry* e = state.keyspace.db(0).FindRaw("h");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(dkv::engine::HashLen(e) == 1u);
  BOOST_TEST(state.keyspace.db(0).FindRaw("gone") == nullptr);
}

BOOST_AUTO_TEST_CASE(times_travel_with_the_value) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  Run({"HEXPIRE", "h", "100", "FIELDS", "1", "a"});
  // The portable form carries them.
  dkv::engine::Entry* e = state.keyspace.db(0).FindRaw("h");
  std::string portable = dkv::engine::Serialize(e);
  BOOST_TEST(static_cast<int>(portable[0]) ==
             static_cast<int>(dkv::engine::Encoding::kHashPackedTtl));
  BOOST_TEST(dkv::engine::PortableCount(portable) == 2u);
  std::string value;
  BOOST_REQUIRE(dkv::engine::Materialize(dkv::engine::Kind::kHash, portable,
                                         state.keyspace.container_limits(), &value));
  dkv::engine::Entry* r =
      state.keyspace.db(1).InsertContainer("r", dkv::engine::Kind::kHash, value);
  BOOST_TEST(dkv::engine::FieldTtl(r, "a") == clock.NowMs() + 100000);
  BOOST_TEST(dkv::engine::FieldTtl(r, "b") == 0);
  // COPY and RENAME.
  Run({"COPY", "h", "c"});
  Run({"RENAME", "h", "m"});
  BOOST_TEST(Run({"HTTL", "c", "FIELDS", "2", "a", "b"}) == Codes({100, -1}));
  BOOST_TEST(Run({"HTTL", "m", "FIELDS", "2", "a", "b"}) == Codes({100, -1}));
  AdvanceMs(100000);
  bool more = false;
  state.keyspace.ActiveExpireCycle(SIZE_MAX, 1000000, &more);
  BOOST_TEST(dkv::engine::HashLen(state.keyspace.db(0).FindRaw("m")) == 1u);
  BOOST_TEST(dkv::engine::HashLen(state.keyspace.db(0).FindRaw("c")) == 1u);
  BOOST_TEST(dkv::engine::HashLen(state.keyspace.db(1).FindRaw("r")) == 1u);
}

BOOST_AUTO_TEST_CASE(hgetex_hsetex_hgetdel) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  BOOST_TEST(Run({"HGETEX", "h", "PX", "500", "FIELDS", "2", "a", "x"}) ==
             "*2\r\n$1\r\n1\r\n$-1\r\n");
  BOOST_TEST(Run({"HPTTL", "h", "FIELDS", "1", "a"}) == Codes({500}));
  BOOST_TEST(Run({"HGETEX", "h", "PERSIST", "FIELDS", "1", "a"}) == "*1\r\n$1\r\n1\r\n");
  BOOST_TEST(Run({"HTTL", "h", "FIELDS", "1", "a"}) == Codes({-1}));
  BOOST_TEST(Run({"HGETEX", "h", "EX", "10", "PX", "5", "FIELDS", "1", "a"}) ==
             "-ERR Only one of EX, PX, EXAT, PXAT or PERSIST arguments can be specified\r\n");
  BOOST_TEST(Run({"HSETEX", "n", "FNX", "EX", "100", "FIELDS", "2", "a", "1", "b", "2"}) ==
             ":1\r\n");
  BOOST_TEST(Run({"HSETEX", "n", "FNX", "FIELDS", "1", "a", "9"}) == ":0\r\n");
  BOOST_TEST(Run({"HSETEX", "n", "FXX", "KEEPTTL", "FIELDS", "1", "a", "9"}) == ":1\r\n");
  BOOST_TEST(Run({"HTTL", "n", "FIELDS", "2", "a", "b"}) == Codes({100, 100}));
  BOOST_TEST(Run({"HSETEX", "n", "FIELDS", "1", "b", "3"}) == ":1\r\n");
  BOOST_TEST(Run({"HTTL", "n", "FIELDS", "2", "a", "b"}) == Codes({100, -1}));
  BOOST_TEST(Run({"HSETEX", "n", "FIELDS", "2", "a", "1"}) ==
             "-ERR The `numfields` parameter must match the number of arguments\r\n");
  BOOST_TEST(Run({"HGETDEL", "n", "FIELDS", "3", "a", "x", "b"}) ==
             "*3\r\n$1\r\n9\r\n$-1\r\n$1\r\n3\r\n");
  BOOST_TEST(Run({"EXISTS", "n"}) == ":0\r\n");
  BOOST_TEST(Run({"HGETDEL", "n", "FIELDS", "1", "a"}) == "*1\r\n$-1\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
