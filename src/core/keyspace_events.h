// KeyspaceEvents: Redis' keyspace notifications (notify-keyspace-events). A command that changes
// a key reports the event by name, as Redis' notifyKeyspaceEvent does, through
// CommandContext::Notify(type, "lpush", key); the engine's own deletions (expired, evicted) come
// through the keyspace observer. An event whose type is enabled is published on
// "__keyspace@<db>__:<key>" (message: the event) and/or "__keyevent@<db>__:<event>" (message: the
// key) through PubSub, in the namespace it happened in; <db> is the namespace's name (a number
// for Redis' numbered databases).
//
// With notifications off (the default, flags() == 0) Notify is one load and a test: no string is
// built unless an event is published. "new" and "keymiss" come from the engine through
// engine::KeyNotices, which is set on the keyspace only while `n` or `m` is on. Owned by
// ServerState; handlers reach it through Services::events(). Loop thread only.
// docs/keyspace-events.md lists the events of every command.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/keyspace.h"
#include "src/config/notify_flags.h"  // NotifyType: kNotifyGeneric, kNotifyList, ...
#include "src/core/pubsub.h"

namespace dkv::server {

class KeyspaceEvents : public engine::KeyspaceObserver, public engine::KeyNotices {
 public:
  KeyspaceEvents(PubSub* pubsub, engine::Keyspace* keyspace)
      : pubsub_(pubsub), keyspace_(keyspace) {}
  KeyspaceEvents(const KeyspaceEvents&) = delete;
  KeyspaceEvents& operator=(const KeyspaceEvents&) = delete;

  // notify-keyspace-events as Redis parses and prints it ("KEA" ...). Parse returns false for
  // an unknown letter.
  static bool ParseFlags(std::string_view text, uint32_t* flags) {
    return ParseNotifyFlags(text, flags);
  }
  static std::string FormatFlags(uint32_t flags) { return FormatNotifyFlags(flags); }
  uint32_t flags() const { return flags_; }
  // Whether an event of `type` would be published (for callers that must look something up
  // first, such as whether a container lost its last element).
  bool wants(uint32_t type) const {
    return (flags_ & type) != 0 && (flags_ & (kNotifyKeyspace | kNotifyKeyevent)) != 0;
  }
  // Also sets or clears the engine's KeyNotices hook (`n`, `m`).
  void set_flags(uint32_t flags);

  // Redis' notifyKeyspaceEvent: `type` is one NotifyType bit (kNotifyList ...), `event` the
  // event's name ("lpush"), `db` the namespace index.
  void Notify(uint32_t type, std::string_view event, int db, std::string_view key) {
    if ((flags_ & type) == 0 || (flags_ & (kNotifyKeyspace | kNotifyKeyevent)) == 0) return;
    Publish(type, event, db, key);
  }

  // --- engine::KeyspaceObserver: expired and evicted keys ---
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  // KV.DEL of a subtree, FLUSHDB, FLUSHALL: no event per key (Redis sends none for a flush; the
  // subtree's "del" is the command's own, docs/keyspace-events.md).
  void OnPrefixDeleted(int, std::string_view) override {}
  void OnFlush(engine::Database&) override {}

  // --- engine::KeyNotices: "new" and "keymiss" ---
  void OnKeyCreated(int db, std::string_view key) override { Notify(kNotifyNew, "new", db, key); }
  void OnKeyMiss(int db, std::string_view key) override {
    Notify(kNotifyKeyMiss, "keymiss", db, key);
  }

  // Test seam: when set, every event that would be published is also handed to `sink` (unit
  // tests check names and order without subscribers).
  using Sink =
      std::function<void(uint32_t type, std::string_view event, int db, std::string_view key)>;
  void set_sink(Sink sink) { sink_ = std::move(sink); }

 private:
  void Publish(uint32_t type, std::string_view event, int db, std::string_view key);

  PubSub* pubsub_;
  engine::Keyspace* keyspace_;
  uint32_t flags_ = 0;
  Sink sink_;
  std::string channel_;  // reused: no allocation per event once it has grown
};

}  // namespace dkv::server
