// The event classes of notify-keyspace-events (Redis' NOTIFY_* bits) and the option's text, as
// Redis parses and prints it (notify.c keyspaceEventsStringToFlags / FlagsToString). Here, in
// the configuration module, because CONFIG SET and the configuration file parse the option;
// KeyspaceEvents (src/core/keyspace_events.h) publishes by these bits. No state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::server {

// Redis' event type bits (server.h NOTIFY_*) and their letters in notify-keyspace-events.
enum NotifyType : uint32_t {
  kNotifyKeyspace = 1u << 0,  // K
  kNotifyKeyevent = 1u << 1,  // E
  kNotifyGeneric = 1u << 2,   // g: DEL, EXPIRE, RENAME, ...
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZset = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyKeyMiss = 1u << 11,  // m
  kNotifyLoaded = 1u << 12,   // (modules only)
  kNotifyModule = 1u << 13,   // d
  kNotifyNew = 1u << 14,      // n
  // A: g$lshzxetd
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// "KEA" -> bits. Returns false (and leaves *flags alone) for a letter outside
// "Ag$lshzxeKEtmdn"; the empty text is 0 (notifications off).
bool ParseNotifyFlags(std::string_view text, uint32_t* flags);
// Bits -> text in Redis' order: "A" when every class of A is on (then `n` is not printed, as in
// Redis), else the class letters g$lshzxetdn; then K, E, m.
std::string FormatNotifyFlags(uint32_t flags);

}  // namespace dkv::server
