#include "src/server.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <unordered_map>

#include "engine/clock.h"
#include "resp/parser.h"
#include "src/commands/args.h"
#include "src/dispatcher.h"
#include "src/exit_drain.h"
#include "src/http_server.h"
#include "src/input_buffer.h"
#include "src/log.h"
#include "src/memory.h"
#include "src/postgres_backend.h"
#include "src/postgres_host.h"
#include "src/postgres_persistence.h"
#include "src/scripting.h"
#include "src/server_state.h"
#include "src/snapshot_backend.h"
#include "src/snapshotter.h"
#include "src/uv_event_loop.h"
#include "src/version.h"

namespace dkv::server {
namespace {

// Unsent output above which a connection is no longer read, and below which reading resumes.
constexpr size_t kOutputHighWater = 64 * 1024 * 1024;
constexpr size_t kOutputLowWater = 8 * 1024 * 1024;
// Largest output buffer capacity kept across requests once idle.
constexpr size_t kIdleBufferKeep = 64 * 1024;

std::string FormatAddr(const struct sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const struct sockaddr_in*>(&ss);
    uv_ip4_name(sin, ip, sizeof(ip));
    port = ntohs(sin->sin_port);
    return std::string(ip) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(&ss);
    uv_ip6_name(sin6, ip, sizeof(ip));
    port = ntohs(sin6->sin6_port);
    // Built by appends: GCC 12 reports a false -Wrestrict on "[" + std::string(...).
    std::string out("[");
    out.append(ip);
    out.append("]:");
    out.append(std::to_string(port));
    return out;
  }
  return "?:0";
}

}  // namespace

class Server::Impl : public ServerHooks {
 public:
  struct Connection {
    Impl* server = nullptr;
    union {
      uv_tcp_t tcp;
      uv_pipe_t pipe;
    } handle;
    bool is_tcp = true;
    Session session;
    resp::RequestParser parser;
    InputBuffer in;       // received bytes not parsed yet
    std::string out;      // replies not yet handed to the kernel
    std::string writing;  // bytes of the write in flight
    uv_write_t write_req;
    bool write_in_flight = false;
    bool reading = false;
    bool paused = false;  // reading stopped by backpressure
    bool closing = false;
    bool pending_flush = false;
    // postgres.durability sync: the replies wait (and no further command runs) until every
    // change up to this number has committed; 0 when not waiting.
    uint64_t held_for_batch = 0;
    int64_t soft_limit_since_ms = 0;  // unsent output above the soft limit since then

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
    uv_handle_t* uv_handle() { return reinterpret_cast<uv_handle_t*>(&handle); }
    size_t PendingOutput() const { return out.size() + writing.size(); }
  };

