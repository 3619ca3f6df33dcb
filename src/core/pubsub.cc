// PubSub (src/core/pubsub.h): who listens to which channel, pattern and shard channel of each
// namespace, and delivery in Redis' order (a channel's subscribers in the order they
// subscribed, then the subscribers of each matching pattern).
#include "src/core/pubsub.h"

#include <algorithm>
#include <utility>

#include "resp/reply.h"

namespace dkv::server {
namespace {

size_t KindIndex(PubSub::Kind kind) { return static_cast<size_t>(kind); }

void RemoveSubscriber(std::vector<Session*>* subscribers, const Session* session) {
  auto it = std::find(subscribers->begin(), subscribers->end(), session);
  if (it != subscribers->end()) subscribers->erase(it);
}

}  // namespace

std::string* PubSub::PushBuffer(Session* target) {
  if (target->running_command && (target->reply_off || target->reply_skip)) {
    return &target->kept_pushes;
  }
  return target->out;
}

bool PubSub::OverHardLimit(const Session* target) const {
  if (config_ == nullptr || config_->pubsub_output_limit.hard <= 0 || target->out == nullptr) {
    return false;
  }
  return target->out->size() > static_cast<size_t>(config_->pubsub_output_limit.hard);
}

bool PubSub::Subscribe(Session* session, Kind kind, int ns, std::string_view name) {
  ns = SpaceOf(ns);
  auto& mine = clients_[session].of[KindIndex(kind)];
  std::pair<int, std::string> entry(ns, std::string(name));
  auto at = std::lower_bound(mine.begin(), mine.end(), entry);
  if (at != mine.end() && *at == entry) return false;
  mine.insert(at, entry);
  Space& space = spaces_[ns];
  switch (kind) {
    case Kind::kChannel:
    case Kind::kShard: {
      auto& map = kind == Kind::kChannel ? space.channels : space.shard;
      auto [it, added] = map.try_emplace(entry.second);
      if (added) ++(kind == Kind::kChannel ? channels_ : shard_channels_);
      it->second.subscribers.push_back(session);
      break;
    }
    case Kind::kPattern: {
      auto [it, added] = space.patterns.try_emplace(entry.second);
      if (added) {
        ++patterns_;
        std::string error;
        it->second.compiled = engine::Pattern::CompileRedisGlob(name, &error);
      }
      it->second.subscribers.push_back(session);
      break;
    }
  }
  ++session->subscriptions;
  return true;
}

bool PubSub::Unsubscribe(Session* session, Kind kind, int ns, std::string_view name) {
  ns = SpaceOf(ns);
  auto client = clients_.find(session);
  if (client == clients_.end()) return false;
  auto& mine = client->second.of[KindIndex(kind)];
  std::pair<int, std::string> entry(ns, std::string(name));
  auto at = std::lower_bound(mine.begin(), mine.end(), entry);
  if (at == mine.end() || *at != entry) return false;
  mine.erase(at);
  Space& space = spaces_[ns];
  switch (kind) {
    case Kind::kChannel:
    case Kind::kShard: {
      auto& map = kind == Kind::kChannel ? space.channels : space.shard;
      auto it = map.find(entry.second);
      if (it != map.end()) {
        RemoveSubscriber(&it->second.subscribers, session);
        if (it->second.subscribers.empty()) {
          map.erase(it);
          --(kind == Kind::kChannel ? channels_ : shard_channels_);
        }
      }
      break;
    }
    case Kind::kPattern: {
      auto it = space.patterns.find(entry.second);
      if (it != space.patterns.end()) {
        RemoveSubscriber(&it->second.subscribers, session);
        if (it->second.subscribers.empty()) {
          space.patterns.erase(it);
          --patterns_;
        }
      }
      break;
    }
  }
  if (space.channels.empty() && space.shard.empty() && space.patterns.empty()) {
    spaces_.erase(ns);
  }
  --session->subscriptions;
  bool none = true;
  for (const auto& of : client->second.of) none = none && of.empty();
  if (none) clients_.erase(client);
  return true;
}

void PubSub::Forget(Session* session) {
  for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShard}) {
    for (const Subscription& sub : SubscriptionsOf(session, kind)) {
      Unsubscribe(session, kind, sub.ns, sub.name);
    }
  }
  clients_.erase(session);
  session->subscriptions = 0;
}

