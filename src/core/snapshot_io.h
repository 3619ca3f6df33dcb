// The snapshot file as the server reads and writes it, shared by the snapshotter
// (src/core/snapshotter.*) and the append-only log's base (src/core/aof.*): the save options
// (version, the function libraries in the header, compression, rdb-key-save-delay) and a load
// that restores the function libraries too. Loop thread (and a forked child for the save).
#pragma once

#include <string>

#include "persistence/snapshot.h"

namespace dkv::server {

struct ServerState;

// The header entry holding the function libraries: FUNCTION DUMP's payload (versioned and
// checksummed on its own; docs/snapshot-format.md).
inline constexpr char kFunctionsAux[] = "dkv-functions";

// The save options of every snapshot the server writes (BGSAVE's, and the append-only log's
// base, src/core/aof.cc): version, the function libraries, compression, rdb-key-save-delay.
persistence::SaveOptions SnapshotSaveOptions(const ServerState& state);
// Loads a snapshot file into the keyspace with its function libraries (loading is not a
// change: dirty stays). "" or the error; *damage what allow_partial skipped.
std::string LoadSnapshotInto(ServerState* state, const std::string& file, bool allow_partial,
                             persistence::LoadStats* stats, std::string* damage);

}  // namespace dkv::server
