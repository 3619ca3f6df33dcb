#include "src/http/http_server.h"

#include <http_parser.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/metadata.h"
#include "resp/text.h"
#include "src/core/command.h"
#include "src/core/log.h"
#include "src/core/postgres_backend.h"
#include "src/core/server_state.h"
#include "src/core/version.h"
#include "src/http/http_assets.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return true;
}

// Whether a Host header names this machine by address (or localhost): pages of other sites
// that rebind their DNS name to 127.0.0.1 send their own name, and are refused.
bool LocalHost(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') return host.find(']') != std::string_view::npos;  // an IPv6 literal
  size_t colon = host.rfind(':');
  std::string_view name = colon == std::string_view::npos ? host : host.substr(0, colon);
  if (name == "localhost") return true;
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace

HttpResponse ErrorResponse(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(message) + "\n";
  return r;
}

struct HttpServer::Connection {
  HttpServer* server = nullptr;
  uv_tcp_t tcp;
  http_parser parser;
  int64_t request_started_ms = 0;  // first byte of the request being read; 0 between requests
  int64_t last_activity_ms = 0;
  size_t request_bytes = 0;
  std::string url;
  std::string header_field;
  std::string header_value;
  bool in_value = false;
  std::string authorization;
  std::string host;
  std::string source;  // the peer's address as the login throttle counts it
  bool has_body = false;
  std::string in;  // received, not yet parsed (at most about one read)
  std::string out;
  std::string writing;
  uv_write_t write_req;
  bool write_in_flight = false;
  int64_t write_started_ms = 0;
  bool reading = false;
  bool close_after_write = false;
  bool peer_closed = false;  // the client sent EOF
  bool closing = false;

  void EndHeader() {
    if (!in_value) return;
    std::string lower = text::ToLower(header_field);
    if (lower == "authorization") authorization = header_value;
    if (lower == "host") host = header_value;
    header_field.clear();
    header_value.clear();
    in_value = false;
  }
};

namespace {

http_parser_settings MakeSettings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = [](http_parser* p) {
    auto* c = static_cast<HttpServer::Connection*>(p->data);
    c->url.clear();
    c->header_field.clear();
    c->header_value.clear();
    c->in_value = false;
    c->authorization.clear();
    c->host.clear();
    c->has_body = false;
    return 0;
  };
  s.on_url = [](http_parser* p, const char* at, size_t len) {
    static_cast<HttpServer::Connection*>(p->data)->url.append(at, len);
    return 0;
  };
  s.on_header_field = [](http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<HttpServer::Connection*>(p->data);
    c->EndHeader();
    c->header_field.append(at, len);
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<HttpServer::Connection*>(p->data);
    c->in_value = true;
    c->header_value.append(at, len);
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    static_cast<HttpServer::Connection*>(p->data)->EndHeader();
    return 0;
  };
  s.on_body = [](http_parser* p, const char*, size_t) {
    static_cast<HttpServer::Connection*>(p->data)->has_body = true;
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    // One request at a time: execute() returns here and the request is answered.
    http_parser_pause(p, 1);
    return 0;
  };
  return s;
}

}  // namespace

HttpServer::HttpServer(ServerState* state, uv_loop_t* loop)
    : state_(state), loop_(loop), sizer_(state) {}

HttpServer::~HttpServer() = default;

std::string HttpServer::Start() {
  const Config& c = state_->config;
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  listening_ = true;
  struct sockaddr_storage addr;
  int rc = c.bind.find(':') != std::string::npos
               ? uv_ip6_addr(c.bind.c_str(), c.http_port, reinterpret_cast<sockaddr_in6*>(&addr))
               : uv_ip4_addr(c.bind.c_str(), c.http_port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc == 0) rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, OnConnect);
  if (rc != 0) {
    return "cannot listen for HTTP on " + c.bind + ":" + std::to_string(c.http_port) + ": " +
           uv_strerror(rc);
  }
  Log(LogLevel::kNotice, "HTTP (metrics and keyspace browser) listening on %s:%d", c.bind.c_str(),
      c.http_port);
  return "";
}

