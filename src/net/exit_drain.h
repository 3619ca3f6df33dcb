// ExitDrain: the wait, before an exit (SHUTDOWN, SIGTERM, SIGINT), for the PostgreSQL backend's
// write queue to commit, without blocking the loop: every other client keeps being served while
// it lasts. A timer looks every kCheckMs: nothing queued and no batch in flight ends the wait as
// committed (the server exits); postgres.response-timeout without a commit ends it as failed
// (the server keeps running, as when a final snapshot fails). While it lasts the backend drains
// (PostgresBackend::set_draining: batches go at once, writes are refused), so the queue only
// shrinks and the wait cannot last for ever.
//
// It keeps who waits: SHUTDOWN clients (by session id; a second SHUTDOWN joins the wait) and
// whether a signal does. The server owns it, decides what each outcome does (Done), and replies
// to the clients. The timer is a handle of the server's loop, closed with the others at exit.
// Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dkv::persistence::postgres {
class PostgresBackend;
}

namespace dkv::server {

struct ServerState;
using persistence::postgres::PostgresBackend;  // persistence/postgres/

class ExitDrain {
 public:
  struct Waiters {
    std::vector<uint64_t> clients;  // sessions whose SHUTDOWN has no reply yet
    std::string signal;             // "SIGTERM" or "SIGINT" when a signal waits, else ""
  };
  // The wait ended: committed (exit now) or not (the waiters get their error).
  using Done = std::function<void(bool committed, Waiters waiters)>;

  ExitDrain(uv_loop_t* loop, ServerState* state, PostgresBackend* pg, Done done);
  ExitDrain(const ExitDrain&) = delete;
  ExitDrain& operator=(const ExitDrain&) = delete;

  // Adds a waiter, starting the wait when none is under way (logged).
  void AddClient(uint64_t session_id);
  void AddSignal(const std::string& name);
  bool active() const { return active_; }
  bool signal_waiting() const { return !waiters_.signal.empty(); }
  // Ends the wait without an outcome (SHUTDOWN ABORT, an exit that no longer waits): the backend
  // stops draining, Done is not called, and the waiters are returned.
  Waiters Cancel();

 private:
  static constexpr uint64_t kCheckMs = 10;
  void Start();
  void Check();

  uv_loop_t* loop_;
  ServerState* state_;
  PostgresBackend* pg_;
  Done done_;
  uv_timer_t timer_;
  bool timer_ready_ = false;
  bool active_ = false;
  Waiters waiters_;
  uint64_t progress_ = 0;         // PostgresBackend::durable() at the last commit seen
  int64_t last_progress_ms_ = 0;  // when it was seen
};

}  // namespace dkv::server
