#include "engine/bit_ops.h"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>

#include "engine/keyspace.h"

using namespace dkv::engine;

namespace {
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 1};
  Database& db = ks.db(0);
};

// Reference implementations, bit by bit.
int Bit(const std::string& s, int64_t pos) {
  if (pos / 8 >= static_cast<int64_t>(s.size())) return 0;
  return (static_cast<unsigned char>(s[pos / 8]) >> (7 - pos % 8)) & 1;
}
uint64_t SlowCount(const std::string& s, int64_t first, int64_t last) {
  uint64_t n = 0;
  for (int64_t p = first; p <= last; ++p) n += Bit(s, p);
  return n;
}
int64_t SlowFind(const std::string& s, int want, int64_t first, int64_t last) {
  for (int64_t p = first; p <= last; ++p) {
    if (Bit(s, p) == want) return p;
  }
  return -1;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(bit_ops, Fixture)

BOOST_AUTO_TEST_CASE(popcount_and_ranges_match_a_bitwise_reference) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) {
      int kind = static_cast<int>(rng() % 3);
      c = static_cast<char>(kind == 0 ? 0 : kind == 1 ? 0xFF : rng() & 0xFF);
    }
    BOOST_TEST(PopCount(s) == SlowCount(s, 0, static_cast<int64_t>(s.size()) * 8 - 1));
    if (s.empty()) continue;
    int64_t bits = static_cast<int64_t>(s.size()) * 8;
    int64_t a = static_cast<int64_t>(rng() % bits), b = static_cast<int64_t>(rng() % bits);
    if (a > b) std::swap(a, b);
    BOOST_TEST(CountBits(s, a, b) == SlowCount(s, a, b));
    BOOST_TEST(FindBit(s, true, a, b) == SlowFind(s, 1, a, b));
    BOOST_TEST(FindBit(s, false, a, b) == SlowFind(s, 0, a, b));
  }
}

BOOST_AUTO_TEST_CASE(range_arithmetic) {
  int64_t f = 0, l = 0;
  BOOST_TEST(ResolveBitRange(3, 0, -1, false, &f, &l));
  BOOST_TEST(f == 0);
  BOOST_TEST(l == 23);
  BOOST_TEST(ResolveBitRange(3, -2, 100, false, &f, &l));
  BOOST_TEST(f == 8);
  BOOST_TEST(l == 23);
  BOOST_TEST(ResolveBitRange(3, 5, -5, true, &f, &l));
  BOOST_TEST(f == 5);
  BOOST_TEST(l == 19);
  BOOST_TEST(!ResolveBitRange(3, 2, 1, false, &f, &l));
  BOOST_TEST(!ResolveBitRange(0, 0, -1, false, &f, &l));
  // Both clamp to 0: one byte (BITPOS has no early "both negative" rule).
  BOOST_TEST(ResolveBitRange(3, -5, -10, false, &f, &l));
  BOOST_TEST(f == 0);
  BOOST_TEST(l == 7);
}

BOOST_AUTO_TEST_CASE(bitpos_edge_cases) {
  const std::string ones("\xff\xff\xff", 3);
  BOOST_TEST(BitPos(ones, false, std::nullopt) == 24);  // the zero padding past the end
  BOOST_TEST(BitPos(ones, false, BitPosRange{0, std::nullopt, false}) == 24);
  BOOST_TEST(BitPos(ones, false, BitPosRange{0, -1, false}) == -1);  // explicit end
  BOOST_TEST(BitPos(ones, true, BitPosRange{1, std::nullopt, false}) == 8);
  BOOST_TEST(BitPos(std::string(1, '\0'), true, std::nullopt) == -1);
  BOOST_TEST(BitPos("", false, std::nullopt) == -1);
  const std::string v("\x00\x01\x00", 3);
  BOOST_TEST(BitPos(v, true, BitPosRange{7, 15, true}) == 15);
  BOOST_TEST(BitPos(v, true, BitPosRange{7, 14, true}) == -1);
  BOOST_TEST(BitPos(v, false, BitPosRange{15, 15, true}) == -1);
}

BOOST_AUTO_TEST_CASE(combine_pads_shorter_sources) {
  std::string_view two[] = {"\xff\xff", "\x0f"};
  BOOST_TEST(CombineBits(BitOpKind::kAnd, two) == std::string("\x0f\x00", 2));
  BOOST_TEST(CombineBits(BitOpKind::kOr, two) == "\xff\xff");
  BOOST_TEST(CombineBits(BitOpKind::kXor, two) == "\xf0\xff");
  std::string_view one[] = {std::string_view("\x0f\x00", 2)};
  BOOST_TEST(CombineBits(BitOpKind::kNot, one) == "\xf0\xff");
  std::string_view first_missing[] = {"", "\x0f"};
  BOOST_TEST(CombineBits(BitOpKind::kOr, first_missing) == "\x0f");
  BOOST_TEST(CombineBits(BitOpKind::kAnd, first_missing) == std::string(1, '\0'));
  std::string_view none[] = {"", ""};
  BOOST_TEST(CombineBits(BitOpKind::kOr, none).empty());
}

