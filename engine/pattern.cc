#include "engine/pattern.h"

#include <re2/re2.h>

#include <algorithm>
#include <bitset>
#include <cstdio>

namespace dkv::engine {
namespace {

void AppendLiteralByte(std::string* re, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02x", c);
  re->append(buf);
}

// One character class of a Redis glob. `p` points just after '['; on return it points after the
// class. Follows Redis' matcher byte for byte, including its quirks: '^' negates, a range's ends
// are compared as signed chars and swapped when reversed, '\' escapes one byte, and a class that
// is never closed ends with the pattern.
std::bitset<256> ParseClass(std::string_view glob, size_t* p) {
  std::bitset<256> set;
  size_t i = *p;
  bool negate = i < glob.size() && glob[i] == '^';
  if (negate) ++i;
  while (true) {
    if (i < glob.size() && glob[i] == '\\' && glob.size() - i >= 2) {
      ++i;
      set.set(static_cast<unsigned char>(glob[i]));
    } else if (i < glob.size() && glob[i] == ']') {
      break;
    } else if (i >= glob.size()) {
      // Unclosed class: it extends to the end of the pattern.
      *p = glob.size();
      return negate ? ~set : set;
    } else if (glob.size() - i >= 3 && glob[i + 1] == '-') {
      int start = static_cast<signed char>(glob[i]);
      int end = static_cast<signed char>(glob[i + 2]);
      if (start > end) std::swap(start, end);
      for (int c = 0; c < 256; ++c) {
        int sc = static_cast<signed char>(static_cast<unsigned char>(c));
        if (sc >= start && sc <= end) set.set(static_cast<size_t>(c));
      }
      i += 2;
    } else {
      set.set(static_cast<unsigned char>(glob[i]));
    }
    ++i;
  }
  *p = i + 1;
  return negate ? ~set : set;
}

void AppendClass(std::string* re, const std::bitset<256>& set) {
  if (set.none()) {
    re->append("[^\\x00-\\xff]");
    return;
  }
  re->push_back('[');
  for (int c = 0; c < 256;) {
    if (!set.test(static_cast<size_t>(c))) {
      ++c;
      continue;
    }
    int end = c;
    while (end + 1 < 256 && set.test(static_cast<size_t>(end + 1))) ++end;
    AppendLiteralByte(re, static_cast<unsigned char>(c));
    if (end > c) {
      re->push_back('-');
      AppendLiteralByte(re, static_cast<unsigned char>(end));
    }
    c = end + 1;
  }
  re->push_back(']');
}

}  // namespace

Pattern::~Pattern() = default;

std::unique_ptr<Pattern> Pattern::CompileRedisGlob(std::string_view glob, std::string* error) {
  std::unique_ptr<Pattern> pattern(new Pattern());
  // Literal prefix: bytes up to the first special character, with '\' escapes resolved.
  size_t i = 0;
  std::string prefix;
  while (i < glob.size()) {
    char c = glob[i];
    if (c == '*' || c == '?' || c == '[') break;
    if (c == '\\' && i + 1 < glob.size()) {
      prefix.push_back(glob[i + 1]);
      i += 2;
      continue;
    }
    prefix.push_back(c);
    ++i;
  }
  pattern->prefix_ = prefix;
  if (i == glob.size()) {
    pattern->kind_ = Kind::kLiteral;
    return pattern;
  }
  bool only_stars = true;
  for (size_t j = i; j < glob.size(); ++j) only_stars = only_stars && glob[j] == '*';
  if (only_stars) {
    pattern->kind_ = prefix.empty() ? Kind::kAll : Kind::kPrefix;
    return pattern;
  }
  if (glob.size() > kMaxRedisRegexLength) {
    if (error != nullptr) *error = "longer than " + std::to_string(kMaxRedisRegexLength) + " bytes";
    return nullptr;
  }
  std::string re = "(?s)";
  re.reserve(glob.size() * 4 + 8);
  for (char c : prefix) AppendLiteralByte(&re, static_cast<unsigned char>(c));
  bool last_was_star = false;
  while (i < glob.size()) {
    char c = glob[i];
    if (c == '*') {
      if (!last_was_star) re.append(".*");
      last_was_star = true;
      ++i;
      continue;
    }
    last_was_star = false;
    if (c == '?') {
      re.push_back('.');
      ++i;
    } else if (c == '[') {
      ++i;
      AppendClass(&re, ParseClass(glob, &i));
    } else {
      if (c == '\\' && i + 1 < glob.size()) ++i;
      AppendLiteralByte(&re, static_cast<unsigned char>(glob[i]));
      ++i;
    }
  }
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);
  auto regex = std::make_unique<RE2>(re, options);
  if (!regex->ok()) {
    if (error != nullptr) *error = "pattern too complex";
    return nullptr;
  }
  pattern->regex_ = std::move(regex);
  pattern->kind_ = Kind::kRegex;
  return pattern;
}

namespace {

// One class of a hierarchical glob, `p` just after '['. Never matches the separator.
bool ParseHierarchicalClass(std::string_view glob, size_t* p, char sep, std::bitset<256>* out,
                            std::string* error) {
  std::bitset<256> set;
  size_t i = *p;
  bool negate = i < glob.size() && (glob[i] == '!' || glob[i] == '^');
  if (negate) ++i;
  bool first = true;
  while (true) {
    if (i >= glob.size()) {
      *error = "unclosed '['";
      return false;
    }
    char c = glob[i];
    if (c == ']' && !first) break;
    first = false;
    unsigned char lo;
    if (c == '\\' && i + 1 < glob.size()) {
      lo = static_cast<unsigned char>(glob[++i]);
    } else {
      lo = static_cast<unsigned char>(c);
    }
    if (i + 2 < glob.size() && glob[i + 1] == '-' && glob[i + 2] != ']') {
      unsigned char hi = static_cast<unsigned char>(glob[i + 2]);
      if (glob[i + 2] == '\\' && i + 3 < glob.size()) {
        hi = static_cast<unsigned char>(glob[i + 3]);
        ++i;
      }
      if (lo > hi) std::swap(lo, hi);
      for (int b = lo; b <= hi; ++b) set.set(static_cast<size_t>(b));
      i += 3;
    } else {
      set.set(lo);
      ++i;
    }
  }
  *p = i + 1;
  if (negate) set = ~set;
  set.reset(static_cast<unsigned char>(sep));
  *out = set;
  return true;
}

}  // namespace

