#include "src/core/aof.h"

#include "src/core/aof_log.h"
#include "src/core/dispatcher.h"
#include "src/core/server_state.h"

// STUB (issue 23): the interface is fixed; the implementation follows.

namespace dkv::server {

struct Aof::Impl {
  ServerState* state;
  AofLog* log;
  Dispatcher* dispatcher;
  std::function<void()> child_setup;
};

Aof::Aof(ServerState* state, AofLog* log, Dispatcher* dispatcher) : impl_(new Impl) {
  impl_->state = state;
  impl_->log = log;
  impl_->dispatcher = dispatcher;
}
Aof::~Aof() { delete impl_; }

std::string Aof::LoadAndOpen() { return "appendonly yes is not implemented yet"; }
bool Aof::enabled() const { return false; }
std::string Aof::Enable() { return "appendonly yes is not implemented yet"; }
void Aof::Disable() {}
void Aof::ConfigChanged() {}
std::string Aof::StartRewrite(bool* scheduled) {
  *scheduled = false;
  return "ERR appendonly is not implemented yet";
}
bool Aof::rewrite_in_progress() const { return false; }
bool Aof::rewrite_scheduled() const { return false; }
void Aof::set_child_setup(std::function<void()> fn) { impl_->child_setup = std::move(fn); }
void Aof::KillChild() {}
void Aof::Cron(int64_t now_ms) { impl_->log->Cron(now_ms); }
bool Aof::CloseForExit() { return impl_->log->Close(); }
void Aof::AppendInfo(std::string* out) const { (void)out; }

}  // namespace dkv::server
