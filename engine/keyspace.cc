#include "engine/keyspace.h"

#include <algorithm>

#include "engine/hash_ttl.h"

namespace dkv::engine {

Keyspace::Keyspace(const Clock* clock, int databases)
    : clock_(clock), now_ms_(clock->NowMs()), numbered_(databases) {
  dbs_.reserve(static_cast<size_t>(databases));
  for (int i = 0; i < databases; ++i) {
    dbs_.push_back(std::make_unique<Database>(this, i));
    names_.push_back(std::to_string(i));
  }
}

bool Keyspace::ValidNamespaceName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name[0])) return false;
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != ':' && c != '.') {
      return false;
    }
  }
  return true;
}

int Keyspace::FindOrCreateNamespace(std::string_view name, int max_namespaces) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  if (!ValidNamespaceName(name) || database_count() >= max_namespaces) return -1;
  int index = database_count();
  dbs_.push_back(std::make_unique<Database>(this, index));
  names_.emplace_back(name);
  return index;
}

void Keyspace::Swap(int a, int b) {
  if (a == b) return;
  if (observer_ != nullptr) observer_->OnSwapDatabases(db(a), db(b));
  db(a).SwapContents(db(b));
  AddDirty();
}

void Keyspace::FlushAll(const std::function<void(std::unique_ptr<Database::Contents>)>& dispose,
                        const std::function<void()>& after) {
  for (auto& d : dbs_) dispose(d->Flush());
  if (after) after();
  AddDirty();
}

size_t Keyspace::TotalKeys() const {
  size_t n = 0;
  for (const auto& d : dbs_) n += d->size();
  return n;
}

size_t Keyspace::ActiveExpireCycle(size_t max_keys, int64_t budget_us, bool* more_out) {
  if (!active_expire_) {
    if (more_out != nullptr) *more_out = false;
    return 0;
  }
  const int64_t start = clock_->NowUs();
  RefreshTime();
  const int64_t now = now_ms_;
  size_t deleted = 0;
  bool any_more = false;
  const size_t n = dbs_.size();
  // Keys are deleted in slices of 64 so the time budget is checked often enough.
  constexpr size_t kSlice = 64;
  constexpr size_t kFieldSlice = 256;
  bool out_of_time = false;
  for (size_t visited = 0; visited < n && deleted < max_keys && !out_of_time; ++visited) {
    Database& d = *dbs_[expire_cursor_ % n];
    bool more = true;
    while (more && deleted < max_keys) {
      deleted += d.ExpireDue(now, std::min(kSlice, max_keys - deleted), &more);
      if (clock_->NowUs() - start > budget_us) {
        out_of_time = true;
        break;
      }
    }
    if (more) {
      any_more = true;
    } else {
      expire_cursor_ = (expire_cursor_ + 1) % n;
    }
  }
  // Then due hash fields (engine/hash_ttl.h), a bounded slice of them.
  if (!out_of_time && deleted < max_keys) {
    bool fields_more = false;
    deleted +=
        ActiveExpireFields(now, std::min<size_t>(max_keys - deleted, kFieldSlice), &fields_more);
    any_more = any_more || fields_more;
  }
  if (out_of_time || deleted >= max_keys) any_more = true;
  stats_.expire_cycle_us += static_cast<uint64_t>(std::max<int64_t>(0, clock_->NowUs() - start));
  if (more_out != nullptr) *more_out = any_more;
  return deleted;
}

double Keyspace::StalePercent(size_t cap) const {
  size_t due = 0, volatile_keys = 0;
  for (const auto& d : dbs_) {
    volatile_keys += d->expires_size();
    if (due < cap) due += d->CountDue(now_ms_, cap - due);
  }
  return volatile_keys ? 100.0 * static_cast<double>(due) / static_cast<double>(volatile_keys) : 0;
}

bool Keyspace::ReapGarbage(size_t budget) {
  bool clean = true;
  for (auto& d : dbs_) {
    if (d->has_garbage()) clean = d->ReapGarbage(budget) && clean;
  }
  return clean;
}

}  // namespace dkv::engine
