// DUMP and RESTORE in Redis' serialization format, so that tools built on them (MIGRATE-style
// copies, redis-cli --rdb style scripts, backup tools) work against dkv.
//
// A payload is: the RDB type byte, the value in RDB encoding, the RDB version (2 bytes, little
// endian) and a CRC-64 of everything before it (8 bytes, little endian; Jones polynomial,
// reflected, as Redis). dkv values are strings (RDB type 0), written as Redis writes them: an
// integer that fits 32 bits in its integer encoding, anything else as a length-prefixed string.
// RESTORE also reads LZF-compressed strings, which Redis writes for values over 20 bytes, and
// Redis lists, sets and sorted sets, stored as JSON arrays as dkv-migrate maps them.
// Payloads carry RDB version 10, which Redis 7.0 and later accept; RESTORE accepts versions up to
// 11 (Redis 7.2).
#include <algorithm>
#include <array>
#include <cstring>

#include "engine/numbers.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/errors.h"
#include "src/rdb_file.h"

namespace dkv::server {
namespace {

constexpr uint16_t kDumpRdbVersion = 10;
constexpr uint16_t kMaxRdbVersion = 11;
constexpr uint8_t kRdbTypeString = 0;

// CRC-64/Jones: polynomial 0xad93d23594c935a9, reflected in and out, initial value 0.
uint64_t Crc64(std::string_view data) {
  static const std::array<uint64_t, 256> kTable = [] {
    std::array<uint64_t, 256> t{};
    constexpr uint64_t kPoly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9 bit-reversed
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint64_t crc = 0;
  for (unsigned char b : data) crc = kTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc;
}

void PutLength(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xFF));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
}

// A string value as Redis encodes it in RDB: a strict integer of at most 11 characters that fits
// 32 bits in the integer encoding, otherwise the bytes with their length.
void PutRdbString(std::string* out, std::string_view s) {
  int64_t v;
  if (s.size() <= 11 && engine::ParseInt64(s, &v) && std::to_string(v) == s) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      out->push_back(static_cast<char>(0xC0));
      out->push_back(static_cast<char>(static_cast<int8_t>(v)));
      return;
    }
    if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(0xC1));
      for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
      return;
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
      out->push_back(static_cast<char>(0xC2));
      for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
      return;
    }
  }
  PutLength(out, s.size());
  out->append(s);
}

// Reads RDB lengths and strings from a payload; any overrun marks it bad.
class RdbReader {
 public:
  explicit RdbReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

  uint8_t Byte() {
    if (pos_ >= in_.size()) return Fail();
    return static_cast<uint8_t>(in_[pos_++]);
  }
  // A length, or an encoding marker (*encoded set, the returned value is the encoding).
  uint64_t Length(bool* encoded) {
    *encoded = false;
    uint8_t b = Byte();
    switch (b >> 6) {
      case 0:
        return b & 0x3F;
      case 1:
        return (static_cast<uint64_t>(b & 0x3F) << 8) | Byte();
      case 2: {
        int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
        if (n == 0) return Fail();
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | Byte();
        return v;
      }
      default:
        *encoded = true;
        return b & 0x3F;
    }
  }
  bool String(std::string* out) {
    bool encoded;
    uint64_t len = Length(&encoded);
    if (!ok_) return false;
    if (!encoded) return Take(len, out);
    switch (len) {
      case 0:
      case 1:
      case 2: {  // integers of 8, 16, 32 bits, little endian
        int bytes = 1 << len;
        uint64_t u = 0;
        for (int i = 0; i < bytes; ++i) u |= static_cast<uint64_t>(Byte()) << (8 * i);
        int64_t v = bytes == 1   ? static_cast<int8_t>(u)
                    : bytes == 2 ? static_cast<int16_t>(u)
                                 : static_cast<int32_t>(u);
        *out = std::to_string(v);
        return ok_;
      }
      case 3: {  // LZF: compressed length, original length, data
        bool e1, e2;
        uint64_t clen = Length(&e1);
        uint64_t ulen = Length(&e2);
        std::string compressed;
        // LZF expands at most about 132 times: a larger claim is damage.
        if (e1 || e2 || !Take(clen, &compressed) || ulen > clen * 140 + 64) return Fail();
        return LzfDecompress(compressed, ulen, out) || Fail();
      }
      default:
        return Fail();
    }
  }