void PubSub::Deliver(Session* target, std::string_view kind, const std::string* pattern,
                     std::string_view channel, std::string_view payload) {
  resp::ReplyBuilder reply(PushBuffer(target), target->protocol);
  reply.PushHeader(pattern != nullptr ? 4 : 3);
  reply.Bulk(kind);
  if (pattern != nullptr) reply.Bulk(*pattern);
  reply.Bulk(channel);
  reply.Bulk(payload);
  if (*hooks_ != nullptr) (*hooks_)->ScheduleFlush(target);
}

size_t PubSub::Publish(int ns, std::string_view channel, std::string_view message, bool shard) {
  ns = SpaceOf(ns);
  auto space = spaces_.find(ns);
  if (space == spaces_.end()) return 0;
  size_t receivers = 0;
  auto& map = shard ? space->second.shard : space->second.channels;
  if (auto it = map.find(channel); it != map.end()) {
    // A copy: delivery never changes subscriptions, but stays safe if a hook did.
    std::vector<Session*> subscribers = it->second.subscribers;
    for (Session* s : subscribers) {
      if (!OverHardLimit(s)) Deliver(s, shard ? "smessage" : "message", nullptr, channel, message);
      ++receivers;
    }
  }
  if (shard) return receivers;  // shard channels have no patterns
  std::vector<std::pair<const std::string*, std::vector<Session*>>> matched;
  for (const auto& [name, pattern] : space->second.patterns) {
    if (pattern.compiled == nullptr || !pattern.compiled->Matches(channel)) continue;
    matched.emplace_back(&name, pattern.subscribers);
  }
  for (const auto& [name, subscribers] : matched) {
    for (Session* s : subscribers) {
      if (!OverHardLimit(s)) Deliver(s, "pmessage", name, channel, message);
      ++receivers;
    }
  }
  return receivers;
}

void PubSub::WriteMessage(Session* target, std::string_view channel, std::string_view payload) {
  if (OverHardLimit(target)) return;
  Deliver(target, "message", nullptr, channel, payload);
}

size_t PubSub::channel_count() const { return channels_; }
size_t PubSub::pattern_count() const { return patterns_; }
size_t PubSub::shard_channel_count() const { return shard_channels_; }

std::vector<PubSub::Subscription> PubSub::SubscriptionsOf(const Session* session, Kind kind) const {
  std::vector<Subscription> out;
  auto it = clients_.find(session);
  if (it == clients_.end()) return out;
  for (const auto& [ns, name] : it->second.of[KindIndex(kind)]) out.push_back({kind, ns, name});
  return out;
}

size_t PubSub::CountOf(const Session* session, Kind kind) const {
  auto it = clients_.find(session);
  return it == clients_.end() ? 0 : it->second.of[KindIndex(kind)].size();
}

std::vector<std::string> PubSub::Channels(int ns, bool shard, bool has_pattern,
                                          std::string_view pattern) const {
  ns = SpaceOf(ns);
  std::vector<std::string> out;
  auto space = spaces_.find(ns);
  if (space == spaces_.end()) return out;
  std::unique_ptr<engine::Pattern> compiled;
  if (has_pattern) {
    std::string error;
    compiled = engine::Pattern::CompileRedisGlob(pattern, &error);
    if (compiled == nullptr) return out;
  }
  for (const auto& [name, channel] : shard ? space->second.shard : space->second.channels) {
    if (compiled == nullptr || compiled->Matches(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t PubSub::NumSub(int ns, bool shard, std::string_view channel) const {
  ns = SpaceOf(ns);
  auto space = spaces_.find(ns);
  if (space == spaces_.end()) return 0;
  const auto& map = shard ? space->second.shard : space->second.channels;
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second.subscribers.size();
}

size_t PubSub::NumPat(int ns) const {
  ns = SpaceOf(ns);
  auto space = spaces_.find(ns);
  return space == spaces_.end() ? 0 : space->second.patterns.size();
}

}  // namespace dkv::server
