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

// A client's buffers as CLIENT LIST shows them (Redis' fields): the query buffer (qbuf: bytes
// received and not yet consumed, the current command's included; qbuf-free: its spare room), the
// reply buffer (rbs: its capacity, rbp: its peak since the last time it shrank, obl: the bytes in
// its first 16 KiB), the replies beyond that (oll: blocks, omem: bytes), the memory all of them
// hold, and whether the connection is read (events r) or has a write under way (w).
struct ClientBuffers {
  size_t qbuf = 0;
  size_t qbuf_free = 0;
  size_t rbs = 0;
  size_t rbp = 0;
  size_t obl = 0;
  size_t oll = 0;
  size_t omem = 0;
  size_t memory = 0;
  bool reading = false;
  bool writing = false;
};

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
  // CLIENT PAUSE or UNPAUSE changed the pause (ClientRegistry): the commands it holds
  // (Session::postponed) run when it ends, in the order they waited; after UNPAUSE, once the
  // current command is over. Without a network layer nothing waits.
  virtual void PauseChanged() {}
  // A blocked client's wait ended without its command running again (a timeout, CLIENT UNBLOCK:
  // BlockedClients::Finish wrote the reply): the command leaves the input and the client's
  // further commands run. Without a network layer nothing waits.
  virtual void BlockEnded(Session*) {}
  // WAITAOF: parks `session` (Session::blocked) until the log is synced up to `offset` (when
  // `numlocal` is 1) and `numreplicas` replicas acknowledged it (never: dkv has none), or until
  // `deadline_ms` (0: forever); then writes the reply [numlocal synced, 0] and ends the wait as
  // BlockEnded does. False without a network layer: nothing waits, the caller replies at once.
  virtual bool WaitAof(Session*, uint64_t /*offset*/, int /*numlocal*/, int /*numreplicas*/,
                       int64_t /*deadline_ms*/) {
    return false;
  }
  // The buffers of a client, for CLIENT LIST and CLIENT INFO (zeros without a network layer).
  virtual ClientBuffers BuffersOf(const Session&) { return {}; }
};

}  // namespace dkv::server
