#include "src/core/aof_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

// The loop and the worker share one mutex and two condition variables: `work` wakes the worker
// for a hand-over or the stop, `idle` tells Close that the worker has finished. Three buffers
// rotate: the loop appends into `buffer`; a hand-over swaps it with the (empty) `job_*` strings;
// the worker swaps those into its own `pending_*` strings and writes them outside the lock. What
// a failed write leaves unwritten stays in `pending_*` and goes first in the next hand-over, so
// the file is always a prefix of what was appended, in order.

namespace dkv::server {

AofFsync ParseAofFsync(std::string_view name) {
  if (name == "always") return AofFsync::kAlways;
  if (name == "no") return AofFsync::kNo;
  return AofFsync::kEverysec;
}

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t FileSize(int fd) {
  off_t size = ::lseek(fd, 0, SEEK_END);
  return size > 0 ? static_cast<uint64_t>(size) : 0;
}

// A sync that runs longer than this when a hand-over waits for it counts in aof_delayed_fsync.
constexpr int64_t kDelayedSyncMs = 2000;
// everysec: the interval between syncs; also the retry interval after an error.
constexpr int64_t kSyncIntervalMs = 1000;

}  // namespace

struct AofLog::Impl {
  std::function<void()> wake;

  // --- loop thread only ---
  bool open = false;
  AofFsync policy = AofFsync::kEverysec;
  bool sync_paused = false;
  std::string buffer;         // appended, not handed over
  uint64_t appended = 0;      // offset after everything appended
  uint64_t handed = 0;        // offset after everything handed to the worker
  uint64_t written_seen = 0;  // the worker's figures as of the last OnWake
  uint64_t synced_seen = 0;
  int errno_seen = 0;             // the worker's error as of the last OnWake (0: none)
  int64_t last_sync_ms = 0;       // when the last sync was asked for
  int64_t delay_counted_for = 0;  // the sync start already counted in delayed_fsync
  uint64_t delayed_fsync = 0;
  uint64_t file_bytes = 0;  // bytes of the current file, written or buffered
  int switch_fd = -1;       // SwitchTo's new file, not yet handed over
  std::string switch_old;   // what was buffered for the old file at SwitchTo
  std::thread worker;

  // --- shared, under mu ---
  std::mutex mu;
  std::condition_variable work;
  std::condition_variable idle_cv;
  bool job_ready = false;  // a hand-over waits for the worker
  bool busy = false;       // the worker is writing or syncing
  bool stop = false;
  bool closing = false;    // no wake any more
  std::string job_pre;     // bytes for the current file
  int job_switch_fd = -1;  // then switch to this file
  std::string job_post;    // bytes for the file after the switch
  bool job_sync = false;
  bool job_sync_old = true;     // sync the old file at the switch (not under `no`)
  int64_t sync_started_ms = 0;  // a sync runs since then (0: none)
  uint64_t written = 0;
  uint64_t synced = 0;
  int write_errno = 0;
  int sync_errno = 0;
  bool switch_unfinished = false;     // a switch waits in pending_* after an error
  std::function<void()> before_sync;  // TEST_set_before_sync

  // --- worker (and Close once the worker is stopped) ---
  int fd = -1;
  std::string pending_pre;
  int pending_switch_fd = -1;
  std::string pending_post;

  // Writes `*bytes` to fd, erasing what was written; false on an error (errno_out set).
  bool WriteAll(std::string* bytes, uint64_t* written_bytes, int* errno_out) {
    size_t off = 0;
    bool ok = true;
    while (off < bytes->size()) {
      ssize_t n = ::write(fd, bytes->data() + off, bytes->size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        *errno_out = errno;
        ok = false;
        break;
      }
      if (n == 0) {  // should not happen for a regular file; treat as a full disk
        *errno_out = ENOSPC;
        ok = false;
        break;
      }
      off += static_cast<size_t>(n);
    }
    *written_bytes += off;
    bytes->erase(0, off);
    return ok;
  }

