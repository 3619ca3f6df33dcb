#include "src/core/propagation.h"

#include <charconv>

#include "resp/reply.h"

namespace dkv::server {

namespace {

constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
constexpr std::string_view kExec = "*1\r\n$4\r\nEXEC\r\n";

}  // namespace

void Propagator::set_sink(Sink sink) {
  sink_ = std::move(sink);
  // What is pending belonged to the old sink (or to none); the frames stay so that the runs in
  // progress leave in balance, but they record nothing more for this command.
  pending_.clear();
  pending_count_ = 0;
  commands_ = 0;
  for (Frame& f : frames_) {
    f.stated = true;
    f.commands_at_enter = 0;
  }
  last_db_ = -1;
  pending_db_ = -1;
  recording_ = true;
}

void Propagator::Enter() { frames_.push_back(Frame{false, false, commands_}); }

void Propagator::Leave(int db, Args argv) {
  if (frames_.empty()) return;  // the sink changed during the run (set_sink)
  const Frame f = frames_.back();
  frames_.pop_back();
  if (f.changed && !f.stated && commands_ == f.commands_at_enter && recording_ && sink_) {
    AppendArgs(db, argv);
    commands_++;
  }
  if (frames_.empty()) Flush();
}

void Propagator::Replace(int db, std::vector<std::string> argv) {
  if (!sink_) return;
  if (!frames_.empty()) frames_.back().stated = true;
  if (!recording_) return;
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  AppendArgs(db, views);
  commands_++;
  if (frames_.empty()) Flush();
}

void Propagator::Suppress() {
  if (!frames_.empty()) frames_.back().stated = true;
}

void Propagator::MarkChanged() { MarkFrameChanged(); }

void Propagator::OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) {
  if (!sink_) return;
  switch (kind) {
    case engine::ChangeKind::kWrite:
    case engine::ChangeKind::kDelete:
      MarkFrameChanged();
      return;
    case engine::ChangeKind::kExpired:
    case engine::ChangeKind::kEvicted:
      // Logged where it happens, as DEL (Redis 7.2 logs DEL, or UNLINK with lazy freeing);
      // it is not the running command's change.
      AppendDel(db, key);
      if (frames_.empty()) Flush();
      return;
  }
}

void Propagator::OnPrefixDeleted(int db, std::string_view prefix) {
  (void)db;
  (void)prefix;
  if (sink_) MarkFrameChanged();
}

void Propagator::OnFlush(engine::Database& db) {
  (void)db;
  if (sink_) MarkFrameChanged();
}

void Propagator::OnSwapDatabases(engine::Database& a, engine::Database& b) {
  (void)a;
  (void)b;
  if (sink_) MarkFrameChanged();
}

void Propagator::SelectFor(int db) {
  if (db == pending_db_) return;
  pending_.append("*2\r\n$6\r\nSELECT\r\n", 16);
  resp::ReplyBuilder out(&pending_, 2);
  if (keyspace_ != nullptr && db >= 0 && db < keyspace_->database_count()) {
    out.Bulk(keyspace_->NamespaceName(db));
  } else {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), db);
    (void)ec;
    out.Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  pending_db_ = db;
}

void Propagator::AppendArgs(int db, Args argv) {
  SelectFor(db);
  // RESP2 multibulk, as a client sends it: the reply builder's array and bulk encodings.
  resp::ReplyBuilder out(&pending_, 2);
  out.ArrayHeader(argv.size());
  for (std::string_view a : argv) out.Bulk(a);
  pending_count_++;
}

void Propagator::AppendDel(int db, std::string_view key) {
  SelectFor(db);
  pending_.append("*2\r\n$3\r\nDEL\r\n", 13);
  resp::ReplyBuilder(&pending_, 2).Bulk(key);
  pending_count_++;
}

void Propagator::Flush() {
  commands_ = 0;
  recording_ = true;
  if (pending_count_ == 0 || !sink_) {
    pending_.clear();
    pending_count_ = 0;
    pending_db_ = last_db_;
    return;
  }
  // The selecting command is in what the sink gets: from here on it is the reader's namespace.
  last_db_ = pending_db_;
  if (pending_count_ == 1) {
    sink_(pending_);
  } else {
    // More than one command for one top-level command (EXEC, a script, an expired key met
    // before a write): one transaction, so that a replay applies all of it or nothing.
    wrapped_.clear();
    wrapped_.reserve(kMulti.size() + pending_.size() + kExec.size());
    wrapped_.append(kMulti);
    wrapped_.append(pending_);
    wrapped_.append(kExec);
    sink_(wrapped_);
  }
  pending_.clear();
  pending_count_ = 0;
  // One large command (a big MSET, a long script) does not keep its buffer for good.
  if (pending_.capacity() > (1u << 20)) pending_ = std::string();
  if (wrapped_.capacity() > (1u << 20)) wrapped_ = std::string();
}

}  // namespace dkv::server
