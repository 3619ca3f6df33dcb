#include "src/postgres_backend.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "engine/keyspace.h"
#include "src/log.h"
#include "src/server_state.h"

namespace dkv::server {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int64_t kMaxBackoffMs = 10000;
// A backend's start time in pg_stat_activity, as microseconds: with its pid, what names it.
#define DKV_BACKEND_START_US "(extract(epoch FROM backend_start) * 1000000)::bigint"

uint64_t ReadBigEndian(const char* p, int len) {
  uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// postgres.dsn as the log shows it: the options given, the password masked.
std::string DsnForLog(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return "(not a valid connection string)";
  }
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    out += (out.empty() ? "" : " ") + std::string(o->keyword) + "=" +
           (std::strcmp(o->keyword, "password") == 0 ? "***" : o->val);
  }
  PQconninfoFree(opts);
  return out;
}

// libpq's messages end in a newline and may span lines: one line for the log and INFO.
std::string Trim(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The smallest byte string greater than every string starting with `prefix`; "" when there is
// none (the prefix is all 0xFF bytes).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xFF) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

// jsonb holds no NUL character: one in a user field or content type becomes U+FFFD (documented
// with the other jsonb replacements), so that no row can fail every batch it is in.
std::string NoNul(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

// The row's meta column: content type, user fields (in order), raw encoding, access time, LFU.
std::string MetaJson(engine::Keyspace& ks, const engine::Database& db, const engine::Entry& e) {
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  if (e.content_type() != 0) {
    meta["content_type"] = NoNul(ks.content_types().Name(e.content_type()));
  }
  if (e.has_fields()) {
    if (const engine::UserFields* fields = db.Fields(&e)) {
      nlohmann::ordered_json f = nlohmann::ordered_json::object();
      for (const auto& [name, value] : *fields) f[NoNul(name)] = NoNul(value);
      meta["fields"] = f;
    }
  }
  if (e.raw_encoding()) meta["raw"] = true;
  // Omitted when it equals updated_at (a write just made): the load reads it from there.
  if (e.accessed_ms() != e.updated_ms()) meta["accessed_at"] = e.accessed_ms();
  if (e.lfu_counter() != engine::kLfuInitialValue) meta["lfu"] = e.lfu_counter();
  // Invalid UTF-8 in a field cannot be stored in jsonb: it is replaced (documented).
  return meta.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// PostgreSQL's notices ("relation already exists, skipping") go to the log at verbose level.
void OnNotice(void*, const char* message) {
  Log(LogLevel::kVerbose, "PostgreSQL: %s", Trim(message).c_str());
}

// Rows per array statement, and bytes of keys and values after which a statement is sent.
constexpr size_t kChunkRows = 10000;
constexpr size_t kChunkBytes = 8u << 20;
// libpq keeps a connection's buffers at the size of the largest transfer (doubled as they grow),
// and they count in used_memory: after a batch or a result of this size the connection is
// closed and opened again once idle, which frees them.
constexpr size_t kRecycleBytes = 8u << 20;
// Element types of PostgreSQL's binary array format (pg_type OIDs).
constexpr uint32_t kTextOid = 25, kByteaOid = 17, kInt2Oid = 21, kInt8Oid = 20, kJsonbOid = 3802,
                   kTimestamptzOid = 1184;
// timestamptz's binary form: microseconds since 2000-01-01T00:00:00Z.
constexpr int64_t kPgEpochMs = 946684800000LL;

void PutBigEndian(std::string* out, uint64_t v, int len) {
  for (int i = len - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

// A one-dimensional array parameter in PostgreSQL's binary format: ndim, flags, element type,
// length, lower bound, then each element as a 4-byte length and its bytes (all big-endian).
class ArrayParam {
 public:
  explicit ArrayParam(uint32_t oid) : oid_(oid) {}
  void Add(std::string_view bytes) {
    PutBigEndian(&elements_, bytes.size(), 4);
    elements_.append(bytes);
    ++count_;
  }
  void AddInt16(int16_t v) {
    PutBigEndian(&elements_, 2, 4);
    PutBigEndian(&elements_, static_cast<uint16_t>(v), 2);
    ++count_;
  }
  void AddInt64(int64_t v) {
    PutBigEndian(&elements_, 8, 4);
    PutBigEndian(&elements_, static_cast<uint64_t>(v), 8);
    ++count_;
  }
  // A timestamp in unix milliseconds; 0 is NULL (no expiry).
  void AddTimestamp(int64_t unix_ms) {
    if (unix_ms == 0) {
      PutBigEndian(&elements_, 0xFFFFFFFFu, 4);  // length -1: NULL
      has_null_ = true;
    } else {
      PutBigEndian(&elements_, 8, 4);
      PutBigEndian(&elements_, static_cast<uint64_t>((unix_ms - kPgEpochMs) * 1000), 8);
    }
    ++count_;
  }
  void AddJsonb(std::string_view json) {  // jsonb's binary input: version 1, then the text
    PutBigEndian(&elements_, json.size() + 1, 4);
    elements_.push_back(1);
    elements_.append(json);
    ++count_;
  }
  size_t count() const { return count_; }
  size_t bytes() const { return elements_.size(); }
  // The whole parameter; the array is emptied for the next chunk.
  std::string Take() {
    std::string out;
    out.reserve(20 + elements_.size());
    PutBigEndian(&out, 1, 4);
    PutBigEndian(&out, has_null_ ? 1 : 0, 4);
    PutBigEndian(&out, oid_, 4);
    PutBigEndian(&out, count_, 4);
    PutBigEndian(&out, 1, 4);
    out += elements_;
    elements_.clear();
    count_ = 0;
    has_null_ = false;
    return out;
  }

 private:
  uint32_t oid_;
  std::string elements_;
  size_t count_ = 0;
  bool has_null_ = false;
};

namespace {

// Sends one prepared statement whose parameters are arrays (a batch's rows). Returns false when
// it could not be queued.
bool SendArrays(PGconn* conn, const char* statement, ArrayParam** params, int n) {
  std::vector<std::string> data;
  data.reserve(static_cast<size_t>(n));
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (int i = 0; i < n; ++i) {
    data.push_back(params[i]->Take());
    values.push_back(data.back().data());
    lengths.push_back(static_cast<int>(data.back().size()));
    formats.push_back(1);
  }
  return PQsendQueryPrepared(conn, statement, n, values.data(), lengths.data(), formats.data(),
                             1) == 1;
}

// The arrays of one multi-row statement over key states: the upsert (every column) or, for keys
// whose value is in PostgreSQL only, the metadata update (every column but the value).
class RowArrays {
 public:
  explicit RowArrays(bool with_value)
      : with_value_(with_value), statement_(with_value ? "dkv_upsert" : "dkv_update_meta") {}
  size_t count() const { return ns_.count(); }
  bool Full() const {
    return value_.bytes() + key_.bytes() >= kChunkBytes || ns_.count() >= kChunkRows;
  }
  void Add(engine::Keyspace& ks, const engine::Database& db, const std::string& ns,
           std::string_view key, const engine::Entry& e) {
    ns_.Add(ns);
    key_.Add(key);
    if (with_value_) value_.Add(e.value());
    type_.AddInt16(static_cast<int16_t>(e.type()));
    meta_.AddJsonb(MetaJson(ks, db, e));
    version_.AddInt64(e.version());
    expires_.AddTimestamp(db.ExpireAt(&e));
    created_.AddTimestamp(e.created_ms());
    updated_.AddTimestamp(e.updated_ms());
  }
  // Sends what was added (nothing when empty); false when it could not be queued.
  bool Send(PGconn* conn) {
    if (ns_.count() == 0) return true;
    ArrayParam* all[] = {&ns_,      &key_,     &value_,   &type_,   &meta_,
                         &version_, &expires_, &created_, &updated_};
    ArrayParam* without_value[] = {&ns_,      &key_,     &type_,    &meta_,
                                   &version_, &expires_, &created_, &updated_};
    return with_value_ ? SendArrays(conn, statement_, all, 9)
                       : SendArrays(conn, statement_, without_value, 8);
  }

 private:
  bool with_value_;
  const char* statement_;
  ArrayParam ns_{kTextOid}, key_{kByteaOid}, value_{kByteaOid}, type_{kInt2Oid}, meta_{kJsonbOid},
      version_{kInt8Oid}, expires_{kTimestamptzOid}, created_{kTimestamptzOid},
      updated_{kTimestamptzOid};
};

}  // namespace

// One libpq connection in non-blocking pipeline mode, its socket watched by uv_poll. Work is
// sent as jobs: the statements sent since the last job, ended by a pipeline sync, so that each
// job is one transaction whose results come back in order. A lost connection fails every job in
// flight (their owners queue the work again) and reconnects with backoff (100 ms doubling to
// 10 s, with jitter). Loop thread only.
class PgConn {
 public:
  struct Job {
    std::function<void(PGresult*)> on_result;  // each row or result (may be empty)
    std::function<void(bool ok, const std::string& error)> on_done;
    int64_t started_ms = 0;
    bool failed = false;
    std::string error;
  };

  PgConn(PostgresBackend* owner, uv_loop_t* loop, std::string name)
      : owner_(owner), loop_(loop), name_(std::move(name)) {}
  ~PgConn() {
    CancelResolve();
    StopWatching();
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  bool ready() const { return state_ == State::kReady; }
  PGconn* pg() { return conn_; }
  // A writer: when it is lost with work in flight, its PostgreSQL backend may still commit that
  // work later, so the backend must be seen gone before anything is written again (AddFence).
  void set_fences_on_loss() { fences_on_loss_ = true; }
  // A large transfer went through (kRecycleBytes): once no work is in flight the connection is
  // opened again, to free libpq's buffers. Results that large are noticed here already.
  void RecycleWhenIdle() { recycle_ = true; }

  // Starts a connection attempt. Host names are resolved first on libuv's thread pool
  // (uv_getaddrinfo, every name of a host list at once), then libpq connects to the addresses
  // (hostaddr), so that no DNS lookup blocks the loop; `blocking_dns` (at shutdown, with the
  // loop stopped) lets libpq resolve.
  void Connect(bool blocking_dns = false) {
    reconnect_at_ms_ = 0;
    recycle_ = false;  // a new connection starts with small buffers
    state_ = State::kConnecting;
    connect_started_ms_ = Now();
    std::vector<HostEntry> hosts = blocking_dns ? std::vector<HostEntry>() : HostsToResolve();
    if (hosts.empty()) return ConnectTo({});
    auto* lookup = new Lookup{this, std::move(hosts), 0, {}};
    struct addrinfo hints = {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    for (size_t i = 0; i < lookup->hosts.size(); ++i) {
      if (!lookup->hosts[i].lookup) continue;
      auto* req = new LookupRequest{{}, lookup, i};
      req->req.data = req;
      int rc = uv_getaddrinfo(loop_, &req->req, OnResolved, lookup->hosts[i].host.c_str(), nullptr,
                              &hints);
      if (rc != 0) {
        delete req;
        lookup->hosts[i].error = uv_strerror(rc);
        continue;
      }
      lookup->requests.push_back(&req->req);
      ++lookup->pending;
    }
    if (lookup->pending == 0) {
      std::vector<HostEntry> done = std::move(lookup->hosts);
      delete lookup;
      return ConnectTo(done);
    }
    resolving_ = lookup;
  }

  // Ends the statements sent since the last call as one job. `send_ok`: they all left.
  void EndJob(Job job, bool send_ok) {
    job.started_ms = Now();
    jobs_.push_back(std::move(job));
    if (!send_ok || !PQpipelineSync(conn_)) {
      return Disconnect("sending to PostgreSQL failed: " + Trim(PQerrorMessage(conn_)));
    }
    Flush();
  }

  // Reconnects when due; gives up on a job or a connection attempt that hangs.
  void Tick() {
    int64_t now = Now();
    const int64_t job_deadline_ms = owner_->state_->config.postgres_response_timeout;
    constexpr int64_t kConnectDeadlineMs = 30000;
    if (state_ == State::kDisconnected) {
      if (reconnect_at_ms_ != 0 && now >= reconnect_at_ms_) Connect();
      return;
    }
    if (state_ == State::kConnecting && now - connect_started_ms_ > kConnectDeadlineMs) {
      return Disconnect("connecting took more than 30 seconds");
    }
    if (!jobs_.empty() && now - jobs_.front().started_ms > job_deadline_ms) {
      return Disconnect("no answer from PostgreSQL for " + std::to_string(job_deadline_ms) +
                        " ms (postgres.response-timeout)");
    }
  }

  // The exit waits for a commit (PostgresBackend::set_draining): a lost connection tries again
  // within `ms`, whatever its backoff has grown to.
  void ReconnectWithin(int64_t ms) {
    if (state_ == State::kDisconnected && reconnect_at_ms_ != 0) {
      reconnect_at_ms_ = std::min(reconnect_at_ms_, Now() + ms);
    }
  }

  // At shutdown, with the loop stopped: waits up to timeout_ms for the socket and handles it.
  void DriveBlocking(int timeout_ms) {
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
    p.events = (events_ & UV_WRITABLE) ? (POLLIN | POLLOUT) : POLLIN;
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    int ev = ((p.revents & (POLLIN | POLLERR | POLLHUP)) ? UV_READABLE : 0) |
             ((p.revents & POLLOUT) ? UV_WRITABLE : 0);
    OnPoll(0, ev);
  }

 private:
  enum class State { kDisconnected, kConnecting, kPreparing, kReady };

  int64_t Now() const { return owner_->state_->clock->NowMs(); }

  // One entry of the DSN's host list, with its port, and the addresses a name resolved to.
  struct HostEntry {
    std::string host, port;
    bool lookup = false;  // a name to resolve (not an address or a socket directory)
    std::vector<std::string> addresses;
    std::string error;
  };
  struct Lookup {
    PgConn* conn;  // null once the connection gave up waiting
    std::vector<HostEntry> hosts;
    int pending;
    std::vector<uv_getaddrinfo_t*> requests;
  };
  struct LookupRequest {
    uv_getaddrinfo_t req;
    Lookup* lookup;
    size_t index;
  };

  static std::vector<std::string> SplitList(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
      size_t comma = s.find(',', start);
      out.push_back(
          s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) return out;
      start = comma + 1;
    }
  }

  // The hosts of postgres.dsn (or PGHOST), paired with their ports, when at least one is a
  // name to look up; empty when libpq needs no lookup (addresses, socket directories, a
  // hostaddr given, or a service= entry, which libpq expands itself).
  std::vector<HostEntry> HostsToResolve() const {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(owner_->state_->config.postgres_dsn.c_str(), &err);
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

  static void OnResolved(uv_getaddrinfo_t* uv_req, int status, struct addrinfo* res) {
    auto* req = static_cast<LookupRequest*>(uv_req->data);
    Lookup* lookup = req->lookup;
    HostEntry& entry = lookup->hosts[req->index];
    std::erase(lookup->requests, uv_req);  // CancelResolve must not reach a freed request
    delete req;
    // Every address, in the resolver's order, as libpq would try them.
    for (struct addrinfo* a = status == 0 ? res : nullptr; a != nullptr; a = a->ai_next) {
      char ip[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(a->ai_addr), ip, sizeof(ip));
      } else if (a->ai_family == AF_INET6) {
        uv_ip6_name(reinterpret_cast<const struct sockaddr_in6*>(a->ai_addr), ip, sizeof(ip));
      } else {
        continue;
      }
      if (std::find(entry.addresses.begin(), entry.addresses.end(), ip) == entry.addresses.end() &&
          entry.addresses.size() < 8) {
        entry.addresses.emplace_back(ip);
      }
    }
    if (status < 0) entry.error = uv_strerror(status);
    uv_freeaddrinfo(res);
    if (--lookup->pending > 0) return;
    PgConn* self = lookup->conn;
    std::vector<HostEntry> hosts = std::move(lookup->hosts);
    delete lookup;
    if (self == nullptr) return;  // given up meanwhile
    self->resolving_ = nullptr;
    self->ConnectTo(hosts);
  }

  void CancelResolve() {
    if (resolving_ == nullptr) return;
    resolving_->conn = nullptr;  // the last callback frees it
    for (uv_getaddrinfo_t* req : resolving_->requests) {
      uv_cancel(reinterpret_cast<uv_req_t*>(req));
    }
    resolving_ = nullptr;
  }

  // PQconnectStart on the DSN; with `hosts`, each name is replaced by the addresses it resolved
  // to, as hostaddr (the name repeated as many times: libpq pairs the lists, keeps the name for
  // TLS and the password file, and tries each in turn), ports following their hosts. A name
  // that resolved to nothing is left out; if nothing is left, the attempt fails.
  void ConnectTo(const std::vector<HostEntry>& hosts) {
    const std::string& dsn = owner_->state_->config.postgres_dsn;
    if (hosts.empty()) {
      conn_ = PQconnectStart(dsn.c_str());
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
        Log(LogLevel::kVerbose, "PostgreSQL connection %s: not resolved: %s", name_.c_str(),
            errors.c_str());
      }
      PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), nullptr);
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
    PQsetNoticeProcessor(conn_, OnNotice, nullptr);
    Watch(UV_WRITABLE);
  }

  // Closes the libpq connection and its watch; the state is Disconnected.
  void Close() {
    StopWatching();
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    state_ = State::kDisconnected;
  }

  void FailConnect(const std::string& why) {
    Close();
    // Every failed attempt counts (pg_errors); the log has the first of a series, and the
    // reconnection that ends it.
    if (!down_logged_) {
      Log(LogLevel::kWarning, "PostgreSQL connection %s cannot connect (%s); retrying with backoff",
          name_.c_str(), why.c_str());
      down_logged_ = true;
    }
    owner_->OnConnError("connection " + name_ + ": " + why, /*log=*/false);
    ScheduleReconnect();
  }

  void Watch(int events) {
    int fd = conn_ != nullptr ? PQsocket(conn_) : -1;
    if (fd < 0) return;
    if (poll_ != nullptr && poll_fd_ != fd) StopWatching();
    if (poll_ == nullptr) {
      poll_ = new uv_poll_t;
      uv_poll_init(loop_, poll_, fd);
      poll_->data = this;
      poll_fd_ = fd;
      events_ = 0;
    }
    if (events == events_) return;
    events_ = events;
    uv_poll_start(poll_, events, [](uv_poll_t* h, int status, int ev) {
      static_cast<PgConn*>(h->data)->OnPoll(status, ev);
    });
  }

  void StopWatching() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    poll_fd_ = -1;
    events_ = 0;
  }

  void Flush() {
    int rc = PQflush(conn_);
    if (rc < 0 || PQstatus(conn_) == CONNECTION_BAD) {
      return Disconnect(Trim(PQerrorMessage(conn_)));
    }
    Watch(rc == 1 ? (UV_READABLE | UV_WRITABLE) : UV_READABLE);
  }

  void OnPoll(int status, int events) {
    if (state_ == State::kConnecting) return ContinueConnect();
    if (state_ == State::kDisconnected) return;
    if (status < 0) return Disconnect(uv_strerror(status));
    if (events & UV_WRITABLE) {
      Flush();
      if (state_ == State::kDisconnected) return;
    }
    if (events & UV_READABLE) {
      if (!PQconsumeInput(conn_) || PQstatus(conn_) == CONNECTION_BAD) {
        return Disconnect(Trim(PQerrorMessage(conn_)));
      }
      ReadResults();
    }
  }

  void ReadResults() {
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

  void MaybeRecycle() {
    if (!recycle_ || state_ != State::kReady || !jobs_.empty()) return;
    recycle_ = false;
    Log(LogLevel::kVerbose,
        "PostgreSQL connection %s: opened again to free the buffers of a large transfer",
        name_.c_str());
    Close();
    backend_ = {};  // nothing was in flight: no fence
    Connect();
  }

  void ContinueConnect() {
    PostgresPollingStatusType st = PQconnectPoll(conn_);
    if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
      // libpq may have closed and reopened its socket (the next address of a host) under the
      // same number: the poll handle is made again so that the kernel watches the new one.
      StopWatching();
    }
    switch (st) {
      case PGRES_POLLING_READING:
        return Watch(UV_READABLE);
      case PGRES_POLLING_WRITING:
        return Watch(UV_WRITABLE);
      case PGRES_POLLING_OK:
        return Prepare();
      default:
        return FailConnect(Trim(PQerrorMessage(conn_)));
    }
  }

  void Prepare() {
    if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
      return Disconnect(Trim(PQerrorMessage(conn_)));
    }
    state_ = State::kPreparing;
    bool ok = PostgresBackend::SendPrepares(conn_, owner_->Table());
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
      Log(down_logged_ ? LogLevel::kNotice : LogLevel::kVerbose, "PostgreSQL connection %s ready",
          name_.c_str());
      down_logged_ = false;
      owner_->MaybeFlush();
    };
    EndJob(std::move(job), ok);
  }

  void Disconnect(const std::string& why) {
    if (state_ == State::kDisconnected) return;
    owner_->OnConnError("connection " + name_ + ": " + why);
    down_logged_ = true;  // logged: the reconnection is too
    CancelResolve();
    Close();
    std::deque<Job> lost;
    lost.swap(jobs_);
    if (fences_on_loss_ && !lost.empty() && !backend_.pid.empty()) owner_->AddFence(backend_);
    backend_ = {};
    ScheduleReconnect();
    for (Job& job : lost) job.on_done(false, "connection lost: " + why);
  }

  void ScheduleReconnect() {
    static std::mt19937_64 rng(std::random_device{}());
    int64_t delay =
        backoff_ms_ / 2 +
        static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, backoff_ms_)));
    backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ * 2);
    reconnect_at_ms_ = Now() + delay;
  }

  PostgresBackend* owner_;
  uv_loop_t* loop_;
  std::string name_;
  PGconn* conn_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  int poll_fd_ = -1;
  int events_ = 0;
  State state_ = State::kDisconnected;
  std::deque<Job> jobs_;
  Lookup* resolving_ = nullptr;  // host name lookups in flight
  PgBackendId backend_;          // once ready
  bool fences_on_loss_ = false;
  bool recycle_ = false;      // RecycleWhenIdle
  bool down_logged_ = false;  // a loss or failed connect was logged, and no reconnection yet
  int64_t backoff_ms_ = 100;
  int64_t reconnect_at_ms_ = 0;
  int64_t connect_started_ms_ = 0;
};

