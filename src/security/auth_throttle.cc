#include "src/security/auth_throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>

namespace dkv::server {

uint64_t AuthThrottle::KeyOf(std::string_view source) {
  // FNV-1a; a source that hashes to 0 takes 1 (0 marks an unused entry).
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : source) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

void AuthThrottle::Decay(Entry& e, int64_t now_ms) {
  if (now_ms <= e.decayed_ms) return;
  int64_t forgiven = (now_ms - e.decayed_ms) / kDecayMs;
  if (forgiven >= e.failures) {
    e.failures = 0;
    e.decayed_ms = now_ms;
    return;
  }
  e.failures -= static_cast<int>(forgiven);
  e.decayed_ms += forgiven * kDecayMs;
}

AuthThrottle::Entry* AuthThrottle::Find(uint64_t key, int64_t now_ms) {
  Entry* bucket = &entries_[(key % kBuckets) * kWays];
  for (size_t i = 0; i < kWays; ++i) {
    if (bucket[i].key == key) {
      Decay(bucket[i], now_ms);
      return &bucket[i];
    }
  }
  return nullptr;
}

int64_t AuthThrottle::BlockedForMs(std::string_view source, int64_t now_ms) {
  Entry* e = Find(KeyOf(source), now_ms);
  if (e == nullptr || now_ms >= e->blocked_until_ms) return 0;
  return e->blocked_until_ms - now_ms;
}

void AuthThrottle::Failure(std::string_view source, int64_t now_ms) {
  const uint64_t key = KeyOf(source);
  Entry* e = Find(key, now_ms);
  if (e == nullptr) {
    // Not tracked: take the bucket's least recently failed entry (unused ones first).
    Entry* bucket = &entries_[(key % kBuckets) * kWays];
    e = bucket;
    for (size_t i = 1; i < kWays; ++i) {
      if (bucket[i].key == 0 || (e->key != 0 && bucket[i].last_failure_ms < e->last_failure_ms)) {
        e = &bucket[i];
      }
      if (e->key == 0) break;
    }
    *e = Entry{};
    e->key = key;
    e->decayed_ms = now_ms;
  }
  e->failures++;
  e->last_failure_ms = now_ms;
  if (e->failures >= kFreeFailures) {
    e->blocked_until_ms = now_ms + AuthBackoffMs(e->failures, kFreeFailures);
  }
}

size_t AuthThrottle::Tracked(int64_t now_ms) const {
  size_t n = 0;
  for (const Entry& e : entries_) {
    if (e.key == 0) continue;
    Entry copy = e;
    Decay(copy, now_ms);
    if (copy.failures > 0) ++n;
  }
  return n;
}

int AuthThrottle::Failures(std::string_view source, int64_t now_ms) {
  Entry* e = Find(KeyOf(source), now_ms);
  return e == nullptr ? 0 : e->failures;
}

int64_t AuthBackoffMs(int failures, int free_failures) {
  int shift = std::min(failures - free_failures, 7);
  return std::min<int64_t>(AuthThrottle::kMaxBackoffMs, AuthThrottle::kFirstBackoffMs << shift);
}

std::string AuthSourceOf(const struct sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN + 8] = {0};
  if (peer.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const struct sockaddr_in*>(&peer);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    return std::string("4:") + text;
  }
  if (peer.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(&peer);
    const unsigned char* b = sin6->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      inet_ntop(AF_INET, b + 12, text, sizeof(text));
      return std::string("4:") + text;
    }
    std::snprintf(text, sizeof(text), "6:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7]);
    return text;
  }
  return "?";
}

}  // namespace dkv::server
