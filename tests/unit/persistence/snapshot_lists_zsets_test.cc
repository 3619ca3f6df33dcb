// Lists and sorted sets in the snapshot file (format 2): both encodings of each (packed and
// quicklist, packed and skiplist), small and of 100,000 elements, with TTLs and user fields,
// survive a save and a load with their elements in order; a load follows the loading server's
// limits; a damaged list or sorted-set record is refused with the file and its offset, and a
// partial load leaves it out.
#include <xxhash.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/container.h"
#include "engine/container_view.h"
#include "engine/keyspace.h"
#include "engine/list_ops.h"
#include "engine/zset_ops.h"
#include "persistence/coding.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_layout.h"

using namespace dkv::engine;
using namespace dkv::persistence;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/dkv-snapshot-lists-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void WriteAll(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Reap {
  ~Reap() {
    while (!ReapContainers(SIZE_MAX)) {
    }
  }
};

void Push(Database& db, const std::string& key, const std::vector<std::string>& elements) {
  std::vector<std::string_view> views(elements.begin(), elements.end());
  ListPush(db, key, ListEnd::kTail, views);
}

void Add(Database& db, const std::string& key,
         const std::vector<std::pair<double, std::string>>& pairs) {
  std::vector<std::pair<double, std::string_view>> views;
  for (const auto& [score, member] : pairs) views.emplace_back(score, member);
  ZsetAdd(db, key, views, ZaddFlags{});
}

// A keyspace of lists and sorted sets in both encodings.
struct Source {
  FakeClock clock;
  Keyspace ks{&clock, 16};

  Source() {
    ks.RefreshTime();
    Database& db = ks.db(0);
    db.Insert("a.string", "plain");
    Push(db, "list.small", {"b", "a", "b", std::string("\0\xff", 2), "-12", ""});
    Add(db, "zset.small", {{1.5, "x"}, {-INFINITY, "low"}, {INFINITY, "high"}, {0, "zero"}});
    std::vector<std::string> elements;
    std::vector<std::pair<double, std::string>> members;
    for (int i = 0; i < 100000; ++i) {
      elements.push_back(i % 5 == 0 ? std::to_string(i) : "element:" + std::to_string(i));
      members.emplace_back(i % 3 == 0 ? i / 8.0 : -i, "member:" + std::to_string(i));
    }
    elements.push_back(std::string(30000, 'p'));  // bigger than a node
    Push(db, "list.large", elements);
    Add(db, "zset.large", members);
    Add(db, "zset.long", {{1, std::string(100, 'm')}});  // over zset-max-listpack-value
    clock.AdvanceMs(1500);
    ks.RefreshTime();
    db.SetExpire(db.FindRaw("list.small"), ks.now_ms() + 3'600'000);
    db.SetExpire(db.FindRaw("zset.large"), ks.now_ms() + 7'200'000);
    db.SetFields(db.FindRaw("zset.small"), {{"owner", "team-a"}});
    Push(ks.db(3), "three", {"3"});
    Push(db, "list.expired", {"gone"});
    db.SetExpire(db.FindRaw("list.expired"), ks.now_ms() - 1);
  }
};

std::vector<std::string> ListOf(const Entry* e) { return ListElements(e); }
std::vector<std::pair<std::string, double>> ZsetOf(const Entry* e) {
  std::vector<std::pair<std::string, double>> out;
  for (auto& m : ZsetMembers(e)) out.emplace_back(m.member, m.score);
  return out;
}

void ExpectSame(Keyspace& a, Keyspace& b) {
  int64_t now = a.now_ms();
  for (int i = 0; i < a.database_count(); ++i) {
    Database& da = a.db(i);
    Database& db = b.db(i);
    size_t live = 0;
    da.ForEach([&](Entry* e) {
      if (da.ExpireAt(e) != 0 && da.ExpireAt(e) <= now) return;
      ++live;
      BOOST_TEST_CONTEXT("key " << e->key()) {
        Entry* f = db.FindRaw(e->key());
        BOOST_REQUIRE(f != nullptr);
        BOOST_REQUIRE(e->kind() == f->kind());
        if (e->kind() == Kind::kList) {
          BOOST_CHECK_EQUAL(EncodingName(EncodingOf(e)), EncodingName(EncodingOf(f)));
          BOOST_CHECK(ListOf(e) == ListOf(f));
        } else if (e->kind() == Kind::kZset) {
          BOOST_CHECK_EQUAL(EncodingName(EncodingOf(e)), EncodingName(EncodingOf(f)));
          BOOST_CHECK(ZsetOf(e) == ZsetOf(f));
        } else {
          BOOST_CHECK(e->value() == f->value());
        }
        BOOST_CHECK_EQUAL(e->version(), f->version());
        BOOST_CHECK_EQUAL(da.ExpireAt(e), db.ExpireAt(f));
        const UserFields* fa = da.Fields(e);
        const UserFields* fb = db.Fields(f);
        BOOST_REQUIRE_EQUAL(fa == nullptr, fb == nullptr);
        if (fa != nullptr) BOOST_CHECK(*fa == *fb);
      }
    });
    BOOST_CHECK_EQUAL(live, db.size());
  }
}

// A format 2 file of one uncompressed block holding `records` (as snapshot_container_test's).
std::string BuildFile(std::string_view records, uint64_t count, size_t* block_payload_at) {
  std::string body;
  PutFixed64(&body, 1'700'000'000'000ULL);
  PutString(&body, "test");
  PutVarint(&body, 1);
  PutVarint(&body, 0);
  PutString(&body, "0");
  PutVarint(&body, count);
  PutVarint(&body, 0);
  PutVarint(&body, 0);
  std::string file(kSnapshotMagic, sizeof(kSnapshotMagic));
  PutFixed16(&file, 2);
  PutFixed16(&file, 0);
  PutFixed32(&file, static_cast<uint32_t>(body.size()));
  file += body;
  PutFixed64(&file, XXH3_64bits(file.data(), file.size()));
  std::string head;
  head.push_back(static_cast<char>(kBlockRecords));
  PutVarint(&head, 0);
  PutVarint(&head, count);
  PutVarint(&head, records.size());
  PutVarint(&head, records.size());
  head.push_back(static_cast<char>(kCodecNone));
  file += head;
  *block_payload_at = file.size();
  file += records;
  PutFixed64(&file, BlockChecksum(head, records));
  file.push_back(static_cast<char>(kBlockEnd));
  PutVarint(&file, count);
  PutVarint(&file, 1);
  PutFixed64(&file, XXH3_64bits(file.data(), file.size()));
  return file;
}

std::string Record(std::string_view key, std::string_view value, Kind kind) {
  std::string r;
  r.push_back(static_cast<char>(kRecMore));
  r.push_back(static_cast<char>(static_cast<uint8_t>(kind) << kRec2KindShift));
  PutVarint(&r, 0);
  PutString(&r, key);
  PutString(&r, value);
  PutVarint(&r, 1);
  PutVarint(&r, ZigZag(0));
  return r;
}

std::string Packed(Encoding tag, const std::vector<std::string>& items) {
  std::string out(1, static_cast<char>(tag));
  PutVarint(&out, items.size());
  for (const std::string& item : items) PutString(&out, item);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_lists_zsets)

BOOST_AUTO_TEST_CASE(lists_and_zsets_of_both_encodings_round_trip) {
  Reap reap;
  Source src;
  Database& db = src.ks.db(0);
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("list.small"))), "listpack");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("list.large"))), "quicklist");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("zset.small"))), "listpack");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("zset.large"))), "skiplist");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("zset.long"))), "skiplist");
  BOOST_REQUIRE_EQUAL(ListLen(db.FindRaw("list.large")), 100001u);
  for (bool compress : {true, false}) {
    BOOST_TEST_CONTEXT("compress " << compress) {
      TempDir dir;
      SaveOptions options;
      options.compress = compress;
      SaveStats stats;
      std::string path = dir.file("dump.dkv");
      BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, options, &stats), "");
      BOOST_CHECK_EQUAL(stats.keys, 7u);
      Keyspace loaded(&src.clock, 16);
      loaded.RefreshTime();
      LoadStats load;
      ReadResult r = LoadSnapshotFile(path, loaded, 100, {}, &load);
      BOOST_REQUIRE_EQUAL(r.error, "");
      BOOST_CHECK_EQUAL(load.keys_loaded, 7u);
      ExpectSame(src.ks, loaded);
      std::string again = dir.file("again.dkv");
      BOOST_REQUIRE_EQUAL(SaveSnapshotFile(loaded, again, options, nullptr), "");
      Keyspace twice(&src.clock, 16);
      twice.RefreshTime();
      BOOST_REQUIRE_EQUAL(LoadSnapshotFile(again, twice, 100, {}, nullptr).error, "");
      ExpectSame(src.ks, twice);
      // The portable form's checksum is the same whatever was reloaded.
      BOOST_CHECK_EQUAL(ContainerChecksum(twice.db(0).FindRaw("zset.large")),
                        ContainerChecksum(db.FindRaw("zset.large")));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_load_follows_the_servers_limits) {
  Reap reap;
  Source src;
  TempDir dir;
  std::string path = dir.file("dump.dkv");
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, {}, nullptr), "");
  Keyspace loaded(&src.clock, 16);
  loaded.RefreshTime();
  ContainerLimits tight;
  tight.list_max_listpack_size = 2;
  tight.zset_max_entries = 2;
  loaded.set_container_limits(tight);
  BOOST_REQUIRE_EQUAL(LoadSnapshotFile(path, loaded, 100, {}, nullptr).error, "");
  BOOST_CHECK_EQUAL(EncodingName(EncodingOf(loaded.db(0).FindRaw("list.small"))), "quicklist");
  BOOST_CHECK_EQUAL(EncodingName(EncodingOf(loaded.db(0).FindRaw("zset.small"))), "skiplist");
  BOOST_CHECK(ListOf(loaded.db(0).FindRaw("list.small")) ==
              ListOf(src.ks.db(0).FindRaw("list.small")));
  BOOST_CHECK(ZsetOf(loaded.db(0).FindRaw("zset.small")) ==
              ZsetOf(src.ks.db(0).FindRaw("zset.small")));
}

