#include "engine/string_ops.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

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

BOOST_FIXTURE_TEST_SUITE(metadata_properties, Fixture)

// Random writes through every path that changes a value, TTL or fields: after each, the version
// grew by exactly one per value change, size is the value's length, the checksum is the value's
// XXH3, and timestamps never run backwards.
BOOST_AUTO_TEST_CASE(random_writes_keep_metadata_consistent) {
  std::mt19937 rng(42);
  std::map<std::string, std::pair<std::string, uint32_t>> model;  // value, version
  for (int i = 0; i < 20000; ++i) {
    clock.AdvanceMs(rng() % 3);
    ks.RefreshTime();
    std::string key = "k" + std::to_string(rng() % 50);
    Entry* before = db.FindRaw(key);
    int64_t updated_before = before ? before->updated_ms() : 0;
    switch (rng() % 7) {
      case 0: {
        std::string v(rng() % 300, static_cast<char>('a' + rng() % 26));
        db.Upsert(key, v);
        model[key] = {v, before ? model[key].second + 1 : 1};
        break;
      }
      case 1: {
        int64_t len = 0;
        std::string suffix(rng() % 200, 'x');
        Append(db, key, suffix, 1 << 20, &len);
        if (before) {
          model[key].first += suffix;
          model[key].second++;
        } else {
          model[key] = {suffix, 1};
        }
        break;
      }
      case 2: {
        int64_t r = 0;
        db.Upsert(key, std::to_string(rng() % 100));
        model[key] = {std::string(db.FindRaw(key)->value()), before ? model[key].second + 1 : 1};
        IncrBy(db, key, 3, &r);
        model[key].first = std::to_string(r);
        model[key].second++;
        break;
      }
      case 3:
        if (before) db.SetExpire(before, clock.NowMs() + 100000);  // no version change
        break;
      case 4:
        if (before) db.SetFields(before, {{"f", std::to_string(i)}});  // no version change
        break;
      case 5:
        if (db.Erase(key)) model.erase(key);
        break;
      case 6: {
        int64_t len = 0;
        std::string data(1 + rng() % 20, 'y');
        int64_t offset = rng() % 400;
        SetRange(db, key, offset, data, 1 << 20, &len);
        auto& m = model[key];
        if (!before) m = {"", 0};
        if (m.first.size() < static_cast<size_t>(offset) + data.size()) {
          m.first.resize(static_cast<size_t>(offset) + data.size(), '\0');
        }
        m.first.replace(static_cast<size_t>(offset), data.size(), data);
        m.second = before ? m.second + 1 : 2;  // created (1), then written (2)
        break;
      }
    }
    Entry* e = db.FindRaw(key);
    auto it = model.find(key);
    BOOST_REQUIRE_EQUAL(e != nullptr, it != model.end());
    if (e == nullptr) continue;
    BOOST_REQUIRE_EQUAL(e->value(), it->second.first);
    BOOST_REQUIRE_EQUAL(e->version(), it->second.second);
    BOOST_REQUIRE(e->updated_ms() >= updated_before);
    BOOST_REQUIRE(e->created_ms() <= e->updated_ms());
    BOOST_REQUIRE_EQUAL(Checksum(e->value()), Checksum(it->second.first));
  }
}

BOOST_AUTO_TEST_SUITE_END()
