// Redis' RDB encoding of streams, read and written: RDB_TYPE_STREAM_LISTPACKS (15, Redis 5 and
// 6), _2 (19, Redis 7.0: first ID, max-deleted ID, entries-added, a group's entries-read) and _3
// (21, Redis 7.2: a consumer's active time). The value is a radix tree of listpacks ("nodes"),
// each keyed by its master ID (16 bytes: ms and seq big-endian) and starting with a master entry
// (count, deleted, the master fields, 0); then every entry as flags, ms and seq deltas from the
// master ID, the fields (or only the values when they are the master's: SAMEFIELDS), and an
// lp-count; then the stream's counters and its consumer groups with their PELs and consumers.
//
// RdbStream is the plain data both sides use: RESTORE (src/commands/dump_commands.cc) turns a
// read one into dkv's portable form, DUMP and dkv-migrate write one. Reading checks every length
// before it is read (payloads are hostile input) and every invariant Redis' loader checks: node
// keys of 16 bytes, listpacks that decode, master entries and lp-counts that agree, entry IDs
// strictly ascending and at most the last ID, the stream length, consumer PEL IDs present in
// their group's PEL once, every group PEL entry owned. Writing fills nodes as Redis' XADD does
// (stream-node-max-entries, stream-node-max-bytes), so a stream built by XADD alone gives the
// bytes Redis writes when it does not compress. Pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::rdb {

inline constexpr uint8_t kRdbTypeStreamListpacks = 15;
inline constexpr uint8_t kRdbTypeStreamListpacks2 = 19;
inline constexpr uint8_t kRdbTypeStreamListpacks3 = 21;

struct RdbStreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const RdbStreamId&) const = default;
  bool operator==(const RdbStreamId&) const = default;
};

struct RdbStreamEntry {
  RdbStreamId id;
  std::vector<std::string> items;  // field, value, ...
};

struct RdbStreamNack {
  RdbStreamId id;
  int64_t delivery_time_ms = 0;
  uint64_t delivery_count = 0;
  std::string consumer;  // its owner
};

struct RdbStreamConsumer {
  std::string name;
  int64_t seen_time_ms = 0;
  int64_t active_time_ms = -1;
  std::vector<RdbStreamId> pending;  // ascending
};

struct RdbStreamGroup {
  std::string name;
  RdbStreamId last_id;
  int64_t entries_read = -1;
  std::vector<RdbStreamNack> pel;            // ascending IDs
  std::vector<RdbStreamConsumer> consumers;  // name byte order
};

struct RdbStream {
  std::vector<RdbStreamEntry> entries;  // ascending IDs, deleted ones left out
  RdbStreamId last_id;
  RdbStreamId first_id;
  RdbStreamId max_deleted_id;
  uint64_t entries_added = 0;
  std::vector<RdbStreamGroup> groups;  // name byte order
};

// What the stream reader needs from the RDB reader it runs inside (src/tools/rdb_file.cc): each
// returns false on damage or when the value's byte budget is exceeded, and stops the read.
class RdbSource {
 public:
  virtual ~RdbSource() = default;
  virtual bool GetLength(uint64_t* v) = 0;
  virtual bool GetString(std::string* s) = 0;  // any string encoding
  virtual bool GetRaw(size_t n, std::string* s) = 0;
  virtual bool GetFixed(int bytes, uint64_t* v) = 0;  // little-endian
  // Decodes a listpack into its items (integers as decimal text).
  virtual bool GetListpack(std::string_view lp, std::vector<std::string>* items) = 0;
  // Charges decoded bytes to the value's budget.
  virtual bool Charge(uint64_t bytes) = 0;
};

// Reads the value of a stream of RDB `type` (15, 19 or 21). Returns "" or what is wrong.
std::string ReadStream(uint8_t type, RdbSource& in, RdbStream* out);

// Writing a stream: src/tools/rdb_stream_value.h.

}  // namespace dkv::rdb
