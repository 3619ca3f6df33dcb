// DUMP and RESTORE in Redis' serialization format, so that tools built on them (MIGRATE-style
// copies, redis-cli --rdb style scripts, backup tools) work against dkv.
//
// A payload is: the RDB type byte, the value in RDB encoding, the RDB version (2 bytes, little
// endian) and a CRC-64 of everything before it (8 bytes, little endian; Jones polynomial,
// reflected, as Redis). dkv values are strings (RDB type 0), written as Redis writes them: an
// integer that fits 32 bits in its integer encoding, anything else as a length-prefixed string.
// RESTORE decodes with the RDB reader of src/tools/rdb_file.h: strings in every encoding (LZF
// included), and Redis lists, sets and sorted sets, stored as JSON arrays as dkv-migrate maps
// them.
// Payloads carry RDB version 10, which Redis 7.0 and later accept; RESTORE accepts versions up to
// 11 (Redis 7.2).
#include <string>

#include "engine/numbers.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/errors.h"
#include "src/tools/rdb_file.h"

namespace dkv::server {
namespace {

constexpr uint16_t kDumpRdbVersion = 10;
constexpr uint16_t kMaxRdbVersion = 11;
constexpr uint8_t kRdbTypeString = 0;

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
  rdb::PutRdbLength(out, s.size());
  out->append(s);
}

constexpr std::string_view kBadPayload = "ERR DUMP payload version or checksum are wrong";
constexpr std::string_view kBadData = "ERR Bad data format";

std::string DumpPayload(std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(kRdbTypeString));
  PutRdbString(&out, value);
  rdb::AppendDumpFooter(&out, kDumpRdbVersion);
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
  if (!rdb::DumpFooterOk(payload, kMaxRdbVersion)) return ctx.reply.Error(kBadPayload);
  // The value: a string, or a list, set or sorted set as a JSON array (dkv-migrate's mapping).
  // Everything it decodes to is bounded by proto-max-bulk-len, as a value a client could send:
  // an LZF string or listpack may announce a hundred times its size.
  uint64_t max_bytes = static_cast<uint64_t>(ctx.config().proto_max_bulk_len);
  auto too_large = [&] {
    ctx.reply.Error("ERR RESTORE: the value would be larger than proto-max-bulk-len (" +
                    std::to_string(max_bytes) + " bytes)");
  };
  rdb::RdbKey decoded;
  bool over = false;
  if (!rdb::DecodeRdbValue(payload.substr(0, payload.size() - 10), &decoded, max_bytes, &over)
           .empty()) {
    if (over) return too_large();
    return ctx.reply.Error(kBadData);
  }
  std::string value;
  engine::ValueType value_type = engine::ValueType::kJson;
  if (decoded.type == "string") {
    value = std::move(decoded.value);
    value_type = engine::ValueType::kString;
  } else if (decoded.type == "hash") {
    return ctx.reply.Error(
        "ERR RESTORE: a Redis hash maps to a subtree of keys in dkv, not to one key; "
        "dkv-migrate copies hashes");
  } else if (decoded.type != "list" && decoded.type != "set" && decoded.type != "zset") {
    return ctx.reply.Error("ERR RESTORE: a Redis " + decoded.type + " has no dkv equivalent");
  } else {
    switch (rdb::CollectionToJson(decoded, &value, max_bytes)) {
      case rdb::JsonStatus::kOk:
        break;
      case rdb::JsonStatus::kNotUtf8:
        return ctx.reply.Error("ERR RESTORE: a member is not UTF-8 and cannot be stored as JSON");
      case rdb::JsonStatus::kDuplicate:
        return ctx.reply.Error(kBadData);  // a set member twice: damaged, as Redis says
      case rdb::JsonStatus::kTooLarge:
        return too_large();
    }
  }
  // Defensive: the engine holds values up to kMaxValueSize, and proto-max-bulk-len is capped there.
  if (value.size() > engine::Database::kMaxValueSize) return too_large();
  int64_t when = 0;
  if (ttl > 0) {
    when = absttl ? ttl : ctx.keyspace().now_ms() + ttl;
    if (when <= ctx.keyspace().now_ms()) {
      // Already expired: as Redis, nothing is created (an existing key is still replaced).
      if (replace) db.Delete(argv[1]);
      return ctx.reply.Ok();
    }
  }
  StoreValue(ctx, argv[1], value, when, false, value_type);
  ctx.reply.Ok();
}

}  // namespace dkv::server