PostgresBackend::PostgresBackend(ServerState* state, uv_loop_t* loop)
    : state_(state), loop_(loop) {}

PostgresBackend::~PostgresBackend() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
  if (conn_ != nullptr) PQfinish(conn_);
  writers_.clear();
  reader_.reset();
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

bool PostgresBackend::sync() const { return state_->config.postgres_durability == "sync"; }

bool PostgresBackend::QueueFull() const {
  return static_cast<int64_t>(queued()) >= state_->config.postgres_queue_bound;
}

bool PostgresBackend::connected() const {
  if (writers_.empty()) return conn_ != nullptr && !load_failed_;  // still loading
  return connections_ready() > 0;
}

int PostgresBackend::connections_ready() const {
  int n = 0;
  for (const auto& w : writers_) n += w->ready() ? 1 : 0;
  return n;
}

std::string PostgresBackend::Table() const {
  // Quoted identifier; the config accepts letters, digits and '_' only.
  return "\"" + state_->config.postgres_table + "\"";
}

bool PostgresBackend::Exec(const std::string& sql, std::string* error) {
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) *error = Trim(PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}
std::string PostgresBackend::CreateSchema() {
  std::string t = Table();
  std::string version_table = "\"" + state_->config.postgres_table + "_schema\"";
  std::string err;
  const std::string statements[] = {
      "CREATE TABLE IF NOT EXISTS " + t +
          " (ns text COLLATE \"C\" NOT NULL, key bytea NOT NULL, value bytea NOT NULL, "
          "value_type smallint NOT NULL, meta jsonb NOT NULL DEFAULT '{}', version bigint NOT "
          "NULL, expires_at timestamptz, created_at timestamptz NOT NULL, updated_at timestamptz "
          "NOT NULL, PRIMARY KEY (ns, key))",
      "CREATE INDEX IF NOT EXISTS \"" + state_->config.postgres_table + "_expires\" ON " + t +
          " (expires_at) WHERE expires_at IS NOT NULL",
      "CREATE TABLE IF NOT EXISTS " + version_table + " (version integer NOT NULL)",
      "INSERT INTO " + version_table + " SELECT " + std::to_string(kSchemaVersion) +
          " WHERE NOT EXISTS (SELECT 1 FROM " + version_table + ")",
  };
  // A role without CREATE rights may use tables made for it: create only what is missing.
  PGresult* exists =
      PQexec(conn_, ("SELECT to_regclass('" + t + "') IS NOT NULL AND to_regclass('" +
                     version_table + "') IS NOT NULL")
                        .c_str());
  bool present = PQresultStatus(exists) == PGRES_TUPLES_OK && PQntuples(exists) == 1 &&
                 std::string(PQgetvalue(exists, 0, 0)) == "t";
  PQclear(exists);
  for (const std::string& sql : statements) {
    if (!present && !Exec(sql, &err)) return "creating the schema: " + err;
  }
  PGresult* r = PQexec(conn_, ("SELECT max(version) FROM " + version_table).c_str());
  int version = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                    ? std::atoi(PQgetvalue(r, 0, 0))
                    : -1;
  PQclear(r);
  if (version != kSchemaVersion) {
    return "table " + state_->config.postgres_table + " has schema version " +
           std::to_string(version) + "; this server uses version " + std::to_string(kSchemaVersion);
  }
  // A table made by hand must have the unique key the upsert names (ON CONFLICT (ns, key)):
  // without it every batch would fail and writes wait for ever.
  PGresult* keyed = PQexec(
      conn_,
      ("SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass('" + t +
       "') AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND "
       "i.indnatts = 2 AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) "
       "FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])) "
       "= ARRAY['key', 'ns'])")
          .c_str());
  bool has_key = PQresultStatus(keyed) == PGRES_TUPLES_OK && PQntuples(keyed) == 1 &&
                 std::string(PQgetvalue(keyed, 0, 0)) == "t";
  std::string why =
      PQresultStatus(keyed) == PGRES_TUPLES_OK ? "" : Trim(PQresultErrorMessage(keyed));
  PQclear(keyed);
  if (!has_key) {
    return "table " + state_->config.postgres_table +
           " has no primary key or unique index on (ns, key), which dkv's upsert needs" +
           (why.empty() ? "" : " (" + why + ")") +
           "; see docs/persistence.md, Schema, for the table dkv creates";
  }
  return "";
}

