// EventLoop: what the PostgreSQL backend needs of an event loop, so that persistence/ does not
// depend on libuv. The server implements it on its libuv loop (src/uv_event_loop.*); the unit
// tests implement it with a fake loop whose time and readiness they drive by hand.
//
// Everything here belongs to the loop thread. Callbacks run on the loop thread, never from
// inside the call that registers them. Timers and watches are owned by whoever made them:
// destroying one stops it, and its callback never runs after that. A name lookup is owned by
// the loop until its callback has run (which it always does, also after Cancel).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::persistence::postgres {

class EventLoop {
 public:
  // Readiness of a file descriptor.
  static constexpr int kReadable = 1;
  static constexpr int kWritable = 2;

  class Timer {
   public:
    virtual ~Timer() = default;
    // Runs the callback after `after_ms`, then every `repeat_ms` (0: once).
    virtual void Start(int64_t after_ms, int64_t repeat_ms) = 0;
    virtual void Stop() = 0;
  };

  // Watches one descriptor (the libpq socket). The callback gets an error text (empty when the
  // watch works; the loop's message when it failed) and the events that are ready.
  class FdWatch {
   public:
    virtual ~FdWatch() = default;
    // Starts watching for `events` (kReadable | kWritable), replacing the previous set.
    virtual void Start(int events) = 0;
    virtual void Stop() = 0;
  };
  using FdCallback = std::function<void(const std::string& error, int events)>;

  // A host name being looked up.
  class Lookup {
   public:
    virtual ~Lookup() = default;
    // Asks the lookup to stop early; the callback still runs (with an error or a result).
    virtual void Cancel() = 0;
  };
  // The addresses a name resolved to (numeric, in the resolver's order, without repeats, at
  // most 8), and the resolver's error text when it failed.
  using LookupCallback =
      std::function<void(std::vector<std::string> addresses, const std::string& error)>;

  virtual ~EventLoop() = default;

  // Milliseconds and microseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
  virtual int64_t NowUs() const = 0;

  virtual std::unique_ptr<Timer> NewTimer(std::function<void()> callback) = 0;
  // REQUIRES: fd is open. The watch starts stopped.
  virtual std::unique_ptr<FdWatch> WatchFd(int fd, FdCallback callback) = 0;
  // Looks `host` up (TCP addresses of any family) without blocking the loop. Returns the
  // lookup, valid until `done` has run; or null, with *error set, when it could not start.
  virtual Lookup* Resolve(const std::string& host, LookupCallback done, std::string* error) = 0;
};

}  // namespace dkv::persistence::postgres
