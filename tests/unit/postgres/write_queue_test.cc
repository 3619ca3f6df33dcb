// WriteQueue and RetryBackoff: coalescing, batches that never share a key, namespace operations
// that run alone, requeue on failure, SWAPDB, the async flush window, the retry backoff.
#include "persistence/postgres/write_queue.h"

#include <boost/test/unit_test.hpp>
#include <set>

using dkv::persistence::postgres::RetryBackoff;
using dkv::persistence::postgres::Tunables;
using dkv::persistence::postgres::WriteQueue;

namespace {

std::set<std::pair<int, std::string>> KeysOf(const WriteQueue::Batch& b) {
  return {b.keys.begin(), b.keys.end()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(write_queue)

BOOST_AUTO_TEST_CASE(changes_to_one_key_coalesce_and_durable_follows_commits) {
  WriteQueue q;
  q.set_slots(2);
  q.KeyChanged(0, "a", 1000);
  q.KeyChanged(0, "a", 1001);
  q.KeyChanged(0, "b", 1002);
  q.KeyChanged(0, "a", 1003);
  BOOST_TEST(q.change_count() == 4u);
  BOOST_TEST(q.queued() == 2u);  // a and b, once each
  BOOST_TEST(q.durable() == 0u);
  BOOST_TEST(q.first_dirty_ms() == 1000);  // the window opened with the first change
  BOOST_TEST(q.Pending(0, "a"));
  BOOST_TEST(!q.Pending(1, "a"));

  WriteQueue::Batch* b = q.Take(0, 100, 2000);
  BOOST_REQUIRE(b != nullptr);
  BOOST_TEST(b->id != 0u);
  BOOST_TEST(b->min_seq == 1u);  // a's first change
  BOOST_TEST((KeysOf(*b) == std::set<std::pair<int, std::string>>{{0, "a"}, {0, "b"}}));
  BOOST_TEST(q.queued() == 0u);
  BOOST_TEST(q.durable() == 0u);  // in flight is not durable
  BOOST_TEST(q.Pending(0, "a"));  // in flight still counts as not clean
  BOOST_TEST(!q.Idle());

  q.Committed(0);
  BOOST_TEST(q.durable() == 4u);
  BOOST_TEST(q.Idle());
  BOOST_TEST(!q.Pending(0, "a"));
}

BOOST_AUTO_TEST_CASE(a_key_in_flight_waits_for_its_commit) {
  WriteQueue q;
  q.set_slots(2);
  q.KeyChanged(0, "a", 0);  // 1
  BOOST_REQUIRE(q.Take(0, 100, 0) != nullptr);
  q.KeyChanged(0, "a", 0);  // 2: a again, while its batch flies
  BOOST_TEST(q.CanStart());
  BOOST_TEST(q.Take(1, 100, 0) == nullptr);  // the only dirty key is in flight
  BOOST_TEST(q.queued() == 1u);
  BOOST_TEST(q.durable() == 0u);
  q.Committed(0);
  BOOST_TEST(q.durable() == 1u);  // change 2 is still queued
  WriteQueue::Batch* b = q.Take(1, 100, 0);
  BOOST_REQUIRE(b != nullptr);
  BOOST_TEST(b->min_seq == 2u);
  q.Committed(1);
  BOOST_TEST(q.durable() == 2u);
}

BOOST_AUTO_TEST_CASE(the_limit_splits_batches_and_restarts_the_window) {
  WriteQueue q;
  q.set_slots(1);
  for (int i = 0; i < 5; ++i) q.KeyChanged(0, "k" + std::to_string(i), 100);
  WriteQueue::Batch* b = q.Take(0, 2, 500);
  BOOST_REQUIRE(b != nullptr);
  BOOST_TEST(b->keys.size() == 2u);
  BOOST_TEST(q.queued() == 3u);
  BOOST_TEST(q.first_dirty_ms() == 500);     // what stays queued waits a new interval
  BOOST_TEST(q.Take(0, 2, 500) == nullptr);  // the slot is busy
}

BOOST_AUTO_TEST_CASE(namespace_operations_run_alone_with_every_dirty_key) {
  WriteQueue q;
  q.set_slots(2);
  q.KeyChanged(0, "a", 0);                      // 1
  BOOST_REQUIRE(q.Take(0, 100, 0) != nullptr);  // a flies
  q.PrefixDeleted("ns", "app.", 0);             // 2
  q.KeyChanged(0, "b", 0);                      // 3
  q.KeyChanged(0, "c", 0);                      // 4
  BOOST_TEST(!q.CanStart());                    // an operation must not overtake a's batch
  BOOST_TEST(q.Take(1, 100, 0) == nullptr);
  q.Committed(0);
  WriteQueue::Batch* b = q.Take(1, 1, 0);  // the limit does not apply with operations
  BOOST_REQUIRE(b != nullptr);
  BOOST_TEST(b->ops.size() == 1u);
  BOOST_TEST(b->ops[0].prefix == "app.");
  BOOST_TEST(b->keys.size() == 2u);
  BOOST_TEST(b->min_seq == 2u);
  q.KeyChanged(0, "d", 0);
  BOOST_TEST(!q.CanStart());  // nothing starts beside a batch with operations
  BOOST_TEST(q.Take(0, 100, 0) == nullptr);
  q.Committed(1);
  BOOST_TEST(q.durable() == 4u);
  BOOST_TEST(q.Take(0, 100, 0) != nullptr);
}

BOOST_AUTO_TEST_CASE(a_failed_batch_goes_back_before_newer_operations) {
  WriteQueue q;
  q.set_slots(1);
  q.PrefixDeleted("ns", "x.", 0);  // 1
  q.KeyChanged(2, "k", 0);         // 2
  BOOST_REQUIRE(q.Take(0, 100, 0) != nullptr);
  q.PrefixDeleted("ns", "y.", 0);  // 3, queued while the batch flies
  q.KeyChanged(2, "k", 0);         // 4
  q.Failed(0, 700);
  BOOST_TEST(!q.SlotBusy(0));
  BOOST_TEST(q.first_dirty_ms() == 700);
  BOOST_TEST(q.durable() == 0u);  // change 1 is queued again
  BOOST_TEST(q.queued() == 3u);   // two operations, one key
  WriteQueue::Batch* b = q.Take(0, 100, 0);
  BOOST_REQUIRE(b != nullptr);
  BOOST_REQUIRE(b->ops.size() == 2u);
  BOOST_TEST(b->ops[0].prefix == "x.");  // the failed batch's operation first
  BOOST_TEST(b->ops[1].prefix == "y.");
  BOOST_REQUIRE(b->keys.size() == 1u);
  BOOST_TEST(b->keys[0].first == 2);
  BOOST_TEST(b->min_seq == 1u);
}

BOOST_AUTO_TEST_CASE(swapdb_moves_queued_and_flying_keys) {
  WriteQueue q;
  q.set_slots(1);
  q.KeyChanged(1, "b", 0);
  BOOST_REQUIRE(q.Take(0, 100, 0) != nullptr);  // b of namespace 1 flies
  q.KeyChanged(0, "a", 0);
  BOOST_TEST(!q.SwapPending());
  q.Swapped(0, 1, "zero", "one", 0);
  BOOST_TEST(q.SwapPending());
  BOOST_TEST(q.Pending(1, "a"));
  BOOST_TEST(!q.Pending(0, "a"));
  BOOST_TEST(q.Pending(0, "b"));
  BOOST_TEST(!q.Pending(1, "b"));
  BOOST_TEST(q.batch(0).keys[0].first == 0);  // the flying batch follows its key
  q.Failed(0, 0);                             // and is queued again under namespace 0
  BOOST_TEST(q.Pending(0, "b"));
  WriteQueue::Batch* b = q.Take(0, 100, 0);
  BOOST_REQUIRE(b != nullptr);
  BOOST_REQUIRE(b->ops.size() == 1u);
  BOOST_TEST(b->ops[0].kind == WriteQueue::NsOp::kSwap);
  BOOST_TEST(b->ops[0].ns == "zero");
  BOOST_TEST(b->ops[0].ns2 == "one");
  BOOST_TEST((KeysOf(*b) == std::set<std::pair<int, std::string>>{{0, "b"}, {1, "a"}}));
  q.Committed(0);
  BOOST_TEST(!q.SwapPending());
}

BOOST_AUTO_TEST_CASE(async_batches_wait_for_the_interval_or_a_full_batch) {
  WriteQueue q;
  Tunables t;
  t.flush_interval_ms = 10;
  t.batch_size = 3;
  q.KeyChanged(0, "a", 1000);
  BOOST_TEST(!q.Due(1009, t, false));
  BOOST_TEST(q.Due(1010, t, false));
  BOOST_TEST(q.Due(1001, t, /*now=*/true));  // memory full, or the exit's drain
  q.KeyChanged(0, "b", 1001);
  q.KeyChanged(0, "c", 1002);
  BOOST_TEST(q.Due(1003, t, false));  // a batch's worth
  WriteQueue sync_q;
  t.sync = true;
  sync_q.KeyChanged(0, "a", 1000);
  BOOST_TEST(sync_q.Due(1000, t, false));
}

BOOST_AUTO_TEST_CASE(retry_backoff_doubles_to_ten_seconds_and_resets) {
  RetryBackoff r;
  int64_t now = 50000;
  const int64_t expected[] = {100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000};
  for (int64_t wait : expected) {
    r.Failed(now, /*draining=*/false);
    BOOST_TEST(r.retry_at_ms() == now + wait);
  }
  r.Failed(now, /*draining=*/true);  // the exit's drain retries within 250 ms
  BOOST_TEST(r.retry_at_ms() == now + RetryBackoff::kDrainRetryMs);
  r.RetryBy(now + 10);
  BOOST_TEST(r.retry_at_ms() == now + 10);
  r.Succeeded();
  r.Failed(now, false);
  BOOST_TEST(r.retry_at_ms() == now + 100);
  r.Failed(now, /*draining=*/true);  // below the drain's cap, the backoff itself
  BOOST_TEST(r.retry_at_ms() == now + 200);
}

BOOST_AUTO_TEST_SUITE_END()
