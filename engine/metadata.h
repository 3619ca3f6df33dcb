// Per-key metadata shared by the engine and the commands: value types, content types, and the
// value checksum (XXH3-64, the same hash as Redis 8.4's DIGEST). Pure functions and small value
// types; ContentTypes is owned by the Keyspace (loop thread only).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dkv::engine {

enum class ValueType : uint8_t {
  kString = 0,  // what Redis' own commands write
  kJson,
  kBinary,
  kNumber,  // what the INCR family writes
  kBoolean,
  kDocument,
  kImage,
  kCustom,
};

// What Redis' TYPE names: a string (any ValueType above) or a container (engine/container.h).
enum class Kind : uint8_t {
  kString = 0,
  kHash = 1,
  kSet = 2,
  kList = 3,
  kZset = 4,
  kStream = 5,
};
// "string", "hash", "set", "list", "zset", "stream".
std::string_view KindName(Kind kind);

std::string_view ValueTypeName(ValueType type);
std::optional<ValueType> ParseValueType(std::string_view name);  // case-insensitive
// Whether `value` is acceptable for `type` (number parses, json parses and nests at most
// kMaxJsonDepth levels, boolean is true/false). Returns "" or the reason.
std::string ValidateValue(ValueType type, std::string_view value);

// Deepest JSON nesting accepted (KV.SET TYPE json, KV.IMPORT, KV.EXPORT): serializing and
// flattening are recursive, so depth is bounded, as most JSON parsers bound it.
inline constexpr size_t kMaxJsonDepth = 512;
// The deepest nesting of arrays and objects in a JSON text (brackets inside strings ignored); a
// linear scan that needs no parse, so it can run before one.
size_t JsonDepth(std::string_view text);

// XXH3-64 of the value.
uint64_t Checksum(std::string_view value);
// 16 lower-case hex digits.
std::string ChecksumHex(uint64_t checksum);
// Parses 16 hex digits (either case). Returns false for anything else.
bool ParseChecksumHex(std::string_view hex, uint64_t* out);

// User fields of one key: a small ordered list of name/value pairs.
using UserFields = std::vector<std::pair<std::string, std::string>>;

// Interned content types ("application/json", ...): an entry stores a one-byte index; 0 is none.
class ContentTypes {
 public:
  static constexpr size_t kMax = 255;
  // The index for `name`, interning it; nullopt when the table is full. Empty name: 0.
  std::optional<uint8_t> Intern(std::string_view name);
  std::string_view Name(uint8_t index) const {
    return index == 0 || index > names_.size() ? std::string_view() : names_[index - 1];
  }

 private:
  std::vector<std::string> names_;
};

// Redis' LFU counter: new keys start at 5; an access increments with probability
// 1 / ((counter - 5) * log_factor + 1); the counter loses one per decay period without access.
inline constexpr uint8_t kLfuInitialValue = 5;
uint8_t LfuIncrement(uint8_t counter, int log_factor, std::mt19937_64& rng);
uint8_t LfuDecay(uint8_t counter, int64_t last_access_ms, int64_t now_ms, int decay_minutes);

// Timestamps are kept in 40 bits of milliseconds since 2020-01-01T00:00:00Z (good until 2054).
inline constexpr int64_t kMetaEpochMs = 1577836800000LL;

}  // namespace dkv::engine
