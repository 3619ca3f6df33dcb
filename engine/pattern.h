// Pattern: a compiled key pattern. Redis glob syntax (KEYS, SCAN MATCH) is translated to an RE2
// regular expression that matches exactly the keys Redis' matcher accepts, so matching costs time
// linear in the key whatever the pattern (no back-tracking blow-ups such as CVE-2022-36021).
// Patterns that are a pure literal or end in a single `*` after a literal prefix never touch RE2.
// A Pattern is immutable after Compile and may be shared between commands; loop thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace dkv::engine {

class Pattern {
 public:
  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  // Compiles a Redis glob. Returns nullptr and sets *error when the pattern cannot be compiled
  // within RE2's memory budget.
  static std::unique_ptr<Pattern> CompileRedisGlob(std::string_view glob, std::string* error);

  bool Matches(std::string_view key) const;
  // Every matching key starts with this literal prefix (possibly empty).
  const std::string& literal_prefix() const { return prefix_; }
  // The pattern is "*" (or only stars): everything matches.
  bool matches_all() const { return kind_ == Kind::kAll; }

 private:
  enum class Kind { kAll, kLiteral, kPrefix, kRegex };
  Pattern() = default;

  Kind kind_ = Kind::kRegex;
  std::string prefix_;
  std::unique_ptr<re2::RE2> regex_;
};

// Redis' glob matcher semantics on one key, via a one-off Pattern; for tests and rare callers.
bool RedisGlobMatch(std::string_view glob, std::string_view key);

}  // namespace dkv::engine
