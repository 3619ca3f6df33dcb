// Server: the libuv event loop and everything that touches sockets. One thread runs the loop and
// owns the engine: it accepts TCP (and unix socket) clients, reads requests into each connection's
// buffer, hands complete requests to the Dispatcher, and writes replies out once per loop
// iteration (all replies produced by one read leave in as few writes as possible). A connection
// whose unsent output grows past a high-water mark stops being read until it drains.
// Background work (active expiry, rehashing, idle timeouts) runs from a timer in bounded slices.
#pragma once

#include <memory>

#include "src/config/config.h"

namespace dkv::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listeners. Returns "" or the error.
  std::string Start();
  // Runs the loop until SHUTDOWN or SIGTERM/SIGINT. Returns the process' exit status (non-zero
  // when the start failed after the port opened: a PostgreSQL load that broke off).
  int Run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dkv::server