BOOST_AUTO_TEST_CASE(fields_read_write_and_overflow) {
  std::string buf(9, '\0');
  SetField(buf.data(), buf.size(), 3, 64, 0x8000000000000001ULL);
  BOOST_TEST(GetUnsignedField(buf, 3, 64) == 0x8000000000000001ULL);
  BOOST_TEST(GetSignedField(buf, 3, 64) == INT64_MIN + 1);
  BOOST_TEST(GetSignedField(buf, 3, 4) == -8);
  BOOST_TEST(GetUnsignedField("", 100, 8) == 0u);
  int64_t s = 0;
  uint64_t u = 0;
  BOOST_TEST(!AddSigned(100, 27, 8, Overflow::kWrap, &s));
  BOOST_TEST(s == 127);
  BOOST_TEST(AddSigned(127, 1, 8, Overflow::kWrap, &s));
  BOOST_TEST(s == -128);
  BOOST_TEST(AddSigned(127, 1, 8, Overflow::kSat, &s));
  BOOST_TEST(s == 127);
  BOOST_TEST(AddSigned(-128, -1, 8, Overflow::kSat, &s));
  BOOST_TEST(s == -128);
  BOOST_TEST(AddSigned(INT64_MAX, 1, 64, Overflow::kWrap, &s));
  BOOST_TEST(s == INT64_MIN);
  BOOST_TEST(AddUnsigned(255, 1, 8, Overflow::kWrap, &u));
  BOOST_TEST(u == 0u);
  BOOST_TEST(AddUnsigned(0, -1, 8, Overflow::kSat, &u));
  BOOST_TEST(u == 0u);
  BOOST_TEST(AddUnsigned(static_cast<uint64_t>(-1), 0, 8, Overflow::kWrap, &u));
  BOOST_TEST(u == 255u);
  BOOST_TEST(!AddUnsigned((1ULL << 63) - 2, 1, 63, Overflow::kFail, &u));
}

BOOST_AUTO_TEST_CASE(setbit_grows_and_counts_only_changes) {
  bool old = true;
  uint64_t dirty = ks.dirty();
  BOOST_TEST((SetBit(db, "k", 9, true, &old) == OpStatus::kOk));
  BOOST_TEST(!old);
  BOOST_TEST(db.Find("k")->value() == std::string("\x00\x40", 2));
  BOOST_TEST(ks.dirty() == dirty + 1);
  BOOST_TEST((SetBit(db, "k", 9, true, &old) == OpStatus::kOk));
  BOOST_TEST(old);
  BOOST_TEST(ks.dirty() == dirty + 1);  // unchanged: no write
  db.Upsert("n", "1", false, ValueType::kNumber);
  BOOST_TEST((SetBit(db, "n", 6, true, &old) == OpStatus::kOk));
  BOOST_TEST(db.Find("n")->value() == "3");
  BOOST_TEST((db.Find("n")->type() == ValueType::kString));
  BOOST_TEST(
      (SetBit(db, "k", uint64_t{8} * Database::kMaxValueSize, true, &old) == OpStatus::kTooLarge));
}

BOOST_AUTO_TEST_CASE(bitfield_write_fail_and_counts) {
  std::vector<std::optional<int64_t>> r;
  uint64_t dirty = ks.dirty();
  BitfieldOp ops[] = {
      {BitfieldOp::kSet, false, 8, 0, 200, Overflow::kWrap},
      {BitfieldOp::kIncrBy, false, 8, 0, 100, Overflow::kFail},
      {BitfieldOp::kIncrBy, true, 8, 0, 1, Overflow::kWrap},
      {BitfieldOp::kGet, false, 8, 0, 0, Overflow::kWrap},
  };
  BOOST_TEST((BitfieldWrite(db, "f", ops, &r) == OpStatus::kOk));
  BOOST_REQUIRE(r.size() == 4u);
  BOOST_TEST(*r[0] == 0);
  BOOST_TEST(!r[1].has_value());
  BOOST_TEST(*r[2] == -55);
  BOOST_TEST(*r[3] == 201);
  BOOST_TEST(ks.dirty() == dirty + 2);
}

BOOST_AUTO_TEST_CASE(bitop_stores_or_deletes) {
  db.Upsert("a", "ab");
  std::string_view srcs[] = {"ab", "c"};
  BOOST_TEST(BitOpStore(db, BitOpKind::kOr, "d", srcs) == 2);
  BOOST_TEST(db.Find("d")->value() == std::string("cb"));
  std::string_view empty[] = {""};
  BOOST_TEST(BitOpStore(db, BitOpKind::kNot, "d", empty) == 0);
  BOOST_TEST(db.Find("d") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
