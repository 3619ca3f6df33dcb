#include "engine/string_ops.h"

#include <cmath>
#include <cstring>

#include "engine/keyspace.h"
#include "engine/numbers.h"

namespace dkv::engine {

OpStatus IncrBy(Database& db, std::string_view key, int64_t delta, int64_t* result) {
  Entry* e = db.Find(key);
  if (e != nullptr && e->container()) return OpStatus::kWrongType;
  int64_t current = 0;
  if (e != nullptr && !ParseInt64(e->value(), &current)) return OpStatus::kNotInteger;
  if ((delta < 0 && current < 0 && delta < INT64_MIN - current) ||
      (delta > 0 && current > 0 && delta > INT64_MAX - current)) {
    return OpStatus::kOverflow;
  }
  current += delta;
  std::string text = FormatInt64(current);
  if (e == nullptr) {
    db.Insert(key, text, ValueType::kNumber);
  } else {
    e = db.SetValue(e, text);
    e->set_raw_encoding(false);
    e->set_type(ValueType::kNumber);
  }
  db.NoteWrite(key);
  *result = current;
  return OpStatus::kOk;
}

OpStatus IncrByFloat(Database& db, std::string_view key, long double delta, std::string* result) {
  Entry* e = db.Find(key);
  if (e != nullptr && e->container()) return OpStatus::kWrongType;
  long double current = 0;
  if (e != nullptr && !ParseLongDouble(e->value(), &current)) return OpStatus::kNotFloat;
  current += delta;
  if (std::isnan(current) || std::isinf(current)) return OpStatus::kNanOrInfinity;
  *result = FormatLongDouble(current);
  if (e == nullptr) {
    db.Insert(key, *result, ValueType::kNumber);
  } else {
    e = db.SetValue(e, *result);
    e->set_raw_encoding(false);
    e->set_type(ValueType::kNumber);
  }
  db.NoteWrite(key);
  return OpStatus::kOk;
}

OpStatus Append(Database& db, std::string_view key, std::string_view suffix, int64_t max_len,
                int64_t* new_len) {
  Entry* e = db.Find(key);
  if (e != nullptr && e->container()) return OpStatus::kWrongType;
  if (e == nullptr) {
    e = db.Insert(key, suffix);
  } else {
    size_t old = e->value().size();
    if (static_cast<int64_t>(old + suffix.size()) > max_len) return OpStatus::kTooLarge;
    e = db.ResizeValue(e, old + suffix.size());
    std::memcpy(e->mutable_value() + old, suffix.data(), suffix.size());
    db.NoteValueChanged(e);
  }
  e->set_raw_encoding(true);
  e->set_type(ValueType::kString);
  db.NoteWrite(key);
  *new_len = static_cast<int64_t>(e->value().size());
  return OpStatus::kOk;
}

OpStatus SetRange(Database& db, std::string_view key, int64_t offset, std::string_view data,
                  int64_t max_len, int64_t* new_len) {
  Entry* e = db.Find(key);
  if (e != nullptr && e->container()) return OpStatus::kWrongType;
  if (e == nullptr) {
    // SETRANGE of nothing on a missing key does not create it.
    if (data.empty()) {
      *new_len = 0;
      return OpStatus::kOk;
    }
    if (offset > max_len - static_cast<int64_t>(data.size())) return OpStatus::kTooLarge;
    e = db.Insert(key, std::string_view());
  } else {
    if (data.empty()) {
      *new_len = static_cast<int64_t>(e->value().size());
      return OpStatus::kOk;
    }
    if (offset > max_len - static_cast<int64_t>(data.size())) return OpStatus::kTooLarge;
  }
  size_t end = static_cast<size_t>(offset) + data.size();
  if (e->value().size() < end) e = db.ResizeValue(e, end);
  std::memcpy(e->mutable_value() + offset, data.data(), data.size());
  db.NoteValueChanged(e);
  e->set_raw_encoding(true);
  e->set_type(ValueType::kString);
  db.NoteWrite(key);
  *new_len = static_cast<int64_t>(e->value().size());
  return OpStatus::kOk;
}

std::string_view Substring(std::string_view value, int64_t start, int64_t end) {
  const int64_t len = static_cast<int64_t>(value.size());
  if (start < 0 && end < 0 && start > end) return {};
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return {};
  return value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
}

LcsResult ComputeLcs(std::string_view a, std::string_view b, bool want_matches) {
  const size_t alen = a.size(), blen = b.size();
  // dp[i][j]: LCS length of a[0..i) and b[0..j).
  std::vector<uint32_t> dp((alen + 1) * (blen + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return dp[j * (alen + 1) + i]; };
  for (size_t i = 1; i <= alen; ++i) {
    for (size_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  LcsResult result;
  uint32_t idx = at(alen, blen);
  result.sequence.assign(idx, '\0');
  // Walk back from the end, gathering the sequence and the contiguous matching ranges.
  size_t i = alen, j = blen;
  const int64_t none = static_cast<int64_t>(alen);
  int64_t a_start = none, a_end = 0, b_start = 0, b_end = 0;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result.sequence[idx - 1] = a[i - 1];
      if (a_start == none) {
        a_start = a_end = static_cast<int64_t>(i - 1);
        b_start = b_end = static_cast<int64_t>(j - 1);
      } else if (a_start == static_cast<int64_t>(i) && b_start == static_cast<int64_t>(j)) {
        a_start--;
        b_start--;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        i--;
      } else {
        j--;
      }
      if (a_start != none) emit = true;
    }
    if (emit) {
      if (want_matches) result.matches.push_back({a_start, a_end, b_start, b_end});
      a_start = none;
    }
  }
  return result;
}

}  // namespace dkv::engine
