// Streams in snapshot files: entries, counters, groups, PELs and consumers survive a save and a
// load (compressed or not) byte for byte in their portable form, and a damaged stream record is
// refused with the key named.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/keyspace.h"
#include "engine/stream.h"
#include "persistence/snapshot.h"

using namespace dkv::engine;
using namespace dkv::persistence;
namespace fs = std::filesystem;

namespace {

struct StreamDir {
  fs::path path;
  StreamDir() {
    char tmpl[] = "/tmp/dkv-snapshot-streams-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~StreamDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void Fill(Database& db, std::string_view key, uint64_t n, bool groups) {
  Stream* s = StreamOf(CreateStream(db, key));
  for (uint64_t i = 1; i <= n; ++i) {
    std::string v = std::to_string(i);
    std::vector<std::string_view> items = {"sensor", v, "reading", std::string_view("\0\xff", 2)};
    s->Append({1'700'000'000'000 + i, i % 2}, items, GlobalStreamLimits());
  }
  if (!groups) return;
  StreamGroup& g = s->groups()["workers"];
  g.last_id = {1'700'000'000'005, 1};
  g.entries_read = 5;
  g.consumers["w1"].seen_time_ms = 1'700'000'001'000;
  g.consumers["w2"].seen_time_ms = 1'700'000'002'000;
  g.consumers["w2"].active_time_ms = 1'700'000'001'500;
  g.pending[{1'700'000'000'002, 0}] = StreamNack{1'700'000'000'900, 3, "w2"};
  g.consumers["w2"].pending.insert({1'700'000'000'002, 0});
  s->groups()["idle"];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_streams)

BOOST_AUTO_TEST_CASE(streams_with_groups_round_trip) {
  FakeClock clock;
  Keyspace ks(&clock, 16);
  ks.RefreshTime();
  Fill(ks.db(0), "small", 3, true);
  Fill(ks.db(0), "large", 5000, true);
  Fill(ks.db(2), "plain", 10, false);
  CreateStream(ks.db(0), "empty");  // XGROUP CREATE ... MKSTREAM leaves one
  for (bool compress : {true, false}) {
    BOOST_TEST_CONTEXT("compress " << compress) {
      StreamDir dir;
      SaveOptions options;
      options.compress = compress;
      std::string path = dir.file("dump.dkv");
      BOOST_REQUIRE_EQUAL(SaveSnapshotFile(ks, path, options, nullptr), "");
      Keyspace loaded(&clock, 16);
      loaded.RefreshTime();
      LoadStats stats;
      BOOST_REQUIRE_EQUAL(LoadSnapshotFile(path, loaded, 100, {}, &stats).error, "");
      BOOST_CHECK_EQUAL(stats.keys_loaded, 4u);
      for (auto [db, key] : {std::pair{0, "small"}, {0, "large"}, {2, "plain"}, {0, "empty"}}) {
        BOOST_TEST_CONTEXT("key " << key) {
          Entry* a = ks.db(db).FindRaw(key);
          Entry* b = loaded.db(db).FindRaw(key);
          BOOST_REQUIRE(b != nullptr);
          BOOST_REQUIRE(b->kind() == Kind::kStream);
          BOOST_CHECK_EQUAL(EncodingName(EncodingOf(b)), "stream");
          BOOST_CHECK_EQUAL(StreamOf(b)->length(), StreamOf(a)->length());
          BOOST_CHECK(Serialize(a) == Serialize(b));
        }
      }
      const StreamGroup& g = StreamOf(loaded.db(0).FindRaw("large"))->groups().at("workers");
      BOOST_CHECK_EQUAL(g.consumers.at("w2").active_time_ms, 1'700'000'001'500);
      BOOST_CHECK_EQUAL(g.pending.at({1'700'000'000'002, 0}).delivery_count, 3u);
    }
  }
  while (!ReapContainers(SIZE_MAX)) {
  }
}

BOOST_AUTO_TEST_SUITE_END()
