#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "engine/keyspace.h"

using namespace dkv::engine;

namespace {
struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  Database& db = ks.db(0);
  void Advance(int64_t ms) {
    clock.AdvanceMs(ms);
    ks.RefreshTime();
  }
};

struct RecordingObserver : KeyspaceObserver {
  std::vector<std::pair<std::string, ChangeKind>> changes;
  void OnKeyChanged(int, std::string_view key, ChangeKind kind) override {
    changes.emplace_back(std::string(key), kind);
  }
  void OnPrefixDeleted(int, std::string_view prefix) override {
    changes.emplace_back("prefix:" + std::string(prefix), ChangeKind::kDelete);
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(database, Fixture)

BOOST_AUTO_TEST_CASE(random_operations_agree_with_std_map) {
  std::map<std::string, std::string> model;
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    std::string key = "k" + std::to_string(rng() % 5000);
    switch (rng() % 4) {
      case 0:
      case 1: {
        std::string v = std::to_string(i);
        db.Upsert(key, v);
        model[key] = v;
        break;
      }
      case 2:
        BOOST_REQUIRE_EQUAL(db.Erase(key), model.erase(key) == 1);
        break;
      case 3: {
        Entry* e = db.Find(key);
        auto it = model.find(key);
        BOOST_REQUIRE_EQUAL(e != nullptr, it != model.end());
        if (e) BOOST_REQUIRE_EQUAL(e->value(), it->second);
        break;
      }
    }
    BOOST_REQUIRE_EQUAL(db.size(), model.size());
  }
  std::map<std::string, std::string> seen;
  db.ForEach([&](Entry* e) { seen[std::string(e->key())] = std::string(e->value()); });
  BOOST_TEST((seen == model));
}

BOOST_AUTO_TEST_CASE(values_grow_and_shrink_in_place_or_by_moving) {
  Entry* e = db.Insert("k", "abc");
  BOOST_TEST(e->value() == "abc");
  db.SetExpire(e, clock.NowMs() + 100000);
  e = db.ResizeValue(e, 100000);  // moves: the tree and the heap must follow
  BOOST_TEST(e->value().size() == 100000u);
  BOOST_TEST(e->value().substr(0, 3) == "abc");
  BOOST_TEST(e->value()[99999] == '\0');
  BOOST_TEST(db.FindRaw("k") == e);
  BOOST_TEST(db.ExpireAt(e) == clock.NowMs() + 100000);
  e = db.SetValue(e, "small");
  BOOST_TEST(db.FindRaw("k") == e);
  BOOST_TEST(e->value() == "small");
  BOOST_TEST(db.ExpireAt(e) == clock.NowMs() + 100000);
}

BOOST_AUTO_TEST_CASE(a_value_replaced_by_one_under_half_its_size_gives_memory_back) {
  // Redis' "trim on SET with big value": 100,000 bytes, then 33,000: the entry must not keep
  // the old room. A value of about the same size keeps its allocation (no move per SET).
  Entry* e = db.Insert("k", std::string(100000, 'A'));
  e = db.SetValue(e, std::string(33000, 'A'));
  BOOST_TEST(db.MemoryUsage(e) < 42000u);
  Entry* same = db.SetValue(e, std::string(32000, 'B'));
  BOOST_TEST(same == e);
}

BOOST_AUTO_TEST_CASE(delete_prefix_is_immediate_and_reaped_in_slices) {
  RecordingObserver observer;
  ks.set_observer(&observer);
  for (int i = 0; i < 5000; ++i) {
    Entry* e = db.Insert("app.t1.k" + std::to_string(i), "v");
    if (i % 2) db.SetExpire(e, clock.NowMs() + 1000);
  }
  db.Insert("app.t2.k", "v");
  BOOST_TEST(db.DeletePrefix("app.t1.") == 5000u);
  BOOST_TEST(db.size() == 1u);
  BOOST_TEST(db.FindRaw("app.t1.k7") == nullptr);
  BOOST_TEST(observer.changes.back().first == "prefix:app.t1.");
  // Expiry meets detached entries before the reaper does: they only leave the heap.
  Advance(2000);
  bool more = false;
  BOOST_TEST(db.ExpireDue(ks.now_ms(), 100000, &more) == 0u);
  int slices = 0;
  while (!db.ReapGarbage(1000)) ++slices;
  BOOST_TEST(slices >= 4);
  BOOST_TEST(db.expires_size() == 0u);
  BOOST_TEST(db.Find("app.t2.k") != nullptr);
  ks.set_observer(nullptr);
}

BOOST_AUTO_TEST_CASE(lazy_expiry_with_fake_clock) {
  Entry* e = db.Insert("session", "data");
  db.SetExpire(e, clock.NowMs() + 1000);
  BOOST_TEST(db.expires_size() == 1u);
  Advance(999);
  BOOST_TEST(db.Find("session") != nullptr);
  Advance(1);
  BOOST_TEST(db.Find("session") == nullptr);
  BOOST_TEST(db.size() == 0u);
  BOOST_TEST(db.expires_size() == 0u);
  BOOST_TEST(ks.stats().expired_keys == 1u);
}

BOOST_AUTO_TEST_CASE(active_expiry_pops_only_due_keys_in_order) {
  RecordingObserver observer;
  ks.set_observer(&observer);
  for (int i = 0; i < 100; ++i) {
    Entry* e = db.Insert("k" + std::to_string(i), "v");
    db.SetExpire(e, clock.NowMs() + 10 * (100 - i));  // k99 first
  }
  db.Insert("forever", "v");
  Advance(250);
  bool more = false;
  size_t n = db.ExpireDue(ks.now_ms(), 1000, &more);
  BOOST_TEST(n == 25u);
  BOOST_TEST(!more);
  BOOST_TEST(observer.changes.front().first == "k99");
  BOOST_TEST((observer.changes.front().second == ChangeKind::kExpired));
  BOOST_TEST(db.size() == 76u);
  // Bounded: a budget of 10 keys leaves the rest for the next tick.
  Advance(1000);
  n = db.ExpireDue(ks.now_ms(), 10, &more);
  BOOST_TEST(n == 10u);
  BOOST_TEST(more);
  ks.set_observer(nullptr);
}

BOOST_AUTO_TEST_CASE(changing_and_removing_expiry_keeps_heap_consistent) {
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) db.Insert("k" + std::to_string(i), "v");
  for (int round = 0; round < 20000; ++round) {
    Entry* e = db.FindRaw("k" + std::to_string(rng() % 2000));
    db.SetExpire(e,
                 (rng() % 3 == 0) ? 0 : clock.NowMs() + 1 + static_cast<int64_t>(rng() % 100000));
  }
  size_t with_ttl = 0;
  db.ForEach([&](Entry* e) { with_ttl += e->has_expire(); });
  BOOST_TEST(db.expires_size() == with_ttl);
  Advance(200000);
  bool more = false;
  db.ExpireDue(ks.now_ms(), SIZE_MAX, &more);
  BOOST_TEST(db.size() == 2000u - with_ttl);
  BOOST_TEST(db.expires_size() == 0u);
}