void HttpServer::CloseFdsInChild() {
  uv_os_fd_t fd;
  if (listening_ && uv_fileno(reinterpret_cast<uv_handle_t*>(&listener_), &fd) == 0) ::close(fd);
  for (auto& [ptr, conn] : connections_) {
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&conn->tcp), &fd) == 0) ::close(fd);
  }
}

void HttpServer::Close() {
  if (listening_) {
    listening_ = false;
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&listener_))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    }
  }
  std::vector<Connection*> all;
  for (auto& [ptr, conn] : connections_) all.push_back(ptr);
  for (Connection* conn : all) CloseConnection(conn);
}

void HttpServer::OnConnect(uv_stream_t* listener, int status) {
  if (status < 0) return;
  static_cast<HttpServer*>(listener->data)->Accept();
}

void HttpServer::Accept() {
  auto conn = std::make_unique<Connection>();
  Connection* c = conn.get();
  c->server = this;
  uv_tcp_init(loop_, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_),
                reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    conn.release();
    return;
  }
  struct sockaddr_storage peer;
  int len = sizeof(peer);
  bool loopback = false;
  if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
    loopback = IsLoopback(peer);
    c->source = AuthSourceOf(peer);
  }
  if (state_->RefusedByProtectedMode(loopback)) {
    // Protected mode covers this listener too: no password, so loopback only.
    ++rejected_connections_;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    conn.release();
    return;
  }
  if (static_cast<int>(connections_.size()) >= state_->config.http_max_connections) {
    // Over the limit: closed at once, before anything is read or allocated for it.
    ++rejected_connections_;
    Log(LogLevel::kVerbose, "HTTP connection refused: http-max-connections (%d) reached",
        state_->config.http_max_connections);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    conn.release();
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  c->last_activity_ms = state_->clock->NowMs();
  connections_.emplace(c, std::move(conn));
  StartReading(c);
}

void HttpServer::StopReading(Connection* conn) {
  if (!conn->reading) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&conn->tcp));
  conn->reading = false;
}

void HttpServer::StartReading(Connection* conn) {
  if (conn->reading) return;
  conn->reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&conn->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static char chunk[16 * 1024];  // the loop reads one connection at a time
        buf->base = chunk;
        buf->len = sizeof(chunk);
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* c = static_cast<Connection*>(stream->data);
        c->server->OnRead(c, nread, buf);
      });
}

void HttpServer::OnRead(Connection* conn, ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    if (nread == UV_EOF) {
      // The client half-closed: what it sent is still answered, then the connection closes.
      conn->peer_closed = true;
      StopReading(conn);
      return ProcessInput(conn);
    }
    return CloseConnection(conn);
  }
  if (nread == 0 || conn->closing) return;
  conn->last_activity_ms = state_->clock->NowMs();
  // Reading stops while an answer is being written, so at most one read waits here.
  conn->in.append(buf->base, static_cast<size_t>(nread));
  ProcessInput(conn);
}

