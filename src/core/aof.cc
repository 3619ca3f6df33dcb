#include "src/core/aof.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "persistence/aof_manifest.h"
#include "persistence/snapshot.h"
#include "src/core/aof_log.h"
#include "src/core/aof_replay.h"
#include "src/core/backend.h"
#include "src/core/dispatcher.h"
#include "src/core/log.h"
#include "src/core/server_state.h"
#include "src/core/snapshot_io.h"

namespace dkv::server {
namespace {

using persistence::AofFileEntry;
using persistence::AofManifest;

// Prefix of the files a rewrite writes before they are part of the log; any left at start are
// from a rewrite that did not finish and are deleted.
constexpr char kTempPrefix[] = "temp-";

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

struct Aof::Impl {
  ServerState* state;
  AofLog* log;
  Dispatcher* dispatcher;
  std::function<void()> child_setup;

  // The log takes appends (the propagator's sink is set).
  bool on = false;
  // CONFIG SET appendonly yes: on once the first rewrite is done (Redis' AOF_WAIT_REWRITE).
  bool wait_rewrite = false;
  // The manifest as on disk (once read or written).
  AofManifest manifest;
  bool manifest_known = false;

  // The rewrite's child, and what the log was when it forked.
  enum class Mode { kOn, kWait, kOff };
  pid_t child_pid = -1;
  Mode child_mode = Mode::kOff;
  AofFileEntry wait_incr;  // kWait: the file the log started in at the fork
  bool killing = false;
  bool scheduled = false;
  int64_t child_start_ms = 0;
  std::string child_temp;  // what the child writes
  // The incremental files the fork opened and after: the new manifest keeps them.
  size_t first_new_incr = 0;
  uint64_t appended_at_fork = 0;

  // INFO.
  int64_t last_rewrite_time_s = -1;
  bool last_rewrite_ok = true;
  uint64_t rewrites = 0;
  uint64_t consecutive_failures = 0;
  int64_t last_failure_ms = 0;
  // aof_current_size is size_base + log->appended(); aof_base_size the size at the last
  // rewrite (or the load), which auto-aof-rewrite-percentage compares against.
  int64_t size_base = 0;
  uint64_t rewrite_base_size = 0;

  const Config& config() const { return state->config; }
  std::string dir() const { return config().appenddirname; }
  std::string Path(const std::string& name) const { return dir() + "/" + name; }
  const std::string& fn() const { return config().appendfilename; }

  std::string EnsureDir() {
    if (::mkdir(dir().c_str(), 0755) != 0 && errno != EEXIST) {
      return "cannot create the append-only log's directory " + dir() + ": " + std::strerror(errno);
    }
    return "";
  }

  // Deletes what an unfinished rewrite left (temp-* files) in the directory.
  void RemoveTempFiles() {
    DIR* d = ::opendir(dir().c_str());
    if (d == nullptr) return;
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind(kTempPrefix, 0) == 0) names.push_back(name);
    }
    ::closedir(d);
    for (const std::string& name : names) {
      ::unlink(Path(name).c_str());
      Log(LogLevel::kNotice, "Removed %s, left by a rewrite that did not finish",
          Path(name).c_str());
    }
  }

  std::string WriteManifest(const AofManifest& m) {
    std::string err = persistence::WriteAofManifest(dir(), fn(), m);
    if (!err.empty()) return err;
    manifest = m;
    manifest_known = true;
    return "";
  }

  // Deletes the files marked history and writes the manifest without them.
  void DeleteHistory() {
    if (manifest.history.empty()) return;
    for (const AofFileEntry& e : manifest.history) {
      if (::unlink(Path(e.name).c_str()) == 0) {
        Log(LogLevel::kNotice, "Removed the history file %s", e.name.c_str());
      }
    }
    AofManifest m = manifest;
    m.history.clear();
    if (std::string err = WriteManifest(m); !err.empty()) {
      Log(LogLevel::kWarning, "Writing the append-only log's manifest failed: %s", err.c_str());
    }
  }

