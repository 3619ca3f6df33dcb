// The command table's row type, command flags, ACL categories, key specs, and the context a
// handler runs in.
//
// Every command is one row of the table (src/commands/command_table.cc), and the row carries every
// fact about it: name, syntax, arity, flags, ACL categories, Redis 7 key specs, how it stays in
// the caller's namespace, which arguments are secret, the handler and the doc fields. Dispatch,
// ACL, redaction (MONITOR, slow log), the cache tier's value fetch, COMMAND INFO / DOCS / GETKEYS
// / GETKEYSANDFLAGS, docs/commands.md and docs/security-commands.md all read it; nothing else
// keeps a list of commands. docs/adding-a-command.md explains each field. Subcommands are rows
// named "parent|sub" (config|get); the parent's row has no handler. The table is constant data;
// the functions below are pure.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace.h"
#include "resp/reply.h"
#include "src/config/config.h"
#include "src/core/session.h"

namespace dkv::server {

// Command flags. The first group is Redis' (COMMAND INFO prints them by Redis' names, in Redis'
// order); the last group is dkv's own and never printed.
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,
  kReadOnly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kFast = 1u << 4,
  kNoAuth = 1u << 5,   // allowed before AUTH
  kLoading = 1u << 6,  // allowed while loading
  kStale = 1u << 7,
  kSkipMonitor = 1u << 8,
  kSkipSlowlog = 1u << 9,
  kNoScript = 1u << 10,
  kNoMulti = 1u << 11,  // refused inside MULTI ("Command not allowed inside a transaction")
  kAllowBusy = 1u << 12,
  kPubSub = 1u << 13,
  kBlocking = 1u << 14,
  kNoMandatoryKeys = 1u << 15,  // COMMAND GETKEYS answers [] rather than an error without keys
  kNoAsyncLoading = 1u << 16,   // refused during an asynchronous load (printed only)
  // May change data without being a write (EVAL, EVALSHA): CLIENT PAUSE WRITE holds it like a
  // write. COMMAND INFO does not print it, as Redis.
  kMayReplicate = 1u << 17,
  // --- dkv's own ---
  kRunsQueued = 1u << 24,         // EXEC: runs the queued commands (a write if one of them is)
  kDeniedOnDiskError = 1u << 25,  // refused while snapshots fail (MISCONF), though not a write
  kAllowedInMonitor = 1u << 26,   // a MONITOR connection may still send it
  // Runs at once inside MULTI instead of being queued: MULTI, EXEC, DISCARD, WATCH, QUIT, RESET
  // (Redis names these in processCommand; here the row says it).
  kNotQueued = 1u << 27,
};

// ACL categories: Redis 7's, in Redis' order (COMMAND INFO lists them in this order), then dkv's
// own (@kv, @server), which only ACL rules and ACL CAT see.
enum AclCategory : uint32_t {
  kCatKeyspace = 1u << 0,
  kCatRead = 1u << 1,
  kCatWrite = 1u << 2,
  kCatSet = 1u << 3,
  kCatSortedSet = 1u << 4,
  kCatList = 1u << 5,
  kCatHash = 1u << 6,
  kCatString = 1u << 7,
  kCatBitmap = 1u << 8,
  kCatHyperLogLog = 1u << 9,
  kCatGeo = 1u << 10,
  kCatStream = 1u << 11,
  kCatPubSub = 1u << 12,
  kCatAdmin = 1u << 13,
  kCatFast = 1u << 14,
  kCatSlow = 1u << 15,
  kCatBlocking = 1u << 16,
  kCatDangerous = 1u << 17,
  kCatConnection = 1u << 18,
  kCatTransaction = 1u << 19,
  kCatScripting = 1u << 20,
  kCatKv = 1u << 21,      // dkv: the KV.* commands
  kCatServer = 1u << 22,  // dkv: server management (the "server" group)
};
struct CategoryName {
  uint32_t bit;
  std::string_view name;  // without the '@'
  bool redis;             // one of Redis' (COMMAND INFO prints it)
};
// Every category, in bit order.
std::span<const CategoryName> AclCategoryNames();

// Key spec flags, Redis 7's: what the command does to the key (exactly one of RO, RW, OW, RM),
// what it does to the value, and how sure the spec is.
enum KeyFlag : uint32_t {
  kKeyRO = 1u << 0,  // reads
  kKeyRW = 1u << 1,  // reads and changes
  kKeyOW = 1u << 2,  // overwrites without reading
  kKeyRM = 1u << 3,  // removes
  // The command reads the value (returns, copies or computes from it). dkv's cache tier reads a
  // value back from PostgreSQL before the command runs only for keys with this flag.
  kKeyAccess = 1u << 4,
  kKeyUpdate = 1u << 5,  // changes the value
  kKeyInsert = 1u << 6,  // adds to the value
  kKeyDelete = 1u << 7,  // takes from the value or removes it
  kKeyNotKey = 1u << 8,
  kKeyIncomplete = 1u << 9,      // may miss keys (GETKEYS cannot find them all)
  kKeyVariableFlags = 1u << 10,  // the flags depend on the arguments: the row's key_flags says
};

