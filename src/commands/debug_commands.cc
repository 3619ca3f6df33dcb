// DEBUG: the subcommands Redis' test suites and client test suites use, as far as they mean
// something in dkv, behind Redis' enable-debug-command (no / yes / local, fixed at start).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "engine/container.h"
#include "engine/container_view.h"
#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/dispatcher.h"
#include "src/core/log.h"
#include "src/security/sha1.h"

namespace dkv::server {

namespace {

constexpr std::string_view kDebugNotAllowed =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";

bool DebugAllowed(const CommandContext& ctx) {
  const std::string& mode = ctx.services.config().enable_debug_command;
  return mode == "yes" || (mode == "local" && ctx.session.local);
}

// 20 bytes as 40 hex digits.
using Digest = std::array<uint8_t, 20>;

Digest FromHex(const std::string& hex) {
  Digest d{};
  for (size_t i = 0; i < d.size() && 2 * i + 1 < hex.size(); ++i) {
    d[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return d;
}

std::string ToHex(const Digest& d) {
  std::string out;
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof(buf), "%02x", b);
    out += buf;
  }
  return out;
}

// What a digest covers of one value: a string's bytes; a hash's or a set's kind and canonical
// form (engine/container_view.h), so equal contents digest equal whatever their encoding and
// however they were built (DEBUG RELOAD, RESTORE). A cold value records the read.
std::string DigestBytes(const engine::Entry* e) {
  if (!e->container() || e->cold()) return std::string(e->value());
  std::string out(engine::KindName(e->kind()));
  out.push_back('\0');
  out.append(engine::CanonicalForm(e));
  return out;
}

// DEBUG OBJECT's encoding: "embstr" or "raw" for a string, OBJECT ENCODING's name for a hash or
// a set in memory.
std::string ObjectEncoding(const engine::Entry* e) {
  if (e->container() && !e->cold()) return std::string(engine::EncodingName(engine::EncodingOf(e)));
  return (!e->raw_encoding() && e->value_size() <= 44) ? "embstr" : "raw";
}

// The digest of one value (DEBUG DIGEST-VALUE).
std::string ValueDigest(const engine::Entry* e) { return Sha1Hex(DigestBytes(e)); }

// DEBUG DIGEST: order-independent over the keys of every numbered database (each key's name,
// value, expiry and database mixed with SHA-1 and XORed), 40 zeros when there are no keys, as
// Redis. Not Redis' digest values: they only compare equal to each other.
std::string DatasetDigest(CommandContext& ctx) {
  Digest acc{};
  bool any = false;
  for (int i = 0; i < ctx.keyspace().numbered_count(); ++i) {
    engine::Database& db = ctx.keyspace().db(i);
    if (db.size() == 0) continue;
    db.ForEach([&](engine::Entry* e) {
      if (db.IsExpired(e)) return;
      any = true;
      std::string item = std::to_string(i) + '\0' + std::to_string(db.ExpireAt(e)) + '\0';
      item.append(e->key());
      item.push_back('\0');
      item.append(DigestBytes(e));
      Digest d = FromHex(Sha1Hex(item));
      for (size_t k = 0; k < acc.size(); ++k) acc[k] ^= d[k];
    });
  }
  return any ? ToHex(acc) : std::string(40, '0');
}

void Protocol(CommandContext& ctx, std::string_view type) {
  const bool resp3 = ctx.session.protocol >= 3;
  std::string name = ToLower(type);
  if (name == "string") return ctx.reply.Bulk("Hello World");
  if (name == "integer") return ctx.reply.Integer(12345);
  if (name == "double") return ctx.reply.Double(3.141);
  if (name == "bignum") {
    constexpr std::string_view kBig = "1234567999999999999999999999999999999";
    if (!resp3) return ctx.reply.Bulk(kBig);
    return ctx.reply.Raw("(" + std::string(kBig) + "\r\n");
  }
  if (name == "null") return ctx.reply.Null();
  if (name == "array" || name == "set") {
    if (name == "set") {
      ctx.reply.SetHeader(3);
    } else {
      ctx.reply.ArrayHeader(3);
    }
    for (int j = 0; j < 3; ++j) ctx.reply.Integer(j);
    return;
  }
  if (name == "map") {
    ctx.reply.MapHeader(3);
    for (int j = 0; j < 3; ++j) {
      ctx.reply.Integer(j);
      ctx.reply.Bool(j == 1);
    }
    return;
  }
  if (name == "attrib") {
    if (resp3) {
      ctx.reply.Raw("|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
    }
    return ctx.reply.Bulk("Some real reply following the attribute");
  }
  if (name == "push") {
    if (!resp3) return ctx.reply.Error("ERR RESP2 is not supported by this command");
    ctx.reply.Raw(">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
    return ctx.reply.Bulk("Some real reply following the push reply");
  }
  if (name == "true") return ctx.reply.Bool(true);
  if (name == "false") return ctx.reply.Bool(false);
  if (name == "verbatim") return ctx.reply.Verbatim("This is a verbatim\nstring");
  ctx.reply.Error(
      "ERR Wrong protocol type name. Please use one of the following: "
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
}

// DEBUG POPULATE count [prefix] [size]: keys "<prefix>:<n>" (prefix "key") with the value
// "value:<n>", cut or zero-padded to `size` bytes; existing keys are left alone.
void Populate(CommandContext& ctx, Args argv) {
  int64_t count, size = 0;
  if (!engine::ParseInt64(argv[2], &count) || count < 0) {
    return ctx.reply.Error("ERR value is out of range, must be positive");
  }
  std::string prefix = argv.size() >= 4 ? std::string(argv[3]) : "key";
  if (argv.size() >= 5) {
    if (!engine::ParseInt64(argv[4], &size) || size < 0 || size > ctx.config().proto_max_bulk_len) {
      return ctx.reply.Error("ERR value is out of range, must be positive");
    }
  }
  engine::Database& db = ctx.db();
  std::string key, value;
  for (int64_t j = 0; j < count; ++j) {
    key = prefix + ":" + std::to_string(j);
    if (db.Find(key) != nullptr) continue;
    value = "value:" + std::to_string(j);
    if (size > 0) value.resize(static_cast<size_t>(size), '\0');
    db.Store(key, value);
  }
  ctx.reply.Ok();
}

// DEBUG STRINGMATCH-LEN: matches random patterns against random strings, as Redis' fuzz of
// its glob matcher, here dkv's (engine/pattern.h); replies when nothing crashed.
void StringMatchFuzz(CommandContext& ctx) {
  std::mt19937_64 rng(ctx.services.clock().NowUs());
  constexpr std::string_view kAlphabet = "ab*?[]^-\\";
  for (int i = 0; i < 100000; ++i) {
    std::string pattern, subject;
    size_t plen = rng() % 16, slen = rng() % 16;
    for (size_t k = 0; k < plen; ++k) pattern += kAlphabet[rng() % kAlphabet.size()];
    for (size_t k = 0; k < slen; ++k) subject += static_cast<char>('a' + rng() % 3);
    auto p = engine::Pattern::CompileRedisGlob(pattern, nullptr);
    if (p != nullptr) (void)p->Matches(subject);
  }
  ctx.reply.Simple("Apparently the server did not crash: test passed");
}

}  // namespace

void CmdDebug(CommandContext& ctx, Args argv) {
  if (!DebugAllowed(ctx)) return ctx.reply.Error(kDebugNotAllowed);
  std::string sub = ToLower(argv[1]);
  const size_t n = argv.size();
  if (sub == "help" && n == 2) {
    static constexpr std::string_view kLines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Accepted; dkv has no replication id to change.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about the <key> and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Accepted and ignored (dkv has no lists).",
        "REPLYBUFFER PEAK-RESET-TIME <never||reset|time> | RESIZING <0|1>",
        "    Accepted and ignored (dkv's reply buffers are sized per reply).",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-LEN",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "HELP",
        "    Prints this help.",
    };
    return ReplyHelp(ctx.reply, kLines);
  }
  if (sub == "sleep" && n == 3) {
    // As Redis (strtod): what is not a number sleeps 0 seconds.
    double seconds = 0;
    if (!engine::ParseDouble(argv[2], &seconds) || !(seconds > 0)) seconds = 0;
    seconds = std::min(seconds, 3600.0);
    // Deliberately blocks the loop, as Redis' DEBUG SLEEP does: it exists to test exactly that.
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
    return ctx.reply.Ok();
  }
  if (sub == "object" && n == 3) {
    engine::Entry* e = ctx.db().Find(argv[2]);
    if (e == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
    char buf[256];
    int64_t idle_s = (ctx.keyspace().now_ms() - e->accessed_ms()) / 1000;
    std::snprintf(buf, sizeof(buf),
                  "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u "
                  "lru_seconds_idle:%u%s",
                  static_cast<void*>(e), ObjectEncoding(e).c_str(),
                  e->container() && !e->cold() ? engine::Serialize(e).size() : e->value_size(),
                  static_cast<unsigned>((e->accessed_ms() / 1000) & 0xFFFFFF),
                  static_cast<unsigned>(idle_s),
                  // The cache tier over PostgreSQL dropped the value from memory (dkv only).
                  e->cold() ? " cold:1" : "");
    return ctx.reply.Simple(buf);
  }
  if (sub == "set-active-expire" && n == 3) {
    int64_t on;
    if (!Int64OrReply(ctx.reply, argv[2], &on)) return;
    ctx.keyspace().set_active_expire(on != 0);
    return ctx.reply.Ok();
  }
  if (sub == "digest" && n == 2) return ctx.reply.Simple(DatasetDigest(ctx));
  if (sub == "digest-value" && n >= 2) {
    ctx.reply.ArrayHeader(n - 2);
    for (size_t i = 2; i < n; ++i) {
      engine::Entry* e = ctx.db().Find(argv[i]);
      ctx.reply.Simple(e == nullptr ? std::string(40, '0') : ValueDigest(e));
    }
    return;
  }
  if (sub == "protocol" && n == 3) return Protocol(ctx, argv[2]);
  if (sub == "populate" && n >= 3 && n <= 5) return Populate(ctx, argv);
  if (sub == "stringmatch-len" && n == 2) return StringMatchFuzz(ctx);
  if (sub == "log" && n == 3) {
    Log(LogLevel::kWarning, "DEBUG LOG: %.*s", static_cast<int>(argv[2].size()), argv[2].data());
    return ctx.reply.Ok();
  }
  if ((sub == "change-repl-id" && n == 2) || (sub == "quicklist-packed-threshold" && n == 3) ||
      (sub == "replybuffer" && n == 4)) {
    return ctx.reply.Ok();
  }
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(argv[1].substr(0, 128)) + "'. Try DEBUG HELP.");
}

}  // namespace dkv::server