  uint64_t CurrentSize() const {
    return static_cast<uint64_t>(std::max<int64_t>(
        0, size_base + static_cast<int64_t>(log->is_open() ? log->appended() : 0)));
  }

  // Appends go to the log from now on; the next record starts with its SELECT.
  void SetSink() {
    AofLog* l = log;
    state->propagation.set_sink([l](std::string_view resp) { l->Append(resp); });
    state->propagation.ForgetSelectedDb();
  }
  void ClearSink() { state->propagation.set_sink(nullptr); }

  std::string OpenIncr(const std::string& name) {
    std::string err = log->Open(Path(name), ParseAofFsync(config().appendfsync));
    if (!err.empty()) return err;
    log->set_sync_paused(false);
    return "";
  }

  // Writes a base from the current data in the foreground (the start without a log).
  std::string WriteBaseNow(const std::string& name) {
    persistence::SaveStats stats;
    persistence::SaveOptions options = SnapshotSaveOptions(*state);
    options.key_save_delay_us = 0;
    return persistence::SaveSnapshotFile(state->keyspace, Path(name), options, &stats);
  }

  std::string LoadLog();
  std::string CreateLog();
  std::string StartChild();
  void OnChildDone(int wait_status);
  void RewriteFailed(const std::string& why);
};

Aof::Aof(ServerState* state, AofLog* log, Dispatcher* dispatcher) : impl_(new Impl) {
  impl_->state = state;
  impl_->log = log;
  impl_->dispatcher = dispatcher;
}

Aof::~Aof() {
  KillChild();
  delete impl_;
}

bool Aof::enabled() const { return impl_->on; }
bool Aof::rewrite_in_progress() const { return impl_->child_pid > 0; }
bool Aof::rewrite_scheduled() const { return impl_->scheduled; }
void Aof::ScheduleRewrite() { impl_->scheduled = true; }
void Aof::set_child_setup(std::function<void()> fn) { impl_->child_setup = std::move(fn); }

// ---- Load at start ----

std::string Aof::LoadAndOpen() {
  Impl& m = *impl_;
  if (m.config().persistence_backend != "snapshot") {
    return "appendonly yes with persistence.backend " + m.config().persistence_backend +
           ": the local append-only log over PostgreSQL is not built yet";
  }
  if (std::string err = m.EnsureDir(); !err.empty()) return err;
  m.RemoveTempFiles();
  bool found = false;
  AofManifest manifest;
  if (std::string err = persistence::ReadAofManifest(m.dir(), m.fn(), &manifest, &found);
      !err.empty()) {
    return "the append-only log's manifest " + m.Path(persistence::AofManifestName(m.fn())) +
           " cannot be read: " + err;
  }
  std::string err;
  if (found) {
    m.manifest = manifest;
    m.manifest_known = true;
    err = m.LoadLog();
  } else {
    err = m.CreateLog();
  }
  if (!err.empty()) return err;
  m.on = true;
  m.SetSink();
  return "";
}