// One key spec: where the search for keys begins (an index, or after a keyword) and how the keys
// are found from there (a range, or a count argument).
struct KeySpec {
  uint32_t flags = 0;
  int index = 0;  // begin_search index: the argument the search starts at
  std::string_view keyword =
      {};               // begin_search keyword (instead of index): the word before the keys
  int startfrom = 0;    // where the keyword search starts (negative: from the end)
  bool keynum = false;  // find_keys: false = range, true = keynum
  int lastkey = 0;      // range: the last key, relative to the first (-1: the last argument)
  int keystep = 1;      // range and keynum: the step between keys
  int limit = 0;        // range: with lastkey -1, take 1/limit of the rest (0: all)
  int keynumidx = 0;    // keynum: the count argument, relative to the start
  int firstkey = 0;     // keynum: the first key, relative to the start
  // Redis' "unknown" begin_search and find_keys (SORT's BY/GET patterns and STORE): the spec
  // cannot locate its keys; the row's find_keys function does, when it has one. `notes` is
  // COMMAND INFO's explanation.
  bool unknown = false;
  std::string_view notes = {};
};
struct KeySpecs {
  std::array<KeySpec, 3> spec{};
  int count = 0;
  std::span<const KeySpec> all() const { return {spec.data(), static_cast<size_t>(count)}; }
};

// Builders for rows: Range(kKeyRO | kKeyAccess, 1) is one key at argument 1; Range(f, 1, -1) all
// arguments from 1; Range(f, 1, -1, 2) every other one; KeyNum(f, 2, 0, 1, 1) a count at
// argument 2 followed by that many keys.
constexpr KeySpec Range(uint32_t flags, int index, int lastkey = 0, int keystep = 1,
                        int limit = 0) {
  KeySpec s;
  s.flags = flags;
  s.index = index;
  s.lastkey = lastkey;
  s.keystep = keystep;
  s.limit = limit;
  return s;
}
constexpr KeySpec KeyNum(uint32_t flags, int index, int keynumidx, int firstkey, int keystep) {
  KeySpec s;
  s.flags = flags;
  s.index = index;
  s.keynum = true;
  s.keynumidx = keynumidx;
  s.firstkey = firstkey;
  s.keystep = keystep;
  return s;
}
// Keyword(f, "STORE", 6): the key after the word STORE, searched for from argument 6 on (a
// negative startfrom searches backwards from the end).
constexpr KeySpec Keyword(uint32_t flags, std::string_view keyword, int startfrom) {
  KeySpec s;
  s.flags = flags;
  s.keyword = keyword;
  s.startfrom = startfrom;
  return s;
}
// A spec whose keys no rule finds (Redis' begin_search and find_keys "unknown").
constexpr KeySpec Unknown(uint32_t flags, std::string_view notes) {
  KeySpec s;
  s.flags = flags;
  s.unknown = true;
  s.notes = notes;
  return s;
}
constexpr KeySpecs Keys() { return {}; }
constexpr KeySpecs Keys(KeySpec a) { return {{a, {}, {}}, 1}; }
constexpr KeySpecs Keys(KeySpec a, KeySpec b) { return {{a, b, {}}, 2}; }
constexpr KeySpecs Keys(KeySpec a, KeySpec b, KeySpec c) { return {{a, b, c}, 3}; }

// How a command keeps a user bound to some namespaces inside them (docs/security-commands.md).
enum class Tenancy : uint8_t {
  kNoData,          // touches no keyspace data
  kSession,         // the session's namespace only (always one of the user's)
  kServerWide,      // reaches beyond the namespace: refused to bound and read-only users
  kNamesNamespace,  // names a namespace, which must be one of the user's (SELECT)
  kTargetDb,        // may name a target database, which must be one of the user's
  kInfoFiltered,    // INFO: the keyspace section lists only the user's namespaces
  kListsOwn,        // lists only the user's namespaces
  kScript,          // every redis.call passes the same checks as the caller
  kQueued,          // each queued command was checked when queued
};
std::string_view TenancyText(Tenancy t);

// Which arguments never show in MONITOR or the slow log ("(redacted)").
struct SecretArgs {
  enum Kind : uint8_t {
    kNone,
    kAll,         // every argument after the name (AUTH)
    kAfterToken,  // the `count` arguments after the word `token` (HELLO ... AUTH user pass)
    kPairValue,   // in name/value pairs from argument `first`, the value of the pair `token`
  };
  Kind kind = kNone;
  std::string_view token = {};
  int count = 0;
  int first = 0;
};

// A key found in a command's arguments, with its spec's flags.
struct KeyRef {
  int index;  // in argv
  uint32_t flags;
};

using Args = std::span<const std::string_view>;
class Services;

// What a handler sees: its client's session, the keyspace of the namespace the session is in
// (db(), looked up when asked: SELECT, AUTH and RESET move the session), the reply, and the
// services it may use (src/core/services.h). Never the server's state as a whole.
struct CommandContext {
  Session& session;
  resp::ReplyBuilder& reply;
  Services& services;