  // One round of the worker's work on what `pending_*` holds (outside the lock). Returns the
  // written/synced figures and errors through the arguments.
  void Process(bool sync, bool sync_old, uint64_t* written_bytes, bool* did_sync, int* werr,
               int* serr) {
    *did_sync = false;
    if (!WriteAll(&pending_pre, written_bytes, werr)) return;
    if (pending_switch_fd >= 0) {
      if (sync_old) {
        SyncStarted();
        int rc = ::fdatasync(fd);
        if (rc != 0) {
          *serr = errno;
          return;
        }
      }
      ::close(fd);
      fd = pending_switch_fd;
      pending_switch_fd = -1;
      pending_pre.swap(pending_post);
      pending_post.clear();
      if (!WriteAll(&pending_pre, written_bytes, werr)) return;
    }
    if (sync) {
      SyncStarted();
      if (::fdatasync(fd) != 0) {
        *serr = errno;
        return;
      }
      *did_sync = true;
    }
  }

  void SyncStarted() {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lock(mu);
      sync_started_ms = SteadyMs();
      hook = before_sync;
    }
    if (hook) hook();
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      work.wait(lock, [&] { return job_ready || stop; });
      if (!job_ready) break;  // stopped, nothing handed over
      // Take the hand-over into what waits from before (a failed write's rest goes first).
      if (pending_switch_fd < 0) {
        pending_pre.append(job_pre);
        pending_switch_fd = job_switch_fd;
        pending_post.append(job_post);
      } else {
        pending_post.append(job_pre);  // SwitchTo refuses a second switch meanwhile
        pending_post.append(job_post);
      }
      job_pre.clear();
      job_post.clear();
      job_switch_fd = -1;
      const bool sync = job_sync;
      const bool sync_old = job_sync_old;
      job_ready = false;
      busy = true;
      const uint64_t base = written;
      lock.unlock();

      uint64_t wrote = 0;
      bool did_sync = false;
      int werr = 0;
      int serr = 0;
      Process(sync, sync_old, &wrote, &did_sync, &werr, &serr);

      lock.lock();
      written = base + wrote;
      if (did_sync) synced = written;
      // A write's error lasts until a write succeeds, a sync's until a sync does (Redis'
      // aof_last_write_status and aof_bio_fsync_status).
      if (werr != 0) {
        write_errno = werr;
      } else {
        write_errno = 0;
        if (serr != 0) {
          sync_errno = serr;
        } else if (did_sync) {
          sync_errno = 0;
        }
      }
      switch_unfinished = pending_switch_fd >= 0;
      sync_started_ms = 0;
      busy = false;
      idle_cv.notify_all();
      if (!closing && wake) wake();
    }
  }

  // Loop: hands `buffer` (and a pending switch) to the worker if it is idle.
  bool TryHandOver(bool sync) {
    std::lock_guard<std::mutex> lock(mu);
    if (busy || job_ready) return false;
    if (switch_fd >= 0) {
      job_pre.swap(switch_old);
      job_switch_fd = switch_fd;
      job_post.swap(buffer);
      switch_fd = -1;
      job_sync_old = policy != AofFsync::kNo;
    } else {
      job_pre.swap(buffer);
    }
    job_sync = sync;
    job_ready = true;
    handed = appended;
    work.notify_one();
    return true;
  }

  bool SyncsNow(int64_t now) const {
    if (sync_paused) return false;
    if (policy == AofFsync::kAlways) return true;
    return policy == AofFsync::kEverysec && now - last_sync_ms >= kSyncIntervalMs;
  }

  // Loop: what handing over now should do, then does it. `force`: hand over even with nothing
  // new (a sync or a retry).
  void HandOver(bool force) {
    if (!open) return;
    const bool has_bytes = !buffer.empty() || switch_fd >= 0;
    if (!has_bytes && !force) return;
    const int64_t now = SteadyMs();
    const bool sync = SyncsNow(now);
    // everysec and no: the loop write()s into the page cache itself while the thread is idle,
    // as Redis does before it replies (cheap; no round trip through the thread for every
    // reply); the thread does the syncs. While the thread is busy (a sync runs), the bytes wait
    // and go to it at the next hand-over.
    if (policy != AofFsync::kAlways && !buffer.empty() && switch_fd < 0 && WriteInline()) {
      if (sync && TryHandOver(true)) last_sync_ms = now;
      return;
    }
    if (TryHandOver(sync)) {
      if (sync) last_sync_ms = now;
      return;
    }
    // The worker is busy: this waits for the next hand-over. A sync that has run for more
    // than 2 s is counted once (Redis' aof_delayed_fsync).
    std::lock_guard<std::mutex> lock(mu);
    if (sync_started_ms != 0 && now - sync_started_ms > kDelayedSyncMs &&
        delay_counted_for != sync_started_ms) {
      delay_counted_for = sync_started_ms;
      delayed_fsync++;
    }
  }

  // Loop: writes `buffer` on this thread if the worker is idle and healthy (the worker does not
  // touch fd until the next hand-over, which only this thread makes). False if not done.
  bool WriteInline() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (busy || job_ready || switch_unfinished || write_errno != 0) return false;
      busy = true;
    }
    uint64_t wrote = 0;
    int werr = 0;
    WriteAll(&buffer, &wrote, &werr);  // a failed write leaves the rest in `buffer`, in order
    handed = appended - buffer.size();
    std::lock_guard<std::mutex> lock(mu);
    written += wrote;
    if (werr != 0) write_errno = werr;
    busy = false;
    written_seen = written;
    errno_seen = write_errno != 0 ? write_errno : sync_errno;
    return true;
  }

  void Collect() {
    std::lock_guard<std::mutex> lock(mu);
    written_seen = written;
    synced_seen = synced;
    errno_seen = write_errno != 0 ? write_errno : sync_errno;
  }

  // Under everysec and no a reply waits for the write() (as Redis writes before it replies):
  // a killed process loses nothing it acknowledged; under always for the fdatasync().
  uint64_t Durable() const {
    if (policy == AofFsync::kAlways && !sync_paused) return synced_seen;
    return written_seen;
  }

  bool Failing() {
    std::lock_guard<std::mutex> lock(mu);
    return write_errno != 0 || sync_errno != 0;
  }
};

