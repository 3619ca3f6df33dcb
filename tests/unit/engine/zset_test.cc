// Sorted sets: both encodings, conversion at Redis' limits, ranks and ranges against a model
// (std::set) under random operations, the portable form (and its refusals), clone, release in
// slices, and the write side effects (dirty counts, versions, deletion of an emptied key).
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/keyspace.h"
#include "engine/packed.h"
#include "engine/skiplist.h"
#include "engine/zset_ops.h"

using namespace dkv::engine;

namespace {
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);
};

using Pairs = std::vector<std::pair<double, std::string_view>>;

std::vector<std::pair<std::string, double>> All(const Entry* e) {
  std::vector<std::pair<std::string, double>> out;
  size_t n = ZsetLen(e);
  if (n == 0) return out;
  ZsetRangeByRank(e, 0, n - 1, false, [&](std::string_view m, double s) {
    out.emplace_back(std::string(m), s);
    return true;
  });
  return out;
}

void SetMaxEntries(Keyspace& ks, size_t n) {
  ContainerLimits limits = ks.container_limits();
  limits.zset_max_entries = n;
  ks.set_container_limits(limits);
}

std::string Enc(const Entry* e) { return std::string(EncodingName(EncodingOf(e))); }
}  // namespace

BOOST_FIXTURE_TEST_SUITE(zset, Fixture)

BOOST_AUTO_TEST_CASE(add_score_rank_packed_then_skiplist) {
  ZaddResult r = ZsetAdd(db, "z", Pairs{{2, "b"}, {1, "a"}, {3, "c"}}, {});
  BOOST_TEST(r.added == 3u);
  Entry* e = db.Find("z");
  BOOST_TEST(KindName(e->kind()) == "zset");
  BOOST_TEST(Enc(e) == "listpack");
  BOOST_TEST(ZsetLen(e) == 3u);
  double s = 0;
  BOOST_TEST(ZsetScore(e, "b", &s));
  BOOST_TEST(s == 2.0);
  size_t rank = 0;
  BOOST_TEST(ZsetRank(e, "c", false, &rank, &s));
  BOOST_TEST(rank == 2u);
  BOOST_TEST(ZsetRank(e, "c", true, &rank, &s));
  BOOST_TEST(rank == 0u);
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("m" + std::to_string(i));
  for (int i = 0; i < 200; ++i) ZsetAdd(db, "z", Pairs{{double(i), names[i]}}, {});
  e = db.Find("z");
  BOOST_TEST(Enc(e) == "skiplist");
  BOOST_TEST(ZsetLen(e) == 203u);
  BOOST_TEST(ZsetRank(e, "m10", false, &rank, &s));
  BOOST_TEST(s == 10.0);
  // a=1 m0=0 m1=1: order m0(0), a(1), m1(1), b(2), m2, c(3), m3 ...
  BOOST_TEST(rank == 13u);
  // A long member converts at once; a big ZADD creates a skiplist directly.
  ZsetAdd(db, "long", Pairs{{1, "x"}}, {});
  std::string big(65, 'x');
  ZsetAdd(db, "long", Pairs{{1, big}}, {});
  BOOST_TEST(Enc(db.Find("long")) == "skiplist");
  Pairs many;
  for (int i = 0; i < 129; ++i) many.push_back({double(i), names[i]});
  ZsetAdd(db, "many", many, {});
  BOOST_TEST(Enc(db.Find("many")) == "skiplist");
  many.pop_back();
  ZsetAdd(db, "fits", many, {});
  BOOST_TEST(Enc(db.Find("fits")) == "listpack");
}

BOOST_AUTO_TEST_CASE(add_flags) {
  ZaddFlags nx;
  nx.nx = true;
  ZsetAdd(db, "z", Pairs{{1, "a"}}, {});
  ZaddResult r = ZsetAdd(db, "z", Pairs{{5, "a"}, {2, "b"}}, nx);
  BOOST_TEST(r.added == 1u);
  double s = 0;
  ZsetScore(db.Find("z"), "a", &s);
  BOOST_TEST(s == 1.0);
  ZaddFlags xx;
  xx.xx = true;
  r = ZsetAdd(db, "z", Pairs{{5, "a"}, {2, "c"}}, xx);
  BOOST_TEST(r.added == 0u);
  BOOST_TEST(r.changed == 1u);
  BOOST_TEST(ZsetLen(db.Find("z")) == 2u);
  // XX on a missing key creates nothing.
  ZsetAdd(db, "none", Pairs{{1, "a"}}, xx);
  BOOST_TEST(db.Find("none") == nullptr);
  ZaddFlags gt;
  gt.gt = true;
  r = ZsetAdd(db, "z", Pairs{{4, "a"}}, gt);
  BOOST_TEST(r.changed == 0u);
  r = ZsetAdd(db, "z", Pairs{{6, "a"}}, gt);
  BOOST_TEST(r.changed == 1u);
  ZaddFlags incr;
  incr.incr = true;
  r = ZsetAdd(db, "z", Pairs{{1.5, "a"}}, incr);
  BOOST_TEST(r.score == 7.5);
  r = ZsetAdd(db, "z", Pairs{{std::numeric_limits<double>::infinity(), "a"}}, incr);
  BOOST_TEST(r.score == std::numeric_limits<double>::infinity());
  r = ZsetAdd(db, "z", Pairs{{-std::numeric_limits<double>::infinity(), "a"}}, incr);
  BOOST_TEST(r.nan);
  ZsetScore(db.Find("z"), "a", &s);
  BOOST_TEST(std::isinf(s));
  incr.lt = true;
  r = ZsetAdd(db, "z", Pairs{{1, "b"}}, incr);
  BOOST_TEST(r.skipped);
}

