// The snapshot file: round trips of everything a key carries, expiry at load, and detection of
// every truncation and bit flip, with errors that name the file and the offset.
#include "persistence/snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "engine/keyspace.h"

using namespace dkv::engine;
using namespace dkv::persistence;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/dkv-snapshot-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Counts records and remembers nothing else.
struct CountingSink : RecordSink {
  uint64_t records = 0;
  std::string OnHeader(const SnapshotHeader&) override { return ""; }
  std::string OnRecord(const SnapshotRecord&) override {
    ++records;
    return "";
  }
};

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// A keyspace with every kind of thing a snapshot must carry.
struct Source {
  FakeClock clock;
  Keyspace ks{&clock, 16};

  Source() {
    ks.RefreshTime();
    std::mt19937_64 rng(42);
    Database& db0 = ks.db(0);
    // Many hierarchical keys: several blocks, shared key prefixes.
    for (int i = 0; i < 5000; ++i) {
      std::string key = "app.tenant" + std::to_string(i % 7) + ".user" + std::to_string(i);
      Entry* e = db0.Insert(key, "profile-" + std::to_string(i * 31));
      if (i % 5 == 0) db0.SetExpire(e, ks.now_ms() + 60000 + i);
    }
    // Every value type, with content types and user fields.
    for (int t = 0; t <= static_cast<int>(ValueType::kCustom); ++t) {
      Entry* e = db0.Insert("typed." + std::to_string(t), "v" + std::to_string(t),
                            static_cast<ValueType>(t));
      e->set_content_type(*ks.content_types().Intern("application/x-" + std::to_string(t)));
      db0.SetFields(e, {{"owner", "team" + std::to_string(t)}, {"", ""}, {"bin\0x", "\xff"}});
    }
    // Binary-safe keys and values, an empty value, a big random and a big repetitive value.
    db0.Insert(std::string("bin\0key\xff", 8), std::string("\0\1\2\xff", 4));
    db0.Insert("empty", "");
    db0.Insert("big.random", RandomBytes(rng, 300000));
    db0.Insert("big.repeat", std::string(400000, 'r'));
    // Changed values: versions, distinct created/updated/accessed, raw encoding, LFU counter.
    clock.AdvanceMs(1500);
    ks.RefreshTime();
    Entry* e = db0.FindRaw("app.tenant1.user1");
    e = db0.SetValue(e, "changed");
    e = db0.SetValue(e, "changed again");
    e->set_raw_encoding(true);
    clock.AdvanceMs(700);
    ks.RefreshTime();
    e->set_accessed_ms(ks.now_ms());
    ks.set_access_policy({true, 10, 1});
    for (int i = 0; i < 200; ++i) db0.RecordAccess(db0.FindRaw("app.tenant2.user2"));
    // A numbered database and a named namespace.
    ks.db(5).Insert("five", "5");
    int named = ks.FindOrCreateNamespace("tenant-a", 100);
    ks.db(named).Insert("config.db.host", "localhost");
    // A key already expired at the save: left out.
    Entry* gone = db0.Insert("expired.already", "x");
    db0.SetExpire(gone, ks.now_ms() - 1);
  }
};