std::string PostgresBackend::StartLoad() {
  // With the cache tier on, only keys and metadata come in (the value's size stands for it);
  // values are read back when a command needs them.
  std::string sql = std::string("SELECT ns, key, ") +
                    (cache_tier_ ? "octet_length(value)::bigint" : "value") +
                    ", value_type, meta::text, version, "
                    "COALESCE((extract(epoch FROM expires_at) * 1000)::bigint, 0), "
                    "(extract(epoch FROM created_at) * 1000)::bigint, "
                    "(extract(epoch FROM updated_at) * 1000)::bigint FROM " +
                    Table() + " WHERE expires_at IS NULL OR expires_at > now()";
  if (PQsetnonblocking(conn_, 1) != 0 ||
      !PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) ||
      !PQsetSingleRowMode(conn_)) {
    return Trim(PQerrorMessage(conn_));
  }
  // The query is short; the loop is not running yet, so it may wait for the socket here.
  int flushed;
  while ((flushed = PQflush(conn_)) == 1) {
    struct pollfd p = {PQsocket(conn_), POLLOUT, 0};
    ::poll(&p, 1, 1000);
  }
  if (flushed < 0) return Trim(PQerrorMessage(conn_));
  loading_ = true;
  load_error_.clear();
  state_->loading = true;
  return "";
}

