// Server::Impl, the network layer's one object (src/net/server.h is its face): the libuv loop,
// the listeners and every connection, the cron, signals and the exit; it owns ServerState, the
// dispatcher, scripts and persistence. Internal to src/net/: server_loop.cc defines the start, the
// loop, the hooks, the cron and the exit; connections.cc accepting, reading, writing and closing.
// Loop thread only.
#pragma once

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
#include "src/core/aof.h"
#include "src/core/aof_log.h"
#include "src/core/dispatcher.h"
#include "src/core/log.h"
#include "src/core/memory.h"
#include "src/core/postgres_backend.h"
#include "src/core/postgres_host.h"
#include "src/core/postgres_persistence.h"
#include "src/core/server_state.h"
#include "src/core/snapshot_backend.h"
#include "src/core/snapshotter.h"
#include "src/core/version.h"
#include "src/http/http_server.h"
#include "src/net/exit_drain.h"
#include "src/net/input_buffer.h"
#include "src/net/server.h"
#include "src/net/uv_event_loop.h"
#include "src/scripting/scripting.h"

namespace dkv::server {

namespace server_detail {

// Unsent output above which a connection is no longer read, and below which reading resumes.
constexpr size_t kOutputHighWater = 64 * 1024 * 1024;
constexpr size_t kOutputLowWater = 8 * 1024 * 1024;
// Largest output buffer capacity kept across requests once idle.
constexpr size_t kIdleBufferKeep = 64 * 1024;

inline std::string FormatAddr(const struct sockaddr_storage& ss) {
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

}  // namespace server_detail
using namespace server_detail;  // NOLINT: the constants above, in both of src/net/'s files

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
    // A blocking command parked this client (Session::blocked): the bytes of that command, which
    // stay at the front of `in` until it is served (it runs again) or its wait ends (dropped).
    size_t blocked_bytes = 0;
    // appendfsync always (group commit, src/net/aof_hold.cc): the output from byte `start` of
    // `out` on waits until the log is durable up to `offset`, oldest first. Parsing and running
    // go on meanwhile; only the replies wait. Listed in aof_held_ while not empty.
    struct AofMark {
      size_t start;
      uint64_t offset;
    };
    std::vector<AofMark> aof_marks;
    int64_t soft_limit_since_ms = 0;  // unsent output above the soft limit since then
    size_t out_peak = 0;              // the largest the reply buffer got since it last shrank

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
    state_.aof = &aof_;
    state_.aof_log = &aof_log_;
    auto child_setup = [this] {
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
    };
    snapshotter_.set_child_setup(child_setup);
    aof_.set_child_setup(child_setup);
  }

  ~Impl() override {
    // Handles are closed by Run() before the loop ends.
  }

  std::string Start();

  int exit_code() const { return state_.exit_code; }

  void Run();

  // --- ServerHooks ---
  void KillClient(Session* session) override;

  void ScheduleFlush(Session* session) override;

  void RequestShutdown() override;

  void ShutdownAfterCommit(Session* session) override;

  bool ShutdownPending() override { return exit_drain_ != nullptr && exit_drain_->active(); }

  bool AbortShutdown() override;

  size_t UsedMemory() override { return memory_.Used(); }

  MemoryFigures Memory() override { return memory_.Figures(); }

  void FreeLater(std::unique_ptr<engine::Database::Contents> contents) override;

  void PauseChanged() override;

  ClientBuffers BuffersOf(const Session& session) override;

  bool WaitAof(Session* session, uint64_t offset, int numlocal, int numreplicas,
               int64_t deadline_ms) override;

 private:
  // --- the append-only log: group commit and WAITAOF (aof_hold.cc) ---
  // After a command of `conn` that appended to the log (its reply starts at `out_before` in
  // `out`): under appendfsync always its output from there waits for the log's sync.
  void NoteAofWrite(Connection* conn, size_t out_before);
  // How many bytes of `out` may leave now (all of them unless a mark waits).
  size_t AofSendable(Connection* conn);
  // `sent` bytes left the front of `out`: the marks move with them.
  static void AofSent(Connection* conn, size_t sent);
  // The log got more durable (or the policy changed): held output goes, WAITAOF waits end.
  void ReleaseAofHeld();
  void ReleaseAofWaiters(bool due_only);
  void ArmAofWaitTimer();
  static void OnAofWaitTimer(uv_timer_t* timer);
  void ForgetAof(Connection* conn);

  // --- the exit's wait for PostgreSQL ---
  // Changes are queued or in flight, or a wait is under way: the exit waits (ExitDrain).
  bool ExitMustWait() const;

  // The wait is over. Committed: the server exits (a client whose SHUTDOWN waited sees its
  // connection close, as Redis'). Not: it keeps running, SHUTDOWN answers an error, and after a
  // signal the next one exits without the changes.
  void OnExitDrainDone(bool committed, const ExitDrain::Waiters& waiters);

  // Clients whose SHUTDOWN waited and did not exit get Redis' error, and go on.
  void ResumeShutdownClients(const std::vector<uint64_t>& ids);

  // At exit, with the loop stopped: every queued write reaches PostgreSQL (async durability
  // too), waiting while batches commit, up to postgres.response-timeout without a commit.
  bool CommitBeforeExit();

  // --- accepting ---
  static void OnTcpConnect(uv_stream_t* listener, int status);
  static void OnUnixConnect(uv_stream_t* listener, int status);

  void Accept(uv_stream_t* listener, int status, bool tcp);

  // Accepts directly from a listening socket while a busy script holds the loop (libuv's accept
  // runs only from the loop), so that a new client can send SCRIPT KILL.
  void AcceptWhileBusy(uv_handle_t* listener, bool tcp);

