// Aof: the append-only log as a whole (appendonly yes): its directory and manifest
// (persistence/aof_manifest.h), the load at start (the base snapshot, then each incremental file
// replayed through the dispatcher with aof-load-truncated's rule for a cut tail), rewrites
// (BGREWRITEAOF and auto-aof-rewrite-percentage/-min-size: at the fork a new incremental file
// takes the appends, the child writes the new base snapshot, and when it is done the manifest
// points at the new base and increments before the old files are deleted), turning the log on
// and off at run time (CONFIG SET appendonly), and INFO persistence's aof_* fields. The writer
// it drives is AofLog (src/core/aof_log.h); what is written comes from the Propagator
// (src/core/propagation.h), whose sink it sets. Owned by the server (src/net/server_impl.h),
// reached by commands through Services::aof(). Loop thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace dkv::server {

class AofLog;
class Dispatcher;
struct ServerState;

class Aof {
 public:
  Aof(ServerState* state, AofLog* log, Dispatcher* dispatcher);
  ~Aof();
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // At start, before the port opens, when appendonly is yes (instead of the snapshot file):
  // loads the log if the directory has one (or, if not and the snapshot file exists, the
  // snapshot file, then writes a base from it as Redis does), opens the incremental file for
  // appending and sets the propagator's sink. Returns "" or the error that stops the start.
  std::string LoadAndOpen();
  bool enabled() const;

  // CONFIG SET appendonly yes: starts a rewrite whose base is the current data; appends go to
  // the log from now on. no: closes the log. "" or the error.
  std::string Enable();
  void Disable();
  // CONFIG SET appendfsync, no-appendfsync-on-rewrite: passed to the writer.
  void ConfigChanged();

  // BGREWRITEAOF: "" (started, or scheduled: `*scheduled` set, when a snapshot save runs) or the
  // error ("Background append only file rewriting already in progress").
  std::string StartRewrite(bool* scheduled);
  // BGREWRITEAOF inside EXEC: the cron starts the rewrite as soon as no child runs.
  void ScheduleRewrite();
  bool rewrite_in_progress() const;
  bool rewrite_scheduled() const;
  // Runs in the child after fork (closes the listening sockets), as Snapshotter's.
  void set_child_setup(std::function<void()> fn);
  // Stops a running rewrite (SHUTDOWN, FLUSHALL), deleting its temporary file.
  void KillChild();

  // From the cron: reaps a finished rewrite, starts a scheduled or automatic one, and lets the
  // writer sync under everysec.
  void Cron(int64_t now_ms);

  // Exit: writes and syncs what is buffered. False if that failed.
  bool CloseForExit();

  // INFO persistence's aof_* lines (Redis 7.2's names), each "name:value\r\n".
  void AppendInfo(std::string* out) const;
  // The lines Redis adds when the log is on (aof_current_size, aof_base_size, ...), after
  // module_fork_last_cow_size.
  void AppendInfoSizes(std::string* out) const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace dkv::server
