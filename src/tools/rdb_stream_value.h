// Writing Redis' RDB encoding of a stream (DUMP of a stream, dkv-migrate's copies): nodes
// filled as Redis' XADD fills them (stream-node-max-entries, stream-node-max-bytes), so a stream
// built by XADD alone gives the bytes Redis writes when it does not compress. Reading, and the
// plain data both sides use, are in src/tools/rdb_stream.h. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "src/tools/rdb_stream.h"

namespace dkv::rdb {

// The type byte (19 or 21) and the value.
std::string StreamValue(const RdbStream& s, uint8_t type, size_t node_max_entries,
                        size_t node_max_bytes);

}  // namespace dkv::rdb
