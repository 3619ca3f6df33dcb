// The server (LoadSnapshotFile into a keyspace) and dkv-check-snapshot (ReadSnapshotFile into a
// summary) report the same error, at the same offset, for every damaged file: every truncation
// and every single-bit flip of a small multi-record, two-namespace file, and files forged with
// valid checksums whose keys repeat or are out of order (which the loader alone used to notice).
#include <xxhash.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/keyspace.h"
#include "persistence/coding.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_layout.h"

using namespace dkv::engine;
using namespace dkv::persistence;
namespace fs = std::filesystem;

namespace {

struct NullSink : RecordSink {
  std::string OnHeader(const SnapshotHeader&) override { return ""; }
  std::string OnRecord(const SnapshotRecord&) override { return ""; }
};

struct Dir {
  fs::path path;
  Dir() {
    char tmpl[] = "/tmp/dkv-agreement-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Dir() { fs::remove_all(path); }
};

void Write(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The checker's error and the server's, for `bytes`.
std::pair<std::string, std::string> BothErrors(const std::string& path, std::string_view bytes) {
  Write(path, bytes);
  NullSink sink;
  std::string checker = ReadSnapshotFile(path, sink).error;
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  std::string server = LoadSnapshotFile(path, ks, 16, {}, nullptr).error;
  return {checker, server};
}

std::string SmallFile(const std::string& path) {
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  ks.db(0).Insert("dup.alpha", "v1");
  ks.db(0).Insert("dup.bravo", "v2");
  Entry* e = ks.db(0).Insert("dup.charlie", "v3");
  ks.db(0).SetExpire(e, ks.now_ms() + 600000);
  ks.db(3).Insert("other", "v4");
  SaveOptions options;
  options.compress = false;
  BOOST_REQUIRE_EQUAL(SaveSnapshotFile(ks, path, options, nullptr), "");
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Replaces `from` by `to` (same length) in the first block and seals the block and file
// checksums again: a file that is damaged only in what the records say.
std::string Forge(std::string file, std::string_view from, std::string_view to) {
  uint32_t body_len;
  std::memcpy(&body_len, file.data() + 12, 4);  // little-endian, as the writer's Fixed32
  size_t block = kHeaderFixed + body_len + 8;
  size_t head_len = 6;  // kind, ns, records, raw_len, stored_len (one byte each here), codec
  BOOST_REQUIRE_EQUAL(static_cast<uint8_t>(file[block]), kBlockRecords);
  size_t stored_len = static_cast<uint8_t>(file[block + 4]);
  BOOST_REQUIRE_LT(stored_len, 128u);
  size_t at = file.find(from, block + head_len);
  BOOST_REQUIRE(at != std::string::npos && at < block + head_len + stored_len);
  file.replace(at, to.size(), to);
  std::string_view head(file.data() + block, head_len);
  std::string_view payload(file.data() + block + head_len, stored_len);
  uint64_t sum = BlockChecksum(head, payload);
  std::string fixed;
  PutFixed64(&fixed, sum);
  file.replace(block + head_len + stored_len, 8, fixed);
  fixed.clear();
  PutFixed64(&fixed, XXH3_64bits(file.data(), file.size() - 8));
  file.replace(file.size() - 8, 8, fixed);
  return file;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_agreement)

BOOST_AUTO_TEST_CASE(every_truncation_and_bit_flip_gets_the_same_error) {
  Dir dir;
  const std::string path = (dir.path / "dump.dkv").string();
  const std::string good = SmallFile((dir.path / "good.dkv").string());
  BOOST_REQUIRE_LT(good.size(), 400u);
  for (size_t len = 0; len < good.size(); ++len) {
    auto [checker, server] = BothErrors(path, std::string_view(good).substr(0, len));
    BOOST_TEST_CONTEXT("length " << len) {
      BOOST_CHECK(!checker.empty());
      BOOST_CHECK_EQUAL(checker, server);
    }
  }
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[pos] = static_cast<char>(bad[pos] ^ (1 << bit));
      auto [checker, server] = BothErrors(path, bad);
      BOOST_TEST_CONTEXT("flip of bit " << bit << " at " << pos) {
        BOOST_CHECK(!checker.empty());
        BOOST_CHECK_EQUAL(checker, server);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(forged_repeated_and_unordered_keys_are_damage_for_both) {
  Dir dir;
  const std::string path = (dir.path / "dump.dkv").string();
  const std::string good = SmallFile((dir.path / "good.dkv").string());
  BOOST_REQUIRE_EQUAL(BothErrors(path, good).first, "");
  BOOST_REQUIRE_EQUAL(BothErrors(path, Forge(good, "bravo", "bravo")).first, "");  // resealed
  for (auto [to, what] : {std::pair{"alpha", "key repeated"}, {"aaaaa", "key out of order"}}) {
    auto [checker, server] = BothErrors(path, Forge(good, "bravo", to));
    BOOST_TEST_CONTEXT(to) {
      BOOST_CHECK(checker.find(what) != std::string::npos);
      BOOST_CHECK(checker.find("record 1 of the block") != std::string::npos);
      BOOST_CHECK_EQUAL(checker, server);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
