// UvEventLoop: the PostgreSQL backend's EventLoop (persistence/postgres/event_loop.h) on the
// server's libuv loop: timers are uv_timer, descriptor watches uv_poll, name lookups
// uv_getaddrinfo on libuv's thread pool, and time is the server's engine::Clock. Borrows the
// loop and the clock; each timer or watch it makes owns its handle, closed (uv_close) when the
// object is destroyed, so its callback never runs after that. Loop thread only.
#pragma once

#include <uv.h>

#include "engine/clock.h"
#include "persistence/postgres/event_loop.h"

namespace dkv::server {

class UvEventLoop final : public persistence::postgres::EventLoop {
 public:
  UvEventLoop(uv_loop_t* loop, const engine::Clock* clock) : loop_(loop), clock_(clock) {}

  int64_t NowMs() const override { return clock_->NowMs(); }
  int64_t NowUs() const override { return clock_->NowUs(); }
  std::unique_ptr<Timer> NewTimer(std::function<void()> callback) override;
  std::unique_ptr<FdWatch> WatchFd(int fd, FdCallback callback) override;
  Lookup* Resolve(const std::string& host, LookupCallback done, std::string* error) override;

 private:
  uv_loop_t* loop_;
  const engine::Clock* clock_;
};

}  // namespace dkv::server
