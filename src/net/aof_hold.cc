// Server::Impl and the append-only log's writer (src/core/aof_log.h): group commit under
// appendfsync always (a reply acknowledging a write never leaves before the log's fdatasync
// covers it, while the connection's further commands keep running; one sync covers every
// command appended meanwhile, from all clients) and WAITAOF's waits. The class is in
// server_impl.h.
#include "src/net/server_impl.h"

namespace dkv::server {

void Server::Impl::NoteAofWrite(Connection* conn, size_t out_before) {
  const uint64_t offset = aof_log_.appended();
  conn->session.aof_offset = offset;
  if (aof_log_.durable() >= offset) return;
  auto& marks = conn->aof_marks;
  if (marks.empty()) {
    aof_held_.push_back(conn);
  } else if (marks.back().start >= out_before) {
    // The previous mark starts no earlier: one mark (the later offset) covers both.
    marks.back().offset = offset;
    return;
  }
  marks.push_back({out_before, offset});
}

size_t Server::Impl::AofSendable(Connection* conn) {
  auto& marks = conn->aof_marks;
  const uint64_t durable = aof_log_.durable();
  size_t done = 0;
  while (done < marks.size() && marks[done].offset <= durable) done++;
  if (done > 0) marks.erase(marks.begin(), marks.begin() + static_cast<std::ptrdiff_t>(done));
  return marks.empty() ? conn->out.size() : std::min(marks.front().start, conn->out.size());
}

void Server::Impl::AofSent(Connection* conn, size_t sent) {
  for (auto& mark : conn->aof_marks) mark.start = mark.start > sent ? mark.start - sent : 0;
}

void Server::Impl::ReleaseAofHeld() {
  const uint64_t durable = aof_log_.durable();
  std::vector<Connection*> ready = TakeIf(&aof_held_, [&](Connection* c) {
    return c->aof_marks.empty() || c->aof_marks.front().offset <= durable;
  });
  for (Connection* conn : ready) {
    // What may go now goes at this iteration's flush; a connection still holding a later mark
    // goes back on the list.
    AofSendable(conn);
    if (!conn->aof_marks.empty()) aof_held_.push_back(conn);
    MarkPending(conn);
  }
}

void Server::Impl::ForgetAof(Connection* conn) {
  if (!conn->aof_marks.empty()) {
    aof_held_.erase(std::remove(aof_held_.begin(), aof_held_.end(), conn), aof_held_.end());
    conn->aof_marks.clear();
  }
  if (conn->session.blocked && !aof_waiters_.empty()) {
    aof_waiters_.erase(std::remove_if(aof_waiters_.begin(), aof_waiters_.end(),
                                      [&](const AofWaiter& w) { return w.conn == conn; }),
                       aof_waiters_.end());
  }
}

bool Server::Impl::WaitAof(Session* session, uint64_t offset, int numlocal, int numreplicas,
                           int64_t deadline_ms) {
  auto it = connections_.find(session->id);
  if (it == connections_.end()) return false;
  aof_waiters_.push_back({it->second, offset, numlocal, numreplicas, deadline_ms});
  // Parked as a blocking command is: its bytes stay in the input, later commands wait.
  session->blocked = true;
  ArmAofWaitTimer();
  return true;
}

void Server::Impl::ReleaseAofWaiters(bool due_only) {
  const int64_t now = clock_.NowMs();
  const bool log_open = aof_log_.is_open();
  const uint64_t synced = aof_log_.synced();
  std::vector<AofWaiter> done;
  auto keep =
      std::stable_partition(aof_waiters_.begin(), aof_waiters_.end(), [&](const AofWaiter& w) {
        const bool local_ok = w.numlocal == 0 || (log_open && synced >= w.offset);
        // dkv has no replicas: a wait for replicas ends only at its deadline.
        const bool satisfied = !due_only && local_ok && w.numreplicas == 0;
        const bool due = w.deadline_ms != 0 && w.deadline_ms <= now;
        return !(satisfied || due);
      });
  done.assign(keep, aof_waiters_.end());
  aof_waiters_.erase(keep, aof_waiters_.end());
  for (const AofWaiter& w : done) {
    Session& s = w.conn->session;
    resp::ReplyBuilder reply(&w.conn->out, s.protocol);
    reply.ArrayHeader(2);
    reply.Integer(log_open && synced >= w.offset ? 1 : 0);
    reply.Integer(0);
    s.blocked = false;
    // Counted when it ends, as a blocking command is.
    state_.stats.commands["waitaof"].calls++;
    BlockEnded(&s);
  }
  ArmAofWaitTimer();
}

void Server::Impl::ArmAofWaitTimer() {
  int64_t next = 0;
  for (const AofWaiter& w : aof_waiters_) {
    if (w.deadline_ms != 0 && (next == 0 || w.deadline_ms < next)) next = w.deadline_ms;
  }
  if (next == aof_wait_timer_at_) return;
  aof_wait_timer_at_ = next;
  if (next == 0) {
    uv_timer_stop(&aof_wait_timer_);
    return;
  }
  const int64_t wait = std::max<int64_t>(next - clock_.NowMs(), 0);
  uv_timer_start(&aof_wait_timer_, OnAofWaitTimer, static_cast<uint64_t>(wait), 0);
}

void Server::Impl::OnAofWaitTimer(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  self->aof_wait_timer_at_ = 0;
  self->ReleaseAofWaiters(false);
}

}  // namespace dkv::server
