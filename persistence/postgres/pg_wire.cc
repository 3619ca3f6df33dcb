#include "persistence/postgres/pg_wire.h"

#include <libpq-fe.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "persistence/postgres/host.h"

namespace dkv::persistence::postgres {
namespace {

// PostgreSQL's notices ("relation already exists, skipping") go to the log at verbose level.
void OnNotice(void* arg, const char* message) {
  Logf(*static_cast<Host*>(arg), LogLevel::kVerbose, "PostgreSQL: %s", Trim(message).c_str());
}

}  // namespace

void SetNoticeLog(PGconn* conn, Host* host) { PQsetNoticeProcessor(conn, OnNotice, host); }

void Logf(Host& host, LogLevel level, const char* format, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof(buf), format, ap);
  va_end(ap);
  host.Log(level, buf);
}

uint64_t ReadBigEndian(const char* p, int len) {
  uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void PutBigEndian(std::string* out, uint64_t v, int len) {
  for (int i = len - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string Trim(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string DsnForLog(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return "(not a valid connection string)";
  }
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    out += (out.empty() ? "" : " ") + std::string(o->keyword) + "=" +
           (std::strcmp(o->keyword, "password") == 0 ? "***" : o->val);
  }
  PQconninfoFree(opts);
  return out;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xFF) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

std::string NoNul(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

void ArrayParam::Add(std::string_view bytes) {
  PutBigEndian(&elements_, bytes.size(), 4);
  elements_.append(bytes);
  ++count_;
}

void ArrayParam::AddInt16(int16_t v) {
  PutBigEndian(&elements_, 2, 4);
  PutBigEndian(&elements_, static_cast<uint16_t>(v), 2);
  ++count_;
}

void ArrayParam::AddInt64(int64_t v) {
  PutBigEndian(&elements_, 8, 4);
  PutBigEndian(&elements_, static_cast<uint64_t>(v), 8);
  ++count_;
}

void ArrayParam::AddTimestamp(int64_t unix_ms) {
  if (unix_ms == 0) {
    PutBigEndian(&elements_, 0xFFFFFFFFu, 4);  // length -1: NULL
    has_null_ = true;
  } else {
    PutBigEndian(&elements_, 8, 4);
    PutBigEndian(&elements_, static_cast<uint64_t>((unix_ms - kPgEpochMs) * 1000), 8);
  }
  ++count_;
}

void ArrayParam::AddJsonb(std::string_view json) {
  PutBigEndian(&elements_, json.size() + 1, 4);
  elements_.push_back(1);
  elements_.append(json);
  ++count_;
}

void ArrayParam::AdoptSingle(std::string framed) {
  adopted_ = std::move(framed);
  count_ = 1;
}

std::string ArrayParam::Take() {
  if (!adopted_.empty()) {
    std::string head;
    PutBigEndian(&head, 1, 4);
    PutBigEndian(&head, 0, 4);
    PutBigEndian(&head, oid_, 4);
    PutBigEndian(&head, 1, 4);
    PutBigEndian(&head, 1, 4);
    PutBigEndian(&head, adopted_.size() - kSingleHeadroom, 4);
    adopted_.replace(0, kSingleHeadroom, head);
    count_ = 0;
    return std::move(adopted_);
  }
  std::string out;
  out.reserve(20 + elements_.size());
  PutBigEndian(&out, 1, 4);
  PutBigEndian(&out, has_null_ ? 1 : 0, 4);
  PutBigEndian(&out, oid_, 4);
  PutBigEndian(&out, count_, 4);
  PutBigEndian(&out, 1, 4);
  out += elements_;
  elements_.clear();
  count_ = 0;
  has_null_ = false;
  return out;
}

bool SendArrays(PGconn* conn, const char* statement, ArrayParam** params, int n) {
  std::vector<std::string> data;
  data.reserve(static_cast<size_t>(n));
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (int i = 0; i < n; ++i) {
    data.push_back(params[i]->Take());
    values.push_back(data.back().data());
    lengths.push_back(static_cast<int>(data.back().size()));
    formats.push_back(1);
  }
  return PQsendQueryPrepared(conn, statement, n, values.data(), lengths.data(), formats.data(),
                             1) == 1;
}

}  // namespace dkv::persistence::postgres