void PostgresBackend::LoadRow(PGresult* r) {
  engine::Keyspace& ks = state_->keyspace;
  std::string ns(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
  int index = ks.FindOrCreateNamespace(ns, state_->config.max_namespaces);
  if (index < 0) {
    load_error_ = "namespace '" + ns + "' does not fit this server";
    return;
  }
  std::string_view key(PQgetvalue(r, 0, 1), static_cast<size_t>(PQgetlength(r, 0, 1)));
  std::string_view value(PQgetvalue(r, 0, 2), static_cast<size_t>(PQgetlength(r, 0, 2)));
  engine::EntryMeta meta;
  meta.type = static_cast<engine::ValueType>(ReadBigEndian(PQgetvalue(r, 0, 3), 2) & 7);
  meta.version = static_cast<uint32_t>(ReadBigEndian(PQgetvalue(r, 0, 5), 8));
  int64_t expire = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, 0, 6), 8));
  meta.created_ms = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, 0, 7), 8));
  meta.updated_ms = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, 0, 8), 8));
  meta.accessed_ms = meta.updated_ms;
  engine::UserFields fields;
  auto j = nlohmann::json::parse(PQgetvalue(r, 0, 4), nullptr, false);
  if (j.is_object()) {
    if (j.contains("content_type") && j["content_type"].is_string()) {
      meta.content_type =
          ks.content_types().Intern(j["content_type"].get<std::string>()).value_or(0);
    }
    if (j.contains("raw")) meta.raw_encoding = j["raw"].is_boolean() && j["raw"].get<bool>();
    if (j.contains("accessed_at") && j["accessed_at"].is_number_integer()) {
      meta.accessed_ms = j["accessed_at"].get<int64_t>();
    }
    if (j.contains("lfu") && j["lfu"].is_number_integer()) {
      meta.lfu = static_cast<uint8_t>(j["lfu"].get<int>());
    }
    if (j.contains("fields") && j["fields"].is_object()) {
      for (auto& [k, v] : j["fields"].items()) {
        if (v.is_string()) fields.emplace_back(k, v.get<std::string>());
      }
    }
  }
  engine::Database& db = ks.db(index);
  if (db.FindRaw(key) == nullptr) {
    engine::Entry* e = cache_tier_ ? db.RestoreCold(key, ReadBigEndian(value.data(), 8), meta)
                                   : db.Restore(key, value, meta);
    if (expire != 0) db.SetExpire(e, expire);
    if (!fields.empty()) db.SetFields(e, fields);
    status_.keys_loaded++;
  }
}

void PostgresBackend::ContinueLoad() {
  if (!PQconsumeInput(conn_)) {
    return FailLoad(Trim(PQerrorMessage(conn_)));
  }
  state_->keyspace.RefreshTime();
  // Rows are taken as they arrive; the loop serves clients (-LOADING) between reads.
  while (!PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      // The query is over.
      if (!load_error_.empty()) return FailLoad(load_error_);
      loading_ = false;
      state_->loading = false;
      status_.load_ms = (state_->clock->NowUs() - load_started_us_) / 1000;
      Log(LogLevel::kNotice, "Loaded %llu keys%s from PostgreSQL table %s in %.3f seconds",
          static_cast<unsigned long long>(status_.keys_loaded),
          cache_tier_ ? " (values stay in PostgreSQL until read)" : "",
          state_->config.postgres_table.c_str(), static_cast<double>(status_.load_ms) / 1000.0);
      return StartPool();
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      if (load_error_.empty()) LoadRow(r);
    } else if (st != PGRES_TUPLES_OK && load_error_.empty()) {
      load_error_ = Trim(PQresultErrorMessage(r));
    }
    PQclear(r);
  }
}

