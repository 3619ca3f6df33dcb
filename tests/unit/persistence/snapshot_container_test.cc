// Containers in the snapshot file (format 2): hashes and sets in every encoding, small and of
// 100,000+ elements, with TTLs and user metadata, survive a save and a load exactly; a format 1
// file (strings only, as older servers wrote) still loads; a damaged container record is refused
// with the file and its offset.
#include <xxhash.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/keyspace.h"
#include "engine/set_ops.h"
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
    char tmpl[] = "/tmp/dkv-snapshot-container-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void WriteAll(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The elements of a container, sorted: fields with their values, or members.
std::vector<std::pair<std::string, std::string>> Elements(const Entry* e) {
  std::vector<std::pair<std::string, std::string>> out;
  if (e->kind() == Kind::kHash) {
    HashForEach(e, [&](std::string_view f, std::string_view v) {
      out.emplace_back(f, v);
      return true;
    });
  } else {
    SetForEach(e, [&](std::string_view m) {
      out.emplace_back(m, "");
      return true;
    });
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Frees the large dicts that keyspaces destroyed in a test queued for freeing in slices (the
// server's loop reaps them; here the test does, last, so that LeakSanitizer sees none).
struct Reap {
  ~Reap() {
    while (!ReapContainers(SIZE_MAX)) {
    }
  }
};

// A keyspace of hashes and sets in every encoding, with strings beside them.
struct Source {
  FakeClock clock;
  Keyspace ks{&clock, 16};

  Source() {
    ks.RefreshTime();
    Database& db = ks.db(0);
    db.Insert("a.string", "plain");
    HashSet(db, "hash.small", {{"name", "ada"}, {"lang", "en"}, {std::string("b\0n", 3), "\xff"}});
    SetAdd(db, "set.small", {"x", "y", "z"});
    SetAdd(db, "set.intset", {"1", "-70000", "9000000000"});
    std::vector<std::string> fields, values, ints;
    for (int i = 0; i < 120000; ++i) {
      fields.push_back("field:" + std::to_string(i));
      values.push_back("value-" + std::to_string(i * 7));
      ints.push_back(std::to_string(i * 3 - 50000));
    }
    std::vector<FieldValue> pairs;
    for (size_t i = 0; i < fields.size(); ++i) pairs.emplace_back(fields[i], values[i]);
    HashSet(db, "hash.large", pairs);
    std::vector<std::string_view> members(fields.begin(), fields.end());
    SetAdd(db, "set.large", members);
    std::vector<std::string_view> numbers(ints.begin(), ints.end());
    SetAdd(db, "set.large.ints", numbers);
    // TTLs, user fields, content types, changed versions and times.
    clock.AdvanceMs(1500);
    ks.RefreshTime();
    HashSet(db, "hash.small", {{"lang", "fr"}});
    Entry* h = db.FindRaw("hash.small");
    db.SetExpire(h, ks.now_ms() + 3'600'000);
    db.SetFields(h, {{"owner", "team-a"}, {"", ""}});
    h->set_content_type(*ks.content_types().Intern("application/x-profile"));
    db.SetExpire(db.FindRaw("set.large"), ks.now_ms() + 7'200'000);
    db.SetFields(db.FindRaw("hash.large"), {{"source", "import"}});
    clock.AdvanceMs(700);
    ks.RefreshTime();
    db.FindRaw("set.intset")->set_accessed_ms(ks.now_ms());
    // Another namespace, and a container already expired at the save (left out).
    SetAdd(ks.db(3), "three", {"3"});
    HashSet(db, "hash.expired", {{"f", "v"}});
    db.SetExpire(db.FindRaw("hash.expired"), ks.now_ms() - 1);
  }
};

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
        BOOST_CHECK_EQUAL(e->container(), f->container());
        if (e->container()) {
          BOOST_CHECK_EQUAL(EncodingName(EncodingOf(e)), EncodingName(EncodingOf(f)));
          // Small encodings are the portable bytes themselves: equal byte for byte.
          if (DictOf(e) == nullptr) BOOST_CHECK(e->value() == f->value());
          BOOST_CHECK(Elements(e) == Elements(f));
        } else {
          BOOST_CHECK(e->value() == f->value());
        }
        BOOST_CHECK_EQUAL(e->version(), f->version());
        BOOST_CHECK_EQUAL(e->created_ms(), f->created_ms());
        BOOST_CHECK_EQUAL(e->updated_ms(), f->updated_ms());
        BOOST_CHECK_EQUAL(e->accessed_ms(), f->accessed_ms());
        BOOST_CHECK_EQUAL(a.content_types().Name(e->content_type()),
                          b.content_types().Name(f->content_type()));
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

// A file built record by record, as the fuzz harness does: header (format `version`, one
// namespace "0" of `count` keys), one uncompressed block, end marker, checksums.
std::string BuildFile(uint16_t version, std::string_view records, uint64_t count,
                      size_t* block_payload_at) {
  std::string body;
  PutFixed64(&body, 1'700'000'000'000ULL);
  PutString(&body, "test");
  PutVarint(&body, 1);
  PutVarint(&body, 0);
  PutString(&body, "0");
  PutVarint(&body, count);
  PutVarint(&body, 0);  // no content types
  PutVarint(&body, 0);  // no aux
  std::string file(kSnapshotMagic, sizeof(kSnapshotMagic));
  PutFixed16(&file, version);
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

// One record as format 1 wrote it (a string, version 1, created at the header's instant), or,
// with `kind`, a format 2 container record.
std::string Record(std::string_view key, std::string_view value, Kind kind = Kind::kString) {
  std::string r;
  uint8_t flags2 = static_cast<uint8_t>(static_cast<uint8_t>(kind) << kRec2KindShift);
  r.push_back(static_cast<char>(flags2 != 0 ? kRecMore : 0));
  if (flags2 != 0) r.push_back(static_cast<char>(flags2));
  PutVarint(&r, 0);  // no prefix shared with the previous key
  PutString(&r, key);
  PutString(&r, value);
  PutVarint(&r, 1);
  PutVarint(&r, ZigZag(0));
  return r;
}

std::string Packed(Encoding tag, const std::vector<std::string>& items) {
  std::string out(1, static_cast<char>(tag));
  PutVarint(&out, items.size());  // the same LEB128 varints as engine/packed.h
  for (const std::string& item : items) PutString(&out, item);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_containers)

BOOST_AUTO_TEST_CASE(hashes_and_sets_of_every_encoding_round_trip) {
  Reap reap;
  Source src;
  Database& db = src.ks.db(0);
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("hash.small"))), "listpack");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("set.intset"))), "intset");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("set.small"))), "listpack");
  BOOST_REQUIRE_EQUAL(EncodingName(EncodingOf(db.FindRaw("hash.large"))), "hashtable");
  BOOST_REQUIRE_EQUAL(HashLen(db.FindRaw("hash.large")), 120000u);
  BOOST_REQUIRE_EQUAL(SetLen(db.FindRaw("set.large.ints")), 120000u);
  for (bool compress : {true, false}) {
    BOOST_TEST_CONTEXT("compress " << compress) {
      TempDir dir;
      SaveOptions options;
      options.compress = compress;
      SaveStats stats;
      std::string path = dir.file("dump.dkv");
      BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, options, &stats), "");
      BOOST_CHECK_EQUAL(stats.keys, 8u);
      Keyspace loaded(&src.clock, 16);
      loaded.RefreshTime();
      LoadStats load;
      ReadResult r = LoadSnapshotFile(path, loaded, 100, {}, &load);
      BOOST_REQUIRE_EQUAL(r.error, "");
      BOOST_CHECK_EQUAL(r.header.format_version, kSnapshotFormatVersion);
      BOOST_CHECK_EQUAL(load.keys_loaded, 8u);
      BOOST_CHECK(loaded.db(0).FindRaw("hash.expired") == nullptr);
      ExpectSame(src.ks, loaded);
      // The loaded keyspace saves to the same bytes again (same instant, same order; dict
      // order may differ, so the comparison is of what the file reads back as).
      std::string again = dir.file("again.dkv");
      BOOST_REQUIRE_EQUAL(SaveSnapshotFile(loaded, again, options, nullptr), "");
      Keyspace twice(&src.clock, 16);
      twice.RefreshTime();
      BOOST_REQUIRE_EQUAL(LoadSnapshotFile(again, twice, 100, {}, nullptr).error, "");
      ExpectSame(src.ks, twice);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_load_follows_the_servers_encoding_limits) {
  Reap reap;
  Source src;
  TempDir dir;
  std::string path = dir.file("dump.dkv");
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, {}, nullptr), "");
  Keyspace loaded(&src.clock, 16);
  loaded.RefreshTime();
  ContainerLimits tight;
  tight.hash_max_entries = 1;
  tight.set_max_intset_entries = 2;
  loaded.set_container_limits(tight);
  BOOST_REQUIRE_EQUAL(LoadSnapshotFile(path, loaded, 100, {}, nullptr).error, "");
  BOOST_CHECK_EQUAL(EncodingName(EncodingOf(loaded.db(0).FindRaw("hash.small"))), "hashtable");
  BOOST_CHECK_EQUAL(EncodingName(EncodingOf(loaded.db(0).FindRaw("set.intset"))), "hashtable");
  BOOST_CHECK(Elements(loaded.db(0).FindRaw("hash.small")) ==
              Elements(src.ks.db(0).FindRaw("hash.small")));
}

