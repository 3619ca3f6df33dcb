// KeyspaceEvents (src/core/keyspace_events.h). STUB: the interface is fixed; the implementation
// lands with issue 22's keyspace-notification work.
#include "src/core/keyspace_events.h"

namespace dkv::server {

bool KeyspaceEvents::ParseFlags(std::string_view text, uint32_t* flags) {
  *flags = 0;
  return text.empty();
}
std::string KeyspaceEvents::FormatFlags(uint32_t) { return ""; }
void KeyspaceEvents::OnKeyChanged(int, std::string_view, engine::ChangeKind) {}
void KeyspaceEvents::Publish(uint32_t, std::string_view, int, std::string_view) {}

}  // namespace dkv::server
