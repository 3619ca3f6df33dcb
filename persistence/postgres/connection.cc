#include "persistence/postgres/connection.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>

#include "persistence/postgres/pg_wire.h"
#include "persistence/postgres/schema.h"

namespace dkv::persistence::postgres {
namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

// The lookups of one connection attempt; the callbacks share it, so it lives until the last
// has run.
struct PgConn::Lookups {
  PgConn* conn;  // null once the connection gave up waiting
  std::vector<HostEntry> hosts;
  int pending = 0;
  std::vector<EventLoop::Lookup*> requests;
};

PgConn::PgConn(EventLoop* loop, Host* host, Listener* listener, std::string name, std::string dsn,
               std::string table)
    : loop_(loop),
      host_(host),
      listener_(listener),
      name_(std::move(name)),
      dsn_(std::move(dsn)),
      table_(std::move(table)) {}

PgConn::~PgConn() {
  CancelResolve();
  StopWatching();
  if (conn_ != nullptr) PQfinish(conn_);
}

void PgConn::Connect(bool blocking_dns) {
  reconnect_at_ms_ = 0;
  recycle_ = false;  // a new connection starts with small buffers
  state_ = State::kConnecting;
  connect_started_ms_ = Now();
  std::vector<HostEntry> hosts = blocking_dns ? std::vector<HostEntry>() : HostsToResolve();
  if (hosts.empty()) return ConnectTo({});
  auto lookups = std::make_shared<Lookups>();
  lookups->conn = this;
  lookups->hosts = std::move(hosts);
  for (size_t i = 0; i < lookups->hosts.size(); ++i) {
    if (!lookups->hosts[i].lookup) continue;
    // The request is known only once Resolve returns; the callback runs later, on the loop.
    auto request = std::make_shared<EventLoop::Lookup*>(nullptr);
    std::string error;
    EventLoop::Lookup* started = loop_->Resolve(
        lookups->hosts[i].host,
        [lookups, request, i](std::vector<std::string> addresses, const std::string& err) {
          OnResolved(lookups, *request, i, std::move(addresses), err);
        },
        &error);
    if (started == nullptr) {
      lookups->hosts[i].error = error;
      continue;
    }
    *request = started;
    lookups->requests.push_back(started);
    ++lookups->pending;
  }
  if (lookups->pending == 0) {
    std::vector<HostEntry> done = std::move(lookups->hosts);
    lookups->conn = nullptr;
    return ConnectTo(done);
  }
  resolving_ = lookups;
}

void PgConn::EndJob(Job job, bool send_ok) {
  job.started_ms = Now();
  jobs_.push_back(std::move(job));
  if (!send_ok || !PQpipelineSync(conn_)) {
    return Disconnect("sending to PostgreSQL failed: " + Trim(PQerrorMessage(conn_)));
  }
  Flush();
}

void PgConn::Tick(int64_t response_timeout_ms) {
  int64_t now = Now();
  constexpr int64_t kConnectDeadlineMs = 30000;
  if (state_ == State::kDisconnected) {
    if (reconnect_at_ms_ != 0 && now >= reconnect_at_ms_) Connect();
    return;
  }
  if (state_ == State::kConnecting && now - connect_started_ms_ > kConnectDeadlineMs) {
    return Disconnect("connecting took more than 30 seconds");
  }
  if (!jobs_.empty() && now - jobs_.front().started_ms > response_timeout_ms) {
    return Disconnect("no answer from PostgreSQL for " + std::to_string(response_timeout_ms) +
                      " ms (postgres.response-timeout)");
  }
}

void PgConn::ReconnectWithin(int64_t ms) {
  if (state_ == State::kDisconnected && reconnect_at_ms_ != 0) {
    reconnect_at_ms_ = std::min(reconnect_at_ms_, Now() + ms);
  }
}

void PgConn::DriveBlocking(int timeout_ms) {
  if (conn_ == nullptr) {
    // Disconnected, or waiting for a lookup that the stopped loop will not finish: connect
    // now, and let libpq resolve the host (blocking is fine while exiting).
    CancelResolve();
    Connect(/*blocking_dns=*/true);
    if (conn_ == nullptr) {
      usleep(static_cast<useconds_t>(timeout_ms) * 1000);
      return;
    }
  }
  struct pollfd p = {PQsocket(conn_), 0, 0};
  p.events = (events_ & EventLoop::kWritable) ? (POLLIN | POLLOUT) : POLLIN;
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  int ev = ((p.revents & (POLLIN | POLLERR | POLLHUP)) ? EventLoop::kReadable : 0) |
           ((p.revents & POLLOUT) ? EventLoop::kWritable : 0);
  OnPoll("", ev);
}

// The hosts of postgres.dsn (or PGHOST), paired with their ports, when at least one is a name
// to look up; empty when libpq needs no lookup (addresses, socket directories, a hostaddr
// given, or a service= entry, which libpq expands itself).
std::vector<PgConn::HostEntry> PgConn::HostsToResolve() const {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn_.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return {};
  }
  std::string host, hostaddr, port, service;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "hostaddr") == 0) hostaddr = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
    if (std::strcmp(o->keyword, "service") == 0) service = o->val;
  }
  PQconninfoFree(opts);
  if (host.empty() && std::getenv("PGHOST") != nullptr) host = std::getenv("PGHOST");
  if (port.empty() && std::getenv("PGPORT") != nullptr) port = std::getenv("PGPORT");
  if (!hostaddr.empty() || !service.empty() || host.empty()) return {};
  std::vector<std::string> names = SplitList(host);
  std::vector<std::string> ports = SplitList(port);
  // libpq: one port for every host, or one per host.
  if (ports.size() != 1 && ports.size() != names.size()) return {};
  std::vector<HostEntry> out;
  bool any = false;
  for (size_t i = 0; i < names.size(); ++i) {
    HostEntry e;
    e.host = names[i];
    e.port = ports.size() == 1 ? ports[0] : ports[i];
    unsigned char buf[sizeof(struct in6_addr)];
    e.lookup = !e.host.empty() && e.host[0] != '/' && e.host[0] != '@' &&
               inet_pton(AF_INET, e.host.c_str(), buf) != 1 &&
               inet_pton(AF_INET6, e.host.c_str(), buf) != 1;
    any = any || e.lookup;
    out.push_back(std::move(e));
  }
  return any ? out : std::vector<HostEntry>();
}