BOOST_AUTO_TEST_CASE(format_1_files_still_load_and_cannot_hold_containers) {
  Reap reap;
  TempDir dir;
  // The format 1 writer (the test knob) and a file laid out by hand as format 1 was.
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  ks.db(0).Insert("k", "v");
  std::string v1 = dir.file("v1.dkv");
  SaveOptions old;
  old.format_version = 1;
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(ks, v1, old, nullptr), "");
  Keyspace a(&clock, 16);
  a.RefreshTime();
  ReadResult r = LoadSnapshotFile(v1, a, 100, {}, nullptr);
  BOOST_REQUIRE_EQUAL(r.error, "");
  BOOST_CHECK_EQUAL(r.header.format_version, 1);
  BOOST_CHECK(a.db(0).FindRaw("k")->value() == "v");

  size_t at = 0;
  std::string records = Record("a", "1") + Record("b", std::string("\0\xff", 2));
  WriteAll(v1, BuildFile(1, records, 2, &at));
  Keyspace b(&clock, 16);
  b.RefreshTime();
  r = LoadSnapshotFile(v1, b, 100, {}, nullptr);
  BOOST_REQUIRE_EQUAL(r.error, "");
  BOOST_CHECK(b.db(0).FindRaw("b")->value() == std::string("\0\xff", 2));
  BOOST_CHECK(!b.db(0).FindRaw("a")->container());

  // Format 1 has no container bits: a record with them is damage there.
  WriteAll(v1, BuildFile(1, Record("h", Packed(Encoding::kHashPacked, {"f", "v"}), Kind::kHash), 1,
                         &at));
  r = LoadSnapshotFile(v1, b, 100, {}, nullptr);
  BOOST_CHECK(r.error.find("unknown flags") != std::string::npos);

  HashSet(ks.db(0), "h", {{"f", "v"}});
  std::string err = SaveSnapshotFile(ks, dir.file("v1b.dkv"), old, nullptr);
  BOOST_CHECK(err.find("cannot hold the hash 'h'") != std::string::npos);
  BOOST_CHECK(!fs::exists(dir.file("v1b.dkv")));
}