void ExpectSameEntries(Keyspace& a, Keyspace& b, int64_t now_ms, size_t at_least = 5000) {
  BOOST_REQUIRE_EQUAL(a.database_count(), b.database_count());
  size_t compared = 0;
  for (int i = 0; i < a.database_count(); ++i) {
    BOOST_TEST_CONTEXT("namespace " << a.NamespaceName(i)) {
      BOOST_CHECK_EQUAL(a.NamespaceName(i), b.NamespaceName(i));
      Database& da = a.db(i);
      Database& db = b.db(i);
      size_t live = 0;
      da.ForEach([&](Entry* e) {
        int64_t exp = da.ExpireAt(e);
        if (exp != 0 && exp <= now_ms) return;
        ++live;
        BOOST_TEST_CONTEXT("key " << e->key()) {
          Entry* f = db.FindRaw(e->key());
          BOOST_REQUIRE(f != nullptr);
          BOOST_CHECK(e->value() == f->value());
          BOOST_CHECK(e->type() == f->type());
          BOOST_CHECK_EQUAL(e->version(), f->version());
          BOOST_CHECK_EQUAL(e->created_ms(), f->created_ms());
          BOOST_CHECK_EQUAL(e->updated_ms(), f->updated_ms());
          BOOST_CHECK_EQUAL(e->accessed_ms(), f->accessed_ms());
          BOOST_CHECK_EQUAL(e->raw_encoding(), f->raw_encoding());
          BOOST_CHECK_EQUAL(int(e->lfu_counter()), int(f->lfu_counter()));
          BOOST_CHECK_EQUAL(a.content_types().Name(e->content_type()),
                            b.content_types().Name(f->content_type()));
          BOOST_CHECK_EQUAL(da.ExpireAt(e), db.ExpireAt(f));
          const UserFields* fa = da.Fields(e);
          const UserFields* fb = db.Fields(f);
          BOOST_REQUIRE_EQUAL(fa == nullptr, fb == nullptr);
          if (fa != nullptr) BOOST_CHECK(*fa == *fb);
          ++compared;
        }
      });
      BOOST_CHECK_EQUAL(live, db.size());
    }
  }
  BOOST_CHECK_GT(compared, at_least);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_AUTO_TEST_CASE(round_trip_keeps_values_types_metadata_ttls_and_namespaces) {
  for (bool compress : {true, false}) {
    BOOST_TEST_CONTEXT("compress " << compress) {
      TempDir dir;
      Source src;
      SaveOptions options;
      options.server_version = "test";
      options.compress = compress;
      options.aux = {{"k", "v"}};
      SaveStats stats;
      std::string path = dir.file("dump.dkv");
      BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, options, &stats), "");
      BOOST_CHECK_GT(stats.blocks, 3u);

      Keyspace loaded(&src.clock, 16);
      loaded.RefreshTime();
      LoadStats load;
      ReadResult r = LoadSnapshotFile(path, loaded, 100, {}, &load);
      BOOST_REQUIRE_EQUAL(r.error, "");
      BOOST_CHECK_EQUAL(r.damage, "");
      BOOST_CHECK_EQUAL(r.header.server_version, "test");
      BOOST_CHECK_EQUAL(r.header.created_ms, src.ks.now_ms());
      BOOST_CHECK_EQUAL(r.header.aux.size(), 1u);
      BOOST_CHECK_EQUAL(load.keys_loaded, stats.keys);
      BOOST_CHECK_EQUAL(load.keys_expired, 0u);
      BOOST_CHECK(loaded.db(0).FindRaw("expired.already") == nullptr);
      BOOST_CHECK_EQUAL(compress, r.compressed_blocks > 0);
      ExpectSameEntries(src.ks, loaded, src.ks.now_ms());
      // Header key counts per namespace match what was written.
      uint64_t total = 0;
      for (const auto& ns : r.header.namespaces) total += ns.keys;
      BOOST_CHECK_EQUAL(total, stats.keys);
    }
  }
}

BOOST_AUTO_TEST_CASE(keys_whose_ttl_passed_while_down_are_dropped_at_load) {
  TempDir dir;
  Source src;
  std::string path = dir.file("dump.dkv");
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, {}, nullptr), "");
  FakeClock later(src.ks.now_ms() + 60000 + 2000);  // past the TTL of app...user0 .. user10
  Keyspace loaded(&later, 16);
  loaded.RefreshTime();
  LoadStats load;
  ReadResult r = LoadSnapshotFile(path, loaded, 100, {}, &load);
  BOOST_REQUIRE_EQUAL(r.error, "");
  BOOST_CHECK_GT(load.keys_expired, 0u);
  BOOST_CHECK(loaded.db(0).FindRaw("app.tenant0.user0") == nullptr);     // TTL now + 60000
  BOOST_CHECK(loaded.db(0).FindRaw("app.tenant4.user4995") != nullptr);  // TTL + 64995 ms
  ExpectSameEntries(src.ks, loaded, later.NowMs(), 4000);
}

