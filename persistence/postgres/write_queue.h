// WriteQueue: what the PostgreSQL backend still has to commit, and what is in flight. Pure
// bookkeeping (no connection, no SQL), so that its rules are unit-tested on their own:
//
// - A changed key is marked dirty with the number of its first unqueued change; further
//   changes of it coalesce (the batch writes the key's state at the time it is sent).
// - Subtree deletes, flushes and SWAPDBs are namespace operations, kept in order.
// - A batch takes dirty keys (up to a limit) that are not in flight: two batches in flight
//   never share a key, as two transactions writing one key could commit in either order.
// - A batch with namespace operations takes every dirty key and runs alone: no other batch is
//   in flight with it, and none starts while it is.
// - A failed batch puts everything back (its namespace operations before the queued ones).
// - durable(): every change numbered up to it has committed (sync durability waits for it).
//
// Batches in flight are kept per slot (one slot per pool connection). Loop thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "persistence/postgres/host.h"

namespace dkv::persistence::postgres {

class WriteQueue {
 public:
  struct NsOp {
    enum Kind { kDeletePrefix, kSwap } kind;
    std::string ns;
    std::string prefix;  // kDeletePrefix ("" deletes the namespace)
    std::string ns2;     // kSwap
    uint64_t seq;
  };
  struct Batch {
    uint64_t id = 0;  // 0: no batch in this slot
    std::vector<std::pair<int, std::string>> keys;
    std::vector<NsOp> ops;
    uint64_t min_seq = 0;
    int64_t started_us = 0;
    size_t bytes = 0;  // keys and values sent
  };

  // Makes room for `n` slots (batches in flight at once).
  void set_slots(size_t n) { batches_.resize(n); }
  size_t slots() const { return batches_.size(); }

  // Observed changes; each gets the next change number. `now_ms` starts the flush window when
  // the queue was empty.
  void KeyChanged(int db, std::string_view key, int64_t now_ms);
  void PrefixDeleted(std::string ns, std::string_view prefix, int64_t now_ms);
  // Namespaces a and b (named ns_a, ns_b) exchanged contents: queued and in-flight keys follow
  // their keys to the other namespace.
  void Swapped(int a, int b, std::string ns_a, std::string ns_b, int64_t now_ms);

  // Nothing is queued (batches may be in flight).
  bool Empty() const { return dirty_count_ == 0 && ops_.empty(); }
  // Nothing is queued and no batch is in flight.
  bool Idle() const;
  size_t queued() const { return dirty_count_ + ops_.size(); }
  size_t dirty_count() const { return dirty_count_; }
  uint64_t change_count() const { return changes_; }
  uint64_t durable() const;
  // The key is queued or in flight.
  bool Pending(int db, std::string_view key) const;
  // A SWAPDB is queued or in flight.
  bool SwapPending() const;
  // When the oldest queued change arrived (the async flush window).
  int64_t first_dirty_ms() const { return first_dirty_ms_; }

  // The next batch is due (async durability): the flush interval has passed since the oldest
  // queued change, or a batch's worth of keys is queued; at once under sync durability or
  // when `now` (memory full, the exit's drain). REQUIRES: !Empty().
  bool Due(int64_t now_ms, const Tunables& t, bool now) const {
    return t.sync || now || static_cast<int64_t>(dirty_count_) >= t.batch_size ||
           now_ms - first_dirty_ms_ >= t.flush_interval_ms;
  }

  // The batch of slot w (id 0: none).
  const Batch& batch(size_t w) const { return batches_[w]; }
  Batch* mutable_batch(size_t w) { return &batches_[w]; }
  bool SlotBusy(size_t w) const { return batches_[w].id != 0; }
  bool AnyInFlight() const;
  // A batch may start now: the queue is not empty, no batch with namespace operations is in
  // flight, and none at all if this one would carry namespace operations.
  bool CanStart() const;
  // Fills slot w with a batch: namespace operations and dirty keys not in flight, at most
  // `limit` keys (no limit when namespace operations go). Returns it, with id set; or null
  // when nothing can go (CanStart is false, or every dirty key is in flight). `now_ms` opens a
  // new flush window for what stays queued.
  Batch* Take(size_t w, size_t limit, int64_t now_ms);
  // The batch of slot w committed: its keys are no longer in flight; the slot is free.
  void Committed(size_t w);
  // The batch of slot w failed: everything goes back in the queue; the slot is free.
  void Failed(size_t w, int64_t now_ms);

 private:
  struct StringHash {  // lookups by string_view without a copy (IsClean runs per eviction probe)
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeySet = std::unordered_set<std::string, StringHash, std::equal_to<>>;
  using DirtyMap = std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>>;

  void OpenWindow(int64_t now_ms);
  void MarkDirty(int db, std::string key, uint64_t seq);

  // Dirty keys per namespace index with the number of their first unqueued change.
  std::vector<DirtyMap> dirty_;
  size_t dirty_count_ = 0;
  uint64_t dirty_min_seq_ = 0;  // no dirty key has an older change (when dirty_count_ > 0)
  std::vector<NsOp> ops_;
  int64_t first_dirty_ms_ = 0;
  uint64_t changes_ = 0;
  // Keys of the batches in flight, per namespace index.
  std::vector<KeySet> flying_;
  std::vector<Batch> batches_;
  uint64_t next_batch_id_ = 1;
};

// The wait after a failed batch: 100 ms doubling to kMaxBackoffMs (10 s), at most
// kDrainRetryMs while the exit drains the queue; a commit resets it.
class RetryBackoff {
 public:
  static constexpr int64_t kInitialMs = 100;
  static constexpr int64_t kMaxMs = 10000;
  static constexpr int64_t kDrainRetryMs = 250;

  void Failed(int64_t now_ms, bool draining) {
    retry_at_ms_ = now_ms + (draining ? std::min(kDrainRetryMs, backoff_ms_) : backoff_ms_);
    backoff_ms_ = std::min(kMaxMs, backoff_ms_ * 2);
  }
  void Succeeded() { backoff_ms_ = kInitialMs; }
  // No batch starts before retry_at_ms().
  int64_t retry_at_ms() const { return retry_at_ms_; }
  // The wait the next failure would get.
  int64_t backoff_ms() const { return backoff_ms_; }
  // The retry comes no later than `at_ms` (the exit's drain; 0: at once).
  void RetryBy(int64_t at_ms) { retry_at_ms_ = std::min(retry_at_ms_, at_ms); }

 private:
  int64_t retry_at_ms_ = 0;
  int64_t backoff_ms_ = kInitialMs;
};

}  // namespace dkv::persistence::postgres
