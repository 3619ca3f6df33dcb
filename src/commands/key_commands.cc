// Key family (DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY, MOVE, RANDOMKEY, TOUCH, OBJECT) and
// expiry family (EXPIRE and friends, TTL and friends, PERSIST).
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "engine/container.h"
#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

void DeleteKeys(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  int64_t deleted = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (db.Delete(argv[i])) {
      ++deleted;
      ctx.Notify(kNotifyGeneric, "del", argv[i]);
    }
  }
  ctx.reply.Integer(deleted);
}

// Redis' OBJECT ENCODING: "int", "embstr" or "raw" for a string value; "listpack", "intset" or
// "hashtable" for a hash or a set (engine/container.h).
std::string_view EncodingOf(const engine::Entry& e) {
  if (e.container()) return engine::EncodingName(engine::EncodingOf(&e));
  int64_t v;
  if (!e.raw_encoding() && e.value().size() <= 20 && engine::ParseInt64(e.value(), &v)) {
    return "int";
  }
  if (!e.raw_encoding() && e.value().size() <= 44) return "embstr";
  return "raw";
}

bool PolicyIsLfu(const Config& c) { return c.maxmemory_policy.find("lfu") != std::string::npos; }

// Parses a database index argument of COPY/MOVE; replies the error on failure.
bool DbIndexOrReply(CommandContext& ctx, std::string_view arg, int* db) {
  if (!IntOrReply(ctx.reply, arg, db)) return false;
  if (*db < 0 || *db >= ctx.keyspace().numbered_count()) {
    ctx.reply.Error(errors::kDbIndexRange);
    return false;
  }
  if (!ctx.services.CanUseNamespace(ctx.session, *db)) {
    ctx.services.stats().acl_denied_namespace++;
    ctx.reply.Error(errors::NoPermNamespace(ctx.services.UserOf(ctx.session).name, arg));
    return false;
  }
  return true;
}

}  // namespace

void CmdDel(CommandContext& ctx, Args argv) { DeleteKeys(ctx, argv); }
void CmdUnlink(CommandContext& ctx, Args argv) { DeleteKeys(ctx, argv); }

void CmdExists(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  int64_t count = 0;
  // Counts hits and misses but leaves the access time alone, as Redis (OBJECT IDLETIME).
  for (size_t i = 1; i < argv.size(); ++i) {
    if (db.FindForRead(argv[i], /*touch=*/false) != nullptr) ++count;
  }
  ctx.reply.Integer(count);
}

void CmdType(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().Find(argv[1]);
  ctx.reply.Simple(e == nullptr ? "none" : engine::KindName(e->kind()));
}

void CmdKeys(CommandContext& ctx, Args argv) {
  std::string error;
  auto pattern =
      ctx.services.patterns().Get(engine::PatternCache::Syntax::kRedis, argv[1], 0, false, &error);
  if (pattern == nullptr) return ctx.reply.Error("ERR invalid pattern: " + error);
  engine::Database& db = ctx.db();
  size_t handle = ctx.reply.BeginDeferred();
  size_t count = 0;
  // Only the range of keys that start with the pattern's literal prefix is visited.
  const std::string& prefix = pattern->literal_prefix();
  db.Walk(prefix, prefix, false, [&](engine::Entry* e) {
    if (!db.IsExpired(e) && pattern->Matches(e->key())) {
      ctx.reply.Bulk(e->key());
      ++count;
    }
    return true;
  });
  ctx.reply.FinishDeferredArray(handle, count);
}

void CmdScan(CommandContext& ctx, Args argv) {
  uint64_t cursor = 0;
  if (!CursorOrReply(ctx, argv[1], &cursor)) return;
  ScanOptions opts;
  if (!ParseScanOptions(ctx, argv, true, &opts)) return;
  std::shared_ptr<const engine::Pattern> pattern;
  if (!ScanPatternOrReply(ctx, opts.match, opts.has_match, &pattern)) return;
  static const auto kEverything = engine::Pattern::CompileRedisGlob("*", nullptr);
  const engine::Pattern& scope = pattern ? *pattern : *kEverything;
  ReplyScanSlice(ctx, cursor, scope, static_cast<size_t>(opts.count), [&](engine::Entry* e) {
    return (pattern == nullptr || pattern->Matches(e->key())) &&
           (!opts.has_type || EqualsIgnoreCase(opts.type, engine::KindName(e->kind())));
  });
}

