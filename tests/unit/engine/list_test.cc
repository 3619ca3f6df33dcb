// Lists (engine/list_ops.h): both encodings and the conversions between them at Redis 7.2's
// limits, node splits and merges, compression of inner nodes, random operations checked against
// a std::deque model, the item format's integers, and the portable form (damaged input refused).
#include <boost/test/unit_test.hpp>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/keyspace.h"
#include "engine/list_compress.h"
#include "engine/list_ops.h"
#include "engine/list_pack.h"
#include "engine/packed.h"

using namespace dkv::engine;

namespace {
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);
  void SetLimits(int64_t fill, int64_t depth) {
    ContainerLimits l = ks.container_limits();
    l.list_max_listpack_size = fill;
    l.list_compress_depth = depth;
    ks.set_container_limits(l);
  }
  std::vector<std::string> All(std::string_view key) {
    std::vector<std::string> out;
    Entry* e = db.Find(key);
    if (e == nullptr) return out;
    size_t n = ListLen(e);
    if (n == 0) return out;
    ListRange(e, 0, n - 1, false, [&](std::string_view v) {
      out.emplace_back(v);
      return true;
    });
    return out;
  }
  std::string_view Enc(std::string_view key) { return EncodingName(EncodingOf(db.Find(key))); }
};

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(lists, Fixture)

BOOST_AUTO_TEST_CASE(item_format_round_trips) {
  std::vector<std::string> samples = {"",
                                      "0",
                                      "127",
                                      "128",
                                      "-1",
                                      "-4096",
                                      "4095",
                                      "4096",
                                      "-0",
                                      "007",
                                      "+5",
                                      "32767",
                                      "-32768",
                                      "8388607",
                                      "-8388609",
                                      "2147483648",
                                      "9223372036854775807",
                                      "-9223372036854775808",
                                      "9223372036854775808",
                                      "abc",
                                      std::string(63, 'x'),
                                      std::string(64, 'y'),
                                      std::string(4095, 'z'),
                                      std::string(5000, 'w')};
  for (const std::string& s : samples) {
    std::string buf(listpack::ItemSize(s), '\0');
    BOOST_TEST(listpack::WriteItem(buf.data(), s) == buf.size());
    listpack::Item it = listpack::Decode(buf.data());
    BOOST_TEST(it.size == buf.size());
    char tmp[24];
    BOOST_TEST(listpack::Text(it, tmp) == s);
    BOOST_TEST(listpack::PrevStart(buf.data() + buf.size()) == buf.data());
  }
  BOOST_TEST(listpack::ItemSize("5") == 2u);  // small integers: one byte and a back-length
  BOOST_TEST(listpack::ItemSize("123456") == 5u);
}

BOOST_AUTO_TEST_CASE(lzf_round_trip) {
  std::string in;
  for (int i = 0; i < 3000; ++i) in += "element:" + std::to_string(i % 97);
  std::string z;
  BOOST_TEST(lzf::Compress(in.data(), in.size(), &z));
  BOOST_TEST(z.size() < in.size() / 2);
  std::string out(in.size(), '\0');
  BOOST_TEST(lzf::Decompress(z.data(), z.size(), out.data(), out.size()));
  BOOST_TEST(out == in);
  BOOST_TEST(!lzf::Decompress(z.data(), z.size() - 1, out.data(), out.size()));
  std::string noise;
  std::mt19937 rng(1);
  for (int i = 0; i < 100; ++i) noise.push_back(static_cast<char>(rng()));
  BOOST_TEST(!lzf::Compress(noise.data(), noise.size(), &z));
}

BOOST_AUTO_TEST_CASE(push_pop_both_ends_and_delete) {
  BOOST_TEST(ListPush(db, "l", ListEnd::kTail, {"a", "b", "c"}) == 3u);
  BOOST_TEST(ListPush(db, "l", ListEnd::kHead, {"x", "y"}) == 5u);
  BOOST_TEST(All("l") == (std::vector<std::string>{"y", "x", "a", "b", "c"}));
  BOOST_TEST(Enc("l") == "listpack");
  std::string v;
  BOOST_TEST(ListIndex(db.Find("l"), -1, &v));
  BOOST_TEST(v == "c");
  BOOST_TEST(!ListIndex(db.Find("l"), 5, &v));
  auto popped = ListPop(db, db.Find("l"), ListEnd::kTail, 2);
  BOOST_TEST(popped == (std::vector<std::string>{"c", "b"}));
  uint64_t dirty = ks.dirty();
  popped = ListPop(db, db.Find("l"), ListEnd::kHead, 10);
  BOOST_TEST(popped == (std::vector<std::string>{"y", "x", "a"}));
  BOOST_TEST(ks.dirty() == dirty + 3);
  BOOST_TEST(db.Find("l") == nullptr);
}