BOOST_AUTO_TEST_CASE(detach_and_swap) {
  db.Insert("a", "1");
  ks.db(1).Insert("b", "2");
  ks.Swap(0, 1);
  BOOST_TEST(db.Find("b") != nullptr);
  BOOST_TEST(ks.db(1).Find("a") != nullptr);
  auto contents = db.Detach();
  BOOST_TEST(contents->size() == 1u);
  BOOST_TEST(db.size() == 0u);
  db.Insert("c", "3");
  BOOST_TEST(db.Find("c") != nullptr);
}

BOOST_AUTO_TEST_CASE(random_entry_finds_keys) {
  BOOST_TEST(db.RandomEntry(ks.rng()) == nullptr);
  for (int i = 0; i < 10; ++i) db.Insert("k" + std::to_string(i), "v");
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) seen.insert(std::string(db.RandomEntry(ks.rng())->key()));
  BOOST_TEST(seen.size() == 10u);
}

BOOST_AUTO_TEST_CASE(cold_entries_keep_key_metadata_and_size_but_not_the_value) {
  size_t cold_before = Database::cold_entries();
  Entry* e = db.Insert("app.k", std::string(300, 'v'), ValueType::kJson);
  db.SetExpire(e, ks.now_ms() + 60000);
  UserFields fields = {{"owner", "ops"}};
  db.SetFields(e, fields);
  uint32_t version = e->version();
  int64_t updated = e->updated_ms();
  size_t warm_bytes = db.MemoryUsage(e);
  e = db.DropValue(e);
  BOOST_TEST(e->cold());
  BOOST_TEST(Database::cold_entries() == cold_before + 1);
  BOOST_TEST(db.FindRaw("app.k") == e);
  BOOST_TEST(e->value_size() == 300u);
  BOOST_TEST(e->version() == version);
  BOOST_TEST(e->updated_ms() == updated);
  BOOST_TEST((e->type() == ValueType::kJson));
  BOOST_TEST(db.ExpireAt(e) == ks.now_ms() + 60000);
  BOOST_TEST(db.Fields(e)->at(0).second == "ops");
  BOOST_TEST(db.MemoryUsage(e) + 250 < warm_bytes);
  // Reading a cold value gives nothing and is recorded, so the server can fetch it and retry.
  ClearColdReads();
  BOOST_TEST(e->value().empty());
  BOOST_TEST(ColdReads().size() == 1u);
  BOOST_TEST(ColdReads()[0] == "app.k");
  ClearColdReads();
  // Filling it back restores the value and changes nothing else.
  e = db.FillValue(e, std::string(300, 'v'));
  BOOST_TEST(!e->cold());
  BOOST_TEST(Database::cold_entries() == cold_before);
  BOOST_TEST(e->value() == std::string(300, 'v'));
  BOOST_TEST(e->version() == version);
  BOOST_TEST(ColdReads().empty());
}

