// Containers: hashes and sets in every encoding, their conversions at Redis' limits, the
// portable form, Dict's incremental rehash and SCAN guarantee, and what RENAME, COPY and deletion
// do with a table.
#include "engine/container.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/dict.h"
#include "engine/hash_ops.h"
#include "engine/keyspace.h"
#include "engine/set_ops.h"

using namespace dkv::engine;

namespace {
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);
};
std::vector<std::string> Members(const Entry* e) {
  std::vector<std::string> out;
  SetForEach(e, [&](std::string_view m) {
    out.emplace_back(m);
    return true;
  });
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(container, Fixture)

BOOST_AUTO_TEST_CASE(hash_packed_then_table) {
  BOOST_TEST(HashSet(db, "h", {{"a", "1"}, {"b", "2"}}) == 2u);
  Entry* e = db.Find("h");
  BOOST_TEST(KindName(e->kind()) == "hash");
  BOOST_TEST(EncodingName(EncodingOf(e)) == "listpack");
  BOOST_TEST(HashSet(db, "h", {{"a", "one"}}) == 0u);
  std::string_view v;
  BOOST_TEST(HashGet(db.Find("h"), "a", &v));
  BOOST_TEST(v == "one");
  for (int i = 0; i < 600; ++i) HashSet(db, "h", {{"f" + std::to_string(i), "v"}});
  e = db.Find("h");
  BOOST_TEST(EncodingName(EncodingOf(e)) == "hashtable");
  BOOST_TEST(HashLen(e) == 602u);
  BOOST_TEST(HashGet(e, "b", &v));
  BOOST_TEST(v == "2");
  // A long value converts at once.
  HashSet(db, "h2", {{"x", std::string(65, 'x')}});
  BOOST_TEST(EncodingName(EncodingOf(db.Find("h2"))) == "hashtable");
}

BOOST_AUTO_TEST_CASE(hash_delete_last_field_deletes_key) {
  HashSet(db, "h", {{"a", "1"}, {"b", "2"}});
  uint64_t dirty = ks.dirty();
  BOOST_TEST(HashDelete(db, db.Find("h"), {"a", "zz"}) == 1u);
  BOOST_TEST(ks.dirty() == dirty + 1);
  BOOST_TEST(HashDelete(db, db.Find("h"), {"b"}) == 1u);
  BOOST_TEST(db.Find("h") == nullptr);
}

BOOST_AUTO_TEST_CASE(set_encodings_follow_redis_72) {
  SetAdd(db, "s", {"1", "2", "3"});
  BOOST_TEST(EncodingName(EncodingOf(db.Find("s"))) == "intset");
  SetAdd(db, "s", {"a"});
  BOOST_TEST(EncodingName(EncodingOf(db.Find("s"))) == "listpack");
  BOOST_TEST((Members(db.Find("s")) == std::vector<std::string>{"1", "2", "3", "a"}));
  for (int i = 0; i < 512; ++i) SetAdd(db, "big", {std::to_string(i * 100000)});
  BOOST_TEST(EncodingName(EncodingOf(db.Find("big"))) == "intset");
  SetAdd(db, "big", {"-1"});
  BOOST_TEST(EncodingName(EncodingOf(db.Find("big"))) == "hashtable");
  BOOST_TEST(SetLen(db.Find("big")) == 513u);
  BOOST_TEST(SetContains(db.Find("big"), "51100000"));
  BOOST_TEST(!SetContains(db.Find("big"), "051100000"));
  BOOST_TEST(SetRemove(db, db.Find("s"), {"a", "1", "2", "3"}) == 4u);
  BOOST_TEST(db.Find("s") == nullptr);
}

BOOST_AUTO_TEST_CASE(intset_widths) {
  SetAdd(db, "s", {"5", "-70000", "9000000000", "0"});
  Entry* e = db.Find("s");
  BOOST_TEST(EncodingName(EncodingOf(e)) == "intset");
  BOOST_TEST((Members(e) == std::vector<std::string>{"-70000", "0", "5", "9000000000"}));
  BOOST_TEST(SetContains(e, "9000000000"));
}

BOOST_AUTO_TEST_CASE(portable_round_trip_and_damage) {
  for (int i = 0; i < 300; ++i) HashSet(db, "h", {{"f" + std::to_string(i), std::to_string(i)}});
  std::string portable = Serialize(db.Find("h"));
  BOOST_TEST(PortableCount(portable) == 300u);
  std::string bytes;
  BOOST_TEST(Materialize(Kind::kHash, portable, ks.container_limits(), &bytes));
  EntryMeta meta;
  meta.kind = Kind::kHash;
  Entry* copy = db.Restore("copy", portable, meta);
  BOOST_REQUIRE(copy != nullptr);
  BOOST_TEST(HashLen(copy) == 300u);
  std::string v2;
  BOOST_TEST(!Materialize(Kind::kSet, portable, ks.container_limits(), &v2));
  BOOST_TEST(!Materialize(Kind::kHash, portable.substr(0, portable.size() - 1),
                          ks.container_limits(), &v2));
  std::string huge_count = std::string(1, '\x01') + "\xff\xff\xff\xff\x0f";
  BOOST_TEST(!Materialize(Kind::kHash, huge_count, ks.container_limits(), &v2));
  // The table built by the first Materialize belongs to nobody: free it.
  Entry* owner = db.InsertContainer("owner", Kind::kHash, bytes);
  BOOST_TEST(HashLen(owner) == 300u);
}

BOOST_AUTO_TEST_CASE(rename_moves_table_copy_clones_it) {
  for (int i = 0; i < 300; ++i) SetAdd(db, "s", {"m" + std::to_string(i)});
  Dict* dict = DictOf(db.Find("s"));
  Entry* moved = db.Rename(db.Find("s"), "t");
  BOOST_TEST(DictOf(moved) == dict);
  Entry* copy = db.CopyTo(moved, db, "u");
  BOOST_TEST(DictOf(copy) != dict);
  BOOST_TEST(SetLen(copy) == 300u);
  BOOST_TEST(db.Delete("t"));
  BOOST_TEST(SetLen(db.Find("u")) == 300u);
}

BOOST_AUTO_TEST_CASE(set_pop_and_store) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) SetAdd(db, "s", {"m" + std::to_string(i)});
  std::vector<std::string> popped = SetPop(db, db.Find("s"), 10, rng);
  BOOST_TEST(popped.size() == 10u);
  BOOST_TEST(SetLen(db.Find("s")) == 990u);
  for (const auto& m : popped) BOOST_TEST(!SetContains(db.Find("s"), m));
  SetStore(db, "d", {"1", "2", "x"});
  BOOST_TEST(EncodingName(EncodingOf(db.Find("d"))) == "listpack");
  SetStore(db, "d", {});
  BOOST_TEST(db.Find("d") == nullptr);
}