void PgConn::OnResolved(const std::shared_ptr<Lookups>& lookups, EventLoop::Lookup* request,
                        size_t index, std::vector<std::string> addresses,
                        const std::string& error) {
  HostEntry& entry = lookups->hosts[index];
  std::erase(lookups->requests, request);  // CancelResolve must not reach a finished request
  entry.addresses = std::move(addresses);
  entry.error = error;
  if (--lookups->pending > 0) return;
  PgConn* self = lookups->conn;
  if (self == nullptr) return;  // given up meanwhile
  std::vector<HostEntry> hosts = std::move(lookups->hosts);
  lookups->conn = nullptr;
  self->resolving_ = nullptr;
  self->ConnectTo(hosts);
}

void PgConn::CancelResolve() {
  if (resolving_ == nullptr) return;
  resolving_->conn = nullptr;
  std::vector<EventLoop::Lookup*> requests = resolving_->requests;
  for (EventLoop::Lookup* req : requests) req->Cancel();
  resolving_ = nullptr;
}

// PQconnectStart on the DSN; with `hosts`, each name is replaced by the addresses it resolved
// to, as hostaddr (the name repeated as many times: libpq pairs the lists, keeps the name for
// TLS and the password file, and tries each in turn), ports following their hosts. A name that
// resolved to nothing is left out; if nothing is left, the attempt fails.
void PgConn::ConnectTo(const std::vector<HostEntry>& hosts) {
  if (hosts.empty()) {
    conn_ = PQconnectStart(dsn_.c_str());
  } else {
    std::string host_list, addr_list, port_list, errors;
    size_t n = 0;
    auto add = [&](const HostEntry& e, const std::string& address) {
      host_list += (n == 0 ? "" : ",") + e.host;
      addr_list += (n == 0 ? "" : ",") + address;
      port_list += (n == 0 ? "" : ",") + e.port;
      ++n;
    };
    for (const HostEntry& e : hosts) {
      if (!e.lookup) {
        add(e, "");  // libpq uses the host itself (an address or a socket directory)
        continue;
      }
      if (e.addresses.empty()) {
        errors += (errors.empty() ? "" : "; ") + e.host + ": " +
                  (e.error.empty() ? "no address" : e.error);
      }
      for (const std::string& a : e.addresses) add(e, a);
    }
    if (n == 0) return FailConnect("resolving the host of postgres.dsn: " + errors);
    if (!errors.empty()) {
      Logf(*host_, LogLevel::kVerbose, "PostgreSQL connection %s: not resolved: %s", name_.c_str(),
           errors.c_str());
    }
    PQconninfoOption* opts = PQconninfoParse(dsn_.c_str(), nullptr);
    std::vector<const char*> keys, values;
    for (PQconninfoOption* o = opts; o != nullptr && o->keyword != nullptr; ++o) {
      if (o->val == nullptr || std::strcmp(o->keyword, "hostaddr") == 0 ||
          std::strcmp(o->keyword, "host") == 0 || std::strcmp(o->keyword, "port") == 0) {
        continue;
      }
      keys.push_back(o->keyword);
      values.push_back(o->val);
    }
    keys.push_back("host");
    values.push_back(host_list.c_str());
    keys.push_back("hostaddr");
    values.push_back(addr_list.c_str());
    bool any_port = false;
    for (const HostEntry& e : hosts) any_port = any_port || !e.port.empty();
    if (any_port) {
      keys.push_back("port");
      values.push_back(port_list.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
    PQconninfoFree(opts);
  }
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    return FailConnect(conn_ ? Trim(PQerrorMessage(conn_)) : "out of memory");
  }
  SetNoticeLog(conn_, host_);
  Watch(EventLoop::kWritable);
}

// Closes the libpq connection and its watch; the state is Disconnected.
void PgConn::Close() {
  StopWatching();
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::kDisconnected;
}

void PgConn::FailConnect(const std::string& why) {
  Close();
  // Every failed attempt counts (pg_errors); the log has the first of a series, and the
  // reconnection that ends it.
  if (!down_logged_) {
    Logf(*host_, LogLevel::kWarning,
         "PostgreSQL connection %s cannot connect (%s); retrying with backoff", name_.c_str(),
         why.c_str());
    down_logged_ = true;
  }
  listener_->OnConnError("connection " + name_ + ": " + why, /*log=*/false);
  ScheduleReconnect();
}

void PgConn::Watch(int events) {
  int fd = conn_ != nullptr ? PQsocket(conn_) : -1;
  if (fd < 0) return;
  if (watch_ != nullptr && watch_fd_ != fd) StopWatching();
  if (watch_ == nullptr) {
    watch_ = loop_->WatchFd(fd, [this](const std::string& error, int ev) { OnPoll(error, ev); });
    watch_fd_ = fd;
    events_ = 0;
  }
  if (events == events_) return;
  events_ = events;
  watch_->Start(events);
}

void PgConn::StopWatching() {
  if (watch_ == nullptr) return;
  watch_.reset();
  watch_fd_ = -1;
  events_ = 0;
}

void PgConn::Flush() {
  int rc = PQflush(conn_);
  if (rc < 0 || PQstatus(conn_) == CONNECTION_BAD) {
    return Disconnect(Trim(PQerrorMessage(conn_)));
  }
  Watch(rc == 1 ? (EventLoop::kReadable | EventLoop::kWritable) : EventLoop::kReadable);
}

void PgConn::OnPoll(const std::string& error, int events) {
  if (state_ == State::kConnecting) return ContinueConnect();
  if (state_ == State::kDisconnected) return;
  if (!error.empty()) return Disconnect(error);
  if (events & EventLoop::kWritable) {
    Flush();
    if (state_ == State::kDisconnected) return;
  }
  if (events & EventLoop::kReadable) {
    if (!PQconsumeInput(conn_) || PQstatus(conn_) == CONNECTION_BAD) {
      return Disconnect(Trim(PQerrorMessage(conn_)));
    }
    ReadResults();
  }
}

void PgConn::ReadResults() {
  std::vector<Job> done;
  while (!jobs_.empty() && !PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) continue;  // the end of one statement's results
    Job& job = jobs_.front();
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      done.push_back(std::move(job));
      jobs_.pop_front();
      continue;
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) {
      if (!job.failed && st == PGRES_FATAL_ERROR) job.error = Trim(PQresultErrorMessage(r));
      job.failed = true;
    } else if (job.on_result) {
      job.on_result(r);
    }
    if (PQresultMemorySize(r) >= kRecycleBytes) recycle_ = true;
    PQclear(r);
  }
  // Callbacks run once this connection's state is settled: they may send more work.
  for (Job& job : done) job.on_done(!job.failed, job.error);
  MaybeRecycle();
}

