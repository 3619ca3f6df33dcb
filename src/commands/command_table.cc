// The command table: one row per command, and every fact about a command is in its row
// (src/core/command.h describes the fields; docs/adding-a-command.md how to choose them). Dispatch,
// ACL, redaction, the cache tier's value fetch, COMMAND INFO / DOCS / GETKEYS / GETKEYSANDFLAGS,
// docs/commands.md and docs/security-commands.md all come from here.
//
// Categories and key specs are Redis 7's for the commands Redis has, with these deviations
// where dkv differs: ACCESS marks a key whose value the command reads (the cache tier reads
// only those back from PostgreSQL), so TTL, PTTL, EXPIRETIME and PEXPIRETIME have no ACCESS and
// APPEND, SETRANGE, OBJECT ENCODING, OBJECT REFCOUNT and PFADD have it, and so have HSET, HSETNX,
// HMSET, HDEL, HEXISTS, HLEN, HSTRLEN, the field-expiration commands, SADD, SREM, SISMEMBER,
// SCARD and SMOVE's destination, LPUSH, RPUSH, LPUSHX, RPUSHX, LLEN, LINDEX, LPOS, LSET, LINSERT,
// LREM, LTRIM and LMOVE's and RPOPLPUSH's destination (each reads or changes the container in
// place); @kv and
// @server are dkv's own categories.
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

// Flags.
constexpr uint32_t R = kReadOnly, W = kWrite, F = kFast, D = kDenyOom, A = kAdmin, L = kLoading,
                   S = kStale, NA = kNoAuth, NM = kNoMulti, NS = kNoScript;
// ACL categories.
constexpr uint32_t cKeyspace = kCatKeyspace, cRead = kCatRead, cWrite = kCatWrite,
                   cString = kCatString, cBitmap = kCatBitmap, cAdmin = kCatAdmin, cFast = kCatFast,
                   cSlow = kCatSlow, cDangerous = kCatDangerous, cConnection = kCatConnection,
                   cTransaction = kCatTransaction, cScripting = kCatScripting, cKv = kCatKv,
                   cServer = kCatServer;
constexpr uint32_t cHll = kCatHyperLogLog, cHash = kCatHash, cSet = kCatSet;
constexpr uint32_t cGeo = kCatGeo;
constexpr uint32_t P = kPubSub, cPubSub = kCatPubSub, NK = kKeyNotKey;
constexpr ChannelArgs kChanFirst = ChannelArgs::kFirst, kChanAll = ChannelArgs::kAll,
                      kChanPatterns = ChannelArgs::kAllPatterns;
// Key spec flags.
constexpr uint32_t RO = kKeyRO, RW = kKeyRW, OW = kKeyOW, RM = kKeyRM, AC = kKeyAccess,
                   UP = kKeyUpdate, IN = kKeyInsert, DE = kKeyDelete, VAR = kKeyVariableFlags;
// Tenancy.
constexpr Tenancy NONE = Tenancy::kNoData, SESS = Tenancy::kSession, SRV = Tenancy::kServerWide,
                  NAMES = Tenancy::kNamesNamespace, TARGET = Tenancy::kTargetDb,
                  INFO = Tenancy::kInfoFiltered, OWN = Tenancy::kListsOwn,
                  SCRIPT = Tenancy::kScript, QUEUED = Tenancy::kQueued;
// Secret arguments.
constexpr SecretArgs kSecretAll{SecretArgs::kAll};
constexpr SecretArgs kSecretHelloAuth{SecretArgs::kAfterToken, "auth", 2};
constexpr SecretArgs kSecretRequirepass{SecretArgs::kPairValue, "requirepass", 0, 2};

// SET reads the old value only with GET or a condition on it (IFEQ, IFNE, IFDEQ, IFDNE);
// otherwise it overwrites the key.
uint32_t SetKeyFlags(const KeySpec&, Args argv) {
  for (size_t i = 3; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    if (EqualsIgnoreCase(a, "get") || EqualsIgnoreCase(a, "ifeq") || EqualsIgnoreCase(a, "ifne") ||
        EqualsIgnoreCase(a, "ifdeq") || EqualsIgnoreCase(a, "ifdne")) {
      return kKeyRW | kKeyAccess | kKeyUpdate;
    }
  }
  return kKeyOW | kKeyUpdate;
}

// Lists.
constexpr HistoryEntry kPushHistory[] = {
    {"2.4.0", "Accepts multiple `element` arguments."},
};
constexpr HistoryEntry kPushXHistory[] = {
    {"4.0.0", "Accepts multiple `element` arguments."},
};
constexpr HistoryEntry kPopHistory[] = {
    {"6.2.0", "Added the `count` argument."},
};
constexpr HistoryEntry kPauseHistory[] = {
    {"6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."},
};
// BITFIELD only reads with GET (and OVERFLOW) alone; a SET, INCRBY or anything unparsable makes
// it a write, as Redis' bitfieldGetKeys decides.
uint32_t BitfieldKeyFlags(const KeySpec&, Args argv) {
  for (size_t i = 2; i < argv.size(); ++i) {
    size_t more = argv.size() - i - 1;
    if (EqualsIgnoreCase(argv[i], "get") && more >= 2) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "overflow") && more >= 1) {
      i += 1;
    } else {
      return kKeyRW | kKeyAccess | kKeyUpdate;
    }
  }
  return kKeyRO | kKeyAccess;
}

constexpr HistoryEntry kHSetHistory[] = {
    {"4.0.0", "Accepts multiple `field` and `value` arguments."}};
constexpr HistoryEntry kHDelHistory[] = {{"2.4.0", "Accepts multiple `field` arguments."}};
constexpr HistoryEntry kHScanHistory[] = {{"7.4.0", "Added the `NOVALUES` option."}};
constexpr HistoryEntry kBitRangeHistory[] = {{"7.0.0", "Added the `BYTE|BIT` option."}};
constexpr HistoryEntry kAclGetuserHistory[] = {
    {"6.2.0", "Added Pub/Sub channel patterns."},
    {"7.0.0",
     "Added selectors and changed the format of key and channel patterns from a list to "
     "their rule representation."},
};
constexpr HistoryEntry kAclLogHistory[] = {
    {"7.2.0", "Added entry ID, timestamp created, and timestamp last updated."},
};
constexpr HistoryEntry kAclSetuserHistory[] = {
    {"6.2.0", "Added Pub/Sub channel patterns."},
    {"7.0.0", "Added selectors and key based permissions."},
};

constexpr std::string_view kSortPatternNotes =
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the "
    "content of the key we sort";
constexpr std::string_view kSortStoreNotes =
    "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
    "anywhere in the argument array";
constexpr HistoryEntry kMultiMemberHistory[] = {{"2.4.0", "Accepts multiple `member` arguments."}};
constexpr HistoryEntry kSPopHistory[] = {{"3.2.0", "Added the `count` argument."}};
constexpr HistoryEntry kSRandMemberHistory[] = {{"2.6.0", "Added the optional `count` argument."}};
// Blocking pops (src/commands/blocking_commands.cc).
constexpr HistoryEntry kBlockingTimeoutHistory[] = {
    {"6.0.0", "`timeout` is interpreted as a double instead of an integer."}};
constexpr uint32_t kBlockingW = W | kBlocking;
constexpr uint32_t cBlockingList = cWrite | kCatList | cSlow | kCatBlocking;
constexpr uint32_t cBlockingZset = cWrite | kCatSortedSet | kCatBlocking;

// Stream consumer groups and XINFO (stream_group_commands.cc, stream_info_commands.cc). dkv's
// deviations from Redis' key specs: every key is ACCESS (each reads or changes the stream in
// place, so the cache tier must bring its value back first), and XREADGROUP's keys are RW UPDATE
// (Redis says RO ACCESS, but the command moves the group's last ID and PEL: a write).
constexpr HistoryEntry kXGroupCreateHistory[] = {
    {"7.0.0", "Added the `entries_read` named argument."}};
constexpr HistoryEntry kXGroupSetIdHistory[] = {
    {"7.0.0", "Added the optional `entries_read` argument."}};
constexpr HistoryEntry kXPendingHistory[] = {
    {"6.2.0", "Added the `IDLE` option and exclusive range intervals."}};
constexpr HistoryEntry kXAutoClaimHistory[] = {
    {"7.0.0",
     "Added an element to the reply array, containing deleted entries the command cleared from "
     "the PEL"}};
constexpr HistoryEntry kXInfoStreamHistory[] = {
    {"6.0.0", "Added the `FULL` modifier."},
    {"7.0.0",
     "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, "
     "`entries-read` and `lag` fields"},
    {"7.2.0", "Added the `active-time` field, and changed the meaning of `seen-time`."}};
constexpr HistoryEntry kXInfoGroupsHistory[] = {
    {"7.0.0", "Added the `entries-read` and `lag` fields"}};
constexpr HistoryEntry kXInfoConsumersHistory[] = {{"7.2.0", "Added the `inactive` field."}};
// XREADGROUP's keys: after the word STREAMS (searched from argument 4), the first half of the
// rest.
constexpr KeySpec StreamsKeys(uint32_t flags, int startfrom) {
  KeySpec s = Keyword(flags, "STREAMS", startfrom);
  s.lastkey = -1;
  s.limit = 2;
  return s;
}
// Streams (src/commands/stream_commands.cc).
constexpr uint32_t cStream = kCatStream;
constexpr HistoryEntry kXAddHistory[] = {
    {"6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."},
    {"7.0.0", "Added support for the `<ms>-*` explicit ID form."},
};
constexpr HistoryEntry kXTrimHistory[] = {
    {"6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."}};
constexpr HistoryEntry kXRangeHistory[] = {{"6.2.0", "Added exclusive ranges."}};
constexpr HistoryEntry kXSetIdHistory[] = {
    {"7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."}};
// XREAD's keys: after STREAMS, the first half of what follows.
constexpr KeySpec XReadKeys() {
  KeySpec s = Keyword(RO | AC, "STREAMS", 1);
  s.lastkey = -1;
  s.limit = 2;
  return s;
}

constexpr HistoryEntry kGeoAddHistory[] = {{"6.2.0", "Added the `CH`, `NX` and `XX` options."}};
constexpr HistoryEntry kGeoRadiusHistory[] = {
    {"6.2.0", "Added the `ANY` option for `COUNT`."},
    {"7.0.0", "Added support for uppercase unit names."},
};
constexpr HistoryEntry kGeoRadiusRoHistory[] = {{"6.2.0", "Added the `ANY` option for `COUNT`."}};
// GEOSEARCH, GEOSEARCHSTORE and GEORADIUSBYMEMBER.
constexpr HistoryEntry kGeoSearchHistory[] = {{"7.0.0", "Added support for uppercase unit names."}};

// clang-format off
constexpr HistoryEntry kZAddHistory[] = {
    {"2.4.0", "Accepts multiple elements."},
    {"3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."},
    {"6.2.0", "Added the `GT` and `LT` options."},
};
constexpr HistoryEntry kZRankHistory[] = {{"7.2.0", "Added the optional `WITHSCORE` argument."}};
constexpr HistoryEntry kZRangeHistory[] = {
    {"6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."},
};