BOOST_AUTO_TEST_CASE(damaged_list_and_zset_records_are_refused_with_file_and_offset) {
  Reap reap;
  TempDir dir;
  FakeClock clock(1'700'000'000'000);
  const std::string good = Record("a", Packed(Encoding::kListPacked, {"x"}), Kind::kList);
  std::string truncated = Packed(Encoding::kListPacked, {"a", "b"});
  truncated.pop_back();
  std::string zgood = ZsetPortableForm({{"m", 1.0}, {"n", 2.0}});
  std::string ztruncated = zgood.substr(0, zgood.size() - 1);
  std::string zdup = ZsetPortableForm({{"m", 1.0}, {"m", 2.0}});
  std::string znan = ZsetPortableForm({{"m", NAN}});
  struct Case {
    std::string name, record, error;
  };
  const Case cases[] = {
      {"truncated list", Record("l", truncated, Kind::kList), "damaged list value (key 'l'"},
      {"empty list", Record("l", Packed(Encoding::kListPacked, {}), Kind::kList), "damaged list"},
      {"list as set", Record("l", Packed(Encoding::kSetPacked, {"a"}), Kind::kList),
       "damaged list"},
      {"truncated zset", Record("z", ztruncated, Kind::kZset), "damaged zset value (key 'z'"},
      {"zset member twice", Record("z", zdup, Kind::kZset), "damaged zset"},
      {"zset NaN", Record("z", znan, Kind::kZset), "damaged zset"},
      {"zset odd items", Record("z", Packed(Encoding::kZsetPacked, {"m"}), Kind::kZset),
       "damaged zset"},
      {"empty zset", Record("z", Packed(Encoding::kZsetPacked, {}), Kind::kZset), "damaged zset"},
      {"zset internal bytes", Record("z", std::string("\x0a\0\0\0\0\0\0\0\0", 9), Kind::kZset),
       "damaged zset"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      size_t at = 0;
      std::string path = dir.file("bad.dkv");
      WriteAll(path, BuildFile(good + c.record, 2, &at));
      Keyspace ks(&clock, 16);
      ks.RefreshTime();
      ReadResult r = LoadSnapshotFile(path, ks, 100, {}, nullptr);
      BOOST_CHECK(r.error.find(c.error) != std::string::npos);
      BOOST_CHECK(r.error.find("snapshot " + path + ": offset " + std::to_string(at + good.size()) +
                               ": record 1 of the block") == 0);
      Keyspace partial(&clock, 16);
      partial.RefreshTime();
      ReadOptions allow;
      allow.allow_partial = true;
      r = LoadSnapshotFile(path, partial, 100, allow, nullptr);
      BOOST_CHECK_EQUAL(r.error, "");
      BOOST_CHECK(r.damage.find(c.error) != std::string::npos);
      BOOST_CHECK(partial.db(0).FindRaw("l") == nullptr);
      BOOST_CHECK(partial.db(0).FindRaw("z") == nullptr);
    }
  }
  // Undamaged, they load.
  size_t at = 0;
  std::string path = dir.file("good.dkv");
  WriteAll(path, BuildFile(good + Record("z", zgood, Kind::kZset), 2, &at));
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  BOOST_REQUIRE_EQUAL(LoadSnapshotFile(path, ks, 100, {}, nullptr).error, "");
  BOOST_CHECK_EQUAL(ZsetLen(ks.db(0).FindRaw("z")), 2u);
  BOOST_CHECK_EQUAL(ListLen(ks.db(0).FindRaw("a")), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
