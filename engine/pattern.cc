#include "engine/pattern.h"

#include <re2/re2.h>

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
