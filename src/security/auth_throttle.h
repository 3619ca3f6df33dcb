// AuthThrottle: failed logins counted per source address (the client's IP address, an IPv6
// client's /64 network, all unix-socket clients as one source), so that opening a new connection
// for each guess gains an attacker nothing over the per-connection backoff of AUTH. AUTH, HELLO
// AUTH and HTTP basic auth share one table (ServerState::auth_throttle).
//
// The table has a fixed size (kBuckets buckets of kWays entries, about 100 KB, allocated once):
// a source maps to a bucket by a hash of its text, and a source not in its bucket takes the
// bucket's least recently failed entry. Many addresses cannot grow it; they only push each other
// out. Counts decay: one failure is forgiven every kDecayMs, so a source that stops failing is
// free again after a while, and one that keeps guessing stays at one guess per kMaxBackoffMs.
// Nothing here waits: a blocked attempt is refused at once, without the password being checked.
// Loop thread only.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::server {

class AuthThrottle {
 public:
  // Failures from one source before further attempts are slowed (more than a connection's 3:
  // several clients behind one address each mistype once in a while).
  static constexpr int kFreeFailures = 10;
  static constexpr int64_t kFirstBackoffMs = 100;  // doubles with each failure past the free ones
  static constexpr int64_t kMaxBackoffMs = 10000;
  static constexpr int64_t kDecayMs = 10000;  // one failure forgiven per this much time
  static constexpr size_t kBuckets = 1024;
  static constexpr size_t kWays = 4;
  static constexpr size_t kCapacity = kBuckets * kWays;

  // Milliseconds until `source` may try a password again (0: now).
  int64_t BlockedForMs(std::string_view source, int64_t now_ms);
  // Counts a failed login from `source` and sets its next delay.
  void Failure(std::string_view source, int64_t now_ms);
  // Sources with a failure not yet forgiven at `now_ms` (at most kCapacity). For tests and INFO.
  size_t Tracked(int64_t now_ms) const;
  // The current failure count of `source` after decay (0 if it is not in the table).
  int Failures(std::string_view source, int64_t now_ms);

 private:
  struct Entry {
    uint64_t key = 0;  // hash of the source; 0 is an unused entry
    int failures = 0;
    int64_t decayed_ms = 0;  // the time up to which failures has been decayed
    int64_t last_failure_ms = 0;
    int64_t blocked_until_ms = 0;
  };
  static uint64_t KeyOf(std::string_view source);
  static void Decay(Entry& e, int64_t now_ms);
  Entry* Find(uint64_t key, int64_t now_ms);
  std::array<Entry, kCapacity> entries_{};
};

// The delay after `failures` failed logins when the first `free_failures` cost nothing:
// kFirstBackoffMs doubling with each further failure, up to kMaxBackoffMs. Used per source
// address here and per connection by AUTH.
int64_t AuthBackoffMs(int failures, int free_failures);

// The throttle's source for a peer address: "4:a.b.c.d" for IPv4 (and IPv4-mapped IPv6), "6:" and
// the first 64 bits for IPv6 (one host usually owns a whole /64).
std::string AuthSourceOf(const struct sockaddr_storage& peer);
// The source of every unix-socket client.
inline constexpr std::string_view kUnixAuthSource = "unix";

}  // namespace dkv::server