  explicit Impl(Config config)
      : state_(std::move(config), &clock_),
        dispatcher_(&state_),
        scripts_(&state_, &dispatcher_),
        snapshotter_(&state_) {
    state_.hooks = this;
    state_.set_backend(&snapshot_backend_);
    state_.scripts = &scripts_;
    loop_ = uv_default_loop();
    // The child of a background save must not keep the server's port or its clients' sockets
    // open: a client closed by the server during the save must see its connection end.
    snapshotter_.set_child_setup([this] {
      uv_os_fd_t fd;
      if (tcp_active_ && uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_listener_), &fd) == 0) {
        ::close(fd);
      }
      if (unix_active_ && uv_fileno(reinterpret_cast<uv_handle_t*>(&unix_listener_), &fd) == 0) {
        ::close(fd);
      }
      for (auto& [id, conn] : connections_) {
        if (uv_fileno(conn->uv_handle(), &fd) == 0) ::close(fd);
      }
      if (http_ != nullptr) http_->CloseFdsInChild();
    });
  }

  ~Impl() override {
    // Handles are closed by Run() before the loop ends.
  }

  std::string Start() {
    const Config& c = state_.config;
    if (!state_.acl_error.empty()) return state_.acl_error;
    // Copy-on-write after fork copies whole huge pages when transparent huge pages are on for
    // the process: keep them off (as Redis' disable-thp), so a background save copies 4 KiB.
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    // The data is loaded before the port opens: clients never see a partial keyspace.
    if (c.persistence_backend == "postgres") {
      pg_loop_ = std::make_unique<UvEventLoop>(loop_, state_.clock);
      pg_host_ = std::make_unique<PostgresHost>(&state_);
      postgres_ = std::make_unique<PostgresBackend>(pg_loop_.get(), pg_host_.get(),
                                                    &state_.keyspace, MakePostgresOptions(state_));
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
      if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_listener_), 511, OnTcpConnect);
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
    uint64_t period = static_cast<uint64_t>(1000 / std::max(1, state_.config.hz));
    uv_timer_start(&cron_timer_, OnCron, period, period);
    for (auto* sig : {&sigint_, &sigterm_}) {
      uv_signal_init(loop_, sig);
      sig->data = this;
    }
    uv_signal_start(&sigint_, OnSignal, SIGINT);
    uv_signal_start(&sigterm_, OnSignal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    Log(LogLevel::kNotice, "dkv %s (Redis %s compatible) ready, listening on %s:%d%s%s",
        kDkvVersion, kRedisCompatVersion, c.bind.c_str(), c.port,
        c.unixsocket.empty() ? "" : " and ", c.unixsocket.c_str());
    return "";
  }

  int exit_code() const { return state_.exit_code; }

  void Run() {
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

  // --- ServerHooks ---
  void KillClient(Session* session) override {
    auto it = connections_.find(session->id);
    if (it == connections_.end()) return;
    Connection* conn = it->second;
    conn->session.close_after_reply = true;
    ScheduleFlush(&conn->session);
  }

  void ScheduleFlush(Session* session) override {
    auto it = connections_.find(session->id);
    if (it == connections_.end()) return;
    MarkPending(it->second);
  }

  void RequestShutdown() override {
    Log(LogLevel::kWarning, "User requested shutdown...");
    if (ShutdownPending()) {
      // SHUTDOWN FORCE while the exit waits for PostgreSQL: it does not wait again.
      exit_drain_->Cancel();
      exit_uncommitted_ = true;
    }
    uv_stop(loop_);
  }

  void ShutdownAfterCommit(Session* session) override {
    if (!ExitMustWait()) return RequestShutdown();
    session->waiting_for_exit = true;
    exit_drain_->AddClient(session->id);
  }

  bool ShutdownPending() override { return exit_drain_ != nullptr && exit_drain_->active(); }

  bool AbortShutdown() override {
    if (!ShutdownPending()) return false;
    Log(LogLevel::kWarning, "Shutdown manually aborted.");
    ResumeShutdownClients(exit_drain_->Cancel().clients);
    return true;
  }

  size_t UsedMemory() override { return memory_.Used(); }

  MemoryFigures Memory() override { return memory_.Figures(); }

  void FreeLater(std::unique_ptr<engine::Database::Contents> contents) override {
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

 private:
  // --- the exit's wait for PostgreSQL ---
  // Changes are queued or in flight, or a wait is under way: the exit waits (ExitDrain).
  bool ExitMustWait() const {
    return postgres_ != nullptr && (exit_drain_->active() || !postgres_->Idle());
  }

  // The wait is over. Committed: the server exits (a client whose SHUTDOWN waited sees its
  // connection close, as Redis'). Not: it keeps running, SHUTDOWN answers an error, and after a
  // signal the next one exits without the changes.
  void OnExitDrainDone(bool committed, const ExitDrain::Waiters& waiters) {
    if (committed) return uv_stop(loop_);
    if (!waiters.signal.empty()) signal_shutdown_failed_ = true;
    ResumeShutdownClients(waiters.clients);
  }

  // Clients whose SHUTDOWN waited and did not exit get Redis' error, and go on.
  void ResumeShutdownClients(const std::vector<uint64_t>& ids) {
    for (uint64_t id : ids) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;  // gone meanwhile
      Connection* conn = it->second;
      Session& s = conn->session;
      s.waiting_for_exit = false;
      resp::ReplyBuilder(&conn->out, s.protocol)
          .Error("ERR Errors trying to SHUTDOWN. Check logs.");
      state_.stats.total_error_replies++;
      state_.stats.CountError("ERR");
      MarkPending(conn);
      if (!conn->in.empty()) ProcessInput(conn);
    }
  }

  // At exit, with the loop stopped: every queued write reaches PostgreSQL (async durability
  // too), waiting while batches commit, up to postgres.response-timeout without a commit.
  bool CommitBeforeExit() {
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

  // --- accepting ---
  static void OnTcpConnect(uv_stream_t* listener, int status) {
    static_cast<Impl*>(listener->data)->Accept(listener, status, true);
  }
  static void OnUnixConnect(uv_stream_t* listener, int status) {
    static_cast<Impl*>(listener->data)->Accept(listener, status, false);
  }

  void Accept(uv_stream_t* listener, int status, bool tcp) {
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

  // Accepts directly from a listening socket while a busy script holds the loop (libuv's accept
  // runs only from the loop), so that a new client can send SCRIPT KILL.
  void AcceptWhileBusy(uv_handle_t* listener, bool tcp) {
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
        uv_close(conn->uv_handle(),
                 [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
        continue;
      }
      Register(conn, tcp);
    }
  }

  // A new client's session, its registration, and its first read.
  void Register(Connection* conn, bool tcp) {
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
      s.auth_source = kUnixAuthSource;
    }
    state_.stats.total_connections_received++;
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

  // --- reading ---
  void StartReading(Connection* conn) {
    if (conn->reading || conn->closing) return;
    conn->reading = true;
    uv_read_start(conn->stream(), OnAlloc, OnRead);
  }

  void StopReading(Connection* conn) {
    if (!conn->reading) return;
    conn->reading = false;
    uv_read_stop(conn->stream());
  }

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
    auto* conn = static_cast<Connection*>(handle->data);
    // A big bulk string being received gets room as its bytes arrive, not when announced.
    size_t room = 0;
    buf->base = conn->in.PrepareRead(conn->parser.ExpectedInputSize(), &room);
    buf->len = room;  // 0 (out of memory) makes libuv report UV_ENOBUFS: the client is closed
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
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

  // client-output-buffer-limit (normal class): a client whose unsent replies pass the hard
  // limit, or stay above the soft limit for soft-seconds, is disconnected (its replies dropped).
  bool OverOutputLimit(Connection* conn) {
    const OutputBufferLimit& lim = state_.config.output_limit;
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

  void ProcessInput(Connection* conn) {
    Session& s = conn->session;
    conn->parser.set_max_bulk_len(state_.config.proto_max_bulk_len);
    while (!conn->in.empty() && !s.close_after_reply && !conn->closing &&
           conn->held_for_batch == 0 && s.value_fetch == 0 && !s.waiting_for_exit) {
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
      if (!args.empty() && IsCrossProtocolPrelude(args[0])) {
        RefuseCrossProtocol(conn);
        return;
      }
      uint64_t changes = postgres_ != nullptr ? postgres_->change_count() : 0;
      if (!args.empty()) {
        if (s.monitor && !AllowedInMonitor(args)) {
          // A MONITOR client only listens.
        } else {
          dispatcher_.Execute(s, args);
        }
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
      Log(LogLevel::kWarning,
          "Closing client that reached max query buffer length: id=%llu addr=%s",
          static_cast<unsigned long long>(s.id), s.addr.c_str());
      conn->out.clear();
      s.close_after_reply = true;
    }
    MarkPending(conn);
  }

  // An HTTP request sent to the RESP port (a web page can make a browser send one, with Redis
  // commands in its body) starts with `POST` or carries a `Host:` line. As Redis does, the
  // connection is closed at once, before anything after it runs and without a reply.
  static bool IsCrossProtocolPrelude(std::string_view name) {
    return EqualsIgnoreCase(name, "post") || EqualsIgnoreCase(name, "host:");
  }

  void RefuseCrossProtocol(Connection* conn) {
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

  // --- a busy script ---
  void ProcessEventsWhileBusy(Session* running) override {
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

  // QUIT and RESET (their rows' kAllowedInMonitor): a MONITOR connection sends nothing else.
  bool AllowedInMonitor(Args args) const {
    const CommandSpec* spec = dispatcher_.Resolve(args);
    return spec != nullptr && (spec->flags & kAllowedInMonitor) != 0;
  }

  // --- writing ---
  void MarkPending(Connection* conn) {
    if (conn->pending_flush || conn->closing) return;
    conn->pending_flush = true;
    pending_.push_back(conn);
  }

  // Background work in slices, one slice of each kind per loop iteration while work remains:
  // freeing deleted subtrees (kReapSlice entries, about a millisecond), expiring a backlog of due
  // keys and evicting down to maxmemory (kSliceUs each). Client I/O is served between slices, so
  // no client waits long on a big delete, a mass expiry or a lowered maxmemory.
  static constexpr size_t kReapSlice = 5000;
  static constexpr int64_t kSliceUs = 2000;

  bool HasGarbage() {
    for (int i = 0; i < state_.keyspace.database_count(); ++i) {
      if (state_.keyspace.db(i).has_garbage()) return true;
    }
    return false;
  }

  void MaybeStartBackground() {
    if (background_active_) return;
    if (expire_backlog_ || evict_backlog_ || HasGarbage()) {
      background_active_ = true;
      uv_idle_start(&background_, OnBackground);
    }
  }

  static void OnBackground(uv_idle_t* handle) {
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

  // Removes the connections `pred` selects from *list, in order, and returns them.
  template <typename Pred>
  static std::vector<Connection*> TakeIf(std::vector<Connection*>* list, Pred pred) {
    auto keep =
        std::stable_partition(list->begin(), list->end(), [&](Connection* c) { return !pred(c); });
    std::vector<Connection*> taken(keep, list->end());
    list->erase(keep, list->end());
    return taken;
  }

  // A PostgreSQL batch committed: replies held for it go out, and their connections go on.
  void ReleaseHeld() {
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

  // Values read back from PostgreSQL: the commands that waited for them run again.
  void ReleaseFetched() {
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

  static void OnBeforePoll(uv_prepare_t* handle) {
    auto* self = static_cast<Impl*>(handle->data);
    self->MaybeStartBackground();
    // Group commit: the writes of this loop iteration go to PostgreSQL in one batch.
    if (self->postgres_ != nullptr) self->postgres_->MaybeFlush();
    std::vector<Connection*> batch;
    batch.swap(self->pending_);
    for (Connection* conn : batch) {
      conn->pending_flush = false;
      if (!conn->closing) self->FlushNow(conn);
    }
  }

  void FlushNow(Connection* conn) {
    if (conn->closing || conn->held_for_batch != 0) return;
    if (!conn->write_in_flight && !conn->out.empty()) {
      uv_buf_t buf = uv_buf_init(conn->out.data(), static_cast<unsigned>(conn->out.size()));
      int written = uv_try_write(conn->stream(), &buf, 1);
      if (written == UV_EAGAIN) written = 0;
      if (written < 0) {
        Close(conn);
        return;
      }
      state_.stats.total_net_output_bytes += static_cast<uint64_t>(written);
      if (static_cast<size_t>(written) == conn->out.size()) {
        conn->out.clear();
        if (conn->out.capacity() > kIdleBufferKeep) conn->out.shrink_to_fit();
      } else {
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

  static void OnWrite(uv_write_t* req, int status) {
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

  // --- closing ---
  void Close(Connection* conn) {
    if (conn->closing) return;
    conn->closing = true;
    if (conn->held_for_batch != 0)
      held_.erase(std::remove(held_.begin(), held_.end(), conn), held_.end());
    if (conn->session.value_fetch != 0) {
      fetching_.erase(std::remove(fetching_.begin(), fetching_.end(), conn), fetching_.end());
    }
    if (postgres_ != nullptr) postgres_->ForgetOwner(conn->session.id);
    Session& s = conn->session;
    state_.watches.UnwatchAll(&s);
    state_.clients.Remove(&s);
    connections_.erase(s.id);
    uv_close(conn->uv_handle(), [](uv_handle_t* h) {
      auto* c = static_cast<Connection*>(h->data);
      c->reading = false;
      c->server->MaybeDelete(c);
    });
  }

  void MaybeDelete(Connection* conn) {
    // The handle's close callback and an in-flight write's callback may come in either order.
    if (conn->write_in_flight || !uv_is_closing(conn->uv_handle()) || conn->reading) return;
    if (conn->pending_flush) {
      pending_.erase(std::remove(pending_.begin(), pending_.end(), conn), pending_.end());
    }
    delete conn;
  }

  // --- background ---
  static void OnCron(uv_timer_t* timer) {
    auto* self = static_cast<Impl*>(timer->data);
    self->Cron();
  }

  void Cron() {
    const Config& c = state_.config;
    int64_t period_us = 1000000 / std::max(1, c.hz);
    memory_.Refresh();
    // Active expiry: one slice now; a backlog continues in the background slices.
    state_.keyspace.ActiveExpireCycle(SIZE_MAX, std::min(period_us / 4, kSliceUs),
                                      &expire_backlog_);
    if (state_.config.maxmemory > 0) {
      evict_backlog_ = state_.Evict(kSliceUs) == Evictor::Result::kRunning;
    }
    MaybeStartBackground();
    snapshotter_.Cron();
    int64_t now = clock_.NowMs();
    if (http_ != nullptr) http_->Cron(now);
    if (c.output_limit.soft > 0) {
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

  // SIGTERM/SIGINT: stop a running background save and, with a `save` schedule, write the
  // snapshot before exiting (as Redis; Snapshotter::FinalSaveWanted). If that save fails the server
  // keeps running; a second signal exits without saving.
  static void OnSignal(uv_signal_t* handle, int signum) {
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

  engine::SystemClock clock_;
  ServerState state_;
  Dispatcher dispatcher_;
  uv_loop_t* loop_;
  uv_tcp_t tcp_listener_;
  uv_pipe_t unix_listener_;
  bool tcp_active_ = false;
  bool unix_active_ = false;
  uv_prepare_t flush_handle_;
  uv_timer_t cron_timer_;
  uv_idle_t background_;
  bool background_active_ = false;
  bool expire_backlog_ = false;
  bool evict_backlog_ = false;
  MemoryAccountant memory_;
  ScriptEngine scripts_;
  Snapshotter snapshotter_;
  SnapshotBackend snapshot_backend_{&snapshotter_};
  // The PostgreSQL backend and what it runs on (declared first: destroyed after it).
  std::unique_ptr<UvEventLoop> pg_loop_;
  std::unique_ptr<PostgresHost> pg_host_;
  std::unique_ptr<PostgresBackend> postgres_;
  std::unique_ptr<PostgresPersistence> postgres_persistence_;  // the Backend over postgres_
  std::unique_ptr<ExitDrain> exit_drain_;  // with postgres_ (kept to the end: its timer)
  std::unique_ptr<HttpServer> http_;       // when http-port is set
  std::vector<Connection*> held_;          // waiting for a PostgreSQL commit
  std::vector<Connection*> fetching_;      // waiting for values read back from PostgreSQL
  bool signal_shutdown_failed_ = false;
  bool exit_uncommitted_ = false;   // a second signal: exit without waiting for PostgreSQL
  int64_t last_attack_log_ms_ = 0;  // the cross-protocol warning is logged once a minute
  int64_t last_busy_poll_ms_ = 0;
  uv_signal_t sigint_;
  uv_signal_t sigterm_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::vector<Connection*> pending_;
};

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
std::string Server::Start() { return impl_->Start(); }
int Server::Run() {
  impl_->Run();
  return impl_->exit_code();
}

}  // namespace dkv::server