AofLog::AofLog(std::function<void()> wake) : impl_(new Impl) { impl_->wake = std::move(wake); }
AofLog::~AofLog() {
  Close();
  delete impl_;
}

std::string AofLog::Open(const std::string& path, AofFsync policy) {
  if (impl_->open) Close();
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  Impl& m = *impl_;
  m.fd = fd;
  m.policy = policy;
  m.file_bytes = FileSize(fd);
  m.buffer.clear();
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.stop = false;
    m.closing = false;
    m.job_ready = false;
    m.busy = false;
    // Offsets go on from where a previous open left them.
    m.written = m.appended;
    m.synced = m.appended;
    m.write_errno = 0;
    m.sync_errno = 0;
    m.switch_unfinished = false;
  }
  m.handed = m.written_seen = m.synced_seen = m.appended;
  m.errno_seen = 0;
  m.last_sync_ms = SteadyMs();
  m.open = true;
  m.worker = std::thread([&m] { m.Run(); });
  return "";
}
bool AofLog::is_open() const { return impl_->open; }
void AofLog::set_policy(AofFsync policy) { impl_->policy = policy; }
AofFsync AofLog::policy() const { return impl_->policy; }
void AofLog::set_sync_paused(bool paused) { impl_->sync_paused = paused; }

uint64_t AofLog::Append(std::string_view bytes) {
  impl_->buffer.append(bytes);
  impl_->appended += bytes.size();
  impl_->file_bytes += bytes.size();
  return impl_->appended;
}
uint64_t AofLog::appended() const { return impl_->appended; }
uint64_t AofLog::durable() const { return impl_->Durable(); }
uint64_t AofLog::synced() const { return impl_->synced_seen; }
uint64_t AofLog::written() const { return impl_->written_seen; }

void AofLog::Flush() { impl_->HandOver(false); }

bool AofLog::OnWake() {
  Impl& m = *impl_;
  if (!m.open) return false;
  const uint64_t before = m.Durable();
  m.Collect();
  // What waited while the worker was busy goes now. Under `always`, what was written but not
  // synced (the policy changed, or a sync failed) is synced with it.
  const bool unsynced = m.policy == AofFsync::kAlways && !m.sync_paused && m.synced_seen < m.handed;
  if (!m.buffer.empty() || m.switch_fd >= 0 || (unsynced && !m.Failing())) {
    m.HandOver(true);
  }
  return m.Durable() != before;
}

void AofLog::Cron(int64_t now_ms) {
  (void)now_ms;  // the writer keeps its own monotonic time
  Impl& m = *impl_;
  if (!m.open) return;
  const int64_t now = SteadyMs();
  const bool failing = m.Failing();
  const bool unsynced = m.synced_seen < m.handed || !m.buffer.empty();
  // everysec: a sync once a second while something is not synced (an idle loop has no other
  // iteration to do it). After an error, a retry once a second (Redis' cron does the same).
  if ((m.policy != AofFsync::kNo && !m.sync_paused && unsynced &&
       now - m.last_sync_ms >= kSyncIntervalMs) ||
      (failing && now - m.last_sync_ms >= kSyncIntervalMs)) {
    m.last_sync_ms = now - kSyncIntervalMs;  // SyncsNow: due
    m.HandOver(true);
    m.last_sync_ms = now;
  }
}