void HttpServer::ProcessInput(Connection* conn) {
  static const http_parser_settings settings = MakeSettings();
  // One request at a time: the next one is parsed when this one's answer has been written, so a
  // read full of pipelined requests costs one answer per write, not one per request at once.
  while (!conn->closing && !conn->write_in_flight && conn->out.empty() && !conn->in.empty()) {
    if (conn->close_after_write) {
      conn->in.clear();
      break;
    }
    if (conn->request_started_ms == 0) {
      conn->request_started_ms = state_->clock->NowMs();
      conn->request_bytes = 0;
    }
    // Parse at most what the request may still take: a longer request is refused, never
    // buffered.
    size_t room = kMaxRequestBytes - conn->request_bytes;
    size_t feed = std::min(conn->in.size(), room);
    size_t parsed = http_parser_execute(&conn->parser, &settings, conn->in.data(), feed);
    conn->request_bytes += parsed;
    conn->in.erase(0, parsed);
    const http_errno err = HTTP_PARSER_ERRNO(&conn->parser);
    if (err == HPE_PAUSED) {
      // A whole request was read (on_message_complete pauses): answer it.
      http_parser_pause(&conn->parser, 0);
      const bool head = conn->parser.method == HTTP_HEAD;
      // An upgrade (or CONNECT) is answered and the connection closed: what follows is not HTTP.
      const bool keep_alive = http_should_keep_alive(&conn->parser) != 0 && !conn->parser.upgrade &&
                              conn->parser.method != HTTP_CONNECT;
      ++requests_;
      HttpResponse response;
      if (conn->parser.method != HTTP_GET && conn->parser.method != HTTP_HEAD) {
        response = ErrorResponse(405, "only GET and HEAD: this endpoint is read-only");
        response.extra_headers = "Allow: GET, HEAD\r\n";
      } else if (conn->has_body) {
        response = ErrorResponse(413, "requests with a body are not accepted");
      } else {
        response = Handle("GET", conn->url, conn->authorization, conn->host, conn->source);
      }
      conn->request_started_ms = 0;
      Respond(conn, response, head, keep_alive && response.status != 413);
      break;
    }
    if (err != HPE_OK || (parsed == 0 && feed > 0)) {
      Respond(conn,
              ErrorResponse(400, err != HPE_OK ? http_errno_description(err) : "not HTTP/1.x"),
              false, false);
      break;
    }
    if (conn->request_bytes >= kMaxRequestBytes) {
      Respond(conn,
              ErrorResponse(431, "request line and headers may be at most 16384 bytes in all"),
              false, false);
      break;
    }
  }
  if (conn->closing) return;
  // Read more only when idle and the buffer does not already hold a request's worth.
  const bool busy = conn->write_in_flight || !conn->out.empty() || conn->close_after_write;
  if (conn->peer_closed) {
    if (!busy) CloseConnection(conn);  // everything answered (a partial request never will be)
    return;
  }
  if (busy || conn->in.size() >= kMaxRequestBytes) {
    StopReading(conn);
  } else if (!conn->reading && !conn->closing) {
    StartReading(conn);
  }
}

void HttpServer::Respond(Connection* conn, const HttpResponse& r, bool head, bool keep_alive) {
  std::string& out = conn->out;
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += StatusText(r.status);
  out += "\r\nServer: dkv/";
  out += kDkvVersion;
  out += "\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n";
  out +=
      "Content-Security-Policy: default-src 'self'; img-src 'self' data:; frame-ancestors "
      "'none'\r\n";
  out += r.no_store ? "Cache-Control: no-store\r\n" : "Cache-Control: max-age=60\r\n";
  out += r.extra_headers;
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head) out += r.body;
  if (!keep_alive) conn->close_after_write = true;
  Flush(conn);
}

void HttpServer::Flush(Connection* conn) {
  if (conn->write_in_flight || conn->closing) return;
  if (conn->out.empty()) {
    if (conn->close_after_write) CloseConnection(conn);
    return;
  }
  conn->writing.swap(conn->out);
  conn->out.clear();
  uv_buf_t b = uv_buf_init(conn->writing.data(), static_cast<unsigned>(conn->writing.size()));
  conn->write_req.data = conn;
  conn->write_in_flight = true;
  conn->write_started_ms = state_->clock->NowMs();
  int rc = uv_write(&conn->write_req, reinterpret_cast<uv_stream_t*>(&conn->tcp), &b, 1,
                    [](uv_write_t* req, int status) {
                      auto* c = static_cast<Connection*>(req->data);
                      c->write_in_flight = false;
                      c->writing.clear();
                      if (c->closing) return;
                      if (status < 0) return c->server->CloseConnection(c);
                      c->server->Flush(c);
                      // The next pipelined request, if one is buffered; else read again.
                      if (!c->closing && c->out.empty() && !c->write_in_flight) {
                        c->server->ProcessInput(c);
                      }
                    });
  if (rc != 0) {
    conn->write_in_flight = false;
    CloseConnection(conn);
  }
}

