#include "src/core/snapshot_io.h"

#include "engine/database.h"
#include "src/core/log.h"
#include "src/core/server_state.h"
#include "src/core/version.h"
#include "src/scripting/functions.h"
#include "src/scripting/script_api.h"

namespace dkv::server {

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
