// PubSub (src/core/pubsub.h). STUB: the interface is fixed; the implementation lands with
// issue 22's pub/sub work.
#include "src/core/pubsub.h"

namespace dkv::server {

bool PubSub::Subscribe(Session*, Kind, int, std::string_view) { return false; }
bool PubSub::Unsubscribe(Session*, Kind, int, std::string_view) { return false; }
void PubSub::Forget(Session*) {}
size_t PubSub::Publish(int, std::string_view, std::string_view, bool) { return 0; }
void PubSub::WriteMessage(Session*, std::string_view, std::string_view) {}
size_t PubSub::channel_count() const { return 0; }
size_t PubSub::pattern_count() const { return 0; }
size_t PubSub::shard_channel_count() const { return 0; }

}  // namespace dkv::server
