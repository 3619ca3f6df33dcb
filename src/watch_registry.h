// WatchRegistry: WATCH bookkeeping (which sessions watch which keys), and ObserverList, which
// passes every keyspace change to WATCH and then to persistence. Owned by ServerState; the
// keyspace calls them on every change. Loop thread only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/keyspace.h"
#include "src/session.h"

namespace dkv::server {

// WATCH bookkeeping: which sessions watch which keys. Registered as the keyspace observer.
class WatchRegistry : public engine::KeyspaceObserver {
 public:
  void Watch(Session* session, int db, std::string_view key, bool expired_now);
  void UnwatchAll(Session* session);
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  // KV.DEL of a subtree: sessions watching a key under the prefix are dirty.
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  // FLUSHDB/FLUSHALL/SWAPDB: sessions watching keys that exist in the database are dirty.
  void TouchExistingKeys(engine::Database& db, engine::Database* other);
  bool empty() const { return watchers_.empty(); }

 private:
  std::map<std::pair<int, std::string>, std::vector<Session*>, std::less<>> watchers_;
};

// Passes every keyspace change to several observers in turn.
class ObserverList : public engine::KeyspaceObserver {
 public:
  std::vector<engine::KeyspaceObserver*> observers;
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override {
    for (auto* o : observers) o->OnKeyChanged(db, key, kind);
  }
  void OnPrefixDeleted(int db, std::string_view prefix) override {
    for (auto* o : observers) o->OnPrefixDeleted(db, prefix);
  }
};

}  // namespace dkv::server
