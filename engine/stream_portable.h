// The portable form of a stream (Encoding::kStreamPortable): what snapshot records, PostgreSQL
// rows, COPY's and the cache tier's cold values hold for a key of Kind::kStream, and what RESTORE
// of a Redis stream payload is turned into. engine/stream_portable.cc documents the layout,
// writes it from a Stream (StreamSerialize) and checks and builds it (StreamMaterialize, both
// declared in engine/stream.h).
//
// StreamPortableWriter writes the form from pieces, for a caller that does not hold a Stream
// (RESTORE decoding Redis' RDB stream encoding): the header first, then exactly `entries`
// entries, then exactly `groups` groups. It checks nothing; StreamMaterialize checks the result.
// Pure functions and a value type; no state of its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/stream.h"

namespace dkv::engine {

class StreamPortableWriter {
 public:
  StreamPortableWriter(StreamId last_id, uint64_t entries_added, StreamId max_deleted_id,
                       StreamId first_id, size_t entries);
  // `items`: field, value, field, value ...
  void AddEntry(StreamId id, std::span<const std::string_view> items);
  void BeginGroups(size_t groups);
  void AddGroup(std::string_view name, const StreamGroup& group);
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// The number of entries of a portable stream form (REQUIRES: bytes StreamMaterialize accepted or
// StreamSerialize wrote): what PortableCount answers for it.
size_t StreamPortableEntries(std::string_view portable);

}  // namespace dkv::engine
