// HttpServer: the operators' HTTP listener on the server's libuv loop (http-port, on the address
// of `bind`; off by default).
//
//   GET /metrics        Prometheus text format (src/http/metrics.h)
//   GET /               the page: live charts, keyspace browser, slow log (src/http/*, built in)
//   GET /api/stats      the figures the charts poll, as JSON
//   GET /api/namespaces namespaces with keys
//   GET /api/tree       children of a path: ?ns=0&prefix=app.config
//   GET /api/key        one key's type, TTL, metadata and (http-show-values) value: ?ns=0&key=..
//   GET /api/slowlog    the slow log
//
// Without a password on the default user, key names are hidden unless http-show-keys is on:
// /metrics has no per-subtree series, /api/tree and /api/key answer 403 and the slow log shows
// commands without arguments (src/http/metrics.h HttpHidesKeyNames).
// Read-only: only GET and HEAD are served and no endpoint changes data or access times. When the
// default user has a password every request needs HTTP basic auth, against the same users as
// AUTH; a user bound to namespaces sees only those (and not /metrics or the slow log).
// Requests are parsed by http-parser; a request (line and headers) may be at most
// kMaxRequestBytes, must arrive within kRequestTimeoutMs, bodies are refused, pipelined requests
// are answered one at a time (the next is parsed when the last answer is written), an answer the
// client does not read for kRequestTimeoutMs closes the connection, and at most
// http-max-connections connections are open: a slow or hostile client costs a bounded buffer and
// is closed, and the loop never waits for it. Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "src/http/metrics.h"

namespace dkv::server {

struct ServerState;
struct AclUser;

struct HttpResponse;
// A plain-text error answer (the message and a newline).
HttpResponse ErrorResponse(int status, std::string_view message);

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool no_store = true;  // Cache-Control: no-store (everything but the static files)
  std::string extra_headers;
};

class HttpServer {
 public:
  static constexpr size_t kMaxRequestBytes = 16 * 1024;
  static constexpr int64_t kRequestTimeoutMs = 10000;
  static constexpr int64_t kIdleTimeoutMs = 60000;

  HttpServer(ServerState* state, uv_loop_t* loop);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on bind:http-port. Returns "" or the error.
  std::string Start();
  // Called by the cron: closes connections past their deadlines, advances the subtree sizer.
  void Cron(int64_t now_ms);
  // In the child of a background save: closes the listening and connection sockets.
  void CloseFdsInChild();
  // Closes the listener and every connection (shutdown).
  void Close();

  size_t connections() const { return connections_.size(); }
  uint64_t requests() const { return requests_; }
  uint64_t rejected_connections() const { return rejected_connections_; }

  // Answers one request (method, target with query string, Authorization and Host header
  // values, the peer's throttle source: AuthSourceOf). Public for the unit tests; the network
  // layer calls it.
  HttpResponse Handle(std::string_view method, std::string_view target,
                      std::string_view authorization, std::string_view host,
                      std::string_view source = "");

  struct Connection;  // defined in http_server.cc

 private:
  static void OnConnect(uv_stream_t* listener, int status);
  void Accept();
  void StartReading(Connection* conn);
  void StopReading(Connection* conn);
  void OnRead(Connection* conn, ssize_t nread, const uv_buf_t* buf);
  void ProcessInput(Connection* conn);
  void Respond(Connection* conn, const HttpResponse& response, bool head, bool keep_alive);
  void Flush(Connection* conn);
  void CloseConnection(Connection* conn);

  HttpResponse Route(std::string_view path, std::string_view query, const AclUser& user);
  HttpResponse Stats(const AclUser& user);
  HttpResponse Namespaces(const AclUser& user);
  HttpResponse Tree(std::string_view query, const AclUser& user);
  HttpResponse Key(std::string_view query, const AclUser& user);
  HttpResponse SlowLog(const AclUser& user);

  ServerState* state_;
  uv_loop_t* loop_;
  uv_tcp_t listener_;
  bool listening_ = false;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  uint64_t requests_ = 0;
  uint64_t rejected_connections_ = 0;
  SubtreeSizer sizer_;
};

}  // namespace dkv::server
