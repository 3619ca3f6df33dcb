#include "src/core/snapshotter.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "engine/database.h"
#include "persistence/snapshot.h"
#include "src/core/aof.h"
#include "src/core/log.h"
#include "src/core/server_state.h"
#include "src/core/snapshot_io.h"
#include "src/core/version.h"
#include "src/scripting/functions.h"
#include "src/scripting/script_api.h"

namespace dkv::server {
namespace {

// After a failed background save the schedule waits this long before trying again (Redis'
// CONFIG_BGSAVE_RETRY_DELAY).
constexpr int64_t kRetryDelayS = 5;

}  // namespace

Snapshotter::Snapshotter(ServerState* state) : state_(state) {
  status_.last_save_s = state_->clock->NowMs() / 1000;  // at start the data counts as saved
}

Snapshotter::~Snapshotter() { KillChild(); }

std::string Snapshotter::path() const { return state_->config.dbfilename; }

bool Snapshotter::HasSchedule() const {
  std::vector<SavePoint> points;
  return ParseSavePoints(state_->config.save, &points) && !points.empty();
}

bool Snapshotter::FinalSaveWanted() const {
  if (!HasSchedule()) return false;
  if (engine::Database::cold_entries() > 0) {
    Log(LogLevel::kNotice,
        "Not saving the final snapshot: the cache tier keeps values in PostgreSQL only, which "
        "holds the data");
    return false;
  }
  return true;
}

bool Snapshotter::WritesRefused() const {
  return !status_.last_bgsave_ok && state_->config.stop_writes_on_bgsave_error && HasSchedule();
}

std::string Snapshotter::LoadAtStart() {
  std::string file = path();
  if (int n = persistence::RemoveStaleTempFiles(file); n > 0) {
    Log(LogLevel::kNotice, "Removed %d temporary file(s) of an interrupted save", n);
  }
  struct stat st;
  if (::stat(file.c_str(), &st) != 0 && errno == ENOENT) return "";
  Log(LogLevel::kNotice, "Loading the snapshot %s (%lld bytes)...", file.c_str(),
      static_cast<long long>(st.st_size));
  int64_t start_us = state_->clock->NowUs();
  state_->keyspace.RefreshTime();
  persistence::ReadOptions options;
  options.allow_partial = state_->config.snapshot_load_partial;
  persistence::LoadStats stats;
  persistence::ReadResult r = persistence::LoadSnapshotFile(
      file, state_->keyspace, state_->config.max_namespaces, options, &stats);
  if (!r.error.empty()) {
    return r.error +
           ". Refusing to start on a damaged snapshot: move the file away, or start with "
           "--snapshot-load-partial yes to load the valid blocks before the damage "
           "(dkv-check-snapshot " +
           file + " reports what is valid)";
  }
  if (!r.damage.empty()) {
    Log(LogLevel::kWarning, "%s. snapshot-load-partial is set: started with what came before it",
        r.damage.c_str());
  }
  for (const auto& [name, value] : r.header.aux) {
    if (name != kFunctionsAux || state_->scripts == nullptr) continue;
    std::string err;
    uint64_t dirty = state_->keyspace.dirty();
    if (!state_->scripts->functions().Restore(value, FunctionLibraries::RestorePolicy::kFlush,
                                              &err)) {
      return "snapshot " + file + ": the function libraries cannot be restored: " + err +
             ". Refusing to start on a damaged snapshot: move the file away";
    }
    if (dirty == 0) state_->keyspace.ResetDirty();  // loading is not a change
    Log(LogLevel::kNotice, "Loaded %zu function libraries from the snapshot",
        state_->scripts->functions().library_count());
  }
  status_.last_load_keys_loaded = stats.keys_loaded;
  status_.last_load_keys_expired = stats.keys_expired;
  status_.last_load_ms = (state_->clock->NowUs() - start_us) / 1000;
  Log(LogLevel::kNotice, "Done loading the snapshot, keys loaded: %llu, keys expired: %llu.",
      static_cast<unsigned long long>(stats.keys_loaded),
      static_cast<unsigned long long>(stats.keys_expired));
  Log(LogLevel::kNotice, "DB loaded from disk: %.3f seconds",
      static_cast<double>(state_->clock->NowUs() - start_us) / 1e6);
  return "";
}

std::string Snapshotter::Save() {
  if (in_progress()) return "Background save already in progress";
  if (engine::Database::cold_entries() > 0) {
    return "the values of some keys are only in PostgreSQL (the cache tier dropped them from "
           "memory): a snapshot would miss them";
  }
  int64_t start_us = state_->clock->NowUs();
  persistence::SaveStats stats;
  std::string err =
      persistence::SaveSnapshotFile(state_->keyspace, path(), SnapshotSaveOptions(*state_), &stats);
  if (!err.empty()) {
    Log(LogLevel::kWarning, "Failed saving the snapshot: %s", err.c_str());
    status_.last_error = err;
    return err;
  }
  state_->keyspace.ResetDirty();
  status_.last_save_s = state_->clock->NowMs() / 1000;
  status_.last_bgsave_ok = true;  // a good save lifts -MISCONF, as in Redis
  status_.last_error.clear();
  status_.saves++;
  Log(LogLevel::kNotice, "DB saved on disk (%llu keys, %llu bytes, %.3f seconds)",
      static_cast<unsigned long long>(stats.keys), static_cast<unsigned long long>(stats.bytes),
      static_cast<double>(state_->clock->NowUs() - start_us) / 1e6);
  return "";
}

std::string Snapshotter::StartBackgroundSave() {
  if (in_progress()) return "Background save already in progress";
  if (engine::Database::cold_entries() > 0) {
    return "the values of some keys are only in PostgreSQL (the cache tier dropped them from "
           "memory): a snapshot would miss them";
  }
  state_->keyspace.RefreshTime();  // the instant the image shows
  int64_t start_us = state_->clock->NowUs();
  status_.last_bgsave_try_s = start_us / 1000000;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::string err = std::string("fork: ") + std::strerror(errno);
    status_.last_bgsave_ok = false;
    status_.last_error = err;
    Log(LogLevel::kWarning, "Can't save in background: %s", err.c_str());
    return "Background save failed: " + err;
  }
  if (pid == 0) {
    // The child: die with the server, leave its signals to it, write, exit without cleanup.
    EnterSaveChild(parent, child_setup_);
    persistence::SaveStats stats;
    std::string err = persistence::SaveSnapshotFile(state_->keyspace, path(),
                                                    SnapshotSaveOptions(*state_), &stats);
    if (!err.empty()) {
      Log(LogLevel::kWarning, "Write error saving DB on disk: %s", err.c_str());
      ::_exit(1);
    }
    Log(LogLevel::kNotice, "DB saved on disk (%llu keys, %llu bytes)",
        static_cast<unsigned long long>(stats.keys), static_cast<unsigned long long>(stats.bytes));
    ::_exit(0);
  }
  status_.latest_fork_usec = state_->clock->NowUs() - start_us;
  status_.total_forks++;
  status_.bgsave_started_ms = start_us / 1000;
  child_pid_ = pid;
  dirty_at_start_ = state_->keyspace.dirty();
  Log(LogLevel::kNotice, "Background saving started by pid %d", static_cast<int>(pid));
  return "";
}

