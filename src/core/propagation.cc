#include "src/core/propagation.h"

// STUB (issue 23): the interface is fixed; the implementation follows.

namespace dkv::server {

void Propagator::set_sink(Sink sink) { sink_ = std::move(sink); }
void Propagator::Enter() {}
void Propagator::Leave(int db, Args argv) {
  (void)db;
  (void)argv;
}
void Propagator::Replace(int db, std::vector<std::string> argv) {
  (void)db;
  (void)argv;
}
void Propagator::Suppress() {}
void Propagator::MarkChanged() {}
void Propagator::OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) {
  (void)db;
  (void)key;
  (void)kind;
}
void Propagator::OnPrefixDeleted(int db, std::string_view prefix) {
  (void)db;
  (void)prefix;
}
void Propagator::OnFlush(engine::Database& db) { (void)db; }
void Propagator::OnSwapDatabases(engine::Database& a, engine::Database& b) {
  (void)a;
  (void)b;
}

}  // namespace dkv::server
