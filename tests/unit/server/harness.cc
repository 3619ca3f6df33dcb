#include "harness.h"

#include <string_view>

namespace dkv::server {

CommandHarness::CommandHarness(Config config)
    : state(std::move(config), &clock), dispatcher(&state), scripts(&state, &dispatcher) {
  state.hooks = this;
  state.scripts = &scripts;
}

Session& CommandHarness::session(int client) {
  while (static_cast<int>(clients_.size()) <= client) {
    auto c = std::make_unique<Client>();
    c->session.id = state.clients.NextId();
    c->session.out = &c->out;
    c->session.addr = "127.0.0.1:" + std::to_string(40000 + clients_.size());
    state.InitSession(c->session);
    state.clients.Add(&c->session);
    clients_.push_back(std::move(c));
  }
  return clients_[static_cast<size_t>(client)]->session;
}

std::string CommandHarness::Run(const std::vector<std::string>& argv, int client) {
  Session& s = session(client);
  s.out->clear();
  std::vector<std::string_view> views(argv.begin(), argv.end());
  dispatcher.Execute(s, views);
  return *s.out;
}

}  // namespace dkv::server
