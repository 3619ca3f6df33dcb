#include "src/core/snapshot_io.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include "engine/database.h"
#include "src/core/log.h"
#include "src/core/server_state.h"
#include "src/core/version.h"
#include "src/scripting/functions.h"
#include "src/scripting/script_api.h"

namespace dkv::server {
namespace {

// A save child's niceness: when it and the loop compete for a CPU, the loop goes first.
constexpr int kChildNice = 10;

}  // namespace

void EnterSaveChild(pid_t parent, const std::function<void()>& setup) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGUSR1, SIG_DFL);
  SetLogRole('C');
  ::setpriority(PRIO_PROCESS, 0, kChildNice);
  if (setup) setup();
}

persistence::SaveOptions SnapshotSaveOptions(const ServerState& state) {
  const Config& c = state.config;
  persistence::SaveOptions o;
  o.server_version = kDkvVersion;
  o.aux = {{"redis-ver", kRedisCompatVersion}};
  if (state.scripts != nullptr && state.scripts->functions().library_count() > 0) {
    o.aux.emplace_back(kFunctionsAux, state.scripts->functions().Dump());
  }
  o.compress = c.rdbcompression;
  o.key_save_delay_us = c.rdb_key_save_delay;
  return o;
}

std::string LoadSnapshotInto(ServerState* state, const std::string& file, bool allow_partial,
                             persistence::LoadStats* stats, std::string* damage) {
  state->keyspace.RefreshTime();
  persistence::ReadOptions options;
  options.allow_partial = allow_partial;
  persistence::ReadResult r = persistence::LoadSnapshotFile(
      file, state->keyspace, state->config.max_namespaces, options, stats);
  if (!r.error.empty()) return r.error;
  *damage = r.damage;
  for (const auto& [name, value] : r.header.aux) {
    if (name != kFunctionsAux || state->scripts == nullptr) continue;
    std::string err;
    uint64_t dirty = state->keyspace.dirty();
    if (!state->scripts->functions().Restore(value, FunctionLibraries::RestorePolicy::kFlush,
                                             &err)) {
      return "snapshot " + file + ": the function libraries cannot be restored: " + err;
    }
    if (dirty == 0) state->keyspace.ResetDirty();  // loading is not a change
    Log(LogLevel::kNotice, "Loaded %zu function libraries from %s",
        state->scripts->functions().library_count(), file.c_str());
  }
  return "";
}

}  // namespace dkv::server