std::string Aof::Impl::LoadLog() {
  const int64_t start_us = state->clock->NowUs();
  // A rewrite that finished but was cut before the old files went: they go now.
  DeleteHistory();
  uint64_t total = 0;
  if (manifest.base) {
    const std::string path = Path(manifest.base->name);
    if (!FileExists(path)) {
      return "the append-only log's base " + path +
             " is missing (the manifest lists it). Refusing to start";
    }
    Log(LogLevel::kNotice, "Loading the append-only log's base %s (%llu bytes)...", path.c_str(),
        static_cast<unsigned long long>(FileSize(path)));
    persistence::LoadStats stats;
    std::string damage;
    if (std::string err = LoadSnapshotInto(state, path, false, &stats, &damage); !err.empty()) {
      return err + ". Refusing to start on a damaged append-only log base (dkv-check-snapshot " +
             path + " reports what is valid)";
    }
    total += FileSize(path);
  }
  uint64_t commands = 0;
  for (size_t i = 0; i < manifest.incrs.size(); ++i) {
    const std::string path = Path(manifest.incrs[i].name);
    const bool last = i + 1 == manifest.incrs.size();
    if (!FileExists(path)) {
      if (last) continue;  // opened by a rewrite and never written: created below
      return "the append-only log's file " + path +
             " is missing (the manifest lists it). Refusing to start";
    }
    state->keyspace.RefreshTime();
    AofReplayResult r = ReplayAofFile(state, dispatcher, path);
    commands += r.commands;
    if (r.status == AofReplayResult::Status::kBad) {
      return "Bad file format reading the append only file " + path + ": " + r.error +
             ". Refusing to start: run dkv-check-aof " + path +
             " to see the damage (dkv-check-aof --fix cuts the file before it)";
    }
    if (r.status == AofReplayResult::Status::kTruncated) {
      if (!last) {
        return "the append only file " + path + " ends inside a command (" + r.error +
               ", at offset " + std::to_string(r.valid_bytes) +
               ") but it is not the last one. Refusing to start: run dkv-check-aof " + path;
      }
      if (!config().aof_load_truncated) {
        return "Unexpected end of file reading the append only file " + path + " (" + r.error +
               " after offset " + std::to_string(r.valid_bytes) +
               "). Refusing to start: aof-load-truncated is no; run dkv-check-aof --fix " + path +
               " or set aof-load-truncated yes to load up to the last whole command";
      }
      Log(LogLevel::kWarning,
          "!!! Warning: short read while loading the append only file %s (%s)! Truncating "
          "the file at offset %llu (of %llu bytes) and loading what comes before",
          path.c_str(), r.error.c_str(), static_cast<unsigned long long>(r.valid_bytes),
          static_cast<unsigned long long>(r.file_bytes));
      if (::truncate(path.c_str(), static_cast<off_t>(r.valid_bytes)) != 0) {
        return "cannot truncate the append only file " + path + ": " + std::strerror(errno);
      }
    }
    total += FileSize(path);
  }
  state->keyspace.ResetDirty();
  Log(LogLevel::kNotice, "DB loaded from the append only files: %llu commands, %.3f seconds",
      static_cast<unsigned long long>(commands),
      static_cast<double>(state->clock->NowUs() - start_us) / 1e6);
  // Appends go to the last incremental file (a new one when the manifest has none).
  if (manifest.incrs.empty()) {
    AofManifest next = manifest;
    next.incrs.push_back({persistence::AofIncrName(fn(), next.last_incr_seq() + 1),
                          next.last_incr_seq() + 1, AofFileEntry::Type::kIncr});
    if (std::string err = WriteManifest(next); !err.empty()) {
      return "cannot write the append-only log's manifest: " + err;
    }
  }
  if (std::string err = OpenIncr(manifest.incrs.back().name); !err.empty()) return err;
  size_base = static_cast<int64_t>(total);
  rewrite_base_size = total;
  return "";
}

std::string Aof::Impl::CreateLog() {
  // No log yet: the snapshot file, if there is one, holds the data (as Redis loads its RDB
  // when turning on the log), and becomes the log's base.
  const std::string snapshot = config().dbfilename;
  if (FileExists(snapshot)) {
    Log(LogLevel::kNotice, "No append-only log yet: loading the snapshot %s", snapshot.c_str());
    persistence::LoadStats stats;
    std::string damage;
    if (std::string err =
            LoadSnapshotInto(state, snapshot, config().snapshot_load_partial, &stats, &damage);
        !err.empty()) {
      return err + ". Refusing to start on a damaged snapshot: move the file away";
    }
    state->keyspace.ResetDirty();
  }
  AofManifest next = manifest_known ? manifest : AofManifest{};
  const int64_t base_seq = next.last_base_seq() + 1;
  const int64_t incr_seq = next.last_incr_seq() + 1;
  AofFileEntry base{persistence::AofBaseName(fn(), base_seq), base_seq, AofFileEntry::Type::kBase};
  if (std::string err = WriteBaseNow(base.name); !err.empty()) {
    return "cannot write the append-only log's base: " + err;
  }
  AofFileEntry incr{persistence::AofIncrName(fn(), incr_seq), incr_seq, AofFileEntry::Type::kIncr};
  next.base = base;
  next.incrs = {incr};
  next.history.clear();
  if (std::string err = OpenIncr(incr.name); !err.empty()) return err;
  if (std::string err = WriteManifest(next); !err.empty()) {
    return "cannot write the append-only log's manifest: " + err;
  }
  Log(LogLevel::kNotice, "Created the append-only log in %s (base %s)", dir().c_str(),
      base.name.c_str());
  rewrite_base_size = FileSize(Path(base.name));
  size_base = static_cast<int64_t>(rewrite_base_size);
  return "";
}