BOOST_AUTO_TEST_CASE(converts_to_quicklist_and_back) {
  SetLimits(4, 0);  // four items per node
  ListPush(db, "l", ListEnd::kTail, {"1", "2", "3", "4"});
  BOOST_TEST(Enc("l") == "listpack");
  ListPush(db, "l", ListEnd::kTail, {"5"});
  BOOST_TEST(Enc("l") == "quicklist");
  ListPop(db, db.Find("l"), ListEnd::kTail, 2);  // 3 left: over half of 4
  BOOST_TEST(Enc("l") == "quicklist");
  ListPop(db, db.Find("l"), ListEnd::kTail, 1);  // 2 left, one node: back to packed
  BOOST_TEST(Enc("l") == "listpack");
  BOOST_TEST(All("l") == (std::vector<std::string>{"1", "2"}));
  // By bytes: the default -2 is 8 KiB per node.
  SetLimits(-2, 0);
  ListPush(db, "big", ListEnd::kTail, {std::string(9000, 'x')});
  BOOST_TEST(Enc("big") == "quicklist");
  ListPush(db, "mid", ListEnd::kTail, {std::string(5000, 'x')});
  BOOST_TEST(Enc("mid") == "listpack");
  ListPush(db, "mid", ListEnd::kTail, {std::string(5000, 'y')});
  BOOST_TEST(Enc("mid") == "quicklist");
  ListPop(db, db.Find("mid"), ListEnd::kHead, 1);  // 5000 bytes: over half of 8 KiB
  BOOST_TEST(Enc("mid") == "quicklist");
  ListSet(db, db.Find("mid"), 0, "small");
  BOOST_TEST(Enc("mid") == "listpack");
}

BOOST_AUTO_TEST_CASE(set_insert_split_nodes) {
  SetLimits(3, 0);
  ListPush(db, "l", ListEnd::kTail, {"a", "b", "c", "d", "e", "f"});
  BOOST_TEST(ListInsert(db, db.Find("l"), true, "b", "B") == 7);
  BOOST_TEST(ListInsert(db, db.Find("l"), false, "f", "F") == 8);
  BOOST_TEST(ListInsert(db, db.Find("l"), false, "zz", "Z") == -1);
  BOOST_TEST(ListSet(db, db.Find("l"), -1, std::string(100, 'q')));
  BOOST_TEST(!ListSet(db, db.Find("l"), 8, "no"));
  BOOST_TEST(All("l") ==
             (std::vector<std::string>{"a", "B", "b", "c", "d", "e", "f", std::string(100, 'q')}));
}

BOOST_AUTO_TEST_CASE(remove_merges_and_trim) {
  SetLimits(4, 0);
  std::vector<std::string> items;
  for (int i = 0; i < 40; ++i) items.push_back(i % 3 == 0 ? "x" : std::to_string(i));
  ListPush(db, "l", ListEnd::kTail, Views(items));
  BOOST_TEST(ListRemove(db, db.Find("l"), 2, "x") == 2u);
  BOOST_TEST(ListRemove(db, db.Find("l"), -1, "x") == 1u);
  BOOST_TEST(ListRemove(db, db.Find("l"), 0, "x") == 11u);
  BOOST_TEST(ListRemove(db, db.Find("l"), 0, "x") == 0u);
  BOOST_TEST(ListLen(db.Find("l")) == 26u);
  ListTrim(db, db.Find("l"), 1, -2);
  BOOST_TEST(ListLen(db.Find("l")) == 24u);
  BOOST_TEST(All("l").front() == "2");
  ListTrim(db, db.Find("l"), 5, 1);
  BOOST_TEST(db.Find("l") == nullptr);
}

