// PortableBuilder: a big container's portable form built in slices equals Serialize's (hashes,
// sets, hashes with field times, a table caught mid-resize), reads between slices keep the walk
// valid, and any write makes Unchanged false so that the caller starts over.
#include "engine/portable_builder.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/dict.h"
#include "engine/hash_ops.h"
#include "engine/hash_ttl.h"
#include "engine/keyspace.h"
#include "engine/set_ops.h"

using namespace dkv::engine;

namespace {
// Runs after the keyspace is gone: tables it released in slices are freed for the leak check.
struct Reaper {
  ~Reaper() {
    while (!ReapContainers(1 << 20)) {
    }
  }
};
struct Fixture : Reaper {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);

  void FillHash(std::string_view key, int n) {
    std::vector<std::string> names, values;
    for (int i = 0; i < n; ++i) {
      names.push_back("field:" + std::to_string(i));
      values.push_back(std::to_string(i * 7));
    }
    std::vector<FieldValue> pairs;
    for (int i = 0; i < n; ++i) pairs.emplace_back(names[i], values[i]);
    HashSet(db, key, pairs);
  }
  // Builds in slices of `budget`, doing a read between slices; returns the form and the steps.
  std::string Build(std::string_view key, size_t budget, int* steps) {
    const Entry* e = db.FindRaw(key);
    PortableBuilder b(e);
    *steps = 0;
    for (;;) {
      e = db.FindRaw(key);
      BOOST_REQUIRE(b.Unchanged(e));
      ++*steps;
      if (b.Step(e, budget)) return b.Take();
      std::string_view v;
      HashGet(db.FindRaw(key), "field:3", &v);  // a read between slices (moves no bucket)
    }
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(portable_builder, Fixture)

BOOST_AUTO_TEST_CASE(a_hash_built_in_slices_equals_its_serialization) {
  FillHash("h", 50000);
  int steps = 0;
  std::string built = Build("h", 1000, &steps);
  BOOST_TEST(steps > 40);
  BOOST_TEST(built == Serialize(db.FindRaw("h")));
  std::string value;
  BOOST_TEST(Materialize(Kind::kHash, built, ks.container_limits(), &value));
  Entry* copy = db.InsertContainer("copy", Kind::kHash, value);
  BOOST_TEST(HashLen(copy) == 50000u);
}

BOOST_AUTO_TEST_CASE(a_set_and_a_table_in_mid_resize) {
  std::vector<std::string> members;
  for (int i = 0; i < 40000; ++i) members.push_back("m" + std::to_string(i));
  std::vector<std::string_view> views(members.begin(), members.end());
  SetAdd(db, "s", views);
  // Growing past a power of two starts a resize that the builder finishes in steps first.
  FillHash("h", 32768);
  FillHash("h2", 32769);
  int steps = 0;
  BOOST_TEST(Build("s", 5000, &steps) == Serialize(db.FindRaw("s")));
  BOOST_TEST(Build("h2", 5000, &steps) == Serialize(db.FindRaw("h2")));
}

BOOST_AUTO_TEST_CASE(field_times_travel_in_the_sliced_form) {
  FillHash("h", 20000);
  Entry* e = db.FindRaw("h");
  std::vector<std::string_view> fields = {"field:1", "field:19999"};
  SetFieldTimes(db, e, fields, clock.NowMs() + 60000);
  int steps = 0;
  std::string built = Build("h", 3000, &steps);
  BOOST_TEST(built == Serialize(db.FindRaw("h")));
  BOOST_TEST(built[0] == static_cast<char>(Encoding::kHashPackedTtl));
}

BOOST_AUTO_TEST_CASE(a_write_between_slices_invalidates_the_walk) {
  FillHash("h", 10000);
  PortableBuilder b(db.FindRaw("h"));
  BOOST_TEST(!b.Step(db.FindRaw("h"), 100));
  HashSet(db, "h", {{"field:5", "changed"}});  // same size, new version
  BOOST_TEST(!b.Unchanged(db.FindRaw("h")));
  PortableBuilder c(db.FindRaw("h"));
  db.Erase("h");
  BOOST_TEST(!c.Unchanged(db.FindRaw("h")));
  FillHash("h", 10000);  // a new table under the same name
  BOOST_TEST(!c.Unchanged(db.FindRaw("h")));
}

BOOST_AUTO_TEST_CASE(headroom_comes_first_and_is_left_for_the_caller) {
  FillHash("h", 40000);
  const Entry* e = db.FindRaw("h");
  PortableBuilder b(e, 24);
  while (!b.Step(db.FindRaw("h"), 7000)) {
  }
  std::string framed = b.Take();
  BOOST_TEST(framed.substr(0, 24) == std::string(24, '\0'));
  BOOST_TEST(framed.substr(24) == Serialize(db.FindRaw("h")));
}

BOOST_AUTO_TEST_CASE(a_packed_container_is_built_whole) {
  HashSet(db, "small", {{"a", "1"}, {"b", "2"}});
  PortableBuilder b(db.FindRaw("small"));
  BOOST_TEST(b.Step(db.FindRaw("small"), 1));
  BOOST_TEST(b.Take() == Serialize(db.FindRaw("small")));
}

BOOST_AUTO_TEST_SUITE_END()
