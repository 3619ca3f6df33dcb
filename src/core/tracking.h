// Tracking: client-side caching (CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT
// TRACKINGINFO) and the invalidation messages it sends.
//
// Default mode: after a read-only command ran, the keys it read are remembered for the client
// (AfterCommand, called by the dispatcher; bounded by tracking-table-max-keys); a change of such
// a key (any write, expiry, eviction, flush, the cache tier dropping it) sends one invalidation
// and forgets the key. BCAST mode: every change under one of the client's prefixes is sent,
// collected per prefix and written once per loop iteration (BeforeSleep, from the network
// layer). Beyond Redis: a subtree delete (KV.DEL app.t7.**) sends one invalidation for the
// prefix, not one per key; a command that invalidates more than kCoalesceKeys keys for one
// client (KV.IMPORT, a large DEL or MSET) sends one prefix invalidation for their common
// prefix; and a pattern read (KV.KEYS, KV.MGET, KV.COUNT, KV.EXPORT) tracks its literal prefix.
// Messages go as RESP3 pushes (`invalidate`, [keys]) or, for RESP2 clients, to the REDIRECT
// client on __redis__:invalidate when it is in Pub/Sub mode. docs/client-tracking.md gives
// every message shape.
//
// Order, as Redis: invalidations caused by a command are collected while it runs and written
// when the client's command is over, so the tracking client's own reply comes first; those
// caused outside a command (active expiry, eviction before a command, the table's bound) go at
// once. The default-mode table is keyed by (database, key); BCAST clients hear the database they
// have selected (Redis: every database), so a tenant never learns another namespace's keys.
//
// Observes the keyspace (after WATCH and the blocked clients). Owned by ServerState; handlers
// reach it through Services::tracking(). Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/keyspace.h"
#include "src/core/client_registry.h"
#include "src/core/command.h"
#include "src/core/pubsub.h"
#include "src/core/session.h"

namespace dkv::server {

class Tracking : public engine::KeyspaceObserver {
 public:
  Tracking(PubSub* pubsub, ClientRegistry* clients, ServerHooks* const* hooks)
      : pubsub_(pubsub), clients_(clients), hooks_(hooks) {}
  Tracking(const Tracking&) = delete;
  Tracking& operator=(const Tracking&) = delete;

  // A command that invalidates more keys than this for one client sends one prefix
  // invalidation for their longest common prefix instead (a default-mode client), or in place
  // of the key list (a BCAST client).
  static constexpr size_t kCoalesceKeys = 64;

  // After `spec` ran for `session` with `argv`: remembers what a read-only command read, when
  // the session tracks. Cheap when it does not.
  void AfterCommand(Session& session, const CommandSpec& spec, Args argv);
  // A disconnecting (or RESET) client stops tracking.
  void Forget(Session* session);

  // INFO: tracking_clients, tracking_total_keys, tracking_total_items, tracking_total_prefixes.
  size_t client_count() const;
  size_t key_count() const;
  size_t item_count() const;
  size_t prefix_count() const;

  // --- engine::KeyspaceObserver ---
  void OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) override;
  void OnPrefixDeleted(int db, std::string_view prefix) override;
  void OnFlush(engine::Database& db) override;
  void OnSwapDatabases(engine::Database& a, engine::Database& b) override;
  void OnValueDropped(int db, std::string_view key) override;

  // --- CLIENT TRACKING and friends (src/commands/client_tracking_commands.cc) ---
  struct Options {
    uint64_t redirect = 0;
    bool bcast = false;
    bool optin = false;
    bool optout = false;
    bool noloop = false;
    std::vector<std::string> prefixes;
  };
  // CLIENT TRACKING ON: "" or Redis' error text (without the leading '-').
  std::string Enable(Session& session, const Options& options);
  void Disable(Session& session);
  // CLIENT CACHING YES|NO: "" or the error.
  std::string Caching(Session& session, bool yes);
  // CLIENT GETREDIR: -1 (not tracking), 0 (no redirect) or the client id.
  int64_t Redirect(const Session& session) const;
  // CLIENT TRACKINGINFO's fields.
  std::vector<std::string_view> Flags(const Session& session) const;
  std::vector<std::string> Prefixes(const Session& session) const;
  // CLIENT LIST's flags: "t" tracking, "R" broken redirect, "B" broadcast (Redis' order).
  std::string ClientListFlags(const Session& session) const;

