// HyperLogLog: known answers from redis-server 7.0.15 (the same inputs give the same bytes, so
// DUMP/RESTORE and migration carry values both ways), the Database operations, and damaged
// values (random bytes overwritten, truncated, extended) that must be reported, never read or
// written out of bounds (ASan checks).
#include "engine/hyperloglog.h"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/keyspace.h"

using namespace dkv::engine;
namespace hll = dkv::engine::hll;

namespace {

struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 1};
  Database& db = ks.db(0);
};

// FNV-1a 64 of the value: the fixtures below are this hash of what GET returned from
// redis-server after the same commands.
uint64_t Fnv(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::vector<std::string> Range(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

bool Add(Database& db, std::string_view key, const std::vector<std::string>& elements,
         int64_t sparse_max = 3000) {
  std::vector<std::string_view> views(elements.begin(), elements.end());
  bool changed = false;
  BOOST_TEST((hll::PfAdd(db, key, views, sparse_max, &changed) == hll::Status::kOk));
  return changed;
}

std::string Value(Database& db, std::string_view key) { return std::string(db.Find(key)->value()); }

uint64_t CountOne(Database& db, std::string_view key) {
  uint64_t c = 0;
  BOOST_TEST((hll::PfCountOne(db, key, &c) == hll::Status::kOk));
  return c;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hyperloglog, Fixture)

BOOST_AUTO_TEST_CASE(new_value_and_small_sparse_match_redis) {
  BOOST_TEST(Add(db, "x", {}));
  BOOST_TEST(Hex(Value(db, "x")) == "48594c4c0100000000000000000000807fff");
  BOOST_TEST(!Add(db, "x", {}));
  BOOST_TEST(Add(db, "a", {"a", "b", "c"}));
  BOOST_TEST(Hex(Value(db, "a")) == "48594c4c01000000000000000000008060f38050b1844bfb80425a");
  BOOST_TEST(!Add(db, "a", {"a", "b", "c"}));
  BOOST_TEST(CountOne(db, "a") == 3u);
  // The count is cached in the header, little-endian, valid.
  BOOST_TEST(Hex(Value(db, "a").substr(8, 8)) == "0300000000000000");
  Add(db, "e", {""});
  BOOST_TEST(Hex(Value(db, "e")) == "48594c4c01000000000000000000008057318468cc");
}

BOOST_AUTO_TEST_CASE(larger_sketches_match_redis) {
  Add(db, "b", Range("", 1, 200));
  BOOST_TEST(Value(db, "b").size() == 508u);
  BOOST_TEST(Fnv(Value(db, "b")) == 0x6e98f2ddac7dac6aULL);
  BOOST_TEST(CountOne(db, "b") == 201u);
  Add(db, "d", Range("", 1, 5000));
  BOOST_TEST(Value(db, "d").size() == hll::kDenseSize);
  BOOST_TEST(Fnv(Value(db, "d")) == 0xeaf7ec3d6aad4de3ULL);
  BOOST_TEST(CountOne(db, "d") == 4985u);
  BOOST_TEST(Fnv(Value(db, "d")) == 0x5cc5827aadaf9e3fULL);
  Add(db, "e", Range("el:", 1, 100000));
  BOOST_TEST(CountOne(db, "e") == 98893u);
  BOOST_TEST(Fnv(Value(db, "e")) == 0x44f403e1c04b3f92ULL);
  // Near the 3000-byte limit: still sparse at 1000 elements, dense at 2000.
  Add(db, "t", Range("t", 1, 1000));
  BOOST_TEST(Value(db, "t").size() == 1905u);
  BOOST_TEST(Fnv(Value(db, "t")) == 0x3fa85a5daebbd3d8ULL);
  Add(db, "u", Range("t", 1, 2000));
  BOOST_TEST(Fnv(Value(db, "u")) == 0x3b76858428978e92ULL);
  // hll-sparse-max-bytes 100.
  Add(db, "s", Range("", 1, 199), 100);
  BOOST_TEST(Fnv(Value(db, "s")) == 0x2cd50660a3227fa6ULL);
}

BOOST_AUTO_TEST_CASE(merge_and_union_match_redis) {
  Add(db, "a", {"a", "b", "c"});
  Add(db, "b", Range("", 1, 200));
  Add(db, "d", Range("", 1, 5000));
  BOOST_TEST((hll::PfMerge(db, "m", {"a", "b"}, 3000) == hll::Status::kOk));
  BOOST_TEST(Value(db, "m").size() == 515u);
  BOOST_TEST(Fnv(Value(db, "m")) == 0x4346675b77d4a4deULL);
  BOOST_TEST(CountOne(db, "m") == 204u);
  BOOST_TEST((hll::PfMerge(db, "m2", {"a", "d"}, 3000) == hll::Status::kOk));
  BOOST_TEST(Fnv(Value(db, "m2")) == 0xbba3280bfea0730fULL);
  uint64_t c = 0;
  BOOST_TEST((hll::PfCountUnion(db, {"a", "b", "d", "missing"}, &c) == hll::Status::kOk));
  BOOST_TEST(c == 4989u);
  // No sources, no destination: an empty HyperLogLog.
  BOOST_TEST((hll::PfMerge(db, "empty", {}, 3000) == hll::Status::kOk));
  BOOST_TEST(CountOne(db, "empty") == 0u);
}

BOOST_AUTO_TEST_CASE(cache_invalidation_and_wrong_types) {
  Add(db, "h", {"a", "b", "c"});
  CountOne(db, "h");
  BOOST_TEST(Value(db, "h")[15] == '\0');
  Add(db, "h", {"a", "b", "c"});
  BOOST_TEST(Value(db, "h")[15] == '\0');
  Add(db, "h", {"1", "2", "3"});
  BOOST_TEST(static_cast<unsigned char>(Value(db, "h")[15]) == 0x80);
  db.Upsert("str", "bar");
  bool changed;
  uint64_t c;
  BOOST_TEST((hll::PfAdd(db, "str", {"x"}, 3000, &changed) == hll::Status::kWrongType));
  BOOST_TEST((hll::PfCountOne(db, "str", &c) == hll::Status::kWrongType));
  BOOST_TEST((hll::PfMerge(db, "new", {"str"}, 3000) == hll::Status::kWrongType));
  BOOST_TEST((hll::PfMerge(db, "str", {"h"}, 3000) == hll::Status::kWrongType));
  BOOST_TEST(db.Find("new") == nullptr);
  // A dense header on a value of the wrong length is not a HyperLogLog.
  std::string v = Value(db, "h");
  v[4] = '\0';
  db.Upsert("bad", v);
  BOOST_TEST((hll::PfCountOne(db, "bad", &c) == hll::Status::kWrongType));
}

BOOST_AUTO_TEST_CASE(dirty_counts_one_per_changing_element) {
  uint64_t before = ks.dirty();
  Add(db, "h", {"a", "b", "c", "a"});
  BOOST_TEST(ks.dirty() - before == 4u);  // creation + three new registers
  before = ks.dirty();
  CountOne(db, "h");
  BOOST_TEST(ks.dirty() - before == 1u);  // the cache written
  before = ks.dirty();
  CountOne(db, "h");
  BOOST_TEST(ks.dirty() - before == 0u);  // served from the cache
}

BOOST_AUTO_TEST_CASE(sparse_and_dense_agree) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::string sparse = hll::NewSparse(), dense = hll::NewSparse();
    BOOST_REQUIRE(hll::ToDense(&dense));
    int n = static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      std::string el = std::to_string(rng());
      hll::Add(&sparse, el, 3000);
      hll::Add(&dense, el, 3000);
    }
    BOOST_TEST(*hll::Count(sparse) == *hll::Count(dense));
    std::string converted = sparse;
    BOOST_REQUIRE(hll::ToDense(&converted));
    BOOST_TEST(converted.substr(16) == dense.substr(16));
  }
}