void PostgresBackend::FailLoad(const std::string& why) {
  // The keyspace is incomplete: serving it, or writing it back, would lose data. The server
  // stops, as when PostgreSQL cannot be reached at start.
  Log(LogLevel::kWarning, "PostgreSQL: loading the rows failed: %s; the server stops", why.c_str());
  loading_ = false;
  load_failed_ = true;
  if (poll_ != nullptr) uv_poll_stop(poll_);
  state_->exit_code = 1;
  if (state_->hooks != nullptr) state_->hooks->RequestShutdown();
}

void PostgresBackend::OnLoadPoll(int status) {
  if (!loading_) return;
  if (status < 0) return FailLoad(uv_strerror(status));
  ContinueLoad();
}

void PostgresBackend::StartPool() {
  // The load's connection is done; the pool connects on the loop.
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  PQfinish(conn_);
  conn_ = nullptr;
  const int64_t n = std::max<int64_t>(1, state_->config.postgres_pool_size);
  for (int64_t i = 0; i < n; ++i) {
    writers_.push_back(std::make_unique<PgConn>(this, loop_, "w" + std::to_string(i + 1)));
    writers_.back()->set_fences_on_loss();
    writer_batch_.emplace_back();
  }
  reader_ = std::make_unique<PgConn>(this, loop_, "r");
  for (auto& w : writers_) w->Connect();
  reader_->Connect();
}

bool PostgresBackend::SendPrepares(PGconn* conn, const std::string& t) {
  const std::pair<const char*, std::string> statements[] = {
      {"dkv_upsert",
       "INSERT INTO " + t +
           " (ns, key, value, value_type, meta, version, expires_at, created_at, updated_at) "
           "SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::smallint[], "
           "$5::jsonb[], $6::bigint[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[]) "
           "AS u(ns, key, value, vt, meta, ver, exp, cr, up) "
           "ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value, value_type = "
           "EXCLUDED.value_type, meta = EXCLUDED.meta, version = EXCLUDED.version, expires_at = "
           "EXCLUDED.expires_at, created_at = EXCLUDED.created_at, updated_at = "
           "EXCLUDED.updated_at"},
      // Keys whose value is only in PostgreSQL (cold) and whose metadata changed.
      {"dkv_update_meta",
       "UPDATE " + t +
           " AS t SET value_type = u.vt, meta = u.meta, version = u.ver, expires_at = u.exp, "
           "created_at = u.cr, updated_at = u.up "
           "FROM unnest($1::text[], $2::bytea[], $3::smallint[], $4::jsonb[], $5::bigint[], "
           "$6::timestamptz[], $7::timestamptz[], $8::timestamptz[]) "
           "AS u(ns, key, vt, meta, ver, exp, cr, up) "
           "WHERE t.ns = u.ns AND t.key = u.key"},
      {"dkv_delete",
       "DELETE FROM " + t + " WHERE (ns, key) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))"},
      {"dkv_delete_range", "DELETE FROM " + t + " WHERE ns = $1 AND key >= $2 AND key < $3"},
      {"dkv_delete_from", "DELETE FROM " + t + " WHERE ns = $1 AND key >= $2"},
      {"dkv_delete_ns", "DELETE FROM " + t + " WHERE ns = $1"},
      {"dkv_rename_ns", "UPDATE " + t + " SET ns = $2 WHERE ns = $1"},
      {"dkv_fetch",
       "SELECT key, value, version, (extract(epoch FROM updated_at) * 1000)::bigint FROM " + t +
           " WHERE ns = $1 AND key = ANY($2::bytea[])"},
  };
  for (const auto& [name, sql] : statements) {
    if (!PQsendPrepare(conn, name, sql.c_str(), 0, nullptr)) return false;
  }
  return true;
}

std::string PostgresBackend::Start() {
  const Config& c = state_->config;
  int64_t start_us = state_->clock->NowUs();
  cache_tier_ = c.maxmemory > 0 && c.maxmemory_policy != "noeviction";
  while (true) {
    conn_ = PQconnectdb(c.postgres_dsn.c_str());
    if (PQstatus(conn_) == CONNECTION_OK) {
      PQsetNoticeProcessor(conn_, OnNotice, nullptr);
      break;
    }
    std::string why = Trim(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    if (c.postgres_startup != "wait") {
      return "cannot connect to PostgreSQL (postgres.dsn '" + DsnForLog(c.postgres_dsn) +
             "'): " + why +
             ". Start PostgreSQL, fix postgres.dsn, or set postgres.startup to 'wait'";
    }
    Log(LogLevel::kWarning, "PostgreSQL is not reachable yet (%s); retrying in 1 second",
        why.c_str());
    sleep(1);
  }
  if (std::string err = CreateSchema(); !err.empty()) return "PostgreSQL: " + err;
  // The rows stream in on the loop once the port is open; until they are all in, commands get
  // -LOADING (ContinueLoad).
  load_started_us_ = start_us;
  if (std::string err = StartLoad(); !err.empty()) return "PostgreSQL: loading the rows: " + err;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uint64_t period = static_cast<uint64_t>(std::max<int64_t>(1, c.postgres_flush_interval));
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<PostgresBackend*>(t->data)->MaybeFlush(); }, period,
      period);
  poll_ = new uv_poll_t;
  uv_poll_init(loop_, poll_, PQsocket(conn_));
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* h, int status, int) {
    static_cast<PostgresBackend*>(h->data)->OnLoadPoll(status);
  });
  return "";
}

void PostgresBackend::OnConnError(const std::string& why, bool log) {
  if (log) Log(LogLevel::kWarning, "PostgreSQL %s", why.c_str());
  status_.errors++;
  status_.last_error = why;
}

// --- observing the keyspace ---

void PostgresBackend::OpenWindow() {
  if (dirty_count_ == 0 && prefix_ops_.empty()) first_dirty_ms_ = state_->clock->NowMs();
}

void PostgresBackend::MarkDirty(int db, std::string key, uint64_t seq) {
  if (dirty_.size() <= static_cast<size_t>(db)) dirty_.resize(static_cast<size_t>(db) + 1);
  OpenWindow();
  if (dirty_count_ == 0) dirty_min_seq_ = seq;
  auto [it, inserted] = dirty_[static_cast<size_t>(db)].emplace(std::move(key), seq);
  if (inserted) {
    ++dirty_count_;
  } else {
    it->second = std::min(it->second, seq);
  }
  dirty_min_seq_ = std::min(dirty_min_seq_, seq);
}

void PostgresBackend::OnKeyChanged(int db, std::string_view key, engine::ChangeKind) {
  MarkDirty(db, std::string(key), ++changes_);
}

void PostgresBackend::OnPrefixDeleted(int db, std::string_view prefix) {
  OpenWindow();
  prefix_ops_.push_back({NsOp::kDeletePrefix, state_->keyspace.NamespaceName(db),
                         std::string(prefix), "", ++changes_});
}

void PostgresBackend::OnSwap(int a, int b) {
  OpenWindow();
  engine::Keyspace& ks = state_->keyspace;
  prefix_ops_.push_back({NsOp::kSwap, ks.NamespaceName(a), "", ks.NamespaceName(b), ++changes_});
  // Queued and in-flight changes follow their keys to the other namespace (a batch in flight
  // that fails is queued again under the namespace its keys are in now).
  size_t need = static_cast<size_t>(std::max(a, b)) + 1;
  if (dirty_.size() < need) dirty_.resize(need);
  if (flying_.size() < need) flying_.resize(need);
  std::swap(dirty_[static_cast<size_t>(a)], dirty_[static_cast<size_t>(b)]);
  std::swap(flying_[static_cast<size_t>(a)], flying_[static_cast<size_t>(b)]);
  for (Batch& batch : writer_batch_) {
    for (auto& [db, key] : batch.keys) db = db == a ? b : db == b ? a : db;
  }
  ++swaps_;  // a value read in flight reads the old namespaces: its rows are not used
}

