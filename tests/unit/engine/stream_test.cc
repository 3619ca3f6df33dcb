// Streams (engine/stream.h): ID parsing and arithmetic, Append/Range/Lookup/Delete/Trim against a
// std::map model under random operations at several node limits, node splitting by entries and
// bytes, approximate trimming by whole nodes (with LIMIT), clones and memory accounting.
#include "engine/stream.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/keyspace.h"

using namespace dkv::engine;

namespace {
using Model = std::map<StreamId, std::vector<std::string>>;

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// Everything the stream yields for [start, end], as a model.
std::vector<std::pair<StreamId, std::vector<std::string>>> Collect(const Stream& s, StreamId start,
                                                                   StreamId end, bool reverse,
                                                                   size_t count = 0) {
  std::vector<std::pair<StreamId, std::vector<std::string>>> out;
  s.Range(start, end, reverse, [&](const StreamEntryView& e) {
    out.emplace_back(e.id, std::vector<std::string>(e.items.begin(), e.items.end()));
    return count == 0 || out.size() < count;
  });
  return out;
}

std::vector<std::pair<StreamId, std::vector<std::string>>> ModelRange(const Model& m,
                                                                      StreamId start, StreamId end,
                                                                      bool reverse,
                                                                      size_t count = 0) {
  std::vector<std::pair<StreamId, std::vector<std::string>>> out;
  if (start > end) return out;
  if (!reverse) {
    for (auto it = m.lower_bound(start); it != m.end() && it->first <= end; ++it) {
      out.emplace_back(it->first, it->second);
      if (count != 0 && out.size() == count) break;
    }
  } else {
    auto it = m.upper_bound(end);
    while (it != m.begin()) {
      --it;
      if (it->first < start) break;
      out.emplace_back(it->first, it->second);
      if (count != 0 && out.size() == count) break;
    }
  }
  return out;
}

void CheckAll(const Stream& s, const Model& m) {
  BOOST_REQUIRE_EQUAL(s.length(), m.size());
  auto got = Collect(s, StreamId::Min(), StreamId::Max(), false);
  auto want = ModelRange(m, StreamId::Min(), StreamId::Max(), false);
  BOOST_REQUIRE(got == want);
  BOOST_REQUIRE(s.first_id() == (m.empty() ? StreamId{} : m.begin()->first));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(streams)

BOOST_AUTO_TEST_CASE(ids_parse_and_step) {
  StreamId id;
  BOOST_TEST(ParseStreamId("5-3", 0, false, &id));
  BOOST_TEST((id == StreamId{5, 3}));
  BOOST_TEST(ParseStreamId("5", 0, false, &id));
  BOOST_TEST((id == StreamId{5, 0}));
  BOOST_TEST(ParseStreamId("5", UINT64_MAX, false, &id));
  BOOST_TEST((id == StreamId{5, UINT64_MAX}));
  BOOST_TEST(ParseStreamId("18446744073709551615-18446744073709551615", 0, false, &id));
  BOOST_TEST((id == StreamId::Max()));
  BOOST_TEST(!ParseStreamId("18446744073709551616", 0, false, &id));
  BOOST_TEST(!ParseStreamId("-", 0, false, &id));
  BOOST_TEST(ParseStreamId("-", 0, true, &id));
  BOOST_TEST((id == StreamId::Min()));
  BOOST_TEST(ParseStreamId("+", 0, true, &id));
  BOOST_TEST((id == StreamId::Max()));
  for (const char* bad : {"", "a", "1-", "-1", "1-2-3", "1--2", " 1", "1-a", "+1"}) {
    BOOST_CHECK_MESSAGE(!ParseStreamId(bad, 0, true, &id), bad);
  }
  BOOST_TEST(StreamId({1, 2}).ToString() == "1-2");
  StreamId next;
  BOOST_TEST(StreamId({1, UINT64_MAX}).Increment(&next));
  BOOST_TEST((next == StreamId{2, 0}));
  BOOST_TEST(!StreamId::Max().Increment(&next));
  BOOST_TEST(StreamId({2, 0}).Decrement(&next));
  BOOST_TEST((next == StreamId{1, UINT64_MAX}));
  BOOST_TEST(!StreamId::Min().Decrement(&next));
}

BOOST_AUTO_TEST_CASE(nodes_split_by_entries_and_bytes) {
  Stream s;
  StreamLimits lim{3, 0};
  std::vector<std::string> items = {"f", "v"};
  for (uint64_t i = 1; i <= 10; i++) s.Append({i, 0}, Views(items), lim);
  BOOST_TEST(s.node_count() == 4u);
  BOOST_TEST(s.length() == 10u);
  BOOST_TEST((s.last_id() == StreamId{10, 0}));
  BOOST_TEST(s.entries_added() == 10u);

  Stream b;
  StreamLimits bytes{0, 100};
  std::vector<std::string> big = {"field", std::string(40, 'x')};
  for (uint64_t i = 1; i <= 10; i++) b.Append({i, 0}, Views(big), bytes);
  BOOST_TEST(b.node_count() >= 4u);
  BOOST_TEST(b.node_count() <= 6u);
  // An entry bigger than the limit still goes in (a node of its own).
  std::vector<std::string> huge = {"f", std::string(1000, 'y')};
  b.Append({20, 0}, Views(huge), bytes);
  BOOST_TEST(b.length() == 11u);
  auto last = Collect(b, {20, 0}, {20, 0}, false);
  BOOST_REQUIRE(last.size() == 1u);
  BOOST_TEST(last[0].second[1] == huge[1]);
}

BOOST_AUTO_TEST_CASE(same_fields_and_different_fields_decode) {
  Stream s;
  StreamLimits lim;
  std::vector<std::vector<std::string>> rows = {{"a", "1", "b", "2"},
                                                {"a", "3", "b", "4"},
                                                {"a", "5"},
                                                {"b", "6", "a", "7"},
                                                {"", ""},
                                                {"a", "8", "b", std::string(300, 'z')}};
  Model m;
  for (size_t i = 0; i < rows.size(); i++) {
    StreamId id{100, i};
    s.Append(id, Views(rows[i]), lim);
    m[id] = rows[i];
  }
  CheckAll(s, m);
  bool seen = false;
  BOOST_TEST(s.Lookup({100, 3}, [&](const StreamEntryView& e) {
    seen = e.items.size() == 4 && e.items[0] == "b" && e.items[3] == "7";
    return true;
  }));
  BOOST_TEST(seen);
  BOOST_TEST(!s.Lookup({100, 9}, [](const StreamEntryView&) { return true; }));
}

BOOST_AUTO_TEST_CASE(delete_flags_and_frees_empty_nodes) {
  Stream s;
  StreamLimits lim{2, 0};
  std::vector<std::string> items = {"f", "v"};
  for (uint64_t i = 1; i <= 4; i++) s.Append({i, 0}, Views(items), lim);
  BOOST_TEST(s.node_count() == 2u);
  BOOST_TEST(s.Delete({1, 0}));
  BOOST_TEST(!s.Delete({1, 0}));
  BOOST_TEST(!s.Delete({7, 0}));
  BOOST_TEST(s.node_count() == 2u);
  BOOST_TEST((s.first_id() == StreamId{2, 0}));
  size_t before = s.bytes();
  BOOST_TEST(s.Delete({2, 0}));
  BOOST_TEST(s.node_count() == 1u);
  BOOST_TEST(s.bytes() < before);
  BOOST_TEST((s.max_deleted_id() == StreamId{2, 0}));
  BOOST_TEST(s.Delete({4, 0}));
  BOOST_TEST(s.Delete({3, 0}));
  BOOST_TEST(s.length() == 0u);
  BOOST_TEST(s.node_count() == 0u);
  BOOST_TEST((s.first_id() == StreamId{}));
  BOOST_TEST((s.last_id() == StreamId{4, 0}));
  BOOST_TEST((s.max_deleted_id() == StreamId{4, 0}));
  BOOST_TEST(s.bytes() == sizeof(Stream));
}

BOOST_AUTO_TEST_CASE(approximate_trim_removes_whole_nodes) {
  // Redis' "XADD with MAXLEN option and the '~' argument": 1000 entries, nodes of 100,
  // MAXLEN ~ 555 keeps 600.
  Stream s;
  StreamLimits lim{100, 0};
  std::vector<std::string> items = {"xitem", "v"};
  for (uint64_t i = 1; i <= 1000; i++) {
    s.Append({i, 0}, Views(items), lim);
    s.TrimByLength(555, true, 100 * 100);
  }
  BOOST_TEST(s.length() == 600u);
  // Exact trimming then flags entries inside the first node.
  BOOST_TEST(s.TrimByLength(555, false, 0) == 45u);
  BOOST_TEST(s.length() == 555u);
  BOOST_TEST((s.first_id() == StreamId{446, 0}));
  // LIMIT smaller than a node: nothing goes (Redis' "XADD with LIMIT delete entries no more
  // than limit").
  Stream t;
  StreamLimits two{2, 0};
  for (uint64_t i = 1; i <= 3; i++) t.Append({i, 0}, Views(items), two);
  BOOST_TEST(t.TrimByLength(0, true, 1) == 0u);
  BOOST_TEST(t.TrimByLength(0, true, 2) == 2u);
  BOOST_TEST(t.length() == 1u);
  // MINID ~ keeps the node holding the bound.
  Stream u;
  for (uint64_t i = 1; i <= 10; i++) u.Append({i, 0}, Views(items), StreamLimits{4, 0});
  BOOST_TEST(u.TrimByMinId({6, 0}, true, 0) == 4u);
  BOOST_TEST((u.first_id() == StreamId{5, 0}));
  BOOST_TEST(u.TrimByMinId({6, 0}, false, 0) == 1u);
  BOOST_TEST((u.first_id() == StreamId{6, 0}));
}

BOOST_AUTO_TEST_CASE(random_operations_match_a_map) {
  std::mt19937_64 rng(2212);
  for (StreamLimits lim : {StreamLimits{1, 0}, StreamLimits{3, 0}, StreamLimits{100, 4096},
                           StreamLimits{0, 64}, StreamLimits{7, 200}}) {
    Stream s;
    Model m;
    StreamId last{0, 0};
    for (int step = 0; step < 3000; step++) {
      int op = static_cast<int>(rng() % 100);
      if (op < 55) {
        // Append: same ms (seq + 1..3) or a later ms with a small or huge seq.
        StreamId id = last;
        if (rng() % 3 == 0) {
          id = {last.ms + 1 + rng() % 5, rng() % 4 == 0 ? rng() : rng() % 3};
        } else {
          id.seq += 1 + rng() % 3;
        }
        if (id <= last) continue;
        size_t pairs = 1 + rng() % 3;
        std::vector<std::string> items;
        for (size_t p = 0; p < pairs; p++) {
          items.push_back(rng() % 2 ? "f" + std::to_string(p) : "g" + std::to_string(rng() % 3));
          items.push_back(std::string(rng() % 20, static_cast<char>('a' + rng() % 26)));
        }
        s.Append(id, Views(items), lim);
        m[id] = items;
        last = id;
      } else if (op < 70) {
        // Delete an existing entry or a missing one.
        StreamId id{rng() % (last.ms + 2), rng() % 4};
        if (!m.empty() && rng() % 2) {
          auto it = m.begin();
          std::advance(it, rng() % m.size());
          id = it->first;
        }
        bool had = m.erase(id) == 1;
        BOOST_REQUIRE_EQUAL(s.Delete(id), had);
      } else if (op < 90) {
        StreamId a{rng() % (last.ms + 2), rng() % 3};
        StreamId b{rng() % (last.ms + 2), rng() % 3};
        if (rng() % 5 == 0) a = StreamId::Min();
        if (rng() % 5 == 0) b = StreamId::Max();
        bool rev = rng() % 2;
        size_t count = rng() % 3 == 0 ? 0 : 1 + rng() % 5;
        BOOST_REQUIRE(Collect(s, a, b, rev, count) == ModelRange(m, a, b, rev, count));
      } else if (op < 95) {
        size_t maxlen = m.size() > 0 ? rng() % (m.size() + 1) : 0;
        bool approx = rng() % 2;
        size_t limit = approx && rng() % 2 ? 1 + rng() % 10 : 0;
        size_t before = m.size();
        size_t removed = s.TrimByLength(maxlen, approx, limit);
        BOOST_REQUIRE(removed <= before);
        for (size_t i = 0; i < removed; i++) m.erase(m.begin());
        if (!approx) BOOST_REQUIRE_EQUAL(m.size(), std::min(before, maxlen));
        if (approx && removed > 0) BOOST_REQUIRE(m.size() >= maxlen);
        if (limit != 0) BOOST_REQUIRE(removed <= limit);
      } else {
        StreamId minid{rng() % (last.ms + 2), rng() % 3};
        bool approx = rng() % 2;
        size_t removed = s.TrimByMinId(minid, approx, 0);
        size_t below = 0;
        for (auto it = m.begin(); it != m.end() && it->first < minid; ++it) below++;
        BOOST_REQUIRE(removed <= below);
        if (!approx) BOOST_REQUIRE_EQUAL(removed, below);
        for (size_t i = 0; i < removed; i++) m.erase(m.begin());
      }
      if (step % 100 == 0) CheckAll(s, m);
    }
    CheckAll(s, m);
    BOOST_TEST((s.last_id() == last));
    std::unique_ptr<Stream> copy(s.Clone());
    CheckAll(*copy, m);
    BOOST_TEST(copy->bytes() <= s.bytes());  // the copy's buffers have no spare room
  }
}

BOOST_AUTO_TEST_CASE(streams_live_in_the_keyspace) {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);
  Entry* e = CreateStream(db, "s");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST((e->kind() == Kind::kStream));
  BOOST_TEST(EncodingName(EncodingOf(e)) == "stream");
  std::vector<std::string> items = {"f", "v"};
  StreamOf(e)->Append({1, 1}, Views(items), GlobalStreamLimits());
  NoteStreamWrite(db, e);
  BOOST_TEST(StreamOf(db.Find("s"))->length() == 1u);
  std::string copy = CloneContainer(db.Find("s"));
  Entry* c = db.InsertContainer("t", Kind::kStream, copy);
  BOOST_TEST(StreamOf(c)->length() == 1u);
  BOOST_TEST(db.MemoryUsage(c) > sizeof(Stream));
}

BOOST_AUTO_TEST_SUITE_END()
