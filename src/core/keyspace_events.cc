// KeyspaceEvents (src/core/keyspace_events.h): publishing Redis' keyspace notifications.
#include "src/core/keyspace_events.h"

namespace dkv::server {

void KeyspaceEvents::set_flags(uint32_t flags) {
  flags_ = flags;
  // The engine asks only while someone listens for "new" or "keymiss" and something is
  // published at all (K or E).
  bool publishing = (flags & (kNotifyKeyspace | kNotifyKeyevent)) != 0;
  bool wanted = publishing && (flags & (kNotifyNew | kNotifyKeyMiss)) != 0;
  if (keyspace_ != nullptr) keyspace_->set_notices(wanted ? this : nullptr);
}

void KeyspaceEvents::OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) {
  if (kind == engine::ChangeKind::kExpired) {
    Notify(kNotifyExpired, "expired", db, key);
  } else if (kind == engine::ChangeKind::kEvicted) {
    Notify(kNotifyEvicted, "evicted", db, key);
  }
}

void KeyspaceEvents::Publish(uint32_t type, std::string_view event, int db, std::string_view key) {
  if (sink_) sink_(type, event, db, key);
  if (pubsub_ == nullptr) return;
  // <db> is the namespace's name: a number for the numbered databases.
  const std::string& ns = keyspace_->NamespaceName(db);
  if (flags_ & kNotifyKeyspace) {
    channel_.assign("__keyspace@");
    channel_.append(ns);
    channel_.append("__:");
    channel_.append(key);
    pubsub_->Publish(db, channel_, event);
  }
  if (flags_ & kNotifyKeyevent) {
    channel_.assign("__keyevent@");
    channel_.append(ns);
    channel_.append("__:");
    channel_.append(event);
    pubsub_->Publish(db, channel_, key);
  }
}

}  // namespace dkv::server
