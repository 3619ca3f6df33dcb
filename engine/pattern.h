// Pattern: a compiled key pattern, in one of two syntaxes:
//  - Redis glob (KEYS, SCAN MATCH): `*` and `?` cross everything, as in Redis;
//  - hierarchical glob (KV.* commands): `*` stays within a segment, `**` crosses separators,
//    `?` and classes never match the separator, `{a,b}` alternatives, `[!x]` or `[^x]` negation.
// Both are translated to an RE2 regular expression, so matching costs time linear in the key
// whatever the pattern (no back-tracking blow-ups such as CVE-2022-36021). The literal prefix is
// extracted so callers visit only that key range; literal patterns and `prefix*` (Redis) or
// `prefix**` (hierarchical) never touch RE2. A Pattern is immutable once compiled and may be
// shared; loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  // within RE2's memory budget, or needs a regex and is longer than kMaxRedisRegexLength.
  static std::unique_ptr<Pattern> CompileRedisGlob(std::string_view glob, std::string* error);
  // Longest Redis glob with wildcards after its literal prefix (literal and `prefix*` patterns
  // have no limit): compiling costs about 0.5 s and 80 MB per megabyte of pattern, so a client
  // could otherwise stall the loop for minutes with one 512 MB pattern.
  static constexpr size_t kMaxRedisRegexLength = 64 * 1024;
  // Compiles a hierarchical glob over keys whose segments are separated by `separator`. Returns
  // nullptr and sets *error (e.g. "unclosed '['") for a malformed pattern.
  static std::unique_ptr<Pattern> CompileHierarchical(std::string_view glob, char separator,
                                                      bool nocase, std::string* error);
  // Longest pattern accepted by CompileHierarchical.
  static constexpr size_t kMaxHierarchicalLength = 16 * 1024;

  bool Matches(std::string_view key) const;
  // Every matching key starts with this literal prefix (possibly empty).
  const std::string& literal_prefix() const { return prefix_; }
  // The pattern is "*" (or only stars): everything matches.
  bool matches_all() const { return kind_ == Kind::kAll; }
  // Exactly the keys that start with literal_prefix() match (`app.*` in Redis syntax,
  // `app.**` in hierarchical syntax, or everything).
  bool prefix_only() const { return kind_ == Kind::kAll || kind_ == Kind::kPrefix; }
  // The pattern has no wildcard: it matches literal_prefix() only.
  bool literal() const { return kind_ == Kind::kLiteral; }

 private:
  enum class Kind { kAll, kLiteral, kPrefix, kRegex };
  Pattern() = default;

  Kind kind_ = Kind::kRegex;
  std::string prefix_;
  std::unique_ptr<re2::RE2> regex_;
};

// A small cache of compiled patterns: compiling is the expensive part, and clients repeat their
// patterns. Least recently used entries go first. Only patterns up to kMaxCachedLength bytes are
// kept, so the cache's memory stays bounded (a long pattern's compiled form is ~80x its size).
class PatternCache {
 public:
  enum class Syntax { kRedis, kHierarchical };
  explicit PatternCache(size_t capacity = 128) : capacity_(capacity) {}
  // The compiled pattern, or nullptr with *error set.
  std::shared_ptr<const Pattern> Get(Syntax syntax, std::string_view glob, char separator,
                                     bool nocase, std::string* error);
  static constexpr size_t kMaxCachedLength = 1024;
  size_t size() const { return items_.size(); }

 private:
  struct Item {
    std::string key;
    std::shared_ptr<const Pattern> pattern;
    uint64_t used;
  };
  size_t capacity_;
  uint64_t tick_ = 0;
  std::vector<Item> items_;
};

// Redis' glob matcher semantics on one key, via a one-off Pattern; for tests and rare callers.
bool RedisGlobMatch(std::string_view glob, std::string_view key);

}  // namespace dkv::engine
