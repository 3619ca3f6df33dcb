// Small helpers shared by the command handlers: case-insensitive option matching and integer
// arguments that reply Redis' error themselves (Redis' "...OrReply" idiom: on false the error is
// already written and the handler just returns).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/database.h"
#include "engine/numbers.h"
#include "engine/pattern.h"
#include "resp/reply.h"
#include "resp/text.h"
#include "src/core/command.h"
#include "src/core/errors.h"
#include "src/core/services.h"

namespace dkv::server {

using text::EqualsIgnoreCase;
using text::ToLower;
using text::ToUpper;

inline bool Int64OrReply(resp::ReplyBuilder& reply, std::string_view arg, int64_t* out,
                         std::string_view error = errors::kNotInteger) {
  if (engine::ParseInt64(arg, out)) return true;
  reply.Error(error);
  return false;
}

// Redis' getRangeLongFromObjectOrReply-style check for int-range arguments.
inline bool IntOrReply(resp::ReplyBuilder& reply, std::string_view arg, int* out,
                       std::string_view error = errors::kNotInteger) {
  int64_t v;
  if (!engine::ParseInt64(arg, &v) || v < INT32_MIN || v > INT32_MAX) {
    reply.Error(error);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

// A client name or library attribute (CLIENT SETNAME, SETINFO, HELLO SETNAME): printable ASCII
// without spaces, so that CLIENT LIST's fields split on spaces. Empty is valid (it clears).
inline bool ValidClientAttr(std::string_view value) {
  for (unsigned char c : value) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// A HELP reply: one status line per element, as Redis' addReplyHelp writes them.
template <size_t N>
void ReplyHelp(resp::ReplyBuilder& reply, const std::string_view (&lines)[N]) {
  reply.ArrayHeader(N);
  for (std::string_view line : lines) reply.Simple(line);
}

// A pattern read (KV.MGET, KV.EXPORT) is about to serve the entry's value. Like every read of a
// value it records the access (accessed_at, the LFU counter) unless CLIENT NO-TOUCH. Under the
// cache tier the key is noted when the value is in memory: should the command wait for the
// values it found cold, the ones it found warm stay in memory until it has run again.
inline void NotePatternRead(CommandContext& ctx, engine::Entry* e) {
  if (!ctx.session.no_touch) ctx.db().RecordAccess(e);
  if (ctx.session.warm_reads != nullptr && !e->cold()) {
    ctx.session.warm_reads->emplace_back(e->key());
  }
}

// One SCAN or KV.SCAN call: resumes after `cursor` (0 starts), visits up to `count` live keys
// in the range of `scope`'s literal prefix, and replies [next cursor, keys `accept` took].
// Replies "ERR invalid cursor" for a cursor the server no longer knows.
void ReplyScanSlice(CommandContext& ctx, uint64_t cursor, const engine::Pattern& scope,
                    size_t count, const std::function<bool(engine::Entry*)>& accept);

// Turns an expire argument into an absolute time in ms (relative: from now; seconds: x1000).
// Replies Redis' error and returns false when the value is not an integer, not positive, or
// overflows ("invalid expire time in '<command>' command").
// A blocking command's timeout, already in ms (BLPOP's float seconds rounded up, XREAD's BLOCK),
// as the absolute deadline on the server clock, or 0 for forever; Redis' "timeout is negative"
// and "timeout is out of range" errors. False after replying the error.
bool BlockDeadlineFromMsOrReply(CommandContext& ctx, int64_t timeout_ms, int64_t* deadline_ms);

bool ExpireAtOrReply(CommandContext& ctx, std::string_view arg, bool seconds, bool relative,
                     std::string_view command, int64_t* when_ms);

// After an operation that may have removed a container's last element (the engine then deletes
// the key): the "del" keyspace event when `key` is gone. Looks the key up only when that event
// would be published.
void NotifyDelIfGone(CommandContext& ctx, std::string_view key);
// A list pop's events (LPOP, RPOP, LMPOP, LMOVE, the blocking pops): "lpop" or "rpop", then
// "del" when the list is gone.
void NotifyListPop(CommandContext& ctx, std::string_view key, bool head);
// A sorted set pop's events (ZPOPMIN, ZPOPMAX, ZMPOP, BZPOP*): "zpopmin" or "zpopmax" when
// `popped` > 0, then "del" when the set is gone.
void NotifyZsetPop(CommandContext& ctx, std::string_view key, bool max, size_t popped);
// A *STORE command's events (SINTERSTORE, ZUNIONSTORE, SORT ... STORE, GEOSEARCHSTORE, ...):
// `event` on the destination when a non-empty result was stored, else "del" when the
// destination existed before (call DestinationExisted before the write; it looks only when
// "del" would be published).
bool DestinationExisted(CommandContext& ctx, std::string_view key);
void NotifyStored(CommandContext& ctx, std::string_view key, uint32_t type, std::string_view event,
                  bool stored, bool existed);

// The common write of SET, SETEX, PSETEX, SETNX, GETSET, MSET, MSETEX and KV.SET: stores the
// value (with `type`) and an absolute expiry (0: none; the old one stays when keep_ttl) with
// Database::Store, which signals the change and counts it. An expiry already past deletes the
// key instead (Redis 7); then the result is nullptr, otherwise the entry written.
engine::Entry* StoreValue(CommandContext& ctx, std::string_view key, std::string_view value,
                          int64_t when_ms, bool keep_ttl,
                          engine::ValueType type = engine::ValueType::kString);

// SCAN's and KV.SCAN's options: COUNT n (n >= 1), MATCH pattern and, when allow_type, TYPE t.
// False after replying an error.
struct ScanOptions {
  int64_t count = 10;
  std::string_view match;
  bool has_match = false;
  std::string_view type;
  bool has_type = false;
};
bool ParseScanOptions(CommandContext& ctx, Args argv, bool allow_type, ScanOptions* opts);

// The expiry options shared by KV.SET, KV.CAS and MSETEX: EX, PX, EXAT, PXAT, KEEPTTL.
struct ExpiryOption {
  enum Kind { kNone, kEx, kPx, kExAt, kPxAt, kKeepTtl } kind = kNone;
  std::string_view arg;
};
// If argv[*j] is an expiry option, consumes it (and its argument) and returns true. Sets
// *conflict when a second, different expiry option appears.
bool TakeExpiryOption(Args argv, size_t* j, ExpiryOption* opt, bool* conflict);
// The absolute expiry of an option (0: none or KEEPTTL). False after replying an error.
bool ResolveExpiry(CommandContext& ctx, const ExpiryOption& opt, std::string_view command,
                   int64_t* when_ms);

// Redis 8.4's conditions on a key's current value (SET IFxx, DELEX): `entry` is null for a
// missing key. IFEQ and IFDEQ need the key; IFNE and IFDNE hold for a missing key. REQUIRES:
// `entry` is not a container (the callers reply WRONGTYPE first).
enum class Condition { kNone, kIfEq, kIfNe, kIfDeq, kIfDne };
bool ConditionHolds(Condition c, const engine::Entry* entry, std::string_view value,
                    uint64_t digest);

// Looks `key` up for a command that works on values of `kind` (Redis' lookupKey*OrReply plus
// checkType): the live entry, or nullptr when the key is absent. When it holds another kind,
// replies -WRONGTYPE and sets *wrong (the handler returns). The read form records the access
// (hits, misses, accessed_at, LFU) unless CLIENT NO-TOUCH; the write form does not.
engine::Entry* LookupRead(CommandContext& ctx, std::string_view key, engine::Kind kind,
                          bool* wrong);
engine::Entry* LookupWrite(CommandContext& ctx, std::string_view key, engine::Kind kind,
                           bool* wrong);

// The compiled MATCH pattern of SCAN, HSCAN or SSCAN (from the shared pattern cache): *out stays
// nullptr when there is none or it is "*" (everything matches). False after replying "ERR
// invalid pattern: ...".
bool ScanPatternOrReply(CommandContext& ctx, std::string_view match, bool has_match,
                        std::shared_ptr<const engine::Pattern>* out);

// A SCAN, HSCAN or SSCAN cursor as Redis parses it (strtoull: a leading '-' or '+' is accepted,
// leading spaces, junk and overflow are not; an empty argument is 0). False after replying
// "ERR invalid cursor".
bool CursorOrReply(CommandContext& ctx, std::string_view arg, uint64_t* cursor);

// The start shared by SSCAN and ZSCAN (key cursor [MATCH pattern] [COUNT count]), in Redis'
// order: the cursor, the key (of `kind`), the options, the compiled pattern. Returns the live
// entry to scan, or nullptr when the reply is made (an error, WRONGTYPE, or a missing key's empty
// scan).
engine::Entry* ContainerScanStart(CommandContext& ctx, Args argv, engine::Kind kind,
                                  uint64_t* cursor, ScanOptions* opts,
                                  std::shared_ptr<const engine::Pattern>* pattern);

// SRANDMEMBER and ZRANDMEMBER with a negative count: whether `count` picks from `entry` (a live
// container of `elements` members) stay within a 512 MB reply, by the container's bytes per
// member: the reply is built in memory before it is sent (Redis streams it until the output
// buffer limit closes the client). False after replying "ERR value is out of range, the reply
// would pass 512 MB".
bool RepeatReplyFitsOrReply(CommandContext& ctx, const engine::Entry* entry, size_t elements,
                            uint64_t count);

// Redis' human-readable byte counts (INFO's *_human, MEMORY DOCTOR): "512B", "1.50K", "2.00M".
std::string HumanBytes(uint64_t n);

}  // namespace dkv::server