  // A new client's session, its registration, and its first read.
  void Register(Connection* conn, bool tcp);

  // --- reading ---
  void StartReading(Connection* conn);

  void StopReading(Connection* conn);

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf);

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*);

  // client-output-buffer-limit (normal class): a client whose unsent replies pass the hard
  // limit, or stay above the soft limit for soft-seconds, is disconnected (its replies dropped).
  bool OverOutputLimit(Connection* conn);

  // Runs the complete commands in the input, at most `max_commands` of them, until one waits.
  void ProcessInput(Connection* conn, size_t max_commands = SIZE_MAX);

  // --- blocked clients (src/core/blocked_clients.h) ---
  // After a command: the clients waiting for keys it gave values to run their command again,
  // first come first served, in this loop iteration (not while a script runs).
  void ServeBlocked();
  // A client whose wait ended (served, timed out, CLIENT UNBLOCK): its further commands run
  // before the loop polls again.
  void QueueUnblocked(Connection* conn);
  void BlockEnded(Session* session) override;
  // One timer for every blocked client's deadline, armed to the earliest (before each poll).
  void ArmBlockTimer();
  static void OnBlockTimer(uv_timer_t* timer);

  // An HTTP request sent to the RESP port (a web page can make a browser send one, with Redis
  // commands in its body) starts with `POST` or carries a `Host:` line. As Redis does, the
  // connection is closed at once, before anything after it runs and without a reply.
  static bool IsCrossProtocolPrelude(std::string_view name);

  void RefuseCrossProtocol(Connection* conn);

  // --- a busy script ---
  void ProcessEventsWhileBusy(Session* running) override;

  // QUIT and RESET (their rows' kAllowedInMonitor): a MONITOR connection sends nothing else.
  bool AllowedInMonitor(Args args) const;

  // --- writing ---
  void MarkPending(Connection* conn);

  // Background work in slices, one slice of each kind per loop iteration while work remains:
  // freeing deleted subtrees (kReapSlice entries, about a millisecond), expiring a backlog of due
  // keys and evicting down to maxmemory (kSliceUs each). Client I/O is served between slices, so
  // no client waits long on a big delete, a mass expiry or a lowered maxmemory.
  static constexpr size_t kReapSlice = 5000;
  static constexpr int64_t kSliceUs = 2000;

  bool HasGarbage();

  void MaybeStartBackground();

  static void OnBackground(uv_idle_t* handle);

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
  void ReleaseHeld();

  // Values read back from PostgreSQL: the commands that waited for them run again.
  void ReleaseFetched();

  // CLIENT PAUSE's end (its timer, or CLIENT UNPAUSE): the clients whose commands it held run
  // them, in the order they were held; a pause still in force re-arms the timer instead.
  static void OnPauseTimer(uv_timer_t* timer);

  static void OnBeforePoll(uv_prepare_t* handle);

  void FlushNow(Connection* conn);

  static void OnWrite(uv_write_t* req, int status);

  // --- closing ---
  void Close(Connection* conn);

  void MaybeDelete(Connection* conn);

  // --- background ---
  static void OnCron(uv_timer_t* timer);

  void Cron();

  // SIGTERM/SIGINT: stop a running background save and, with a `save` schedule, write the
  // snapshot before exiting (as Redis; Snapshotter::FinalSaveWanted). If that save fails the server
  // keeps running; a second signal exits without saving.
  static void OnSignal(uv_signal_t* handle, int signum);

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
  // The append-only log: its writer thread wakes the loop through aof_wake_ (OnAofWake).
  uv_async_t aof_wake_;
  AofLog aof_log_{[this] { uv_async_send(&aof_wake_); }};
  Aof aof_{&state_, &aof_log_, &dispatcher_};
  static void OnAofWake(uv_async_t* handle);
  std::vector<Connection*> aof_held_;  // replies waiting for the log's sync (aof_marks)
  struct AofWaiter {                   // a WAITAOF waiting
    Connection* conn;
    uint64_t offset;
    int numlocal;
    int numreplicas;
    int64_t deadline_ms;  // 0: none
  };
  std::vector<AofWaiter> aof_waiters_;
  uv_timer_t aof_wait_timer_;
  int64_t aof_wait_timer_at_ = 0;
  // The PostgreSQL backend and what it runs on (declared first: destroyed after it).
  std::unique_ptr<UvEventLoop> pg_loop_;
  std::unique_ptr<PostgresHost> pg_host_;
  std::unique_ptr<PostgresBackend> postgres_;
  std::unique_ptr<PostgresPersistence> postgres_persistence_;  // the Backend over postgres_
  std::unique_ptr<ExitDrain> exit_drain_;  // with postgres_ (kept to the end: its timer)
  std::unique_ptr<HttpServer> http_;       // when http-port is set
  std::vector<Connection*> held_;          // waiting for a PostgreSQL commit
  std::vector<Connection*> fetching_;      // waiting for values read back from PostgreSQL
  std::vector<Connection*> postponed_;     // held by CLIENT PAUSE, in the order they came
  uv_timer_t pause_timer_;
  std::vector<Connection*> unblocked_;  // wait ended: further commands to run before polling
  uv_timer_t block_timer_;
  int64_t block_timer_at_ = 0;  // the deadline the timer is armed for (0: stopped)
  bool signal_shutdown_failed_ = false;
  bool exit_uncommitted_ = false;   // a second signal: exit without waiting for PostgreSQL
  int64_t last_attack_log_ms_ = 0;  // the cross-protocol warning is logged once a minute
  int64_t last_busy_poll_ms_ = 0;
  uv_signal_t sigint_;
  uv_signal_t sigterm_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::vector<Connection*> pending_;
};

}  // namespace dkv::server
