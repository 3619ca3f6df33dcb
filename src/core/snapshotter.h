// Snapshotter: the snapshot file as the server uses it: loading at start, SAVE in the
// foreground, BGSAVE in a forked child, the `save` schedule, and the figures INFO persistence
// shows. The file format is persistence/snapshot.h.
//
// Why fork: the child gets a copy-on-write image of the whole keyspace at one instant, and walks
// it while the loop keeps serving; the loop pays the fork (page tables, ~10 ms per GB) and the
// pages that writes touch while the child runs. docs/persistence.md weighs this against a
// forkless save. Loop thread only; the child only reads its copy and exits with _exit().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "src/core/backend.h"

namespace dkv::server {

struct ServerState;

class Snapshotter {
 public:
  explicit Snapshotter(ServerState* state);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // The snapshot file (dbfilename, relative to dir, which is the working directory).
  std::string path() const;

  // Loads the snapshot at start, before clients are accepted; a missing file is an empty
  // keyspace. Returns "" or the error that must stop the start (a damaged file, unless
  // snapshot-load-partial).
  std::string LoadAtStart();

  // SAVE: writes the snapshot in the foreground. Returns "" or the error.
  std::string Save();
  // BGSAVE: forks a child that writes the snapshot. Returns "" or the error (a save already
  // running, fork failure).
  std::string StartBackgroundSave();
  bool in_progress() const { return child_pid_ > 0; }
  // Runs a background save as soon as none is running (BGSAVE inside a transaction).
  void ScheduleBackgroundSave() { scheduled_ = true; }
  // Stops a running background save without counting it as failed, and removes its temporary
  // file (SHUTDOWN, FLUSHALL).
  void KillChild();

  // Reaps a finished child, then starts a scheduled save or one the `save` schedule asks for.
  void Cron();

  // Whether a `save` schedule is configured.
  bool HasSchedule() const;
  // At shutdown without SAVE or NOSAVE (SHUTDOWN, SIGTERM, SIGINT): whether to write the final
  // snapshot. Yes with a schedule, unless the cache tier keeps values in PostgreSQL only: a
  // snapshot would miss them, and PostgreSQL holds the data (logged). The schedule's own saves
  // are skipped then too (Cron); SAVE, BGSAVE and SHUTDOWN SAVE fail with the reason.
  bool FinalSaveWanted() const;
  // Writes are refused with -MISCONF: the last background save failed, a schedule is set and
  // stop-writes-on-bgsave-error is on.
  bool WritesRefused() const;

  // Runs in the child after fork, before the save (closes the listening sockets).
  void set_child_setup(std::function<void()> fn) { child_setup_ = std::move(fn); }

  const SnapshotStatus& status() const { return status_; }

 private:
  void OnChildDone(int wait_status);

  ServerState* state_;
  SnapshotStatus status_;
  pid_t child_pid_ = -1;
  bool killing_ = false;
  bool scheduled_ = false;
  bool schedule_skip_logged_ = false;  // the schedule's skip for cold values was logged
  uint64_t dirty_at_start_ = 0;
  std::function<void()> child_setup_;
};

}  // namespace dkv::server
