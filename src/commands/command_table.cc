// The command table: one row per command. Dispatch, COMMAND, COMMAND DOCS and docs/commands.md
// all come from here.
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

constexpr uint32_t R = kReadOnly, W = kWrite, F = kFast, D = kDenyOom, A = kAdmin, L = kLoading,
                   S = kStale, NA = kNoAuth, NM = kNoMulti, NS = kNoScript;

// clang-format off
constexpr CommandSpec kTable[] = {
  // name, syntax (arguments after the name, Redis docs notation), arity, flags, first key,
  // last key, key step, handler, group, since, summary, complexity
  // --- connection ---
  {"ping", "[message]",            -1, F|L|S,             0, 0, 0, CmdPing, "connection", "1.0.0", "Returns the server's liveliness response.", "O(1)"},
  {"echo", "message",             2, F|L|S,             0, 0, 0, CmdEcho, "connection", "1.0.0", "Returns the given string.", "O(1)"},
  {"quit", "",            -1, F|L|S|NA|NM|NS,    0, 0, 0, CmdQuit, "connection", "1.0.0", "Closes the connection.", "O(1)"},
  {"reset", "",            1, F|L|S|NA|NM|NS,    0, 0, 0, CmdReset, "connection", "6.2.0", "Resets the connection.", "O(1)"},
  {"select", "index",           2, F|L|S,             0, 0, 0, CmdSelect, "connection", "1.0.0", "Changes the selected database.", "O(1)"},
  {"auth", "[username] password",            -2, F|L|S|NA|NS,       0, 0, 0, CmdAuth, "connection", "1.0.0", "Authenticates the connection.", "O(N) where N is the number of passwords defined for the user"},
  {"hello", "[protover [AUTH username password] [SETNAME clientname]]",           -1, F|L|S|NA|NS,       0, 0, 0, CmdHello, "connection", "6.0.0", "Handshakes with the server.", "O(1)"},
  {"readonly", "",         1, F|L|S,             0, 0, 0, CmdReadOnly, "cluster", "3.0.0", "Accepted for compatibility; a no-op.", "O(1)"},
  {"readwrite", "",        1, F|L|S,             0, 0, 0, CmdReadOnly, "cluster", "3.0.0", "Accepted for compatibility; a no-op.", "O(1)"},
  {"cluster", "subcommand [argument ...]",         -2, S,                 0, 0, 0, CmdCluster, "cluster", "3.0.0", "Cluster commands; dkv runs standalone, so each answers that cluster support is disabled.", "O(1)"},
  {"role", "",             1, F|L|S|NS,          0, 0, 0, CmdRole, "server", "2.8.12", "Returns the replication role.", "O(1)"},
  {"client", "",          -2, S,                 0, 0, 0, nullptr, "connection", "2.4.0", "A container for client connection commands.", "Depends on subcommand."},
  {"client|id", "",        2, L|S|NS,            0, 0, 0, CmdClientId, "connection", "5.0.0", "Returns the unique client ID of the connection.", "O(1)"},
  {"client|setname", "connection-name",   3, L|S|NS,            0, 0, 0, CmdClientSetName, "connection", "2.6.9", "Sets the connection name.", "O(1)"},
  {"client|getname", "",   2, L|S|NS,            0, 0, 0, CmdClientGetName, "connection", "2.6.9", "Returns the name of the connection.", "O(1)"},
  {"client|setinfo", "(LIB-NAME libname | LIB-VER libver)",   4, L|S|NS,            0, 0, 0, CmdClientSetInfo, "connection", "7.2.0", "Sets information specific to the client or connection.", "O(1)"},
  {"client|info", "",      2, L|S|NS,            0, 0, 0, CmdClientInfo, "connection", "6.2.0", "Returns information about the connection.", "O(1)"},
  {"client|list", "[TYPE (NORMAL | MASTER | REPLICA | PUBSUB)] [ID client-id [client-id ...]]",     -2, A|L|S|NS,          0, 0, 0, CmdClientList, "connection", "2.4.0", "Lists open connections.", "O(N) where N is the number of client connections"},
  {"client|kill", "[ID client-id] [TYPE (NORMAL | MASTER | SLAVE | REPLICA | PUBSUB)] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME (YES | NO)] [MAXAGE maxage]",     -3, A|L|S|NS,          0, 0, 0, CmdClientKill, "connection", "2.4.0", "Terminates open connections.", "O(N) where N is the number of client connections"},
  {"client|no-evict", "(ON | OFF)",  3, A|L|S|NS,          0, 0, 0, CmdClientNoEvict, "connection", "7.0.0", "Sets the client eviction mode of the connection.", "O(1)"},
  {"client|no-touch", "(ON | OFF)",  3, L|S|NS,            0, 0, 0, CmdClientNoTouch, "connection", "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "O(1)"},
  {"client|help", "",      2, L|S,               0, 0, 0, CmdClientHelp, "connection", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  // --- strings ---
  {"get", "key",              2, R|F,               1, 1, 1, CmdGet, "string", "1.0.0", "Returns the string value of a key.", "O(1)"},
  {"set", "key value [NX | XX | IFEQ comparison-value] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",             -3, W|D,               1, 1, 1, CmdSet, "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)"},
  {"setnx", "key value",            3, W|D|F,             1, 1, 1, CmdSetNx, "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)"},
  {"setex", "key seconds value",            4, W|D,               1, 1, 1, CmdSetEx, "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "O(1)"},
  {"psetex", "key milliseconds value",           4, W|D,               1, 1, 1, CmdPSetEx, "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "O(1)"},
  {"getex", "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",           -2, W|F,               1, 1, 1, CmdGetEx, "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", "O(1)"},
  {"getdel", "key",           2, W|F,               1, 1, 1, CmdGetDel, "string", "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)"},
  {"getset", "key value",           3, W|D|F,             1, 1, 1, CmdGetSet, "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)"},
  {"mget", "key [key ...]",            -2, R|F,               1, -1, 1, CmdMGet, "string", "1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve."},
  {"mset", "key value [key value ...]",            -3, W|D,               1, -1, 2, CmdMSet, "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set."},
  {"msetnx", "key value [key value ...]",          -3, W|D,               1, -1, 2, CmdMSetNx, "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set."},
  {"incr", "key",             2, W|D|F,             1, 1, 1, CmdIncr, "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"decr", "key",             2, W|D|F,             1, 1, 1, CmdDecr, "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"incrby", "key increment",           3, W|D|F,             1, 1, 1, CmdIncrBy, "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"decrby", "key decrement",           3, W|D|F,             1, 1, 1, CmdDecrBy, "string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"incrbyfloat", "key increment",      3, W|D|F,             1, 1, 1, CmdIncrByFloat, "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"},
  {"append", "key value",           3, W|D|F,             1, 1, 1, CmdAppend, "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1)"},
  {"strlen", "key",           2, R|F,               1, 1, 1, CmdStrLen, "string", "2.2.0", "Returns the length of a string value.", "O(1)"},
  {"getrange", "key start end",         4, R,                 1, 1, 1, CmdGetRange, "string", "2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string."},
  {"substr", "key start end",           4, R,                 1, 1, 1, CmdGetRange, "string", "1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string."},
  {"setrange", "key offset value",         4, W|D,               1, 1, 1, CmdSetRange, "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1), not counting the time taken to copy the new string in place."},
  {"lcs", "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]",             -3, R,                 1, 2, 1, CmdLcs, "string", "7.0.0", "Finds the longest common substring.", "O(N*M) where N and M are the lengths of s1 and s2, respectively"},
  // --- keys ---
  {"del", "key [key ...]",             -2, W,                 1, -1, 1, CmdDel, "generic", "1.0.0", "Deletes one or more keys.", "O(N) where N is the number of keys that will be removed."},
  {"unlink", "key [key ...]",          -2, W|F,               1, -1, 1, CmdUnlink, "generic", "4.0.0", "Asynchronously deletes one or more keys.", "O(1) for each key removed regardless of its size."},
  {"exists", "key [key ...]",          -2, R|F,               1, -1, 1, CmdExists, "generic", "1.0.0", "Determines whether one or more keys exist.", "O(N) where N is the number of keys to check."},
  {"type", "key",             2, R|F,               1, 1, 1, CmdType, "generic", "1.0.0", "Determines the type of value stored at a key.", "O(1)"},
  {"keys", "pattern",             2, R,                 0, 0, 0, CmdKeys, "generic", "1.0.0", "Returns all key names that match a pattern.", "O(N) with N being the number of keys in the database"},
  {"scan", "cursor [MATCH pattern] [COUNT count] [TYPE type]",            -2, R,                 0, 0, 0, CmdScan, "generic", "2.8.0", "Iterates over the key names in the database.", "O(1) for every call. O(N) for a complete iteration."},
  {"rename", "key newkey",           3, W,                 1, 2, 1, CmdRename, "generic", "1.0.0", "Renames a key and overwrites the destination.", "O(1)"},
  {"renamenx", "key newkey",         3, W|F,               1, 2, 1, CmdRenameNx, "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", "O(1)"},
  {"copy", "source destination [DB destination-db] [REPLACE]",            -3, W|D,               1, 2, 1, CmdCopy, "generic", "6.2.0", "Copies the value of a key to a new key.", "O(N) worst case for collections"},
  {"move", "key db",             3, W|F,               1, 1, 1, CmdMove, "generic", "1.0.0", "Moves a key to another database.", "O(1)"},
  {"randomkey", "",        1, R,                 0, 0, 0, CmdRandomKey, "generic", "1.0.0", "Returns a random key name from the database.", "O(1)"},
  {"touch", "key [key ...]",           -2, R|F,               1, -1, 1, CmdTouch, "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "O(N) where N is the number of keys that will be touched."},
  {"object", "",          -2, 0,                 0, 0, 0, nullptr, "generic", "2.2.3", "A container for object introspection commands.", "Depends on subcommand."},
  {"object|encoding", "key",  3, R,                 2, 2, 1, CmdObjectEncoding, "generic", "2.2.3", "Returns the internal encoding of a Redis object.", "O(1)"},
  {"object|refcount", "key",  3, R,                 2, 2, 1, CmdObjectRefcount, "generic", "2.2.3", "Returns the reference count of a value of a key.", "O(1)"},
  {"object|idletime", "key",  3, R,                 2, 2, 1, CmdObjectIdletime, "generic", "2.2.3", "Returns the time since the last access to a Redis object.", "O(1)"},
  {"object|freq", "key",      3, R,                 2, 2, 1, CmdObjectFreq, "generic", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", "O(1)"},
  {"object|help", "",      2, L|S,               0, 0, 0, CmdObjectHelp, "generic", "6.2.0", "Returns helpful text about the different subcommands.", "O(1)"},
  // --- expiry ---
  {"expire", "key seconds [NX | XX | GT | LT]",          -3, W|F,               1, 1, 1, CmdExpire, "generic", "1.0.0", "Sets the expiration time of a key in seconds.", "O(1)"},
  {"pexpire", "key milliseconds [NX | XX | GT | LT]",         -3, W|F,               1, 1, 1, CmdPExpire, "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", "O(1)"},
  {"expireat", "key unix-time-seconds [NX | XX | GT | LT]",        -3, W|F,               1, 1, 1, CmdExpireAt, "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", "O(1)"},
  {"pexpireat", "key unix-time-milliseconds [NX | XX | GT | LT]",       -3, W|F,               1, 1, 1, CmdPExpireAt, "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "O(1)"},
  {"ttl", "key",              2, R|F,               1, 1, 1, CmdTtl, "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "O(1)"},
  {"pttl", "key",             2, R|F,               1, 1, 1, CmdPTtl, "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "O(1)"},
  {"expiretime", "key",       2, R|F,               1, 1, 1, CmdExpireTime, "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", "O(1)"},
  {"pexpiretime", "key",      2, R|F,               1, 1, 1, CmdPExpireTime, "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "O(1)"},
  {"persist", "key",          2, W|F,               1, 1, 1, CmdPersist, "generic", "2.2.0", "Removes the expiration time of a key.", "O(1)"},
  // --- hierarchical keys (KV.*) ---
  {"kv.keys", "pattern [NOCASE] [LIMIT limit]", -2, R,   0, 0, 0, CmdKvKeys, "kv", "0.1.0", "Returns the keys matching a hierarchical pattern, in byte order.", "O(K + M) where K is the number of keys under the pattern's literal prefix and M the keys returned"},
  {"kv.count", "pattern [NOCASE]", -2, R,                0, 0, 0, CmdKvCount, "kv", "0.1.0", "Counts the keys matching a hierarchical pattern.", "O(L) for a subtree pattern (prefix followed by **), L the prefix length; otherwise O(K) for the keys under the literal prefix"},
  {"kv.mget", "pattern [NOCASE] [LIMIT limit]", -2, R,   0, 0, 0, CmdKvMGet, "kv", "0.1.0", "Returns the keys matching a hierarchical pattern with their values (a map in RESP3).", "O(K + M) where K is the number of keys under the pattern's literal prefix and M the pairs returned"},
  {"kv.del", "pattern [NOCASE]", -2, W,                  0, 0, 0, CmdKvDel, "kv", "0.1.0", "Deletes the keys matching a hierarchical pattern; a subtree goes atomically at once.", "O(L) for a subtree pattern (its memory is freed in the background); otherwise O(K) for the keys under the literal prefix"},
  {"kv.scan", "cursor [MATCH pattern] [COUNT count]", -2, R, 0, 0, 0, CmdKvScan, "kv", "0.1.0", "Iterates over the keys matching a hierarchical pattern, in byte order.", "O(COUNT) per call"},
  {"kv.tree", "prefix [DEPTH depth]", -2, R,              0, 0, 0, CmdKvTree, "kv", "0.1.0", "Lists the child paths of a path with the number of keys below each.", "O(C x L) for C children of length L, independent of subtree sizes"},
  // --- transactions ---
  {"multi", "",            1, F|L|S|NM|NS,       0, 0, 0, CmdMulti, "transactions", "1.2.0", "Starts a transaction.", "O(1)"},
  {"exec", "",             1, L|S|NM|NS|kSkipSlowlog, 0, 0, 0, CmdExec, "transactions", "1.2.0", "Executes all commands in a transaction.", "Depends on commands in the transaction"},
  {"discard", "",          1, F|L|S|NM|NS,       0, 0, 0, CmdDiscard, "transactions", "2.0.0", "Discards a transaction.", "O(N), when N is the number of queued commands"},
  {"watch", "key [key ...]",           -2, F|L|S|NM|NS,       1, -1, 1, CmdWatch, "transactions", "2.2.0", "Monitors changes to keys to determine the execution of a transaction.", "O(1) for every key."},
  {"unwatch", "",          1, F|L|S|NS,          0, 0, 0, CmdUnwatch, "transactions", "2.2.0", "Forgets about watched keys of a transaction.", "O(1)"},
  // --- server ---
  {"dbsize", "",           1, R|F,               0, 0, 0, CmdDbSize, "server", "1.0.0", "Returns the number of keys in the database.", "O(1)"},
  {"flushdb", "[ASYNC | SYNC]",         -1, W,                 0, 0, 0, CmdFlushDb, "server", "1.0.0", "Removes all keys from the current database.", "O(N) where N is the number of keys in the selected database"},
  {"flushall", "[ASYNC | SYNC]",        -1, W,                 0, 0, 0, CmdFlushAll, "server", "1.0.0", "Removes all keys from all databases.", "O(N) where N is the total number of keys in all databases"},
  {"swapdb", "index1 index2",           3, W|F,               0, 0, 0, CmdSwapDb, "server", "4.0.0", "Swaps two Redis databases.", "O(N) where N is the count of clients watching or blocking on keys from both databases."},
  {"config", "",          -2, 0,                 0, 0, 0, nullptr, "server", "2.0.0", "A container for server configuration commands.", "Depends on subcommand."},
  {"config|get", "parameter [parameter ...]",      -3, A|L|S|NS,          0, 0, 0, CmdConfigGet, "server", "2.0.0", "Returns the effective values of configuration parameters.", "O(N) when N is the number of configuration parameters provided"},
  {"config|set", "parameter value [parameter value ...]",      -4, A|L|S|NS,          0, 0, 0, CmdConfigSet, "server", "2.0.0", "Sets configuration parameters in-flight.", "O(N) when N is the number of configuration parameters provided"},
  {"config|resetstat", "", 2, A|L|S|NS,          0, 0, 0, CmdConfigResetStat, "server", "2.0.0", "Resets the server's statistics.", "O(1)"},
  {"config|rewrite", "",   2, A|L|S|NS,          0, 0, 0, CmdConfigRewrite, "server", "2.8.0", "Persists the effective configuration to file.", "O(1)"},
  {"config|help", "",      2, L|S,               0, 0, 0, CmdConfigHelp, "server", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"command", "",         -1, L|S,               0, 0, 0, CmdCommand, "server", "2.8.13", "Returns detailed information about all commands.", "O(N) where N is the total number of Redis commands"},
  {"command|count", "",    2, L|S,               0, 0, 0, CmdCommandCount, "server", "2.8.13", "Returns a count of commands.", "O(1)"},
  {"command|info", "[command-name [command-name ...]]",    -2, L|S,               0, 0, 0, CmdCommandInfo, "server", "2.8.13", "Returns information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"},
  {"command|docs", "[command-name [command-name ...]]",    -2, L|S,               0, 0, 0, CmdCommandDocs, "server", "7.0.0", "Returns documentary information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"},
  {"command|list", "[FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]",    -2, L|S,               0, 0, 0, CmdCommandList, "server", "7.0.0", "Returns a list of command names.", "O(N) where N is the total number of Redis commands"},
  {"command|getkeys", "command [arg [arg ...]]", -3, L|S,               0, 0, 0, CmdCommandGetKeys, "server", "2.8.13", "Extracts the key names from an arbitrary command.", "O(N) where N is the number of arguments to the command"},
  {"command|help", "",     2, L|S,               0, 0, 0, CmdCommandHelp, "server", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"},
  {"time", "",             1, F|L|S,             0, 0, 0, CmdTime, "server", "2.6.0", "Returns the server time.", "O(1)"},
  {"shutdown", "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",        -1, A|L|S|NS,          0, 0, 0, CmdShutdown, "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"},
  {"slowlog", "",         -2, 0,                 0, 0, 0, nullptr, "server", "2.2.12", "A container for slow log commands.", "Depends on subcommand."},
  {"slowlog|get", "[count]",     -2, A|L|S,             0, 0, 0, CmdSlowlogGet, "server", "2.2.12", "Returns the slow log's entries.", "O(N) where N is the number of entries returned"},
  {"slowlog|len", "",      2, A|L|S,             0, 0, 0, CmdSlowlogLen, "server", "2.2.12", "Returns the number of entries in the slow log.", "O(1)"},
  {"slowlog|reset", "",    2, A|L|S,             0, 0, 0, CmdSlowlogReset, "server", "2.2.12", "Clears all entries from the slow log.", "O(N) where N is the number of entries in the slowlog"},
  {"slowlog|help", "",     2, L|S,               0, 0, 0, CmdSlowlogHelp, "server", "6.2.0", "Show helpful text about the different subcommands", "O(1)"},
  {"monitor", "",          1, A|L|S|NS,          0, 0, 0, CmdMonitor, "server", "1.0.0", "Listens for all requests received by the server in real-time.", "O(1)"},
  {"info", "[section [section ...]]",            -1, L|S,               0, 0, 0, CmdInfo, "server", "1.0.0", "Returns information and statistics about the server.", "O(1)"},
  {"debug", "subcommand [argument ...]",           -2, A|L|S|NS,          0, 0, 0, CmdDebug, "server", "1.0.0", "A container for debugging commands (SLEEP, OBJECT, HELP).", "Depends on subcommand."},
};
// clang-format on

}  // namespace

std::span<const CommandSpec> CommandTable() { return kTable; }

}  // namespace dkv::server
