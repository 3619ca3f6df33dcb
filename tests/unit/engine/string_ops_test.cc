#include "engine/string_ops.h"

#include <boost/test/unit_test.hpp>

#include "engine/keyspace.h"

using namespace dkv::engine;

namespace {
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 1};
  Database& db = ks.db(0);
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(string_ops, Fixture)

BOOST_AUTO_TEST_CASE(incr_overflow_and_type_errors) {
  int64_t r = 0;
  BOOST_TEST((IncrBy(db, "n", 5, &r) == OpStatus::kOk));
  BOOST_TEST(r == 5);
  db.Upsert("max", "9223372036854775807");
  BOOST_TEST((IncrBy(db, "max", 1, &r) == OpStatus::kOverflow));
  db.Upsert("s", "12 ");
  BOOST_TEST((IncrBy(db, "s", 1, &r) == OpStatus::kNotInteger));
}

BOOST_AUTO_TEST_CASE(setrange_pads_with_zeros_and_checks_size) {
  int64_t len = 0;
  BOOST_TEST((SetRange(db, "k", 5, "ab", 1 << 20, &len) == OpStatus::kOk));
  BOOST_TEST(len == 7);
  BOOST_TEST(db.Find("k")->value() == std::string("\0\0\0\0\0ab", 7));
  BOOST_TEST((SetRange(db, "k", (1 << 20), "x", 1 << 20, &len) == OpStatus::kTooLarge));
  BOOST_TEST((SetRange(db, "missing", 10, "", 1 << 20, &len) == OpStatus::kOk));
  BOOST_TEST(db.Find("missing") == nullptr);
}

BOOST_AUTO_TEST_CASE(substring_index_rules) {
  BOOST_TEST(Substring("Hello World", 0, 4) == "Hello");
  BOOST_TEST(Substring("Hello World", -5, -1) == "World");
  BOOST_TEST(Substring("Hello World", 5, 2) == "");
  BOOST_TEST(Substring("Hello World", -1, -5) == "");
  BOOST_TEST(Substring("Hello World", 0, 100) == "Hello World");
  BOOST_TEST(Substring("", 0, -1) == "");
}

BOOST_AUTO_TEST_CASE(lcs_sequence_and_matches) {
  LcsResult r = ComputeLcs("ohmytext", "mynewtext", true);
  BOOST_TEST(r.sequence == "mytext");
  BOOST_REQUIRE_EQUAL(r.matches.size(), 2u);
  BOOST_TEST(r.matches[0].a_start == 4);
  BOOST_TEST(r.matches[0].a_end == 7);
  BOOST_TEST(r.matches[0].b_start == 5);
  BOOST_TEST(r.matches[1].a_start == 2);
  BOOST_TEST(r.matches[1].b_end == 1);
}

BOOST_AUTO_TEST_SUITE_END()
