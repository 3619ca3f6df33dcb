// Keyspace: all namespaces of the server, the current time as commands see it, the observer
// that hears of every change (WATCH; the PostgreSQL backend, through an observer list) and the
// count of writes since the last save. The engine's write operations (Database::Store, Delete,
// ..., Keyspace::Swap, FlushAll, the string ops) notify the observer and count themselves; a
// command never does either by hand.
//
// Time is read from the injected Clock once per command (RefreshTime), so one command, or one
// EXEC, sees one instant, as in Redis. Loop thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/clock.h"
#include "engine/container.h"
#include "engine/database.h"
#include "engine/metadata.h"

namespace dkv::engine {

struct KeyspaceStats {
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t dropped_values = 0;  // values dropped by the cache tier over PostgreSQL
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expire_cycle_us = 0;  // time spent in the active expiry cycle
};

// How reads are recorded: Redis' LFU counters are kept only under an LFU eviction policy.
struct AccessPolicy {
  bool lfu = false;
  int lfu_log_factor = 10;
  int lfu_decay_minutes = 1;
};

// Keyspace notifications the engine raises besides changes (src/core/keyspace_events.h): a key
// created by a write (Database::Insert: Redis' "new") and a read that found no key
// (Database::FindForRead: "keymiss"). Set on the keyspace only while notifications ask for
// them, so that otherwise each insert and miss costs one test.
class KeyNotices {
 public:
  virtual ~KeyNotices() = default;
  virtual void OnKeyCreated(int db, std::string_view key) = 0;
  virtual void OnKeyMiss(int db, std::string_view key) = 0;
};

class Keyspace {
 public:
  Keyspace(const Clock* clock, int databases);
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  // All namespaces: the numbered ones first, then the named ones in creation order.
  int database_count() const { return static_cast<int>(dbs_.size()); }
  // Redis' numbered databases (SELECT n, MOVE, SWAPDB, COPY DB): "0".."numbered_count()-1".
  int numbered_count() const { return numbered_; }
  // REQUIRES: 0 <= index < database_count().
  Database& db(int index) { return *dbs_[static_cast<size_t>(index)]; }
  const std::string& NamespaceName(int index) const { return names_[static_cast<size_t>(index)]; }
  // The index of the namespace called `name` (a number names a numbered database), creating a
  // named one if needed. Returns -1 when `name` is not a valid namespace name (letters first,
  // then letters, digits, '_', '-', ':' or '.', at most 64) or max_namespaces are in use.
  int FindOrCreateNamespace(std::string_view name, int max_namespaces);
  static bool ValidNamespaceName(std::string_view name);

  int64_t now_ms() const { return now_ms_; }
  uint32_t now_s32() const { return static_cast<uint32_t>(now_ms_ / 1000); }
  // Reads the clock. Called before each command outside a transaction.
  void RefreshTime() { now_ms_ = clock_->NowMs(); }
  const Clock& clock() const { return *clock_; }

  // While set (a read-only command during CLIENT PAUSE), keys whose TTL has passed are not
  // deleted when found: Database::Find answers as if they were gone, and they are deleted once
  // the pause is over (Redis pauses expiry during a client pause; the server also skips the
  // active cycle then). Never set while a command that writes runs.
  void set_expiry_paused(bool paused) { expiry_paused_ = paused; }
  bool expiry_paused() const { return expiry_paused_; }

  void set_observer(KeyspaceObserver* observer) { observer_ = observer; }
  KeyspaceObserver* observer() const { return observer_; }
  // "new" and "keymiss" notifications; null (the default) when nobody asked for them.
  void set_notices(KeyNotices* notices) { notices_ = notices; }
  KeyNotices* notices() const { return notices_; }

  std::mt19937_64& rng() { return rng_; }
  ContentTypes& content_types() { return content_types_; }
  const AccessPolicy& access_policy() const { return access_policy_; }
  void set_access_policy(const AccessPolicy& p) { access_policy_ = p; }
  KeyspaceStats& stats() { return stats_; }
  // When containers change encoding (CONFIG SET hash-max-listpack-entries, ...).
  const ContainerLimits& container_limits() const { return container_limits_; }
  void set_container_limits(const ContainerLimits& limits) { container_limits_ = limits; }
  // Writes since the last save (Redis' "dirty"; for the save schedule and INFO's
  // rdb_changes_since_last_save). Only the engine's write operations count them.
  uint64_t dirty() const { return dirty_; }
  // A save of everything succeeded.
  void ResetDirty() { dirty_ = 0; }
  // A save that began when dirty() was `at_start` succeeded: the writes made since it began
  // stay counted.
  void DirtySaved(uint64_t at_start) { dirty_ -= std::min(dirty_, at_start); }
  // A change the snapshot holds outside the keys (the function libraries: FUNCTION LOAD,
  // DELETE, FLUSH, RESTORE) counts as one write, as Redis' server.dirty++ for them.
  void NoteNonKeyChange() { AddDirty(1); }

  // SWAPDB: exchanges two databases' contents. Observers hear OnSwapDatabases first; one write
  // (none when a == b).
  void Swap(int a, int b);
  // FLUSHALL: flushes every namespace (Database::Flush: each key counts as a write) and hands
  // each one's old contents to `dispose`; then runs `after` (the server saves its now empty
  // snapshot, which resets dirty) and counts one write more, as Redis' FLUSHALL does.
  void FlushAll(const std::function<void(std::unique_ptr<Database::Contents>)>& dispose,
                const std::function<void()>& after);
  size_t TotalKeys() const;
  // Keys whose TTL has passed but that are still here, as a percentage of the keys with a TTL
  // (INFO's expired_stale_perc). Walks only the due top of each expiry heap, up to `cap` keys.
  double StalePercent(size_t cap) const;

  // One slice of the active expiry cycle: deletes due keys across databases until `max_keys` are
  // deleted or the time budget is spent. Returns the number deleted; *more says whether due
  // keys remain (the caller runs another slice soon instead of a longer one now).
  size_t ActiveExpireCycle(size_t max_keys, int64_t budget_us, bool* more = nullptr);
  // DEBUG SET-ACTIVE-EXPIRE: while off, the cycle deletes nothing (keys still expire on access).
  void set_active_expire(bool on) { active_expire_ = on; }
  bool active_expire() const { return active_expire_; }
  // Frees up to `budget` entries of deleted subtrees across databases. Returns true when no
  // garbage is left.
  bool ReapGarbage(size_t budget);

 private:
  bool active_expire_ = true;
  friend class Database;
  void AddDirty(uint64_t n = 1) { dirty_ += n; }

  const Clock* clock_;
  int64_t now_ms_;
  std::vector<std::unique_ptr<Database>> dbs_;
  std::vector<std::string> names_;
  int numbered_;
  KeyspaceObserver* observer_ = nullptr;
  KeyNotices* notices_ = nullptr;
  std::mt19937_64 rng_{0x5eed};
  KeyspaceStats stats_;
  ContentTypes content_types_;
  AccessPolicy access_policy_;
  ContainerLimits container_limits_;
  uint64_t dirty_ = 0;
  size_t expire_cursor_ = 0;
  bool expiry_paused_ = false;
};

}  // namespace dkv::engine