constexpr CommandSpec kTable[] = {
  // name, syntax (arguments after the name, Redis docs notation), arity, flags, ACL categories,
  // key specs, tenancy, handler, group, since, summary, complexity[, secret arguments,
  // variable key flags, history]
  // --- connection ---
  {"ping", "[message]", -1, F|kDeniedOnDiskError, cFast|cConnection, Keys(), NONE, CmdPing, "connection", "1.0.0", "Returns the server's liveliness response.", "O(1)"},
  {"echo", "message", 2, F|L|S, cFast|cConnection, Keys(), NONE, CmdEcho, "connection", "1.0.0", "Returns the given string.", "O(1)"},
  {"quit", "", -1, F|L|S|NA|NS|kAllowBusy|kNotQueued|kAllowedInMonitor, cFast|cConnection, Keys(), NONE, CmdQuit, "connection", "1.0.0", "Closes the connection.", "O(1)"},
  {"reset", "", 1, F|L|S|NA|NS|kAllowBusy|kNotQueued|kAllowedInMonitor, cFast|cConnection, Keys(), NONE, CmdReset, "connection", "6.2.0", "Resets the connection.", "O(1)"},
  {"select", "index", 2, F|L|S, cFast|cConnection, Keys(), NAMES, CmdSelect, "connection", "1.0.0", "Changes the selected database.", "O(1)"},
  {"auth", "[username] password", -2, F|L|S|NA|NS|kAllowBusy, cFast|cConnection, Keys(), NONE, CmdAuth, "connection", "1.0.0", "Authenticates the connection.", "O(N) where N is the number of passwords defined for the user", kSecretAll},
  {"hello", "[protover [AUTH username password] [SETNAME clientname]]", -1, F|L|S|NA|NS|kAllowBusy, cFast|cConnection, Keys(), NONE, CmdHello, "connection", "6.0.0", "Handshakes with the server.", "O(1)", kSecretHelloAuth},
  {"readonly", "", 1, F|L|S, cFast|cConnection, Keys(), NONE, CmdCluster, "cluster", "3.0.0", "Cluster replicas only; dkv runs standalone, so it answers that cluster support is disabled, as Redis without cluster-enabled.", "O(1)"},
  {"readwrite", "", 1, F|L|S, cFast|cConnection, Keys(), NONE, CmdCluster, "cluster", "3.0.0", "Cluster replicas only; dkv runs standalone, so it answers that cluster support is disabled, as Redis without cluster-enabled.", "O(1)"},
  {"cluster", "subcommand [argument ...]", -2, 0, cSlow, Keys(), NONE, CmdCluster, "cluster", "3.0.0", "Cluster commands; dkv runs standalone, so each answers that cluster support is disabled.", "O(1)"},
  {"role", "", 1, F|L|S|NS, cAdmin|cFast|cDangerous|cServer, Keys(), NONE, CmdRole, "server", "2.8.12", "Returns the replication role.", "O(1)"},
  {"client", "", -2, 0, cSlow, Keys(), NONE, nullptr, "connection", "2.4.0", "A container for client connection commands.", "Depends on subcommand."},
  {"client|id", "", 2, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientId, "connection", "5.0.0", "Returns the unique client ID of the connection.", "O(1)"},
  {"client|setname", "connection-name", 3, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientSetName, "connection", "2.6.9", "Sets the connection name.", "O(1)"},
  {"client|getname", "", 2, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientGetName, "connection", "2.6.9", "Returns the name of the connection.", "O(1)"},
  {"client|setinfo", "(LIB-NAME libname | LIB-VER libver)", 4, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientSetInfo, "connection", "7.2.0", "Sets information specific to the client or connection.", "O(1)"},
  {"client|info", "", 2, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientInfo, "connection", "6.2.0", "Returns information about the connection.", "O(1)"},
  {"client|list", "[TYPE (NORMAL | MASTER | REPLICA | PUBSUB)] [ID client-id [client-id ...]]", -2, A|L|S|NS, cAdmin|cSlow|cDangerous|cConnection, Keys(), SRV, CmdClientList, "connection", "2.4.0", "Lists open connections.", "O(N) where N is the number of client connections"},
  {"client|kill", "[ID client-id] [TYPE (NORMAL | MASTER | SLAVE | REPLICA | PUBSUB)] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME (YES | NO)] [MAXAGE maxage]", -3, A|L|S|NS, cAdmin|cSlow|cDangerous|cConnection, Keys(), SRV, CmdClientKill, "connection", "2.4.0", "Terminates open connections.", "O(N) where N is the number of client connections"},
  {"client|no-evict", "(ON | OFF)", 3, A|L|S|NS, cAdmin|cSlow|cDangerous|cConnection, Keys(), SRV, CmdClientNoEvict, "connection", "7.0.0", "Sets the client eviction mode of the connection.", "O(1)"},
  {"client|no-touch", "(ON | OFF)", 3, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientNoTouchMode, "connection", "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "O(1)"},
  {"client|reply", "(ON | OFF | SKIP)", 3, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientReply, "connection", "3.2.0", "Instructs the server whether to reply to commands.", "O(1)"},
  {"client|pause", "timeout [WRITE | ALL]", -3, A|L|S|NS, cAdmin|cSlow|cDangerous|cConnection, Keys(), SRV, CmdClientPause, "connection", "3.0.0", "Suspends commands processing.", "O(1)", {}, nullptr, kPauseHistory},
  {"client|unpause", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cConnection, Keys(), SRV, CmdClientUnpause, "connection", "6.2.0", "Resumes processing commands from paused clients.", "O(N) Where N is the number of paused clients"},
  {"client|unblock", "client-id [TIMEOUT | ERROR]", -3, A|L|S|NS, cAdmin|cSlow|cDangerous|cConnection, Keys(), SRV, CmdClientUnblock, "connection", "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", "O(log N) where N is the number of client connections"},
  {"client|getredir", "", 2, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientGetRedir, "connection", "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected.", "O(1)"},
  {"client|tracking", "(ON | OFF) [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]", -3, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientTracking, "connection", "6.0.0", "Controls server-assisted client-side caching for the connection.", "O(1). Some options may introduce additional complexity."},
  {"client|caching", "(YES | NO)", 3, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientCaching, "connection", "6.0.0", "Instructs the server whether to track the keys in the next request.", "O(1)"},
  {"client|trackinginfo", "", 2, L|S|NS, cSlow|cConnection, Keys(), NONE, CmdClientTrackingInfo, "connection", "6.2.0", "Returns information about server-assisted client-side caching for the connection.", "O(1)"},
  {"client|help", "", 2, L|S, cSlow|cConnection, Keys(), NONE, CmdClientHelp, "connection", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  // --- strings ---
  {"get", "key", 2, R|F, cRead|cString|cFast, Keys(Range(RO|AC, 1)), SESS, CmdGet, "string", "1.0.0", "Returns the string value of a key.", "O(1)"},
  {"set", "key value [NX | XX | IFEQ ifeq-value | IFNE ifne-value | IFDEQ ifdeq-digest | IFDNE ifdne-digest] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]", -3, W|D, cWrite|cString|cSlow, Keys(Range(RW|AC|UP|VAR, 1)), SESS, CmdSet, "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)", {}, SetKeyFlags},
  {"setnx", "key value", 3, W|D|F, cWrite|cString|cFast, Keys(Range(OW|IN, 1)), SESS, CmdSetNx, "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)"},
  {"setex", "key seconds value", 4, W|D, cWrite|cString|cSlow, Keys(Range(OW|UP, 1)), SESS, CmdSetEx, "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "O(1)"},
  {"psetex", "key milliseconds value", 4, W|D, cWrite|cString|cSlow, Keys(Range(OW|UP, 1)), SESS, CmdPSetEx, "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "O(1)"},
  {"getex", "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]", -2, W|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdGetEx, "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", "O(1)"},
  {"getdel", "key", 2, W|F, cWrite|cString|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdGetDel, "string", "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)"},
  {"getset", "key value", 3, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdGetSet, "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)"},
  {"mget", "key [key ...]", -2, R|F, cRead|cString|cFast, Keys(Range(RO|AC, 1, -1)), SESS, CmdMGet, "string", "1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve."},
  {"mset", "key value [key value ...]", -3, W|D, cWrite|cString|cSlow, Keys(Range(OW|UP, 1, -1, 2)), SESS, CmdMSet, "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set."},
  {"msetnx", "key value [key value ...]", -3, W|D, cWrite|cString|cSlow, Keys(Range(OW|IN, 1, -1, 2)), SESS, CmdMSetNx, "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set."},
  {"incr", "key", 2, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdIncr, "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"decr", "key", 2, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdDecr, "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"incrby", "key increment", 3, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdIncrBy, "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"decrby", "key decrement", 3, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdDecrBy, "string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"incrbyfloat", "key increment", 3, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdIncrByFloat, "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"append", "key value", 3, W|D|F, cWrite|cString|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdAppend, "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1)"},
  {"strlen", "key", 2, R|F, cRead|cString|cFast, Keys(Range(RO, 1)), SESS, CmdStrLen, "string", "2.2.0", "Returns the length of a string value.", "O(1)"},
  {"getrange", "key start end", 4, R, cRead|cString|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGetRange, "string", "2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string."},
  {"substr", "key start end", 4, R, cRead|cString|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGetRange, "string", "1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string."},
  {"setrange", "key offset value", 4, W|D, cWrite|cString|cSlow, Keys(Range(RW|AC|UP, 1)), SESS, CmdSetRange, "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1), not counting the time taken to copy the new string in place."},
  {"lcs", "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]", -3, R, cRead|cString|cSlow, Keys(Range(RO|AC, 1, 1)), SESS, CmdLcs, "string", "7.0.0", "Finds the longest common substring.", "O(N*M) where N and M are the lengths of s1 and s2, respectively"},
  {"digest", "key", 2, R|F, cRead|cString|cFast, Keys(Range(RO|AC, 1)), SESS, CmdDigest, "string", "8.4.0", "Returns the XXH3-64 digest of a string value as 16 hex digits.", "O(N) where N is the length of the value"},
  {"delex", "key [IFEQ ifeq-value | IFNE ifne-value | IFDEQ ifdeq-digest | IFDNE ifdne-digest]", -2, W|F, cWrite|cString|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdDelEx, "string", "8.4.0", "Conditionally removes a key based on its value or the digest of its value.", "O(1) for IFEQ/IFNE, O(N) for IFDEQ/IFDNE where N is the length of the value"},
  {"delifeq", "key value", 3, W|F, cWrite|cString|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdDelIfEq, "string", "9.0.0", "Removes a key if its value equals the given one (Valkey's DELIFEQ).", "O(1)"},
  {"msetex", "numkeys key value [key value ...] [NX | XX] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]", -4, W|D, cWrite|cString|cSlow, Keys(KeyNum(OW|UP, 1, 0, 1, 2)), SESS, CmdMSetEx, "string", "8.4.0", "Atomically sets several string keys with one optional shared expiration.", "O(N) where N is the number of keys to set"},
  // --- hashes (engine/hash_ops.h) ---
  {"hset", "key field value [field value ...]", -4, W|D|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHSet, "hash", "2.0.0", "Creates or modifies the value of a field in a hash.", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", {}, nullptr, kHSetHistory},
  {"hsetnx", "key field value", 4, W|D|F, cWrite|cHash|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdHSetNx, "hash", "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", "O(1)"},
  {"hmset", "key field value [field value ...]", -4, W|D|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHMSet, "hash", "2.0.0", "Sets the values of multiple fields.", "O(N) where N is the number of fields being set."},
  {"hget", "key field", 3, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHGet, "hash", "2.0.0", "Returns the value of a field in a hash.", "O(1)"},
  {"hmget", "key field [field ...]", -3, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHMGet, "hash", "2.0.0", "Returns the values of all fields in a hash.", "O(N) where N is the number of fields being requested."},
  {"hgetall", "key", 2, R, cRead|cHash|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdHGetAll, "hash", "2.0.0", "Returns all fields and values in a hash.", "O(N) where N is the size of the hash."},
  {"hkeys", "key", 2, R, cRead|cHash|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdHKeys, "hash", "2.0.0", "Returns all fields in a hash.", "O(N) where N is the size of the hash."},
  {"hvals", "key", 2, R, cRead|cHash|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdHVals, "hash", "2.0.0", "Returns all values in a hash.", "O(N) where N is the size of the hash."},
  {"hdel", "key field [field ...]", -3, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdHDel, "hash", "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "O(N) where N is the number of fields to be removed.", {}, nullptr, kHDelHistory},
  {"hexists", "key field", 3, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHExists, "hash", "2.0.0", "Determines whether a field exists in a hash.", "O(1)"},
  {"hlen", "key", 2, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHLen, "hash", "2.0.0", "Returns the number of fields in a hash.", "O(1)"},
  {"hstrlen", "key field", 3, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHStrLen, "hash", "3.2.0", "Returns the length of the value of a field.", "O(1)"},
  {"hincrby", "key field increment", 4, W|D|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHIncrBy, "hash", "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "O(1)"},
  {"hincrbyfloat", "key field increment", 4, W|D|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHIncrByFloat, "hash", "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "O(1)"},
  {"hrandfield", "key [count [WITHVALUES]]", -2, R, cRead|cHash|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdHRandField, "hash", "6.2.0", "Returns one or more random fields from a hash.", "O(N) where N is the number of fields returned"},
  {"hscan", "key cursor [MATCH pattern] [COUNT count] [NOVALUES]", -3, R, cRead|cHash|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdHScan, "hash", "2.8.0", "Iterates over fields and values of a hash.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", {}, nullptr, kHScanHistory},
  // --- hash field expiration (engine/hash_ttl.h) ---
  {"hexpire", "key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]", -6, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHExpire, "hash", "7.4.0", "Set expiry for hash field using relative time to expire (seconds)", "O(N) where N is the number of specified fields"},
  {"hpexpire", "key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]", -6, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHPExpire, "hash", "7.4.0", "Set expiry for hash field using relative time to expire (milliseconds)", "O(N) where N is the number of specified fields"},
  {"hexpireat", "key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]", -6, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHExpireAt, "hash", "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (seconds)", "O(N) where N is the number of specified fields"},
  {"hpexpireat", "key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]", -6, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHPExpireAt, "hash", "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", "O(N) where N is the number of specified fields"},
  {"httl", "key FIELDS numfields field [field ...]", -5, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHTtl, "hash", "7.4.0", "Returns the TTL in seconds of a hash field.", "O(N) where N is the number of specified fields"},
  {"hpttl", "key FIELDS numfields field [field ...]", -5, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHPTtl, "hash", "7.4.0", "Returns the TTL in milliseconds of a hash field.", "O(N) where N is the number of specified fields"},
  {"hexpiretime", "key FIELDS numfields field [field ...]", -5, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHExpireTime, "hash", "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in seconds.", "O(N) where N is the number of specified fields"},
  {"hpexpiretime", "key FIELDS numfields field [field ...]", -5, R|F, cRead|cHash|cFast, Keys(Range(RO|AC, 1)), SESS, CmdHPExpireTime, "hash", "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in msec.", "O(N) where N is the number of specified fields"},
  {"hpersist", "key FIELDS numfields field [field ...]", -5, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHPersist, "hash", "7.4.0", "Removes the expiration time for each specified field", "O(N) where N is the number of specified fields"},
  {"hgetex", "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] FIELDS numfields field [field ...]", -5, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHGetEx, "hash", "8.0.0", "Get the value of one or more fields of a given hash key, and optionally set their expiration.", "O(N) where N is the number of specified fields"},
  {"hsetex", "key [FNX | FXX] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] FIELDS numfields field value [field value ...]", -6, W|D|F, cWrite|cHash|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdHSetEx, "hash", "8.0.0", "Set the value of one or more fields of a given hash key, and optionally set their expiration.", "O(N) where N is the number of fields being set."},
  {"hgetdel", "key FIELDS numfields field [field ...]", -5, W|F, cWrite|cHash|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdHGetDel, "hash", "8.0.0", "Returns the value of a field and deletes it from the hash.", "O(N) where N is the number of specified fields"},
  // --- hyperloglog (engine/hyperloglog.h) ---
  {"pfadd", "key [element [element ...]]", -2, W|D|F, cWrite|cHll|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdPfAdd, "hyperloglog", "2.8.9", "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.", "O(1) to add every element."},
  {"pfcount", "key [key ...]", -2, R|kMayReplicate, cRead|cHll|cSlow, Keys(Range(RW|AC, 1, -1)), SESS, CmdPfCount, "hyperloglog", "2.8.9", "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys."},
  {"pfmerge", "destkey [sourcekey [sourcekey ...]]", -2, W|D, cWrite|cHll|cSlow, Keys(Range(RW|AC|IN, 1), Range(RO|AC, 2, -1)), SESS, CmdPfMerge, "hyperloglog", "2.8.9", "Merges one or more HyperLogLog values into a single key.", "O(N) to merge N HyperLogLogs, but with high constant times."},
  {"pfdebug", "subcommand key", 3, W|D|A, cWrite|cHll|cAdmin|cSlow|cDangerous, Keys(Range(RW|AC, 2)), SRV, CmdPfDebug, "hyperloglog", "2.8.9", "Internal commands for debugging HyperLogLog values.", "N/A"},
  {"pfselftest", "", 1, A, cHll|cAdmin|cSlow|cDangerous, Keys(), SRV, CmdPfSelfTest, "hyperloglog", "2.8.9", "An internal command for testing HyperLogLog values.", "N/A"},
  // --- bitmaps ---
  {"setbit", "key offset value", 4, W|D, cWrite|cBitmap|cSlow, Keys(Range(RW|AC|UP, 1)), SESS, CmdSetBit, "bitmap", "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", "O(1)"},
  {"getbit", "key offset", 3, R|F, cRead|cBitmap|cFast, Keys(Range(RO|AC, 1)), SESS, CmdGetBit, "bitmap", "2.2.0", "Returns a bit value by offset.", "O(1)"},
  {"bitcount", "key [start end [BYTE | BIT]]", -2, R, cRead|cBitmap|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdBitCount, "bitmap", "2.6.0", "Counts the number of set bits (population counting) in a string.", "O(N)", {}, nullptr, kBitRangeHistory},
  {"bitpos", "key bit [start [end [BYTE | BIT]]]", -3, R, cRead|cBitmap|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdBitPos, "bitmap", "2.8.7", "Finds the first set (1) or clear (0) bit in a string.", "O(N)", {}, nullptr, kBitRangeHistory},
  {"bitop", "(AND | OR | XOR | NOT) destkey key [key ...]", -4, W|D, cWrite|cBitmap|cSlow, Keys(Range(OW|UP, 2), Range(RO|AC, 3, -1)), SESS, CmdBitOp, "bitmap", "2.6.0", "Performs bitwise operations on multiple strings, and stores the result.", "O(N)"},
  {"bitfield", "key [(GET encoding offset | [OVERFLOW (WRAP | SAT | FAIL)] (SET encoding offset value | INCRBY encoding offset increment)) ...]", -2, W|D, cWrite|cBitmap|cSlow, Keys(Range(RW|AC|UP|VAR, 1)), SESS, CmdBitField, "bitmap", "3.2.0", "Performs arbitrary bitfield integer operations on strings.", "O(1) for each subcommand specified", {}, BitfieldKeyFlags},
  {"bitfield_ro", "key [GET encoding offset [GET encoding offset ...]]", -2, R|F, cRead|cBitmap|cFast, Keys(Range(RO|AC, 1)), SESS, CmdBitFieldRo, "bitmap", "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.", "O(1) for each subcommand specified"},
  // --- sets (engine/set_ops.h) ---
  {"sadd", "key member [member ...]", -3, W|D|F, cWrite|cSet|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdSAdd, "set", "1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", {}, nullptr, kMultiMemberHistory},
  {"srem", "key member [member ...]", -3, W|F, cWrite|cSet|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdSRem, "set", "1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed.", "O(N) where N is the number of members to be removed.", {}, nullptr, kMultiMemberHistory},
  {"sismember", "key member", 3, R|F, cRead|cSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdSIsMember, "set", "1.0.0", "Determines whether a member belongs to a set.", "O(1)"},
  {"smismember", "key member [member ...]", -3, R|F, cRead|cSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdSMIsMember, "set", "6.2.0", "Determines whether multiple members belong to a set.", "O(N) where N is the number of elements being checked for membership"},
  {"smembers", "key", 2, R, cRead|cSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdSMembers, "set", "1.0.0", "Returns all members of a set.", "O(N) where N is the set cardinality."},
  {"scard", "key", 2, R|F, cRead|cSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdSCard, "set", "1.0.0", "Returns the number of members in a set.", "O(1)"},
  {"spop", "key [count]", -2, W|F, cWrite|cSet|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdSPop, "set", "1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", {}, nullptr, kSPopHistory},
  {"srandmember", "key [count]", -2, R, cRead|cSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdSRandMember, "set", "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", {}, nullptr, kSRandMemberHistory},
  {"smove", "source destination member", 4, W|F, cWrite|cSet|cFast, Keys(Range(RW|AC|DE, 1), Range(RW|AC|IN, 2)), SESS, CmdSMove, "set", "1.0.0", "Moves a member from one set to another.", "O(1)"},
  {"sinter", "key [key ...]", -2, R, cRead|cSet|cSlow, Keys(Range(RO|AC, 1, -1)), SESS, CmdSInter, "set", "1.0.0", "Returns the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."},
  {"sintercard", "numkeys key [key ...] [LIMIT limit]", -3, R, cRead|cSet|cSlow, Keys(KeyNum(RO|AC, 1, 0, 1, 1)), SESS, CmdSInterCard, "set", "7.0.0", "Returns the number of members of the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."},
  {"sinterstore", "destination key [key ...]", -3, W|D, cWrite|cSet|cSlow, Keys(Range(RW|UP, 1), Range(RO|AC, 2, -1)), SESS, CmdSInterStore, "set", "1.0.0", "Stores the intersect of multiple sets in a key.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."},
  {"sunion", "key [key ...]", -2, R, cRead|cSet|cSlow, Keys(Range(RO|AC, 1, -1)), SESS, CmdSUnion, "set", "1.0.0", "Returns the union of multiple sets.", "O(N) where N is the total number of elements in all given sets."},
  {"sunionstore", "destination key [key ...]", -3, W|D, cWrite|cSet|cSlow, Keys(Range(OW|UP, 1), Range(RO|AC, 2, -1)), SESS, CmdSUnionStore, "set", "1.0.0", "Stores the union of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets."},
  {"sdiff", "key [key ...]", -2, R, cRead|cSet|cSlow, Keys(Range(RO|AC, 1, -1)), SESS, CmdSDiff, "set", "1.0.0", "Returns the difference of multiple sets.", "O(N) where N is the total number of elements in all given sets."},
  {"sdiffstore", "destination key [key ...]", -3, W|D, cWrite|cSet|cSlow, Keys(Range(OW|UP, 1), Range(RO|AC, 2, -1)), SESS, CmdSDiffStore, "set", "1.0.0", "Stores the difference of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets."},
  {"sscan", "key cursor [MATCH pattern] [COUNT count]", -3, R, cRead|cSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdSScan, "set", "2.8.0", "Iterates over members of a set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."},
  // Lists (list_commands.cc; the blocking forms are elsewhere).
  {"lpush", "key element [element ...]", -3, W|D|F, cWrite|kCatList|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdLPush, "list", "1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", {}, nullptr, kPushHistory},
  {"rpush", "key element [element ...]", -3, W|D|F, cWrite|kCatList|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdRPush, "list", "1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", {}, nullptr, kPushHistory},
  {"lpushx", "key element [element ...]", -3, W|D|F, cWrite|kCatList|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdLPushX, "list", "2.2.0", "Prepends one or more elements to a list only when the list exists.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", {}, nullptr, kPushXHistory},
  {"rpushx", "key element [element ...]", -3, W|D|F, cWrite|kCatList|cFast, Keys(Range(RW|AC|IN, 1)), SESS, CmdRPushX, "list", "2.2.0", "Appends an element to a list only when the list exists.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", {}, nullptr, kPushXHistory},
  {"lpop", "key [count]", -2, W|F, cWrite|kCatList|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdLPop, "list", "1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", "O(N) where N is the number of elements returned", {}, nullptr, kPopHistory},
  {"rpop", "key [count]", -2, W|F, cWrite|kCatList|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdRPop, "list", "1.0.0", "Returns and removes the last elements of the list. Deletes the list if the last element was popped.", "O(N) where N is the number of elements returned", {}, nullptr, kPopHistory},
  {"llen", "key", 2, R|F, cRead|kCatList|cFast, Keys(Range(RO|AC, 1)), SESS, CmdLLen, "list", "1.0.0", "Returns the length of a list.", "O(1)"},
  {"lrange", "key start stop", 4, R, cRead|kCatList|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdLRange, "list", "1.0.0", "Returns a range of elements from a list.", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range."},
  {"lindex", "key index", 3, R, cRead|kCatList|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdLIndex, "list", "1.0.0", "Returns an element from a list by its index.", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)."},
  {"lset", "key index element", 4, W|D, cWrite|kCatList|cSlow, Keys(Range(RW|AC|UP, 1)), SESS, CmdLSet, "list", "1.0.0", "Sets the value of an element in a list by its index.", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1)."},
  {"linsert", "key (BEFORE | AFTER) pivot element", 5, W|D, cWrite|kCatList|cSlow, Keys(Range(RW|AC|IN, 1)), SESS, CmdLInsert, "list", "2.2.0", "Inserts an element before or after another element in a list.", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N)."},
  {"lrem", "key count element", 4, W, cWrite|kCatList|cSlow, Keys(Range(RW|AC|DE, 1)), SESS, CmdLRem, "list", "1.0.0", "Removes elements from a list. Deletes the list if the last element was removed.", "O(N+M) where N is the length of the list and M is the number of elements removed."},
  {"ltrim", "key start stop", 4, W, cWrite|kCatList|cSlow, Keys(Range(RW|AC|DE, 1)), SESS, CmdLTrim, "list", "1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", "O(N) where N is the number of elements to be removed by the operation."},
  {"lpos", "key element [RANK rank] [COUNT num-matches] [MAXLEN len]", -3, R, cRead|kCatList|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdLPos, "list", "6.0.6", "Returns the index of matching elements in a list.", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time."},
  {"lmove", "source destination (LEFT | RIGHT) (LEFT | RIGHT)", 5, W|D, cWrite|kCatList|cSlow, Keys(Range(RW|AC|DE, 1), Range(RW|AC|IN, 2)), SESS, CmdLMove, "list", "6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", "O(1)"},
  {"rpoplpush", "source destination", 3, W|D, cWrite|kCatList|cSlow, Keys(Range(RW|AC|DE, 1), Range(RW|AC|IN, 2)), SESS, CmdRPopLPush, "list", "1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", "O(1)"},
  {"lmpop", "numkeys key [key ...] (LEFT | RIGHT) [COUNT count]", -4, W, cWrite|kCatList|cSlow, Keys(KeyNum(RW|AC|DE, 1, 0, 1, 1)), SESS, CmdLMPop, "list", "7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", "O(N+M) where N is the number of provided keys and M is the number of elements returned."},
  // --- keys ---
  {"del", "key [key ...]", -2, W, cKeyspace|cWrite|cSlow, Keys(Range(RM|DE, 1, -1)), SESS, CmdDel, "generic", "1.0.0", "Deletes one or more keys.", "O(N) where N is the number of keys that will be removed."},
  {"unlink", "key [key ...]", -2, W|F, cKeyspace|cWrite|cFast, Keys(Range(RM|DE, 1, -1)), SESS, CmdUnlink, "generic", "4.0.0", "Asynchronously deletes one or more keys.", "O(1) for each key removed regardless of its size."},
  {"exists", "key [key ...]", -2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1, -1)), SESS, CmdExists, "generic", "1.0.0", "Determines whether one or more keys exist.", "O(N) where N is the number of keys to check."},
  {"type", "key", 2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1)), SESS, CmdType, "generic", "1.0.0", "Determines the type of value stored at a key.", "O(1)"},
  {"keys", "pattern", 2, R, cKeyspace|cRead|cSlow|cDangerous, Keys(), SESS, CmdKeys, "generic", "1.0.0", "Returns all key names that match a pattern.", "O(N) with N being the number of keys in the database"},
  {"scan", "cursor [MATCH pattern] [COUNT count] [TYPE type]", -2, R, cKeyspace|cRead|cSlow, Keys(), SESS, CmdScan, "generic", "2.8.0", "Iterates over the key names in the database.", "O(1) for every call. O(N) for a complete iteration."},
  {"rename", "key newkey", 3, W, cKeyspace|cWrite|cSlow, Keys(Range(RW|AC|DE, 1), Range(OW|UP, 2)), SESS, CmdRename, "generic", "1.0.0", "Renames a key and overwrites the destination.", "O(1)"},
  {"renamenx", "key newkey", 3, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|AC|DE, 1), Range(OW|IN, 2)), SESS, CmdRenameNx, "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", "O(1)"},
  {"dump", "key", 2, R, cKeyspace|cRead|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdDump, "generic", "2.6.0", "Returns a serialized representation of the value stored at a key.", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."},
  {"restore", "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]", -4, W|D, cKeyspace|cWrite|cSlow|cDangerous, Keys(Range(OW|UP, 1)), SESS, CmdRestore, "generic", "2.6.0", "Creates a key from the serialized representation of a value.", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."},
  {"copy", "source destination [DB destination-db] [REPLACE]", -3, W|D, cKeyspace|cWrite|cSlow, Keys(Range(RO|AC, 1), Range(OW|UP, 2)), TARGET, CmdCopy, "generic", "6.2.0", "Copies the value of a key to a new key.", "O(N) worst case for collections"},
  {"move", "key db", 3, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|AC|UP, 1)), TARGET, CmdMove, "generic", "1.0.0", "Moves a key to another database.", "O(1)"},
  {"randomkey", "", 1, R, cKeyspace|cRead|cSlow, Keys(), SESS, CmdRandomKey, "generic", "1.0.0", "Returns a random key name from the database.", "O(1)"},
  {"touch", "key [key ...]", -2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1, -1)), SESS, CmdTouchKeys, "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "O(N) where N is the number of keys that will be touched."},
  {"object", "", -2, 0, cSlow, Keys(), NONE, nullptr, "generic", "2.2.3", "A container for object introspection commands.", "Depends on subcommand."},
  {"object|encoding", "key", 3, R, cKeyspace|cRead|cSlow, Keys(Range(RO|AC, 2)), SESS, CmdObjectEncoding, "generic", "2.2.3", "Returns the internal encoding of a Redis object.", "O(1)"},
  {"object|refcount", "key", 3, R, cKeyspace|cRead|cSlow, Keys(Range(RO|AC, 2)), SESS, CmdObjectRefcount, "generic", "2.2.3", "Returns the reference count of a value of a key.", "O(1)"},
  {"object|idletime", "key", 3, R, cKeyspace|cRead|cSlow, Keys(Range(RO, 2)), SESS, CmdObjectIdletime, "generic", "2.2.3", "Returns the time since the last access to a Redis object.", "O(1)"},
  {"object|freq", "key", 3, R, cKeyspace|cRead|cSlow, Keys(Range(RO, 2)), SESS, CmdObjectFreq, "generic", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", "O(1)"},
  {"object|help", "", 2, L|S, cKeyspace|cSlow, Keys(), NONE, CmdObjectHelp, "generic", "6.2.0", "Returns helpful text about the different subcommands.", "O(1)"},
  // --- expiry ---
  {"expire", "key seconds [NX | XX | GT | LT]", -3, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|UP, 1)), SESS, CmdExpire, "generic", "1.0.0", "Sets the expiration time of a key in seconds.", "O(1)"},
  {"pexpire", "key milliseconds [NX | XX | GT | LT]", -3, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|UP, 1)), SESS, CmdPExpire, "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", "O(1)"},
  {"expireat", "key unix-time-seconds [NX | XX | GT | LT]", -3, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|UP, 1)), SESS, CmdExpireAt, "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", "O(1)"},
  {"pexpireat", "key unix-time-milliseconds [NX | XX | GT | LT]", -3, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|UP, 1)), SESS, CmdPExpireAt, "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "O(1)"},
  {"ttl", "key", 2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1)), SESS, CmdTtl, "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "O(1)"},
  {"pttl", "key", 2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1)), SESS, CmdPTtl, "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "O(1)"},
  {"expiretime", "key", 2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1)), SESS, CmdExpireTime, "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", "O(1)"},
  {"pexpiretime", "key", 2, R|F, cKeyspace|cRead|cFast, Keys(Range(RO, 1)), SESS, CmdPExpireTime, "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "O(1)"},
  {"persist", "key", 2, W|F, cKeyspace|cWrite|cFast, Keys(Range(RW|UP, 1)), SESS, CmdPersist, "generic", "2.2.0", "Removes the expiration time of a key.", "O(1)"},
  // --- hierarchical keys (KV.*) ---
  {"kv.keys", "pattern [NOCASE] [LIMIT limit]", -2, R, cRead|cSlow|cDangerous|cKv, Keys(), SESS, CmdKvKeys, "kv", "0.1.0", "Returns the keys matching a hierarchical pattern, in byte order.", "O(K + M) where K is the number of keys under the pattern's literal prefix and M the keys returned"},
  {"kv.count", "pattern [NOCASE]", -2, R, cRead|cSlow|cKv, Keys(), SESS, CmdKvCount, "kv", "0.1.0", "Counts the keys matching a hierarchical pattern.", "O(L) for a subtree pattern (prefix followed by **), L the prefix length; otherwise O(K) for the keys under the literal prefix"},
  {"kv.mget", "pattern [NOCASE] [LIMIT limit]", -2, R, cRead|cSlow|cKv, Keys(), SESS, CmdKvMGet, "kv", "0.1.0", "Returns the keys matching a hierarchical pattern with their values (a map in RESP3).", "O(K + M) where K is the number of keys under the pattern's literal prefix and M the pairs returned"},
  {"kv.del", "pattern [NOCASE]", -2, W, cWrite|cSlow|cDangerous|cKv, Keys(), SESS, CmdKvDel, "kv", "0.1.0", "Deletes the keys matching a hierarchical pattern; a subtree goes atomically at once.", "O(L) for a subtree pattern (its memory is freed in the background); otherwise O(K) for the keys under the literal prefix"},
  {"kv.scan", "cursor [MATCH pattern] [COUNT count]", -2, R, cRead|cSlow|cKv, Keys(), SESS, CmdKvScan, "kv", "0.1.0", "Iterates over the keys matching a hierarchical pattern, in byte order.", "O(COUNT) per call"},
  {"kv.tree", "prefix [DEPTH depth]", -2, R, cRead|cSlow|cKv, Keys(), SESS, CmdKvTree, "kv", "0.1.0", "Lists the child paths of a path with the number of keys below each.", "O(C x L) for C children of length L, independent of subtree sizes"},
  {"kv.set", "key value [TYPE type] [META field value [field value ...]] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] [NX | XX] [IFVERSION version]", -3, W|D, cWrite|cSlow|cKv, Keys(Range(OW|UP, 1)), SESS, CmdKvSet, "kv", "0.1.0", "Sets a value with its type and user metadata, optionally only at a given version.", "O(1)"},
  {"kv.get", "key", 2, R|F, cRead|cFast|cKv, Keys(Range(RO|AC, 1)), SESS, CmdKvGet, "kv", "0.1.0", "Returns a key's value with its type and metadata.", "O(N) for the checksum of an N-byte value"},
  {"kv.meta", "key", 2, R|F, cRead|cFast|cKv, Keys(Range(RO|AC, 1)), SESS, CmdKvMeta, "kv", "0.1.0", "Returns a key's type and metadata without the value.", "O(N) for the checksum of an N-byte value"},
  {"kv.setmeta", "key field value [field value ...]", -4, W|F, cWrite|cFast|cKv, Keys(Range(RW|UP, 1)), SESS, CmdKvSetMeta, "kv", "0.1.0", "Sets user metadata fields of a key (content_type sets the content type).", "O(F) for F fields"},
  {"kv.delmeta", "key field [field ...]", -3, W|F, cWrite|cFast|cKv, Keys(Range(RW|UP, 1)), SESS, CmdKvDelMeta, "kv", "0.1.0", "Removes user metadata fields of a key.", "O(F) for F fields"},
  {"kv.cas", "key expected new [EX seconds | PX milliseconds | KEEPTTL]", -4, W|D|F, cWrite|cFast|cKv, Keys(Range(RW|AC|UP, 1)), SESS, CmdKvCas, "kv", "0.1.0", "Replaces a value only if it equals the expected one.", "O(N) for comparing an N-byte value"},
  {"kv.cleanup", "", 1, W, cWrite|cSlow|cKv, Keys(), SRV, CmdKvCleanup, "kv", "0.1.0", "Removes every key whose TTL has passed, now.", "O(E log N) for E expired keys"},
  {"kv.export", "pattern", 2, R, cRead|cSlow|cKv, Keys(), SESS, CmdKvExport, "kv", "0.1.0", "Exports the keys matching a pattern as one nested JSON document.", "O(K) for the keys under the pattern's literal prefix"},
  {"kv.import", "prefix json [EX seconds]", -3, W|D, cWrite|cSlow|cKv, Keys(), SESS, CmdKvImport, "kv", "0.1.0", "Imports a JSON object as dotted keys under a prefix, all or nothing.", "O(N) for N leaves of the document"},
  {"kv.namespaces", "", 1, R, cRead|cSlow|cKv, Keys(), OWN, CmdKvNamespaces, "kv", "0.1.0", "Lists the namespaces with their key counts.", "O(namespaces)"},
  // --- transactions ---
  {"multi", "", 1, F|L|S|NS|kAllowBusy|kNotQueued, cFast|cTransaction, Keys(), NONE, CmdMulti, "transactions", "1.2.0", "Starts a transaction.", "O(1)"},
  {"exec", "", 1, L|S|NS|kSkipSlowlog|kRunsQueued|kNotQueued, cSlow|cTransaction, Keys(), QUEUED, CmdExec, "transactions", "1.2.0", "Executes all commands in a transaction.", "Depends on commands in the transaction"},
  {"discard", "", 1, F|L|S|NS|kAllowBusy|kNotQueued, cFast|cTransaction, Keys(), NONE, CmdDiscard, "transactions", "2.0.0", "Discards a transaction.", "O(N), when N is the number of queued commands"},
  {"watch", "key [key ...]", -2, F|L|S|NS|kAllowBusy|kNotQueued, cFast|cTransaction, Keys(Range(RO, 1, -1)), SESS, CmdWatch, "transactions", "2.2.0", "Monitors changes to keys to determine the execution of a transaction.", "O(1) for every key."},
  {"unwatch", "", 1, F|L|S|NS|kAllowBusy, cFast|cTransaction, Keys(), NONE, CmdUnwatch, "transactions", "2.2.0", "Forgets about watched keys of a transaction.", "O(1)"},
  // --- server ---
  {"dbsize", "", 1, R|F, cKeyspace|cRead|cFast|cServer, Keys(), SESS, CmdDbSize, "server", "1.0.0", "Returns the number of keys in the database.", "O(1)"},
  {"flushdb", "[ASYNC | SYNC]", -1, W, cKeyspace|cWrite|cSlow|cDangerous|cServer, Keys(), SESS, CmdFlushDb, "server", "1.0.0", "Removes all keys from the current database.", "O(N) where N is the number of keys in the selected database"},
  {"flushall", "[ASYNC | SYNC]", -1, W, cKeyspace|cWrite|cSlow|cDangerous|cServer, Keys(), SRV, CmdFlushAll, "server", "1.0.0", "Removes all keys from all databases.", "O(N) where N is the total number of keys in all databases"},
  {"swapdb", "index1 index2", 3, W|F, cKeyspace|cWrite|cFast|cDangerous|cServer, Keys(), SRV, CmdSwapDb, "server", "4.0.0", "Swaps two Redis databases.", "O(N) where N is the count of clients watching or blocking on keys from both databases."},
  {"subscribe", "channel [channel ...]", -2, P|NS|L|S, cPubSub|cSlow, Keys(), SESS, CmdSubscribe, "pubsub", "2.0.0", "Listens for messages published to channels.", "O(N) where N is the number of channels to subscribe to.", {}, nullptr, {}, nullptr, kChanAll},
  {"unsubscribe", "[channel [channel ...]]", -1, P|NS|L|S, cPubSub|cSlow, Keys(), SESS, CmdUnsubscribe, "pubsub", "2.0.0", "Stops listening to messages posted to channels.", "O(N) where N is the number of channels to unsubscribe."},
  {"psubscribe", "pattern [pattern ...]", -2, P|NS|L|S, cPubSub|cSlow, Keys(), SESS, CmdPsubscribe, "pubsub", "2.0.0", "Listens for messages published to channels that match one or more patterns.", "O(N) where N is the number of patterns to subscribe to.", {}, nullptr, {}, nullptr, kChanPatterns},
  {"punsubscribe", "[pattern [pattern ...]]", -1, P|NS|L|S, cPubSub|cSlow, Keys(), SESS, CmdPunsubscribe, "pubsub", "2.0.0", "Stops listening to messages published to channels that match one or more patterns.", "O(N) where N is the number of patterns to unsubscribe."},
  {"publish", "channel message", 3, P|L|S|F|kMayReplicate, cPubSub|cFast, Keys(), SESS, CmdPublish, "pubsub", "2.0.0", "Posts a message to a channel.", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", {}, nullptr, {}, nullptr, kChanFirst},
  {"ssubscribe", "shardchannel [shardchannel ...]", -2, P|NS|L|S, cPubSub|cSlow, Keys(Range(NK, 1, -1)), SESS, CmdSsubscribe, "pubsub", "7.0.0", "Listens for messages published to shard channels.", "O(N) where N is the number of shard channels to subscribe to.", {}, nullptr, {}, nullptr, kChanAll},
  {"sunsubscribe", "[shardchannel [shardchannel ...]]", -1, P|NS|L|S, cPubSub|cSlow, Keys(Range(NK, 1, -1)), SESS, CmdSunsubscribe, "pubsub", "7.0.0", "Stops listening to messages posted to shard channels.", "O(N) where N is the number of shard channels to unsubscribe."},
  {"spublish", "shardchannel message", 3, P|L|S|F|kMayReplicate, cPubSub|cFast, Keys(Range(NK, 1)), SESS, CmdSpublish, "pubsub", "7.0.0", "Post a message to a shard channel", "O(N) where N is the number of clients subscribed to the receiving shard channel.", {}, nullptr, {}, nullptr, kChanFirst},
  {"pubsub", "", -2, 0, cSlow, Keys(), NONE, nullptr, "pubsub", "2.8.0", "A container for Pub/Sub commands.", "Depends on subcommand."},
  {"pubsub|channels", "[pattern]", -2, P|L|S, cPubSub|cSlow, Keys(), SESS, CmdPubsubChannels, "pubsub", "2.8.0", "Returns the active channels.", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)"},
  {"pubsub|numsub", "[channel [channel ...]]", -2, P|L|S, cPubSub|cSlow, Keys(), SESS, CmdPubsubNumSub, "pubsub", "2.8.0", "Returns a count of subscribers to channels.", "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
  {"pubsub|numpat", "", 2, P|L|S, cPubSub|cSlow, Keys(), SESS, CmdPubsubNumPat, "pubsub", "2.8.0", "Returns a count of unique pattern subscriptions.", "O(1)"},
  {"pubsub|shardchannels", "[pattern]", -2, P|L|S, cPubSub|cSlow, Keys(), SESS, CmdPubsubShardChannels, "pubsub", "7.0.0", "Returns the active shard channels.", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels)."},
  {"pubsub|shardnumsub", "[shardchannel [shardchannel ...]]", -2, P|L|S, cPubSub|cSlow, Keys(), SESS, CmdPubsubShardNumSub, "pubsub", "7.0.0", "Returns the count of subscribers of shard channels.", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"},
  {"pubsub|help", "", 2, L|S, cSlow, Keys(), NONE, CmdPubsubHelp, "pubsub", "6.2.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"config", "", -2, 0, cSlow|cServer, Keys(), SRV, nullptr, "server", "2.0.0", "A container for server configuration commands.", "Depends on subcommand."},
  {"config|get", "parameter [parameter ...]", -3, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdConfigGet, "server", "2.0.0", "Returns the effective values of configuration parameters.", "O(N) when N is the number of configuration parameters provided"},
  {"config|set", "parameter value [parameter value ...]", -4, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdConfigSet, "server", "2.0.0", "Sets configuration parameters in-flight.", "O(N) when N is the number of configuration parameters provided", kSecretRequirepass},
  {"config|resetstat", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdConfigResetStat, "server", "2.0.0", "Resets the server's statistics.", "O(1)"},
  {"config|rewrite", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdConfigRewrite, "server", "2.8.0", "Persists the effective configuration to file.", "O(1)"},
  {"config|help", "", 2, L|S, cSlow|cServer, Keys(), SRV, CmdConfigHelp, "server", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"command", "", -1, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommand, "server", "2.8.13", "Returns detailed information about all commands.", "O(N) where N is the total number of Redis commands"},
  {"command|count", "", 2, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandCount, "server", "2.8.13", "Returns a count of commands.", "O(1)"},
  {"command|info", "[command-name [command-name ...]]", -2, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandInfo, "server", "2.8.13", "Returns information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"},
  {"command|docs", "[command-name [command-name ...]]", -2, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandDocs, "server", "7.0.0", "Returns documentary information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"},
  {"command|list", "[FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]", -2, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandList, "server", "7.0.0", "Returns a list of command names.", "O(N) where N is the total number of Redis commands"},
  {"command|getkeys", "command [arg [arg ...]]", -4, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandGetKeys, "server", "2.8.13", "Extracts the key names from an arbitrary command.", "O(N) where N is the number of arguments to the command"},
  {"command|getkeysandflags", "command [arg [arg ...]]", -4, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandGetKeysAndFlags, "server", "7.0.0", "Extracts the key names and access flags for an arbitrary command.", "O(N) where N is the number of arguments to the command"},
  {"command|help", "", 2, L|S, cSlow|cConnection|cServer, Keys(), NONE, CmdCommandHelp, "server", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"time", "", 1, F|L|S, cFast|cServer, Keys(), NONE, CmdTime, "server", "2.6.0", "Returns the server time.", "O(1)"},
  {"lolwut", "[VERSION version]", -1, R|F, cRead|cFast, Keys(), NONE, CmdLolwut, "server", "5.0.0", "Displays computer art and the Redis version.", ""},
  // --- scripting ---
  {"eval", "script numkeys [key [key ...]] [arg [arg ...]]", -3, S|NS|kSkipMonitor|kNoMandatoryKeys|kMayReplicate, cSlow|cScripting, Keys(KeyNum(RW|AC|UP, 2, 0, 1, 1)), SCRIPT, CmdEval, "scripting", "2.6.0", "Executes a server-side Lua script.", "Depends on the script that is executed."},
  {"evalsha", "sha1 numkeys [key [key ...]] [arg [arg ...]]", -3, S|NS|kSkipMonitor|kNoMandatoryKeys|kMayReplicate, cSlow|cScripting, Keys(KeyNum(RW|AC|UP, 2, 0, 1, 1)), SCRIPT, CmdEvalSha, "scripting", "2.6.0", "Executes a server-side Lua script by SHA1 digest.", "Depends on the script that is executed."},
  {"eval_ro", "script numkeys [key [key ...]] [arg [arg ...]]", -3, R|S|NS|kSkipMonitor|kNoMandatoryKeys, cSlow|cScripting, Keys(KeyNum(RO|AC, 2, 0, 1, 1)), SCRIPT, CmdEvalRo, "scripting", "7.0.0", "Executes a read-only server-side Lua script.", "Depends on the script that is executed."},
  {"evalsha_ro", "sha1 numkeys [key [key ...]] [arg [arg ...]]", -3, R|S|NS|kSkipMonitor|kNoMandatoryKeys, cSlow|cScripting, Keys(KeyNum(RO|AC, 2, 0, 1, 1)), SCRIPT, CmdEvalShaRo, "scripting", "7.0.0", "Executes a read-only server-side Lua script by SHA1 digest.", "Depends on the script that is executed."},
  {"script", "", -2, 0, cSlow, Keys(), NONE, nullptr, "scripting", "2.6.0", "A container for Lua scripts management commands.", "Depends on subcommand."},
  {"script|exists", "sha1 [sha1 ...]", -3, NS, cSlow|cScripting, Keys(), NONE, CmdScriptExists, "scripting", "2.6.0", "Determines whether server-side Lua scripts exist in the script cache.", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation)."},
  {"script|flush", "[ASYNC | SYNC]", -2, NS, cSlow|cScripting, Keys(), SRV, CmdScriptFlush, "scripting", "2.6.0", "Removes all server-side Lua scripts from the script cache.", "O(N) with N being the number of scripts in cache"},
  {"script|help", "", 2, L|S, cSlow|cScripting, Keys(), NONE, CmdScriptHelp, "scripting", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"script|kill", "", 2, NS|kAllowBusy, cSlow|cScripting, Keys(), SRV, CmdScriptKill, "scripting", "2.6.0", "Terminates a server-side Lua script during execution.", "O(1)"},
  {"script|load", "script", 3, NS|S, cSlow|cScripting, Keys(), NONE, CmdScriptLoad, "scripting", "2.6.0", "Loads a server-side Lua script to the script cache.", "O(N) with N being the length in bytes of the script body."},
  {"fcall", "function numkeys [key [key ...]] [arg [arg ...]]", -3, S|NS|kSkipMonitor|kNoMandatoryKeys|kMayReplicate, cSlow|cScripting, Keys(KeyNum(RW|AC|UP, 2, 0, 1, 1)), SCRIPT, CmdFcall, "scripting", "7.0.0", "Invokes a function.", "Depends on the function that is executed."},
  {"fcall_ro", "function numkeys [key [key ...]] [arg [arg ...]]", -3, R|S|NS|kSkipMonitor|kNoMandatoryKeys, cSlow|cScripting, Keys(KeyNum(RO|AC, 2, 0, 1, 1)), SCRIPT, CmdFcallRo, "scripting", "7.0.0", "Invokes a read-only function.", "Depends on the function that is executed."},
  {"function", "", -2, S, cSlow, Keys(), NONE, nullptr, "scripting", "7.0.0", "A container for function commands.", "Depends on subcommand."},
  {"function|delete", "library-name", 3, W|NS, cWrite|cSlow|cScripting, Keys(), SRV, CmdFunctionDelete, "scripting", "7.0.0", "Deletes a library and its functions.", "O(1)"},
  {"function|dump", "", 2, NS, cSlow|cScripting, Keys(), NONE, CmdFunctionDump, "scripting", "7.0.0", "Dumps all libraries into a serialized binary payload.", "O(N) where N is the number of functions"},
  {"function|flush", "[ASYNC | SYNC]", -2, W|NS, cWrite|cSlow|cScripting, Keys(), SRV, CmdFunctionFlush, "scripting", "7.0.0", "Deletes all libraries and functions.", "O(N) where N is the number of functions deleted"},
  {"function|help", "", 2, L|S, cSlow|cScripting, Keys(), NONE, CmdFunctionHelp, "scripting", "7.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"function|kill", "", 2, NS|kAllowBusy, cSlow|cScripting, Keys(), SRV, CmdFunctionKill, "scripting", "7.0.0", "Terminates a function during execution.", "O(1)"},
  {"function|list", "[LIBRARYNAME library-name-pattern] [WITHCODE]", -2, NS, cSlow|cScripting, Keys(), NONE, CmdFunctionList, "scripting", "7.0.0", "Returns information about all libraries.", "O(N) where N is the number of functions"},
  {"function|load", "[REPLACE] function-code", -3, W|D|NS, cWrite|cSlow|cScripting, Keys(), SRV, CmdFunctionLoad, "scripting", "7.0.0", "Creates a library.", "O(1) (considering compilation time is redundant)"},
  {"function|restore", "serialized-value [FLUSH | APPEND | REPLACE]", -3, W|D|NS, cWrite|cSlow|cScripting, Keys(), SRV, CmdFunctionRestore, "scripting", "7.0.0", "Restores all libraries from a payload.", "O(N) where N is the number of functions on the payload"},
  {"function|stats", "", 2, NS|kAllowBusy, cSlow|cScripting, Keys(), NONE, CmdFunctionStats, "scripting", "7.0.0", "Returns information about a function during execution.", "O(1)"},
  {"save", "", 1, A|NM|NS|kNoAsyncLoading, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdSave, "server", "1.0.0", "Synchronously saves the database(s) to disk.", "O(N) where N is the total number of keys in all databases"},
  {"bgsave", "[SCHEDULE]", -1, A|NS|kNoAsyncLoading, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdBgSave, "server", "1.0.0", "Asynchronously saves the database(s) to disk.", "O(1)"},
  {"bgrewriteaof", "", 1, A|NS|kNoAsyncLoading, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdBgRewriteAof, "server", "1.0.0", "Asynchronously rewrites the append-only file to disk.", "O(1)"},
  {"lastsave", "", 1, F|L|S, cAdmin|cFast|cDangerous|cServer, Keys(), SRV, CmdLastSave, "server", "1.0.0", "Returns the Unix timestamp of the last successful save to disk.", "O(1)"},
  {"waitaof", "numlocal numreplicas timeout", 4, NS, cSlow|cConnection, Keys(), NONE, CmdWaitAof, "generic", "7.2.0", "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.", "O(1)"},
  {"shutdown", "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]", -1, A|L|S|NM|NS|kAllowBusy, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdShutdown, "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"},
  {"acl", "", -2, 0, cSlow|cServer, Keys(), NONE, nullptr, "server", "6.0.0", "A container for Access List Control commands.", "Depends on subcommand."},
  {"acl|cat", "[category]", -2, L|S|NS, cSlow|cServer, Keys(), NONE, CmdAclCat, "server", "6.0.0", "Lists the ACL categories, or the commands inside a category.", "O(1) since the categories and commands are a fixed set."},
  {"acl|deluser", "username [username ...]", -3, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclDeluser, "server", "6.0.0", "Deletes ACL users, and terminates their connections.", "O(1) amortized time considering the typical user."},
  {"acl|dryrun", "username command [arg [arg ...]]", -4, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclDryrun, "server", "7.0.0", "Simulates the execution of a command by a user, without executing the command.", "O(1)."},
  {"acl|genpass", "[bits]", -2, L|S|NS, cSlow|cServer, Keys(), NONE, CmdAclGenpass, "server", "6.0.0", "Generates a pseudorandom, secure password that can be used to identify ACL users.", "O(1)"},
  {"acl|getuser", "username", 3, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclGetuser, "server", "6.0.0", "Lists the ACL rules of a user.", "O(N). Where N is the number of password, command and pattern rules that the user has.", {}, nullptr, kAclGetuserHistory},
  {"acl|help", "", 2, L|S, cSlow|cServer, Keys(), NONE, CmdAclHelp, "server", "6.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"acl|list", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclList, "server", "6.0.0", "Dumps the effective rules in ACL file format.", "O(N). Where N is the number of configured users."},
  {"acl|load", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclLoad, "server", "6.0.0", "Reloads the rules from the configured ACL file.", "O(N). Where N is the number of configured users."},
  {"acl|log", "[count | RESET]", -2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclLog, "server", "6.0.0", "Lists recent security events generated due to ACL rules.", "O(N) with N being the number of entries shown.", {}, nullptr, kAclLogHistory},
  {"acl|save", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclSave, "server", "6.0.0", "Saves the effective ACL rules in the configured ACL file.", "O(N). Where N is the number of configured users."},
  {"acl|setuser", "username [rule [rule ...]]", -3, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclSetuser, "server", "6.0.0", "Creates and modifies an ACL user and its rules.", "O(N). Where N is the number of rules provided.", kSecretAll, nullptr, kAclSetuserHistory},
  {"acl|users", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdAclUsers, "server", "6.0.0", "Lists all ACL users.", "O(N). Where N is the number of configured users."},
  {"acl|whoami", "", 2, L|S|NS, cSlow|cServer, Keys(), NONE, CmdAclWhoami, "server", "6.0.0", "Returns the authenticated username of the current connection.", "O(1)"},
  {"slowlog", "", -2, 0, cSlow|cServer, Keys(), SRV, nullptr, "server", "2.2.12", "A container for slow log commands.", "Depends on subcommand."},
  {"slowlog|get", "[count]", -2, A|L|S, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdSlowlogGet, "server", "2.2.12", "Returns the slow log's entries.", "O(N) where N is the number of entries returned"},
  {"slowlog|len", "", 2, A|L|S, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdSlowlogLen, "server", "2.2.12", "Returns the number of entries in the slow log.", "O(1)"},
  {"slowlog|reset", "", 2, A|L|S, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdSlowlogReset, "server", "2.2.12", "Clears all entries from the slow log.", "O(N) where N is the number of entries in the slowlog"},
  {"slowlog|help", "", 2, L|S, cSlow|cServer, Keys(), SRV, CmdSlowlogHelp, "server", "6.2.0", "Show helpful text about the different subcommands", "O(1)"},
  {"memory", "", -2, 0, cSlow|cServer, Keys(), NONE, nullptr, "server", "4.0.0", "A container for memory diagnostics commands.", "Depends on subcommand."},
  {"memory|usage", "key [SAMPLES count]", -3, R, cRead|cSlow|cServer, Keys(Range(RO, 2)), SESS, CmdMemoryUsage, "server", "4.0.0", "Estimates the memory usage of a key.", "O(1)"},
  {"memory|stats", "", 2, 0, cSlow|cServer, Keys(), SRV, CmdMemoryStats, "server", "4.0.0", "Returns details about memory usage.", "O(1)"},
  {"memory|doctor", "", 2, 0, cSlow|cServer, Keys(), SRV, CmdMemoryDoctor, "server", "4.0.0", "Outputs a memory problems report.", "O(1)"},
  {"memory|malloc-stats", "", 2, 0, cSlow|cServer, Keys(), SRV, CmdMemoryMallocStats, "server", "4.0.0", "Returns the allocator statistics.", "Depends on how much memory is allocated, could be slow"},
  {"memory|purge", "", 2, 0, cSlow|cServer, Keys(), SRV, CmdMemoryPurge, "server", "4.0.0", "Asks the allocator to release memory.", "Depends on how much memory is allocated, could be slow"},
  {"memory|help", "", 2, L|S, cSlow|cServer, Keys(), NONE, CmdMemoryHelp, "server", "4.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"latency", "", -2, 0, cSlow|cServer, Keys(), SRV, nullptr, "server", "2.8.13", "A container for latency diagnostics commands.", "Depends on subcommand."},
  {"latency|latest", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdLatencyLatest, "server", "2.8.13", "Returns the latest latency samples for all events.", "O(1)"},
  {"latency|history", "event", 3, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdLatencyHistory, "server", "2.8.13", "Returns timestamp-latency samples for an event.", "O(1)"},
  {"latency|reset", "[event [event ...]]", -2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdLatencyReset, "server", "2.8.13", "Resets the latency data for one or more events.", "O(1)"},
  {"latency|graph", "event", 3, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdLatencyGraph, "server", "2.8.13", "Returns a latency graph for an event.", "O(1)"},
  {"latency|doctor", "", 2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdLatencyDoctor, "server", "2.8.13", "Returns a human-readable latency analysis report.", "O(1)"},
  {"latency|histogram", "[command [command ...]]", -2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdLatencyHistogram, "server", "7.0.0", "Returns the cumulative distribution of latencies of a subset or all commands.", "O(N) where N is the number of commands with latency information being retrieved."},
  {"latency|help", "", 2, L|S, cSlow|cServer, Keys(), SRV, CmdLatencyHelp, "server", "2.8.13", "Returns helpful text about the different subcommands.", "O(1)"},
  {"monitor", "", 1, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdMonitor, "server", "1.0.0", "Listens for all requests received by the server in real-time.", "O(1)"},
  {"info", "[section [section ...]]", -1, L|S, cSlow|cDangerous|cServer, Keys(), INFO, CmdInfo, "server", "1.0.0", "Returns information and statistics about the server.", "O(1)"},
  {"debug", "subcommand [argument ...]", -2, A|L|S|NS, cAdmin|cSlow|cDangerous|cServer, Keys(), SRV, CmdDebug, "server", "1.0.0", "A container for debugging commands (allowed by enable-debug-command).", "Depends on subcommand."},
  // --- geo (engine/geohash.h over engine/zset_ops.h) ---
  {"geoadd", "key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]", -5, W|D, cWrite|cGeo|cSlow, Keys(Range(RW|UP, 1)), SESS, CmdGeoAdd, "geo", "3.2.0", "Adds one or more members to a geospatial index. The key is created if it doesn't exist.", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", {}, nullptr, kGeoAddHistory},
  {"geodist", "key member1 member2 [M | KM | FT | MI]", -4, R, cRead|cGeo|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGeoDist, "geo", "3.2.0", "Returns the distance between two members of a geospatial index.", "O(log(N))"},
  {"geohash", "key [member [member ...]]", -2, R, cRead|cGeo|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGeoHash, "geo", "3.2.0", "Returns members from a geospatial index as geohash strings.", "O(log(N)) for each member requested, where N is the number of elements in the sorted set."},
  {"geopos", "key [member [member ...]]", -2, R, cRead|cGeo|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGeoPos, "geo", "3.2.0", "Returns the longitude and latitude of members from a geospatial index.", "O(N) where N is the number of members requested."},
  {"georadius", "key longitude latitude radius (M | KM | FT | MI) [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]", -6, W|D, cWrite|cGeo|cSlow, Keys(Range(RO|AC, 1), Keyword(OW|UP, "STORE", 6), Keyword(OW|UP, "STOREDIST", 6)), SESS, CmdGeoRadius, "geo", "3.2.0", "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", {}, nullptr, kGeoRadiusHistory},
  {"georadiusbymember", "key member radius (M | KM | FT | MI) [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]", -5, W|D, cWrite|cGeo|cSlow, Keys(Range(RO|AC, 1), Keyword(OW|UP, "STORE", 5), Keyword(OW|UP, "STOREDIST", 5)), SESS, CmdGeoRadiusByMember, "geo", "3.2.0", "Queries a geospatial index for members within a distance from a member, optionally stores the result.", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", {}, nullptr, kGeoSearchHistory},
  {"georadius_ro", "key longitude latitude radius (M | KM | FT | MI) [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]", -6, R, cRead|cGeo|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGeoRadiusRo, "geo", "3.2.10", "Returns members from a geospatial index that are within a distance from a coordinate.", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", {}, nullptr, kGeoRadiusRoHistory},
  {"georadiusbymember_ro", "key member radius (M | KM | FT | MI) [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]", -5, R, cRead|cGeo|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGeoRadiusByMemberRo, "geo", "3.2.10", "Returns members from a geospatial index that are within a distance from a member.", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."},
  {"geosearch", "key (FROMMEMBER member | FROMLONLAT longitude latitude) (BYRADIUS radius (M | KM | FT | MI) | BYBOX width height (M | KM | FT | MI)) [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]", -7, R, cRead|cGeo|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdGeoSearch, "geo", "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle.", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", {}, nullptr, kGeoSearchHistory},
  {"geosearchstore", "destination source (FROMMEMBER member | FROMLONLAT longitude latitude) (BYRADIUS radius (M | KM | FT | MI) | BYBOX width height (M | KM | FT | MI)) [ASC | DESC] [COUNT count [ANY]] [STOREDIST]", -8, W|D, cWrite|cGeo|cSlow, Keys(Range(OW|UP, 1), Range(RO|AC, 2)), SESS, CmdGeoSearchStore, "geo", "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", {}, nullptr, kGeoSearchHistory},
  // Streams without consumer groups (src/commands/stream_commands.cc, engine/stream.h).
  {"xadd", "key [NOMKSTREAM] [(MAXLEN | MINID) [= | ~] threshold [LIMIT count]] (* | id) field value [field value ...]", -5, W|D|F, cWrite|cStream|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdXAdd, "stream", "5.0.0", "Appends a new message to a stream. Creates the key if it doesn't exist.", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", {}, nullptr, kXAddHistory},
  {"xlen", "key", 2, R|F, cRead|cStream|cFast, Keys(Range(RO|AC, 1)), SESS, CmdXLen, "stream", "5.0.0", "Return the number of messages in a stream.", "O(1)"},
  {"xrange", "key start end [COUNT count]", -4, R, cRead|cStream|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdXRange, "stream", "5.0.0", "Returns the messages from a stream within a range of IDs.", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", {}, nullptr, kXRangeHistory},
  {"xrevrange", "key end start [COUNT count]", -4, R, cRead|cStream|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdXRevRange, "stream", "5.0.0", "Returns the messages from a stream within a range of IDs in reverse order.", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", {}, nullptr, kXRangeHistory},
  {"xdel", "key id [id ...]", -3, W|F, cWrite|cStream|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdXDel, "stream", "5.0.0", "Returns the number of messages after removing them from a stream.", "O(1) for each single item to delete in the stream, regardless of the stream size."},
  {"xtrim", "key (MAXLEN | MINID) [= | ~] threshold [LIMIT count]", -4, W, cWrite|cStream|cSlow, Keys(Range(RW|AC|DE, 1)), SESS, CmdXTrim, "stream", "5.0.0", "Deletes messages from the beginning of a stream.", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", {}, nullptr, kXTrimHistory},
  {"xsetid", "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", -3, W|D|F, cWrite|cStream|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdXSetId, "stream", "5.0.0", "An internal command for replicating stream values.", "O(1)", {}, nullptr, kXSetIdHistory},
  {"xread", "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", -4, R|kBlocking, cRead|cStream|cSlow|kCatBlocking, Keys(XReadKeys()), SESS, CmdXRead, "stream", "5.0.0", "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data."},
  // SORT (src/commands/sort_commands.cc): BY/GET patterns and STORE are Redis' "unknown" specs.
  {"sort", "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]", -2, W|D, cWrite|cSet|kCatSortedSet|kCatList|cSlow|cDangerous, Keys(Range(RO|AC, 1), Unknown(RO|AC, kSortPatternNotes), Unknown(OW|UP, kSortStoreNotes)), SESS, CmdSort, "generic", "1.0.0", "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", {}, nullptr, {}, SortKeys},
  {"sort_ro", "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]", -2, R, cRead|cSet|kCatSortedSet|kCatList|cSlow|cDangerous, Keys(Range(RO|AC, 1), Unknown(RO|AC, kSortPatternNotes)), SESS, CmdSortRo, "generic", "7.0.0", "Returns the sorted elements of a list, a set, or a sorted set.", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."},
  // Blocking pops (src/commands/blocking_commands.cc, src/core/blocked_clients.h).
  {"blpop", "key [key ...] timeout", -3, kBlockingW, cBlockingList, Keys(Range(RW|AC|DE, 1, -2)), SESS, CmdBLPop, "list", "2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N) where N is the number of provided keys.", {}, nullptr, kBlockingTimeoutHistory},
  {"brpop", "key [key ...] timeout", -3, kBlockingW, cBlockingList, Keys(Range(RW|AC|DE, 1, -2)), SESS, CmdBRPop, "list", "2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N) where N is the number of provided keys.", {}, nullptr, kBlockingTimeoutHistory},
  {"brpoplpush", "source destination timeout", 4, kBlockingW|D, cBlockingList, Keys(Range(RW|AC|DE, 1), Range(RW|IN, 2)), SESS, CmdBRPopLPush, "list", "2.2.0", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", "O(1)", {}, nullptr, kBlockingTimeoutHistory},
  {"blmove", "source destination LEFT | RIGHT LEFT | RIGHT timeout", 6, kBlockingW|D, cBlockingList, Keys(Range(RW|AC|DE, 1), Range(RW|IN, 2)), SESS, CmdBLMove, "list", "6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", "O(1)"},
  {"blmpop", "timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]", -5, kBlockingW, cBlockingList, Keys(KeyNum(RW|AC|DE, 2, 0, 1, 1)), SESS, CmdBLMPop, "list", "7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N+M) where N is the number of provided keys and M is the number of elements returned."},
  {"bzpopmin", "key [key ...] timeout", -3, kBlockingW|F, cBlockingZset|cFast, Keys(Range(RW|AC|DE, 1, -2)), SESS, CmdBZPopMin, "sorted-set", "5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set.", {}, nullptr, kBlockingTimeoutHistory},
  {"bzpopmax", "key [key ...] timeout", -3, kBlockingW|F, cBlockingZset|cFast, Keys(Range(RW|AC|DE, 1, -2)), SESS, CmdBZPopMax, "sorted-set", "5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set.", {}, nullptr, kBlockingTimeoutHistory},
  {"bzmpop", "timeout numkeys key [key ...] MIN | MAX [COUNT count]", -5, kBlockingW, cBlockingZset|cSlow, Keys(KeyNum(RW|AC|DE, 2, 0, 1, 1)), SESS, CmdBZMPop, "sorted-set", "7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."},
  // --- sorted sets (zset_commands.cc, zset_multi_commands.cc). dkv's deviation: ZADD, ZINCRBY,
  // ZREM, ZCARD and ZREMRANGEBY* mark their key ACCESS (each reads the container in place). ---
  {"zadd", "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]", -4, W|D|F, cWrite|kCatSortedSet|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdZAdd, "sorted-set", "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", {}, nullptr, kZAddHistory},
  {"zincrby", "key increment member", 4, W|D|F, cWrite|kCatSortedSet|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdZIncrBy, "sorted-set", "1.2.0", "Increments the score of a member in a sorted set.", "O(log(N)) where N is the number of elements in the sorted set."},
  {"zrem", "key member [member ...]", -3, W|F, cWrite|kCatSortedSet|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdZRem, "sorted-set", "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", {}, nullptr, kMultiMemberHistory},
  {"zcard", "key", 2, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZCard, "sorted-set", "1.2.0", "Returns the number of members in a sorted set.", "O(1)"},
  {"zscore", "key member", 3, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZScore, "sorted-set", "1.2.0", "Returns the score of a member in a sorted set.", "O(1)"},
  {"zmscore", "key member [member ...]", -3, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZMScore, "sorted-set", "6.2.0", "Returns the score of one or more members in a sorted set.", "O(N) where N is the number of members being requested."},
  {"zrank", "key member [WITHSCORE]", -3, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZRank, "sorted-set", "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores.", "O(log(N))", {}, nullptr, kZRankHistory},
  {"zrevrank", "key member [WITHSCORE]", -3, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZRevRank, "sorted-set", "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores.", "O(log(N))", {}, nullptr, kZRankHistory},
  {"zcount", "key min max", 4, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZCount, "sorted-set", "2.0.0", "Returns the count of members in a sorted set that have scores within a range.", "O(log(N)) with N being the number of elements in the sorted set."},
  {"zlexcount", "key min max", 4, R|F, cRead|kCatSortedSet|cFast, Keys(Range(RO|AC, 1)), SESS, CmdZLexCount, "sorted-set", "2.8.9", "Returns the number of members in a sorted set within a lexicographical range.", "O(log(N)) with N being the number of elements in the sorted set."},
  {"zrange", "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", -4, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRange, "sorted-set", "1.2.0", "Returns members in a sorted set within a range of indexes.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", {}, nullptr, kZRangeHistory},
  {"zrangestore", "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]", -5, W|D, cWrite|kCatSortedSet|cSlow, Keys(Range(OW|UP, 1), Range(RO|AC, 2)), SESS, CmdZRangeStore, "sorted-set", "6.2.0", "Stores a range of members from sorted set in a key.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key."},
  {"zrevrange", "key start stop [WITHSCORES]", -4, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRevRange, "sorted-set", "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."},
  {"zrangebyscore", "key min max [WITHSCORES] [LIMIT offset count]", -4, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRangeByScore, "sorted-set", "1.0.5", "Returns members in a sorted set within a range of scores.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."},
  {"zrevrangebyscore", "key max min [WITHSCORES] [LIMIT offset count]", -4, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRevRangeByScore, "sorted-set", "2.2.0", "Returns members in a sorted set within a range of scores in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."},
  {"zrangebylex", "key min max [LIMIT offset count]", -4, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRangeByLex, "sorted-set", "2.8.9", "Returns members in a sorted set within a lexicographical range.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."},
  {"zrevrangebylex", "key max min [LIMIT offset count]", -4, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRevRangeByLex, "sorted-set", "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."},
  {"zremrangebyrank", "key start stop", 4, W, cWrite|kCatSortedSet|cSlow, Keys(Range(RW|AC|DE, 1)), SESS, CmdZRemRangeByRank, "sorted-set", "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."},
  {"zremrangebyscore", "key min max", 4, W, cWrite|kCatSortedSet|cSlow, Keys(Range(RW|AC|DE, 1)), SESS, CmdZRemRangeByScore, "sorted-set", "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."},
  {"zremrangebylex", "key min max", 4, W, cWrite|kCatSortedSet|cSlow, Keys(Range(RW|AC|DE, 1)), SESS, CmdZRemRangeByLex, "sorted-set", "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."},
  {"zpopmin", "key [count]", -2, W|F, cWrite|kCatSortedSet|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdZPopMin, "sorted-set", "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."},
  {"zpopmax", "key [count]", -2, W|F, cWrite|kCatSortedSet|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdZPopMax, "sorted-set", "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."},
  {"zmpop", "numkeys key [key ...] <MIN | MAX> [COUNT count]", -4, W, cWrite|kCatSortedSet|cSlow, Keys(KeyNum(RW|AC|DE, 1, 0, 1, 1)), SESS, CmdZMPop, "sorted-set", "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."},
  {"zrandmember", "key [count [WITHSCORES]]", -2, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZRandMember, "sorted-set", "6.2.0", "Returns one or more random members from a sorted set.", "O(N) where N is the number of members returned"},
  {"zunion", "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]", -3, R, cRead|kCatSortedSet|cSlow, Keys(KeyNum(RO|AC, 1, 0, 1, 1)), SESS, CmdZUnion, "sorted-set", "6.2.0", "Returns the union of multiple sorted sets.", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."},
  {"zinter", "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]", -3, R, cRead|kCatSortedSet|cSlow, Keys(KeyNum(RO|AC, 1, 0, 1, 1)), SESS, CmdZInter, "sorted-set", "6.2.0", "Returns the intersect of multiple sorted sets.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."},
  {"zdiff", "numkeys key [key ...] [WITHSCORES]", -3, R, cRead|kCatSortedSet|cSlow, Keys(KeyNum(RO|AC, 1, 0, 1, 1)), SESS, CmdZDiff, "sorted-set", "6.2.0", "Returns the difference between multiple sorted sets.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."},
  {"zunionstore", "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]", -4, W|D, cWrite|kCatSortedSet|cSlow, Keys(Range(OW|UP, 1), KeyNum(RO|AC, 2, 0, 1, 1)), SESS, CmdZUnionStore, "sorted-set", "2.0.0", "Stores the union of multiple sorted sets in a key.", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."},
  {"zinterstore", "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]", -4, W|D, cWrite|kCatSortedSet|cSlow, Keys(Range(OW|UP, 1), KeyNum(RO|AC, 2, 0, 1, 1)), SESS, CmdZInterStore, "sorted-set", "2.0.0", "Stores the intersect of multiple sorted sets in a key.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."},
  {"zdiffstore", "destination numkeys key [key ...]", -4, W|D, cWrite|kCatSortedSet|cSlow, Keys(Range(OW|UP, 1), KeyNum(RO|AC, 2, 0, 1, 1)), SESS, CmdZDiffStore, "sorted-set", "6.2.0", "Stores the difference of multiple sorted sets in a key.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."},
  {"zintercard", "numkeys key [key ...] [LIMIT limit]", -3, R, cRead|kCatSortedSet|cSlow, Keys(KeyNum(RO|AC, 1, 0, 1, 1)), SESS, CmdZInterCard, "sorted-set", "7.0.0", "Returns the number of members of the intersect of multiple sorted sets.", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."},
  {"zscan", "key cursor [MATCH pattern] [COUNT count]", -3, R, cRead|kCatSortedSet|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdZScan, "sorted-set", "2.8.0", "Iterates over members and scores of a sorted set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."},
  // --- stream consumer groups and XINFO (stream_group_commands.cc, stream_info_commands.cc) ---
  {"xgroup", "", -2, 0, cSlow, Keys(), NONE, nullptr, "stream", "5.0.0", "A container for consumer groups commands.", "Depends on subcommand."},
  {"xgroup|create", "key group id | $ [MKSTREAM] [ENTRIESREAD entries-read]", -5, W|D, cWrite|kCatStream|cSlow, Keys(Range(RW|AC|IN, 2)), SESS, CmdXGroupCreate, "stream", "5.0.0", "Creates a consumer group.", "O(1)", {}, nullptr, kXGroupCreateHistory},
  {"xgroup|setid", "key group id | $ [ENTRIESREAD entriesread]", -5, W, cWrite|kCatStream|cSlow, Keys(Range(RW|AC|UP, 2)), SESS, CmdXGroupSetId, "stream", "5.0.0", "Sets the last-delivered ID of a consumer group.", "O(1)", {}, nullptr, kXGroupSetIdHistory},
  {"xgroup|destroy", "key group", 4, W, cWrite|kCatStream|cSlow, Keys(Range(RW|AC|DE, 2)), SESS, CmdXGroupDestroy, "stream", "5.0.0", "Destroys a consumer group.", "O(N) where N is the number of entries in the group's pending entries list (PEL)."},
  {"xgroup|createconsumer", "key group consumer", 5, W|D, cWrite|kCatStream|cSlow, Keys(Range(RW|AC|IN, 2)), SESS, CmdXGroupCreateConsumer, "stream", "6.2.0", "Creates a consumer in a consumer group.", "O(1)"},
  {"xgroup|delconsumer", "key group consumer", 5, W, cWrite|kCatStream|cSlow, Keys(Range(RW|AC|DE, 2)), SESS, CmdXGroupDelConsumer, "stream", "5.0.0", "Deletes a consumer from a consumer group.", "O(1)"},
  {"xgroup|help", "", 2, L|S, kCatStream|cSlow, Keys(), NONE, CmdXGroupHelp, "stream", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"xreadgroup", "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]", -7, W|kBlocking, cWrite|kCatStream|cSlow|kCatBlocking, Keys(StreamsKeys(RW|AC|UP, 4)), SESS, CmdXReadGroup, "stream", "5.0.0", "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data."},
  {"xack", "key group id [id ...]", -4, W|F, cWrite|kCatStream|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdXAck, "stream", "5.0.0", "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", "O(1) for each message ID processed."},
  {"xpending", "key group [[IDLE min-idle-time] start end count [consumer]]", -3, R, cRead|kCatStream|cSlow, Keys(Range(RO|AC, 1)), SESS, CmdXPending, "stream", "5.0.0", "Returns the information and entries from a stream consumer group's pending entries list.", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", {}, nullptr, kXPendingHistory},
  {"xclaim", "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]", -6, W|F, cWrite|kCatStream|cFast, Keys(Range(RW|AC|UP, 1)), SESS, CmdXClaim, "stream", "5.0.0", "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.", "O(log N) with N being the number of messages in the PEL of the consumer group."},
  {"xautoclaim", "key group consumer min-idle-time start [COUNT count] [JUSTID]", -6, W|F, cWrite|kCatStream|cFast, Keys(Range(RW|AC|DE, 1)), SESS, CmdXAutoClaim, "stream", "6.2.0", "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.", "O(1) if COUNT is small.", {}, nullptr, kXAutoClaimHistory},
  {"xinfo", "", -2, 0, cSlow, Keys(), NONE, nullptr, "stream", "5.0.0", "A container for stream introspection commands.", "Depends on subcommand."},
  {"xinfo|stream", "key [FULL [COUNT count]]", -3, R, cRead|kCatStream|cSlow, Keys(Range(RO|AC, 2)), SESS, CmdXInfoStream, "stream", "5.0.0", "Returns information about a stream.", "O(1)", {}, nullptr, kXInfoStreamHistory},
  {"xinfo|groups", "key", 3, R, cRead|kCatStream|cSlow, Keys(Range(RO|AC, 2)), SESS, CmdXInfoGroups, "stream", "5.0.0", "Returns a list of the consumer groups of a stream.", "O(1)", {}, nullptr, kXInfoGroupsHistory},
  {"xinfo|consumers", "key group", 4, R, cRead|kCatStream|cSlow, Keys(Range(RO|AC, 2)), SESS, CmdXInfoConsumers, "stream", "5.0.0", "Returns a list of the consumers in a consumer group.", "O(1)", {}, nullptr, kXInfoConsumersHistory},
  {"xinfo|help", "", 2, L|S, kCatStream|cSlow, Keys(), NONE, CmdXInfoHelp, "stream", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
};
// clang-format on

}  // namespace

std::span<const CommandSpec> CommandTable() { return kTable; }

}  // namespace dkv::server
