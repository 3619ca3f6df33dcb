#include "src/core/services.h"

#include "src/core/command.h"
#include "src/core/server_state.h"

namespace dkv::server {

Services::Services(ServerState* state, Dispatcher* dispatcher)
    : state_(*state),
      dispatcher_(*dispatcher),
      config_(state->config),
      keyspace_(state->keyspace),
      clock_(*state->clock),
      stats_(state->stats),
      slowlog_(state->slowlog),
      clients_(state->clients),
      watches_(state->watches),
      blocked_(state->blocked),
      propagation_(state->propagation),
      events_(state->events),
      patterns_(state->patterns),
      scan_cursors_(state->scan_cursors) {}

void Services::ApplyConfig() { state_.ApplyConfig(); }
Backend& Services::backend() { return state_.backend(); }
Scripts* Services::scripts() { return state_.scripts; }
ServerHooks* Services::hooks() { return state_.hooks; }
PubSub& Services::pubsub() { return state_.pubsub; }
Tracking& Services::tracking() { return state_.tracking; }
Aof* Services::aof() { return state_.aof; }
AofLog* Services::aof_log() { return state_.aof_log; }
const Acl& Services::acl() const { return state_.acl; }
Acl& Services::acl() { return state_.acl; }
void Services::DisconnectDeletedUsers() {
  std::vector<const AclUser*> live;
  for (const auto& [id, s] : clients_) {
    live.push_back(s->user);
    if (s->user != nullptr && s->user->deleted) {
      if (state_.hooks != nullptr) {
        state_.hooks->KillClient(s);
      } else {
        s->close_after_reply = true;
      }
    }
  }
  state_.acl.ForgetDeleted(live);
}
AuthThrottle& Services::auth_throttle() { return state_.auth_throttle; }

const AclUser* Services::Authenticate(std::string_view name, std::string_view password) {
  return state_.Authenticate(name, password);
}
bool Services::BindUser(Session& session, const AclUser* user) {
  return state_.BindUser(session, user);
}
void Services::InitSession(Session& session) { state_.InitSession(session); }
const AclUser& Services::UserOf(const Session& session) const { return state_.UserOf(session); }
bool Services::CanUseNamespace(const Session& session, int index) const {
  return state_.CanUseNamespace(session, index);
}

int64_t Services::start_ms() const { return state_.start_ms; }
const std::string& Services::run_id() const { return state_.run_id; }
bool Services::loading() const { return state_.loading; }
bool Services::in_exec() const { return state_.in_exec; }

engine::Database& CommandContext::db() { return services.keyspace().db(session.db); }
engine::Keyspace& CommandContext::keyspace() { return services.keyspace(); }
const Config& CommandContext::config() const { return services.config(); }

}  // namespace dkv::server
