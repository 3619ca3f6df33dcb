// String operations on a Database: the work behind INCR, APPEND, SETRANGE, GETRANGE and LCS,
// separate from argument parsing and replies. Each write signals the key to the observer and
// counts one write in the keyspace's dirty counter (Database::NoteWrite); a no-op (SETRANGE of
// nothing, an error) does neither. Each answers kWrongType, changing nothing, when the key holds
// a container (a hash, a set: Entry::container()). Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"

namespace dkv::engine {

enum class OpStatus {
  kOk,
  kNotInteger,     // "value is not an integer or out of range"
  kNotFloat,       // "value is not a valid float"
  kOverflow,       // "increment or decrement would overflow"
  kNanOrInfinity,  // "increment would produce NaN or Infinity"
  kTooLarge,       // "string exceeds maximum allowed size (proto-max-bulk-len)"
  kWrongType,      // the key holds a container (engine/container.h), not a string
};

// INCRBY: the new value in *result.
OpStatus IncrBy(Database& db, std::string_view key, int64_t delta, int64_t* result);
// INCRBYFLOAT: the new value, formatted as Redis does, in *result.
OpStatus IncrByFloat(Database& db, std::string_view key, long double delta, std::string* result);
// APPEND: the new length. `max_len` is proto-max-bulk-len.
OpStatus Append(Database& db, std::string_view key, std::string_view suffix, int64_t max_len,
                int64_t* new_len);
// SETRANGE: the new length. REQUIRES: offset >= 0.
OpStatus SetRange(Database& db, std::string_view key, int64_t offset, std::string_view data,
                  int64_t max_len, int64_t* new_len);
// GETRANGE's index arithmetic: the substring of `value` from start to end, inclusive, with
// negative indexes counting from the end.
std::string_view Substring(std::string_view value, int64_t start, int64_t end);

// The longest common subsequence of a and b, and its matching ranges (for LCS IDX), from the
// last match to the first, as Redis reports them.
struct LcsMatch {
  int64_t a_start, a_end, b_start, b_end;
};
struct LcsResult {
  std::string sequence;
  std::vector<LcsMatch> matches;
};
LcsResult ComputeLcs(std::string_view a, std::string_view b, bool want_matches);

}  // namespace dkv::engine