  // tracking-table-max-keys (0: no bound); applied from the configuration.
  void set_max_keys(size_t n) { max_keys_ = n; }

  // Once per loop iteration (the network layer, before it writes the output): keeps the table
  // within tracking-table-max-keys and sends the broadcasts collected since the last call.
  void BeforeSleep();
  void FlushBroadcasts();

  // The dispatcher's scopes. A client's command (Dispatcher::Execute): invalidations for it are
  // written when its command is over. A handler running (Dispatcher::Call): invalidations are
  // collected until then.
  class CommandScope {
   public:
    CommandScope(Tracking& t, Session& session);
    ~CommandScope();
    CommandScope(const CommandScope&) = delete;
    CommandScope& operator=(const CommandScope&) = delete;

   private:
    Tracking& t_;
    Session& session_;
    Session* previous_;
  };
  class CallScope {
   public:
    explicit CallScope(Tracking& t) : t_(t) { ++t_.call_depth_; }
    ~CallScope();
    CallScope(const CallScope&) = delete;
    CallScope& operator=(const CallScope&) = delete;

   private:
    Tracking& t_;
  };

 private:
  struct ClientState {
    uint64_t redirect = 0;
    bool bcast = false;
    bool optin = false;
    bool optout = false;
    bool noloop = false;
    bool caching = false;  // CLIENT CACHING given for the next command
    bool broken_redirect = false;
    std::vector<std::string> prefixes;  // BCAST, in byte order
  };
  // What one client is to be told once the current command is over.
  struct Pending {
    std::vector<std::string> keys;
    std::vector<std::string> prefixes;
    bool flush = false;
  };
  // One BCAST prefix: its clients and what changed under it since the last flush ((database,
  // key) -> id of the client that changed it, 0 for none; subtrees deleted under it, with
  // their database and the same).
  struct Broadcast {
    std::vector<uint64_t> clients;
    std::map<std::pair<int, std::string>, uint64_t> keys;
    std::vector<std::tuple<int, std::string, uint64_t>> subtrees;
  };
  using Ids = std::vector<uint64_t>;
  using Table = std::map<std::string, Ids, std::less<>>;

  ClientState* StateOf(uint64_t id);
  const ClientState* StateOf(const Session& session) const;
  uint64_t Writer() const;
  // Default mode: the key (or pattern prefix) changed; its holders are told and it is forgotten.
  void InvalidateEntry(Table& table, int db, Table::iterator it, bool prefix_entry,
                       uint64_t writer);
  void InvalidateKey(int db, std::string_view key, uint64_t writer, bool bcast);
  void Remember(Table& table, std::string_view key, uint64_t id);
  // Tells client `id` (default mode), at once or after the command.
  void QueueKey(uint64_t id, std::string_view key, uint64_t writer);
  void QueuePrefix(uint64_t id, std::string_view prefix, uint64_t writer);
  void QueueFlush(uint64_t id);
  void FlushPending();
  void LimitKeys();

  enum class Shape { kKeys, kNull, kPrefixes };
  // Writes one message for tracking client `id` (to it, or to its redirect target).
  void Send(uint64_t id, Shape shape, const std::vector<std::string>& items);
  void SendKeys(uint64_t id, std::vector<std::string> keys);
  void Write(Session* target, bool redirected, Shape shape, const std::vector<std::string>& items);

  [[maybe_unused]] PubSub* pubsub_;
  ClientRegistry* clients_;
  ServerHooks* const* hooks_;

  std::unordered_map<uint64_t, ClientState> states_;
  // Default mode, per database: keys read, and the literal prefixes of pattern reads.
  std::map<int, Table> keys_;
  std::map<int, Table> patterns_;
  size_t key_count_ = 0;
  size_t item_count_ = 0;
  // BCAST prefixes of every client (Redis' PrefixTable).
  std::map<std::string, Broadcast, std::less<>> broadcasts_;
  bool broadcast_pending_ = false;

  std::map<uint64_t, Pending> pending_;
  Session* current_ = nullptr;
  int execute_depth_ = 0;
  int call_depth_ = 0;
  size_t max_keys_ = 1000000;
  unsigned limit_rounds_ = 0;
};

}  // namespace dkv::server