void PgConn::MaybeRecycle() {
  if (!recycle_ || state_ != State::kReady || !jobs_.empty()) return;
  recycle_ = false;
  Logf(*host_, LogLevel::kVerbose,
       "PostgreSQL connection %s: opened again to free the buffers of a large transfer",
       name_.c_str());
  Close();
  backend_ = {};  // nothing was in flight: no fence
  Connect();
}

void PgConn::ContinueConnect() {
  PostgresPollingStatusType st = PQconnectPoll(conn_);
  if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
    // libpq may have closed and reopened its socket (the next address of a host) under the
    // same number: the watch is made again so that the kernel watches the new one.
    StopWatching();
  }
  switch (st) {
    case PGRES_POLLING_READING:
      return Watch(EventLoop::kReadable);
    case PGRES_POLLING_WRITING:
      return Watch(EventLoop::kWritable);
    case PGRES_POLLING_OK:
      return Prepare();
    default:
      return FailConnect(Trim(PQerrorMessage(conn_)));
  }
}

void PgConn::Prepare() {
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    return Disconnect(Trim(PQerrorMessage(conn_)));
  }
  state_ = State::kPreparing;
  bool ok = SendPrepares(conn_, table_);
  // Who this connection's backend is (its pid and start, as pids are reused): a fence names it.
  ok = ok && PQsendQueryParams(conn_,
                               "SELECT pid, " DKV_BACKEND_START_US
                               " FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                               0, nullptr, nullptr, nullptr, nullptr, 0);
  backend_ = {};
  Job job;
  job.on_result = [this](PGresult* r) {
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 2) {
      backend_ = {PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)};
    }
  };
  job.on_done = [this](bool ok, const std::string& error) {
    if (!ok) return Disconnect("preparing statements: " + error);
    state_ = State::kReady;
    backoff_ms_ = 100;
    Logf(*host_, down_logged_ ? LogLevel::kNotice : LogLevel::kVerbose,
         "PostgreSQL connection %s ready", name_.c_str());
    down_logged_ = false;
    listener_->OnReady();
  };
  EndJob(std::move(job), ok);
}

void PgConn::Disconnect(const std::string& why) {
  if (state_ == State::kDisconnected) return;
  listener_->OnConnError("connection " + name_ + ": " + why, /*log=*/true);
  down_logged_ = true;  // logged: the reconnection is too
  CancelResolve();
  Close();
  std::deque<Job> lost;
  lost.swap(jobs_);
  if (fences_on_loss_ && !lost.empty() && !backend_.pid.empty()) {
    listener_->OnLostInFlight(backend_);
  }
  backend_ = {};
  ScheduleReconnect();
  for (Job& job : lost) job.on_done(false, "connection lost: " + why);
}

void PgConn::ScheduleReconnect() {
  static std::mt19937_64 rng(std::random_device{}());
  int64_t delay =
      backoff_ms_ / 2 +
      static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, backoff_ms_)));
  backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ * 2);
  reconnect_at_ms_ = Now() + delay;
}

}  // namespace dkv::persistence::postgres
