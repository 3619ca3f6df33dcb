#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <set>
#include <string>

#include "engine/keyspace.h"

using namespace dkv::engine;

namespace {
// The tree is exercised through Database, which owns entries; std::map is the model.
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 1};
  Database& db = ks.db(0);
  std::map<std::string, std::string> model;

  std::vector<std::string> WalkKeys(const std::string& prefix, const std::string& start,
                                    bool exclusive, size_t limit = SIZE_MAX) {
    std::vector<std::string> out;
    db.Walk(prefix, start, exclusive, [&](Entry* e) {
      out.emplace_back(e->key());
      return out.size() < limit;
    });
    return out;
  }
  std::vector<std::string> ModelKeys(const std::string& prefix, const std::string& start,
                                     bool exclusive) {
    std::vector<std::string> out;
    std::string from = start < prefix ? prefix : start;
    auto it = exclusive && start >= prefix ? model.upper_bound(from) : model.lower_bound(from);
    for (; it != model.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(it->first);
    }
    return out;
  }
  size_t ModelCount(const std::string& prefix) {
    size_t n = 0;
    for (auto it = model.lower_bound(prefix);
         it != model.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      ++n;
    }
    return n;
  }
};

std::string RandomKey(std::mt19937& rng) {
  // Short keys over a small alphabet: many shared prefixes, keys that are prefixes of others,
  // long compressed paths (the "xxxxxxxxxxxx" run) and bytes that need sorting as unsigned.
  static const std::string kParts[] = {
      "a", "b", ".", "ab", "xxxxxxxxxxxx", "\xff", std::string(1, '\0'), "z"};
  std::string k;
  int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) k += kParts[rng() % 8];
  return k;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(art_tree, Fixture)

BOOST_AUTO_TEST_CASE(random_operations_against_std_map) {
  std::mt19937 rng(11);
  for (int i = 0; i < 60000; ++i) {
    std::string key = RandomKey(rng);
    switch (rng() % 5) {
      case 0:
      case 1:
        db.Upsert(key, "v" + std::to_string(i));
        model[key] = "v" + std::to_string(i);
        break;
      case 2:
        BOOST_REQUIRE_EQUAL(db.Erase(key), model.erase(key) == 1);
        break;
      case 3: {
        Entry* e = db.FindRaw(key);
        BOOST_REQUIRE_EQUAL(e != nullptr, model.count(key) == 1);
        if (e) BOOST_REQUIRE_EQUAL(e->value(), model[key]);
        break;
      }
      case 4: {
        std::string prefix = RandomKey(rng).substr(0, rng() % 4);
        BOOST_REQUIRE_EQUAL(db.CountPrefix(prefix), ModelCount(prefix));
        std::string start = prefix + RandomKey(rng).substr(0, 2);
        bool exclusive = rng() % 2;
        auto got = WalkKeys(prefix, start, exclusive);
        auto want = ModelKeys(prefix, start, exclusive);
        BOOST_REQUIRE_MESSAGE(got == want, "walk prefix='" << prefix << "' start='" << start
                                                           << "' got " << got.size() << " want "
                                                           << want.size());
        break;
      }
    }
    BOOST_REQUIRE_EQUAL(db.size(), model.size());
  }
  auto all = WalkKeys("", "", false);
  BOOST_TEST(all == ModelKeys("", "", false), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(delete_prefix_matches_the_model) {
  std::mt19937 rng(5);
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < 50; ++i) {
      std::string key = RandomKey(rng);
      db.Upsert(key, "v");
      model[key] = "v";
    }
    std::string prefix = RandomKey(rng).substr(0, 1 + rng() % 3);
    size_t expected = ModelCount(prefix);
    BOOST_REQUIRE_EQUAL(db.DeletePrefix(prefix), expected);
    for (auto it = model.lower_bound(prefix);
         it != model.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      it = model.erase(it);
    }
    BOOST_REQUIRE_EQUAL(db.size(), model.size());
    BOOST_REQUIRE(WalkKeys("", "", false) == ModelKeys("", "", false));
    db.ReapGarbage(SIZE_MAX);
  }
}

BOOST_AUTO_TEST_CASE(hierarchical_keys_and_counts) {
  for (int t = 0; t < 10; ++t) {
    for (int u = 0; u < 100; ++u) {
      db.Insert("app.tenant" + std::to_string(t) + ".user" + std::to_string(u) + ".profile", "p");
    }
  }
  db.Insert("app.tenant7", "itself");
  BOOST_TEST(db.CountPrefix("app.tenant7.") == 100u);
  BOOST_TEST(db.CountPrefix("app.tenant7") == 101u);
  BOOST_TEST(db.CountPrefix("app.tenant1") == 100u);  // tenant1 only: tenant10 does not exist
  BOOST_TEST(db.CountPrefix("app.") == 1001u);
  BOOST_TEST(db.CountPrefix("nope") == 0u);
  auto keys = WalkKeys("app.tenant7.", "app.tenant7.", false, 3);
  BOOST_REQUIRE_EQUAL(keys.size(), 3u);
  BOOST_TEST(keys[0] == "app.tenant7.user0.profile");
  BOOST_TEST(keys[1] == "app.tenant7.user1.profile");
  BOOST_TEST(keys[2] == "app.tenant7.user10.profile");
  keys = WalkKeys("app.tenant7.", keys[2], true, 1);
  BOOST_TEST(keys[0] == "app.tenant7.user11.profile");
}

BOOST_AUTO_TEST_CASE(random_entry_is_roughly_uniform) {
  for (int i = 0; i < 8; ++i) db.Insert("k" + std::string(static_cast<size_t>(i), 'x'), "v");
  std::map<std::string, int> hits;
  for (int i = 0; i < 8000; ++i) hits[std::string(db.RandomEntry(ks.rng())->key())]++;
  BOOST_TEST(hits.size() == 8u);
  for (auto& [k, n] : hits) BOOST_TEST_CONTEXT(k) {
      BOOST_TEST((n > 700 && n < 1300));
    }
}

BOOST_AUTO_TEST_CASE(deeply_nested_prefixes_need_no_recursion) {
  // 20,000 keys each a prefix of the next: a chain of 20,000 nested nodes.
  std::string key;
  for (int i = 0; i < 20000; ++i) {
    key += 'a';
    db.Insert(key, "v");
  }
  BOOST_TEST(db.CountPrefix("aaaa") == 19997u);
  size_t n = 0;
  db.ForEach([&](Entry*) { ++n; });
  BOOST_TEST(n == 20000u);
  BOOST_TEST(db.DeletePrefix("a") == 20000u);
  BOOST_TEST(db.ReapGarbage(SIZE_MAX));
}

BOOST_AUTO_TEST_SUITE_END()