// ---- Turning it on and off ----

std::string Aof::Enable() {
  Impl& m = *impl_;
  if (m.on || m.wait_rewrite) return "";
  if (m.config().persistence_backend != "snapshot") {
    return "the local append-only log over PostgreSQL is not built yet";
  }
  if (std::string err = m.EnsureDir(); !err.empty()) return err;
  if (!m.manifest_known) {
    bool found = false;
    AofManifest manifest;
    if (persistence::ReadAofManifest(m.dir(), m.fn(), &manifest, &found).empty() && found) {
      m.manifest = manifest;
      m.manifest_known = true;
    }
  }
  m.wait_rewrite = true;
  if (m.child_pid > 0) {
    // A rewrite without the log (BGREWRITEAOF under appendonly no) runs: one more follows.
    m.scheduled = true;
    return "";
  }
  if (m.state->backend().SaveInProgress()) {
    m.scheduled = true;
    return "";
  }
  if (std::string err = m.StartChild(); !err.empty()) {
    m.wait_rewrite = false;
    return err;
  }
  return "";
}

void Aof::Disable() {
  Impl& m = *impl_;
  KillChild();
  m.scheduled = false;
  m.wait_rewrite = false;
  if (!m.on) return;
  m.ClearSink();
  if (!m.log->Close()) {
    Log(LogLevel::kWarning, "Writing the append-only log before closing it failed");
  }
  m.on = false;
  Log(LogLevel::kNotice, "The append-only log is off");
}

void Aof::ConfigChanged() {
  Impl& m = *impl_;
  if (!m.log->is_open()) return;
  m.log->set_policy(ParseAofFsync(m.config().appendfsync));
  m.log->set_sync_paused(m.child_pid > 0 && m.config().no_appendfsync_on_rewrite);
}

// ---- Rewrite ----

std::string Aof::StartRewrite(bool* scheduled) {
  Impl& m = *impl_;
  *scheduled = false;
  if (m.child_pid > 0) return "ERR Background append only file rewriting already in progress";
  if (m.state->backend().SaveInProgress()) {
    m.scheduled = true;
    m.consecutive_failures = 0;
    *scheduled = true;
    return "";
  }
  if (!m.StartChild().empty()) {
    return "ERR Can't execute an AOF background rewriting. Please check the server logs for "
           "more information.";
  }
  return "";
}

