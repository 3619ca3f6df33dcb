// Replaying the append-only log's incremental files at start (src/core/aof.cc): each command
// read by persistence/aof_reader.h runs through the dispatcher's handler (Dispatcher::Replay)
// on a session of its own (the default user, RESP2, replies dropped, nothing propagated:
// the propagator has no sink during the load). MULTI ... EXEC in the file runs as one
// transaction at EXEC; a transaction the file does not finish counts as a cut tail from its
// MULTI. Loop thread only, before the port opens.
#pragma once

#include <cstdint>
#include <string>

namespace dkv::server {

class Dispatcher;
struct ServerState;

struct AofReplayResult {
  enum class Status { kOk, kTruncated, kBad };
  Status status = Status::kOk;
  uint64_t commands = 0;     // commands run
  uint64_t valid_bytes = 0;  // kTruncated: where the last whole command (or EXEC) ends
  uint64_t file_bytes = 0;
  std::string error;  // kBad: what and at which offset; kTruncated: what the tail is
};

// Runs every command of the incremental file `path` (in the current database 0 of a new
// session: every file starts with its own SELECT when it needs another).
AofReplayResult ReplayAofFile(ServerState* state, Dispatcher* dispatcher, const std::string& path);

}  // namespace dkv::server
