#include "src/commands/args.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "engine/container.h"

namespace dkv::server {

void ReplyScanSlice(CommandContext& ctx, uint64_t cursor, const engine::Pattern& scope,
                    size_t count, const std::function<bool(engine::Entry*)>& accept) {
  std::string start;
  if (cursor != 0) {
    const std::string* resume =
        ctx.services.scan_cursors().Find(cursor, ctx.session.db, &ctx.services.UserOf(ctx.session));
    if (resume == nullptr) return ctx.reply.Error(errors::kInvalidCursor);
    start = *resume;
  }
  engine::Database& db = ctx.db();
  std::vector<std::string> keys;
  std::string last;
  size_t seen = 0;
  bool more = false;
  // Expired keys are skipped but count as work, so one call stays bounded.
  db.Walk(scope.literal_prefix(), start, cursor != 0, [&](engine::Entry* e) {
    if (seen == count) {
      more = true;
      return false;
    }
    ++seen;
    last.assign(e->key());
    if (!db.IsExpired(e) && accept(e)) keys.emplace_back(e->key());
    return true;
  });
  uint64_t next = more ? ctx.services.scan_cursors().Save(std::move(last), ctx.session.db,
                                                          &ctx.services.UserOf(ctx.session))
                       : 0;
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

void NotifyDelIfGone(CommandContext& ctx, std::string_view key) {
  if (!ctx.services.events().wants(kNotifyGeneric)) return;
  if (ctx.db().FindRaw(key) == nullptr) ctx.Notify(kNotifyGeneric, "del", key);
}

void NotifyListPop(CommandContext& ctx, std::string_view key, bool head) {
  ctx.Notify(kNotifyList, head ? "lpop" : "rpop", key);
  NotifyDelIfGone(ctx, key);
}

bool DestinationExisted(CommandContext& ctx, std::string_view key) {
  return ctx.services.events().wants(kNotifyGeneric) && ctx.db().Find(key) != nullptr;
}

void NotifyStored(CommandContext& ctx, std::string_view key, uint32_t type, std::string_view event,
                  bool stored, bool existed) {
  if (stored) {
    ctx.Notify(type, event, key);
  } else if (existed) {
    ctx.Notify(kNotifyGeneric, "del", key);
  }
}

void NotifyZsetPop(CommandContext& ctx, std::string_view key, bool max, size_t popped) {
  if (popped == 0) return;
  ctx.Notify(kNotifyZset, max ? "zpopmax" : "zpopmin", key);
  NotifyDelIfGone(ctx, key);
}

engine::Entry* StoreValue(CommandContext& ctx, std::string_view key, std::string_view value,
                          int64_t when_ms, bool keep_ttl, engine::ValueType type) {
  engine::StoreOptions opts;
  opts.expire_ms = when_ms;
  opts.keep_ttl = keep_ttl;
  opts.type = type;
  return ctx.db().Store(key, value, opts);
}

bool ParseScanOptions(CommandContext& ctx, Args argv, bool allow_type, ScanOptions* opts) {
  for (size_t j = 2; j < argv.size(); j += 2) {
    if (j + 1 >= argv.size()) {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
    if (EqualsIgnoreCase(argv[j], "count")) {
      if (!Int64OrReply(ctx.reply, argv[j + 1], &opts->count)) return false;
      if (opts->count < 1) {
        ctx.reply.Error(errors::kSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(argv[j], "match")) {
      opts->match = argv[j + 1];
      opts->has_match = true;
    } else if (allow_type && EqualsIgnoreCase(argv[j], "type")) {
      opts->type = argv[j + 1];
      opts->has_type = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

bool TakeExpiryOption(Args argv, size_t* j, ExpiryOption* opt, bool* conflict) {
  std::string_view word = argv[*j];
  ExpiryOption::Kind kind = ExpiryOption::kNone;
  if (EqualsIgnoreCase(word, "ex"))
    kind = ExpiryOption::kEx;
  else if (EqualsIgnoreCase(word, "px"))
    kind = ExpiryOption::kPx;
  else if (EqualsIgnoreCase(word, "exat"))
    kind = ExpiryOption::kExAt;
  else if (EqualsIgnoreCase(word, "pxat"))
    kind = ExpiryOption::kPxAt;
  else if (EqualsIgnoreCase(word, "keepttl"))
    kind = ExpiryOption::kKeepTtl;
  else
    return false;
  bool needs_arg = kind != ExpiryOption::kKeepTtl;
  if (needs_arg && *j + 1 >= argv.size()) return false;
  if (opt->kind != ExpiryOption::kNone && opt->kind != kind) *conflict = true;
  opt->kind = kind;
  if (needs_arg) opt->arg = argv[++*j];
  return true;
}

bool ResolveExpiry(CommandContext& ctx, const ExpiryOption& opt, std::string_view command,
                   int64_t* when_ms) {
  *when_ms = 0;
  switch (opt.kind) {
    case ExpiryOption::kNone:
    case ExpiryOption::kKeepTtl:
      return true;
    case ExpiryOption::kEx:
      return ExpireAtOrReply(ctx, opt.arg, true, true, command, when_ms);
    case ExpiryOption::kPx:
      return ExpireAtOrReply(ctx, opt.arg, false, true, command, when_ms);
    case ExpiryOption::kExAt:
      return ExpireAtOrReply(ctx, opt.arg, true, false, command, when_ms);
    case ExpiryOption::kPxAt:
      return ExpireAtOrReply(ctx, opt.arg, false, false, command, when_ms);
  }
  return true;
}

bool ConditionHolds(Condition c, const engine::Entry* entry, std::string_view value,
                    uint64_t digest) {
  switch (c) {
    case Condition::kNone:
      return true;
    case Condition::kIfEq:
      return entry != nullptr && entry->value() == value;
    case Condition::kIfNe:
      return entry == nullptr || entry->value() != value;
    case Condition::kIfDeq:
      return entry != nullptr && engine::Checksum(entry->value()) == digest;
    case Condition::kIfDne:
      return entry == nullptr || engine::Checksum(entry->value()) != digest;
  }
  return true;
}

std::string HumanBytes(uint64_t n) {
  char buf[32];
  double d = static_cast<double>(n);
  if (n < 1024) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
  } else if (n < 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fM", d / (1024 * 1024));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  }
  return buf;
}

namespace {
engine::Entry* CheckKind(CommandContext& ctx, engine::Entry* e, engine::Kind kind, bool* wrong) {
  *wrong = false;
  if (e != nullptr && e->kind() != kind) {
    ctx.reply.Error(errors::kWrongType);
    *wrong = true;
    return nullptr;
  }
  return e;
}
}  // namespace

engine::Entry* LookupRead(CommandContext& ctx, std::string_view key, engine::Kind kind,
                          bool* wrong) {
  return CheckKind(ctx, ctx.db().FindForRead(key, !ctx.session.no_touch), kind, wrong);
}

engine::Entry* LookupWrite(CommandContext& ctx, std::string_view key, engine::Kind kind,
                           bool* wrong) {
  return CheckKind(ctx, ctx.db().Find(key), kind, wrong);
}

bool CursorOrReply(CommandContext& ctx, std::string_view arg, uint64_t* cursor) {
  std::string text(arg);
  char* end = nullptr;
  errno = 0;
  *cursor = std::strtoull(text.c_str(), &end, 10);
  if (std::isspace(static_cast<unsigned char>(text[0])) || *end != '\0' || errno == ERANGE) {
    ctx.reply.Error(errors::kInvalidCursor);
    return false;
  }
  return true;
}

engine::Entry* ContainerScanStart(CommandContext& ctx, Args argv, engine::Kind kind,
                                  uint64_t* cursor, ScanOptions* opts,
                                  std::shared_ptr<const engine::Pattern>* pattern) {
  if (!CursorOrReply(ctx, argv[2], cursor)) return nullptr;
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], kind, &wrong);
  if (wrong) return nullptr;
  if (e == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return nullptr;
  }
  if (!ParseScanOptions(ctx, argv.subspan(1), false, opts)) return nullptr;
  if (!ScanPatternOrReply(ctx, opts->match, opts->has_match, pattern)) return nullptr;
  return e;
}

bool RepeatReplyFitsOrReply(CommandContext& ctx, const engine::Entry* entry, size_t elements,
                            uint64_t count) {
  constexpr uint64_t kMaxRepeatReplyBytes = 512ull << 20;
  // A table's or skiplist's own bytes, else the packed value's.
  uint64_t bytes = engine::ContainerExtraBytes(entry);
  if (bytes == 0) bytes = entry->value_size();
  uint64_t per_member = bytes / elements + 8;
  if (count <= kMaxRepeatReplyBytes / per_member) return true;
  ctx.reply.Error("ERR value is out of range, the reply would pass 512 MB");
  return false;
}

bool ScanPatternOrReply(CommandContext& ctx, std::string_view match, bool has_match,
                        std::shared_ptr<const engine::Pattern>* out) {
  out->reset();
  if (!has_match || match == "*") return true;
  std::string error;
  *out = ctx.services.patterns().Get(engine::PatternCache::Syntax::kRedis, match, 0, false, &error);
  if (*out != nullptr) return true;
  ctx.reply.Error("ERR invalid pattern: " + error);
  return false;
}

bool BlockDeadlineFromMsOrReply(CommandContext& ctx, int64_t timeout_ms, int64_t* deadline_ms) {
  if (timeout_ms < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  if (timeout_ms > 0) {
    const int64_t now = ctx.services.clock().NowMs();
    if (timeout_ms > std::numeric_limits<int64_t>::max() - now) {
      ctx.reply.Error("ERR timeout is out of range");
      return false;
    }
    timeout_ms += now;
  }
  *deadline_ms = timeout_ms;
  return true;
}

}  // namespace dkv::server
