#include "src/core/blocked_clients.h"

#include <algorithm>

#include "resp/reply.h"

namespace dkv::server {

void BlockedClients::Block(Session* session, int db, const std::vector<std::string_view>& keys,
                           engine::Kind kind, int64_t deadline_ms, std::string_view command) {
  Remove(session->id);  // never twice
  if (session->id == rerun_id_) deadline_ms = rerun_deadline_;
  Waiter& w = waiters_[session->id];
  w.session = session;
  w.db = db;
  w.kind = kind;
  w.deadline_ms = deadline_ms;
  w.command = std::string(command);
  KeyMap& map = by_key_[db];
  for (std::string_view key : keys) {
    bool dup =
        std::any_of(w.keys.begin(), w.keys.end(), [&](const auto& k) { return k.first == key; });
    if (dup) continue;
    auto it = map.find(key);
    if (it == map.end()) {
      it = map.emplace(std::string(key), KeyWaiters{}).first;
      key_count_++;
    }
    std::list<uint64_t>& queue = it->second.clients;
    w.keys.emplace_back(std::string(key), queue.insert(queue.end(), session->id));
  }
  if (deadline_ms > 0) timeouts_.emplace(deadline_ms, session->id);
  session->blocked = true;
}

void BlockedClients::Remove(uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Waiter& w = it->second;
  auto db_it = by_key_.find(w.db);
  for (auto& [key, pos] : w.keys) {
    auto k = db_it->second.find(key);
    k->second.clients.erase(pos);
    if (k->second.clients.empty()) {
      // A ready key with no one left stays on the ready list by name; ServeReady skips it.
      db_it->second.erase(k);
      key_count_--;
    }
  }
  if (db_it->second.empty()) by_key_.erase(db_it);
  if (w.deadline_ms > 0) timeouts_.erase({w.deadline_ms, id});
  w.session->blocked = false;
  waiters_.erase(it);
}

void BlockedClients::Forget(Session* session) { Remove(session->id); }

Session* BlockedClients::Finish(uint64_t id, Ending ending) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return nullptr;
  Session* s = it->second.session;
  CommandStats& cs = stats_->commands[it->second.command];
  Remove(id);
  // The reply of the command, as the dispatcher would keep or drop it (CLIENT REPLY).
  const bool drop = s->reply_off || s->reply_skip;
  s->reply_skip = s->reply_skip_next;
  s->reply_skip_next = false;
  cs.calls++;
  std::string scratch;
  resp::ReplyBuilder reply(drop ? &scratch : s->out, s->protocol);
  if (ending == Ending::kTimeout) {
    reply.NullArray();
  } else {
    reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    cs.failed_calls++;
    stats_->total_error_replies++;
    stats_->CountError("UNBLOCKED");
  }
  return s;
}

std::vector<uint64_t> BlockedClients::Due(int64_t now_ms) const {
  std::vector<uint64_t> due;
  for (const auto& [deadline, id] : timeouts_) {
    if (deadline > now_ms) break;
    due.push_back(id);
  }
  return due;
}

void BlockedClients::MarkReady(int db, std::string_view key, KeyWaiters& w) {
  if (w.ready) return;
  w.ready = true;
  ready_.emplace_back(db, std::string(key));
}

void BlockedClients::WakeOnAnyChange(uint64_t id) {
  auto it = waiters_.find(id);
  if (it != waiters_.end()) it->second.any_change = true;
}

void BlockedClients::MarkReadyForAnyChange(int db, std::string_view key, KeyWaiters& w) {
  for (uint64_t id : w.clients) {
    auto it = waiters_.find(id);
    if (it != waiters_.end() && it->second.any_change) return MarkReady(db, key, w);
  }
}

void BlockedClients::OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) {
  // Every write is a candidate (Redis signals new keys; a superset costs one look-up per write
  // while someone waits, nothing otherwise). Deletions and expiry make nothing servable, but
  // wake the clients waiting for any change (XREADGROUP).
  if (key_count_ == 0) return;
  auto db_it = by_key_.find(db);
  if (db_it == by_key_.end()) return;
  auto it = db_it->second.find(key);
  if (it == db_it->second.end()) return;
  if (kind == engine::ChangeKind::kWrite) return MarkReady(db, key, it->second);
  MarkReadyForAnyChange(db, key, it->second);
}

void BlockedClients::OnPrefixDeleted(int db, std::string_view prefix) {
  auto db_it = by_key_.find(db);
  if (db_it == by_key_.end()) return;
  for (auto& [key, w] : db_it->second) {
    if (key.compare(0, prefix.size(), prefix) == 0) MarkReadyForAnyChange(db, key, w);
  }
}

void BlockedClients::OnFlush(engine::Database& database) {
  auto db_it = by_key_.find(database.index());
  if (db_it == by_key_.end()) return;
  for (auto& [key, w] : db_it->second) MarkReadyForAnyChange(database.index(), key, w);
}

void BlockedClients::OnSwapDatabases(engine::Database& a, engine::Database& b) {
  // The clients stay in their namespace and the contents move: whatever either now holds may
  // serve them (checked after the command).
  for (int db : {a.index(), b.index()}) {
    auto db_it = by_key_.find(db);
    if (db_it == by_key_.end()) continue;
    for (auto& [key, w] : db_it->second) MarkReady(db, key, w);
  }
}

void BlockedClients::ServeReady(engine::Keyspace& keyspace,
                                const std::function<void(Session*)>& rerun) {
  if (serving_) return;
  serving_ = true;
  // Served commands write (pops, BLMOVE's push) and may make keys ready again: rounds until
  // none is; each round takes the list as it stands.
  while (!ready_.empty()) {
    std::vector<std::pair<int, std::string>> round;
    round.swap(ready_);
    for (const auto& [db, key] : round) {
      auto db_it = by_key_.find(db);
      if (db_it == by_key_.end()) continue;
      auto k = db_it->second.find(key);
      if (k == db_it->second.end()) continue;
      k->second.ready = false;  // from here a write signals it again
      // The clients waiting now, in order; those that park again go behind them and wait for
      // the next signal (Redis serves at most the initial count).
      std::vector<uint64_t> queue(k->second.clients.begin(), k->second.clients.end());
      engine::Database& database = keyspace.db(db);
      for (uint64_t id : queue) {
        auto w = waiters_.find(id);
        if (w == waiters_.end()) continue;  // served or gone meanwhile
        const engine::Entry* e = database.FindRaw(key);
        const bool present = e != nullptr && !database.IsExpired(e);
        // A missing key or another type serves no one, except the clients waiting for any
        // change (XREADGROUP), which run again to answer their error.
        if ((!present || e->kind() != w->second.kind) && !w->second.any_change) continue;
        Session* s = w->second.session;
        const int64_t deadline = w->second.deadline_ms;
        Remove(id);
        rerun_id_ = id;
        rerun_deadline_ = deadline;
        rerun(s);
        rerun_id_ = 0;
        rerun_deadline_ = 0;
      }
    }
  }
  serving_ = false;
}

}  // namespace dkv::server
