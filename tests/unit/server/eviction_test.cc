#include "src/core/eviction.h"

#include <boost/test/unit_test.hpp>

#include "engine/keyspace.h"
#include "harness.h"

using namespace dkv::server;

namespace {
// The harness counts 100 bytes per key: maxmemory 1000 holds 10 keys.
struct EvictionFixture : CommandHarness {
  void Policy(const std::string& policy, int samples = 64) {
    Run({"CONFIG", "SET", "maxmemory", "1000", "maxmemory-policy", policy, "maxmemory-samples",
         std::to_string(samples)});
  }
  bool Exists(const std::string& key) { return Run({"EXISTS", key}) == ":1\r\n"; }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(eviction, EvictionFixture)

BOOST_AUTO_TEST_CASE(noeviction_refuses_writes_but_serves_reads) {
  for (int i = 0; i < 10; ++i) Run({"SET", "k" + std::to_string(i), "v"});
  Policy("noeviction");
  BOOST_TEST(Run({"SET", "k10", "v"}) == "+OK\r\n");  // 10 keys: at the limit, not over
  BOOST_TEST(Run({"SET", "k11", "v"}) ==
             "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
  BOOST_TEST(Run({"GET", "k1"}) == "$1\r\nv\r\n");
  BOOST_TEST(Run({"DEL", "k1"}) == ":1\r\n");  // deletes are not deny-oom
}

BOOST_AUTO_TEST_CASE(allkeys_lru_evicts_the_least_recently_used) {
  Policy("allkeys-lru");
  for (int i = 0; i < 10; ++i) {
    Run({"SET", "k" + std::to_string(i), "v"});
    AdvanceMs(1000);
  }
  Run({"GET", "k0"});  // k0 is now the most recent; k1 the least
  AdvanceMs(1000);
  Run({"SET", "new1", "v"});
  Run({"SET", "new2", "v"});
  BOOST_TEST(Exists("k0"));
  BOOST_TEST(!Exists("k1"));
  BOOST_TEST(Exists("k3"));
  BOOST_TEST(Run({"DBSIZE"}) == ":10\r\n");
  std::string info = Run({"INFO", "stats"});
  BOOST_TEST(info.find("evicted_keys:2\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(volatile_policies_ignore_keys_without_ttl) {
  for (int i = 0; i < 8; ++i) Run({"SET", "p" + std::to_string(i), "v"});
  Run({"SET", "t1", "v", "EX", "100"});
  Run({"SET", "t2", "v", "EX", "50"});
  Policy("volatile-lru");
  Run({"SET", "x", "v"});  // 11 keys: one must go, and only t1/t2 may
  BOOST_TEST(Run({"DBSIZE"}) == ":10\r\n");
  BOOST_TEST((Exists("t1") != Exists("t2")));
  Run({"SET", "y", "v"});
  BOOST_TEST(!Exists("t1"));
  BOOST_TEST(!Exists("t2"));
  // No volatile key left: once over the limit, writes are refused and persistent keys stay.
  BOOST_TEST(Run({"SET", "z", "v"}) == "+OK\r\n");  // at the limit, not over yet
  BOOST_TEST(Run({"SET", "w", "v"}) ==
             "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
  for (int i = 0; i < 8; ++i) BOOST_TEST(Exists("p" + std::to_string(i)));
}

BOOST_AUTO_TEST_CASE(volatile_ttl_evicts_the_nearest_expiry_first) {
  for (int i = 0; i < 10; ++i) {
    Run({"SET", "k" + std::to_string(i), "v", "EX", std::to_string(1000 - i * 10)});
  }
  Policy("volatile-ttl");
  Run({"SET", "a", "v"});
  BOOST_TEST(!Exists("k9"));  // the smallest TTL
  Run({"SET", "b", "v"});
  BOOST_TEST(!Exists("k8"));
  BOOST_TEST(Exists("k0"));
}

BOOST_AUTO_TEST_CASE(lfu_keeps_frequent_keys_and_counters_decay) {
  Policy("allkeys-lfu");
  Run({"CONFIG", "SET", "lfu-log-factor", "0"});  // every access counts: deterministic
  for (int i = 0; i < 10; ++i) Run({"SET", "k" + std::to_string(i), "v"});
  for (int round = 0; round < 20; ++round) {
    for (int i = 1; i < 10; ++i) Run({"GET", "k" + std::to_string(i)});
  }
  Run({"SET", "new", "v"});
  BOOST_TEST(!Exists("k0"));                               // never read: lowest frequency
  BOOST_TEST(Run({"OBJECT", "FREQ", "k5"}) == ":25\r\n");  // 5 + 20 reads
  AdvanceMs(3 * 60000);                                    // decay time 1 minute: three periods
  BOOST_TEST(Run({"OBJECT", "FREQ", "k5"}) == ":22\r\n");
}

BOOST_AUTO_TEST_CASE(random_eviction_keeps_the_limit) {
  Policy("allkeys-random");
  for (int i = 0; i < 50; ++i) Run({"SET", "k" + std::to_string(i), "v"});
  BOOST_TEST(Run({"DBSIZE"}) == ":10\r\n");
}

BOOST_AUTO_TEST_CASE(lowering_maxmemory_converges) {
  for (int i = 0; i < 100; ++i) Run({"SET", "k" + std::to_string(i), "v"});
  Policy("allkeys-lru");
  state.Evict(1000000);
  BOOST_TEST(Run({"DBSIZE"}) == ":10\r\n");
}

BOOST_AUTO_TEST_CASE(over_postgres_eviction_drops_clean_values_and_keeps_every_key) {
  // The cache tier: values of clean keys go (least recently used first), keys and metadata
  // stay, dirty keys keep their values.
  dkv::engine::FakeClock clock;
  dkv::engine::Keyspace ks(&clock, 1);
  dkv::engine::Database& db = ks.db(0);
  for (int i = 0; i < 20; ++i) {
    db.Insert("k" + std::to_string(i), std::string(100, 'v'));
    clock.AdvanceMs(1000);
    ks.RefreshTime();
  }
  auto used = [&] {
    size_t bytes = 0;
    db.ForEach([&](dkv::engine::Entry* e) { bytes += e->cold() ? 0 : e->value_size(); });
    return bytes;
  };
  Evictor evictor;
  evictor.set_drop_values([](int, std::string_view key) { return key != "k0" && key != "k1"; });
  BOOST_TEST((evictor.Run(ks, EvictionPolicy::kAllKeysLru, 1000, 20, used, 1000000) ==
              Evictor::Result::kOk));
  BOOST_TEST(db.size() == 20u);
  BOOST_TEST(used() <= 1000u);
  BOOST_TEST(!db.FindRaw("k0")->cold());  // dirty: not droppable, though the oldest
  BOOST_TEST(!db.FindRaw("k1")->cold());
  BOOST_TEST(db.FindRaw("k2")->cold());  // the least recently used clean ones went
  BOOST_TEST(!db.FindRaw("k19")->cold());
  BOOST_TEST(ks.stats().dropped_values == 10u);
  BOOST_TEST(ks.stats().evicted_keys == 0u);
  // Nothing clean is left warm beyond the dirty two: the evictor says it cannot go lower.
  BOOST_TEST((evictor.Run(ks, EvictionPolicy::kAllKeysLru, 150, 20, used, 1000000) ==
              Evictor::Result::kFail));
  BOOST_TEST(used() == 200u);
  BOOST_TEST(db.size() == 20u);
}

BOOST_AUTO_TEST_SUITE_END()
