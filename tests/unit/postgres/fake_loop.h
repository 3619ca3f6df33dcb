// FakeEventLoop: the PostgreSQL backend's EventLoop for unit tests. Time stands still until the
// test advances it (timers due meanwhile fire in order); descriptor readiness is either given
// by hand (Ready) or, for tests that talk to a real socket, taken from poll(2) (PollOnce);
// name lookups wait until the test completes them. RecordingHost is a Host with plain settings
// that keeps every log line and notice. Both are test-owned values. One thread.
#pragma once

#include <poll.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "persistence/postgres/event_loop.h"
#include "persistence/postgres/host.h"

namespace dkv::persistence::postgres::testing {

class FakeEventLoop final : public EventLoop {
 public:
  struct TimerRec {
    std::function<void()> callback;
    bool active = false;
    bool alive = true;
    int64_t due_ms = 0, repeat_ms = 0;
  };
  struct WatchRec {
    int fd;
    FdCallback callback;
    int events = 0;  // 0: stopped
    bool alive = true;
  };
  struct LookupRec final : Lookup {
    std::string host;
    LookupCallback done;
    bool canceled = false;
    bool finished = false;
    void Cancel() override { canceled = true; }
  };

  int64_t now_us = 1'700'000'000'000'000;
  // Resolve fails to start with this error when it is set.
  std::string resolve_start_error;
  std::vector<std::shared_ptr<TimerRec>> timers;
  std::vector<std::shared_ptr<WatchRec>> watches;
  std::vector<std::unique_ptr<LookupRec>> lookups;

  int64_t NowMs() const override { return now_us / 1000; }
  int64_t NowUs() const override { return now_us; }

  std::unique_ptr<Timer> NewTimer(std::function<void()> callback) override {
    auto rec = std::make_shared<TimerRec>();
    rec->callback = std::move(callback);
    timers.push_back(rec);
    return std::make_unique<FakeTimer>(this, rec);
  }
  std::unique_ptr<FdWatch> WatchFd(int fd, FdCallback callback) override {
    auto rec = std::make_shared<WatchRec>();
    rec->fd = fd;
    rec->callback = std::move(callback);
    watches.push_back(rec);
    return std::make_unique<FakeWatch>(rec);
  }
  Lookup* Resolve(const std::string& host, LookupCallback done, std::string* error) override {
    if (!resolve_start_error.empty()) {
      *error = resolve_start_error;
      return nullptr;
    }
    auto rec = std::make_unique<LookupRec>();
    rec->host = host;
    rec->done = std::move(done);
    lookups.push_back(std::move(rec));
    return lookups.back().get();
  }

  // Moves time forward by `ms`, firing the timers that fall due, in order.
  void Advance(int64_t ms) {
    const int64_t end_ms = NowMs() + ms;
    while (true) {
      std::shared_ptr<TimerRec> next;
      for (auto& t : timers) {
        if (t->alive && t->active && t->due_ms <= end_ms && (!next || t->due_ms < next->due_ms)) {
          next = t;
        }
      }
      if (!next) break;
      now_us = std::max(now_us, next->due_ms * 1000);
      if (next->repeat_ms > 0) {
        next->due_ms += next->repeat_ms;
      } else {
        next->active = false;
      }
      next->callback();
    }
    now_us = end_ms * 1000;
  }

  // The live, started watch of `fd`, or null.
  WatchRec* WatchOf(int fd) {
    for (auto& w : watches) {
      if (w->alive && w->fd == fd && w->events != 0) return w.get();
    }
    return nullptr;
  }
  size_t LiveWatches() const {
    return static_cast<size_t>(
        std::count_if(watches.begin(), watches.end(), [](auto& w) { return w->alive; }));
  }
  // Tells the watch of `fd` that `events` are ready (or that it failed, with `error`).
  bool Ready(int fd, int events, const std::string& error = "") {
    for (auto& w : watches) {
      if (!w->alive || w->fd != fd || w->events == 0) continue;
      std::shared_ptr<WatchRec> keep = w;
      keep->callback(error, events & keep->events);
      return true;
    }
    return false;
  }
  // Waits up to timeout_ms for the watched descriptors (poll(2)) and runs the ready callbacks.
  // Returns whether any ran.
  bool PollOnce(int timeout_ms) {
    std::vector<std::shared_ptr<WatchRec>> live;
    std::vector<struct pollfd> fds;
    for (auto& w : watches) {
      if (!w->alive || w->events == 0) continue;
      live.push_back(w);
      short ev = static_cast<short>(((w->events & kReadable) ? POLLIN : 0) |
                                    ((w->events & kWritable) ? POLLOUT : 0));
      fds.push_back({w->fd, ev, 0});
    }
    if (fds.empty() || ::poll(fds.data(), fds.size(), timeout_ms) <= 0) return false;
    bool ran = false;
    for (size_t i = 0; i < fds.size(); ++i) {
      int ev = ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? kReadable : 0) |
               ((fds[i].revents & POLLOUT) ? kWritable : 0);
      if (ev == 0 || !live[i]->alive || live[i]->events == 0) continue;
      live[i]->callback("", ev);
      ran = true;
    }
    return ran;
  }
  // Completes the oldest unfinished lookup of `host`.
  bool CompleteLookup(const std::string& host, std::vector<std::string> addresses,
                      const std::string& error) {
    for (auto& l : lookups) {
      if (l->finished || l->host != host) continue;
      l->finished = true;
      auto done = std::move(l->done);
      done(std::move(addresses), error);
      return true;
    }
    return false;
  }

 private:
  class FakeTimer final : public Timer {
   public:
    FakeTimer(FakeEventLoop* loop, std::shared_ptr<TimerRec> rec)
        : loop_(loop), rec_(std::move(rec)) {}
    ~FakeTimer() override { rec_->alive = false; }
    void Start(int64_t after_ms, int64_t repeat_ms) override {
      rec_->active = true;
      rec_->due_ms = loop_->NowMs() + after_ms;
      rec_->repeat_ms = repeat_ms;
    }
    void Stop() override { rec_->active = false; }

   private:
    FakeEventLoop* loop_;
    std::shared_ptr<TimerRec> rec_;
  };
  class FakeWatch final : public FdWatch {
   public:
    explicit FakeWatch(std::shared_ptr<WatchRec> rec) : rec_(std::move(rec)) {}
    ~FakeWatch() override { rec_->alive = false; }
    void Start(int events) override { rec_->events = events; }
    void Stop() override { rec_->events = 0; }

   private:
    std::shared_ptr<WatchRec> rec_;
  };
};

class RecordingHost final : public Host {
 public:
  Tunables t;
  std::vector<std::pair<LogLevel, std::string>> lines;
  std::vector<bool> loading_changes;
  int load_failures = 0;

  Tunables tunables() const override { return t; }
  void Log(LogLevel level, std::string_view message) override {
    lines.emplace_back(level, std::string(message));
  }
  void SetLoading(bool loading) override { loading_changes.push_back(loading); }
  void LoadFailed() override { ++load_failures; }
  size_t Count(LogLevel level, std::string_view part) const {
    return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
      return l.first == level && l.second.find(part) != std::string::npos;
    }));
  }
};

}  // namespace dkv::persistence::postgres::testing