std::string AofLog::SwitchTo(const std::string& path) {
  Impl& m = *impl_;
  if (!m.open) return "the append-only log is not open";
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.switch_unfinished) return "the previous switch of the log's file has not finished";
  }
  // A switch not handed over yet with nothing appended since (a rewrite that undoes its
  // switch) is replaced; with appends since, they would have no file to go to.
  if (m.switch_fd >= 0 && !m.buffer.empty()) {
    return "the previous switch of the log's file has not finished";
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  if (m.switch_fd >= 0) {
    ::close(m.switch_fd);
    m.switch_fd = fd;
    m.file_bytes = FileSize(fd);
    m.HandOver(false);
    return "";
  }
  // What is buffered belongs to the old file; the worker writes it (and syncs the old file,
  // unless appendfsync is no) before anything goes to the new one.
  m.switch_old.swap(m.buffer);
  m.buffer.clear();
  m.switch_fd = fd;
  m.file_bytes = FileSize(fd);
  m.HandOver(false);
  return "";
}

bool AofLog::Close() {
  Impl& m = *impl_;
  if (!m.open) return true;
  {
    std::unique_lock<std::mutex> lock(m.mu);
    m.closing = true;
    m.idle_cv.wait(lock, [&] { return !m.busy && !m.job_ready; });
    m.stop = true;
    m.work.notify_one();
  }
  m.worker.join();
  // The worker is gone: its state is ours. What is left goes out here, then one sync.
  if (m.pending_switch_fd >= 0) {
    m.pending_post.append(m.buffer);  // SwitchTo refused a second switch meanwhile
  } else if (m.switch_fd >= 0) {
    m.pending_pre.append(m.switch_old);
    m.pending_switch_fd = m.switch_fd;
    m.pending_post.append(m.buffer);
  } else {
    m.pending_pre.append(m.buffer);
  }
  m.switch_old.clear();
  m.switch_fd = -1;
  m.buffer.clear();
  uint64_t wrote = 0;
  bool did_sync = false;
  int werr = 0;
  int serr = 0;
  m.Process(true, true, &wrote, &did_sync, &werr, &serr);
  m.written += wrote;
  if (did_sync) m.synced = m.written;
  if (werr != 0) m.write_errno = werr;
  if (serr != 0) m.sync_errno = serr;
  if (werr == 0 && serr == 0) m.write_errno = m.sync_errno = 0;
  if (m.pending_switch_fd >= 0) {
    ::close(m.pending_switch_fd);
    m.pending_switch_fd = -1;
  }
  ::close(m.fd);
  m.fd = -1;
  const bool ok = werr == 0 && serr == 0;
  if (!ok) {
    // Not written: dropped now (the log is closed), but never counted as written.
    m.pending_pre.clear();
    m.pending_post.clear();
  }
  m.written_seen = m.written;
  m.synced_seen = m.synced;
  m.errno_seen = 0;
  m.handed = m.appended;
  m.open = false;
  return ok;
}

AofWriterFigures AofLog::figures() const {
  Impl& m = *impl_;
  AofWriterFigures f;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    const int err = m.write_errno != 0 ? m.write_errno : m.sync_errno;
    f.last_write_ok = err == 0;
    if (err != 0) f.last_write_error = std::strerror(err);
    f.pending_fsync = m.sync_started_ms != 0 || (m.job_ready && m.job_sync) ? 1 : 0;
  }
  f.delayed_fsync = m.delayed_fsync;
  f.current_file_bytes = m.file_bytes;
  f.buffer_bytes = m.buffer.size() + m.switch_old.size();
  return f;
}

void AofLog::TEST_set_before_sync(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->before_sync = std::move(hook);
}

std::string AofLog::WritesRefused() const {
  // The loop's copy (OnWake): no lock on the dispatcher's path.
  if (!impl_->open || impl_->errno_seen == 0) return "";
  return std::string("MISCONF Errors writing to the AOF file: ") + std::strerror(impl_->errno_seen);
}

}  // namespace dkv::server
