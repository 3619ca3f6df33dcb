#include "src/net/server_impl.h"

namespace dkv::server {

std::string Server::Impl::Start() {
  const Config& c = state_.config;
  if (!state_.acl_error.empty()) return state_.acl_error;
  // Copy-on-write after fork copies whole huge pages when transparent huge pages are on for
  // the process: keep them off (as Redis' disable-thp), so a background save copies 4 KiB.
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  uv_async_init(loop_, &aof_wake_, OnAofWake);
  aof_wake_.data = this;
  if (c.appendonly && c.persistence_backend != "snapshot") {
    return "appendonly yes with persistence.backend " + c.persistence_backend +
           ": the local append-only log over PostgreSQL is not built yet";
  }
  // The data is loaded before the port opens: clients never see a partial keyspace.
  if (c.persistence_backend == "postgres") {
    pg_loop_ = std::make_unique<UvEventLoop>(loop_, state_.clock);
    pg_host_ = std::make_unique<PostgresHost>(&state_);
    postgres_ = std::make_unique<PostgresBackend>(pg_loop_.get(), pg_host_.get(), &state_.keyspace,
                                                  MakePostgresOptions(state_));
    if (std::string err = postgres_->Start(); !err.empty()) return err;
    postgres_persistence_ = std::make_unique<PostgresPersistence>(&snapshotter_, postgres_.get());
    state_.set_backend(postgres_persistence_.get());
    state_.AddObserver(postgres_.get());
    postgres_->set_on_commit([this] { ReleaseHeld(); });
    postgres_->set_on_fetch([this] { ReleaseFetched(); });
    exit_drain_ = std::make_unique<ExitDrain>(
        loop_, &state_, postgres_.get(),
        [this](bool committed, ExitDrain::Waiters w) { OnExitDrainDone(committed, w); });
    // The cache tier: eviction drops the values of committed keys, never the keys.
    PostgresBackend* pg = postgres_.get();
    state_.evictor.set_drop_values(
        [pg](int db, std::string_view key) { return pg->IsClean(db, key); });
  } else if (c.appendonly) {
    // The log holds the data (its base snapshot and increments); the snapshot file is read
    // only when there is no log yet (Aof::LoadAndOpen).
    if (std::string err = aof_.LoadAndOpen(); !err.empty()) return err;
  } else if (std::string err = snapshotter_.LoadAtStart(); !err.empty()) {
    return err;
  }
  if (c.port != 0) {
    uv_tcp_init(loop_, &tcp_listener_);
    struct sockaddr_storage addr;
    int rc = c.bind.find(':') != std::string::npos
                 ? uv_ip6_addr(c.bind.c_str(), c.port, reinterpret_cast<sockaddr_in6*>(&addr))
                 : uv_ip4_addr(c.bind.c_str(), c.port, reinterpret_cast<sockaddr_in*>(&addr));
    if (rc != 0) return "invalid bind address '" + c.bind + "': " + uv_strerror(rc);
    rc = uv_tcp_bind(&tcp_listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_listener_), 511, OnTcpConnect);
    if (rc != 0) {
      return "cannot listen on " + c.bind + ":" + std::to_string(c.port) + ": " + uv_strerror(rc);
    }
    tcp_listener_.data = this;
    tcp_active_ = true;
  }
  if (!c.unixsocket.empty()) {
    uv_pipe_init(loop_, &unix_listener_, 0);
    unlink(c.unixsocket.c_str());
    int rc = uv_pipe_bind(&unix_listener_, c.unixsocket.c_str());
    if (rc == 0 && c.unixsocketperm != 0) chmod(c.unixsocket.c_str(), c.unixsocketperm);
    if (rc == 0)
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&unix_listener_), 511, OnUnixConnect);
    if (rc != 0) return "cannot listen on unix socket " + c.unixsocket + ": " + uv_strerror(rc);
    unix_listener_.data = this;
    unix_active_ = true;
  }
  if (!tcp_active_ && !unix_active_) return "neither a TCP port nor a unix socket is configured";
  if (c.http_port != 0) {
    http_ = std::make_unique<HttpServer>(&state_, loop_);
    if (std::string err = http_->Start(); !err.empty()) return err;
  }

  uv_prepare_init(loop_, &flush_handle_);
  flush_handle_.data = this;
  uv_prepare_start(&flush_handle_, OnBeforePoll);
  uv_idle_init(loop_, &background_);
  background_.data = this;
  uv_timer_init(loop_, &cron_timer_);
  cron_timer_.data = this;
  uv_timer_init(loop_, &pause_timer_);
  pause_timer_.data = this;
  uv_timer_init(loop_, &block_timer_);
  block_timer_.data = this;
  uv_timer_init(loop_, &aof_wait_timer_);
  aof_wait_timer_.data = this;
  uint64_t period = static_cast<uint64_t>(1000 / std::max(1, state_.config.hz));
  uv_timer_start(&cron_timer_, OnCron, period, period);
  for (auto* sig : {&sigint_, &sigterm_}) {
    uv_signal_init(loop_, sig);
    sig->data = this;
  }
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  // A file size limit makes a write fail with EFBIG (the log reports it, -MISCONF) rather
  // than kill the process.
  signal(SIGXFSZ, SIG_IGN);
  Log(LogLevel::kNotice, "dkv %s (Redis %s compatible) ready, listening on %s:%d%s%s", kDkvVersion,
      kRedisCompatVersion, c.bind.c_str(), c.port, c.unixsocket.empty() ? "" : " and ",
      c.unixsocket.c_str());
  return "";
}

