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
#include "src/core/session.h"

namespace dkv::server {

// WATCH bookkeeping: which sessions watch which keys. Registered as the keyspace observer: the
// engine's write operations tell it what changed.
class WatchRegistry : public engine::KeyspaceObserver {
 public:
  void Watch(Session* session, int db, std::string_view key, bool expired_now);
  void UnwatchAll(Session* session);
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  // KV.DEL of a subtree: sessions watching a key under the prefix are dirty.
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  // FLUSHDB/FLUSHALL/SWAPDB: sessions watching keys that exist in the database(s) are dirty
  // (Redis: a watched key that did not exist is not touched by them).
  void OnFlush(engine::Database& db) override { TouchExistingKeys(db, nullptr); }
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override {
    TouchExistingKeys(a, &b);
  }
  bool empty() const { return watchers_.empty(); }

 private:
  void TouchExistingKeys(engine::Database& db, engine::Database* other);
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
  void OnFlush(engine::Database& db) override {
    for (auto* o : observers) o->OnFlush(db);
  }
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override {
    for (auto* o : observers) o->OnSwapDatabases(a, b);
  }
  void OnValueDropped(int db, std::string_view key) override {
    for (auto* o : observers) o->OnValueDropped(db, key);
  }
};

}  // namespace dkv::server
