// The engine's write operations own their side effects: each tells the keyspace observer which
// keys changed and counts itself in the keyspace's dirty counter; the quiet building blocks
// (loading, the cache tier) do neither. One test per operation.
#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/keyspace.h"
#include "engine/string_ops.h"

using namespace dkv::engine;

namespace {

struct Event {
  int db;
  std::string
      what;  // "write:k", "delete:k", "expired:k", "evicted:k", "prefix:p", "flush", "swap:1"
  bool operator==(const Event&) const = default;
};

struct Recorder : KeyspaceObserver {
  std::vector<Event> events;
  size_t keys_at_flush = 0;
  void OnKeyChanged(int db, std::string_view key, ChangeKind kind) override {
    const char* k = kind == ChangeKind::kWrite     ? "write:"
                    : kind == ChangeKind::kDelete  ? "delete:"
                    : kind == ChangeKind::kEvicted ? "evicted:"
                                                   : "expired:";
    events.push_back({db, k + std::string(key)});
  }
  void OnPrefixDeleted(int db, std::string_view prefix) override {
    events.push_back({db, "prefix:" + std::string(prefix)});
  }
  void OnFlush(Database& db) override {
    keys_at_flush = db.size();  // called while the keys are still there
    events.push_back({db.index(), "flush"});
  }
  void OnSwapDatabases(Database& a, Database& b) override {
    events.push_back({a.index(), "swap:" + std::to_string(b.index())});
  }
};

struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 4};
  Database& db = ks.db(0);
  Recorder rec;
  Fixture() { ks.set_observer(&rec); }
  // Events and dirty since the last call.
  std::vector<Event> Take() { return std::exchange(rec.events, {}); }
  uint64_t TakeDirty() {
    uint64_t d = ks.dirty() - dirty_seen_;
    dirty_seen_ = ks.dirty();
    return d;
  }
  void Reset() {
    Take();
    TakeDirty();
  }

 private:
  uint64_t dirty_seen_ = 0;
};

using Events = std::vector<Event>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(write_ops, Fixture)

BOOST_AUTO_TEST_CASE(building_blocks_are_quiet) {
  // What loaders and the cache tier use: nobody hears of it, nothing is counted.
  Entry* e = db.Insert("a", "1");
  e = db.SetValue(e, "2");
  db.SetExpire(e, ks.now_ms() + 1000);
  db.SetFields(e, {{"f", "v"}});
  db.Upsert("b", "x");
  EntryMeta meta;
  db.Restore("c", "y", meta);
  db.RestoreCold("d", 10, meta);
  e = db.DropValue(db.FindRaw("b"));
  db.FillValue(e, "x");
  db.Erase("c");
  BOOST_TEST(Take().empty());
  BOOST_TEST(TakeDirty() == 0u);
}

