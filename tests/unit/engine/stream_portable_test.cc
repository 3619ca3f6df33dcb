// The portable form of a stream (engine/stream_portable.cc): Serialize and Materialize round trip
// entries, IDs, counters, groups, PELs and consumers; damaged or inconsistent bytes are refused.
#include "engine/stream_portable.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/container_view.h"
#include "engine/keyspace.h"

using namespace dkv::engine;

namespace {

struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);
};

void Add(Stream* s, StreamId id, std::vector<std::string_view> items) {
  s->Append(id, items, GlobalStreamLimits());
}

// A stream of 250 entries over several nodes, one deleted, and two groups.
Entry* Sample(Database& db, std::string_view key) {
  Entry* e = CreateStream(db, key);
  Stream* s = StreamOf(e);
  for (uint64_t i = 1; i <= 250; ++i) {
    std::string v = std::to_string(i * 7);
    Add(s, {1000 + i / 3, i % 3}, {"field", v, "other", std::string("\0\xff", 2)});
  }
  Add(s, {5000, 0}, {"single", ""});
  s->Delete({1001, 0});
  StreamGroup& g = s->groups()["readers"];
  g.last_id = {1010, 0};
  g.entries_read = 30;
  g.consumers["alice"].seen_time_ms = 1'700'000'000'123;
  g.consumers["alice"].active_time_ms = 1'700'000'000'100;
  g.consumers["bob"].seen_time_ms = 7;
  for (StreamId id : {StreamId{1002, 1}, StreamId{1003, 2}, StreamId{1004, 0}}) {
    bool alice = id.ms != 1003;
    g.pending[id] = StreamNack{1'700'000'000'000, alice ? 2u : 1u, alice ? "alice" : "bob"};
    g.consumers[alice ? "alice" : "bob"].pending.insert(id);
  }
  s->groups()["empty"];  // no consumers, entries-read unknown
  return e;
}

std::vector<std::pair<StreamId, std::vector<std::string>>> Entries(const Stream* s) {
  std::vector<std::pair<StreamId, std::vector<std::string>>> out;
  s->Range(StreamId::Min(), StreamId::Max(), false, [&](const StreamEntryView& v) {
    out.emplace_back(v.id, std::vector<std::string>(v.items.begin(), v.items.end()));
    return true;
  });
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stream_portable, Fixture)

BOOST_AUTO_TEST_CASE(round_trip_keeps_everything) {
  Entry* e = Sample(db, "s");
  const Stream* s = StreamOf(e);
  BOOST_REQUIRE_EQUAL(s->length(), 250u);
  std::string form = Serialize(e);
  BOOST_CHECK_EQUAL(static_cast<int>(form[0]), static_cast<int>(Encoding::kStreamPortable));
  BOOST_CHECK_EQUAL(PortableCount(form), 250u);
  std::string value;
  BOOST_REQUIRE(Materialize(Kind::kStream, form, ks.container_limits(), &value));
  Entry* f = db.InsertContainer("copy", Kind::kStream, value);
  const Stream* t = StreamOf(f);
  BOOST_REQUIRE(t != nullptr);
  BOOST_CHECK_EQUAL(t->length(), 250u);
  BOOST_CHECK(t->last_id() == (StreamId{5000, 0}));
  BOOST_CHECK(t->first_id() == s->first_id());
  BOOST_CHECK(t->max_deleted_id() == (StreamId{1001, 0}));
  BOOST_CHECK_EQUAL(t->entries_added(), 251u);
  BOOST_CHECK(Entries(t) == Entries(s));
  BOOST_REQUIRE_EQUAL(t->groups().size(), 2u);
  const StreamGroup& g = t->groups().at("readers");
  BOOST_CHECK(g.last_id == (StreamId{1010, 0}));
  BOOST_CHECK_EQUAL(g.entries_read, 30);
  BOOST_CHECK_EQUAL(t->groups().at("empty").entries_read, -1);
  BOOST_REQUIRE_EQUAL(g.pending.size(), 3u);
  BOOST_CHECK_EQUAL(g.pending.at({1003, 2}).consumer, "bob");
  BOOST_CHECK_EQUAL(g.pending.at({1002, 1}).delivery_count, 2u);
  BOOST_CHECK_EQUAL(g.consumers.at("alice").pending.size(), 2u);
  BOOST_CHECK_EQUAL(g.consumers.at("alice").seen_time_ms, 1'700'000'000'123);
  BOOST_CHECK_EQUAL(g.consumers.at("alice").active_time_ms, 1'700'000'000'100);
  BOOST_CHECK_EQUAL(g.consumers.at("bob").active_time_ms, -1);
  BOOST_CHECK(g.consumers.at("bob").pending.count({1003, 2}) == 1);
  // The same contents give the same bytes.
  BOOST_CHECK(Serialize(f) == form);
  BOOST_CHECK_EQUAL(ContainerSize(f), 250u);
}

