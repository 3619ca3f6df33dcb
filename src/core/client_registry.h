// ClientRegistry: the connected clients by id (CLIENT LIST/KILL, INFO clients, /metrics), the
// MONITOR clients, the next client id, and CLIENT PAUSE's state (which commands wait, until when).
// The network layer (src/net/server_loop.cc; the command harness in tests) adds and removes
// sessions; it owns them, the registry only points at them. Owned by ServerState, reached by
// handlers through Services. Loop thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "src/core/session.h"

namespace dkv::server {

class ClientRegistry {
 public:
  // A fresh id for a new connection (ids are never reused).
  uint64_t NextId() { return next_id_++; }
  // Registers a session under its id.
  void Add(Session* session) { clients_.emplace(session->id, session); }
  // Unregisters a session (and stops it monitoring).
  void Remove(Session* session) {
    RemoveMonitor(session);
    clients_.erase(session->id);
  }
  Session* Find(uint64_t id) const {
    auto it = clients_.find(id);
    return it == clients_.end() ? nullptr : it->second;
  }
  // Every client, in id order.
  const std::map<uint64_t, Session*>& all() const { return clients_; }
  std::map<uint64_t, Session*>::const_iterator begin() const { return clients_.begin(); }
  std::map<uint64_t, Session*>::const_iterator end() const { return clients_.end(); }
  size_t size() const { return clients_.size(); }

  // MONITOR: the clients that see every command, in the order they started.
  void AddMonitor(Session* session) { monitors_.push_back(session); }
  void RemoveMonitor(Session* session) {
    monitors_.erase(std::remove(monitors_.begin(), monitors_.end(), session), monitors_.end());
  }
  const std::vector<Session*>& monitors() const { return monitors_; }

  // Clients blocked in a command (INFO's blocked_clients), as Redis counts them: those parked by
  // a blocking command (src/core/blocked_clients.h) and those whose command CLIENT PAUSE holds.
  size_t blocked() const {
    size_t n = 0;
    for (const auto& [id, s] : clients_) n += (s->postponed || s->blocked) ? 1 : 0;
    return n;
  }

  // CLIENT PAUSE: until `end_ms` (the server clock), every command waits (all) or only those
  // that may change data (writes, EVAL, EXEC with writes). A second pause keeps the later end
  // and the stricter mode, as Redis.
  void Pause(int64_t now_ms, int64_t end_ms, bool all) {
    if (!paused(now_ms)) Unpause();
    pause_all_ = all || pause_all_;
    pause_end_ms_ = std::max(pause_end_ms_, end_ms);
  }
  void Unpause() {
    pause_end_ms_ = 0;
    pause_all_ = false;
  }
  // Whether a pause is in force at `now_ms`, and for which commands.
  bool paused(int64_t now_ms) const { return pause_end_ms_ > now_ms; }
  bool pause_all() const { return pause_all_; }
  int64_t pause_end_ms() const { return pause_end_ms_; }

 private:
  std::map<uint64_t, Session*> clients_;
  std::vector<Session*> monitors_;
  uint64_t next_id_ = 1;
  int64_t pause_end_ms_ = 0;  // 0: not paused
  bool pause_all_ = false;
};

}  // namespace dkv::server