BOOST_AUTO_TEST_CASE(hierarchical_keyspace_is_smaller_than_its_raw_bytes) {
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  uint64_t raw = 0;
  for (int t = 0; t < 20; ++t) {
    for (int u = 0; u < 1000; ++u) {
      std::string key = "app.tenant" + std::to_string(t) + ".user" + std::to_string(u) + ".profile";
      std::string value = "{\"id\":" + std::to_string(u) + ",\"plan\":\"pro\"}";
      raw += key.size() + value.size();
      ks.db(0).Insert(key, value);
    }
  }
  TempDir dir;
  SaveStats stats;
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(ks, dir.file("d"), {}, &stats), "");
  BOOST_TEST_MESSAGE("raw " << raw << " bytes, snapshot " << stats.bytes);
  BOOST_CHECK_LT(stats.bytes, raw / 2);
}

BOOST_AUTO_TEST_CASE(truncation_at_every_byte_is_detected_and_partial_load_keeps_whole_blocks) {
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  for (int i = 0; i < 60; ++i) {
    ks.db(i % 2).Insert("k" + std::to_string(i),
                        std::string(60 + static_cast<size_t>(i), static_cast<char>('a' + i % 26)));
  }
  TempDir dir;
  std::string path = dir.file("dump.dkv");
  SaveOptions options;
  options.compress = false;
  options.block_size = 400;  // many small blocks: every kind of boundary in a small file
  SaveStats stats;
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(ks, path, options, &stats), "");
  BOOST_REQUIRE_GT(stats.blocks, 8u);
  std::string full = ReadAll(path);
  std::string cut = dir.file("cut.dkv");
  WriteAll(cut, full);
  uint64_t next_partial = UINT64_MAX;
  // Every length from the whole file minus one down to zero: each record and block boundary,
  // the header, the end marker and the file checksum.
  for (size_t len = full.size(); len-- > 0;) {
    BOOST_REQUIRE_EQUAL(::truncate(cut.c_str(), static_cast<off_t>(len)), 0);
    CountingSink sink;
    ReadResult r = ReadSnapshotFile(cut, sink);
    BOOST_TEST_CONTEXT("length " << len) {
      BOOST_REQUIRE(!r.error.empty());
      BOOST_CHECK(r.error.find(cut) != std::string::npos);
      BOOST_CHECK(r.error.find("offset ") != std::string::npos);
      CountingSink partial_sink;
      ReadOptions partial;
      partial.allow_partial = true;
      ReadResult p = ReadSnapshotFile(cut, partial_sink, partial);
      if (p.error.empty()) {  // past the header: the whole blocks before the cut
        BOOST_CHECK(!p.damage.empty());
        BOOST_CHECK_LE(p.records, next_partial);
        BOOST_CHECK_LE(p.records, stats.keys);
        BOOST_CHECK_EQUAL(p.records, partial_sink.records);
        next_partial = p.records;
      } else {
        BOOST_CHECK_LT(len, 64u);  // only a cut header fails outright
      }
    }
  }
  BOOST_CHECK_EQUAL(next_partial, 0u);
}

BOOST_AUTO_TEST_CASE(random_bit_flips_are_detected) {
  for (bool compress : {true, false}) {
    TempDir dir;
    Source src;
    std::string path = dir.file("dump.dkv");
    SaveOptions options;
    options.compress = compress;
    BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, options, nullptr), "");
    std::string full = ReadAll(path);
    std::mt19937_64 rng(7);
    int fd = ::open(path.c_str(), O_RDWR);
    BOOST_REQUIRE_GE(fd, 0);
    for (int n = 0; n < 300; ++n) {
      // Half the flips land in the first 200 and last 50 bytes: header and end marker.
      size_t pos = n % 4 == 0   ? rng() % 200
                   : n % 4 == 1 ? full.size() - 1 - rng() % 50
                                : rng() % full.size();
      char flipped = static_cast<char>(full[pos] ^ (1 << (rng() % 8)));
      BOOST_REQUIRE_EQUAL(::pwrite(fd, &flipped, 1, static_cast<off_t>(pos)), 1);
      CountingSink sink;
      ReadResult r = ReadSnapshotFile(path, sink);
      BOOST_TEST_CONTEXT("flip at " << pos) { BOOST_CHECK(!r.error.empty()); }
      BOOST_REQUIRE_EQUAL(::pwrite(fd, &full[pos], 1, static_cast<off_t>(pos)), 1);
    }
    ::close(fd);
    CountingSink sink;
    BOOST_CHECK_EQUAL(ReadSnapshotFile(path, sink).error, "");  // restored: valid again
  }
}