namespace {
void RenameGeneric(CommandContext& ctx, Args argv, bool nx) {
  engine::Database& db = ctx.db();
  engine::Entry* src = db.Find(argv[1]);
  if (src == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
  if (argv[1] == argv[2]) return nx ? ctx.reply.Integer(0) : ctx.reply.Ok();
  engine::Entry* dst = db.Find(argv[2]);
  if (dst != nullptr && nx) return ctx.reply.Integer(0);
  db.Rename(src, argv[2]);
  ctx.Notify(kNotifyGeneric, "rename_from", argv[1]);
  ctx.Notify(kNotifyGeneric, "rename_to", argv[2]);
  nx ? ctx.reply.Integer(1) : ctx.reply.Ok();
}
}  // namespace

void CmdRename(CommandContext& ctx, Args argv) { RenameGeneric(ctx, argv, false); }
void CmdRenameNx(CommandContext& ctx, Args argv) { RenameGeneric(ctx, argv, true); }

void CmdCopy(CommandContext& ctx, Args argv) {
  int dst_index = ctx.session.db;
  bool replace = false;
  for (size_t j = 3; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(argv[j], "db") && j + 1 < argv.size()) {
      if (!DbIndexOrReply(ctx, argv[++j], &dst_index)) return;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (dst_index == ctx.session.db && argv[1] == argv[2]) {
    return ctx.reply.Error("ERR source and destination objects are the same");
  }
  engine::Database& src_db = ctx.db();
  engine::Database& dst_db = ctx.keyspace().db(dst_index);
  engine::Entry* src = src_db.Find(argv[1]);
  if (src == nullptr) return ctx.reply.Integer(0);
  if (dst_db.Find(argv[2]) != nullptr && !replace) return ctx.reply.Integer(0);
  src_db.CopyTo(src, dst_db, argv[2]);
  ctx.services.events().Notify(kNotifyGeneric, "copy_to", dst_index, argv[2]);
  ctx.reply.Integer(1);
}

void CmdMove(CommandContext& ctx, Args argv) {
  int dst_index;
  if (!DbIndexOrReply(ctx, argv[2], &dst_index)) return;
  if (dst_index == ctx.session.db) {
    return ctx.reply.Error("ERR source and destination objects are the same");
  }
  engine::Database& src_db = ctx.db();
  engine::Database& dst_db = ctx.keyspace().db(dst_index);
  engine::Entry* src = src_db.Find(argv[1]);
  if (src == nullptr) return ctx.reply.Integer(0);
  if (dst_db.Find(argv[1]) != nullptr) return ctx.reply.Integer(0);
  src_db.MoveTo(src, dst_db);
  ctx.Notify(kNotifyGeneric, "move_from", argv[1]);
  ctx.services.events().Notify(kNotifyGeneric, "move_to", dst_index, argv[1]);
  ctx.reply.Integer(1);
}

void CmdRandomKey(CommandContext& ctx, Args) {
  engine::Database& db = ctx.db();
  // Expired keys met on the way are deleted; the bound keeps an all-expired database cheap.
  for (int attempt = 0; attempt < 100 && db.size() > 0; ++attempt) {
    engine::Entry* e = db.RandomEntry(ctx.keyspace().rng());
    if (e == nullptr) break;
    if (!db.IsExpired(e)) return ctx.reply.Bulk(e->key());
    std::string key(e->key());
    db.Find(key);
  }
  ctx.reply.Null();
}

void CmdTouchKeys(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  int64_t count = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (db.FindForRead(argv[i]) != nullptr) ++count;
  }
  ctx.reply.Integer(count);
}

void CmdObjectEncoding(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().Find(argv[2]);
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(EncodingOf(*e));
}

void CmdObjectRefcount(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().Find(argv[2]);
  if (e == nullptr) return ctx.reply.Null();
  int64_t v;
  const Config& c = ctx.config();
  bool shared_ints = c.maxmemory == 0 || (c.maxmemory_policy.find("lru") == std::string::npos &&
                                          c.maxmemory_policy.find("lfu") == std::string::npos);
  bool shared = EncodingOf(*e) == "int" && engine::ParseInt64(e->value(), &v) && v >= 0 &&
                v < 10000 && shared_ints;
  ctx.reply.Integer(shared ? INT_MAX : 1);
}

void CmdObjectIdletime(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().Find(argv[2]);
  if (e == nullptr) return ctx.reply.Null();
  if (PolicyIsLfu(ctx.config())) {
    return ctx.reply.Error(
        "ERR An LRU maxmemory policy is not selected, access time not tracked. Please note that "
        "when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
  ctx.reply.Integer((ctx.keyspace().now_ms() - e->accessed_ms()) / 1000);
}

void CmdObjectFreq(CommandContext& ctx, Args argv) {
  engine::Entry* e = ctx.db().Find(argv[2]);
  if (e == nullptr) return ctx.reply.Null();
  if (!PolicyIsLfu(ctx.config())) {
    return ctx.reply.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
  ctx.reply.Integer(engine::LfuDecay(e->lfu_counter(), e->accessed_ms(), ctx.keyspace().now_ms(),
                                     ctx.config().lfu_decay_time));
}

void CmdObjectHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

// --- expiry ---

namespace {
enum ExpireFlags { kExpNx = 1, kExpXx = 2, kExpGt = 4, kExpLt = 8 };

void ExpireGeneric(CommandContext& ctx, Args argv, bool seconds, bool relative,
                   std::string_view name) {
  int flags = 0;
  for (size_t j = 3; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nx")) {
      flags |= kExpNx;
    } else if (EqualsIgnoreCase(argv[j], "xx")) {
      flags |= kExpXx;
    } else if (EqualsIgnoreCase(argv[j], "gt")) {
      flags |= kExpGt;
    } else if (EqualsIgnoreCase(argv[j], "lt")) {
      flags |= kExpLt;
    } else {
      return ctx.reply.Error("ERR Unsupported option " + std::string(argv[j]));
    }
  }
  if ((flags & kExpNx) && (flags & (kExpXx | kExpGt | kExpLt))) {
    return ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & kExpGt) && (flags & kExpLt)) {
    return ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
  }
  int64_t when;
  if (!Int64OrReply(ctx.reply, argv[2], &when)) return;
  if (seconds) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
      return ctx.reply.Error(errors::InvalidExpire(name));
    }
    when *= 1000;
  }
  int64_t base = relative ? ctx.keyspace().now_ms() : 0;
  if (when > LLONG_MAX - base) return ctx.reply.Error(errors::InvalidExpire(name));
  when += base;
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  if (e == nullptr) return ctx.reply.Integer(0);
  if (flags) {
    int64_t current = e->has_expire() ? db.ExpireAt(e) : -1;
    if ((flags & kExpNx) && current != -1) return ctx.reply.Integer(0);
    if ((flags & kExpXx) && current == -1) return ctx.reply.Integer(0);
    if ((flags & kExpGt) && (when <= current || current == -1)) return ctx.reply.Integer(0);
    if ((flags & kExpLt) && current != -1 && when >= current) return ctx.reply.Integer(0);
  }
  const bool past = when <= ctx.keyspace().now_ms();
  db.Expire(e, when);  // a time already past deletes the key
  ctx.Notify(kNotifyGeneric, past ? "del" : "expire", argv[1]);
  ctx.reply.Integer(1);
  // The log (Redis 7.2): the absolute time in ms, without the conditions (they held), or DEL
  // when the key went.
  if (past) {
    ctx.PropagateAs({"DEL", std::string(argv[1])});
  } else if (seconds || relative || flags != 0) {
    ctx.PropagateAs({"PEXPIREAT", std::string(argv[1]), std::to_string(when)});
  }
}

void TtlGeneric(CommandContext& ctx, Args argv, bool ms, bool absolute) {
  engine::Database& db = ctx.db();
  engine::Entry* e = db.FindForRead(argv[1], false);
  if (e == nullptr) return ctx.reply.Integer(-2);
  if (!e->has_expire()) return ctx.reply.Integer(-1);
  int64_t when = db.ExpireAt(e);
  int64_t ttl = absolute ? when : when - ctx.keyspace().now_ms();
  if (ttl < 0) ttl = 0;
  ctx.reply.Integer(ms ? ttl : (ttl + 500) / 1000);
}
}  // namespace

void CmdExpire(CommandContext& ctx, Args argv) { ExpireGeneric(ctx, argv, true, true, "expire"); }
void CmdPExpire(CommandContext& ctx, Args argv) {
  ExpireGeneric(ctx, argv, false, true, "pexpire");
}
void CmdExpireAt(CommandContext& ctx, Args argv) {
  ExpireGeneric(ctx, argv, true, false, "expireat");
}
void CmdPExpireAt(CommandContext& ctx, Args argv) {
  ExpireGeneric(ctx, argv, false, false, "pexpireat");
}
void CmdTtl(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, false, false); }
void CmdPTtl(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, true, false); }
void CmdExpireTime(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, false, true); }
void CmdPExpireTime(CommandContext& ctx, Args argv) { TtlGeneric(ctx, argv, true, true); }

void CmdPersist(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  if (e == nullptr || !e->has_expire()) return ctx.reply.Integer(0);
  db.Persist(e);
  ctx.Notify(kNotifyGeneric, "persist", argv[1]);
  ctx.reply.Integer(1);
}

}  // namespace dkv::server
