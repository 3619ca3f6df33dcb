#include "src/core/postgres_host.h"

#include <string>

#include "src/core/log.h"
#include "src/core/server_state.h"

namespace dkv::server {

persistence::postgres::Options MakePostgresOptions(const ServerState& state) {
  const Config& c = state.config;
  persistence::postgres::Options o;
  o.dsn = c.postgres_dsn;
  o.table = c.postgres_table;
  o.startup_wait = c.postgres_startup == "wait";
  o.pool_size = c.postgres_pool_size;
  o.max_namespaces = c.max_namespaces;
  o.cache_tier = c.maxmemory > 0 && c.maxmemory_policy != "noeviction";
  return o;
}

persistence::postgres::Tunables PostgresHost::tunables() const {
  const Config& c = state_->config;
  persistence::postgres::Tunables t;
  t.sync = c.postgres_durability == "sync";
  t.batch_size = c.postgres_batch_size;
  t.flush_interval_ms = c.postgres_flush_interval;
  t.queue_bound = c.postgres_queue_bound;
  t.response_timeout_ms = c.postgres_response_timeout;
  t.eviction_on = c.maxmemory > 0 && state_->eviction_policy != EvictionPolicy::kNoEviction;
  return t;
}

void PostgresHost::Log(persistence::postgres::LogLevel level, std::string_view message) {
  using persistence::postgres::LogLevel;
  server::LogLevel l = level == LogLevel::kWarning  ? server::LogLevel::kWarning
                       : level == LogLevel::kNotice ? server::LogLevel::kNotice
                                                    : server::LogLevel::kVerbose;
  server::Log(l, "%.*s", static_cast<int>(message.size()), message.data());
}

void PostgresHost::SetLoading(bool loading) { state_->loading = loading; }

void PostgresHost::LoadFailed() {
  state_->exit_code = 1;
  if (state_->hooks != nullptr) state_->hooks->RequestShutdown();
}

}  // namespace dkv::server
