#include "src/commands/zset_args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dkv::server {

std::string FormatScore(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  if (score == 0) return std::signbit(score) ? "-0" : "0";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", score);
  return std::string(buf, static_cast<size_t>(n));
}

void ReplyScore(resp::ReplyBuilder& reply, double score) {
  std::string text = FormatScore(score);
  if (reply.protocol() >= 3) {
    reply.Raw("," + text + "\r\n");
  } else {
    reply.Bulk(text);
  }
}

void ReplyScored(resp::ReplyBuilder& reply, std::string_view member, double score, bool nested) {
  if (nested && reply.protocol() >= 3) reply.ArrayHeader(2);
  reply.Bulk(member);
  ReplyScore(reply, score);
}

bool ScoreArg(std::string_view arg, double* out) { return engine::ParseDouble(arg, out); }

namespace {

// strtod over the whole (NUL-terminated) text, as zslParseRange does: leading spaces and an
// empty text are accepted (0), NaN and trailing junk are not.
bool RangeItem(std::string_view text, double* value, bool* exclusive) {
  *exclusive = !text.empty() && text[0] == '(';
  if (*exclusive) text.remove_prefix(1);
  std::string copy(text);
  if (copy.find('\0') != std::string::npos) return false;
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (*end != '\0' || std::isnan(v)) return false;
  *value = v;
  return true;
}

}  // namespace

bool ParseScoreRange(std::string_view min, std::string_view max, engine::ScoreRange* range) {
  return RangeItem(min, &range->min, &range->min_exclusive) &&
         RangeItem(max, &range->max, &range->max_exclusive);
}

bool ParseLexRange(std::string_view min, std::string_view max, engine::LexRange* range,
                   bool* empty) {
  *empty = false;
  auto item = [&](std::string_view text, bool is_min) {
    if (text.empty()) return false;
    char c = text[0];
    if (c == '+' || c == '-') {
      if (text.size() != 1) return false;
      bool plus = c == '+';
      if (is_min) {
        if (plus) *empty = true;
        range->min_is_neg_inf = !plus;
      } else {
        if (!plus) *empty = true;
        range->max_is_pos_inf = plus;
      }
      return true;
    }
    if (c != '(' && c != '[') return false;
    std::string value(text.substr(1));
    if (is_min) {
      range->min = std::move(value);
      range->min_exclusive = c == '(';
    } else {
      range->max = std::move(value);
      range->max_exclusive = c == '(';
    }
    return true;
  };
  return item(min, true) && item(max, false);
}

bool NormalizeRanks(int64_t start, int64_t stop, size_t len, size_t* lo, size_t* hi) {
  auto n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *lo = static_cast<size_t>(start);
  *hi = static_cast<size_t>(stop);
  return true;
}

}  // namespace dkv::server