BOOST_AUTO_TEST_CASE(dict_scan_survives_resizes) {
  Dict d(false);
  for (int i = 0; i < 5000; ++i) d.Add("k" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = d.Scan(cursor, [&](const Dict::Node* n) { seen.emplace(Dict::KeyOf(n)); });
    // Grow and shrink meanwhile: keys k0..k4999 stay, others come and go.
    if (steps == 10) {
      for (int i = 0; i < 20000; ++i) d.Add("x" + std::to_string(i));
    }
    if (steps == 400) {
      for (int i = 0; i < 20000; ++i) d.Erase("x" + std::to_string(i));
    }
    ++steps;
  } while (cursor != 0 && steps < 1000000);
  for (int i = 0; i < 5000; ++i) BOOST_TEST(seen.count("k" + std::to_string(i)) == 1u);
  BOOST_TEST(d.size() == 5000u);
}

BOOST_AUTO_TEST_CASE(huge_dict_freed_in_slices) {
  for (int i = 0; i < 10000; ++i) SetAdd(db, "s", {"m" + std::to_string(i)});
  BOOST_TEST(db.Delete("s"));
  BOOST_TEST(db.has_garbage());
  BOOST_TEST(!db.ReapGarbage(100));
  BOOST_TEST(db.ReapGarbage(100000));
  BOOST_TEST(!db.has_garbage());
}

