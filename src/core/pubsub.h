// PubSub: channels, patterns and shard channels, and who is subscribed to them (SUBSCRIBE,
// PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB ...).
//
// Channels live in namespaces: a client subscribes in the namespace its session is in, and a
// PUBLISH reaches only subscribers of the same namespace (a tenant never hears another's
// messages); namespace 0 is Redis' one global channel space. Keyspace notifications
// (src/core/keyspace_events.h) and client tracking's RESP2 redirection
// (src/core/tracking.h) deliver through it too.
//
// Delivery appends the message to the subscriber's output (Session::out: a RESP2 array, or a
// RESP3 push) and asks the network layer to write it (ServerHooks::ScheduleFlush). A
// subscriber that does not read is bounded by client-output-buffer-limit's pubsub class (the
// network layer closes it). Owned by ServerState; handlers reach it through Services::pubsub().
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/core/server_hooks.h"
#include "src/core/session.h"
#include "src/core/stats.h"

namespace dkv::server {

class PubSub {
 public:
  // `hooks` points at the server's hooks pointer (set once the network layer exists; null in
  // tests without one: output then only accumulates in Session::out).
  PubSub(ServerHooks* const* hooks, Stats* stats) : hooks_(hooks), stats_(stats) {}
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  enum class Kind { kChannel, kPattern, kShard };

  // Subscribes `session` (in namespace `ns`) to one channel, pattern or shard channel; false
  // when it already was. Keeps Session::subscriptions current.
  bool Subscribe(Session* session, Kind kind, int ns, std::string_view name);
  // The reverse; false when it was not subscribed.
  bool Unsubscribe(Session* session, Kind kind, int ns, std::string_view name);
  // A disconnecting (or RESET) client: every subscription goes, without replies.
  void Forget(Session* session);

  // PUBLISH (shard false) or SPUBLISH (shard true): delivers `message` to every subscriber of
  // `channel` in namespace `ns` (and, for PUBLISH, of every pattern matching it, as a "pmessage").
  // Returns the number of clients that received it.
  size_t Publish(int ns, std::string_view channel, std::string_view message, bool shard = false);

  // Writes one "message" (RESP2 array or RESP3 push: message, channel, payload) to `target`
  // whatever it is subscribed to, and schedules its output (tracking's RESP2 redirection on
  // __redis__:invalidate uses it).
  void WriteMessage(Session* target, std::string_view channel, std::string_view payload);

  // INFO: channels and patterns with at least one subscriber, over all namespaces.
  size_t channel_count() const;
  size_t pattern_count() const;
  size_t shard_channel_count() const;

 private:
  [[maybe_unused]] ServerHooks* const* hooks_;
  [[maybe_unused]] Stats* stats_;
};

}  // namespace dkv::server
