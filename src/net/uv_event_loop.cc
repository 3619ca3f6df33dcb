#include "src/net/uv_event_loop.h"

#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <utility>

namespace dkv::server {
namespace {

// The handle and the callback live together until libuv has closed the handle: a callback that
// destroys its own timer or watch keeps running on a live object.
struct TimerState {
  uv_timer_t handle;
  std::function<void()> callback;
};

class UvTimer final : public persistence::postgres::EventLoop::Timer {
 public:
  UvTimer(uv_loop_t* loop, std::function<void()> callback) : state_(new TimerState) {
    state_->callback = std::move(callback);
    uv_timer_init(loop, &state_->handle);
    state_->handle.data = state_;
  }
  ~UvTimer() override {
    uv_timer_stop(&state_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&state_->handle),
             [](uv_handle_t* h) { delete static_cast<TimerState*>(h->data); });
  }
  void Start(int64_t after_ms, int64_t repeat_ms) override {
    uv_timer_start(
        &state_->handle, [](uv_timer_t* t) { static_cast<TimerState*>(t->data)->callback(); },
        static_cast<uint64_t>(after_ms), static_cast<uint64_t>(repeat_ms));
  }
  void Stop() override { uv_timer_stop(&state_->handle); }

 private:
  TimerState* state_;
};

struct PollState {
  uv_poll_t handle;
  persistence::postgres::EventLoop::FdCallback callback;
};

class UvFdWatch final : public persistence::postgres::EventLoop::FdWatch {
 public:
  using EventLoop = persistence::postgres::EventLoop;
  UvFdWatch(uv_loop_t* loop, int fd, EventLoop::FdCallback callback) : state_(new PollState) {
    state_->callback = std::move(callback);
    uv_poll_init(loop, &state_->handle, fd);
    state_->handle.data = state_;
  }
  ~UvFdWatch() override {
    uv_poll_stop(&state_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&state_->handle),
             [](uv_handle_t* h) { delete static_cast<PollState*>(h->data); });
  }
  void Start(int events) override {
    int uv_events = ((events & EventLoop::kReadable) ? UV_READABLE : 0) |
                    ((events & EventLoop::kWritable) ? UV_WRITABLE : 0);
    uv_poll_start(&state_->handle, uv_events, [](uv_poll_t* h, int status, int ev) {
      int events = ((ev & UV_READABLE) ? EventLoop::kReadable : 0) |
                   ((ev & UV_WRITABLE) ? EventLoop::kWritable : 0);
      static_cast<PollState*>(h->data)->callback(status < 0 ? uv_strerror(status) : "", events);
    });
  }
  void Stop() override { uv_poll_stop(&state_->handle); }

 private:
  PollState* state_;
};

// One uv_getaddrinfo request; it frees itself once its callback has run.
class UvLookup final : public persistence::postgres::EventLoop::Lookup {
 public:
  explicit UvLookup(persistence::postgres::EventLoop::LookupCallback done)
      : done_(std::move(done)) {
    req_.data = this;
  }
  uv_getaddrinfo_t* req() { return &req_; }
  void Cancel() override { uv_cancel(reinterpret_cast<uv_req_t*>(&req_)); }

  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
    auto* self = static_cast<UvLookup*>(req->data);
    // Every address, in the resolver's order, as libpq would try them.
    std::vector<std::string> addresses;
    for (struct addrinfo* a = status == 0 ? res : nullptr; a != nullptr; a = a->ai_next) {
      char ip[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(a->ai_addr), ip, sizeof(ip));
      } else if (a->ai_family == AF_INET6) {
        uv_ip6_name(reinterpret_cast<const struct sockaddr_in6*>(a->ai_addr), ip, sizeof(ip));
      } else {
        continue;
      }
      if (std::find(addresses.begin(), addresses.end(), ip) == addresses.end() &&
          addresses.size() < 8) {
        addresses.emplace_back(ip);
      }
    }
    uv_freeaddrinfo(res);
    std::string error = status < 0 ? uv_strerror(status) : "";
    auto done = std::move(self->done_);
    delete self;
    done(std::move(addresses), error);
  }

 private:
  uv_getaddrinfo_t req_;
  persistence::postgres::EventLoop::LookupCallback done_;
};

}  // namespace

std::unique_ptr<persistence::postgres::EventLoop::Timer> UvEventLoop::NewTimer(
    std::function<void()> callback) {
  return std::make_unique<UvTimer>(loop_, std::move(callback));
}

std::unique_ptr<persistence::postgres::EventLoop::FdWatch> UvEventLoop::WatchFd(
    int fd, FdCallback callback) {
  return std::make_unique<UvFdWatch>(loop_, fd, std::move(callback));
}

persistence::postgres::EventLoop::Lookup* UvEventLoop::Resolve(const std::string& host,
                                                               LookupCallback done,
                                                               std::string* error) {
  auto* lookup = new UvLookup(std::move(done));
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc =
      uv_getaddrinfo(loop_, lookup->req(), UvLookup::OnResolved, host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete lookup;
    *error = uv_strerror(rc);
    return nullptr;
  }
  return lookup;
}

}  // namespace dkv::server