// Random operations against a model, across every encoding and conversion: small limits make
// conversions frequent; HashScan/SetScan iterations must return every element.
BOOST_AUTO_TEST_CASE(model_based_random_operations) {
  ContainerLimits limits;
  limits.hash_max_entries = 8;
  limits.hash_max_value = 6;
  limits.set_max_intset_entries = 16;
  limits.set_max_entries = 8;
  limits.set_max_value = 6;
  ks.set_container_limits(limits);
  std::mt19937_64 rng(42);
  std::map<std::string, std::string> hmodel;
  std::set<std::string> smodel;
  auto pick = [&](int range) {
    int v = static_cast<int>(rng() % range);
    // Mostly integers (intsets), sometimes strings, sometimes long ones.
    if (rng() % 4 == 0) return std::string("s") + std::to_string(v);
    if (rng() % 20 == 0) return std::string(10, 'L') + std::to_string(v);
    return std::to_string(v - range / 2);
  };
  for (int step = 0; step < 20000; ++step) {
    std::string a = pick(60), b = pick(60);
    switch (rng() % 6) {
      case 0:
      case 1: {
        size_t added = HashSet(db, "h", {{a, b}});
        BOOST_TEST(added == (hmodel.count(a) ? 0u : 1u));
        hmodel[a] = b;
        break;
      }
      case 2: {
        Entry* e = db.Find("h");
        size_t removed = e ? HashDelete(db, e, {a}) : 0;
        BOOST_TEST(removed == hmodel.erase(a));
        break;
      }
      case 3:
      case 4: {
        size_t added = SetAdd(db, "s", {a, b});
        size_t expect = (smodel.count(a) ? 0 : 1) + (a != b && !smodel.count(b) ? 1 : 0);
        BOOST_TEST(added == expect);
        smodel.insert(a);
        smodel.insert(b);
        break;
      }
      case 5: {
        Entry* e = db.Find("s");
        size_t removed = e ? SetRemove(db, e, {a}) : 0;
        BOOST_TEST(removed == smodel.erase(a));
        break;
      }
    }
    if (step % 1000 == 999) {
      Entry* h = db.Find("h");
      BOOST_TEST((h == nullptr) == hmodel.empty());
      if (h != nullptr) {
        BOOST_TEST(HashLen(h) == hmodel.size());
        std::map<std::string, std::string> seen;
        uint64_t cursor = 0;
        do {
          cursor = HashScan(h, cursor, [&](std::string_view f, std::string_view v) {
            seen[std::string(f)] = std::string(v);
          });
        } while (cursor != 0);
        BOOST_TEST((seen == hmodel));
        std::string portable = Serialize(h);
        std::string bytes;
        BOOST_TEST(Materialize(Kind::kHash, portable, limits, &bytes));
        db.Delete("h2");
        Entry* h2 = db.InsertContainer("h2", Kind::kHash, bytes);
        BOOST_TEST(HashLen(h2) == hmodel.size());
      }
      Entry* s = db.Find("s");
      BOOST_TEST((s == nullptr) == smodel.empty());
      if (s != nullptr) {
        std::vector<std::string> expect(smodel.begin(), smodel.end());
        BOOST_TEST((Members(s) == expect));
        for (const auto& m : smodel) BOOST_TEST(SetContains(s, m));
        BOOST_TEST(!SetContains(s, "absent"));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(dict_random_is_uniform) {
  // Members that share a bucket come out as often as members alone (SRANDMEMBER's chi-square).
  for (size_t n : {3u, 10u, 50u}) {
    Dict d(false);
    for (size_t i = 0; i < n; ++i) d.Add("m" + std::to_string(i));
    std::mt19937_64 rng(7);
    std::map<std::string, size_t> counts;
    const size_t draws = 2000 * n;
    for (size_t i = 0; i < draws; ++i) ++counts[std::string(Dict::KeyOf(d.Random(rng)))];
    BOOST_TEST(counts.size() == n);
    double expected = 2000.0, chi = 0;
    for (const auto& [k, c] : counts) chi += (c - expected) * (c - expected) / expected;
    // Far above the 0.00001 quantile of chi-square with n - 1 degrees of freedom.
    BOOST_TEST(chi < 2.0 * n + 40);
  }
}

// Redis' SCAN regression test for issue #4906: most elements removed mid-iteration (the table
// starts shrinking while the cursor is in flight) must not hide the ones that stay.
BOOST_AUTO_TEST_CASE(dict_scan_while_shrinking) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    Dict d(false);
    d.Add("x");
    int numele = 101 + static_cast<int>(rng() % 1000);
    for (int j = 0; j < numele; ++j) d.Add(std::to_string(j));
    int del_iteration = static_cast<int>(rng() % 10);
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int iteration = 0;
    do {
      size_t got = 0;
      do {
        cursor = d.Scan(cursor, [&](const Dict::Node* n) {
          seen.emplace(Dict::KeyOf(n));
          ++got;
        });
      } while (cursor != 0 && got < 10);
      ++iteration;
      if (iteration == del_iteration) {
        for (int j = 100; j < numele; ++j) d.Erase(std::to_string(j));
      }
    } while (cursor != 0);
    for (int j = 0; j < 100; ++j) BOOST_TEST(seen.count(std::to_string(j)) == 1u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
