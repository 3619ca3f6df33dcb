// AclLog: Redis' ACL LOG, the recent refusals (a command, a key or a channel a user may not use,
// a failed AUTH), newest first. Similar refusals (same reason, context, object and user within
// 60 seconds) are counted in one entry. Owned by the Acl (src/security/acl.h). Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

namespace dkv::server {

struct AclLogEntry {
  uint64_t count = 1;
  std::string reason;   // "command", "key", "channel", "auth"
  std::string context;  // "toplevel", "multi", "lua"
  std::string object;   // the command, key or channel; "AUTH"
  std::string username;
  std::string client_info;  // the client's CLIENT LIST line when it was last updated
  uint64_t entry_id = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

class AclLog {
 public:
  // Adds a refusal, or counts it in a similar recent entry (which moves to the front). Keeps at
  // most `max_len` entries.
  void Add(AclLogEntry entry, int64_t now_ms, size_t max_len);
  void Reset() { entries_.clear(); }
  // CONFIG SET acllog-max-len: drops the oldest entries over the new length.
  void Trim(size_t max_len);
  const std::deque<AclLogEntry>& entries() const { return entries_; }

 private:
  std::deque<AclLogEntry> entries_;  // newest first
  uint64_t next_id_ = 0;
};

}  // namespace dkv::server
