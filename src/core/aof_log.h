// AofLog: the append-only log's current incremental file and the thread that writes it. The
// loop appends what propagation produced (Append, cheap: into a buffer); once per loop
// iteration, before replies are flushed, Flush hands the buffer over. Under `always` the worker
// thread write()s and fdatasync()s each hand-over before the loop releases the replies of the
// commands in it (group commit: one fdatasync covers everything handed over while the previous
// one ran, and the loop goes on parsing meanwhile). Under `everysec` and `no` the loop write()s
// the buffer into the page cache itself while the worker is idle (as Redis does before it
// replies) and the worker syncs at most once a second (`everysec`; a hand-over that finds a sync
// running for over 2 s counts in aof_delayed_fsync, as Redis); while a sync runs the bytes wait
// for the worker, never the loop. The worker wakes the loop through the `wake` function the
// owner gives (a uv_async in src/net), and the loop then calls OnWake to collect what finished.
// Offsets count bytes appended since the log was first opened, over file switches and reopens.
// Loop and worker share a mutex-guarded hand-over slot and the finished offsets; the fd and what
// a failed write left belong to the worker while it is busy. Owned by the server
// (src/net/server_impl.h); src/core/aof.h drives its files. The loop thread calls everything.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dkv::server {

enum class AofFsync { kAlways, kEverysec, kNo };
// "always" | "everysec" | "no" (the config value); kEverysec for anything else.
AofFsync ParseAofFsync(std::string_view name);

// INFO persistence's aof_* figures that the writer knows.
struct AofWriterFigures {
  bool last_write_ok = true;
  std::string last_write_error;     // strerror of the last failed write or sync, "" after success
  uint64_t delayed_fsync = 0;       // aof_delayed_fsync
  uint64_t pending_fsync = 0;       // aof_pending_bio_fsync: a background sync is running (0/1)
  uint64_t current_file_bytes = 0;  // bytes in the current incremental file (written or buffered)
  uint64_t buffer_bytes = 0;        // aof_buffer_length: appended, not yet handed to the worker
};

class AofLog {
 public:
  // `wake` is called from the worker thread when a write or sync has finished.
  explicit AofLog(std::function<void()> wake);
  ~AofLog();  // stops the worker (what is buffered is written and synced first)
  AofLog(const AofLog&) = delete;
  AofLog& operator=(const AofLog&) = delete;

  // Opens `path` for appending (created if missing) and starts the worker. "" or the error.
  std::string Open(const std::string& path, AofFsync policy);
  bool is_open() const;
  void set_policy(AofFsync policy);
  AofFsync policy() const;
  // no-appendfsync-on-rewrite: while true, `always` and `everysec` do not sync.
  void set_sync_paused(bool paused);

  // Appends bytes (RESP of whole commands). Returns the offset after them.
  uint64_t Append(std::string_view bytes);
  // Offset after everything appended.
  uint64_t appended() const;
  // Offset up to which replies may leave: under `always` what is fdatasync()ed; under
  // `everysec` and `no` (and while syncs are paused) what is write()n, so that a killed process
  // never loses an acknowledged write (Redis writes before it replies, too).
  uint64_t durable() const;
  // Offset up to which the data is fdatasync()ed (WAITAOF's numlocal).
  uint64_t synced() const;
  // Offset up to which the worker has write()n (as of the last OnWake).
  uint64_t written() const;

  // Loop, once per iteration: hands what was appended to the worker if it is idle (otherwise
  // it goes with the next hand-over, so syncs are never queued behind each other).
  void Flush();
  // Loop, after `wake`: collects finished writes and syncs (errors into the figures), and
  // starts the next hand-over if one waits. Returns true when durable() moved.
  bool OnWake();
  // Loop, from the cron: under everysec, starts a sync when a second has passed.
  void Cron(int64_t now_ms);

  // Rewrite start: what is buffered goes to the current file, which is synced (unless
  // appendfsync is no) and closed; the next appends go to `path`. Never blocks: the loop opens
  // `path`, and the worker finishes the old file before it writes anything to the new one (at
  // its next hand-over). "" or the error (the old file stays current then; also while a
  // previous switch has not finished, which takes a write error on the old file).
  std::string SwitchTo(const std::string& path);
  // Exit, or appendonly turned off: writes and syncs everything, waiting for the worker; then
  // closes the file. Returns false if a write or sync failed.
  bool Close();

  AofWriterFigures figures() const;

  // Redis' writeCommandsDeniedByDiskError for the log: while the last write or sync failed,
  // "MISCONF Errors writing to the AOF file: <strerror>" (the dispatcher refuses writes with
  // it); "" when the log is closed or healthy. What failed stays buffered and is retried at the
  // next hand-over and once a second from Cron, so nothing appended is dropped while open.
  std::string WritesRefused() const;

  // Tests: called on the worker thread just before each fdatasync (may block to hold a sync).
  void TEST_set_before_sync(std::function<void()> hook);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace dkv::server