 private:
  bool Take(uint64_t n, std::string* out) {
    if (n > in_.size() - pos_) return Fail();
    out->assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  // LZF (as liblzf writes it): a control byte below 32 starts a literal run of ctrl + 1 bytes;
  // otherwise a back reference: length (ctrl >> 5) + 2 (7 means another length byte follows),
  // offset ((ctrl & 31) << 8 | next byte) + 1 back from the output's end.
  static bool LzfDecompress(std::string_view in, uint64_t size, std::string* out) {
    out->clear();
    out->reserve(std::min<uint64_t>(size, in.size() * 4 + 64));
    size_t ip = 0;
    while (ip < in.size()) {
      unsigned ctrl = static_cast<unsigned char>(in[ip++]);
      if (ctrl < 32) {
        size_t run = ctrl + 1;
        if (run > in.size() - ip || out->size() + run > size) return false;
        out->append(in.substr(ip, run));
        ip += run;
        continue;
      }
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (ip >= in.size()) return false;
        len += static_cast<unsigned char>(in[ip++]);
      }
      if (ip >= in.size()) return false;
      size_t back = ((ctrl & 0x1F) << 8) + static_cast<unsigned char>(in[ip++]) + 1;
      len += 2;
      if (back > out->size() || out->size() + len > size) return false;
      size_t from = out->size() - back;
      for (size_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);  // may overlap
    }
    return out->size() == size;
  }
  bool Fail() {
    ok_ = false;
    pos_ = in_.size();
    return false;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

constexpr std::string_view kBadPayload = "ERR DUMP payload version or checksum are wrong";

std::string DumpPayload(std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(kRdbTypeString));
  PutRdbString(&out, value);
  out.push_back(static_cast<char>(kDumpRdbVersion & 0xFF));
  out.push_back(static_cast<char>(kDumpRdbVersion >> 8));
  uint64_t crc = Crc64(out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return out;
}

}  // namespace

void CmdDump(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().FindForRead(argv[1], !ctx.session.no_touch);
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(DumpPayload(e->value()));
}

void CmdRestore(CommandContext& ctx, Args argv) {
  // Redis' order of checks: options, an existing key, the TTL, the payload.
  bool replace = false, absttl = false, idle_given = false, freq_given = false;
  for (size_t j = 4; j < argv.size(); ++j) {
    bool more = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(argv[j], "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(argv[j], "idletime") && more && !freq_given) {
      int64_t idle;
      if (!Int64OrReply(ctx.reply, argv[++j], &idle)) return;
      if (idle < 0) return ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
      idle_given = true;
    } else if (EqualsIgnoreCase(argv[j], "freq") && more && !idle_given) {
      int64_t freq;
      if (!Int64OrReply(ctx.reply, argv[++j], &freq)) return;
      if (freq < 0 || freq > 255) {
        return ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
      freq_given = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  engine::Database& db = ctx.db();
  if (!replace && db.Find(argv[1]) != nullptr) {
    return ctx.reply.Error("BUSYKEY Target key name already exists.");
  }
  int64_t ttl;
  if (!Int64OrReply(ctx.reply, argv[2], &ttl)) return;
  if (ttl < 0) return ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
  // The footer: RDB version and the CRC-64 of everything before the checksum.
  std::string_view payload = argv[3];
  if (payload.size() < 10) return ctx.reply.Error(kBadPayload);
  std::string_view footer = payload.substr(payload.size() - 10);
  uint16_t version = static_cast<uint16_t>(static_cast<unsigned char>(footer[0]) |
                                           (static_cast<unsigned char>(footer[1]) << 8));
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) {
    crc |= static_cast<uint64_t>(static_cast<unsigned char>(footer[2 + i])) << (8 * i);
  }
  if (version > kMaxRdbVersion || crc != Crc64(payload.substr(0, payload.size() - 8))) {
    return ctx.reply.Error(kBadPayload);
  }
  std::string_view body = payload.substr(0, payload.size() - 10);
  RdbReader in(body);
  uint8_t type = in.Byte();
  std::string value;
  engine::ValueType value_type = engine::ValueType::kString;
  if (in.ok() && type != kRdbTypeString) {
    // Lists, sets and sorted sets become JSON arrays, as dkv-migrate maps them.
    migrate::RdbKey decoded;
    if (!migrate::DecodeRdbValue(body, &decoded).empty()) {
      return ctx.reply.Error("ERR Bad data format");
    }
    if (decoded.type == "hash") {
      return ctx.reply.Error(
          "ERR RESTORE: a Redis hash maps to a subtree of keys in dkv, not to one key; "
          "dkv-migrate copies hashes");
    }
    if (decoded.type != "list" && decoded.type != "set" && decoded.type != "zset") {
      return ctx.reply.Error("ERR RESTORE: a Redis " + decoded.type + " has no dkv equivalent");
    }
    if (!migrate::CollectionToJson(decoded, &value)) {
      return ctx.reply.Error("ERR RESTORE: a member is not UTF-8 and cannot be stored as JSON");
    }
    value_type = engine::ValueType::kJson;
  } else if (!in.String(&value) || !in.at_end()) {
    return ctx.reply.Error("ERR Bad data format");
  }
  int64_t when = 0;
  if (ttl > 0) {
    when = absttl ? ttl : ctx.keyspace().now_ms() + ttl;
    if (when <= ctx.keyspace().now_ms()) {
      // Already expired: as Redis, nothing is created (an existing key is still replaced).
      if (replace && db.Erase(argv[1])) db.Touch(argv[1], engine::ChangeKind::kDelete);
      return ctx.reply.Ok();
    }
  }
  StoreValue(ctx, argv[1], value, when, false, value_type);
  ctx.reply.Ok();
}

}  // namespace dkv::server
