#include "persistence/postgres/write_queue.h"

#include <algorithm>
#include <iterator>

namespace dkv::persistence::postgres {

void WriteQueue::OpenWindow(int64_t now_ms) {
  if (Empty()) first_dirty_ms_ = now_ms;
}

void WriteQueue::MarkDirty(int db, std::string key, uint64_t seq) {
  if (dirty_.size() <= static_cast<size_t>(db)) dirty_.resize(static_cast<size_t>(db) + 1);
  if (dirty_count_ == 0) dirty_min_seq_ = seq;
  auto [it, inserted] = dirty_[static_cast<size_t>(db)].emplace(std::move(key), seq);
  if (inserted) {
    ++dirty_count_;
  } else {
    it->second = std::min(it->second, seq);
  }
  dirty_min_seq_ = std::min(dirty_min_seq_, seq);
}

void WriteQueue::KeyChanged(int db, std::string_view key, int64_t now_ms) {
  OpenWindow(now_ms);
  MarkDirty(db, std::string(key), ++changes_);
}

void WriteQueue::PrefixDeleted(std::string ns, std::string_view prefix, int64_t now_ms) {
  OpenWindow(now_ms);
  ops_.push_back({NsOp::kDeletePrefix, std::move(ns), std::string(prefix), "", ++changes_});
}

void WriteQueue::Swapped(int a, int b, std::string ns_a, std::string ns_b, int64_t now_ms) {
  OpenWindow(now_ms);
  ops_.push_back({NsOp::kSwap, std::move(ns_a), "", std::move(ns_b), ++changes_});
  // A batch in flight that fails is queued again under the namespace its keys are in now.
  size_t need = static_cast<size_t>(std::max(a, b)) + 1;
  if (dirty_.size() < need) dirty_.resize(need);
  if (flying_.size() < need) flying_.resize(need);
  std::swap(dirty_[static_cast<size_t>(a)], dirty_[static_cast<size_t>(b)]);
  std::swap(flying_[static_cast<size_t>(a)], flying_[static_cast<size_t>(b)]);
  for (Batch& batch : batches_) {
    for (auto& [db, key] : batch.keys) db = db == a ? b : db == b ? a : db;
  }
}

bool WriteQueue::Idle() const { return Empty() && !AnyInFlight(); }

bool WriteQueue::AnyInFlight() const {
  for (const Batch& b : batches_) {
    if (b.id != 0) return true;
  }
  return false;
}

uint64_t WriteQueue::durable() const {
  uint64_t d = changes_;
  if (dirty_count_ > 0) d = std::min(d, dirty_min_seq_ - 1);
  if (!ops_.empty()) d = std::min(d, ops_.front().seq - 1);
  for (const Batch& b : batches_) {
    if (b.id != 0) d = std::min(d, b.min_seq - 1);
  }
  return d;
}

bool WriteQueue::Pending(int db, std::string_view key) const {
  size_t i = static_cast<size_t>(db);
  if (i < dirty_.size() && dirty_[i].find(key) != dirty_[i].end()) return true;
  if (i < flying_.size() && flying_[i].find(key) != flying_[i].end()) return true;
  return false;
}

bool WriteQueue::SwapPending() const {
  for (const NsOp& op : ops_) {
    if (op.kind == NsOp::kSwap) return true;
  }
  for (const Batch& b : batches_) {
    for (const NsOp& op : b.ops) {
      if (op.kind == NsOp::kSwap) return true;
    }
  }
  return false;
}

bool WriteQueue::CanStart() const {
  if (Empty()) return false;
  bool any_flying = false;
  for (const Batch& b : batches_) {
    if (b.id == 0) continue;
    if (!b.ops.empty()) return false;
    any_flying = true;
  }
  return ops_.empty() || !any_flying;
}

WriteQueue::Batch* WriteQueue::Take(size_t w, size_t limit, int64_t now_ms) {
  // Namespace operations (range deletes, swaps) order everything around them: they go in a
  // batch that runs alone, with every dirty key (a crash between the two must not lose
  // rewritten rows).
  if (!CanStart() || SlotBusy(w)) return nullptr;
  Batch& batch = batches_[w];
  if (!ops_.empty()) limit = SIZE_MAX;
  batch.keys.clear();
  batch.bytes = 0;
  batch.ops = std::move(ops_);
  ops_.clear();
  batch.min_seq = batch.ops.empty() ? UINT64_MAX : batch.ops.front().seq;
  if (flying_.size() < dirty_.size()) flying_.resize(dirty_.size());
  // A key of a batch in flight waits for its commit.
  uint64_t deferred_min = UINT64_MAX;
  bool all_seen = true;
  for (size_t db = 0; db < dirty_.size(); ++db) {
    auto& map = dirty_[db];
    for (auto it = map.begin(); it != map.end();) {
      if (batch.keys.size() >= limit) {
        all_seen = false;
        break;
      }
      if (flying_[db].count(it->first) != 0) {
        deferred_min = std::min(deferred_min, it->second);
        ++it;
        continue;
      }
      batch.min_seq = std::min(batch.min_seq, it->second);
      flying_[db].insert(it->first);
      batch.keys.emplace_back(static_cast<int>(db), it->first);
      it = map.erase(it);
      --dirty_count_;
    }
    if (!all_seen) break;
  }
  if (all_seen) dirty_min_seq_ = deferred_min;  // exact: every remaining key was seen
  if (batch.keys.empty() && batch.ops.empty()) return nullptr;  // every dirty key is in flight
  batch.id = next_batch_id_++;
  if (!Empty()) first_dirty_ms_ = now_ms;
  return &batch;
}

void WriteQueue::Committed(size_t w) {
  Batch& batch = batches_[w];
  for (const auto& [db, key] : batch.keys) flying_[static_cast<size_t>(db)].erase(key);
  batch = Batch();
}

void WriteQueue::Failed(size_t w, int64_t now_ms) {
  Batch& batch = batches_[w];
  for (auto& [db, key] : batch.keys) {
    flying_[static_cast<size_t>(db)].erase(key);
    MarkDirty(db, std::move(key), batch.min_seq);
  }
  // Namespace operations of the failed batch came before the queued ones.
  batch.ops.insert(batch.ops.end(), std::make_move_iterator(ops_.begin()),
                   std::make_move_iterator(ops_.end()));
  ops_ = std::move(batch.ops);
  first_dirty_ms_ = now_ms;
  batch = Batch();
}

}  // namespace dkv::persistence::postgres