void Snapshotter::KillChild() {
  if (!in_progress()) return;
  pid_t pid = child_pid_;
  ::kill(pid, SIGUSR1);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  ::unlink((path() + ".tmp-" + std::to_string(pid)).c_str());
  killing_ = true;
  OnChildDone(wait_status);
}

void Snapshotter::OnChildDone(int wait_status) {
  int64_t now_ms = state_->clock->NowMs();
  status_.last_bgsave_time_s = (now_ms - status_.bgsave_started_ms) / 1000;
  pid_t pid = child_pid_;
  child_pid_ = -1;
  if (killing_) {
    killing_ = false;
    Log(LogLevel::kNotice, "Background saving stopped (pid %d)", static_cast<int>(pid));
    return;
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    Log(LogLevel::kNotice, "Background saving terminated with success");
    state_->keyspace.DirtySaved(dirty_at_start_);
    status_.last_save_s = now_ms / 1000;
    status_.last_bgsave_ok = true;
    status_.last_error.clear();
    status_.saves++;
    return;
  }
  status_.last_bgsave_ok = false;
  if (WIFSIGNALED(wait_status)) {
    status_.last_error =
        "the child was terminated by signal " + std::to_string(WTERMSIG(wait_status));
    ::unlink((path() + ".tmp-" + std::to_string(pid)).c_str());
  } else {
    status_.last_error = "the child could not write the snapshot (see the log)";
  }
  Log(LogLevel::kWarning, "Background saving error: %s", status_.last_error.c_str());
}

void Snapshotter::Cron() {
  if (in_progress()) {
    int wait_status = 0;
    pid_t done = ::waitpid(child_pid_, &wait_status, WNOHANG);
    if (done == child_pid_) OnChildDone(wait_status);
    if (in_progress()) return;
  }
  // One child at a time: a save waits while the append-only log is rewritten (as Redis).
  if (state_->aof != nullptr && state_->aof->rewrite_in_progress()) return;
  if (scheduled_) {
    scheduled_ = false;
    StartBackgroundSave();
    return;
  }
  std::vector<SavePoint> points;
  if (!ParseSavePoints(state_->config.save, &points)) return;
  int64_t now_s = state_->clock->NowMs() / 1000;
  uint64_t dirty = state_->keyspace.dirty();
  for (const SavePoint& p : points) {
    // After a failure, wait kRetryDelayS before trying again.
    if (dirty >= static_cast<uint64_t>(p.changes) && now_s - status_.last_save_s > p.seconds &&
        (status_.last_bgsave_ok || now_s - status_.last_bgsave_try_s > kRetryDelayS)) {
      // Values only in PostgreSQL: the save would fail (and be tried again at every tick), but
      // nothing is at risk, PostgreSQL holds the data. Not a failed save: writes go on.
      const bool cold = engine::Database::cold_entries() > 0;
      if (cold && !schedule_skip_logged_) {
        Log(LogLevel::kWarning,
            "The save schedule is skipped while the cache tier keeps values in PostgreSQL only "
            "(a snapshot would miss them; PostgreSQL holds the data)");
      }
      schedule_skip_logged_ = cold;
      if (cold) return;
      Log(LogLevel::kNotice, "%llu changes in %lld seconds. Saving...",
          static_cast<unsigned long long>(p.changes), static_cast<long long>(p.seconds));
      StartBackgroundSave();
      return;
    }
  }
}

}  // namespace dkv::server