void Server::Impl::Run() {
  uv_run(loop_, UV_RUN_DEFAULT);
  if (postgres_ != nullptr) {
    // SHUTDOWN and the first SIGTERM waited for the queue already (ExitDrain); this is for the
    // other ways out (SHUTDOWN FORCE, a failed load), and says what is lost.
    bool flushed = exit_uncommitted_ || CommitBeforeExit();
    // Replies held for a commit go out only if it happened (sync: never acknowledge a write
    // that is not committed).
    for (Connection* conn : held_) {
      if (conn->held_for_batch <= postgres_->durable()) conn->held_for_batch = 0;
    }
    if (!flushed || postgres_->queued() > 0) {
      Log(LogLevel::kWarning, "PostgreSQL: %zu changes are lost: not committed before exiting",
          postgres_->queued());
    }
    // Its libuv handles close with the others below.
    state_.keyspace.set_observer(&state_.watches);
    state_.set_backend(&snapshot_backend_);
    postgres_persistence_.reset();
    postgres_.reset();
  }
  // What the log holds is written and synced before the replies held for it go out.
  if (!aof_.CloseForExit()) {
    Log(LogLevel::kWarning, "Writing the append-only log before exiting failed");
  }
  // Shutdown: close every handle and let the loop finish the closes.
  Log(LogLevel::kWarning, "dkv is now ready to exit, bye bye...");
  if (http_ != nullptr) http_->Close();
  std::vector<Connection*> all;
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (Connection* conn : all) {
    FlushNow(conn);
    Close(conn);
  }
  uv_walk(
      loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(loop_, UV_RUN_DEFAULT);
  if (!state_.config.unixsocket.empty()) unlink(state_.config.unixsocket.c_str());
}

void Server::Impl::KillClient(Session* session) {
  auto it = connections_.find(session->id);
  if (it == connections_.end()) return;
  Connection* conn = it->second;
  conn->session.close_after_reply = true;
  ScheduleFlush(&conn->session);
}

void Server::Impl::ScheduleFlush(Session* session) {
  auto it = connections_.find(session->id);
  if (it == connections_.end()) return;
  MarkPending(it->second);
}

void Server::Impl::RequestShutdown() {
  Log(LogLevel::kWarning, "User requested shutdown...");
  if (ShutdownPending()) {
    // SHUTDOWN FORCE while the exit waits for PostgreSQL: it does not wait again.
    exit_drain_->Cancel();
    exit_uncommitted_ = true;
  }
  uv_stop(loop_);
}

void Server::Impl::ShutdownAfterCommit(Session* session) {
  if (!ExitMustWait()) return RequestShutdown();
  session->waiting_for_exit = true;
  exit_drain_->AddClient(session->id);
}

bool Server::Impl::AbortShutdown() {
  if (!ShutdownPending()) return false;
  Log(LogLevel::kWarning, "Shutdown manually aborted.");
  ResumeShutdownClients(exit_drain_->Cancel().clients);
  return true;
}

void Server::Impl::FreeLater(std::unique_ptr<engine::Database::Contents> contents) {
  struct Work {
    uv_work_t req;
    std::unique_ptr<engine::Database::Contents> contents;
  };
  auto* work = new Work{};
  work->contents = std::move(contents);
  work->req.data = work;
  uv_queue_work(
      loop_, &work->req, [](uv_work_t* req) { static_cast<Work*>(req->data)->contents.reset(); },
      [](uv_work_t* req, int) { delete static_cast<Work*>(req->data); });
}

bool Server::Impl::ExitMustWait() const {
  return postgres_ != nullptr && (exit_drain_->active() || !postgres_->Idle());
}

void Server::Impl::OnExitDrainDone(bool committed, const ExitDrain::Waiters& waiters) {
  if (committed) return uv_stop(loop_);
  if (!waiters.signal.empty()) signal_shutdown_failed_ = true;
  ResumeShutdownClients(waiters.clients);
}

void Server::Impl::ResumeShutdownClients(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;  // gone meanwhile
    Connection* conn = it->second;
    Session& s = conn->session;
    s.waiting_for_exit = false;
    resp::ReplyBuilder(&conn->out, s.protocol).Error("ERR Errors trying to SHUTDOWN. Check logs.");
    state_.stats.total_error_replies++;
    state_.stats.CountError("ERR");
    MarkPending(conn);
    if (!conn->in.empty()) ProcessInput(conn);
  }
}

