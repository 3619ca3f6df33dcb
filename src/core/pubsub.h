// PubSub: channels, patterns and shard channels, and who is subscribed to them (SUBSCRIBE,
// PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB ...).
//
// Channels live in namespaces: a client subscribes in the namespace its session is in, and a
// PUBLISH reaches only subscribers of the same namespace (a tenant never hears another's
// messages); Redis' numbered databases (SELECT 0..15) share one channel space, as in Redis.
// Keyspace notifications (src/core/keyspace_events.h) and client tracking's RESP2 redirection
// (src/core/tracking.h) deliver through it too.
//
// Delivery appends the message to the subscriber's output (Session::out: a RESP2 array, or a
// RESP3 push) and asks the network layer to write it (ServerHooks::ScheduleFlush). A
// subscriber that does not read is bounded by client-output-buffer-limit's pubsub class (the
// network layer closes it; delivery stops adding to a client already past the hard limit, so one
// PUBLISH never grows a slow client's output without bound). Owned by ServerState; handlers reach
// it through Services::pubsub(). Loop thread only.
//
// Patterns are Redis globs compiled once per subscribed pattern (engine/pattern.h: RE2, linear in
// the channel whatever the pattern); a pattern that cannot be compiled (longer than
// Pattern::kMaxRedisRegexLength with wildcards) is kept but matches nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/pattern.h"
#include "src/config/config.h"
#include "src/core/server_hooks.h"
#include "src/core/session.h"
#include "src/core/stats.h"

namespace dkv::server {

class PubSub {
 public:
  // `hooks` points at the server's hooks pointer (set once the network layer exists; null in
  // tests without one: output then only accumulates in Session::out).
  // `config` (optional) gives client-output-buffer-limit's pubsub class: delivery skips a
  // subscriber whose output is already past its hard limit (the network layer closes it).
  PubSub(ServerHooks* const* hooks, Stats* stats, const Config* config = nullptr)
      : hooks_(hooks), stats_(stats), config_(config) {}
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
  // INFO's pubsub_clients: clients with at least one subscription of any kind.
  size_t client_count() const { return clients_.size(); }

  // One subscription of a client: its kind, namespace and channel (or pattern).
  struct Subscription {
    Kind kind;
    int ns;
    std::string name;
  };
  // A client's subscriptions of `kind`, sorted by namespace and name (UNSUBSCRIBE without
  // arguments, ACL's revocation check).
  std::vector<Subscription> SubscriptionsOf(const Session* session, Kind kind) const;
  // How many channels (kChannel), patterns (kPattern) or shard channels (kShard) `session` is
  // subscribed to (CLIENT LIST's sub=, psub=, ssub=).
  size_t CountOf(const Session* session, Kind kind) const;
  // The count a (un)subscribe reply carries: channels + patterns, or shard channels.
  size_t ReplyCount(const Session* session, Kind kind) const {
    return kind == Kind::kShard
               ? CountOf(session, kind)
               : CountOf(session, Kind::kChannel) + CountOf(session, Kind::kPattern);
  }

  // PUBSUB CHANNELS / SHARDCHANNELS: the channels of namespace `ns` with a subscriber, matching
  // the Redis glob `pattern` when `has_pattern`; sorted.
  std::vector<std::string> Channels(int ns, bool shard, bool has_pattern,
                                    std::string_view pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel of namespace `ns`.
  size_t NumSub(int ns, bool shard, std::string_view channel) const;
  // PUBSUB NUMPAT: distinct patterns with a subscriber in namespace `ns`.
  size_t NumPat(int ns) const;

 private:
  // Channel names looked up by string_view without a copy (PUBLISH).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using NameMap = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;
  struct Channel {
    std::vector<Session*> subscribers;  // in the order they subscribed
  };
  struct Pattern {
    std::unique_ptr<engine::Pattern> compiled;  // null: cannot be compiled, matches nothing
    std::vector<Session*> subscribers;
  };
  // One namespace's channel space.
  struct Space {
    NameMap<Channel> channels;
    NameMap<Channel> shard;
    NameMap<Pattern> patterns;
  };
  // What one client is subscribed to, per kind: (namespace, name).
  struct ClientSubs {
    std::vector<std::pair<int, std::string>> of[3];
  };

  // Appends one pushed message (kind "message", "smessage" or "pmessage") to `target`'s output.
  void Deliver(Session* target, std::string_view kind, const std::string* pattern,
               std::string_view channel, std::string_view payload);
  // Past the pubsub hard limit: nothing more is added (the network layer closes it).
  bool OverHardLimit(const Session* target) const;
  // Where a push for `target` goes: its output, or Session::kept_pushes while its own command
  // runs under CLIENT REPLY OFF / SKIP (pushes are not replies: Redis keeps them).
  static std::string* PushBuffer(Session* target);

  ServerHooks* const* hooks_;
  [[maybe_unused]] Stats* stats_;
  const Config* config_;
  // The channel space of namespace `ns`: Redis' numbered databases share one (0), as Redis'
  // Pub/Sub ignores SELECT; each named namespace (a tenant) has its own.
  int SpaceOf(int ns) const { return config_ != nullptr && ns < config_->databases ? 0 : ns; }
  std::unordered_map<int, Space> spaces_;
  std::unordered_map<const Session*, ClientSubs> clients_;
  size_t channels_ = 0;
  size_t patterns_ = 0;
  size_t shard_channels_ = 0;
};

}  // namespace dkv::server
