// Tracking (src/core/tracking.h). STUB: the interface is fixed; the implementation lands with
// issue 22's client-tracking work.
#include "src/core/tracking.h"

namespace dkv::server {

void Tracking::AfterCommand(Session&, const CommandSpec&, Args) {}
void Tracking::Forget(Session*) {}
size_t Tracking::client_count() const { return 0; }
size_t Tracking::key_count() const { return 0; }
size_t Tracking::item_count() const { return 0; }
size_t Tracking::prefix_count() const { return 0; }
void Tracking::OnKeyChanged(int, std::string_view, engine::ChangeKind) {}
void Tracking::OnPrefixDeleted(int, std::string_view) {}
void Tracking::OnFlush(engine::Database&) {}

}  // namespace dkv::server