bool Server::Impl::CommitBeforeExit() {
  if (postgres_ == nullptr) return true;
  if (postgres_->queued() > 0) {
    Log(LogLevel::kNotice, "Committing %zu queued changes to PostgreSQL before exiting...",
        postgres_->queued());
  }
  postgres_->set_on_commit(nullptr);
  bool flushed = postgres_->FlushBlocking(state_.config.postgres_response_timeout);
  postgres_->set_on_commit([this] { ReleaseHeld(); });
  if (!flushed) {
    Log(LogLevel::kWarning, "PostgreSQL: %zu changes could not be committed (%s)",
        postgres_->queued(), postgres_->status().last_error.c_str());
  }
  return flushed;
}

void Server::Impl::OnAofWake(uv_async_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  self->aof_log_.OnWake();
  // Group commit: replies that waited for this sync go; so do WAITAOFs it satisfies.
  if (!self->aof_held_.empty()) self->ReleaseAofHeld();
  if (!self->aof_waiters_.empty()) self->ReleaseAofWaiters(false);
}

void Server::Impl::OnCron(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  self->Cron();
}

void Server::Impl::Cron() {
  const Config& c = state_.config;
  int64_t period_us = 1000000 / std::max(1, c.hz);
  memory_.Refresh();
  // Active expiry: one slice now; a backlog continues in the background slices. None during
  // CLIENT PAUSE, as Redis (the keys go when it ends).
  if (!state_.clients.paused(clock_.NowMs())) {
    const int64_t expire_start_us = clock_.NowUs();
    state_.keyspace.ActiveExpireCycle(SIZE_MAX, std::min(period_us / 4, kSliceUs),
                                      &expire_backlog_);
    if (const int64_t ms = (clock_.NowUs() - expire_start_us) / 1000;
        c.latency_monitor_threshold > 0 && ms >= c.latency_monitor_threshold) {
      state_.stats.latency_monitor.Add("expire-cycle", clock_.NowMs() / 1000, ms);
    }
  } else {
    expire_backlog_ = false;
  }
  if (state_.config.maxmemory > 0) {
    evict_backlog_ = state_.Evict(kSliceUs) == Evictor::Result::kRunning;
  }
  MaybeStartBackground();
  snapshotter_.Cron();
  int64_t now = clock_.NowMs();
  aof_.Cron(now);
  if (http_ != nullptr) http_->Cron(now);
  if (c.output_limit.soft > 0 || c.pubsub_output_limit.soft > 0) {
    // The soft limit's time runs out also for clients that send nothing more.
    std::vector<Connection*> over;
    for (auto& [id, conn] : connections_) {
      if (conn->soft_limit_since_ms != 0) over.push_back(conn);
    }
    for (Connection* conn : over) OverOutputLimit(conn);
  }
  if (c.timeout > 0) {
    std::vector<Connection*> idle;
    for (auto& [id, conn] : connections_) {
      const Session& s = conn->session;
      if (!s.monitor && !s.in_multi && now - s.last_interaction_ms > c.timeout * 1000) {
        idle.push_back(conn);
      }
    }
    for (Connection* conn : idle) Close(conn);
  }
  Stats& st = state_.stats;
  if (now - static_cast<int64_t>(st.last_sample_ms) >= 1000) {
    if (st.last_sample_ms != 0) {
      double secs = static_cast<double>(now - static_cast<int64_t>(st.last_sample_ms)) / 1000.0;
      st.instantaneous_ops_per_sec =
          static_cast<double>(st.total_commands_processed - st.last_sample_commands) / secs;
    }
    st.last_sample_ms = static_cast<uint64_t>(now);
    st.last_sample_commands = st.total_commands_processed;
  }
  if (static_cast<uint64_t>(1000 / std::max(1, c.hz)) != uv_timer_get_repeat(&cron_timer_)) {
    uv_timer_set_repeat(&cron_timer_, static_cast<uint64_t>(1000 / std::max(1, c.hz)));
  }
}

void Server::Impl::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Impl*>(handle->data);
  const char* name = signum == SIGINT ? "SIGINT" : "SIGTERM";
  if (self->signal_shutdown_failed_ ||
      (self->exit_drain_ != nullptr && self->exit_drain_->signal_waiting())) {
    Log(LogLevel::kWarning, "Received %s again: exiting now without saving.", name);
    if (self->exit_drain_ != nullptr) self->exit_drain_->Cancel();
    self->exit_uncommitted_ = true;
    uv_stop(self->loop_);
    return;
  }
  Log(LogLevel::kWarning, "Received %s, scheduling shutdown...", name);
  self->snapshotter_.KillChild();
  if (self->snapshotter_.FinalSaveWanted()) {
    Log(LogLevel::kNotice, "Saving the final snapshot before exiting.");
    if (!self->snapshotter_.Save().empty()) {
      Log(LogLevel::kWarning,
          "%s received but errors trying to shut down the server, check the logs for more "
          "information (send it again to exit without saving)",
          name);
      self->signal_shutdown_failed_ = true;
      return;
    }
  }
  // The queue commits first, while clients are served (OnExitDrainDone exits, or says why not).
  if (self->ExitMustWait()) return self->exit_drain_->AddSignal(name);
  uv_stop(self->loop_);
}

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
std::string Server::Start() { return impl_->Start(); }
int Server::Run() {
  impl_->Run();
  return impl_->exit_code();
}

}  // namespace dkv::server