BOOST_AUTO_TEST_CASE(store_writes_and_counts_one) {
  Entry* e = db.Store("k", "v");
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(e->value() == "v");
  BOOST_TEST(!e->has_expire());

  StoreOptions opts;
  opts.expire_ms = ks.now_ms() + 5000;
  opts.type = ValueType::kJson;
  uint8_t ct = *ks.content_types().Intern("text/plain");
  opts.content_type = ct;
  UserFields fields = {{"owner", "me"}};
  opts.fields = &fields;
  e = db.Store("k", "[1]", opts);
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(db.ExpireAt(e) == ks.now_ms() + 5000);
  BOOST_TEST((e->type() == ValueType::kJson));
  BOOST_TEST(e->content_type() == ct);
  BOOST_TEST(db.Fields(e)->size() == 1u);

  // KEEPTTL keeps the expiry; no option removes it.
  StoreOptions keep;
  keep.keep_ttl = true;
  e = db.Store("k", "w", keep);
  BOOST_TEST(db.ExpireAt(e) == ks.now_ms() + 5000);
  e = db.Store("k", "w");
  BOOST_TEST(!e->has_expire());
  Reset();

  // An expiry already past deletes the key; a write either way.
  StoreOptions past;
  past.expire_ms = 1;
  BOOST_TEST(db.Store("k", "v", past) == nullptr);
  BOOST_TEST((Take() == Events{{0, "delete:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(db.Store("k", "v", past) == nullptr);
  BOOST_TEST(Take().empty());
  BOOST_TEST(TakeDirty() == 1u);
}

BOOST_AUTO_TEST_CASE(delete_counts_live_keys_only) {
  db.Store("a", "1");
  Entry* b = db.Store("b", "2");
  db.SetExpire(b, ks.now_ms() + 10);
  Reset();
  BOOST_TEST(db.Delete("a"));
  BOOST_TEST(!db.Delete("a"));
  BOOST_TEST((Take() == Events{{0, "delete:a"}}));
  BOOST_TEST(TakeDirty() == 1u);
  clock.AdvanceMs(20);
  ks.RefreshTime();
  // An expired key is expired (lazily), not deleted by the command: not a write.
  BOOST_TEST(!db.Delete("b"));
  BOOST_TEST((Take() == Events{{0, "expired:b"}}));
  BOOST_TEST(TakeDirty() == 0u);
  db.Delete(db.Store("c", "3"));
  BOOST_TEST((Take() == Events{{0, "write:c"}, {0, "delete:c"}}));
  BOOST_TEST(TakeDirty() == 2u);
  BOOST_TEST(db.size() == 0u);
}

BOOST_AUTO_TEST_CASE(expire_persist_and_replace) {
  Entry* e = db.Store("k", "v");
  Reset();
  db.Expire(e, ks.now_ms() + 100);
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  db.Persist(e);
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(!e->has_expire());
  uint32_t version = e->version();
  e = db.Replace(e, "w", ks.now_ms() + 100, false);
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(e->version() == version + 1);
  BOOST_TEST(db.ExpireAt(e) == ks.now_ms() + 100);
  e = db.Replace(e, "x", 0, true);
  BOOST_TEST(db.ExpireAt(e) == ks.now_ms() + 100);
  e = db.Replace(e, "y", 0, false);
  BOOST_TEST(!e->has_expire());
  Reset();
  // A time already past deletes.
  db.Expire(e, ks.now_ms());
  BOOST_TEST((Take() == Events{{0, "delete:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(db.FindRaw("k") == nullptr);
}

BOOST_AUTO_TEST_CASE(metadata_edits) {
  Entry* e = db.Store("k", "v");
  Reset();
  uint8_t ct = *ks.content_types().Intern("image/png");
  db.SetMeta(e, ct, {{"a", "1"}, {"b", "2"}});
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(e->content_type() == ct);
  BOOST_TEST(db.DelMeta(e, true, {"a", "nope"}) == 2u);
  BOOST_TEST((Take() == Events{{0, "write:k"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(e->content_type() == 0);
  // Nothing to remove: a no-op.
  BOOST_TEST(db.DelMeta(e, true, {"a"}) == 0u);
  BOOST_TEST(Take().empty());
  BOOST_TEST(TakeDirty() == 0u);
}

BOOST_AUTO_TEST_CASE(rename_move_copy_count_one_and_signal_each_key) {
  Entry* e = db.Store("a", "v");
  db.SetExpire(e, ks.now_ms() + 1000);
  Reset();
  e = db.Rename(e, "b");
  BOOST_TEST((Take() == Events{{0, "write:b"}, {0, "delete:a"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(db.ExpireAt(e) == ks.now_ms() + 1000);
  BOOST_TEST(db.FindRaw("a") == nullptr);

  e = db.MoveTo(e, ks.db(2));
  BOOST_TEST((Take() == Events{{2, "write:b"}, {0, "delete:b"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(ks.db(2).ExpireAt(e) == ks.now_ms() + 1000);

  Entry* copy = ks.db(2).CopyTo(e, db, "c");
  BOOST_TEST((Take() == Events{{0, "write:c"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(copy->value() == "v");
  BOOST_TEST(ks.db(2).FindRaw("b") != nullptr);
}

BOOST_AUTO_TEST_CASE(subtree_flush_and_swap) {
  db.Store("app.a", "1");
  db.Store("app.b", "2");
  db.Store("other", "3");
  Reset();
  BOOST_TEST(db.DeletePrefix("app.") == 2u);
  BOOST_TEST((Take() == Events{{0, "prefix:app."}}));
  BOOST_TEST(TakeDirty() == 2u);
  BOOST_TEST(db.DeletePrefix("none.") == 0u);
  BOOST_TEST(Take().empty());
  BOOST_TEST(TakeDirty() == 0u);

  ks.db(1).Store("x", "1");
  Reset();
  ks.Swap(0, 1);
  BOOST_TEST((Take() == Events{{0, "swap:1"}}));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(db.FindRaw("x") != nullptr);
  ks.Swap(1, 1);
  BOOST_TEST(Take().empty());
  BOOST_TEST(TakeDirty() == 0u);

  auto contents = db.Flush();
  BOOST_TEST((Take() == Events{{0, "flush"}}));
  BOOST_TEST(rec.keys_at_flush == 1u);
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST(contents->size() == 1u);
  BOOST_TEST(db.size() == 0u);

  db.Store("a", "1");
  ks.db(3).Store("b", "2");
  Reset();
  int after_ran = 0;
  size_t disposed = 0;
  ks.FlushAll([&](std::unique_ptr<Database::Contents> c) { disposed += c->size(); },
              [&] {
                ++after_ran;
                BOOST_TEST(ks.dirty() > 0u);
                ks.ResetDirty();  // as a save does
              });
  BOOST_TEST(after_ran == 1);
  BOOST_TEST(disposed == 3u);    // a, b, and "other", which the swap took to database 1
  BOOST_TEST(ks.dirty() == 1u);  // the FLUSHALL itself, counted after the save
  BOOST_TEST(Take().size() == 4u);
}

BOOST_AUTO_TEST_CASE(string_ops_count_themselves) {
  int64_t n;
  BOOST_TEST((IncrBy(db, "n", 5, &n) == OpStatus::kOk));
  BOOST_TEST((Take() == Events{{0, "write:n"}}));
  BOOST_TEST(TakeDirty() == 1u);
  std::string f;
  BOOST_TEST((IncrByFloat(db, "n", 0.5, &f) == OpStatus::kOk));
  BOOST_TEST(TakeDirty() == 1u);
  BOOST_TEST((Append(db, "s", "ab", 1 << 20, &n) == OpStatus::kOk));
  BOOST_TEST(TakeDirty() == 1u);
  // SETRANGE on a missing key creates it: still one write.
  BOOST_TEST((SetRange(db, "r", 3, "x", 1 << 20, &n) == OpStatus::kOk));
  BOOST_TEST((Take() == Events{{0, "write:n"}, {0, "write:s"}, {0, "write:r"}}));
  BOOST_TEST(TakeDirty() == 1u);
  // No-ops and errors: neither signalled nor counted.
  BOOST_TEST((SetRange(db, "r", 0, "", 1 << 20, &n) == OpStatus::kOk));
  BOOST_TEST((IncrBy(db, "s", 1, &n) == OpStatus::kNotInteger));
  BOOST_TEST(Take().empty());
  BOOST_TEST(TakeDirty() == 0u);
}

BOOST_AUTO_TEST_CASE(expiry_and_eviction_signal_but_do_not_count) {
  Entry* e = db.Store("a", "1");
  db.SetExpire(e, ks.now_ms() + 10);
  db.Store("b", "2");
  Reset();
  clock.AdvanceMs(20);
  ks.RefreshTime();
  bool more = false;
  BOOST_TEST(db.ExpireDue(ks.now_ms(), 100, &more) == 1u);
  BOOST_TEST((Take() == Events{{0, "expired:a"}}));
  db.Evict(db.FindRaw("b"));
  BOOST_TEST((Take() == Events{{0, "evicted:b"}}));
  BOOST_TEST(ks.stats().evicted_keys == 1u);
  BOOST_TEST(TakeDirty() == 0u);
}

BOOST_AUTO_TEST_CASE(a_save_forgets_the_writes_it_covered) {
  db.Store("a", "1");
  db.Store("b", "1");
  uint64_t at_start = ks.dirty();
  db.Store("c", "1");
  ks.DirtySaved(at_start);
  BOOST_TEST(ks.dirty() == 1u);
  ks.DirtySaved(5);
  BOOST_TEST(ks.dirty() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
