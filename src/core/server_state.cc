#include "src/core/server_state.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "engine/stream.h"
#include "resp/text.h"

namespace dkv::server {

using text::EqualsIgnoreCase;

namespace {
constexpr size_t kSlowLogMaxArgs = 32;
constexpr size_t kSlowLogMaxArgLen = 128;

std::string RandomRunId() {
  std::random_device rd;
  std::string id;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) id += hex[rd() % 16];
  return id;
}
}  // namespace

bool IsLoopback(const struct sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const struct sockaddr_in*>(&ss);
    return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const struct sockaddr_in6*>(&ss)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

const AclUser* ServerState::Authenticate(std::string_view name, std::string_view password) {
  const AclUser* user = acl.Authenticate(name, password);
  if (user == nullptr) stats.acl_denied_auth++;
  return user;
}

bool ServerState::BindUser(Session& session, const AclUser* user) {
  if (!Acl::CanUseNamespace(*user, keyspace.NamespaceName(session.db))) {
    int index = keyspace.FindOrCreateNamespace(user->namespaces.front(), config.max_namespaces);
    if (index < 0) return false;
    session.db = index;
  }
  session.user = user;
  return true;
}

void ServerState::InitSession(Session& session) {
  session.user = acl.default_user();
  session.authenticated = !acl.default_requires_auth() && BindUser(session, session.user);
}

ServerState::ServerState(Config cfg, const engine::Clock* clk)
    : config(std::move(cfg)),
      clock(clk),
      keyspace(clk, config.databases),
      start_ms(clk->NowMs()),
      run_id(RandomRunId()) {
  acl_error = acl.Load(config);
  applied_requirepass = config.requirepass;
  observers.observers.push_back(&watches);
  observers.observers.push_back(&blocked);
  observers.observers.push_back(&events);
  observers.observers.push_back(&tracking);
  observers.observers.push_back(&propagation);
  keyspace.set_observer(&observers);
  ApplyConfig();
}

void ServerState::ApplyConfig() {
  // CONFIG SET requirepass sets the default user's password (as Redis); other options leave the
  // user as ACL SETUSER or the configuration made it.
  if (config.requirepass != applied_requirepass) {
    acl.SetDefaultPassword(config.requirepass);
    applied_requirepass = config.requirepass;
  }
  acl.log().Trim(static_cast<size_t>(config.acllog_max_len));
  tracking.set_max_keys(static_cast<size_t>(config.tracking_table_max_keys));
  eviction_policy = ParseEvictionPolicy(config.maxmemory_policy);
  engine::AccessPolicy access;
  access.lfu = eviction_policy == EvictionPolicy::kAllKeysLfu ||
               eviction_policy == EvictionPolicy::kVolatileLfu;
  access.lfu_log_factor = config.lfu_log_factor;
  access.lfu_decay_minutes = config.lfu_decay_time;
  keyspace.set_access_policy(access);
  engine::ContainerLimits limits;
  // Redis caps the intset at 2^30 members (its length is 32 bits); so does dkv.
  limits.set_max_intset_entries =
      static_cast<size_t>(std::min<int64_t>(config.set_max_intset_entries, int64_t{1} << 30));
  limits.hash_max_entries = static_cast<size_t>(config.hash_max_listpack_entries);
  limits.hash_max_value = static_cast<size_t>(config.hash_max_listpack_value);
  limits.set_max_entries = static_cast<size_t>(config.set_max_listpack_entries);
  limits.set_max_value = static_cast<size_t>(config.set_max_listpack_value);
  limits.list_max_listpack_size = config.list_max_listpack_size;
  limits.list_compress_depth = config.list_compress_depth;
  limits.zset_max_entries = static_cast<size_t>(config.zset_max_listpack_entries);
  limits.zset_max_value = static_cast<size_t>(config.zset_max_listpack_value);
  keyspace.set_container_limits(limits);
  events.set_flags(config.notify_keyspace_events);
  engine::GlobalStreamLimits() = {static_cast<size_t>(config.stream_node_max_entries),
                                  static_cast<size_t>(config.stream_node_max_bytes)};
}

Evictor::Result ServerState::Evict(int64_t budget_us) {
  if (config.maxmemory <= 0 || hooks == nullptr) return Evictor::Result::kOk;
  // No eviction during CLIENT PAUSE, as Redis: nothing is refused for memory then either.
  if (clients.paused(clock->NowMs())) return Evictor::Result::kOk;
  Evictor::Result result = evictor.Run(
      keyspace, eviction_policy, static_cast<size_t>(config.maxmemory), config.maxmemory_samples,
      [this] { return hooks->UsedMemory(); }, budget_us);
  // Over PostgreSQL, values waiting for their commit cannot be dropped: commit them now rather
  // than at the end of the flush interval.
  if (result == Evictor::Result::kFail) backend().FlushSoon();
  return result;
}

void SlowLog::Record(int64_t now_s, int64_t duration_us, const std::vector<std::string_view>& argv,
                     const Session& session, int64_t max_len,
                     const std::function<bool(size_t)>& secret) {
  SlowLogEntry entry;
  entry.id = next_id_++;
  entry.time_s = now_s;
  entry.duration_us = duration_us;
  size_t n = std::min(argv.size(), kSlowLogMaxArgs);
  for (size_t i = 0; i < n; ++i) {
    if (i == kSlowLogMaxArgs - 1 && argv.size() > kSlowLogMaxArgs) {
      entry.args.push_back("... (" + std::to_string(argv.size() - kSlowLogMaxArgs + 1) +
                           " more arguments)");
      break;
    }
    std::string_view a = argv[i];
    if (secret(i)) {
      entry.args.emplace_back("(redacted)");
      continue;
    }
    if (a.size() > kSlowLogMaxArgLen) {
      entry.args.push_back(std::string(a.substr(0, kSlowLogMaxArgLen)) + "... (" +
                           std::to_string(a.size() - kSlowLogMaxArgLen) + " more bytes)");
    } else {
      entry.args.emplace_back(a);
    }
  }
  entry.addr = session.addr;
  entry.name = session.name;
  entries_.push_front(std::move(entry));
  Trim(max_len);
}

void SlowLog::Trim(int64_t max_len) {
  while (static_cast<int64_t>(entries_.size()) > max_len) entries_.pop_back();
}

void ServerState::AddObserver(engine::KeyspaceObserver* observer) {
  observers.observers.push_back(observer);
  keyspace.set_observer(&observers);
}

}  // namespace dkv::server