BOOST_AUTO_TEST_CASE(an_empty_stream_round_trips) {
  Entry* e = CreateStream(db, "e");
  StreamOf(e)->set_last_id({7, 7});
  StreamOf(e)->set_entries_added(3);
  StreamOf(e)->groups()["g"];
  std::string form = Serialize(e);
  std::string value;
  BOOST_REQUIRE(Materialize(Kind::kStream, form, ks.container_limits(), &value));
  Entry* f = db.InsertContainer("copy", Kind::kStream, value);
  BOOST_CHECK_EQUAL(StreamOf(f)->length(), 0u);
  BOOST_CHECK(StreamOf(f)->last_id() == (StreamId{7, 7}));
  BOOST_CHECK_EQUAL(StreamOf(f)->groups().count("g"), 1u);
  BOOST_CHECK(Serialize(f) == form);
}

BOOST_AUTO_TEST_CASE(damaged_or_inconsistent_forms_are_refused) {
  auto build = [](StreamId last, uint64_t added, StreamId maxdel, StreamId first,
                  std::vector<std::pair<StreamId, std::vector<std::string_view>>> entries,
                  std::vector<std::pair<std::string, StreamGroup>> groups) {
    StreamPortableWriter w(last, added, maxdel, first, entries.size());
    for (auto& [id, items] : entries) w.AddEntry(id, items);
    w.BeginGroups(groups.size());
    for (auto& [name, g] : groups) w.AddGroup(name, g);
    return w.Take();
  };
  std::string value;
  auto ok = [&](const std::string& form) {
    std::string v;
    bool built = Materialize(Kind::kStream, form, ks.container_limits(), &v);
    if (built) db.InsertContainer("tmp" + std::to_string(db.size()), Kind::kStream, v);
    return built;
  };
  std::vector<std::string_view> fv = {"f", "v"};
  StreamGroup owned;
  owned.consumers["c"];
  owned.pending[{1, 1}] = StreamNack{5, 1, "c"};
  BOOST_CHECK(ok(build({2, 0}, 2, {}, {1, 1}, {{{1, 1}, fv}, {{2, 0}, fv}}, {{"g", owned}})));
  // Entries out of order, above the last ID, or 0-0.
  BOOST_CHECK(!ok(build({2, 0}, 2, {}, {2, 0}, {{{2, 0}, fv}, {{1, 1}, fv}}, {})));
  BOOST_CHECK(!ok(build({2, 0}, 2, {}, {1, 1}, {{{1, 1}, fv}, {{1, 1}, fv}}, {})));
  BOOST_CHECK(!ok(build({1, 0}, 2, {}, {1, 1}, {{{1, 1}, fv}}, {})));
  BOOST_CHECK(!ok(build({1, 0}, 2, {}, {0, 0}, {{{0, 0}, fv}}, {})));
  // Odd or no items, a wrong first ID, too few entries added, max-deleted above the last ID.
  BOOST_CHECK(!ok(build({2, 0}, 2, {}, {1, 1}, {{{1, 1}, {"f"}}}, {})));
  BOOST_CHECK(!ok(build({2, 0}, 2, {}, {1, 1}, {{{1, 1}, {}}}, {})));
  BOOST_CHECK(!ok(build({2, 0}, 2, {}, {1, 0}, {{{1, 1}, fv}}, {})));
  BOOST_CHECK(!ok(build({2, 0}, 0, {}, {1, 1}, {{{1, 1}, fv}}, {})));
  BOOST_CHECK(!ok(build({2, 0}, 2, {3, 0}, {1, 1}, {{{1, 1}, fv}}, {})));
  // A pending entry whose consumer does not exist (written by hand: the writer skips it).
  std::string orphan = build({2, 0}, 1, {}, {}, {}, {{"g", StreamGroup{}}});
  orphan.resize(orphan.size() - 1);                      // the PEL count 0
  orphan += std::string("\x01\x01\x01\x00\x01\x00", 6);  // one entry, owner 0 of no consumers
  BOOST_CHECK(!ok(orphan));
  // Groups out of order or twice.
  std::string two = build({2, 0}, 1, {}, {}, {}, {{"b", StreamGroup{}}, {"a", StreamGroup{}}});
  BOOST_CHECK(!ok(two));
  two = build({2, 0}, 1, {}, {}, {}, {{"a", StreamGroup{}}, {"a", StreamGroup{}}});
  BOOST_CHECK(!ok(two));
  // Every truncation and a trailing byte.
  std::string good = build({2, 0}, 2, {}, {1, 1}, {{{1, 1}, fv}, {{2, 0}, fv}}, {{"g", owned}});
  for (size_t n = 0; n < good.size(); ++n) BOOST_CHECK(!ok(good.substr(0, n)));
  BOOST_CHECK(!ok(good + "x"));
  // A count beyond the bytes left is refused before anything is reserved.
  std::string huge(1, static_cast<char>(Encoding::kStreamPortable));
  huge += std::string("\x01\x00\x00\x00\x00\x00\x00", 7);
  huge += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
  BOOST_CHECK(!ok(huge));
  // The wrong tag.
  BOOST_CHECK(!Materialize(Kind::kStream, std::string(1, static_cast<char>(Encoding::kListPacked)),
                           ks.container_limits(), &value));
}

BOOST_AUTO_TEST_SUITE_END()
