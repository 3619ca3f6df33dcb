// ScanCursors: the resume points of SCAN and KV.SCAN iterations.
//
// The keyspace is an ordered tree, so an iteration resumes after the last key it returned; a
// cursor names that key. The table has a fixed number of slots; a cursor is a sequence number
// whose low bits pick its slot, so the newest 16,384 iterations in progress can always resume,
// and an older cursor is refused ("ERR invalid cursor") rather than silently restarted.
// Guarantees are Redis': a key present from the first call to the last is returned at least once;
// keys added or removed meanwhile may or may not be. A cursor belongs to the namespace and user
// that made it: another tenant presenting it gets "invalid cursor" (it names a key of the owner's).
// Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dkv::server {

class ScanCursors {
 public:
  static constexpr uint64_t kSlots = 1 << 14;

  // Stores the resume point and returns the cursor for it (never 0).
  uint64_t Save(std::string last_key, int db, const void* user) {
    if (slots_.empty()) slots_.resize(kSlots);
    uint64_t cursor = next_++;
    Slot& s = slots_[cursor % kSlots];
    s.cursor = cursor;
    s.last_key = std::move(last_key);
    s.db = db;
    s.user = user;
    return cursor;
  }

  // The key an iteration resumes after, or nullptr for an unknown cursor or one made in
  // another namespace or by another user.
  const std::string* Find(uint64_t cursor, int db, const void* user) const {
    if (slots_.empty() || cursor == 0) return nullptr;
    const Slot& s = slots_[cursor % kSlots];
    return s.cursor == cursor && s.db == db && s.user == user ? &s.last_key : nullptr;
  }

 private:
  struct Slot {
    uint64_t cursor = 0;
    std::string last_key;
    int db = 0;
    const void* user = nullptr;
  };
  std::vector<Slot> slots_;
  uint64_t next_ = 1;
};

}  // namespace dkv::server
