// Streams (XADD, XRANGE, XREAD, consumer groups ...): the value of a key of Kind::kStream.
//
// A stream entry is a container entry like a list or a sorted set: its value bytes are the tag
// Encoding::kStream and an 8-byte pointer to the Stream object below, which the entry owns
// (engine/container.h: ReleaseContainer, CloneContainer, ContainerExtraBytes and the portable
// form dispatch to the Stream* functions at the end of this header). OBJECT ENCODING answers
// "stream". A stream is never packed inline: even an empty stream (XGROUP CREATE ... MKSTREAM,
// or every entry deleted) is an object, and a stream is NOT deleted when its last entry goes
// (Redis keeps empty streams).
//
// Entries are kept in nodes, in ID order, as Redis keeps listpacks in a radix tree: a node holds
// up to `stream-node-max-entries` entries and about `stream-node-max-bytes` bytes
// (StreamLimits); approximate trimming (`MAXLEN ~`, `MINID ~`) removes whole nodes only, which is
// what Redis' tests observe. Deleted entries are flagged in their node and skipped; a node whose
// entries are all deleted is freed.
//
// Consumer groups are plain data owned by the stream (StreamGroup: last delivered ID,
// entries-read, the pending entries list, consumers), operated on by engine/stream_groups.cc.
//
// The portable form (Serialize/Materialize of Kind::kStream, tag Encoding::kStreamPortable) holds
// everything: entries, last ID, entries-added, max-deleted ID, first ID, groups, PELs and
// consumers (engine/stream_portable.cc documents the layout). Loop thread only.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/container.h"
#include "engine/database.h"

namespace dkv::engine {

// An entry ID: milliseconds and sequence, ordered as a pair. Redis' text form "ms-seq".
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamId&) const = default;
  bool operator==(const StreamId&) const = default;
  static constexpr StreamId Min() { return {0, 0}; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }
  // "ms-seq".
  std::string ToString() const;
  // The next ID (seq + 1, or ms + 1 and seq 0); false when this is Max().
  bool Increment(StreamId* next) const;
  // The previous ID; false when this is Min().
  bool Decrement(StreamId* prev) const;
};

// Parses "ms-seq" or "ms" (the seq missing is `missing_seq`: 0 for a start, UINT64_MAX for an
// end, as Redis' streamParseID). "-" and "+" when `allow_extremes`. Returns false for anything
// else (the caller answers Redis' "-ERR Invalid stream ID specified as stream command argument").
bool ParseStreamId(std::string_view text, uint64_t missing_seq, bool allow_extremes, StreamId* out);

// Redis' options stream-node-max-entries (100) and stream-node-max-bytes (4096), pushed by the
// server from its configuration (0 means no limit for either, as in Redis).
struct StreamLimits {
  size_t node_max_entries = 100;
  size_t node_max_bytes = 4096;
};
StreamLimits& GlobalStreamLimits();

// An entry as iteration hands it out: its ID and its field/value items alternating (views valid
// only during the visit).
struct StreamEntryView {
  StreamId id;
  std::span<const std::string_view> items;  // field, value, field, value, ...
};
// Return false to stop.
using StreamVisit = std::function<bool(const StreamEntryView&)>;

// A pending entry of a group (Redis' streamNACK): delivered, not yet acknowledged.
struct StreamNack {
  int64_t delivery_time_ms = 0;
  uint64_t delivery_count = 1;
  std::string consumer;  // the consumer that owns it (a key of StreamGroup::consumers)
};

struct StreamConsumer {
  int64_t seen_time_ms = 0;     // last interaction (XINFO CONSUMERS' idle)
  int64_t active_time_ms = -1;  // last successful read or claim (Redis 7.2's inactive); -1 never
  std::set<StreamId> pending;   // its entries in the group's PEL
};

struct StreamGroup {
  StreamId last_id;           // last delivered ID
  int64_t entries_read = -1;  // Redis' entries_read; -1 when unknown (SCAN_ENTRIESREAD_INVALID)
  std::map<StreamId, StreamNack> pending;                        // the group's PEL, by ID
  std::map<std::string, StreamConsumer, std::less<>> consumers;  // by name
};

class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Entries present (deleted ones excluded).
  size_t length() const { return length_; }
  // Redis' last_id, first_id (0-0 when empty), max_deleted_entry_id, entries_added.
  StreamId last_id() const { return last_id_; }
  StreamId first_id() const;
  StreamId max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  void set_last_id(StreamId id) { last_id_ = id; }
  void set_max_deleted_id(StreamId id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }

  // Appends an entry. REQUIRES: id > last_id(), items.size() even and > 0. Sets last_id and
  // counts entries_added.
  void Append(StreamId id, std::span<const std::string_view> items, const StreamLimits& limits);
  // Marks the entry deleted (XDEL); false when absent. Updates max_deleted_id.
  bool Delete(StreamId id);
  // Visits entries with start <= id <= end in ID order (descending when `reverse`), until
  // `visit` returns false.
  void Range(StreamId start, StreamId end, bool reverse, const StreamVisit& visit) const;
  // The entry with this exact ID, visited once; false when absent.
  bool Lookup(StreamId id, const StreamVisit& visit) const;
  // XTRIM/XADD trimming: removes the oldest entries while length() > maxlen (or while the first
  // ID < minid); `approx` removes only whole nodes (never goes below the bound); `limit` (0: no
  // limit) caps how many entries are removed. Returns how many were removed.
  size_t TrimByLength(size_t maxlen, bool approx, size_t limit);
  size_t TrimByMinId(StreamId minid, bool approx, size_t limit);

  // Nodes and bytes (XINFO STREAM FULL's radix-tree-keys/-nodes, MEMORY USAGE).
  size_t node_count() const;
  size_t bytes() const;

  // A deep copy: entries, IDs, counters and groups (COPY).
  Stream* Clone() const;

  // Consumer groups by name (XGROUP CREATE, XREADGROUP, XINFO GROUPS ...).
  std::map<std::string, StreamGroup, std::less<>>& groups() { return groups_; }
  const std::map<std::string, StreamGroup, std::less<>>& groups() const { return groups_; }

 private:
  struct Node;                                       // engine/stream.cc
  std::map<StreamId, std::unique_ptr<Node>> nodes_;  // by the first ID a node was created with
  size_t length_ = 0;
  StreamId last_id_;
  StreamId max_deleted_id_;
  uint64_t entries_added_ = 0;
  size_t node_bytes_ = 0;  // what the nodes cost (bytes())
  std::map<std::string, StreamGroup, std::less<>> groups_;
};

// The Stream of a live, warm stream entry (REQUIRES: entry->kind() == Kind::kStream).
Stream* StreamOf(const Entry* entry);
// The stream at `key`, creating an empty one if the key is absent. REQUIRES: `key` absent or a
// live stream. Counts nothing: the caller's write op does (NoteStreamWrite).
Entry* CreateStream(Database& db, std::string_view key);
// Every stream write ends with this (XADD, XDEL, XTRIM, XGROUP ..., XACK, XCLAIM, XREADGROUP
// when it changes a PEL, XSETID): signals the observer, counts `writes` in dirty, moves the
// entry's version and updated_at, as every engine write does.
void NoteStreamWrite(Database& db, Entry* entry, uint64_t writes = 1);

// --- Container plumbing, for engine/container.cc only. ---
std::string StreamSerialize(const Entry* entry);
bool StreamMaterialize(std::string_view portable, std::string* value);
void StreamRelease(Entry* entry);
std::string StreamClone(const Entry* entry);
size_t StreamExtraBytes(const Entry* entry);

}  // namespace dkv::engine
