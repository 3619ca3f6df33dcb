// Server::Impl's connections: accepting (TCP and unix socket, and while a script is busy),
// reading and parsing with back-pressure, the cross-protocol guard, a busy script's polling,
// writing (one flush per loop iteration), held and fetching clients, closing. The class is in
// server_impl.h.
#include "src/net/server_impl.h"

namespace dkv::server {

void Server::Impl::OnTcpConnect(uv_stream_t* listener, int status) {
  static_cast<Impl*>(listener->data)->Accept(listener, status, true);
}

void Server::Impl::OnUnixConnect(uv_stream_t* listener, int status) {
  static_cast<Impl*>(listener->data)->Accept(listener, status, false);
}

void Server::Impl::Accept(uv_stream_t* listener, int status, bool tcp) {
  if (status < 0) {
    Log(LogLevel::kWarning, "Accepting client connection: %s", uv_strerror(status));
    return;
  }
  auto* conn = new Connection();
  conn->server = this;
  conn->is_tcp = tcp;
  if (tcp) {
    uv_tcp_init(loop_, &conn->handle.tcp);
  } else {
    uv_pipe_init(loop_, &conn->handle.pipe, 0);
  }
  conn->uv_handle()->data = conn;
  if (uv_accept(listener, conn->stream()) != 0) {
    uv_close(conn->uv_handle(), [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  Register(conn, tcp);
}

void Server::Impl::AcceptWhileBusy(uv_handle_t* listener, bool tcp) {
  uv_os_fd_t listen_fd;
  if (uv_fileno(listener, &listen_fd) != 0) return;
  for (int i = 0; i < 16; ++i) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto* conn = new Connection();
    conn->server = this;
    conn->is_tcp = tcp;
    int rc =
        tcp ? (uv_tcp_init(loop_, &conn->handle.tcp), uv_tcp_open(&conn->handle.tcp, fd))
            : (uv_pipe_init(loop_, &conn->handle.pipe, 0), uv_pipe_open(&conn->handle.pipe, fd));
    conn->uv_handle()->data = conn;
    if (rc != 0) {
      ::close(fd);
      uv_close(conn->uv_handle(), [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
      continue;
    }
    Register(conn, tcp);
  }
}

void Server::Impl::Register(Connection* conn, bool tcp) {
  Session& s = conn->session;
  s.id = state_.clients.NextId();
  s.out = &conn->out;
  s.created_ms = s.last_interaction_ms = clock_.NowMs();
  state_.InitSession(s);
  bool loopback = !tcp;  // unix sockets are local
  uv_os_fd_t fd;
  if (uv_fileno(conn->uv_handle(), &fd) == 0) s.fd = fd;
  if (tcp) {
    uv_tcp_nodelay(&conn->handle.tcp, 1);
    if (state_.config.tcp_keepalive > 0) {
      uv_tcp_keepalive(&conn->handle.tcp, 1, static_cast<unsigned>(state_.config.tcp_keepalive));
    }
    struct sockaddr_storage peer, local;
    int len = sizeof(peer);
    if (uv_tcp_getpeername(&conn->handle.tcp, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
      s.addr = FormatAddr(peer);
      s.auth_source = AuthSourceOf(peer);
      loopback = IsLoopback(peer);
    }
    len = sizeof(local);
    if (uv_tcp_getsockname(&conn->handle.tcp, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      s.laddr = FormatAddr(local);
    }
  } else {
    s.addr = state_.config.unixsocket + ":0";
    s.laddr = s.addr;
    s.unix_socket = true;
    s.auth_source = kUnixAuthSource;
  }
  state_.stats.total_connections_received++;
  s.local = loopback;
  const bool protected_refusal = state_.RefusedByProtectedMode(loopback);
  if (protected_refusal || static_cast<int>(connections_.size()) >= state_.config.maxclients) {
    state_.stats.rejected_connections++;
    conn->out = protected_refusal ? "-" + std::string(errors::kProtectedMode) + "\r\n"
                                  : "-ERR max number of clients reached\r\n";
    conn->session.close_after_reply = true;
    connections_.emplace(s.id, conn);
    state_.clients.Add(&conn->session);
    MarkPending(conn);
    return;
  }
  connections_.emplace(s.id, conn);
  state_.clients.Add(&conn->session);
  StartReading(conn);
}

void Server::Impl::StartReading(Connection* conn) {
  if (conn->reading || conn->closing) return;
  conn->reading = true;
  uv_read_start(conn->stream(), OnAlloc, OnRead);
}

void Server::Impl::StopReading(Connection* conn) {
  if (!conn->reading) return;
  conn->reading = false;
  uv_read_stop(conn->stream());
}

void Server::Impl::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(handle->data);
  // A big bulk string being received gets room as its bytes arrive, not when announced.
  size_t room = 0;
  buf->base = conn->in.PrepareRead(conn->parser.ExpectedInputSize(), &room);
  buf->len = room;  // 0 (out of memory) makes libuv report UV_ENOBUFS: the client is closed
}

void Server::Impl::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* conn = static_cast<Connection*>(stream->data);
  Impl* self = conn->server;
  if (nread < 0) {
    self->Close(conn);
    return;
  }
  if (nread == 0) return;
  conn->in.Commit(static_cast<size_t>(nread));
  self->state_.stats.total_net_input_bytes += static_cast<uint64_t>(nread);
  conn->session.last_interaction_ms = self->clock_.NowMs();
  self->ProcessInput(conn);
}

bool Server::Impl::OverOutputLimit(Connection* conn) {
  // A client with a subscription is of the pubsub class (Redis' getClientType).
  const OutputBufferLimit& lim = conn->session.subscriptions > 0 ? state_.config.pubsub_output_limit
                                                                 : state_.config.output_limit;
  const size_t pending = conn->PendingOutput();
  const int64_t now = clock_.NowMs();
  bool over = lim.hard > 0 && pending > static_cast<size_t>(lim.hard);
  if (lim.soft > 0 && pending > static_cast<size_t>(lim.soft)) {
    if (conn->soft_limit_since_ms == 0) conn->soft_limit_since_ms = now;
    // In whole seconds, as Redis: soft-seconds may be as large as INT64_MAX.
    over = over || (now - conn->soft_limit_since_ms) / 1000 >= lim.soft_seconds;
  } else {
    conn->soft_limit_since_ms = 0;
  }
  if (!over) return false;
  Session& s = conn->session;
  Log(LogLevel::kWarning,
      "Client id=%llu addr=%s closed for overcoming of output buffer limits (%zu bytes unsent)",
      static_cast<unsigned long long>(s.id), s.addr.c_str(), pending);
  state_.stats.output_limit_disconnections++;
  Close(conn);  // at once: a write the client does not read would never finish
  return true;
}

void Server::Impl::ProcessInput(Connection* conn, size_t max_commands) {
  Session& s = conn->session;
  conn->parser.set_max_bulk_len(state_.config.proto_max_bulk_len);
  while (max_commands > 0 && !conn->in.empty() && !s.close_after_reply && !conn->closing &&
         conn->held_for_batch == 0 && s.value_fetch == 0 && !s.waiting_for_exit && !s.postponed &&
         !s.blocked) {
    if (conn->PendingOutput() > kOutputHighWater) {
      // Backpressure: the client does not read its replies; stop parsing until it does.
      StopReading(conn);
      conn->paused = true;
      break;
    }
    conn->parser.set_authenticated(s.authenticated);
    resp::ParseStatus status = conn->parser.Parse(conn->in.Unparsed());
    if (status == resp::ParseStatus::kNeedMore) break;
    if (status == resp::ParseStatus::kError) {
      resp::ReplyBuilder(&conn->out, s.protocol).Error("ERR " + conn->parser.error());
      Log(LogLevel::kVerbose, "Protocol error (%s) from client: id=%llu addr=%s",
          conn->parser.error().c_str(), static_cast<unsigned long long>(s.id), s.addr.c_str());
      s.close_after_reply = true;
      conn->in.Clear();
      break;
    }
    size_t consumed = conn->parser.consumed();
    const auto& args = conn->parser.args();
    if (!args.empty()) max_commands--;
    if (!args.empty() && IsCrossProtocolPrelude(args[0])) {
      RefuseCrossProtocol(conn);
      return;
    }
    uint64_t changes = postgres_ != nullptr ? postgres_->change_count() : 0;
    if (!args.empty()) {
      if (s.monitor && !AllowedInMonitor(args)) {
        // A MONITOR client only listens.
      } else {
        const uint64_t logged = aof_log_.appended();
        const size_t out_before = conn->out.size();
        dispatcher_.Execute(s, args);
        // Group commit: the reply of a command that went into the log waits for its sync.
        if (aof_log_.appended() != logged) NoteAofWrite(conn, out_before);
      }
    }
    if (s.blocked) {
      // A blocking command found its keys empty: it stays in the input, unconsumed, and runs
      // again when a key gets a value (ServeBlocked), or is dropped when its wait ends
      // (BlockEnded); this client's later commands wait behind it.
      conn->blocked_bytes = consumed;
      break;
    }
    if (s.postponed) {
      // CLIENT PAUSE holds the command: it stays in the input, unconsumed, and runs when the
      // pause ends (OnPauseTimer); this client's later commands wait behind it.
      postponed_.push_back(conn);
      break;
    }
    if (s.value_fetch != 0) {
      // The command needs values the cache tier dropped: it runs again once PostgreSQL has
      // sent them; this client's later commands wait behind it, other clients go on.
      fetching_.push_back(conn);
      break;
    }
    if (postgres_ != nullptr && (s.value_fetch_tries != 0 || !s.value_fetch_error.empty())) {
      // The command is over, however it ended: what it waited for is released.
      postgres_->ReleasePins(s.id);
      s.value_fetch_tries = 0;
      s.value_fetch_error.clear();
      s.rerun = false;
    }
    conn->in.Consume(consumed);
    // The command may have given values to keys that clients wait for: they are served now,
    // before this client's next command (Redis: after each command, and after a whole EXEC or
    // script, which are one command here).
    if (state_.blocked.has_ready()) ServeBlocked();
    if (conn->closing) return;
    if (OverOutputLimit(conn)) break;
    if (postgres_ != nullptr && postgres_->sync() && postgres_->change_count() != changes) {
      // The command wrote: its reply, and the commands after it, wait for the commit.
      conn->held_for_batch = postgres_->change_count();
      held_.push_back(conn);
      break;
    }
  }
  if (conn->in.empty()) {
    conn->in.ShrinkIfIdle();
  } else if (static_cast<int64_t>(conn->in.unparsed_size()) >
             state_.config.client_query_buffer_limit) {
    Log(LogLevel::kWarning, "Closing client that reached max query buffer length: id=%llu addr=%s",
        static_cast<unsigned long long>(s.id), s.addr.c_str());
    conn->out.clear();
    s.close_after_reply = true;
  }
  MarkPending(conn);
}

bool Server::Impl::IsCrossProtocolPrelude(std::string_view name) {
  return EqualsIgnoreCase(name, "post") || EqualsIgnoreCase(name, "host:");
}

void Server::Impl::RefuseCrossProtocol(Connection* conn) {
  state_.stats.cross_protocol_attacks++;
  const int64_t now = clock_.NowMs();
  if (last_attack_log_ms_ == 0 || now - last_attack_log_ms_ > 60 * 1000) {
    last_attack_log_ms_ = now;
    Log(LogLevel::kWarning,
        "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: "
        "commands to dkv (an HTTP request on the RESP port, as cross-protocol scripting from "
        "a web page would send). Connection aborted: id=%llu addr=%s",
        static_cast<unsigned long long>(conn->session.id), conn->session.addr.c_str());
  }
  conn->out.clear();
  conn->in.Clear();
  Close(conn);
}

void Server::Impl::ProcessEventsWhileBusy(Session* running) {
  int64_t now = clock_.NowMs();
  if (now - last_busy_poll_ms_ < 5) return;
  last_busy_poll_ms_ = now;
  if (tcp_active_) AcceptWhileBusy(reinterpret_cast<uv_handle_t*>(&tcp_listener_), true);
  if (unix_active_) AcceptWhileBusy(reinterpret_cast<uv_handle_t*>(&unix_listener_), false);
  std::vector<Connection*> conns;
  for (auto& [id, conn] : connections_) {
    if (&conn->session != running && !conn->closing && conn->reading) conns.push_back(conn);
  }
  for (Connection* conn : conns) {
    if (conn->closing) continue;
    uv_os_fd_t fd;
    if (uv_fileno(conn->uv_handle(), &fd) != 0) continue;
    size_t room = 0;
    char* into = conn->in.PrepareRead(0, &room);
    if (into == nullptr) {
      Close(conn);
      continue;
    }
    ssize_t n = ::read(fd, into, room);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Close(conn);
      continue;
    }
    if (n > 0) {
      conn->in.Commit(static_cast<size_t>(n));
      state_.stats.total_net_input_bytes += static_cast<uint64_t>(n);
    }
    // Every command gets -BUSY here except SCRIPT KILL and SHUTDOWN NOSAVE.
    if (!conn->in.empty()) ProcessInput(conn);
    if (!conn->closing) FlushNow(conn);
  }
}

bool Server::Impl::AllowedInMonitor(Args args) const {
  const CommandSpec* spec = dispatcher_.Resolve(args);
  return spec != nullptr && (spec->flags & kAllowedInMonitor) != 0;
}

void Server::Impl::MarkPending(Connection* conn) {
  if (conn->pending_flush || conn->closing) return;
  conn->pending_flush = true;
  pending_.push_back(conn);
}

bool Server::Impl::HasGarbage() {
  for (int i = 0; i < state_.keyspace.database_count(); ++i) {
    if (state_.keyspace.db(i).has_garbage()) return true;
  }
  return false;
}

void Server::Impl::MaybeStartBackground() {
  if (background_active_) return;
  if (expire_backlog_ || evict_backlog_ || HasGarbage()) {
    background_active_ = true;
    uv_idle_start(&background_, OnBackground);
  }
}

void Server::Impl::OnBackground(uv_idle_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  bool more = !self->state_.keyspace.ReapGarbage(kReapSlice);
  if (self->expire_backlog_) {
    self->state_.keyspace.ActiveExpireCycle(SIZE_MAX, kSliceUs, &self->expire_backlog_);
    more = more || self->expire_backlog_;
  }
  if (self->evict_backlog_) {
    self->evict_backlog_ = self->state_.Evict(kSliceUs) == Evictor::Result::kRunning;
    more = more || self->evict_backlog_;
  }
  if (!more) {
    uv_idle_stop(handle);
    self->background_active_ = false;
  }
}

void Server::Impl::ReleaseHeld() {
  if (held_.empty()) return;
  uint64_t committed = postgres_->durable();
  std::vector<Connection*> ready =
      TakeIf(&held_, [&](Connection* c) { return c->held_for_batch <= committed; });
  for (Connection* conn : ready) {
    conn->held_for_batch = 0;
    if (conn->closing) continue;
    MarkPending(conn);
    if (!conn->in.empty()) ProcessInput(conn);
  }
}

void Server::Impl::ReleaseFetched() {
  if (fetching_.empty()) return;
  std::vector<Connection*> ready = TakeIf(
      &fetching_, [&](Connection* c) { return postgres_->FetchDone(c->session.value_fetch); });
  for (Connection* conn : ready) {
    Session& s = conn->session;
    s.value_fetch_error = postgres_->FetchError(s.value_fetch);
    s.value_fetch = 0;
    if (conn->closing) continue;
    ProcessInput(conn);
  }
}

void Server::Impl::PauseChanged() {
  // UNPAUSE (or a pause already over): the timer fires at once, after the current command.
  const int64_t now = clock_.NowMs();
  const ClientRegistry& clients = state_.clients;
  uint64_t wait = clients.paused(now) ? static_cast<uint64_t>(clients.pause_end_ms() - now) : 0;
  uv_timer_start(&pause_timer_, OnPauseTimer, wait, 0);
}

void Server::Impl::OnPauseTimer(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  ClientRegistry& clients = self->state_.clients;
  const int64_t now = self->clock_.NowMs();
  if (clients.paused(now)) {
    uv_timer_start(timer, OnPauseTimer, static_cast<uint64_t>(clients.pause_end_ms() - now), 0);
    return;
  }
  clients.Unpause();
  std::vector<Connection*> held;
  held.swap(self->postponed_);
  for (Connection* conn : held) {
    conn->session.postponed = false;
    if (conn->closing) continue;
    // A client paused again meanwhile goes back on the list, still in its turn.
    self->ProcessInput(conn);
  }
}

void Server::Impl::ServeBlocked() {
  // A script's writes are served once it is over (a busy script lets other clients in).
  if (scripts_.running()) return;
  state_.blocked.ServeReady(state_.keyspace, [this](Session* s) {
    auto it = connections_.find(s->id);
    if (it == connections_.end() || it->second->closing) return;
    Connection* conn = it->second;
    conn->blocked_bytes = 0;
    // The blocking command runs again, alone: it pops now (or waits again, or CLIENT PAUSE
    // holds it); the commands after it run before the loop polls again.
    s->block_rerun = true;
    ProcessInput(conn, 1);
    s->block_rerun = false;
    if (!s->blocked && !conn->closing) QueueUnblocked(conn);
  });
}

void Server::Impl::QueueUnblocked(Connection* conn) {
  MarkPending(conn);
  if (std::find(unblocked_.begin(), unblocked_.end(), conn) == unblocked_.end()) {
    unblocked_.push_back(conn);
  }
}

void Server::Impl::BlockEnded(Session* session) {
  auto it = connections_.find(session->id);
  if (it == connections_.end() || it->second->closing) return;
  Connection* conn = it->second;
  conn->in.Consume(conn->blocked_bytes);  // the blocking command is over: answered
  conn->blocked_bytes = 0;
  QueueUnblocked(conn);
}

void Server::Impl::ArmBlockTimer() {
  const int64_t next = state_.blocked.NextDeadline();
  if (next == block_timer_at_) return;
  block_timer_at_ = next;
  if (next == 0) {
    uv_timer_stop(&block_timer_);
    return;
  }
  const int64_t wait = std::max<int64_t>(next - clock_.NowMs(), 0);
  uv_timer_start(&block_timer_, OnBlockTimer, static_cast<uint64_t>(wait), 0);
}

void Server::Impl::OnBlockTimer(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  self->block_timer_at_ = 0;
  for (uint64_t id : self->state_.blocked.Due(self->clock_.NowMs())) {
    Session* s = self->state_.blocked.Finish(id, BlockedClients::Ending::kTimeout);
    if (s != nullptr) self->BlockEnded(s);
  }
  // Re-armed for the next deadline (or for this one, should the timer have fired early).
  self->ArmBlockTimer();
}

ClientBuffers Server::Impl::BuffersOf(const Session& session) {
  ClientBuffers b;
  auto it = connections_.find(session.id);
  if (it == connections_.end()) return b;
  const Connection* conn = it->second;
  // One reply buffer: its first 16 KiB count as Redis' fixed buffer (obl), the rest and a write
  // under way as reply blocks (oll, omem).
  constexpr size_t kFixedBuffer = 16 * 1024;
  b.qbuf = conn->in.unparsed_size();
  b.qbuf_free = conn->in.capacity() > b.qbuf ? conn->in.capacity() - b.qbuf : 0;
  b.rbs = conn->out.capacity();
  b.rbp = std::max(conn->out_peak, conn->out.size());
  b.obl = std::min(conn->out.size(), kFixedBuffer);
  b.oll = (conn->out.size() > kFixedBuffer ? 1 : 0) + (conn->writing.empty() ? 0 : 1);
  b.omem = conn->out.size() - b.obl + conn->writing.size();
  b.memory =
      sizeof(Connection) + conn->in.capacity() + conn->out.capacity() + conn->writing.capacity();
  b.reading = conn->reading;
  b.writing = conn->write_in_flight;
  return b;
}

void Server::Impl::OnBeforePoll(uv_prepare_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  // Keys made ready outside a client's command (none today; cheap to check), then the clients
  // whose wait ended in this iteration run the commands they sent after the blocking one (each
  // round may unblock more; every round consumes input, so it ends).
  if (self->state_.blocked.has_ready()) self->ServeBlocked();
  while (!self->unblocked_.empty()) {
    std::vector<Connection*> round;
    round.swap(self->unblocked_);
    for (Connection* conn : round) {
      if (!conn->closing) self->ProcessInput(conn);
    }
  }
  self->ArmBlockTimer();
  self->MaybeStartBackground();
  // Client tracking: the table's bound and this iteration's BCAST invalidations (Redis'
  // beforeSleep), before the output goes out.
  self->state_.tracking.BeforeSleep();
  // Group commit: the writes of this loop iteration go to PostgreSQL in one batch.
  if (self->postgres_ != nullptr) self->postgres_->MaybeFlush();
  // Group commit: this iteration's log appends go to the writer thread in one hand-over.
  self->aof_log_.Flush();
  // A policy changed (always -> everysec) may have made held replies durable.
  if (!self->aof_held_.empty()) self->ReleaseAofHeld();
  std::vector<Connection*> batch;
  batch.swap(self->pending_);
  for (Connection* conn : batch) {
    conn->pending_flush = false;
    // Output another client's command added (Pub/Sub deliveries) counts against the limits too.
    if (!conn->closing && !self->OverOutputLimit(conn)) self->FlushNow(conn);
  }
}

void Server::Impl::FlushNow(Connection* conn) {
  if (conn->closing || conn->held_for_batch != 0) return;
  // Replies waiting for the log's sync stay (and everything after them, in order).
  const size_t sendable = conn->aof_marks.empty() ? conn->out.size() : AofSendable(conn);
  if (!conn->write_in_flight && sendable > 0) {
    uv_buf_t buf = uv_buf_init(conn->out.data(), static_cast<unsigned>(sendable));
    int written = uv_try_write(conn->stream(), &buf, 1);
    if (written == UV_EAGAIN) written = 0;
    if (written < 0) {
      Close(conn);
      return;
    }
    state_.stats.total_net_output_bytes += static_cast<uint64_t>(written);
    conn->out_peak = std::max(conn->out_peak, conn->out.size());
    if (sendable < conn->out.size()) {
      // Part of the output waits: what may go leaves `out`, the rest stays in front.
      if (static_cast<size_t>(written) < sendable) {
        conn->writing.assign(conn->out, static_cast<size_t>(written),
                             sendable - static_cast<size_t>(written));
      }
      conn->out.erase(0, sendable);
      AofSent(conn, sendable);
      if (!conn->writing.empty()) {
        conn->write_in_flight = true;
        conn->write_req.data = conn;
        uv_buf_t rest =
            uv_buf_init(conn->writing.data(), static_cast<unsigned>(conn->writing.size()));
        if (uv_write(&conn->write_req, conn->stream(), &rest, 1, OnWrite) != 0) {
          conn->write_in_flight = false;
          Close(conn);
          return;
        }
      }
    } else if (static_cast<size_t>(written) == conn->out.size()) {
      AofSent(conn, sendable);
      conn->out.clear();
      if (conn->out.capacity() > kIdleBufferKeep) {
        conn->out.shrink_to_fit();
        conn->out_peak = 0;
      }
    } else {
      AofSent(conn, sendable);
      conn->out.erase(0, static_cast<size_t>(written));
      conn->writing.swap(conn->out);
      conn->write_in_flight = true;
      conn->write_req.data = conn;
      uv_buf_t rest =
          uv_buf_init(conn->writing.data(), static_cast<unsigned>(conn->writing.size()));
      int rc = uv_write(&conn->write_req, conn->stream(), &rest, 1, OnWrite);
      if (rc != 0) {
        conn->write_in_flight = false;
        Close(conn);
        return;
      }
    }
  }
  if (!conn->write_in_flight && conn->out.empty() && conn->session.close_after_reply) {
    Close(conn);
    return;
  }
  if (conn->paused && conn->PendingOutput() < kOutputLowWater) {
    conn->paused = false;
    StartReading(conn);
    ProcessInput(conn);
  }
}

void Server::Impl::OnWrite(uv_write_t* req, int status) {
  auto* conn = static_cast<Connection*>(req->data);
  Impl* self = conn->server;
  conn->write_in_flight = false;
  if (conn->closing) {
    self->MaybeDelete(conn);
    return;
  }
  if (status < 0) {
    self->Close(conn);
    return;
  }
  self->state_.stats.total_net_output_bytes += conn->writing.size();
  conn->writing.clear();
  if (conn->writing.capacity() > kIdleBufferKeep) conn->writing.shrink_to_fit();
  self->FlushNow(conn);
}

void Server::Impl::Close(Connection* conn) {
  if (conn->closing) return;
  conn->closing = true;
  if (conn->held_for_batch != 0)
    held_.erase(std::remove(held_.begin(), held_.end(), conn), held_.end());
  if (conn->session.value_fetch != 0) {
    fetching_.erase(std::remove(fetching_.begin(), fetching_.end(), conn), fetching_.end());
  }
  if (conn->session.postponed) {
    postponed_.erase(std::remove(postponed_.begin(), postponed_.end(), conn), postponed_.end());
  }
  state_.blocked.Forget(&conn->session);
  ForgetAof(conn);
  unblocked_.erase(std::remove(unblocked_.begin(), unblocked_.end(), conn), unblocked_.end());
  if (postgres_ != nullptr) postgres_->ForgetOwner(conn->session.id);
  Session& s = conn->session;
  state_.watches.UnwatchAll(&s);
  state_.pubsub.Forget(&s);
  state_.tracking.Forget(&s);
  state_.clients.Remove(&s);
  connections_.erase(s.id);
  uv_close(conn->uv_handle(), [](uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    c->reading = false;
    c->server->MaybeDelete(c);
  });
}

void Server::Impl::MaybeDelete(Connection* conn) {
  // The handle's close callback and an in-flight write's callback may come in either order.
  if (conn->write_in_flight || !uv_is_closing(conn->uv_handle()) || conn->reading) return;
  if (conn->pending_flush) {
    pending_.erase(std::remove(pending_.begin(), pending_.end(), conn), pending_.end());
  }
  delete conn;
}

}  // namespace dkv::server