BOOST_AUTO_TEST_CASE(foreign_newer_and_padded_files_are_refused_with_clear_errors) {
  TempDir dir;
  Source src;
  std::string path = dir.file("dump.dkv");
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, {}, nullptr), "");
  std::string full = ReadAll(path);
  CountingSink sink;

  std::string other = dir.file("other");
  WriteAll(other, "REDIS0011\xfa\x09redis-ver");
  ReadResult r = ReadSnapshotFile(other, sink);
  BOOST_CHECK(r.error.find("not a dkv snapshot") != std::string::npos);

  std::string newer = full;
  newer[8] = 3;  // format version 3
  WriteAll(other, newer);
  r = ReadSnapshotFile(other, sink);
  BOOST_CHECK(r.error.find("format version 3") != std::string::npos);

  WriteAll(other, full + "x");
  r = ReadSnapshotFile(other, sink);
  BOOST_CHECK(r.error.find("1 bytes after the end") != std::string::npos);

  r = ReadSnapshotFile(dir.file("missing"), sink);
  BOOST_CHECK(r.error.find("cannot open") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_namespace_the_server_cannot_hold_is_refused) {
  TempDir dir;
  FakeClock clock;
  Keyspace big(&clock, 32);
  big.RefreshTime();
  big.db(20).Insert("k", "v");
  std::string path = dir.file("dump.dkv");
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(big, path, {}, nullptr), "");
  Keyspace small(&clock, 16);
  small.RefreshTime();
  ReadResult r = LoadSnapshotFile(path, small, 16, {}, nullptr);
  BOOST_CHECK(r.error.find("namespace '20'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_save_leaves_the_old_file_and_no_temporary_file) {
  TempDir dir;
  Source src;
  std::string path = dir.file("dump.dkv");
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(src.ks, path, {}, nullptr), "");
  std::string before = ReadAll(path);
  // The rename cannot replace a directory: the save fails after writing the whole temp file.
  std::string blocked = dir.file("blocked.dkv");
  fs::create_directory(blocked);
  fs::create_directory(blocked + "/x");
  std::string err = SaveSnapshotFile(src.ks, blocked, {}, nullptr);
  BOOST_CHECK(err.find("rename") != std::string::npos);
  BOOST_CHECK(err.find(blocked) != std::string::npos);
  // Writing into a missing directory fails at once.
  err = SaveSnapshotFile(src.ks, dir.file("nodir/dump.dkv"), {}, nullptr);
  BOOST_CHECK(err.find("cannot create") != std::string::npos);
  int temps = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) ++temps;
  }
  BOOST_CHECK_EQUAL(temps, 0);
  BOOST_CHECK(ReadAll(path) == before);
  // A killed save's temp file is removed at the next start.
  WriteAll(path + ".tmp-12345", "partial");
  WriteAll(dir.file("unrelated.tmp-1"), "keep");
  BOOST_CHECK_EQUAL(RemoveStaleTempFiles(path), 1);
  BOOST_CHECK(fs::exists(dir.file("unrelated.tmp-1")));
}

BOOST_AUTO_TEST_CASE(an_empty_keyspace_round_trips) {
  TempDir dir;
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  std::string path = dir.file("dump.dkv");
  SaveStats stats;
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(ks, path, {}, &stats), "");
  BOOST_CHECK_EQUAL(stats.keys, 0u);
  Keyspace loaded(&clock, 16);
  ReadResult r = LoadSnapshotFile(path, loaded, 16, {}, nullptr);
  BOOST_CHECK_EQUAL(r.error, "");
  BOOST_CHECK_EQUAL(loaded.TotalKeys(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