std::string Aof::Impl::StartChild() {
  if (config().persistence_backend != "snapshot") {
    return "the local append-only log over PostgreSQL is not built yet";
  }
  if (engine::Database::cold_entries() > 0) {
    return "the values of some keys are only in PostgreSQL: a base would miss them";
  }
  if (std::string err = EnsureDir(); !err.empty()) {
    Log(LogLevel::kWarning, "Can't rewrite the append only file: %s", err.c_str());
    return err;
  }
  if (!manifest_known) {
    bool found = false;
    AofManifest m;
    if (persistence::ReadAofManifest(dir(), fn(), &m, &found).empty() && found) {
      manifest = m;
      manifest_known = true;
    }
  }
  // From now on the appends go to a new incremental file: the base the child writes holds
  // everything before it.
  AofManifest next = manifest;
  const int64_t incr_seq = next.last_incr_seq() + 1;
  AofFileEntry incr{persistence::AofIncrName(fn(), incr_seq), incr_seq, AofFileEntry::Type::kIncr};
  if (on) {
    const std::string old = manifest.incrs.empty() ? "" : manifest.incrs.back().name;
    if (std::string err = log->SwitchTo(Path(incr.name)); !err.empty()) {
      Log(LogLevel::kWarning, "Can't rewrite the append only file: %s", err.c_str());
      return err;
    }
    state->propagation.ForgetSelectedDb();
    next.incrs.push_back(incr);
    // The manifest lists the new file before the fork: a crash now loads old and new.
    if (std::string err = WriteManifest(next); !err.empty()) {
      Log(LogLevel::kWarning, "Can't rewrite the append only file: the manifest: %s", err.c_str());
      if (!old.empty()) log->SwitchTo(Path(old));
      state->propagation.ForgetSelectedDb();
      ::unlink(Path(incr.name).c_str());
      return err;
    }
    first_new_incr = next.incrs.size() - 1;
  } else if (wait_rewrite) {
    // CONFIG SET appendonly yes: the log starts with the fork, in a file the manifest lists
    // once the base is written.
    ::unlink(Path(incr.name).c_str());
    if (std::string err = OpenIncr(incr.name); !err.empty()) {
      Log(LogLevel::kWarning, "Can't turn on the append only file: %s", err.c_str());
      return err;
    }
    SetSink();
    first_new_incr = 0;
    wait_incr = incr;
  }
  child_mode = on ? Mode::kOn : wait_rewrite ? Mode::kWait : Mode::kOff;
  appended_at_fork = log->is_open() ? log->appended() : 0;
  state->keyspace.RefreshTime();
  const int64_t start_us = state->clock->NowUs();
  pid_t parent = ::getpid();
  const std::string temp_name =
      std::string(kTempPrefix) + "rewriteaof-bg-" + std::to_string(parent) + ".dkv";
  pid_t pid = ::fork();
  if (pid < 0) {
    std::string err = std::string("fork: ") + std::strerror(errno);
    Log(LogLevel::kWarning, "Can't rewrite append only file in background: %s", err.c_str());
    if (child_mode == Mode::kWait) {
      ClearSink();
      log->Close();
      ::unlink(Path(incr.name).c_str());
    }
    last_rewrite_ok = false;
    return err;
  }
  if (pid == 0) {
    EnterSaveChild(parent, child_setup);
    persistence::SaveStats stats;
    std::string err = persistence::SaveSnapshotFile(state->keyspace, Path(temp_name),
                                                    SnapshotSaveOptions(*state), &stats);
    if (!err.empty()) {
      Log(LogLevel::kWarning, "Write error writing the append only file's base: %s", err.c_str());
      ::_exit(1);
    }
    Log(LogLevel::kNotice, "Successfully created the temporary AOF base file %s (%llu keys)",
        temp_name.c_str(), static_cast<unsigned long long>(stats.keys));
    ::_exit(0);
  }
  child_pid = pid;
  child_temp = temp_name;
  child_start_ms = start_us / 1000;
  scheduled = false;
  if (log->is_open() && config().no_appendfsync_on_rewrite) log->set_sync_paused(true);
  Log(LogLevel::kNotice, "Background append only file rewriting started by pid %d",
      static_cast<int>(pid));
  return "";
}

