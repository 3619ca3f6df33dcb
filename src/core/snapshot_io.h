// The snapshot file as the server reads and writes it, shared by the snapshotter
// (src/core/snapshotter.*) and the append-only log's base (src/core/aof.*): the save options
// (version, the function libraries in the header, compression, rdb-key-save-delay) and a load
// that restores the function libraries too. Loop thread (and a forked child for the save).
#pragma once

#include <sys/types.h>

#include <functional>
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
// In a child just forked to write a snapshot (BGSAVE, the log's rewrite): dies with the server
// (exits at once if `parent` is already gone), leaves SIGTERM/SIGINT/SIGUSR1 to their defaults,
// logs as 'C', yields the CPU to the server (the save takes a little longer; copy-on-write
// lasts that long), then runs `setup` (closes the listening sockets).
void EnterSaveChild(pid_t parent, const std::function<void()>& setup);
// Loads a snapshot file into the keyspace with its function libraries (loading is not a
// change: dirty stays). "" or the error; *damage what allow_partial skipped.
std::string LoadSnapshotInto(ServerState* state, const std::string& file, bool allow_partial,
                             persistence::LoadStats* stats, std::string* damage);

}  // namespace dkv::server