std::unique_ptr<Pattern> Pattern::CompileHierarchical(std::string_view glob, char sep, bool nocase,
                                                      std::string* error) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  if (glob.size() > kMaxHierarchicalLength) {
    *error = "longer than " + std::to_string(kMaxHierarchicalLength) + " bytes";
    return nullptr;
  }
  std::unique_ptr<Pattern> pattern(new Pattern());
  auto special = [](char c) { return c == '*' || c == '?' || c == '[' || c == '{'; };
  size_t i = 0;
  std::string prefix;
  while (i < glob.size() && !special(glob[i])) {
    if (glob[i] == '\\' && i + 1 < glob.size()) ++i;
    prefix.push_back(glob[i]);
    ++i;
  }
  // A case-insensitive match cannot narrow the range by the prefix's exact bytes.
  pattern->prefix_ = nocase ? std::string() : prefix;
  if (i == glob.size() && !nocase) {
    pattern->kind_ = Kind::kLiteral;
    return pattern;
  }
  bool double_star_tail = glob.size() - i >= 2;
  for (size_t j = i; j < glob.size() && double_star_tail; ++j) double_star_tail = glob[j] == '*';
  if (double_star_tail && !nocase) {
    pattern->kind_ = prefix.empty() ? Kind::kAll : Kind::kPrefix;
    return pattern;
  }
  std::string not_sep = "[^";
  AppendLiteralByte(&not_sep, static_cast<unsigned char>(sep));
  not_sep += "]";
  std::string re = "(?s)";
  re.reserve(glob.size() * 4 + 16);
  for (char c : prefix) AppendLiteralByte(&re, static_cast<unsigned char>(c));
  int braces = 0;
  while (i < glob.size()) {
    char c = glob[i];
    if (c == '*') {
      size_t run = 0;
      while (i < glob.size() && glob[i] == '*') {
        ++run;
        ++i;
      }
      re += run >= 2 ? ".*" : not_sep + "*";
      continue;
    }
    if (c == '?') {
      re += not_sep;
      ++i;
    } else if (c == '[') {
      ++i;
      std::bitset<256> set;
      if (!ParseHierarchicalClass(glob, &i, sep, &set, error)) return nullptr;
      AppendClass(&re, set);
    } else if (c == '{') {
      if (++braces > 64) {
        *error = "braces nested more than 64 deep";
        return nullptr;
      }
      re += "(?:";
      ++i;
    } else if (c == ',' && braces > 0) {
      re += "|";
      ++i;
    } else if (c == '}' && braces > 0) {
      --braces;
      re += ")";
      ++i;
    } else {
      if (c == '\\' && i + 1 < glob.size()) ++i;
      AppendLiteralByte(&re, static_cast<unsigned char>(glob[i]));
      ++i;
    }
  }
  if (braces > 0) {
    *error = "unclosed '{'";
    return nullptr;
  }
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  options.set_case_sensitive(!nocase);
  options.set_max_mem(64 << 20);
  auto regex = std::make_unique<RE2>(re, options);
  if (!regex->ok()) {
    *error = "pattern too complex";
    return nullptr;
  }
  pattern->regex_ = std::move(regex);
  pattern->kind_ = Kind::kRegex;
  return pattern;
}

std::shared_ptr<const Pattern> PatternCache::Get(Syntax syntax, std::string_view glob,
                                                 char separator, bool nocase, std::string* error) {
  std::string key;
  key.reserve(glob.size() + 3);
  key.push_back(syntax == Syntax::kRedis ? 'r' : 'h');
  key.push_back(separator);
  key.push_back(nocase ? 'i' : 's');
  key.append(glob);
  for (Item& item : items_) {
    if (item.key == key) {
      item.used = ++tick_;
      return item.pattern;
    }
  }
  std::shared_ptr<const Pattern> compiled =
      syntax == Syntax::kRedis ? Pattern::CompileRedisGlob(glob, error)
                               : Pattern::CompileHierarchical(glob, separator, nocase, error);
  if (compiled == nullptr) return nullptr;
  if (glob.size() > kMaxCachedLength) return compiled;
  if (items_.size() >= capacity_) {
    auto oldest = std::min_element(items_.begin(), items_.end(),
                                   [](const Item& a, const Item& b) { return a.used < b.used; });
    *oldest = Item{std::move(key), compiled, ++tick_};
  } else {
    items_.push_back(Item{std::move(key), compiled, ++tick_});
  }
  return compiled;
}

bool Pattern::Matches(std::string_view key) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kLiteral:
      return key == prefix_;
    case Kind::kPrefix:
      return key.substr(0, prefix_.size()) == prefix_;
    case Kind::kRegex:
      if (key.substr(0, prefix_.size()) != prefix_) return false;
      return RE2::FullMatch(re2::StringPiece(key.data(), key.size()), *regex_);
  }
  return false;
}

bool RedisGlobMatch(std::string_view glob, std::string_view key) {
  auto pattern = Pattern::CompileRedisGlob(glob, nullptr);
  return pattern != nullptr && pattern->Matches(key);
}

}  // namespace dkv::engine
