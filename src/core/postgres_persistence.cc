#include "src/core/postgres_persistence.h"

#include <utility>

#include "src/core/postgres_backend.h"

namespace dkv::server {

bool PostgresPersistence::QueueFull() const { return pg_->QueueFull(); }
size_t PostgresPersistence::queued() const { return pg_->queued(); }
bool PostgresPersistence::draining() const { return pg_->draining(); }
bool PostgresPersistence::TierActive() const { return pg_->TierActive(); }
void PostgresPersistence::PinForCommand(std::vector<DbKey> keys) {
  pg_->PinForCommand(std::move(keys));
}
void PostgresPersistence::Pin(uint64_t owner, int db, std::string_view key) {
  pg_->Pin(owner, db, key);
}
uint64_t PostgresPersistence::RequestValues(std::vector<DbKey> keys, uint64_t owner) {
  return pg_->RequestValues(std::move(keys), owner);
}
void PostgresPersistence::FlushSoon() { pg_->FlushSoon(); }

std::optional<PostgresFigures> PostgresPersistence::postgres_figures() const {
  const PostgresStatus& ps = pg_->status();
  PostgresFigures f;
  f.connected = pg_->connected();
  f.queue_keys = pg_->queued();
  f.connections_ready = pg_->connections_ready();
  f.stalled_backends = pg_->stalled_backends();
  f.cache_tier = pg_->cache_tier();
  f.batches_committed = ps.batches_committed;
  f.keys_committed = ps.keys_committed;
  f.rows_built_in_slices = ps.rows_built_in_slices;
  f.slice_restarts = ps.slice_restarts;
  f.last_commit_ms = ps.last_commit_ms;
  f.last_commit_latency_us = ps.last_commit_latency_us;
  f.errors = ps.errors;
  f.last_error = ps.last_error;
  f.keys_loaded = ps.keys_loaded;
  f.fetches = ps.fetches;
  f.values_fetched = ps.values_fetched;
  f.fetch_errors = ps.fetch_errors;
  return f;
}

}  // namespace dkv::server
