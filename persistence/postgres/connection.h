// PgConn: one libpq connection of the PostgreSQL backend, in non-blocking pipeline mode, its
// socket watched through the EventLoop. Work is sent as jobs: the statements sent since the
// last job, ended by a pipeline sync, so that each job is one transaction whose results come
// back in order. A lost connection fails every job in flight (their owners queue the work
// again) and reconnects with backoff (100 ms doubling to 10 s, with jitter).
//
// Host names of postgres.dsn are looked up through the loop (every name of a host list at
// once), then libpq connects to the addresses (hostaddr), so that no DNS lookup blocks the loop.
//
// The backend owns its connections; a connection borrows the loop, the host and its Listener
// for its whole life, and owns its libpq connection, its watch and its jobs' callbacks. Loop
// thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "persistence/postgres/event_loop.h"
#include "persistence/postgres/host.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace dkv::persistence::postgres {

// A PostgreSQL backend process: its pid and start time (microseconds), as text.
struct PgBackendId {
  std::string pid, start_us;
  bool operator==(const PgBackendId&) const = default;
};

class PgConn {
 public:
  struct Job {
    std::function<void(PGresult*)> on_result;  // each row or result (may be empty)
    std::function<void(bool ok, const std::string& error)> on_done;
    int64_t started_ms = 0;
    bool failed = false;
    std::string error;
  };
  // What the owner hears. Calls come from inside the connection's callbacks; the owner may send
  // more work from them.
  class Listener {
   public:
    virtual ~Listener() = default;
    // A failed attempt or a lost connection: counted and kept as the last error; `log` says
    // whether the owner logs it (the connection logged a failed connect itself).
    virtual void OnConnError(const std::string& why, bool log) = 0;
    // A writer was lost with work in flight: its PostgreSQL backend may still commit it.
    virtual void OnLostInFlight(const PgBackendId& backend) = 0;
    // The connection is ready for work.
    virtual void OnReady() = 0;
  };

  // `table`: the quoted table name (the statements are prepared on it).
  PgConn(EventLoop* loop, Host* host, Listener* listener, std::string name, std::string dsn,
         std::string table);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  bool ready() const { return state_ == State::kReady; }
  bool disconnected() const { return state_ == State::kDisconnected; }
  // When the next attempt is due (0: none scheduled).
  int64_t reconnect_at_ms() const { return reconnect_at_ms_; }
  size_t jobs_in_flight() const { return jobs_.size(); }
  const std::string& name() const { return name_; }
  PGconn* pg() { return conn_; }
  // A writer: when it is lost with work in flight, its PostgreSQL backend may still commit that
  // work later, so the backend must be seen gone before anything is written again.
  void set_fences_on_loss() { fences_on_loss_ = true; }
  // A large transfer went through (kRecycleBytes): once no work is in flight the connection is
  // opened again, to free libpq's buffers. Results that large are noticed here already.
  void RecycleWhenIdle() { recycle_ = true; }

  // Starts a connection attempt; `blocking_dns` (at shutdown, with the loop stopped) lets
  // libpq resolve.
  void Connect(bool blocking_dns = false);
  // Ends the statements sent since the last call as one job. `send_ok`: they all left.
  void EndJob(Job job, bool send_ok);
  // Reconnects when due; gives up on a job (after response_timeout_ms) or a connection attempt
  // (after 30 s) that hangs.
  void Tick(int64_t response_timeout_ms);
  // The exit waits for a commit: a lost connection tries again within `ms`, whatever its
  // backoff has grown to.
  void ReconnectWithin(int64_t ms);
  // At shutdown, with the loop stopped: waits up to timeout_ms for the socket and handles it.
  void DriveBlocking(int timeout_ms);

 private:
  enum class State { kDisconnected, kConnecting, kPreparing, kReady };

  // One entry of the DSN's host list, with its port, and the addresses a name resolved to.
  struct HostEntry {
    std::string host, port;
    bool lookup = false;  // a name to resolve (not an address or a socket directory)
    std::vector<std::string> addresses;
    std::string error;
  };
  struct Lookups;

  int64_t Now() const { return loop_->NowMs(); }
  std::vector<HostEntry> HostsToResolve() const;
  static void OnResolved(const std::shared_ptr<Lookups>& lookups, EventLoop::Lookup* request,
                         size_t index, std::vector<std::string> addresses,
                         const std::string& error);
  void CancelResolve();
  void ConnectTo(const std::vector<HostEntry>& hosts);
  void Close();
  void FailConnect(const std::string& why);
  void Watch(int events);
  void StopWatching();
  void Flush();
  void OnPoll(const std::string& error, int events);
  void ReadResults();
  void MaybeRecycle();
  void ContinueConnect();
  void Prepare();
  void Disconnect(const std::string& why);
  void ScheduleReconnect();

  EventLoop* loop_;
  Host* host_;
  Listener* listener_;
  std::string name_;
  std::string dsn_;
  std::string table_;
  PGconn* conn_ = nullptr;
  std::unique_ptr<EventLoop::FdWatch> watch_;
  int watch_fd_ = -1;
  int events_ = 0;
  State state_ = State::kDisconnected;
  std::deque<Job> jobs_;
  std::shared_ptr<Lookups> resolving_;  // host name lookups in flight
  PgBackendId backend_;                 // once ready
  bool fences_on_loss_ = false;
  bool recycle_ = false;      // RecycleWhenIdle
  bool down_logged_ = false;  // a loss or failed connect was logged, and no reconnection yet
  int64_t backoff_ms_ = 100;
  int64_t reconnect_at_ms_ = 0;
  int64_t connect_started_ms_ = 0;
};

}  // namespace dkv::persistence::postgres
