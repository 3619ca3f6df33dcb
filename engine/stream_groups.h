// Consumer groups of a stream (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO's
// group figures): the operations on the plain data of engine/stream.h (StreamGroup,
// StreamConsumer, StreamNack), with Redis 7.2's semantics (t_stream.c).
//
// Ownership: a Stream owns its groups (Stream::groups()); a group owns its PEL (pending entries
// by ID, each naming its consumer) and its consumers (each holding the IDs of its own pending
// entries). The functions here keep the two views of a PEL consistent: an ID is in a consumer's
// `pending` exactly when the group's PEL has it with that consumer's name.
//
// These functions change only the group data; they signal nothing and count nothing. The
// caller (src/commands/stream_group_commands.cc) ends every change with NoteStreamWrite (the
// observers hear of it, the dirty counter moves), as every stream write does. Time comes in as
// `now_ms` (the server clock), so the engine has no clock of its own. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/stream.h"

namespace dkv::engine {

// Redis' SCG_INVALID_ENTRIES_READ: a group's entries_read that is not known.
inline constexpr int64_t kEntriesReadInvalid = -1;

// --- Groups and consumers ---

// The group named `name`, or nullptr.
StreamGroup* FindGroup(Stream& s, std::string_view name);
const StreamGroup* FindGroup(const Stream& s, std::string_view name);
// XGROUP CREATE: false when a group of that name exists (nothing changes).
bool CreateGroup(Stream& s, std::string_view name, StreamId last_id, int64_t entries_read);
// XGROUP DESTROY: false when there is no such group.
bool DestroyGroup(Stream& s, std::string_view name);
// XGROUP SETID.
void SetGroupId(StreamGroup& g, StreamId last_id, int64_t entries_read);

// The consumer named `name`, or nullptr.
StreamConsumer* FindConsumer(StreamGroup& g, std::string_view name);
// Creates the consumer (seen now, never active); nullptr when it exists already.
StreamConsumer* CreateConsumer(StreamGroup& g, std::string_view name, int64_t now_ms);
// XGROUP DELCONSUMER: removes the consumer and its entries from the group's PEL; returns how
// many were pending, or nullopt when there is no such consumer.
std::optional<size_t> DeleteConsumer(StreamGroup& g, std::string_view name);

// --- Reading ---

// XREADGROUP ... >: the entries after the group's last delivered ID, up to `count` (0: all), in
// order. For each entry the group's last ID and entries_read move as Redis 7 moves them and,
// unless `noack`, the entry enters the PEL for `consumer` (delivered now, count 1; an entry
// pending for another consumer, after XGROUP SETID went back, is reassigned). Then `visit`
// sees the entry (a false return stops after it). Returns the entries delivered.
// REQUIRES: `consumer` names a consumer of `g`.
size_t ReadNewEntries(Stream& s, StreamGroup& g, std::string_view consumer, size_t count,
                      bool noack, int64_t now_ms, const StreamVisit& visit);

// XREADGROUP with an ID: the consumer's own pending entries with IDs >= `start`, up to `count`
// (0: all). Each entry still in the stream is delivered again (delivery time now, count + 1)
// and visited with its fields; an entry deleted from the stream is visited with `entry` null
// (Redis replies its ID and a null). Returns the entries visited.
using PendingEntryVisit = std::function<void(StreamId id, const StreamEntryView* entry)>;
size_t ReadConsumerHistory(Stream& s, StreamGroup& g, std::string_view consumer, StreamId start,
                           size_t count, int64_t now_ms, const PendingEntryVisit& visit);

// --- Acknowledging and inspecting the PEL ---

// XACK of one ID: true when it was pending (it leaves the group's and its consumer's PEL).
bool Acknowledge(StreamGroup& g, StreamId id);

// XPENDING with a range: the pending entries start <= id <= end (of one consumer when
// `consumer` is not null; an unknown consumer has none), skipping those idle for less than
// `min_idle_ms` (0: none skipped), up to `count`.
using NackVisit = std::function<void(StreamId id, const StreamNack& nack)>;
void VisitPending(const StreamGroup& g, const std::string_view* consumer, StreamId start,
                  StreamId end, size_t count, int64_t min_idle_ms, int64_t now_ms,
                  const NackVisit& visit);

// --- Claiming ---

// XCLAIM's options. delivery_time_ms -1: now (IDLE and TIME are turned into a time by the
// caller; a time in the future or negative becomes now). retry_count -1: not given.
struct ClaimOptions {
  int64_t min_idle_ms = 0;
  int64_t delivery_time_ms = -1;
  int64_t retry_count = -1;
  bool force = false;
  bool justid = false;
};
// What XCLAIM did with one ID.
enum class ClaimResult {
  kClaimed,   // now pending for the claiming consumer: reply it
  kSkipped,   // not pending (and no FORCE), or not idle long enough: nothing changed
  kRemoved,   // pending, but the entry is gone from the stream: removed from the PEL (a write)
  kNotFound,  // not pending and not in the stream: nothing changed
};
// Claims `id` for `consumer` (which must exist). REQUIRES: `consumer` names a consumer of `g`.
ClaimResult ClaimEntry(const Stream& s, StreamGroup& g, std::string_view consumer, StreamId id,
                       const ClaimOptions& opts, int64_t now_ms);

// XAUTOCLAIM: walks the PEL from `start`, claiming entries idle for at least `min_idle_ms` for
// `consumer`, until `count` are claimed or removed or count * 10 entries were looked at.
// Entries deleted from the stream leave the PEL and are listed in `deleted`. `next` is the
// cursor for the next call (0-0 when the walk reached the end).
struct AutoClaimResult {
  std::vector<StreamId> claimed;
  std::vector<StreamId> deleted;
  StreamId next;
};
AutoClaimResult AutoClaim(const Stream& s, StreamGroup& g, std::string_view consumer,
                          StreamId start, size_t count, int64_t min_idle_ms, bool justid,
                          int64_t now_ms);

// --- Lag (Redis 7's entries-read and lag of XINFO) ---

// Whether a deleted entry (a tombstone: the stream's max deleted ID) lies in start..end
// (nullopt end: to the last ID). Redis' streamRangeHasTombstones.
bool RangeHasTombstones(const Stream& s, StreamId start, std::optional<StreamId> end);
// How many entries were added up to and including `id` when that is knowable (the last ID, the
// first entry or before it with no tombstones, a stream never written); kEntriesReadInvalid
// otherwise. Redis' streamEstimateDistanceFromFirstEverEntry.
int64_t EstimateDistanceFromFirstEverEntry(const Stream& s, StreamId id);
// The group's lag: entries added and not yet delivered to it; nullopt when unknowable.
std::optional<int64_t> GroupLag(const Stream& s, const StreamGroup& g);

// The ID of the last entry present (deleted ones skipped), or nullopt when the stream is empty.
std::optional<StreamId> LastEntryId(const Stream& s);

}  // namespace dkv::engine
