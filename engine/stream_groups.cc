// Consumer groups of a stream (engine/stream_groups.h): Redis 7.2's semantics, our code.
#include "engine/stream_groups.h"

#include <utility>

namespace dkv::engine {

namespace {

// Takes `id` out of the PEL of the consumer named `name` (if it still exists).
void DropFromConsumer(StreamGroup& g, std::string_view name, StreamId id) {
  auto c = g.consumers.find(name);
  if (c != g.consumers.end()) c->second.pending.erase(id);
}

// Moves a pending entry to `consumer` (no-op when it owns it already).
void Reassign(StreamGroup& g, StreamId id, StreamNack& nack, std::string_view consumer) {
  if (nack.consumer == consumer) return;
  DropFromConsumer(g, nack.consumer, id);
  nack.consumer.assign(consumer);
  g.consumers.find(consumer)->second.pending.insert(id);
}

bool EntryExists(const Stream& s, StreamId id) {
  return s.Lookup(id, [](const StreamEntryView&) { return false; });
}

}  // namespace

StreamGroup* FindGroup(Stream& s, std::string_view name) {
  auto it = s.groups().find(name);
  return it == s.groups().end() ? nullptr : &it->second;
}

const StreamGroup* FindGroup(const Stream& s, std::string_view name) {
  auto it = s.groups().find(name);
  return it == s.groups().end() ? nullptr : &it->second;
}

bool CreateGroup(Stream& s, std::string_view name, StreamId last_id, int64_t entries_read) {
  if (s.groups().find(name) != s.groups().end()) return false;
  StreamGroup& g = s.groups()[std::string(name)];
  g.last_id = last_id;
  g.entries_read = entries_read;
  return true;
}

bool DestroyGroup(Stream& s, std::string_view name) {
  auto it = s.groups().find(name);
  if (it == s.groups().end()) return false;
  s.groups().erase(it);
  return true;
}

void SetGroupId(StreamGroup& g, StreamId last_id, int64_t entries_read) {
  g.last_id = last_id;
  g.entries_read = entries_read;
}

StreamConsumer* FindConsumer(StreamGroup& g, std::string_view name) {
  auto it = g.consumers.find(name);
  return it == g.consumers.end() ? nullptr : &it->second;
}

StreamConsumer* CreateConsumer(StreamGroup& g, std::string_view name, int64_t now_ms) {
  if (g.consumers.find(name) != g.consumers.end()) return nullptr;
  StreamConsumer& c = g.consumers[std::string(name)];
  c.seen_time_ms = now_ms;
  c.active_time_ms = -1;
  return &c;
}

std::optional<size_t> DeleteConsumer(StreamGroup& g, std::string_view name) {
  auto it = g.consumers.find(name);
  if (it == g.consumers.end()) return std::nullopt;
  const size_t pending = it->second.pending.size();
  for (const StreamId& id : it->second.pending) g.pending.erase(id);
  g.consumers.erase(it);
  return pending;
}

size_t ReadNewEntries(Stream& s, StreamGroup& g, std::string_view consumer, size_t count,
                      bool noack, int64_t now_ms, const StreamVisit& visit) {
  StreamId start;
  if (!g.last_id.Increment(&start)) return 0;
  StreamConsumer& c = g.consumers.find(consumer)->second;
  size_t delivered = 0;
  s.Range(start, StreamId::Max(), false, [&](const StreamEntryView& entry) {
    const StreamId id = entry.id;
    if (id > g.last_id) {
      // Redis 7: a valid counter with no tombstone ahead counts on; otherwise it is estimated
      // afresh (and may become unknown).
      if (g.entries_read != kEntriesReadInvalid && !RangeHasTombstones(s, id, std::nullopt)) {
        ++g.entries_read;
      } else if (s.entries_added() != 0) {
        g.entries_read = EstimateDistanceFromFirstEverEntry(s, id);
      }
      g.last_id = id;
    }
    if (!noack) {
      auto [it, inserted] = g.pending.try_emplace(id);
      StreamNack& nack = it->second;
      if (inserted) {
        nack.consumer.assign(consumer);
        c.pending.insert(id);
      } else {
        // Pending for someone already (XGROUP SETID went back): it is this consumer's now.
        Reassign(g, id, nack, consumer);
      }
      nack.delivery_time_ms = now_ms;
      nack.delivery_count = 1;
      c.active_time_ms = now_ms;
    }
    ++delivered;
    const bool more = visit(entry);
    return more && (count == 0 || delivered < count);
  });
  return delivered;
}

size_t ReadConsumerHistory(Stream& s, StreamGroup& g, std::string_view consumer, StreamId start,
                           size_t count, int64_t now_ms, const PendingEntryVisit& visit) {
  StreamConsumer& c = g.consumers.find(consumer)->second;
  size_t visited = 0;
  for (auto it = c.pending.lower_bound(start); it != c.pending.end(); ++it) {
    if (count != 0 && visited >= count) break;
    const StreamId id = *it;
    const bool found = s.Lookup(id, [&](const StreamEntryView& entry) {
      visit(id, &entry);
      return false;
    });
    if (found) {
      auto nack = g.pending.find(id);
      if (nack != g.pending.end()) {
        nack->second.delivery_time_ms = now_ms;
        ++nack->second.delivery_count;
      }
    } else {
      visit(id, nullptr);
    }
    ++visited;
  }
  return visited;
}

bool Acknowledge(StreamGroup& g, StreamId id) {
  auto it = g.pending.find(id);
  if (it == g.pending.end()) return false;
  DropFromConsumer(g, it->second.consumer, id);
  g.pending.erase(it);
  return true;
}

void VisitPending(const StreamGroup& g, const std::string_view* consumer, StreamId start,
                  StreamId end, size_t count, int64_t min_idle_ms, int64_t now_ms,
                  const NackVisit& visit) {
  if (count == 0 || end < start) return;
  auto emit = [&](StreamId id, const StreamNack& nack) {
    if (min_idle_ms > 0 && now_ms - nack.delivery_time_ms < min_idle_ms) return;
    visit(id, nack);
    --count;
  };
  if (consumer != nullptr) {
    auto c = g.consumers.find(*consumer);
    if (c == g.consumers.end()) return;
    for (auto it = c->second.pending.lower_bound(start);
         count > 0 && it != c->second.pending.end() && *it <= end; ++it) {
      auto nack = g.pending.find(*it);
      if (nack != g.pending.end()) emit(*it, nack->second);
    }
    return;
  }
  for (auto it = g.pending.lower_bound(start);
       count > 0 && it != g.pending.end() && it->first <= end; ++it) {
    emit(it->first, it->second);
  }
}

ClaimResult ClaimEntry(const Stream& s, StreamGroup& g, std::string_view consumer, StreamId id,
                       const ClaimOptions& opts, int64_t now_ms) {
  auto it = g.pending.find(id);
  if (!EntryExists(s, id)) {
    // Gone from the stream: Redis 7 clears it from the PEL.
    if (it == g.pending.end()) return ClaimResult::kNotFound;
    DropFromConsumer(g, it->second.consumer, id);
    g.pending.erase(it);
    return ClaimResult::kRemoved;
  }
  bool created = false;
  if (it == g.pending.end()) {
    if (!opts.force) return ClaimResult::kSkipped;
    // FORCE: a new pending entry, owned by nobody yet (delivered once, as Redis creates it).
    it = g.pending.try_emplace(id).first;
    it->second.delivery_count = 1;
    created = true;
  }
  StreamNack& nack = it->second;
  if (!created && opts.min_idle_ms > 0 && now_ms - nack.delivery_time_ms < opts.min_idle_ms) {
    return ClaimResult::kSkipped;
  }
  int64_t when = opts.delivery_time_ms;
  if (when < 0 || when > now_ms) when = now_ms;
  nack.delivery_time_ms = when;
  if (opts.retry_count >= 0) {
    nack.delivery_count = static_cast<uint64_t>(opts.retry_count);
  } else if (!opts.justid) {
    ++nack.delivery_count;
  }
  StreamConsumer& c = g.consumers.find(consumer)->second;
  if (created) {
    nack.consumer.assign(consumer);
    c.pending.insert(id);
  } else {
    Reassign(g, id, nack, consumer);
  }
  c.active_time_ms = now_ms;
  return ClaimResult::kClaimed;
}

AutoClaimResult AutoClaim(const Stream& s, StreamGroup& g, std::string_view consumer,
                          StreamId start, size_t count, int64_t min_idle_ms, bool justid,
                          int64_t now_ms) {
  AutoClaimResult result;
  StreamConsumer& c = g.consumers.find(consumer)->second;
  // Redis looks at no more than 10 entries per entry asked for.
  uint64_t attempts = static_cast<uint64_t>(count) * 10;
  auto it = g.pending.lower_bound(start);
  while (attempts > 0 && count > 0 && it != g.pending.end()) {
    --attempts;
    const StreamId id = it->first;
    StreamNack& nack = it->second;
    if (!EntryExists(s, id)) {
      DropFromConsumer(g, nack.consumer, id);
      it = g.pending.erase(it);
      result.deleted.push_back(id);
      --count;
      continue;
    }
    if (min_idle_ms > 0 && now_ms - nack.delivery_time_ms < min_idle_ms) {
      ++it;
      continue;
    }
    Reassign(g, id, nack, consumer);
    nack.delivery_time_ms = now_ms;
    if (!justid) ++nack.delivery_count;
    result.claimed.push_back(id);
    c.active_time_ms = now_ms;
    --count;
    ++it;
  }
  result.next = it == g.pending.end() ? StreamId{} : it->first;
  return result;
}

bool RangeHasTombstones(const Stream& s, StreamId start, std::optional<StreamId> end) {
  const StreamId tomb = s.max_deleted_id();
  if (s.length() == 0 || tomb == StreamId{}) return false;
  if (s.first_id() > tomb) return false;  // every tombstone is before the first entry
  const StreamId last = end.value_or(StreamId::Max());
  return start <= tomb && tomb <= last;
}

int64_t EstimateDistanceFromFirstEverEntry(const Stream& s, StreamId id) {
  const auto added = static_cast<int64_t>(s.entries_added());
  if (added == 0) return 0;  // a stream never written: everything is at 0
  if (s.length() == 0 && id <= s.last_id()) return added;
  if (id == s.last_id()) return added;
  if (id > s.last_id()) return kEntriesReadInvalid;  // the future is unknown
  const StreamId tomb = s.max_deleted_id();
  const StreamId first = s.first_id();
  if (tomb == StreamId{} || tomb < first) {
    // No fragmentation: the entries before the first one were all added and removed.
    if (id < first) return added - static_cast<int64_t>(s.length());
    if (id == first) return added - static_cast<int64_t>(s.length()) + 1;
  }
  return kEntriesReadInvalid;
}

std::optional<int64_t> GroupLag(const Stream& s, const StreamGroup& g) {
  const auto added = static_cast<int64_t>(s.entries_added());
  if (added == 0) return 0;
  if (g.entries_read != kEntriesReadInvalid && !RangeHasTombstones(s, g.last_id, std::nullopt)) {
    return added - g.entries_read;
  }
  const int64_t read = EstimateDistanceFromFirstEverEntry(s, g.last_id);
  if (read == kEntriesReadInvalid) return std::nullopt;
  return added - read;
}

std::optional<StreamId> LastEntryId(const Stream& s) {
  std::optional<StreamId> last;
  if (s.length() == 0) return last;
  s.Range(StreamId::Min(), StreamId::Max(), true, [&](const StreamEntryView& entry) {
    last = entry.id;
    return false;
  });
  return last;
}

}  // namespace dkv::engine
