// Consumer groups (engine/stream_groups.h) on a Stream: creation and consumers, reading new
// entries into the PEL (NOACK, reassignment after SETID went back), the consumer's history with
// deleted entries, acknowledgements, the pending views, XCLAIM's options (IDLE, RETRYCOUNT,
// FORCE, JUSTID, deleted entries leaving the PEL), XAUTOCLAIM as an iterator with its deleted
// IDs and attempts bound, and Redis 7's entries-read and lag with and without tombstones. The
// two views of a PEL (group and consumer) are checked to agree after every operation.
#include "engine/stream_groups.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "engine/stream.h"

using namespace dkv::engine;

namespace {

StreamId Id(uint64_t ms, uint64_t seq = 0) { return {ms, seq}; }

void Add(Stream& s, StreamId id) {
  std::vector<std::string_view> items = {"f", "v"};
  s.Append(id, items, StreamLimits{});
}

// The group's PEL and its consumers' PELs name the same entries.
void CheckConsistent(const StreamGroup& g) {
  size_t total = 0;
  for (const auto& [name, c] : g.consumers) {
    total += c.pending.size();
    for (const StreamId& id : c.pending) {
      auto it = g.pending.find(id);
      BOOST_REQUIRE(it != g.pending.end());
      BOOST_TEST(it->second.consumer == name);
    }
  }
  BOOST_TEST(total == g.pending.size());
}

std::vector<StreamId> ReadNew(Stream& s, StreamGroup& g, std::string_view consumer, size_t count,
                              bool noack, int64_t now) {
  std::vector<StreamId> ids;
  ReadNewEntries(s, g, consumer, count, noack, now, [&](const StreamEntryView& e) {
    ids.push_back(e.id);
    return true;
  });
  CheckConsistent(g);
  return ids;
}

struct Fixture {
  Stream s;
  StreamGroup* g = nullptr;
  Fixture() {
    for (uint64_t i = 1; i <= 5; ++i) Add(s, Id(i));
    BOOST_REQUIRE(CreateGroup(s, "g", StreamId{}, kEntriesReadInvalid));
    g = FindGroup(s, "g");
    CreateConsumer(*g, "alice", 1000);
    CreateConsumer(*g, "bob", 1000);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stream_groups, Fixture)

BOOST_AUTO_TEST_CASE(create_destroy_and_consumers) {
  BOOST_TEST(!CreateGroup(s, "g", Id(9), 0));  // BUSYGROUP: unchanged
  BOOST_TEST((g->last_id == StreamId{}));
  BOOST_TEST(CreateConsumer(*g, "alice", 5) == nullptr);
  BOOST_TEST(FindConsumer(*g, "carol") == nullptr);
  ReadNew(s, *g, "alice", 2, false, 2000);
  BOOST_TEST(*DeleteConsumer(*g, "alice") == 2u);
  BOOST_TEST(g->pending.empty());
  BOOST_TEST(!DeleteConsumer(*g, "alice").has_value());
  BOOST_TEST(DestroyGroup(s, "g"));
  BOOST_TEST(!DestroyGroup(s, "g"));
  BOOST_TEST(FindGroup(s, "g") == nullptr);
}

BOOST_AUTO_TEST_CASE(read_new_fills_the_pel_and_counts_entries_read) {
  auto ids = ReadNew(s, *g, "alice", 2, false, 2000);
  BOOST_TEST(ids.size() == 2u);
  BOOST_TEST((g->last_id == Id(2)));
  BOOST_TEST(g->entries_read == 2);
  BOOST_TEST(g->pending.at(Id(1)).delivery_count == 1u);
  BOOST_TEST(g->pending.at(Id(1)).delivery_time_ms == 2000);
  BOOST_TEST(FindConsumer(*g, "alice")->active_time_ms == 2000);
  // COUNT 0 reads everything left.
  ids = ReadNew(s, *g, "bob", 0, false, 3000);
  BOOST_TEST(ids.size() == 3u);
  BOOST_TEST(g->entries_read == 5);
  BOOST_TEST(*GroupLag(s, *g) == 0);
  BOOST_TEST(ReadNew(s, *g, "bob", 0, false, 3000).empty());
}

BOOST_AUTO_TEST_CASE(noack_moves_the_id_without_a_pel) {
  auto ids = ReadNew(s, *g, "alice", 0, true, 2000);
  BOOST_TEST(ids.size() == 5u);
  BOOST_TEST(g->pending.empty());
  BOOST_TEST((g->last_id == Id(5)));
  BOOST_TEST(FindConsumer(*g, "alice")->active_time_ms == -1);
}

BOOST_AUTO_TEST_CASE(setid_back_reassigns_pending_entries) {
  ReadNew(s, *g, "alice", 3, false, 2000);
  SetGroupId(*g, StreamId{}, kEntriesReadInvalid);
  ReadNew(s, *g, "bob", 2, false, 3000);
  BOOST_TEST(g->pending.at(Id(1)).consumer == "bob");
  BOOST_TEST(g->pending.at(Id(3)).consumer == "alice");
  BOOST_TEST(FindConsumer(*g, "alice")->pending.size() == 1u);
}

BOOST_AUTO_TEST_CASE(history_redelivers_and_reports_deleted_entries) {
  ReadNew(s, *g, "alice", 3, false, 2000);
  BOOST_TEST(s.Delete(Id(2)));
  std::vector<std::pair<StreamId, bool>> seen;
  size_t n = ReadConsumerHistory(
      s, *g, "alice", Id(2), 0, 4000,
      [&](StreamId id, const StreamEntryView* e) { seen.emplace_back(id, e != nullptr); });
  BOOST_TEST(n == 2u);
  BOOST_TEST((seen[0].first == Id(2)));
  BOOST_TEST(!seen[0].second);
  BOOST_TEST(seen[1].second);
  BOOST_TEST(g->pending.at(Id(3)).delivery_count == 2u);
  BOOST_TEST(g->pending.at(Id(3)).delivery_time_ms == 4000);
  BOOST_TEST(g->pending.at(Id(2)).delivery_count == 1u);
  BOOST_TEST(g->pending.at(Id(1)).delivery_count == 1u);
  // COUNT bounds the history too.
  n = ReadConsumerHistory(s, *g, "alice", StreamId{}, 1, 5000,
                          [](StreamId, const StreamEntryView*) {});
  BOOST_TEST(n == 1u);
}

BOOST_AUTO_TEST_CASE(ack_and_pending_views) {
  ReadNew(s, *g, "alice", 2, false, 2000);
  ReadNew(s, *g, "bob", 2, false, 3000);
  BOOST_TEST(Acknowledge(*g, Id(1)));
  BOOST_TEST(!Acknowledge(*g, Id(1)));
  BOOST_TEST(!Acknowledge(*g, Id(9)));
  CheckConsistent(*g);
  std::vector<StreamId> ids;
  auto collect = [&](StreamId id, const StreamNack&) { ids.push_back(id); };
  VisitPending(*g, nullptr, StreamId{}, StreamId::Max(), 10, 0, 5000, collect);
  BOOST_TEST(ids.size() == 3u);
  ids.clear();
  std::string_view bob = "bob";
  VisitPending(*g, &bob, StreamId{}, StreamId::Max(), 10, 0, 5000, collect);
  BOOST_TEST(ids.size() == 2u);
  ids.clear();
  // IDLE 2500 at 5000: only alice's (delivered at 2000) qualify; count still bounds.
  VisitPending(*g, nullptr, StreamId{}, StreamId::Max(), 10, 2500, 5000, collect);
  BOOST_TEST(ids.size() == 1u);
  ids.clear();
  VisitPending(*g, nullptr, Id(3), Id(3), 10, 0, 5000, collect);
  BOOST_TEST(ids.size() == 1u);
  ids.clear();
  std::string_view nobody = "nobody";
  VisitPending(*g, &nobody, StreamId{}, StreamId::Max(), 10, 0, 5000, collect);
  BOOST_TEST(ids.empty());
}

BOOST_AUTO_TEST_CASE(claim_options) {
  ReadNew(s, *g, "alice", 3, false, 2000);
  ClaimOptions opts;
  opts.min_idle_ms = 5000;
  BOOST_TEST((ClaimEntry(s, *g, "bob", Id(1), opts, 3000) == ClaimResult::kSkipped));
  opts.min_idle_ms = 500;
  BOOST_TEST((ClaimEntry(s, *g, "bob", Id(1), opts, 3000) == ClaimResult::kClaimed));
  BOOST_TEST(g->pending.at(Id(1)).consumer == "bob");
  BOOST_TEST(g->pending.at(Id(1)).delivery_count == 2u);
  BOOST_TEST(g->pending.at(Id(1)).delivery_time_ms == 3000);
  CheckConsistent(*g);
  // JUSTID does not count a delivery; RETRYCOUNT sets it; IDLE (a time) is kept when sane.
  ClaimOptions justid;
  justid.justid = true;
  justid.delivery_time_ms = 2500;
  BOOST_TEST((ClaimEntry(s, *g, "alice", Id(1), justid, 4000) == ClaimResult::kClaimed));
  BOOST_TEST(g->pending.at(Id(1)).delivery_count == 2u);
  BOOST_TEST(g->pending.at(Id(1)).delivery_time_ms == 2500);
  ClaimOptions retry;
  retry.retry_count = 7;
  retry.delivery_time_ms = 9999;  // in the future: becomes now
  BOOST_TEST((ClaimEntry(s, *g, "alice", Id(2), retry, 4000) == ClaimResult::kClaimed));
  BOOST_TEST(g->pending.at(Id(2)).delivery_count == 7u);
  BOOST_TEST(g->pending.at(Id(2)).delivery_time_ms == 4000);
  // Not pending: skipped, unless FORCE (then delivered once, plus this claim).
  BOOST_TEST((ClaimEntry(s, *g, "bob", Id(5), ClaimOptions{}, 4000) == ClaimResult::kSkipped));
  ClaimOptions force;
  force.force = true;
  force.min_idle_ms = 100000;  // ignored for an entry FORCE creates
  BOOST_TEST((ClaimEntry(s, *g, "bob", Id(5), force, 4000) == ClaimResult::kClaimed));
  BOOST_TEST(g->pending.at(Id(5)).delivery_count == 2u);
  CheckConsistent(*g);
  // Deleted from the stream: the PEL forgets it; unknown IDs are not found.
  BOOST_TEST(s.Delete(Id(3)));
  BOOST_TEST((ClaimEntry(s, *g, "bob", Id(3), ClaimOptions{}, 4000) == ClaimResult::kRemoved));
  BOOST_TEST(g->pending.count(Id(3)) == 0u);
  BOOST_TEST((ClaimEntry(s, *g, "bob", Id(3), force, 4000) == ClaimResult::kNotFound));
  CheckConsistent(*g);
}

BOOST_AUTO_TEST_CASE(autoclaim_iterates_and_reports_deleted) {
  ReadNew(s, *g, "alice", 0, false, 2000);
  BOOST_TEST(s.Delete(Id(2)));
  AutoClaimResult r = AutoClaim(s, *g, "bob", StreamId{}, 2, 100, false, 3000);
  // 1 claimed, 2 deleted (both count), the cursor at 3.
  BOOST_TEST(r.claimed.size() == 1u);
  BOOST_TEST(r.deleted.size() == 1u);
  BOOST_TEST((r.deleted[0] == Id(2)));
  BOOST_TEST((r.next == Id(3)));
  r = AutoClaim(s, *g, "bob", r.next, 10, 100, true, 3000);
  BOOST_TEST(r.claimed.size() == 3u);
  BOOST_TEST((r.next == StreamId{}));
  BOOST_TEST(g->pending.at(Id(3)).delivery_count == 1u);  // JUSTID
  BOOST_TEST(g->pending.at(Id(1)).delivery_count == 2u);
  BOOST_TEST(FindConsumer(*g, "alice")->pending.empty());
  CheckConsistent(*g);
  // Not idle enough: nothing claimed; 10 attempts per count bound the walk.
  r = AutoClaim(s, *g, "alice", StreamId{}, 1, 100000, false, 3000);
  BOOST_TEST(r.claimed.empty());
  BOOST_TEST((r.next == StreamId{}));
}

BOOST_AUTO_TEST_CASE(lag_without_and_with_tombstones) {
  // A group created at 0 on 5 entries never deleted: lag 5, then counted exactly.
  BOOST_TEST(*GroupLag(s, *g) == 5);
  ReadNew(s, *g, "alice", 1, false, 2000);
  BOOST_TEST(g->entries_read == 1);
  BOOST_TEST(*GroupLag(s, *g) == 4);
  Add(s, Id(6));
  BOOST_TEST(*GroupLag(s, *g) == 5);
  // A tombstone ahead of the group: the lag is unknowable until it is passed.
  BOOST_TEST(s.Delete(Id(3)));
  BOOST_TEST(RangeHasTombstones(s, g->last_id, std::nullopt));
  BOOST_TEST(!GroupLag(s, *g).has_value());
  ReadNew(s, *g, "alice", 0, false, 2000);
  BOOST_TEST(g->entries_read == 6);
  BOOST_TEST(*GroupLag(s, *g) == 0);
  BOOST_TEST(EstimateDistanceFromFirstEverEntry(s, s.last_id()) == 6);
  BOOST_TEST(EstimateDistanceFromFirstEverEntry(s, Id(99)) == kEntriesReadInvalid);
}

BOOST_AUTO_TEST_CASE(estimates_on_empty_and_never_written_streams) {
  Stream empty;
  BOOST_TEST(EstimateDistanceFromFirstEverEntry(empty, Id(5)) == 0);
  BOOST_REQUIRE(CreateGroup(empty, "e", StreamId{}, kEntriesReadInvalid));
  BOOST_TEST(*GroupLag(empty, *FindGroup(empty, "e")) == 0);
  Add(empty, Id(1));
  BOOST_TEST(empty.Delete(Id(1)));
  // Every entry deleted: anything up to the last ID was read by then.
  BOOST_TEST(EstimateDistanceFromFirstEverEntry(empty, StreamId{}) == 1);
  BOOST_TEST(*GroupLag(empty, *FindGroup(empty, "e")) == 0);
  BOOST_TEST(!LastEntryId(empty).has_value());
  BOOST_TEST((*LastEntryId(s) == Id(5)));
}

BOOST_AUTO_TEST_SUITE_END()