BOOST_AUTO_TEST_CASE(move_between_and_within) {
  ListPush(db, "a", ListEnd::kTail, {"1", "2"});
  BOOST_TEST(ListMove(db, db.Find("a"), "b", ListEnd::kTail, ListEnd::kHead) == "2");
  BOOST_TEST(ListMove(db, db.Find("a"), "a", ListEnd::kHead, ListEnd::kTail) == "1");
  BOOST_TEST(All("a") == (std::vector<std::string>{"1"}));
  BOOST_TEST(ListMove(db, db.Find("a"), "b", ListEnd::kHead, ListEnd::kTail) == "1");
  BOOST_TEST(db.Find("a") == nullptr);
  BOOST_TEST(All("b") == (std::vector<std::string>{"2", "1"}));
  ListStore(db, "s", {"p", "q"});
  BOOST_TEST(All("s") == (std::vector<std::string>{"p", "q"}));
  ListStore(db, "s", {});
  BOOST_TEST(db.Find("s") == nullptr);
}

BOOST_AUTO_TEST_CASE(random_operations_match_a_model) {
  for (int64_t fill : {-1, 5, -2}) {
    for (int64_t depth : {0, 1, 2}) {
      SetLimits(fill, depth);
      std::mt19937_64 rng(static_cast<uint64_t>(fill * 10 + depth + 100));
      std::deque<std::string> model;
      db.Delete("r");
      auto elem = [&]() {
        switch (rng() % 4) {
          case 0:
            return std::to_string(static_cast<int64_t>(rng() % 100000) - 50000);
          case 1:
            return std::string(rng() % 300, static_cast<char>('a' + rng() % 3));
          case 2:
            return std::to_string(rng() % 5);
          default:
            return "e" + std::to_string(rng() % 1000);
        }
      };
      for (int step = 0; step < 3000; ++step) {
        Entry* e = db.Find("r");
        int op = static_cast<int>(rng() % 10);
        if (e == nullptr || op < 4) {
          std::vector<std::string> add;
          size_t n = 1 + rng() % 20;
          for (size_t i = 0; i < n; ++i) add.push_back(elem());
          bool head = rng() % 2;
          ListPush(db, "r", head ? ListEnd::kHead : ListEnd::kTail, Views(add));
          for (auto& s : add) head ? model.push_front(s) : model.push_back(s);
          continue;
        }
        size_t len = model.size();
        if (op == 4) {
          bool head = rng() % 2;
          auto got = ListPop(db, e, head ? ListEnd::kHead : ListEnd::kTail, 1 + rng() % 5);
          for (auto& s : got) {
            BOOST_REQUIRE(s == (head ? model.front() : model.back()));
            head ? model.pop_front() : model.pop_back();
          }
        } else if (op == 5) {
          size_t i = rng() % len;
          std::string s = elem();
          ListSet(db, e, static_cast<int64_t>(i), s);
          model[i] = s;
        } else if (op == 6) {
          size_t i = rng() % len;
          std::string pivot = model[i];
          size_t first = 0;
          while (model[first] != pivot) ++first;
          bool before = rng() % 2;
          std::string s = elem();
          ListInsert(db, e, before, pivot, s);
          model.insert(model.begin() + static_cast<std::ptrdiff_t>(first + (before ? 0 : 1)), s);
        } else if (op == 7 && rng() % 4 == 0) {
          std::string target = model[rng() % len];
          auto count = static_cast<int64_t>(rng() % 5) - 2;
          size_t removed = ListRemove(db, e, count, target);
          size_t want = count == 0 ? SIZE_MAX : static_cast<size_t>(std::abs(count));
          size_t done = 0;
          if (count >= 0) {
            for (auto it = model.begin(); it != model.end() && done < want;) {
              if (*it == target) {
                it = model.erase(it);
                ++done;
              } else {
                ++it;
              }
            }
          } else {
            for (size_t i = model.size(); i-- > 0 && done < want;) {
              if (model[i] == target) {
                model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
                ++done;
              }
            }
          }
          BOOST_REQUIRE(removed == done);
        } else if (op == 8 && rng() % 8 == 0) {
          auto a = static_cast<int64_t>(rng() % 4);
          auto b = -1 - static_cast<int64_t>(rng() % 4);
          ListTrim(db, e, a, b);
          size_t l2 = model.size();
          size_t lo = static_cast<size_t>(a);
          size_t hi = static_cast<size_t>(static_cast<int64_t>(l2) + b);
          if (lo > hi || lo >= l2) {
            model.clear();
          } else {
            model = std::deque<std::string>(model.begin() + static_cast<std::ptrdiff_t>(lo),
                                            model.begin() + static_cast<std::ptrdiff_t>(hi + 1));
          }
        } else {
          size_t i = rng() % len;
          std::string v;
          BOOST_REQUIRE(ListIndex(e, static_cast<int64_t>(i), &v));
          BOOST_REQUIRE(v == model[i]);
          size_t j = i + rng() % (len - i);
          std::vector<std::string> rev;
          ListRange(e, i, j, true, [&](std::string_view x) {
            rev.emplace_back(x);
            return true;
          });
          BOOST_REQUIRE(rev.size() == j - i + 1);
          for (size_t k = 0; k < rev.size(); ++k) BOOST_REQUIRE(rev[k] == model[j - k]);
        }
        e = db.Find("r");
        BOOST_REQUIRE((e == nullptr) == model.empty());
        if (e != nullptr) BOOST_REQUIRE(ListLen(e) == model.size());
      }
      BOOST_TEST(All("r") == std::vector<std::string>(model.begin(), model.end()));
    }
  }
}

