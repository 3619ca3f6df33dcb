// Clock: the engine's only source of time, injected so that expiry and LRU are tested without
// sleeping. SystemClock reads the real clock; FakeClock is set by tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace dkv::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds and microseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
  virtual int64_t NowUs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override { return NowUs() / 1000; }
  int64_t NowUs() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_us_(now_ms * 1000) {}
  int64_t NowMs() const override { return now_us_ / 1000; }
  int64_t NowUs() const override { return now_us_; }
  void AdvanceMs(int64_t ms) { now_us_ += ms * 1000; }
  void SetMs(int64_t ms) { now_us_ = ms * 1000; }

 private:
  int64_t now_us_;
};

}  // namespace dkv::engine