BOOST_AUTO_TEST_CASE(selftest_passes) { BOOST_TEST(hll::SelfTest() == ""); }

// Damaged values: random bytes overwritten, cut short or extended, then every operation. Each
// either works or reports corruption; ASan and UBSan catch any out-of-bounds access.
BOOST_AUTO_TEST_CASE(damaged_values_are_detected_not_overrun) {
  std::mt19937_64 rng(19);
  for (int round = 0; round < 200; ++round) {
    std::string v = hll::NewSparse();
    int n = static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) hll::Add(&v, std::to_string(rng()), 3000);
    int damage = static_cast<int>(rng() % 4);
    if (damage == 0) {
      for (int k = 0; k < 5; ++k) v[rng() % v.size()] = static_cast<char>(rng());
    } else if (damage == 1) {
      v.resize(hll::kHeaderSize + rng() % (v.size() - hll::kHeaderSize + 1));
    } else if (damage == 2) {
      v += std::string(1 + rng() % 8, static_cast<char>(rng()));
    } else {
      v[hll::kHeaderSize + rng() % (v.size() - hll::kHeaderSize)] = static_cast<char>(0x7F);
    }
    db.Upsert("h", v);
    uint64_t c;
    bool changed;
    hll::PfCountOne(db, "h", &c);
    hll::PfAdd(db, "h", {"x", "y", "z"}, 3000, &changed);
    hll::PfCountUnion(db, {"h", "h"}, &c);
    hll::PfMerge(db, "m", {"h"}, 3000);
    if (db.Find("h") != nullptr && hll::LooksLikeHll(db.Find("h")->value()) &&
        hll::IsSparse(db.Find("h")->value())) {
      hll::DecodeSparse(db.Find("h")->value());
    }
    hll::PfToDense(db, "h", &changed);
    db.Delete("m");
  }
  // The cases Redis' suite checks.
  std::string v = hll::NewSparse();
  hll::Add(&v, "a", 3000);
  BOOST_TEST(!hll::Count(v + "hello").has_value());
  std::string bad = v;
  bad.replace(0, 4, "0123");
  BOOST_TEST(!hll::LooksLikeHll(bad));
  bad = v;
  bad[4] = 'x';
  BOOST_TEST(!hll::LooksLikeHll(bad));
  bad = v;
  bad[4] = '\0';
  BOOST_TEST(!hll::LooksLikeHll(bad));
  // An XZERO cut in half at the end.
  std::string cut = v.substr(0, v.size() - 1) + std::string(1, '\x40');
  BOOST_TEST(!hll::Count(cut).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