BOOST_AUTO_TEST_CASE(ranges_and_counts_match_a_model) {
  for (size_t limit : {size_t{128}, size_t{0}}) {
    SetMaxEntries(ks, limit);
    std::mt19937_64 rng(limit + 7);
    std::map<std::string, double> model;
    std::string key = "z" + std::to_string(limit);
    for (int step = 0; step < 3000; ++step) {
      std::string m = "m" + std::to_string(rng() % 100);
      double score = static_cast<double>(rng() % 20);
      if (rng() % 4 == 0 && db.Find(key)) {
        size_t removed = ZsetRemove(db, db.Find(key), {m});
        BOOST_TEST(removed == model.erase(m));
      } else {
        ZsetAdd(db, key, Pairs{{score, m}}, {});
        model[m] = score;
      }
      Entry* e = db.Find(key);
      BOOST_TEST((e == nullptr) == model.empty());
      if (e == nullptr || step % 50 != 0) continue;
      BOOST_TEST(Enc(e) == (limit == 0 ? "skiplist" : "listpack"));
      std::set<std::pair<double, std::string>> ordered;
      for (auto& [k, v] : model) ordered.insert({v, k});
      std::vector<std::pair<std::string, double>> want;
      for (auto& [v, k] : ordered) want.emplace_back(k, v);
      BOOST_TEST(All(e) == want);
      for (size_t i = 0; i < want.size(); ++i) {
        size_t rank = 0;
        double s = 0;
        BOOST_TEST(ZsetRank(e, want[i].first, false, &rank, &s));
        BOOST_TEST(rank == i);
      }
      for (double lo = -1; lo < 21; lo += 3) {
        for (double hi = lo; hi < 22; hi += 4) {
          for (int excl = 0; excl < 4; ++excl) {
            ScoreRange r{lo, hi, (excl & 1) != 0, (excl & 2) != 0};
            std::vector<std::pair<std::string, double>> in;
            for (auto& p : want) {
              bool ok = (r.min_exclusive ? p.second > lo : p.second >= lo) &&
                        (r.max_exclusive ? p.second < hi : p.second <= hi);
              if (ok) in.push_back(p);
            }
            BOOST_TEST(ZsetCountByScore(e, r) == in.size());
            std::vector<std::pair<std::string, double>> got;
            ZsetRangeByScore(e, r, true, 1, 3, [&](std::string_view m, double s) {
              got.emplace_back(std::string(m), s);
              return true;
            });
            std::vector<std::pair<std::string, double>> exp;
            for (size_t i = 1; i < in.size() + 1 && exp.size() < 3; ++i) {
              if (in.size() >= 1 + i) exp.push_back(in[in.size() - 1 - i]);
            }
            BOOST_TEST(got == exp);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(lex_ranges) {
  ZsetAdd(db, "z", Pairs{{0, "a"}, {0, "b"}, {0, "c"}, {0, "d"}}, {});
  LexRange r;
  r.min = "b";
  r.max = "c";
  BOOST_TEST(ZsetCountByLex(db.Find("z"), r) == 2u);
  r.min_exclusive = true;
  BOOST_TEST(ZsetCountByLex(db.Find("z"), r) == 1u);
  r.min_is_neg_inf = true;
  BOOST_TEST(ZsetCountByLex(db.Find("z"), r) == 3u);
  r.max_is_pos_inf = true;
  BOOST_TEST(ZsetCountByLex(db.Find("z"), r) == 4u);
  LexRange rm;
  rm.min = "b";
  rm.max = "c";
  BOOST_TEST(ZsetRemoveRangeByLex(db, db.Find("z"), rm) == 2u);
  BOOST_TEST(ZsetLen(db.Find("z")) == 2u);
}

BOOST_AUTO_TEST_CASE(pop_and_remove_ranges_write_effects) {
  ZsetAdd(db, "z", Pairs{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}}, {});
  uint64_t dirty = ks.dirty();
  uint32_t version = db.Find("z")->version();
  auto popped = ZsetPop(db, db.Find("z"), true, 2);
  BOOST_TEST(popped.size() == 2u);
  BOOST_TEST(popped[0].member == "d");
  BOOST_TEST(popped[1].member == "c");
  BOOST_TEST(ks.dirty() == dirty + 2);
  BOOST_TEST(db.Find("z")->version() == version + 1);
  popped = ZsetPop(db, db.Find("z"), false, 10);
  BOOST_TEST(popped.size() == 2u);
  BOOST_TEST(popped[0].member == "a");
  BOOST_TEST(db.Find("z") == nullptr);
  ZsetAdd(db, "z", Pairs{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}}, {});
  BOOST_TEST(ZsetRemoveRangeByRank(db, db.Find("z"), 1, 2) == 2u);
  BOOST_TEST(All(db.Find("z")).size() == 2u);
  ScoreRange all{-INFINITY, INFINITY, false, false};
  BOOST_TEST(ZsetRemoveRangeByScore(db, db.Find("z"), all) == 2u);
  BOOST_TEST(db.Find("z") == nullptr);
}

BOOST_AUTO_TEST_CASE(store_picks_encoding) {
  std::vector<ScoredMember> ms;
  for (int i = 0; i < 5; ++i) ms.push_back({"m" + std::to_string(i), double(5 - i)});
  ZsetStore(db, "d", ms);
  BOOST_TEST(Enc(db.Find("d")) == "listpack");
  BOOST_TEST(All(db.Find("d"))[0].first == "m4");
  for (int i = 5; i < 200; ++i) ms.push_back({"m" + std::to_string(i), double(i)});
  ZsetStore(db, "d", ms);
  BOOST_TEST(Enc(db.Find("d")) == "skiplist");
  BOOST_TEST(ZsetLen(db.Find("d")) == 200u);
  ZsetStore(db, "d", {});
  BOOST_TEST(db.Find("d") == nullptr);
}

BOOST_AUTO_TEST_CASE(portable_form_round_trip_and_damage) {
  for (size_t limit : {size_t{128}, size_t{0}}) {
    SetMaxEntries(ks, limit);
    ZsetAdd(db, "z", Pairs{{1, "a"}, {-2.5, "b"}, {1, "c"}}, {});
    std::string portable = Serialize(db.Find("z"));
    BOOST_TEST(PortableCount(portable) == 3u);
    std::string value;
    BOOST_TEST(Materialize(Kind::kZset, portable, ks.container_limits(), &value));
    Entry* copy = db.InsertContainer("copy", Kind::kZset, value);
    BOOST_TEST(All(copy) == All(db.Find("z")));
    std::string cloned = CloneContainer(copy);
    Entry* c2 = db.InsertContainer("c2", Kind::kZset, cloned);
    BOOST_TEST(All(c2) == All(copy));
    db.Delete(c2);
    db.Delete(copy);
    // Damage: truncated, odd count, bad score length, NaN, duplicates.
    for (size_t cut = 1; cut < portable.size(); ++cut) {
      BOOST_TEST(!Materialize(Kind::kZset, portable.substr(0, cut), ks.container_limits(), &value));
    }
    auto build = [](std::vector<std::pair<std::string, std::string>> items) {
      std::string p(1, static_cast<char>(Encoding::kZsetPacked));
      packed::AppendVarint(&p, items.size() * 2);
      for (auto& [m, s] : items) {
        packed::AppendItem(&p, m);
        packed::AppendItem(&p, s);
      }
      return p;
    };
    std::string one(8, '\0');
    double nan = std::nan("");
    std::string nanbytes(reinterpret_cast<const char*>(&nan), 8);
    BOOST_TEST(Materialize(Kind::kZset, build({{"a", one}}), ks.container_limits(), &value));
    db.Delete(db.InsertContainer("t", Kind::kZset, value));  // frees what was built
    db.Delete("z");
    BOOST_TEST(!Materialize(Kind::kZset, build({{"a", "1"}}), ks.container_limits(), &value));
    BOOST_TEST(!Materialize(Kind::kZset, build({{"a", nanbytes}}), ks.container_limits(), &value));
    BOOST_TEST(
        !Materialize(Kind::kZset, build({{"a", one}, {"a", one}}), ks.container_limits(), &value));
    BOOST_TEST(!Materialize(Kind::kZset, build({}), ks.container_limits(), &value));
  }
}

BOOST_AUTO_TEST_CASE(huge_set_is_freed_in_slices) {
  SetMaxEntries(ks, 0);
  std::vector<ScoredMember> ms;
  for (int i = 0; i < 10000; ++i) ms.push_back({"m" + std::to_string(i), double(i)});
  ZsetStore(db, "z", ms);
  BOOST_TEST(ZsetExtraBytes(db.Find("z")) > 10000u * 40);
  db.Delete("z");
  BOOST_TEST(HasContainerGarbage());
  while (!ReapContainers(1000)) {
  }
  BOOST_TEST(!HasContainerGarbage());
}

BOOST_AUTO_TEST_CASE(scan_visits_every_member) {
  SetMaxEntries(ks, 0);
  for (int i = 0; i < 1000; ++i) {
    std::string m = "m" + std::to_string(i);
    ZsetAdd(db, "z", Pairs{{double(i), m}}, {});
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = ZsetScan(db.Find("z"), cursor, [&](std::string_view m, double) { seen.emplace(m); });
  } while (cursor != 0 && ++steps < 100000);
  BOOST_TEST(seen.size() == 1000u);
  std::mt19937_64 rng(1);
  BOOST_TEST(ZsetRandom(db.Find("z"), rng).member.substr(0, 1) == "m");
}

BOOST_AUTO_TEST_SUITE_END()