bool PostgresBackend::IsClean(int db, std::string_view key) const {
  size_t i = static_cast<size_t>(db);
  for (const auto& [pin_db, pin_key] : command_pins_) {
    if (pin_db == db && pin_key == key) return false;
  }
  if (i < pin_counts_.size() && !pin_counts_[i].empty() &&
      pin_counts_[i].find(key) != pin_counts_[i].end()) {
    return false;
  }
  if (i < dirty_.size() && dirty_[i].find(key) != dirty_[i].end()) return false;
  if (i < flying_.size() && flying_[i].find(key) != flying_[i].end()) return false;
  return true;
}

uint64_t PostgresBackend::durable() const {
  uint64_t d = changes_;
  if (dirty_count_ > 0) d = std::min(d, dirty_min_seq_ - 1);
  if (!prefix_ops_.empty()) d = std::min(d, prefix_ops_.front().seq - 1);
  for (const Batch& b : writer_batch_) {
    if (b.id != 0) d = std::min(d, b.min_seq - 1);
  }
  return d;
}

bool PostgresBackend::WriterFree(size_t w) const {
  return writers_[w]->ready() && writer_batch_[w].id == 0;
}

// --- fences: a lost writer's backend must end before anything is written again ---

void PostgresBackend::AddFence(const PgBackendId& backend) {
  Log(LogLevel::kWarning,
      "PostgreSQL: backend %s lost with a batch in flight; no batch is sent until it has ended",
      backend.pid.c_str());
  fences_.push_back(backend);
}

bool PostgresBackend::FencesClear() {
  if (fences_.empty()) return true;
  if (fence_checking_ || state_->clock->NowMs() < fence_check_at_ms_) return false;
  // The backend is asked to end, and the fence holds until it is no longer in pg_stat_activity:
  // its transaction has then committed or rolled back for good, and a batch sent after that
  // cannot be overtaken by it. (A backend waiting on a lock or a disk keeps running after its
  // client is gone.) pid and start together: a pid can be reused.
  size_t w = 0;
  while (w < writers_.size() && !WriterFree(w)) ++w;
  if (w == writers_.size()) return false;
  // Every fence in one query; ids are digits only.
  std::string ids = "{";
  for (const PgBackendId& f : fences_) {
    ids += (ids.size() > 1 ? "," : "") + f.pid + "/" + f.start_us;
  }
  ids += "}";
  const char* values[1] = {ids.c_str()};
  PGconn* conn = writers_[w]->pg();
  bool sent =
      PQsendQueryParams(conn,
                        "SELECT pid, " DKV_BACKEND_START_US
                        ", pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid::text || "
                        "'/' || " DKV_BACKEND_START_US " = ANY($1::text[])",
                        1, nullptr, values, nullptr, nullptr, 0) == 1;
  fence_checking_ = true;
  auto alive = std::make_shared<std::vector<PgBackendId>>();
  PgConn::Job job;
  job.on_result = [alive](PGresult* r) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return;
    for (int i = 0; i < PQntuples(r); ++i) {
      alive->push_back({PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)});
    }
  };
  job.on_done = [this, alive](bool ok, const std::string& error) {
    fence_checking_ = false;
    if (!ok) {
      OnConnError("ending the backends of lost connections: " + error);
      fence_check_at_ms_ = state_->clock->NowMs() + retry_backoff_ms_;
      return;
    }
    std::erase_if(fences_, [&](const PgBackendId& f) {
      bool gone = std::find(alive->begin(), alive->end(), f) == alive->end();
      if (gone) Log(LogLevel::kNotice, "PostgreSQL: backend %s has ended", f.pid.c_str());
      return gone;
    });
    // Asked to end: looked at again shortly.
    fence_check_at_ms_ = fences_.empty() ? 0 : state_->clock->NowMs() + kFenceRecheckMs;
    MaybeFlush();
  };
  writers_[w]->EndJob(std::move(job), sent);
  return false;
}

// --- batches ---

void PostgresBackend::MaybeFlush() {
  for (auto& w : writers_) {
    if (draining_) w->ReconnectWithin(kDrainRetryMs);
    w->Tick();
  }
  if (reader_ != nullptr) {
    reader_->Tick();
    SendFetches();
  }
  if (loading_ || load_failed_ || writers_.empty()) return;
  if (!FencesClear()) return;
  if (dirty_count_ == 0 && prefix_ops_.empty()) return;
  int64_t now = state_->clock->NowMs();
  if (now < retry_at_ms_) return;  // after a failed batch
  const Config& c = state_->config;
  if (!sync() && !flush_soon_ && !draining_ &&
      static_cast<int64_t>(dirty_count_) < c.postgres_batch_size &&
      now - first_dirty_ms_ < c.postgres_flush_interval) {
    return;
  }
  flush_soon_ = false;
  // A further connection takes a batch only when the one in flight is slow (a remote server, a
  // long fsync) or much is queued: each transaction costs PostgreSQL CPU, and while commits are
  // fast one connection with bigger batches commits more per second (measured: scripts/bench).
  constexpr int64_t kOverlapAfterUs = 2000;
  constexpr size_t kOverlapQueue = 512;
  const int64_t now_us = state_->clock->NowUs();
  for (size_t w = 0; w < writers_.size(); ++w) {
    if (dirty_count_ == 0 && prefix_ops_.empty()) return;
    if (!WriterFree(w)) continue;
    bool overlap_ok = dirty_count_ >= kOverlapQueue;
    bool in_flight = false;
    for (const Batch& b : writer_batch_) {
      if (b.id == 0) continue;
      in_flight = true;
      overlap_ok = overlap_ok || now_us - b.started_us >= kOverlapAfterUs;
    }
    if (in_flight && !overlap_ok) return;
    StartBatch(w);
  }
}

