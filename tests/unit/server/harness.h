// CommandHarness: runs argument vectors through the real Dispatcher and command table, with no
// sockets, a FakeClock, and each session's replies captured as raw RESP bytes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/clock.h"
#include "src/core/dispatcher.h"
#include "src/core/server_state.h"
#include "src/scripting/scripting.h"

namespace dkv::server {

class CommandHarness : public ServerHooks {
 public:
  explicit CommandHarness(Config config = {});
  // Runs one command as client `client` (created on first use) and returns its reply bytes.
  std::string Run(const std::vector<std::string>& argv, int client = 0);
  void AdvanceMs(int64_t ms) { clock.AdvanceMs(ms); }
  Session& session(int client);

  void KillClient(Session* s) override { s->close_after_reply = true; }
  void ScheduleFlush(Session*) override {}
  void RequestShutdown() override { shutdown_requested = true; }
  // No PostgreSQL backend here: nothing to wait for.
  void ShutdownAfterCommit(Session*) override { shutdown_requested = true; }
  bool ShutdownPending() override { return false; }
  bool AbortShutdown() override { return false; }
  // A deterministic stand-in for the allocator: `bytes_per_key` per key in every namespace.
  size_t UsedMemory() override { return state.keyspace.TotalKeys() * bytes_per_key; }
  MemoryFigures Memory() override {
    MemoryFigures m;
    m.used = m.peak = UsedMemory();
    return m;
  }
  size_t bytes_per_key = 100;
  void FreeLater(std::unique_ptr<engine::Database::Contents>) override {}
  void ProcessEventsWhileBusy(Session*) override {}

  engine::FakeClock clock;
  ServerState state;
  Dispatcher dispatcher;
  ScriptEngine scripts;
  bool shutdown_requested = false;

 private:
  struct Client {
    Session session;
    std::string out;
  };
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace dkv::server