void HttpServer::CloseConnection(Connection* conn) {
  if (conn->closing) return;
  conn->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), [](uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    c->server->connections_.erase(c);  // frees it
  });
}

void HttpServer::Cron(int64_t now_ms) {
  std::vector<Connection*> expired;
  for (auto& [ptr, conn] : connections_) {
    if (conn->closing) continue;
    bool mid_request =
        conn->request_started_ms != 0 && now_ms - conn->request_started_ms > kRequestTimeoutMs;
    bool idle = conn->request_started_ms == 0 && !conn->write_in_flight &&
                now_ms - conn->last_activity_ms > kIdleTimeoutMs;
    // A client that does not read its answer holds a slot only this long.
    bool stalled = conn->write_in_flight && now_ms - conn->write_started_ms > kRequestTimeoutMs;
    if (mid_request || idle || stalled) expired.push_back(ptr);
  }
  for (Connection* conn : expired) {
    if (conn->request_started_ms != 0 && !conn->write_in_flight && conn->out.empty()) {
      Respond(conn, ErrorResponse(408, "the request did not arrive in time"), false, false);
    } else {
      CloseConnection(conn);
    }
  }
  // A sizing pass in progress advances a bounded slice per tick (well under a millisecond).
  sizer_.Step(SubtreeSizer::kCronBudget);
}

HttpResponse HttpServer::Handle(std::string_view method, std::string_view target,
                                std::string_view authorization, std::string_view host,
                                std::string_view source) {
  if (method != "GET" && method != "HEAD") return ErrorResponse(405, "only GET and HEAD");
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  // The same users as AUTH: basic auth as any user; without credentials, the default user when
  // it needs no password.
  const AclUser* user = nullptr;
  const bool open = !state_->acl.default_requires_auth();
  std::string credentials;
  const int64_t now = state_->clock->NowMs();
  if (authorization.size() > 6 && strncasecmp(authorization.data(), "Basic ", 6) == 0 &&
      Base64Decode(authorization.substr(6), &credentials)) {
    // Failed logins are counted per source address, with AUTH's (src/security/auth_throttle.h): a
    // browser opens new connections freely, and failures from elsewhere do not lock this address
    // out.
    if (int64_t wait = state_->auth_throttle.BlockedForMs(source, now); wait > 0) {
      state_->stats.acl_denied_auth++;
      HttpResponse r = ErrorResponse(429, "too many failed logins from this address: retry in " +
                                              std::to_string(wait) + " ms");
      r.extra_headers = "Retry-After: " + std::to_string((wait + 999) / 1000) + "\r\n";
      return r;
    }
    size_t colon = credentials.find(':');
    if (colon != std::string::npos) {
      std::string_view name = std::string_view(credentials).substr(0, colon);
      user = state_->Authenticate(name.empty() ? "default" : name,
                                  std::string_view(credentials).substr(colon + 1));
    }
    if (user == nullptr) state_->auth_throttle.Failure(source, now);
  } else if (open) {
    user = state_->acl.default_user();
  }
  // Without a password (no credentials while the default user has none, or a nopass user, whose
  // name a rebound page can send as easily), the browser's API answers only requests addressed
  // to an IP or localhost: a page elsewhere cannot read the keyspace through DNS rebinding.
  const bool no_password = user != nullptr && (user->nopass || credentials.empty());
  if (no_password && path.substr(0, 5) == "/api/" && !LocalHost(host)) {
    return ErrorResponse(403, "without a password the API answers only Host: <ip> or localhost");
  }
  if (user == nullptr) {
    HttpResponse r = ErrorResponse(401, "authentication required (the users of AUTH)");
    r.extra_headers = "WWW-Authenticate: Basic realm=\"dkv\", charset=\"UTF-8\"\r\n";
    return r;
  }
  return Route(path, query, *user);
}

}  // namespace dkv::server
