// KeyspaceEvents: Redis' keyspace notifications (notify-keyspace-events). A command that changes
// a key reports the event by name, as Redis' notifyKeyspaceEvent does, through
// CommandContext::Notify(type, "lpush", key); the engine's own deletions (expired, evicted) come
// through the keyspace observer. An event whose type is enabled is published on
// "__keyspace@<db>__:<key>" (message: the event) and/or "__keyevent@<db>__:<event>" (message: the
// key) through PubSub, in the namespace it happened in; <db> is the namespace's name (a number
// for Redis' numbered databases).
//
// With notifications off (the default, flags() == 0) Notify is one load and a test. Owned by
// ServerState; handlers reach it through Services::events(). Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/keyspace.h"
#include "src/core/pubsub.h"

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

class KeyspaceEvents : public engine::KeyspaceObserver {
 public:
  KeyspaceEvents(PubSub* pubsub, engine::Keyspace* keyspace)
      : pubsub_(pubsub), keyspace_(keyspace) {}
  KeyspaceEvents(const KeyspaceEvents&) = delete;
  KeyspaceEvents& operator=(const KeyspaceEvents&) = delete;

  // notify-keyspace-events as Redis parses and prints it ("KEA" ...). Parse returns false for
  // an unknown letter.
  static bool ParseFlags(std::string_view text, uint32_t* flags);
  static std::string FormatFlags(uint32_t flags);
  uint32_t flags() const { return flags_; }
  void set_flags(uint32_t flags) { flags_ = flags; }

  // Redis' notifyKeyspaceEvent: `type` is one NotifyType bit (kNotifyList ...), `event` the
  // event's name ("lpush"), `db` the namespace index.
  void Notify(uint32_t type, std::string_view event, int db, std::string_view key) {
    if ((flags_ & type) == 0 || (flags_ & (kNotifyKeyspace | kNotifyKeyevent)) == 0) return;
    Publish(type, event, db, key);
  }

  // --- engine::KeyspaceObserver: expired and evicted keys ---
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  void OnPrefixDeleted(int, std::string_view) override {}
  void OnFlush(engine::Database&) override {}

 private:
  void Publish(uint32_t type, std::string_view event, int db, std::string_view key);

  [[maybe_unused]] PubSub* pubsub_;
  [[maybe_unused]] engine::Keyspace* keyspace_;
  uint32_t flags_ = 0;
};

}  // namespace dkv::server