void PostgresBackend::StartBatch(size_t w) {
  // Namespace operations (range deletes, swaps) order everything around them: they go in a
  // batch that runs alone, with every dirty key (a crash between the two must not lose
  // rewritten rows); no other batch starts while it is in flight.
  bool any_flying = false;
  for (const Batch& b : writer_batch_) {
    if (b.id == 0) continue;
    if (!b.ops.empty()) return;
    any_flying = true;
  }
  if (!prefix_ops_.empty() && any_flying) return;
  engine::Keyspace& ks = state_->keyspace;
  ks.RefreshTime();
  Batch& batch = writer_batch_[w];
  size_t limit = sync() || !prefix_ops_.empty()
                     ? SIZE_MAX
                     : static_cast<size_t>(state_->config.postgres_batch_size);
  batch.keys.clear();
  batch.bytes = 0;
  batch.ops = std::move(prefix_ops_);
  prefix_ops_.clear();
  batch.min_seq = batch.ops.empty() ? UINT64_MAX : batch.ops.front().seq;
  if (flying_.size() < dirty_.size()) flying_.resize(dirty_.size());
  // A key of a batch in flight waits for its commit (two transactions writing one key could
  // commit in either order).
  uint64_t deferred_min = UINT64_MAX;
  bool all_seen = true;
  for (size_t db = 0; db < dirty_.size(); ++db) {
    auto& map = dirty_[db];
    for (auto it = map.begin(); it != map.end();) {
      if (batch.keys.size() >= limit) {
        all_seen = false;
        break;
      }
      if (flying_[db].count(it->first) != 0) {
        deferred_min = std::min(deferred_min, it->second);
        ++it;
        continue;
      }
      batch.min_seq = std::min(batch.min_seq, it->second);
      flying_[db].insert(it->first);
      batch.keys.emplace_back(static_cast<int>(db), it->first);
      it = map.erase(it);
      --dirty_count_;
    }
    if (!all_seen) break;
  }
  if (all_seen) dirty_min_seq_ = deferred_min;          // exact: every remaining key was seen
  if (batch.keys.empty() && batch.ops.empty()) return;  // every dirty key is in flight
  PGconn* conn = writers_[w]->pg();
  bool sent = true;
  for (const NsOp& op : batch.ops) {
    if (op.kind == NsOp::kSwap) {
      // Three renames, through a name no namespace can have: (ns, key) stays unique throughout.
      static const std::string kTmp = "~swap~";
      const std::pair<const std::string*, const std::string*> steps[] = {
          {&op.ns, &kTmp}, {&op.ns2, &op.ns}, {&kTmp, &op.ns2}};
      for (const auto& [from, to] : steps) {
        const char* values[2] = {from->c_str(), to->c_str()};
        sent = sent && PQsendQueryPrepared(conn, "dkv_rename_ns", 2, values, nullptr, nullptr, 1);
      }
      continue;
    }
    std::string end = PrefixEnd(op.prefix);
    const char* values[3] = {op.ns.c_str(), op.prefix.data(), end.data()};
    int lengths[3] = {static_cast<int>(op.ns.size()), static_cast<int>(op.prefix.size()),
                      static_cast<int>(end.size())};
    int formats[3] = {0, 1, 1};
    const char* name = op.prefix.empty() ? "dkv_delete_ns"
                       : end.empty()     ? "dkv_delete_from"
                                         : "dkv_delete_range";
    int n = op.prefix.empty() ? 1 : end.empty() ? 2 : 3;
    sent = sent && PQsendQueryPrepared(conn, name, n, values, lengths, formats, 1);
  }
  // Key writes go as arrays: one multi-row upsert and one multi-row delete per chunk, in
  // PostgreSQL's binary array format (far cheaper for PostgreSQL than a statement per row).
  RowArrays upserts(/*with_value=*/true), meta_updates(/*with_value=*/false);
  ArrayParam ns_del(kTextOid), key_del(kByteaOid);
  auto send_deletes = [&] {
    if (ns_del.count() == 0) return;
    ArrayParam* params[] = {&ns_del, &key_del};
    sent = sent && SendArrays(conn, "dkv_delete", params, 2);
  };
  for (const auto& [index, key] : batch.keys) {
    engine::Database& db = ks.db(index);
    const std::string& ns = ks.NamespaceName(index);
    engine::Entry* e = db.FindRaw(key);
    if (e != nullptr && !db.IsExpired(e)) {
      // A cold key's row holds its value: only the metadata changed.
      RowArrays& rows = e->cold() ? meta_updates : upserts;
      rows.Add(ks, db, ns, key, *e);
      batch.bytes += key.size() + (e->cold() ? 0 : e->value_size());
      if (rows.Full()) sent = sent && rows.Send(conn);
    } else {
      ns_del.Add(ns);
      key_del.Add(key);
      if (key_del.bytes() >= kChunkBytes || ns_del.count() >= kChunkRows) send_deletes();
    }
  }
  sent = sent && upserts.Send(conn);
  sent = sent && meta_updates.Send(conn);
  send_deletes();
  batch.id = next_batch_id_++;
  batch.started_us = state_->clock->NowUs();
  if (dirty_count_ > 0 || !prefix_ops_.empty()) first_dirty_ms_ = state_->clock->NowMs();
  PgConn::Job job;
  job.on_done = [this, w](bool ok, const std::string& error) { FinishBatch(w, ok, error); };
  // A statement that never left cannot be committed: the connection is reset and the whole
  // batch goes back in the queue (EndJob fails the job).
  writers_[w]->EndJob(std::move(job), sent);
}

void PostgresBackend::FinishBatch(size_t w, bool ok, const std::string& error) {
  Batch& batch = writer_batch_[w];
  if (batch.id == 0) return;
  if (batch.bytes >= kRecycleBytes) writers_[w]->RecycleWhenIdle();
  if (!ok) {
    // The transaction rolled back: everything it carried goes back in the queue.
    status_.errors++;
    status_.last_error = error;
    Log(LogLevel::kWarning, "PostgreSQL batch failed, retrying: %s", error.c_str());
    Requeue(batch);
    // Back off before the retry (100 ms doubling to 10 s): a failing batch must not spin.
    retry_at_ms_ = state_->clock->NowMs() +
                   (draining_ ? std::min(kDrainRetryMs, retry_backoff_ms_) : retry_backoff_ms_);
    retry_backoff_ms_ = std::min(kMaxBackoffMs, retry_backoff_ms_ * 2);
    return;
  }
  retry_backoff_ms_ = 100;
  status_.batches_committed++;
  status_.keys_committed += batch.keys.size();
  status_.last_commit_ms = state_->clock->NowMs();
  status_.last_commit_latency_us = state_->clock->NowUs() - batch.started_us;
  for (const auto& [db, key] : batch.keys) flying_[static_cast<size_t>(db)].erase(key);
  batch = Batch();
  if (on_commit_) on_commit_();
  MaybeFlush();
}

void PostgresBackend::Requeue(Batch& batch) {
  for (auto& [db, key] : batch.keys) {
    flying_[static_cast<size_t>(db)].erase(key);
    MarkDirty(db, std::move(key), batch.min_seq);
  }
  // Namespace operations of the failed batch came before the queued ones.
  batch.ops.insert(batch.ops.end(), std::make_move_iterator(prefix_ops_.begin()),
                   std::make_move_iterator(prefix_ops_.end()));
  prefix_ops_ = std::move(batch.ops);
  first_dirty_ms_ = state_->clock->NowMs();
  batch = Batch();
}

// --- reading values back (the cache tier) ---

void PostgresBackend::ForgetOwner(uint64_t owner) {
  ReleasePins(owner);
  for (Fetch& f : fetch_queue_) {
    if (f.owner == owner) f.owner = 0;
  }
  for (Fetch& f : fetch_sent_) {
    if (f.owner == owner) f.owner = 0;
  }
}

bool PostgresBackend::TierActive() const {
  return engine::Database::cold_entries() > 0 ||
         (state_->config.maxmemory > 0 && state_->eviction_policy != EvictionPolicy::kNoEviction);
}

void PostgresBackend::Pin(uint64_t owner, int db, std::string_view key) {
  size_t i = static_cast<size_t>(db);
  if (pin_counts_.size() <= i) pin_counts_.resize(i + 1);
  pin_counts_[i][std::string(key)]++;
  pins_by_owner_[owner].emplace_back(db, key);
}

void PostgresBackend::ReleasePins(uint64_t owner) {
  auto it = pins_by_owner_.find(owner);
  if (it == pins_by_owner_.end()) return;
  for (const auto& [db, key] : it->second) {
    auto& counts = pin_counts_[static_cast<size_t>(db)];
    auto c = counts.find(key);
    if (c != counts.end() && --c->second <= 0) counts.erase(c);
  }
  pins_by_owner_.erase(it);
}

uint64_t PostgresBackend::RequestValues(std::vector<DbKey> keys, uint64_t owner) {
  uint64_t id = next_fetch_id_++;
  // The state each key had when asked for: a missing row drops the key only if it still has it.
  std::vector<std::pair<uint32_t, int64_t>> states;
  for (const auto& [db, k] : keys) {
    engine::Entry* e = state_->keyspace.db(db).FindRaw(k);
    states.emplace_back(e ? e->version() : 0, e ? e->updated_ms() : 0);
  }
  fetch_queue_.push_back({id, std::move(keys), std::move(states), state_->clock->NowMs(), owner});
  pending_fetches_.insert(id);
  return id;  // sent before the loop waits again (MaybeFlush), with the others of this round
}

bool PostgresBackend::FetchDone(uint64_t id) const {
  return id < next_fetch_id_ && pending_fetches_.count(id) == 0;
}

std::string PostgresBackend::FetchError(uint64_t id) const {
  auto it = fetch_errors_.find(id);
  return it == fetch_errors_.end() ? "" : it->second;
}