BOOST_AUTO_TEST_CASE(one_round_of_cold_reads_is_bounded_in_count_and_bytes) {
  // By count: the cold values read after the first kMaxColdReads are not recorded.
  std::vector<Entry*> small;
  for (size_t i = 0; i <= kMaxColdReads; ++i) {
    small.push_back(db.RestoreCold("s" + std::to_string(i), 10, EntryMeta{}));
  }
  ClearColdReads();
  for (Entry* e : small) BOOST_TEST(e->value().empty());
  BOOST_TEST(ColdReads().size() == kMaxColdReads);
  BOOST_TEST(ColdReads().back() == "s" + std::to_string(kMaxColdReads - 1));
  // By bytes: none after the recorded values add up to kMaxColdReadBytes.
  ClearColdReads();
  Entry* big = db.RestoreCold("b1", kMaxColdReadBytes - 1, EntryMeta{});
  Entry* second = db.RestoreCold("b2", 2, EntryMeta{});
  Entry* third = db.RestoreCold("b3", 1, EntryMeta{});
  for (Entry* e : {big, second, third}) BOOST_TEST(e->value().empty());
  BOOST_TEST(ColdReads() == (std::vector<std::string>{"b1", "b2"}),
             boost::test_tools::per_element());
  ClearColdReads();
}

BOOST_AUTO_TEST_CASE(writing_or_deleting_a_cold_entry_ends_its_coldness) {
  size_t cold_before = Database::cold_entries();
  Entry* a = db.DropValue(db.Insert("a", "old-a"));
  db.DropValue(db.Insert("b", "old-b"));
  Entry* c = db.RestoreCold("c", 1234, EntryMeta{});
  BOOST_TEST(c->cold());
  BOOST_TEST(c->value_size() == 1234u);
  BOOST_TEST(Database::cold_entries() == cold_before + 3);
  a = db.SetValue(a, "new-a");  // a write replaces the value: it is warm and holds the new one
  BOOST_TEST(!a->cold());
  BOOST_TEST(a->value() == "new-a");
  BOOST_TEST(a->version() == 2u);
  BOOST_TEST(db.Erase("b"));
  BOOST_TEST(db.DeletePrefix("c") == 1u);
  db.ReapGarbage(SIZE_MAX);
  BOOST_TEST(Database::cold_entries() == cold_before);
}

BOOST_AUTO_TEST_CASE(values_longer_than_an_entry_holds_are_refused_not_truncated) {
  // Lengths are 32 bits: a longer value would be stored cut short. The check comes before any
  // allocation, so nothing of the 5 GiB is allocated here.
  Entry* e = db.Insert("k", "abc");
  constexpr size_t kHuge = size_t{5} << 30;
  BOOST_CHECK_THROW(db.ResizeValue(e, kHuge), std::length_error);
  BOOST_CHECK_THROW(db.ResizeValue(e, Database::kMaxValueSize + 1), std::length_error);
  BOOST_TEST(db.Find("k")->value() == "abc");
  BOOST_CHECK_NO_THROW(Database::CheckSizes(3, Database::kMaxValueSize));
  BOOST_CHECK_THROW(Database::CheckSizes(size_t{1} << 32, 3), std::length_error);
}

BOOST_AUTO_TEST_SUITE_END()