void Aof::KillChild() {
  Impl& m = *impl_;
  if (m.child_pid <= 0) return;
  ::kill(m.child_pid, SIGUSR1);
  int wait_status = 0;
  while (::waitpid(m.child_pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  m.killing = true;
  m.OnChildDone(wait_status);
}

void Aof::Impl::RewriteFailed(const std::string& why) {
  last_rewrite_ok = false;
  consecutive_failures++;
  last_failure_ms = state->clock->NowMs();
  Log(LogLevel::kWarning, "Background AOF rewrite failed: %s", why.c_str());
  if (child_mode == Mode::kWait) {
    // Turning the log on waits for a rewrite that works (as Redis: it tries again).
    ClearSink();
    log->Close();
    scheduled = true;
  }
}

void Aof::Impl::OnChildDone(int wait_status) {
  const pid_t pid = child_pid;
  child_pid = -1;
  const int64_t now_ms = state->clock->NowMs();
  last_rewrite_time_s = (now_ms - child_start_ms) / 1000;
  const std::string temp_path = Path(child_temp);
  // The snapshot writer's own temporary file, if the child died in the middle.
  ::unlink((temp_path + ".tmp-" + std::to_string(pid)).c_str());
  if (log->is_open()) log->set_sync_paused(false);
  if (killing) {
    killing = false;
    ::unlink(temp_path.c_str());
    Log(LogLevel::kNotice, "Background AOF rewrite stopped (pid %d)", static_cast<int>(pid));
    if (child_mode == Mode::kWait) {
      ClearSink();
      log->Close();
      wait_rewrite = false;
    }
    return;
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    ::unlink(temp_path.c_str());
    RewriteFailed(WIFSIGNALED(wait_status)
                      ? "the child was terminated by signal " +
                            std::to_string(WTERMSIG(wait_status))
                      : std::string("the child could not write the base (see the log)"));
    return;
  }
  // The new base replaces the old base and every incremental file before the fork.
  AofManifest next = manifest_known ? manifest : AofManifest{};
  const int64_t base_seq = next.last_base_seq() + 1;
  AofFileEntry base{persistence::AofBaseName(fn(), base_seq), base_seq, AofFileEntry::Type::kBase};
  if (::rename(temp_path.c_str(), Path(base.name).c_str()) != 0) {
    std::string err = std::string("rename: ") + std::strerror(errno);
    ::unlink(temp_path.c_str());
    return RewriteFailed(err);
  }
  if (std::string err = persistence::FsyncDirectory(dir()); !err.empty()) {
    Log(LogLevel::kWarning, "%s", err.c_str());
  }
  std::vector<AofFileEntry> kept;
  std::vector<AofFileEntry> history = next.history;
  if (next.base) {
    AofFileEntry old = *next.base;
    old.type = AofFileEntry::Type::kHistory;
    history.push_back(old);
  }
  if (child_mode == Mode::kWait) {
    // Every file the old manifest listed is older than the data: all history.
    for (AofFileEntry e : next.incrs) {
      e.type = AofFileEntry::Type::kHistory;
      history.push_back(e);
    }
    kept.push_back(wait_incr);
  } else {
    for (size_t i = 0; i < next.incrs.size(); ++i) {
      AofFileEntry e = next.incrs[i];
      if (child_mode == Mode::kOn && i >= first_new_incr) {
        kept.push_back(e);
      } else {
        e.type = AofFileEntry::Type::kHistory;
        history.push_back(e);
      }
    }
  }
  next.base = base;
  next.incrs = kept;
  next.history = history;
  if (std::string err = WriteManifest(next); !err.empty()) {
    ::unlink(Path(base.name).c_str());
    return RewriteFailed("writing the manifest: " + err);
  }
  DeleteHistory();
  const uint64_t base_bytes = FileSize(Path(base.name));
  if (log->is_open()) {
    size_base = static_cast<int64_t>(base_bytes) - static_cast<int64_t>(appended_at_fork);
  } else {
    size_base = static_cast<int64_t>(base_bytes);
  }
  rewrite_base_size = CurrentSize();
  rewrites++;
  last_rewrite_ok = true;
  consecutive_failures = 0;
  if (child_mode == Mode::kWait) {
    wait_rewrite = false;
    on = true;
    Log(LogLevel::kNotice, "The append-only log is on (base %s)", base.name.c_str());
  }
  Log(LogLevel::kNotice, "Background AOF rewrite finished successfully (base %s, %llu bytes)",
      base.name.c_str(), static_cast<unsigned long long>(base_bytes));
}

void Aof::Cron(int64_t now_ms) {
  Impl& m = *impl_;
  if (m.log->is_open()) {
    // no-appendfsync-on-rewrite: no syncs while a child (a rewrite or a save) writes.
    m.log->set_sync_paused(m.config().no_appendfsync_on_rewrite &&
                           (m.child_pid > 0 || m.state->backend().SaveInProgress()));
    m.log->Cron(now_ms);
  }
  if (m.child_pid > 0) {
    int wait_status = 0;
    pid_t done = ::waitpid(m.child_pid, &wait_status, WNOHANG);
    if (done == m.child_pid) m.OnChildDone(wait_status);
    if (m.child_pid > 0) return;
  }
  if (m.state->backend().SaveInProgress()) return;
  // After failures, wait before trying again (1 s doubling per failure, at most an hour), so a
  // full disk is not hammered by a fork per cron tick.
  if (m.consecutive_failures > 0) {
    const int64_t shift = std::min<int64_t>(static_cast<int64_t>(m.consecutive_failures), 12);
    const int64_t delay_ms = std::min<int64_t>(int64_t{1000} << shift, 3600 * 1000);
    if (now_ms - m.last_failure_ms < delay_ms) return;
  }
  if (m.scheduled) {
    m.scheduled = false;
    m.StartChild();
    return;
  }
  const Config& c = m.config();
  if (m.on && c.auto_aof_rewrite_percentage > 0) {
    const uint64_t current = m.CurrentSize();
    const uint64_t base = std::max<uint64_t>(m.rewrite_base_size, 1);
    if (current > static_cast<uint64_t>(c.auto_aof_rewrite_min_size)) {
      const int64_t growth = static_cast<int64_t>(current * 100 / base) - 100;
      if (growth >= c.auto_aof_rewrite_percentage) {
        Log(LogLevel::kNotice, "Starting automatic rewriting of AOF on %lld%% growth",
            static_cast<long long>(growth));
        m.StartChild();
      }
    }
  }
}

bool Aof::CloseForExit() {
  Impl& m = *impl_;
  KillChild();
  if (!m.log->is_open()) return true;
  m.ClearSink();
  const bool ok = m.log->Close();
  if (ok) Log(LogLevel::kNotice, "Calling fsync() on the AOF file.");
  return ok;
}

// ---- INFO ----

void Aof::AppendInfo(std::string* out) const {
  const Impl& m = *impl_;
  auto line = [out](std::string_view name, const std::string& value) {
    out->append(name);
    out->push_back(':');
    out->append(value);
    out->append("\r\n");
  };
  const int64_t now_ms = m.state->clock->NowMs();
  const AofWriterFigures f = m.log->figures();
  line("aof_enabled", m.on || m.wait_rewrite ? "1" : "0");
  line("aof_rewrite_in_progress", m.child_pid > 0 ? "1" : "0");
  line("aof_rewrite_scheduled", m.scheduled ? "1" : "0");
  line("aof_last_rewrite_time_sec", std::to_string(m.last_rewrite_time_s));
  line("aof_current_rewrite_time_sec",
       std::to_string(m.child_pid > 0 ? (now_ms - m.child_start_ms) / 1000 : -1));
  line("aof_last_bgrewrite_status", m.last_rewrite_ok ? "ok" : "err");
  line("aof_rewrites", std::to_string(m.rewrites));
  line("aof_rewrites_consecutive_failures", std::to_string(m.consecutive_failures));
  line("aof_last_write_status", f.last_write_ok ? "ok" : "err");
  line("aof_last_cow_size", "0");
}

void Aof::AppendInfoSizes(std::string* out) const {
  const Impl& m = *impl_;
  if (!m.on) return;
  auto line = [out](std::string_view name, const std::string& value) {
    out->append(name);
    out->push_back(':');
    out->append(value);
    out->append("\r\n");
  };
  const AofWriterFigures f = m.log->figures();
  line("aof_current_size", std::to_string(m.CurrentSize()));
  line("aof_base_size", std::to_string(m.rewrite_base_size));
  line("aof_pending_rewrite", m.scheduled ? "1" : "0");
  line("aof_buffer_length", std::to_string(f.buffer_bytes));
  line("aof_pending_bio_fsync", std::to_string(f.pending_fsync));
  line("aof_delayed_fsync", std::to_string(f.delayed_fsync));
}

}  // namespace dkv::server