  // (Defined in services.cc: this header stays below Services, which sees the server's state.)
  engine::Database& db();
  // Every namespace (commands that name another: MOVE, COPY, SWAPDB, FLUSHALL, KV.NS ...).
  engine::Keyspace& keyspace();
  const Config& config() const;
  // A keyspace notification for `key` of the session's namespace, as Redis'
  // notifyKeyspaceEvent(type, event, key, db): `type` is a NotifyType bit
  // (src/core/keyspace_events.h: kNotifyList ...), `event` Redis' event name ("lpush"). Every
  // command that Redis notifies for calls it, after the change, in Redis' order. (Defined
  // inline in services.h.)
  inline void Notify(uint32_t type, std::string_view event, std::string_view key);
  // What the append-only log records of this run instead of its arguments, one command per
  // call, in the session's namespace (src/core/propagation.h): for a command whose arguments
  // would not replay to the same effect (SET EX -> SET PXAT, SPOP -> SREM, BLPOP -> LPOP).
  // Nothing when the log is off. (Defined inline in services.h.)
  inline void PropagateAs(std::vector<std::string> argv);
  // Whether the log is on: test it before building a PropagateAs argument, so that a command
  // pays nothing for its rewrite while the log is off. (Defined inline in services.h.)
  inline bool Propagating() const;
};

using Handler = void (*)(CommandContext&, Args);
// For a spec with kKeyVariableFlags: the flags this call has, from its arguments.
using KeyFlagsProc = uint32_t (*)(const KeySpec& spec, Args argv);
// Redis' getkeys_proc: the keys of one call for a row whose specs cannot find them all (SORT's
// STORE); replaces the walk over the specs in KeysOf.
using FindKeysProc = void (*)(Args argv, std::vector<KeyRef>* out);

// Which arguments of a call are Pub/Sub channels, checked against ACL's channel rules (&pattern)
// as Redis' getChannelsFromCommand: the first (PUBLISH, SPUBLISH), all (SUBSCRIBE, SSUBSCRIBE),
// or all as patterns (PSUBSCRIBE: the pattern itself must be allowed). Unsubscribing is never
// checked.
enum class ChannelArgs : uint8_t { kNone, kFirst, kAll, kAllPatterns };

struct HistoryEntry {
  std::string_view version;
  std::string_view change;
};

struct CommandSpec {
  std::string_view name;  // lower case; "parent|sub" for subcommands
  // The arguments after the name in Redis' documentation notation: `key [key ...]`,
  // `[NX | XX]`, `[EX seconds]`, `(ON | OFF)`. COMMAND DOCS derives its argument tree from it.
  std::string_view syntax;
  int arity;            // N: exactly N arguments (with the name); -N: at least N
  uint32_t flags;       // CommandFlag
  uint32_t categories;  // AclCategory
  KeySpecs keys;        // Redis 7 key specs; COMMAND INFO's first/last/step derive from them
  Tenancy tenancy;
  Handler handler;  // null for a parent of subcommands
  std::string_view group;
  std::string_view since;
  std::string_view summary;
  std::string_view complexity;
  SecretArgs secret = {};
  KeyFlagsProc key_flags = nullptr;            // for key specs with kKeyVariableFlags
  std::span<const HistoryEntry> history = {};  // COMMAND DOCS' history: what changed when
  FindKeysProc find_keys = nullptr;            // for rows with Unknown() specs that have keys
  ChannelArgs channels = ChannelArgs::kNone;   // Pub/Sub channels in the arguments (ACL)
};

// Whether `argc` arguments (the name included) fit the row's arity.
inline bool ArityOk(const CommandSpec& spec, size_t argc) {
  const int n = static_cast<int>(argc);
  return spec.arity > 0 ? n == spec.arity : n >= -spec.arity;
}

// All rows, in the order docs list them.
std::span<const CommandSpec> CommandTable();

// Redis' legacy key range (COMMAND INFO's first key, last key, step) derived from the key specs,
// and whether the keys move (COMMAND INFO's movablekeys: a spec the range cannot express).
struct LegacyRange {
  int first = 0;
  int last = 0;
  int step = 0;
  bool movable = false;
};
LegacyRange LegacyKeyRange(const CommandSpec& spec);

// The keys of one call, by its key specs, in spec order, with each spec's flags (variable
// flags resolved). False when a spec cannot be applied to these arguments (a bad key count):
// `out` then holds what was found before it.
bool KeysOf(const CommandSpec& spec, Args argv, std::vector<KeyRef>* out);

// Whether argument `i` of a call of `spec` is secret (redacted in MONITOR and the slow log).
// A key spec's flags by Redis' names (RO, RW, OW, RM, access, ..., variable_flags), in Redis'
// order: COMMAND INFO, COMMAND GETKEYSANDFLAGS and docs/commands.md.
std::vector<std::string_view> KeyFlagNames(uint32_t flags);
bool SecretArgument(const CommandSpec& spec, Args argv, size_t i);

}  // namespace dkv::server