BOOST_AUTO_TEST_CASE(huge_list_compressed_serialized_cloned_freed) {
  SetLimits(-2, 1);
  std::vector<std::string> items;
  for (int i = 0; i < 100000; ++i) items.push_back("element:" + std::to_string(i % 1000));
  for (size_t i = 0; i < items.size(); i += 1000) {
    std::vector<std::string_view> chunk(items.begin() + static_cast<std::ptrdiff_t>(i),
                                        items.begin() + static_cast<std::ptrdiff_t>(i + 1000));
    ListPush(db, "h", ListEnd::kTail, chunk);
  }
  Entry* e = db.Find("h");
  BOOST_TEST(Enc("h") == "quicklist");
  BOOST_TEST(ListLen(e) == 100000u);
  // Compression keeps the extra bytes well under the raw items.
  BOOST_TEST(ListExtraBytes(e) < 100000u * 7);  // plain: about 14 per element
  std::string v;
  BOOST_TEST(ListIndex(e, 50000, &v));
  BOOST_TEST(v == items[50000]);
  BOOST_TEST(ListSet(db, e, 50001, "changed"));
  BOOST_TEST(ListIndex(db.Find("h"), 50001, &v));
  BOOST_TEST(v == "changed");
  items[50001] = "changed";
  std::string portable = Serialize(db.Find("h"));
  std::string value;
  BOOST_TEST(Materialize(Kind::kList, portable, ks.container_limits(), &value));
  Entry* copy = db.InsertContainer("copy", Kind::kList, value);
  BOOST_TEST(ListLen(copy) == 100000u);
  BOOST_TEST(All("copy") == items);
  db.CopyTo(db.Find("h"), db, "clone");
  BOOST_TEST(All("clone") == items);
  db.Delete("h");
  db.Delete("copy");
  db.Delete("clone");
  while (!ReapContainers(10000)) {
  }
}

BOOST_AUTO_TEST_CASE(portable_form_refuses_damage) {
  ListPush(db, "l", ListEnd::kTail, {"a", "12", "ccc"});
  std::string p = Serialize(db.Find("l"));
  std::string value;
  BOOST_TEST(Materialize(Kind::kList, p, ks.container_limits(), &value));
  for (size_t cut = 0; cut < p.size(); ++cut) {
    BOOST_TEST(!Materialize(Kind::kList, p.substr(0, cut), ks.container_limits(), &value));
  }
  BOOST_TEST(!Materialize(Kind::kList, p + "x", ks.container_limits(), &value));
  std::string wrong = p;
  wrong[0] = static_cast<char>(Encoding::kSetPacked);
  BOOST_TEST(!Materialize(Kind::kList, wrong, ks.container_limits(), &value));
  std::string empty(1, static_cast<char>(Encoding::kListPacked));
  packed::AppendVarint(&empty, 0);
  BOOST_TEST(!Materialize(Kind::kList, empty, ks.container_limits(), &value));
  std::string huge(1, static_cast<char>(Encoding::kListPacked));
  packed::AppendVarint(&huge, 1ull << 40);
  BOOST_TEST(!Materialize(Kind::kList, huge, ks.container_limits(), &value));
}

BOOST_AUTO_TEST_SUITE_END()
