#include "engine/metadata.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "engine/numbers.h"
#include "resp/text.h"

namespace dkv::engine {
namespace {
constexpr std::string_view kNames[] = {"string",  "json",     "binary", "number",
                                       "boolean", "document", "image",  "custom"};
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "string";
    case Kind::kHash:
      return "hash";
    case Kind::kSet:
      return "set";
    case Kind::kList:
      return "list";
    case Kind::kZset:
      return "zset";
    case Kind::kStream:
      return "stream";
  }
  return "string";
}

std::string_view ValueTypeName(ValueType type) { return kNames[static_cast<size_t>(type) & 7]; }

std::optional<ValueType> ParseValueType(std::string_view name) {
  std::string lower = text::ToLower(name);
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (lower == kNames[i]) return static_cast<ValueType>(i);
  }
  return std::nullopt;
}

size_t JsonDepth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string ValidateValue(ValueType type, std::string_view value) {
  switch (type) {
    case ValueType::kNumber: {
      double d;
      if (!ParseDouble(value, &d)) return "value is not a number";
      return "";
    }
    case ValueType::kBoolean:
      if (value != "true" && value != "false") return "value is not true or false";
      return "";
    case ValueType::kJson:
      if (JsonDepth(value) > kMaxJsonDepth) {
        return "value nests deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      }
      if (!nlohmann::json::accept(value)) return "value is not valid JSON";
      return "";
    default:
      return "";
  }
}

uint64_t Checksum(std::string_view value) { return XXH3_64bits(value.data(), value.size()); }

std::string ChecksumHex(uint64_t checksum) {
  static const char* kHex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHex[checksum & 15];
    checksum >>= 4;
  }
  return out;
}

bool ParseChecksumHex(std::string_view hex, uint64_t* out) {
  if (hex.size() != 16) return false;
  uint64_t v = 0;
  for (char c : hex) {
    int d = text::HexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

uint8_t LfuIncrement(uint8_t counter, int log_factor, std::mt19937_64& rng) {
  if (counter == 255) return counter;
  double base = counter > kLfuInitialValue ? counter - kLfuInitialValue : 0;
  double p = 1.0 / (base * log_factor + 1);
  double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return r < p ? static_cast<uint8_t>(counter + 1) : counter;
}

uint8_t LfuDecay(uint8_t counter, int64_t last_access_ms, int64_t now_ms, int decay_minutes) {
  if (decay_minutes <= 0 || now_ms <= last_access_ms) return counter;
  int64_t periods = (now_ms - last_access_ms) / (60000LL * decay_minutes);
  return periods >= counter ? 0 : static_cast<uint8_t>(counter - periods);
}

std::optional<uint8_t> ContentTypes::Intern(std::string_view name) {
  if (name.empty()) return 0;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<uint8_t>(i + 1);
  }
  if (names_.size() >= kMax) return std::nullopt;
  names_.emplace_back(name);
  return static_cast<uint8_t>(names_.size());
}

}  // namespace dkv::engine
