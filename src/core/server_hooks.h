// ServerHooks: the few actions only the network layer (src/net/server_loop.cc; the command harness
// in tests) can take, offered to commands and the dispatcher: close a client, flush another's
// output, shut down, memory figures. Implemented by the owner of the sockets. Loop thread only.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/database.h"
#include "src/core/memory.h"
#include "src/core/session.h"

namespace dkv::server {

// Actions only the network layer can take.
class ServerHooks {
 public:
  virtual ~ServerHooks() = default;
  // Closes the client after its pending output (CLIENT KILL); may be the caller itself.
  virtual void KillClient(Session* session) = 0;
  // Output was appended to another client's buffer (MONITOR): write it out soon.
  virtual void ScheduleFlush(Session* session) = 0;
  // Stops the server after the current command (SHUTDOWN FORCE or NOSAVE over a busy script, a
  // failed load); an exit waiting for PostgreSQL stops waiting (what is not committed is lost).
  virtual void RequestShutdown() = 0;
  // SHUTDOWN without FORCE: exits once the PostgreSQL backend's queue has committed, waiting
  // without blocking the loop (other clients are served, writes refused). `session` gets no
  // reply meanwhile (Session::waiting_for_exit); if nothing commits for postgres.response-timeout
  // it gets "-ERR Errors trying to SHUTDOWN. Check logs." and the server keeps running. Joins a
  // wait under way. Without that backend, or nothing queued: RequestShutdown().
  virtual void ShutdownAfterCommit(Session* session) = 0;
  // An exit waits for PostgreSQL (SHUTDOWN, SIGTERM).
  virtual bool ShutdownPending() = 0;
  // SHUTDOWN ABORT: ends that wait; the server keeps running and the waiting SHUTDOWNs get the
  // error. False when no exit waits.
  virtual bool AbortShutdown() = 0;
  // Used memory as the allocator reports it, in bytes; cheap (called before commands).
  virtual size_t UsedMemory() = 0;
  // Fresh figures for INFO and MEMORY STATS.
  virtual MemoryFigures Memory() = 0;
  // A script has run past busy-reply-threshold: reads what clients sent (accepting new ones),
  // answers -BUSY to everything but SCRIPT KILL and SHUTDOWN NOSAVE, and writes the replies out.
  // Called from the script's hook; never for `running`, the script's own client.
  virtual void ProcessEventsWhileBusy(Session* running) = 0;
  // Frees detached database contents off the loop thread.
  virtual void FreeLater(std::unique_ptr<engine::Database::Contents> contents) = 0;
};

}  // namespace dkv::server