void PostgresBackend::SendFetches() {
  if (reader_ == nullptr) return;
  // A SWAPDB moves rows between namespaces: reads wait until the swaps queued or in flight have
  // committed, so that a row is read under the namespace that holds it now.
  bool swaps = false;
  for (const NsOp& op : prefix_ops_) swaps = swaps || op.kind == NsOp::kSwap;
  for (const Batch& b : writer_batch_) {
    for (const NsOp& op : b.ops) swaps = swaps || op.kind == NsOp::kSwap;
  }
  if (!reader_->ready() || swaps) {
    // A command waits for PostgreSQL at most this long, then gets an error; reads of values
    // in memory go on meanwhile.
    constexpr int64_t kFetchWaitMs = 5000;
    int64_t now = state_->clock->NowMs();
    bool failed = false;
    while (!fetch_queue_.empty() && now - fetch_queue_.front().queued_ms > kFetchWaitMs) {
      Fetch f = std::move(fetch_queue_.front());
      fetch_queue_.pop_front();
      FinishFetch(f, false,
                  reader_->ready() ? "a SWAPDB has not committed yet"
                                   : "PostgreSQL is unreachable (" + status_.last_error + ")",
                  {});  // nothing found
      failed = true;
    }
    if (failed && on_fetch_) on_fetch_();
    return;
  }
  // One read at a time, carrying every request queued meanwhile (one statement per namespace):
  // under load the requests of many clients share one round trip, as writes share a commit.
  if (!fetch_sent_.empty() || fetch_queue_.empty()) return;
  engine::Keyspace& ks = state_->keyspace;
  fetch_sent_ = std::move(fetch_queue_);
  fetch_queue_.clear();
  std::map<int, std::vector<std::string>> by_db;
  struct Round {
    std::vector<int> dbs;  // the namespace of each statement, in order
    size_t next = 0;
    std::map<int, std::unordered_set<std::string>> found;
    std::map<std::pair<int, std::string>, std::vector<uint64_t>> owners;
    uint64_t swaps = 0;
  };
  auto round = std::make_shared<Round>();
  round->swaps = swaps_;
  for (const Fetch& f : fetch_sent_) {
    for (const auto& [db, k] : f.keys) {
      by_db[db].push_back(k);
      round->owners[{db, k}].push_back(f.owner);
    }
  }
  bool sent = true;
  for (auto& [db, keys] : by_db) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    ArrayParam array(kByteaOid);
    for (const std::string& k : keys) array.Add(k);
    std::string ns = ks.NamespaceName(db);
    std::string bytes = array.Take();
    const char* values[2] = {ns.c_str(), bytes.data()};
    int lengths[2] = {static_cast<int>(ns.size()), static_cast<int>(bytes.size())};
    int formats[2] = {0, 1};
    sent = sent && PQsendQueryPrepared(reader_->pg(), "dkv_fetch", 2, values, lengths, formats, 1);
    round->dbs.push_back(db);
  }
  status_.fetches++;
  PgConn::Job job;
  job.on_result = [this, round](PGresult* r) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK || round->next >= round->dbs.size()) return;
    if (round->swaps != swaps_) return;  // the namespaces moved since: read again
    int index = round->dbs[round->next++];
    engine::Database& db = state_->keyspace.db(index);
    std::unordered_set<std::string>& found = round->found[index];
    for (int row = 0; row < PQntuples(r); ++row) {
      std::string_view key(PQgetvalue(r, row, 0), static_cast<size_t>(PQgetlength(r, row, 0)));
      std::string_view value(PQgetvalue(r, row, 1), static_cast<size_t>(PQgetlength(r, row, 1)));
      uint64_t version = ReadBigEndian(PQgetvalue(r, row, 2), 8);
      int64_t updated = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, row, 3), 8));
      found.emplace(key);
      engine::Entry* e = db.FindRaw(key);
      // Only the state the entry has: a key written (or re-created and dropped again) since
      // the request keeps its own value. (Compared as the entry stores them: 32-bit versions,
      // times clamped to the metadata epoch.)
      if (e == nullptr || !e->cold() || e->version() != static_cast<uint32_t>(version) ||
          e->updated_ms() != std::max(updated, engine::kMetaEpochMs)) {
        continue;
      }
      db.FillValue(e, value);
      status_.values_fetched++;
      // Kept for the clients that asked until their commands have run.
      auto owners = round->owners.find({index, std::string(key)});
      if (owners != round->owners.end()) {
        for (uint64_t owner : owners->second) {
          if (owner != 0) Pin(owner, index, key);
        }
      }
    }
  };
  job.on_done = [this, round](bool ok, const std::string& error) {
    std::deque<Fetch> done = std::move(fetch_sent_);
    fetch_sent_.clear();
    if ((!ok && error.rfind("connection lost", 0) == 0) || (ok && round->swaps != swaps_)) {
      // Sent again once the reader is back (in order, before newer requests).
      int64_t now = state_->clock->NowMs();
      for (auto it = done.rbegin(); it != done.rend(); ++it) {
        it->queued_ms = now;
        fetch_queue_.push_front(std::move(*it));
      }
      return;
    }
    for (Fetch& f : done) FinishFetch(f, ok, error, round->found);
    if (on_fetch_) on_fetch_();
    SendFetches();  // what was queued meanwhile
  };
  reader_->EndJob(std::move(job), sent);
}

void PostgresBackend::FinishFetch(Fetch& f, bool ok, const std::string& error,
                                  const std::map<int, std::unordered_set<std::string>>& found) {
  pending_fetches_.erase(f.id);
  if (!ok) {
    status_.fetch_errors++;
    fetch_errors_[f.id] = error;
    while (fetch_errors_.size() > 1024) fetch_errors_.erase(fetch_errors_.begin());
    return;
  }
  // A cold key without a row: the row was deleted behind dkv's back. The key goes (it has no
  // value to serve), and the log says so.
  for (size_t i = 0; i < f.keys.size(); ++i) {
    const auto& [index, key] = f.keys[i];
    auto rows = found.find(index);
    if (rows != found.end() && rows->second.count(key) != 0) continue;
    engine::Database& db = state_->keyspace.db(index);
    engine::Entry* e = db.FindRaw(key);
    if (e == nullptr || !e->cold() || !IsClean(index, key) || e->version() != f.states[i].first ||
        e->updated_ms() != f.states[i].second) {
      continue;
    }
    Log(LogLevel::kWarning, "PostgreSQL has no row for key '%s' whose value it held; key dropped",
        key.c_str());
    db.Erase(e);
    db.Touch(key, engine::ChangeKind::kDelete);
  }
}

bool PostgresBackend::FlushBlocking(int64_t timeout_ms) {
  // Still loading (or the load failed): nothing was written but expiries, which the next start
  // finds again.
  if (loading_ || load_failed_ || writers_.empty()) {
    return dirty_count_ == 0 && prefix_ops_.empty();
  }
  // Gives up after timeout_ms without a commit (a long queue takes as long as it commits).
  int64_t deadline = state_->clock->NowMs() + timeout_ms;
  uint64_t progress = durable();
  retry_at_ms_ = 0;
  while (state_->clock->NowMs() < deadline) {
    if (Idle()) return true;
    for (size_t w = 0; w < writers_.size() && FencesClear(); ++w) {
      if (WriterFree(w) && (dirty_count_ > 0 || !prefix_ops_.empty())) {
        StartBatch(w);
      }
    }
    for (auto& w : writers_) w->DriveBlocking(20);
    if (durable() != progress) {
      progress = durable();
      deadline = state_->clock->NowMs() + timeout_ms;
    }
  }
  return Idle();
}

bool PostgresBackend::Idle() const {
  if (dirty_count_ > 0 || !prefix_ops_.empty()) return false;
  for (const Batch& b : writer_batch_) {
    if (b.id != 0) return false;
  }
  return true;
}

void PostgresBackend::set_draining(bool on) {
  draining_ = on;
  if (on) retry_at_ms_ = std::min(retry_at_ms_, state_->clock->NowMs() + kDrainRetryMs);
}

}  // namespace dkv::server
