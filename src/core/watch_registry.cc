#include "src/core/watch_registry.h"

#include <algorithm>

namespace dkv::server {

void WatchRegistry::Watch(Session* session, int db, std::string_view key, bool expired_now) {
  for (const WatchedKey& w : session->watched) {
    if (w.db == db && w.key == key) return;
  }
  session->watched.push_back({db, std::string(key), expired_now});
  watchers_[{db, std::string(key)}].push_back(session);
}

void WatchRegistry::UnwatchAll(Session* session) {
  for (const WatchedKey& w : session->watched) {
    auto it = watchers_.find(std::make_pair(w.db, w.key));
    if (it == watchers_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), session), list.end());
    if (list.empty()) watchers_.erase(it);
  }
  session->watched.clear();
  session->watch_dirty = false;
}

void WatchRegistry::OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(std::make_pair(db, std::string(key)));
  if (it == watchers_.end()) return;
  for (Session* s : it->second) {
    if (kind == engine::ChangeKind::kExpired) {
      // Deleting a key that was already expired when watched is no logical change.
      bool was_expired = false;
      for (const WatchedKey& w : s->watched) {
        if (w.db == db && w.key == key) was_expired = w.expired_at_watch;
      }
      if (was_expired) continue;
    }
    s->watch_dirty = true;
  }
}

void WatchRegistry::OnPrefixDeleted(int db, std::string_view prefix) {
  if (watchers_.empty()) return;
  for (auto& [where, sessions] : watchers_) {
    if (where.first != db || where.second.compare(0, prefix.size(), prefix) != 0) continue;
    for (Session* s : sessions) s->watch_dirty = true;
  }
}

void WatchRegistry::TouchExistingKeys(engine::Database& db, engine::Database* other) {
  if (watchers_.empty()) return;
  for (auto& [where, sessions] : watchers_) {
    if (where.first != db.index() && (other == nullptr || where.first != other->index())) continue;
    bool exists = db.Find(where.second) != nullptr ||
                  (other != nullptr && other->Find(where.second) != nullptr);
    if (!exists) continue;
    for (Session* s : sessions) s->watch_dirty = true;
  }
}

}  // namespace dkv::server
