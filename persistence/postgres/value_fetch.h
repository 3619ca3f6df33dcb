// ValueFetcher: the cache tier's reads. Under maxmemory the evictor drops the values of clean
// keys (cold entries keep key, metadata, expiry and size); a command that needs a dropped value
// asks for it (Request), waits while the reader connection reads it back, and runs again when
// FetchDone says the request is over. One read is in flight at a time, carrying every request
// queued meanwhile (one statement per namespace). Values read back are pinned for the clients
// that asked until their commands have run (ReleasePins), so that eviction cannot drop them in
// between. A request waits at most kFetchWaitMs for an unreachable PostgreSQL or an
// uncommitted SWAPDB, then fails.
//
// Borrows the loop (time), the host (log), the keyspace, the write queue (what is not clean)
// and the status (counters); owns the requests and the pins. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/keyspace.h"
#include "persistence/postgres/event_loop.h"
#include "persistence/postgres/host.h"
#include "persistence/postgres/status.h"
#include "persistence/postgres/write_queue.h"

namespace dkv::persistence::postgres {

class PgConn;

// A key in a namespace (by index).
using DbKey = std::pair<int, std::string>;

class ValueFetcher {
 public:
  // A command waits for PostgreSQL at most this long, then gets an error.
  static constexpr int64_t kFetchWaitMs = 5000;

  struct Fetch {
    uint64_t id;
    std::vector<DbKey> keys;
    std::vector<std::pair<uint32_t, int64_t>> states;  // version, updated_ms when asked
    int64_t queued_ms;
    uint64_t owner;  // the session waiting (0: gone)
  };
  // The keys that had a row, per namespace index.
  using Found = std::map<int, std::unordered_set<std::string>>;

  ValueFetcher(EventLoop* loop, Host* host, engine::Keyspace* keyspace, const WriteQueue* queue,
               PostgresStatus* status)
      : loop_(loop), host_(host), keyspace_(keyspace), queue_(queue), status_(status) {}
  ValueFetcher(const ValueFetcher&) = delete;
  ValueFetcher& operator=(const ValueFetcher&) = delete;

  // Queues a read of the values of cold keys for `owner`; returns the request's number.
  uint64_t Request(std::vector<DbKey> keys, uint64_t owner);
  bool FetchDone(uint64_t id) const;
  std::string FetchError(uint64_t id) const;
  size_t queued() const { return queue_fetches_.size(); }
  bool in_flight() const { return !sent_.empty(); }

  void Pin(uint64_t owner, int db, std::string_view key);
  void PinForCommand(std::vector<DbKey> keys) { command_pins_ = std::move(keys); }
  void ReleasePins(uint64_t owner);
  void ForgetOwner(uint64_t owner);
  // Some owner (or the command running) keeps the key's value in memory.
  bool Pinned(int db, std::string_view key) const;

  // A SWAPDB happened: a read in flight reads the old namespaces, its rows are not used.
  void OnSwap() { ++swaps_; }
  // Sends the queued requests on `reader` (one read at a time), or fails those that waited
  // too long while it cannot. Called once per loop iteration.
  void Send(PgConn* reader);
  void set_on_fetch(std::function<void()> fn) { on_fetch_ = std::move(fn); }

  // Ends one request: on failure records the error; on success drops the cold keys PostgreSQL
  // has no row for (deleted behind dkv's back) if they are as they were when asked. Exposed for
  // the unit tests.
  void FinishFetch(Fetch& fetch, bool ok, const std::string& error, const Found& found);

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  EventLoop* loop_;
  Host* host_;
  engine::Keyspace* keyspace_;
  const WriteQueue* queue_;
  PostgresStatus* status_;
  // Waiting for the reader, and sent.
  std::deque<Fetch> queue_fetches_;
  std::deque<Fetch> sent_;
  uint64_t next_id_ = 1;
  std::unordered_set<uint64_t> pending_;
  std::map<uint64_t, std::string> errors_;  // recent failed requests
  // Pinned values per namespace index, with how many owners pin each.
  std::vector<std::unordered_map<std::string, int, StringHash, std::equal_to<>>> pin_counts_;
  std::unordered_map<uint64_t, std::vector<DbKey>> pins_by_owner_;
  std::vector<DbKey> command_pins_;
  uint64_t swaps_ = 0;
  std::function<void()> on_fetch_;
};

}  // namespace dkv::persistence::postgres
