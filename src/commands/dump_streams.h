// DUMP and RESTORE of streams (src/commands/dump_commands.cc calls these): between dkv's Stream
// (engine/stream.h) and Redis' RDB stream encoding (src/tools/rdb_stream.h).
//
// DUMP writes RDB_TYPE_STREAM_LISTPACKS_2 (19) with RDB version 10, as Redis 7.0 does, so that a
// stream built by XADD gives Redis 7.0.15's bytes (nodes filled as XADD fills them at the current
// stream-node-max-entries/-bytes; deleted entries are not written, so after XDEL or XTRIM the
// nodes may differ from Redis' while holding the same entries). A stream with a consumer whose
// active time differs from its seen time is written as LISTPACKS_3 (21) with RDB version 11, as
// Redis 7.2, since type 19 cannot hold it. RESTORE reads 15, 19 and 21 into the portable form
// (engine/stream_portable.h), which the engine checks again before building anything.
// Loop thread only; pure functions over their arguments.
#pragma once

#include <cstdint>
#include <string>

#include "engine/database.h"
#include "src/tools/rdb_stream.h"

namespace dkv::server {

// The DUMP payload (type, value, footer) of a stream entry.
std::string DumpStream(const engine::Entry* e);
// The portable form (Encoding::kStreamPortable) of a decoded Redis stream.
std::string StreamPortableForm(const rdb::RdbStream& s);

}  // namespace dkv::server