BOOST_AUTO_TEST_CASE(damaged_container_records_are_refused_with_file_and_offset) {
  Reap reap;
  TempDir dir;
  FakeClock clock(1'700'000'000'000);
  const std::string good = Record("a", "1");
  struct Case {
    std::string name, record, error;
  };
  std::string truncated = Packed(Encoding::kSetPacked, {"a", "b"});
  truncated.pop_back();
  std::string bad_intset = std::string(1, static_cast<char>(Encoding::kSetIntset)) + "\x02";
  bad_intset += std::string("\x05\x00\x01\x00", 4);  // 5 then 1: not ascending
  const Case cases[] = {
      {"repeated field",
       Record("h", Packed(Encoding::kHashPacked, {"f", "1", "f", "2"}), Kind::kHash),
       "damaged hash value (key 'h'"},
      {"odd item count", Record("h", Packed(Encoding::kHashPacked, {"f"}), Kind::kHash),
       "damaged hash value"},
      {"truncated item", Record("s", truncated, Kind::kSet), "damaged set value (key 's'"},
      {"empty set", Record("s", Packed(Encoding::kSetPacked, {}), Kind::kSet), "damaged set"},
      {"intset out of order", Record("s", bad_intset, Kind::kSet), "damaged set"},
      {"wrong kind", Record("s", Packed(Encoding::kHashPacked, {"f", "v"}), Kind::kSet),
       "damaged set"},
      {"unknown kind", Record("l", "x", static_cast<Kind>(6)), "unknown container kind 6"},
      {"damaged stream",
       Record("x", std::string(1, static_cast<char>(Encoding::kStreamPortable)), Kind::kStream),
       "damaged stream value (key 'x'"},
      {"internal bytes", Record("h", std::string("\x02\0\0\0\0\0\0\0\0", 9), Kind::kHash),
       "damaged hash"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      size_t at = 0;
      std::string path = dir.file("bad.dkv");
      WriteAll(path, BuildFile(2, good + c.record, 2, &at));
      Keyspace ks(&clock, 16);
      ks.RefreshTime();
      ReadResult r = LoadSnapshotFile(path, ks, 100, {}, nullptr);
      BOOST_CHECK(r.error.find(c.error) != std::string::npos);
      // The file, and the exact offset of the record (uncompressed block).
      BOOST_CHECK(r.error.find("snapshot " + path + ": offset " + std::to_string(at + good.size()) +
                               ": record 1 of the block") == 0);
      // A partial load keeps the valid blocks before it (none here), never the damaged one.
      Keyspace partial(&clock, 16);
      partial.RefreshTime();
      ReadOptions allow;
      allow.allow_partial = true;
      r = LoadSnapshotFile(path, partial, 100, allow, nullptr);
      BOOST_CHECK_EQUAL(r.error, "");
      BOOST_CHECK(r.damage.find(c.error) != std::string::npos);
      BOOST_CHECK(partial.db(0).FindRaw("h") == nullptr);
      BOOST_CHECK(partial.db(0).FindRaw("s") == nullptr);
    }
  }
  // The same records, undamaged, load.
  size_t at = 0;
  std::string path = dir.file("good.dkv");
  std::string intset = std::string(1, static_cast<char>(Encoding::kSetIntset)) + "\x02";
  intset += std::string("\x01\x00\x05\x00", 4);
  WriteAll(path,
           BuildFile(2,
                     good + Record("h", Packed(Encoding::kHashPacked, {"f", "1"}), Kind::kHash) +
                         Record("s", intset, Kind::kSet),
                     3, &at));
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  ReadResult r = LoadSnapshotFile(path, ks, 100, {}, nullptr);
  BOOST_REQUIRE_EQUAL(r.error, "");
  BOOST_CHECK_EQUAL(SetLen(ks.db(0).FindRaw("s")), 2u);
  BOOST_CHECK_EQUAL(HashLen(ks.db(0).FindRaw("h")), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
