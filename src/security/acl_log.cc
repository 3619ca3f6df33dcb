#include "src/security/acl_log.h"

#include <utility>

namespace dkv::server {
namespace {
// Refusals this close to an entry's last update are counted in it (Redis' grouping window).
constexpr int64_t kGroupingMs = 60000;
}  // namespace

void AclLog::Add(AclLogEntry entry, int64_t now_ms, size_t max_len) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->reason == entry.reason && it->context == entry.context && it->object == entry.object &&
        it->username == entry.username && now_ms - it->updated_ms < kGroupingMs) {
      AclLogEntry found = std::move(*it);
      entries_.erase(it);
      found.count++;
      found.updated_ms = now_ms;
      found.client_info = std::move(entry.client_info);
      entries_.push_front(std::move(found));
      Trim(max_len);
      return;
    }
  }
  entry.count = 1;
  entry.entry_id = next_id_++;
  entry.created_ms = now_ms;
  entry.updated_ms = now_ms;
  entries_.push_front(std::move(entry));
  Trim(max_len);
}

void AclLog::Trim(size_t max_len) {
  while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace dkv::server
