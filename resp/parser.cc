#include "resp/parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "resp/text.h"

namespace dkv::resp {
namespace {

constexpr int64_t kUnauthMaxArgs = 10;
constexpr int64_t kUnauthMaxBulk = 16 * 1024;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

using text::HexValue;

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  // A NUL ends the line, as it does for Redis' C-string splitter.
  if (size_t nul = line.find('\0'); nul != std::string_view::npos) line = line.substr(0, nul);
  size_t p = 0;
  const size_t n = line.size();
  auto at = [&](size_t i) { return i < n ? line[i] : '\0'; };
  while (true) {
    while (p < n && IsSpace(line[p])) ++p;
    if (p >= n) return true;
    std::string current;
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && HexValue(at(p + 2)) >= 0 && HexValue(at(p + 3)) >= 0) {
          current.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && p + 1 < n) {
          ++p;
          switch (line[p]) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(line[p]);
              break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a space or the end of the line.
          if (p + 1 < n && !IsSpace(line[p + 1])) return false;
          done = true;
        } else if (p >= n) {
          return false;
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          current.push_back('\'');
          ++p;
        } else if (c == '\'') {
          if (p + 1 < n && !IsSpace(line[p + 1])) return false;
          done = true;
        } else if (p >= n) {
          return false;
        } else {
          current.push_back(c);
        }
      } else {
        if (p >= n || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
          done = true;
        } else if (c == '"') {
          in_double = true;
        } else if (c == '\'') {
          in_single = true;
        } else {
          current.push_back(c);
        }
      }
      if (p < n) ++p;
    }
    out->push_back(std::move(current));
  }
}

void RequestParser::Reset() {
  state_ = State::kStart;
  pos_ = 0;
  argc_ = 0;
  bulk_len_ = 0;
  spans_.clear();
  consumed_ = 0;
}

size_t RequestParser::ExpectedInputSize() const {
  if (state_ != State::kBulkData) return 0;
  return pos_ + static_cast<size_t>(bulk_len_) + 2;
}

ParseStatus RequestParser::Fail(std::string message) {
  error_ = std::move(message);
  Reset();
  return ParseStatus::kError;
}

ParseStatus RequestParser::Done(size_t consumed) {
  consumed_ = consumed;
  state_ = State::kStart;
  pos_ = 0;
  return ParseStatus::kOk;
}

ParseStatus RequestParser::Parse(std::string_view input) {
  args_.clear();
  consumed_ = 0;
  if (state_ == State::kStart) {
    if (input.empty()) return ParseStatus::kNeedMore;
    spans_.clear();
    pos_ = 0;
    if (input[0] == '*') {
      state_ = State::kArrayLen;
    } else {
      state_ = State::kInline;
    }
  }
  return state_ == State::kInline ? ParseInline(input) : ParseMultibulk(input);
}

ParseStatus RequestParser::ParseInline(std::string_view input) {
  const void* found =
      pos_ < input.size() ? std::memchr(input.data() + pos_, '\n', input.size() - pos_) : nullptr;
  if (found == nullptr) {
    if (input.size() > limits_.max_inline_len) {
      return Fail("Protocol error: too big inline request");
    }
    pos_ = input.size();
    return ParseStatus::kNeedMore;
  }
  size_t newline = static_cast<size_t>(static_cast<const char*>(found) - input.data());
  size_t line_end = newline;
  if (line_end > 0 && input[line_end - 1] == '\r') --line_end;
  if (!SplitInlineArgs(input.substr(0, line_end), &inline_args_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  for (const std::string& arg : inline_args_) args_.emplace_back(arg);
  return Done(newline + 1);
}

ParseStatus RequestParser::ParseMultibulk(std::string_view input) {
  while (true) {
    switch (state_) {
      case State::kArrayLen: {
        // pos_ is 0 here: the header is re-scanned only while it is incomplete, and is short.
        const void* cr = std::memchr(input.data(), '\r', input.size());
        if (cr == nullptr) {
          if (input.size() > limits_.max_inline_len) {
            return Fail("Protocol error: too big mbulk count string");
          }
          return ParseStatus::kNeedMore;
        }
        size_t cr_pos = static_cast<size_t>(static_cast<const char*>(cr) - input.data());
        if (cr_pos + 2 > input.size()) return ParseStatus::kNeedMore;
        int64_t n = 0;
        if (!text::ParseInt64(input.substr(1, cr_pos - 1), &n) || n > INT_MAX) {
          return Fail("Protocol error: invalid multibulk length");
        }
        if (!limits_.authenticated && n > kUnauthMaxArgs) {
          return Fail("Protocol error: unauthenticated multibulk length");
        }
        if (n <= 0) return Done(cr_pos + 2);
        argc_ = n;
        spans_.reserve(static_cast<size_t>(std::min<int64_t>(n, 1024)));
        pos_ = cr_pos + 2;
        state_ = State::kBulkLen;
        break;
      }
      case State::kBulkLen: {
        if (pos_ >= input.size()) return ParseStatus::kNeedMore;
        const char* start = input.data() + pos_;
        const void* cr = std::memchr(start, '\r', input.size() - pos_);
        if (cr == nullptr) {
          if (input.size() - pos_ > limits_.max_inline_len) {
            return Fail("Protocol error: too big bulk count string");
          }
          return ParseStatus::kNeedMore;
        }
        size_t cr_pos = static_cast<size_t>(static_cast<const char*>(cr) - input.data());
        if (cr_pos + 2 > input.size()) return ParseStatus::kNeedMore;
        if (input[pos_] != '$') {
          return Fail(std::string("Protocol error: expected '$', got '") + input[pos_] + "'");
        }
        int64_t len = 0;
        if (!text::ParseInt64(input.substr(pos_ + 1, cr_pos - pos_ - 1), &len) || len < 0 ||
            len > limits_.max_bulk_len) {
          return Fail("Protocol error: invalid bulk length");
        }
        if (!limits_.authenticated && len > kUnauthMaxBulk) {
          return Fail("Protocol error: unauthenticated bulk length");
        }
        bulk_len_ = len;
        pos_ = cr_pos + 2;
        state_ = State::kBulkData;
        break;
      }
      case State::kBulkData: {
        size_t need = static_cast<size_t>(bulk_len_) + 2;
        if (input.size() - pos_ < need) return ParseStatus::kNeedMore;
        // As in Redis, the two bytes after the data are skipped, not checked.
        spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
        pos_ += need;
        if (static_cast<int64_t>(spans_.size()) == argc_) {
          args_.reserve(spans_.size());
          for (auto [offset, len] : spans_) args_.emplace_back(input.data() + offset, len);
          return Done(pos_);
        }
        state_ = State::kBulkLen;
        break;
      }
      case State::kStart:
      case State::kInline:
        return Fail("Protocol error: internal parser state");
    }
  }
}

}  // namespace dkv::resp
