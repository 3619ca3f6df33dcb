// Tracking: client-side caching (CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT
// TRACKINGINFO) and the invalidation messages it sends.
//
// Default mode: after a read-only command ran, the keys it read are remembered for the client
// (AfterCommand, called by the dispatcher; bounded by tracking-table-max-keys); a change of such
// a key (any write, expiry, eviction, flush, the cache tier dropping it) sends one invalidation
// and forgets the key. BCAST mode: every change under one of the client's prefixes is sent.
// Beyond Redis: a subtree delete (KV.DEL app.t7.**), KV.IMPORT and FLUSH send one invalidation
// for the prefix, not one per key, and a pattern read (KV.KEYS, KV.MGET, KV.COUNT) tracks its
// literal prefix. Messages go as RESP3 pushes ("invalidate", [keys]) or, for RESP2 clients, to
// the REDIRECT client on __redis__:invalidate (PubSub::WriteMessage). docs/commands.md gives
// the message shapes.
//
// Observes the keyspace (after WATCH and the blocked clients). Owned by ServerState; handlers
// reach it through Services::tracking(). Loop thread only.
#pragma once

#include <cstddef>
#include <string_view>

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

 private:
  [[maybe_unused]] PubSub* pubsub_;
  [[maybe_unused]] ClientRegistry* clients_;
  [[maybe_unused]] ServerHooks* const* hooks_;
};

}  // namespace dkv::server
