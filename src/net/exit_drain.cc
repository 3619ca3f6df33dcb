#include "src/net/exit_drain.h"

#include <utility>

#include "src/core/log.h"
#include "src/core/postgres_backend.h"
#include "src/core/server_state.h"

namespace dkv::server {

ExitDrain::ExitDrain(uv_loop_t* loop, ServerState* state, PostgresBackend* pg, Done done)
    : loop_(loop), state_(state), pg_(pg), done_(std::move(done)) {}

void ExitDrain::AddClient(uint64_t session_id) {
  waiters_.clients.push_back(session_id);
  Start();
}

void ExitDrain::AddSignal(const std::string& name) {
  waiters_.signal = name;
  Start();
}

void ExitDrain::Start() {
  if (active_) return;
  if (!timer_ready_) {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_ready_ = true;
  }
  active_ = true;
  progress_ = pg_->durable();
  last_progress_ms_ = state_->clock->NowMs();
  pg_->set_draining(true);
  Log(LogLevel::kNotice,
      "Waiting for PostgreSQL to commit %zu queued changes before exiting; clients are served "
      "meanwhile, writes are refused (gives up after %lld ms without a commit: "
      "postgres.response-timeout)",
      pg_->queued(), static_cast<long long>(state_->config.postgres_response_timeout));
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<ExitDrain*>(t->data)->Check(); }, kCheckMs,
      kCheckMs);
}

ExitDrain::Waiters ExitDrain::Cancel() {
  if (active_) {
    active_ = false;
    uv_timer_stop(&timer_);
    pg_->set_draining(false);
  }
  return std::exchange(waiters_, Waiters());
}

void ExitDrain::Check() {
  if (!active_) return;
  bool committed;
  if (!pg_->CanCommit()) {
    // Still loading, or the load failed: nothing can commit; what was written meanwhile
    // (expiries only) is found again at the next start.
    committed = pg_->queued() == 0;
  } else if (pg_->Idle()) {
    committed = true;
  } else {
    int64_t now = state_->clock->NowMs();
    if (pg_->durable() != progress_) {
      progress_ = pg_->durable();
      last_progress_ms_ = now;
    }
    if (now - last_progress_ms_ < state_->config.postgres_response_timeout) return;
    committed = false;
  }
  // Committed: the backend stays draining (writes refused) until the loop stops.
  if (committed) {
    active_ = false;
    uv_timer_stop(&timer_);
    Log(LogLevel::kNotice, "PostgreSQL has committed the queue; exiting.");
  } else {
    Log(LogLevel::kWarning, "PostgreSQL: %zu changes could not be committed (%s)", pg_->queued(),
        pg_->status().last_error.c_str());
    if (!waiters_.clients.empty()) {
      Log(LogLevel::kWarning, "Error trying to commit the queue to PostgreSQL, can't exit.");
    }
    if (signal_waiting()) {
      Log(LogLevel::kWarning,
          "%s received but not exiting, so as not to lose the changes not committed to "
          "PostgreSQL (send it again to exit without them)",
          waiters_.signal.c_str());
    }
  }
  // Cancel() also stops the backend draining: the server goes on, writes included.
  Waiters waiters = committed ? std::exchange(waiters_, Waiters()) : Cancel();
  done_(committed, std::move(waiters));
}

}  // namespace dkv::server
