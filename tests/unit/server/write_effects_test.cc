// Write side effects, generated from the command table: every row with the write flag has at
// least one example below, run through the real dispatcher. For each example a second client
// WATCHes the key the command changes, and the test checks that its EXEC is aborted and that the
// keyspace's dirty counter (INFO's rdb_changes_since_last_save) moved by the command's count.
// A write command added to the table without an example here fails the test, so nobody has to
// remember that WATCH, the PostgreSQL queue and the save schedule must hear of it: the engine's
// write operations tell them, and this test proves the command goes through them.
// With notify-keyspace-events "KEA" each example that changes something must also publish at
// least one keyspace event (captured through KeyspaceEvents' test seam), so a write command
// cannot forget its ctx.Notify; the few that Redis keeps silent are listed in kSilent.
#include <boost/test/unit_test.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.h"
#include "write_examples.h"

using namespace dkv::server;

namespace dkv::server::testing {

// name (as in the table) -> examples. The first example of each command is its ordinary write;
// the others pin down variants whose counts differ.
const std::map<std::string, std::vector<Example>>& WriteExamples() {
  static const std::map<std::string, std::vector<Example>> examples = {
      {"set",
       {{{}, {"SET", "k", "v"}, "k", 1},
        // Refused by XX: no change, nothing counted, the WATCH holds.
        {{}, {"SET", "k", "v", "XX"}, "k", 0, false},
        // An expiry already past deletes the key (Redis 7) and counts as the write it is.
        {{{"SET", "k", "old"}}, {"SET", "k", "v", "PXAT", "1"}, "k", 1}}},
      {"setnx", {{{}, {"SETNX", "k", "v"}, "k", 1}}},
      {"setex", {{{}, {"SETEX", "k", "100", "v"}, "k", 1}}},
      {"psetex", {{{}, {"PSETEX", "k", "100000", "v"}, "k", 1}}},
      {"getex",
       {{{{"SET", "k", "v"}}, {"GETEX", "k", "EX", "100"}, "k", 1},
        {{{"SET", "k", "v"}}, {"GETEX", "k"}, "k", 0, false},
        {{{"SET", "k", "v", "EX", "100"}}, {"GETEX", "k", "PERSIST"}, "k", 1},
        {{{"SET", "k", "v"}}, {"GETEX", "k", "PXAT", "1"}, "k", 1}}},
      {"getdel", {{{{"SET", "k", "v"}}, {"GETDEL", "k"}, "k", 1}}},
      {"getset", {{{}, {"GETSET", "k", "v"}, "k", 1}}},
      {"mset", {{{}, {"MSET", "k", "v", "k2", "v2"}, "k", 2}}},
      {"msetnx", {{{}, {"MSETNX", "k", "v", "k2", "v2"}, "k", 2}}},
      {"msetex", {{{}, {"MSETEX", "2", "k", "v", "k2", "v2", "EX", "100"}, "k2", 2}}},
      {"incr", {{{}, {"INCR", "k"}, "k", 1}}},
      {"decr", {{{}, {"DECR", "k"}, "k", 1}}},
      {"incrby", {{{}, {"INCRBY", "k", "5"}, "k", 1}}},
      {"decrby", {{{}, {"DECRBY", "k", "5"}, "k", 1}}},
      {"incrbyfloat", {{{}, {"INCRBYFLOAT", "k", "1.5"}, "k", 1}}},
      // Hashes: one write per pair given (HSET, HMSET), per field removed (HDEL), as Redis.
      {"hset",
       {{{}, {"HSET", "k", "f", "v", "g", "w"}, "k", 2},
        {{{"HSET", "k", "f", "v"}}, {"HSET", "k", "f", "v"}, "k", 1}}},
      {"hmset", {{{}, {"HMSET", "k", "f", "v", "g", "w"}, "k", 2}}},
      {"hsetnx",
       {{{}, {"HSETNX", "k", "f", "v"}, "k", 1},
        {{{"HSET", "k", "f", "v"}}, {"HSETNX", "k", "f", "w"}, "k", 0, false}}},
      {"hdel",
       {{{{"HSET", "k", "f", "v", "g", "w"}}, {"HDEL", "k", "f", "g", "x"}, "k", 2},
        {{{"HSET", "k", "f", "v", "g", "w"}}, {"HDEL", "k", "f"}, "k", 1},
        {{{"HSET", "k", "f", "v"}}, {"HDEL", "k", "x"}, "k", 0, false}}},
      {"hincrby",
       {{{}, {"HINCRBY", "k", "f", "5"}, "k", 1},
        {{{"HSET", "k", "f", "1"}}, {"HINCRBY", "k", "f", "0"}, "k", 1}}},
      {"hincrbyfloat", {{{}, {"HINCRBYFLOAT", "k", "f", "1.5"}, "k", 1}}},
      // Hash field expiration: one write per field whose time changed or that went.
      {"hexpire",
       {{{{"HSET", "k", "f", "v", "g", "w"}},
         {"HEXPIRE", "k", "100", "FIELDS", "2", "f", "x"},
         "k",
         1},
        {{{"HSET", "k", "f", "v"}},
         {"HEXPIRE", "k", "100", "XX", "FIELDS", "1", "f"},
         "k",
         0,
         false},
        {{{"HSET", "k", "f", "v", "g", "w"}}, {"HEXPIRE", "k", "0", "FIELDS", "1", "f"}, "k", 1}}},
      {"hpexpire",
       {{{{"HSET", "k", "f", "v"}}, {"HPEXPIRE", "k", "100000", "FIELDS", "1", "f"}, "k", 1}}},
      {"hexpireat",
       {{{{"HSET", "k", "f", "v"}}, {"HEXPIREAT", "k", kLaterS, "FIELDS", "1", "f"}, "k", 1}}},
      {"hpexpireat",
       {{{{"HSET", "k", "f", "v"}}, {"HPEXPIREAT", "k", kLaterMs, "FIELDS", "1", "f"}, "k", 1}}},
      {"hpersist",
       {{{{"HSET", "k", "f", "v"}, {"HEXPIRE", "k", "100", "FIELDS", "1", "f"}},
         {"HPERSIST", "k", "FIELDS", "1", "f"},
         "k",
         1},
        {{{"HSET", "k", "f", "v"}}, {"HPERSIST", "k", "FIELDS", "1", "f"}, "k", 0, false}}},
      {"hgetex",
       {{{{"HSET", "k", "f", "v"}}, {"HGETEX", "k", "EX", "100", "FIELDS", "1", "f"}, "k", 1},
        {{{"HSET", "k", "f", "v"}}, {"HGETEX", "k", "FIELDS", "1", "f"}, "k", 0, false}}},
      {"hsetex",
       {{{}, {"HSETEX", "k", "EX", "100", "FIELDS", "2", "f", "v", "g", "w"}, "k", 4},
        {{{"HSET", "k", "f", "v"}},
         {"HSETEX", "k", "FNX", "FIELDS", "1", "f", "w"},
         "k",
         0,
         false}}},
      {"hgetdel",
       {{{{"HSET", "k", "f", "v", "g", "w"}}, {"HGETDEL", "k", "FIELDS", "2", "f", "x"}, "k", 1}}},
      // PFADD counts the creation and each element that raised a register, as Redis.
      {"pfadd",
       {{{}, {"PFADD", "k", "a", "b"}, "k", 3},
        {{{"PFADD", "k", "a"}}, {"PFADD", "k", "a"}, "k", 0, false}}},
      {"pfmerge", {{{{"PFADD", "s", "a"}}, {"PFMERGE", "k", "s"}, "k", 1}}},
      // Redis counts the conversion without signalling the key; dkv's write operation does both.
      {"pfdebug",
       {{{{"PFADD", "k", "a"}}, {"PFDEBUG", "TODENSE", "k"}, "k", 1},
        {{{"PFADD", "k", "a"}}, {"PFDEBUG", "ENCODING", "k"}, "k", 0, false}}},
      // Sets: one write per member added, removed or popped, as Redis counts them.
      {"sadd",
       {{{}, {"SADD", "k", "a", "b"}, "k", 2},
        {{{"SADD", "k", "a"}}, {"SADD", "k", "a"}, "k", 0, false}}},
      {"srem",
       {{{{"SADD", "k", "a", "b"}}, {"SREM", "k", "a", "c"}, "k", 1},
        // The last member goes: the key goes.
        {{{"SADD", "k", "a", "b"}}, {"SREM", "k", "a", "b"}, "k", 2},
        {{{"SADD", "k", "a"}}, {"SREM", "k", "z"}, "k", 0, false}}},
      {"spop",
       {{{{"SADD", "k", "a", "b", "c"}}, {"SPOP", "k"}, "k", 1},
        {{{"SADD", "k", "a", "b", "c"}}, {"SPOP", "k", "2"}, "k", 2},
        {{{"SADD", "k", "a", "b"}}, {"SPOP", "k", "5"}, "k", 2},
        {{{"SADD", "k", "a"}}, {"SPOP", "k", "0"}, "k", 0, false}}},
      // SMOVE counts the removal and the add (one when the destination had the member).
      {"smove",
       {{{{"SADD", "s", "a", "b"}}, {"SMOVE", "s", "k", "a"}, "k", 2},
        {{{"SADD", "s", "a"}, {"SADD", "k", "a"}}, {"SMOVE", "s", "k", "a"}, "s", 1},
        {{{"SADD", "s", "a"}}, {"SMOVE", "s", "k", "z"}, "k", 0, false}}},
      {"sinterstore",
       {{{{"SADD", "s", "a", "b"}, {"SADD", "t", "a"}}, {"SINTERSTORE", "k", "s", "t"}, "k", 1},
        // An empty result deletes the destination, whatever it held.
        {{{"SET", "k", "x"}}, {"SINTERSTORE", "k", "s", "t"}, "k", 1},
        {{}, {"SINTERSTORE", "k", "s", "t"}, "k", 0, false}}},
      {"sunionstore",
       {{{{"SADD", "s", "a", "b"}, {"SADD", "t", "c"}}, {"SUNIONSTORE", "k", "s", "t"}, "k", 1}}},
      {"sdiffstore",
       {{{{"SADD", "s", "a", "b"}, {"SADD", "t", "a"}}, {"SDIFFSTORE", "k", "s", "t"}, "k", 1}}},
      // Lists: one write per element pushed, popped or removed, as Redis counts.
      {"lpush", {{{}, {"LPUSH", "k", "a", "b"}, "k", 2}}},
      {"rpush", {{{{"RPUSH", "k", "a"}}, {"RPUSH", "k", "b", "c", "d"}, "k", 3}}},
      {"lpushx",
       {{{{"RPUSH", "k", "a"}}, {"LPUSHX", "k", "b"}, "k", 1},
        {{}, {"LPUSHX", "k", "b"}, "k", 0, false}}},
      {"rpushx",
       {{{{"RPUSH", "k", "a"}}, {"RPUSHX", "k", "b", "c"}, "k", 2},
        {{}, {"RPUSHX", "k", "b"}, "k", 0, false}}},
      {"lpop",
       {{{{"RPUSH", "k", "a", "b"}}, {"LPOP", "k"}, "k", 1},
        {{{"RPUSH", "k", "a", "b", "c"}}, {"LPOP", "k", "5"}, "k", 3},
        {{{"RPUSH", "k", "a"}}, {"LPOP", "k", "0"}, "k", 0, false}}},
      {"rpop", {{{{"RPUSH", "k", "a", "b", "c"}}, {"RPOP", "k", "2"}, "k", 2}}},
      {"lset", {{{{"RPUSH", "k", "a"}}, {"LSET", "k", "0", "b"}, "k", 1}}},
      {"linsert",
       {{{{"RPUSH", "k", "a"}}, {"LINSERT", "k", "BEFORE", "a", "b"}, "k", 1},
        {{{"RPUSH", "k", "a"}}, {"LINSERT", "k", "BEFORE", "z", "b"}, "k", 0, false}}},
      {"lrem",
       {{{{"RPUSH", "k", "a", "b", "a"}}, {"LREM", "k", "0", "a"}, "k", 2},
        {{{"RPUSH", "k", "a"}}, {"LREM", "k", "0", "z"}, "k", 0, false}}},
      // LTRIM counts the elements removed, and signals the key even when none was (Redis).
      {"ltrim",
       {{{{"RPUSH", "k", "a", "b", "c"}}, {"LTRIM", "k", "1", "1"}, "k", 2},
        {{{"RPUSH", "k", "a", "b"}}, {"LTRIM", "k", "0", "-1"}, "k", 0}}},
      // LMOVE and RPOPLPUSH count one write for the move; both keys are signalled.
      {"lmove",
       {{{{"RPUSH", "s", "a", "b"}}, {"LMOVE", "s", "k", "LEFT", "RIGHT"}, "k", 1},
        {{{"RPUSH", "k", "a"}}, {"LMOVE", "k", "d", "LEFT", "RIGHT"}, "k", 1}}},
      {"rpoplpush", {{{{"RPUSH", "s", "a", "b"}}, {"RPOPLPUSH", "s", "k"}, "k", 1}}},
      {"lmpop",
       {{{{"RPUSH", "k", "a", "b", "c"}},
         {"LMPOP", "2", "none", "k", "LEFT", "COUNT", "2"},
         "k",
         2},
        {{}, {"LMPOP", "1", "k", "LEFT"}, "k", 0, false}}},
      // Streams: XADD counts one write (its trimming included), XDEL and XTRIM the entries
      // removed (nothing signalled when none was), XSETID one.
      {"xadd",
       {{{}, {"XADD", "k", "1-1", "f", "v"}, "k", 1},
        {{{"XADD", "k", "1-1", "f", "v"}}, {"XADD", "k", "MAXLEN", "0", "2-1", "f", "v"}, "k", 1},
        {{}, {"XADD", "k", "NOMKSTREAM", "*", "f", "v"}, "k", 0, false}}},
      {"xdel",
       {{{{"XADD", "k", "1-1", "f", "v"}, {"XADD", "k", "2-1", "f", "v"}},
         {"XDEL", "k", "1-1", "2-1", "3-1"},
         "k",
         2},
        {{{"XADD", "k", "1-1", "f", "v"}}, {"XDEL", "k", "5-5"}, "k", 0, false}}},
      {"xtrim",
       {{{{"XADD", "k", "1-1", "f", "v"}, {"XADD", "k", "2-1", "f", "v"}},
         {"XTRIM", "k", "MAXLEN", "0"},
         "k",
         2},
        {{{"XADD", "k", "1-1", "f", "v"}}, {"XTRIM", "k", "MAXLEN", "5"}, "k", 0, false}}},
      {"xsetid", {{{{"XADD", "k", "1-1", "f", "v"}}, {"XSETID", "k", "5-0"}, "k", 1}}},
      {"append",
       {{{}, {"APPEND", "k", "v"}, "k", 1}, {{{"SET", "k", "v"}}, {"APPEND", "k", "w"}, "k", 1}}},
      {"setrange",
       {{{}, {"SETRANGE", "k", "2", "v"}, "k", 1},
        {{{"SET", "k", "abc"}}, {"SETRANGE", "k", "1", "x"}, "k", 1},
        // Nothing to write: a no-op.
        {{{"SET", "k", "abc"}}, {"SETRANGE", "k", "1", ""}, "k", 0, false}}},
      {"delex", {{{{"SET", "k", "v"}}, {"DELEX", "k"}, "k", 1}}},
      {"setbit",
       {{{}, {"SETBIT", "k", "7", "1"}, "k", 1},
        // The bit is already set and the value does not grow: nothing changes (Redis 7.2).
        {{{"SET", "k", "a"}}, {"SETBIT", "k", "7", "1"}, "k", 0, false}}},
      {"bitop",
       {{{{"SET", "a", "x"}}, {"BITOP", "NOT", "k", "a"}, "k", 1},
        // An empty result deletes the destination.
        {{{"SET", "k", "v"}}, {"BITOP", "AND", "k", "missing"}, "k", 1},
        {{}, {"BITOP", "OR", "k", "missing"}, "k", 0, false}}},
      {"bitfield",
       {{{}, {"BITFIELD", "k", "SET", "u8", "0", "255"}, "k", 1},
        // One write per field changed, as Redis counts.
        {{}, {"BITFIELD", "k", "SET", "u8", "0", "1", "INCRBY", "i4", "#3", "2"}, "k", 2},
        {{{"SET", "k", "a"}}, {"BITFIELD", "k", "GET", "u8", "0"}, "k", 0, false}}},
      {"delifeq", {{{{"SET", "k", "v"}}, {"DELIFEQ", "k", "v"}, "k", 1}}},
      {"del",
       {{{{"MSET", "k", "v", "k2", "v2"}}, {"DEL", "k", "k2", "missing"}, "k", 2},
        {{}, {"DEL", "missing"}, "missing", 0, false}}},
      {"unlink", {{{{"MSET", "k", "v", "k2", "v2"}}, {"UNLINK", "k", "k2"}, "k2", 2}}},
      // One write for the move, as Redis; both names are signalled.
      {"rename",
       {{{{"SET", "k", "v"}}, {"RENAME", "k", "k2"}, "k", 1},
        {{{"SET", "k", "v"}}, {"RENAME", "k", "k2"}, "k2", 1}}},
      {"renamenx", {{{{"SET", "k", "v"}}, {"RENAMENX", "k", "k2"}, "k2", 1}}},
      {"restore",
       {{{{"SET", "src", "v"}}, {"RESTORE", "k", "0", "<dump:src>"}, "k", 1},
        // REPLACE with a TTL already past deletes the old key (Redis counts that delete too).
        {{{"SET", "src", "v"}, {"SET", "k", "old"}},
         {"RESTORE", "k", "1", "<dump:src>", "REPLACE", "ABSTTL"},
         "k",
         1}}},
      // COPY changes only the destination.
      {"copy", {{{{"SET", "k", "v"}}, {"COPY", "k", "k2"}, "k2", 1}}},
      {"move", {{{{"SET", "k", "v"}}, {"MOVE", "k", "1"}, "k", 1}}},
      {"expire",
       {{{{"SET", "k", "v"}}, {"EXPIRE", "k", "100"}, "k", 1},
        {{{"SET", "k", "v"}}, {"EXPIRE", "k", "-1"}, "k", 1},
        {{{"SET", "k", "v"}}, {"EXPIRE", "k", "100", "XX"}, "k", 0, false}}},
      {"pexpire", {{{{"SET", "k", "v"}}, {"PEXPIRE", "k", "100000"}, "k", 1}}},
      {"expireat", {{{{"SET", "k", "v"}}, {"EXPIREAT", "k", kLaterS}, "k", 1}}},
      {"pexpireat", {{{{"SET", "k", "v"}}, {"PEXPIREAT", "k", kLaterMs}, "k", 1}}},
      {"persist",
       {{{{"SET", "k", "v", "EX", "100"}}, {"PERSIST", "k"}, "k", 1},
        {{{"SET", "k", "v"}}, {"PERSIST", "k"}, "k", 0, false}}},
      // A subtree goes at once; a pattern deletes key by key. Each key counts.
      {"kv.del",
       {{{{"MSET", "a.b", "1", "a.c", "2"}}, {"KV.DEL", "a.**"}, "a.b", 2},
        {{{"MSET", "a.b", "1", "c.b", "2", "a.c", "3"}}, {"KV.DEL", "*.b"}, "c.b", 2}}},
      {"kv.set",
       {{{}, {"KV.SET", "a.k", "v"}, "a.k", 1},
        {{}, {"KV.SET", "a.k", "v", "META", "owner", "me", "content_type", "text/plain"}, "a.k", 1},
        {{}, {"KV.SET", "a.k", "v", "XX"}, "a.k", 0, false}}},
      {"kv.setmeta", {{{{"SET", "k", "v"}}, {"KV.SETMETA", "k", "owner", "me"}, "k", 1}}},
      {"kv.delmeta",
       {{{{"SET", "k", "v"}, {"KV.SETMETA", "k", "owner", "me"}},
         {"KV.DELMETA", "k", "owner"},
         "k",
         1},
        {{{"SET", "k", "v"}}, {"KV.DELMETA", "k", "owner"}, "k", 0, false}}},
      {"kv.cas", {{{{"SET", "k", "v"}}, {"KV.CAS", "k", "v", "w"}, "k", 1}}},
      // Exception: KV.CLEANUP removes only keys whose time has come, as the active expiry cycle
      // does, and expiry is not counted as a write (Redis' active expiry does not count it
      // either). Watchers still see the key go.
      {"kv.cleanup", {{{{"SET", "k", "v", "PX", "100"}}, {"KV.CLEANUP"}, "k", 0, true, 1000}}},
      {"kv.import", {{{}, {"KV.IMPORT", "app", R"({"a":1,"b":"x"})"}, "app.a", 2}}},
      // FLUSHDB counts the keys it deletes; FLUSHALL one more (Redis' flushall does too).
      {"flushdb", {{{{"MSET", "k", "v", "k2", "v2"}}, {"FLUSHDB"}, "k", 2}}},
      {"flushall",
       {{{{"MSET", "k", "v", "k2", "v2"}}, {"FLUSHALL"}, "k", 3},
        {{{"MSET", "k", "v", "k2", "v2"}}, {"FLUSHALL", "ASYNC"}, "k2", 3}}},
      {"swapdb",
       {{{{"SET", "k", "v"}}, {"SWAPDB", "0", "1"}, "k", 1},
        {{{"SET", "k", "v"}}, {"SWAPDB", "0", "0"}, "k", 0, false}}},
      // Function libraries are no keys: no WATCH breaks, and each change counts once, as
      // Redis' server.dirty++ (so the save schedule persists them).
      {"function|load",
       {{{}, {"FUNCTION", "LOAD", kLibrary}, "k", 1, false},
        {{{"FUNCTION", "LOAD", kLibrary}},
         {"FUNCTION", "LOAD", "REPLACE", kLibrary},
         "k",
         1,
         false}}},
      // Sorted sets: Redis counts ZADD once per member added or updated, the removals and pops
      // once per member, the STORE forms once.
      {"zadd",
       {{{}, {"ZADD", "k", "1", "a", "2", "b"}, "k", 2},
        {{{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "CH", "5", "a", "1", "b"}, "k", 2},
        {{{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "1", "a"}, "k", 0, false},
        {{}, {"ZADD", "k", "XX", "1", "a"}, "k", 0, false}}},
      {"zincrby",
       {{{{"ZADD", "k", "1", "a"}}, {"ZINCRBY", "k", "2", "a"}, "k", 1},
        {{{"ZADD", "k", "1", "a"}}, {"ZINCRBY", "k", "0", "a"}, "k", 0, false}}},
      {"zrem",
       {{{{"ZADD", "k", "1", "a", "2", "b"}}, {"ZREM", "k", "a", "c"}, "k", 1},
        {{{"ZADD", "k", "1", "a", "2", "b"}}, {"ZREM", "k", "a", "b"}, "k", 2},
        {{{"ZADD", "k", "1", "a"}}, {"ZREM", "k", "z"}, "k", 0, false}}},
      {"zremrangebyrank",
       {{{{"ZADD", "k", "1", "a", "2", "b", "3", "c"}}, {"ZREMRANGEBYRANK", "k", "0", "1"}, "k", 2},
        {{{"ZADD", "k", "1", "a"}}, {"ZREMRANGEBYRANK", "k", "5", "9"}, "k", 0, false}}},
      {"zremrangebyscore",
       {{{{"ZADD", "k", "1", "a", "2", "b", "3", "c"}},
         {"ZREMRANGEBYSCORE", "k", "-inf", "inf"},
         "k",
         3}}},
      {"zremrangebylex",
       {{{{"ZADD", "k", "0", "a", "0", "b", "0", "c"}},
         {"ZREMRANGEBYLEX", "k", "[a", "[b"},
         "k",
         2}}},
      {"zpopmin",
       {{{{"ZADD", "k", "1", "a", "2", "b"}}, {"ZPOPMIN", "k"}, "k", 1},
        {{{"ZADD", "k", "1", "a", "2", "b"}}, {"ZPOPMIN", "k", "5"}, "k", 2},
        {{{"ZADD", "k", "1", "a"}}, {"ZPOPMIN", "k", "0"}, "k", 0, false}}},
      {"zpopmax", {{{{"ZADD", "k", "1", "a", "2", "b"}}, {"ZPOPMAX", "k", "2"}, "k", 2}}},
      {"zmpop",
       {{{{"ZADD", "k", "1", "a", "2", "b"}},
         {"ZMPOP", "2", "x", "k", "MAX", "COUNT", "2"},
         "k",
         2}}},
      {"zrangestore",
       {{{{"ZADD", "s", "1", "a", "2", "b"}}, {"ZRANGESTORE", "k", "s", "0", "-1"}, "k", 1},
        {{{"SET", "k", "x"}}, {"ZRANGESTORE", "k", "s", "0", "-1"}, "k", 1},
        {{}, {"ZRANGESTORE", "k", "s", "0", "-1"}, "k", 0, false}}},
      {"zunionstore",
       {{{{"ZADD", "s", "1", "a"}, {"SADD", "t", "b"}},
         {"ZUNIONSTORE", "k", "2", "s", "t"},
         "k",
         1}}},
      {"zinterstore",
       {{{{"ZADD", "s", "1", "a"}, {"ZADD", "t", "2", "a"}},
         {"ZINTERSTORE", "k", "2", "s", "t"},
         "k",
         1},
        {{{"SET", "k", "x"}}, {"ZINTERSTORE", "k", "2", "s", "t"}, "k", 1}}},
      {"zdiffstore",
       {{{{"ZADD", "s", "1", "a", "2", "b"}, {"ZADD", "t", "1", "a"}},
         {"ZDIFFSTORE", "k", "2", "s", "t"},
         "k",
         1}}},
      {"function|delete",
       {{{{"FUNCTION", "LOAD", kLibrary}}, {"FUNCTION", "DELETE", "lib"}, "k", 1, false}}},
      {"function|flush",
       {{{{"FUNCTION", "LOAD", kLibrary}}, {"FUNCTION", "FLUSH"}, "k", 1, false}}},
      {"function|restore",
       {{{{"FUNCTION", "LOAD", kLibrary}},
         {"FUNCTION", "RESTORE", "<function-dump>", "REPLACE"},
         "k",
         1,
         false}}},
      // Geo: GEOADD is ZADD (one write per member added or moved); the STORE forms write the
      // destination once per stored member (Redis' count), or delete it once.
      {"geoadd",
       {{{}, {"GEOADD", "k", "13.361389", "38.115556", "Palermo"}, "k", 1},
        {{{"GEOADD", "k", "1", "2", "m"}}, {"GEOADD", "k", "NX", "3", "4", "m"}, "k", 0, false},
        {{{"GEOADD", "k", "1", "2", "m"}}, {"GEOADD", "k", "1", "2", "m"}, "k", 0, false}}},
      {"geosearchstore",
       {{{{"GEOADD", "s", "13.361389", "38.115556", "Palermo"}},
         {"GEOSEARCHSTORE", "k", "s", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"},
         "k",
         1},
        // An empty result deletes the destination.
        {{{"GEOADD", "s", "1", "2", "m"}, {"SET", "k", "x"}},
         {"GEOSEARCHSTORE", "k", "s", "FROMLONLAT", "50", "50", "BYRADIUS", "1", "km"},
         "k",
         1}}},
      {"georadius",
       {{{{"GEOADD", "s", "13.361389", "38.115556", "Palermo"}},
         {"GEORADIUS", "s", "13.361389", "38.115556", "1", "km", "STORE", "k"},
         "k",
         1},
        // Without STORE it only reads.
        {{{"GEOADD", "k", "1", "2", "m"}}, {"GEORADIUS", "k", "1", "2", "1", "km"}, "k", 0, false},
        // A missing source deletes the destination.
        {{{"SET", "k", "x"}}, {"GEORADIUS", "s", "1", "2", "1", "km", "STORE", "k"}, "k", 1}}},
      {"georadiusbymember",
       {{{{"GEOADD", "s", "13.361389", "38.115556", "Palermo"}},
         {"GEORADIUSBYMEMBER", "s", "Palermo", "1", "km", "STOREDIST", "k"},
         "k",
         1}}},
      // SORT ... STORE counts one write per element stored (Redis' server.dirty += outputlen);
      // an empty result deletes the destination (one write) or, absent, changes nothing.
      {"sort",
       {{{{"SADD", "s", "c", "a", "b"}}, {"SORT", "s", "ALPHA", "STORE", "k"}, "k", 3},
        {{{"SET", "k", "x"}}, {"SORT", "s", "STORE", "k"}, "k", 1},
        {{}, {"SORT", "s", "STORE", "k"}, "k", 0, false}}},
      // Blocking pops (src/commands/blocking_commands.cc): a key with values pops at once.
      {"blpop", {{{{"RPUSH", "k", "a", "b"}}, {"BLPOP", "k", "0"}, "k", 1}}},
      {"brpop", {{{{"RPUSH", "k", "a", "b"}}, {"BRPOP", "nokey", "k", "0.5"}, "k", 1}}},
      {"blmpop",
       {{{{"RPUSH", "k", "a", "b", "c"}},
         {"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"},
         "k",
         2}}},
      {"blmove",
       {{{{"RPUSH", "k", "a", "b"}}, {"BLMOVE", "k", "d", "LEFT", "RIGHT", "0"}, "d", 1}}},
      {"brpoplpush", {{{{"RPUSH", "k", "a", "b"}}, {"BRPOPLPUSH", "k", "k", "0"}, "k", 1}}},
      {"bzpopmin", {{{{"ZADD", "k", "1", "a", "2", "b"}}, {"BZPOPMIN", "k", "0"}, "k", 1}}},
      {"bzpopmax", {{{{"ZADD", "k", "1", "a", "2", "b"}}, {"BZPOPMAX", "k", "0"}, "k", 1}}},
      {"bzmpop",
       {{{{"ZADD", "k", "1", "a", "2", "b", "3", "c"}},
         {"BZMPOP", "0", "1", "k", "MAX", "COUNT", "2"},
         "k",
         2}}},
      // Stream consumer groups (src/commands/stream_group_commands.cc): one write per change
      // Redis counts (XREADGROUP: the consumer created, the stream served; XCLAIM and
      // XAUTOCLAIM: the consumer created, each entry claimed).
      {"xgroup|create",
       {{{}, {"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"}, "k", 1},
        {{{"XADD", "k", "1-0", "f", "v"}}, {"XGROUP", "CREATE", "k", "g", "0"}, "k", 1}}},
      {"xgroup|setid",
       {{{{"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"}},
         {"XGROUP", "SETID", "k", "g", "0"},
         "k",
         1}}},
      {"xgroup|destroy",
       {{{{"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"}},
         {"XGROUP", "DESTROY", "k", "g"},
         "k",
         1},
        {{{"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"}},
         {"XGROUP", "DESTROY", "k", "nog"},
         "k",
         0,
         false}}},
      {"xgroup|createconsumer",
       {{{{"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"}},
         {"XGROUP", "CREATECONSUMER", "k", "g", "c"},
         "k",
         1}}},
      {"xgroup|delconsumer",
       {{{{"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"},
          {"XGROUP", "CREATECONSUMER", "k", "g", "c"}},
         {"XGROUP", "DELCONSUMER", "k", "g", "c"},
         "k",
         1}}},
      {"xreadgroup",
       {{{{"XADD", "k", "1-0", "f", "v"}, {"XGROUP", "CREATE", "k", "g", "0"}},
         {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"},
         "k",
         2}}},
      {"xack",
       {{{{"XADD", "k", "1-0", "f", "v"},
          {"XGROUP", "CREATE", "k", "g", "0"},
          {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"}},
         {"XACK", "k", "g", "1-0", "2-0"},
         "k",
         1}}},
      {"xclaim",
       {{{{"XADD", "k", "1-0", "f", "v"},
          {"XGROUP", "CREATE", "k", "g", "0"},
          {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"}},
         {"XCLAIM", "k", "g", "c2", "0", "1-0"},
         "k",
         2}}},
      {"xautoclaim",
       {{{{"XADD", "k", "1-0", "f", "v"},
          {"XGROUP", "CREATE", "k", "g", "0"},
          {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"}},
         {"XAUTOCLAIM", "k", "g", "c2", "0", "0"},
         "k",
         2}}},
  };
  return examples;
}

}  // namespace dkv::server::testing

namespace {

using testing::Example;
const std::map<std::string, std::vector<Example>>& Examples() { return testing::WriteExamples(); }

// Write commands for which Redis publishes no keyspace event: flushes and SWAPDB (no event per
// key), function libraries (no keys), PFDEBUG TODENSE (a re-encoding), XACK (a group's
// pending list changes, never the entries; Redis 7.2's t_stream.c notifies nothing for it).
const std::set<std::string> kSilent = {"flushdb",          "flushall",       "swapdb",
                                       "function|delete",  "function|flush", "function|load",
                                       "function|restore", "pfdebug",        "xack"};

// The payload of a RESP2 bulk reply.
std::string BulkPayload(const std::string& reply) {
  size_t eol = reply.find("\r\n");
  BOOST_REQUIRE(reply.size() > 0 && reply[0] == '$' && eol != std::string::npos);
  size_t n = std::stoul(reply.substr(1, eol - 1));
  return reply.substr(eol + 2, n);
}

void RunExample(const std::string& name, const Example& ex) {
  CommandHarness h;
  for (const auto& cmd : ex.setup) {
    std::string r = h.Run(cmd);
    BOOST_REQUIRE_MESSAGE(r.empty() || r[0] != '-', name << " setup: " << r);
  }
  std::vector<std::string> args = ex.args;
  for (std::string& a : args) {
    if (a == "<function-dump>") a = BulkPayload(h.Run({"FUNCTION", "DUMP"}));
    if (a.rfind("<dump:", 0) == 0) {
      a = BulkPayload(h.Run({"DUMP", a.substr(6, a.size() - 7)}));
    }
  }
  BOOST_REQUIRE(h.Run({"WATCH", ex.watch}, 1) == "+OK\r\n");
  BOOST_REQUIRE(h.Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}, 2) == "+OK\r\n");
  std::vector<std::string> events;
  h.state.events.set_sink([&](uint32_t, std::string_view event, int, std::string_view key) {
    events.push_back(std::string(event) + " " + std::string(key));
  });
  h.AdvanceMs(ex.advance_ms);
  uint64_t before = h.state.keyspace.dirty();
  std::string reply = h.Run(args);
  h.state.events.set_sink(nullptr);
  if (ex.aborts && kSilent.count(name) == 0) {
    BOOST_TEST(!events.empty(), name << " changed a key but published no keyspace event");
  }
  BOOST_TEST_REQUIRE((reply.empty() || reply[0] != '-'), name << " replied " << reply);
  BOOST_TEST(h.state.keyspace.dirty() - before == ex.dirty);
  BOOST_TEST(h.Run({"MULTI"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"EXEC"}, 1) == (ex.aborts ? "*-1\r\n" : "*0\r\n"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(write_effects)

BOOST_AUTO_TEST_CASE(every_write_command_has_an_example) {
  std::set<std::string> writes;
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.flags & kWrite) writes.emplace(spec.name);
  }
  for (const std::string& name : writes) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(Examples().count(name) == 1u,
                 "write command " << name << " has no example in write_effects_test.cc");
    }
  }
  // And no example for a command that is gone or no longer writes.
  for (const auto& [name, list] : Examples()) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(writes.count(name) == 1u);
      BOOST_TEST(!list.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_write_aborts_watch_and_counts_dirty) {
  for (const CommandSpec& spec : CommandTable()) {
    if (!(spec.flags & kWrite)) continue;
    auto it = Examples().find(std::string(spec.name));
    if (it == Examples().end()) continue;  // reported by the test above
    for (size_t i = 0; i < it->second.size(); ++i) {
      BOOST_TEST_CONTEXT(spec.name << " example " << i) { RunExample(it->first, it->second[i]); }
    }
  }
}

// The same through MULTI/EXEC and a script: they run the same handlers, so the same engine
// operations signal and count.
BOOST_FIXTURE_TEST_CASE(writes_inside_exec_and_scripts_signal_too, CommandHarness) {
  BOOST_TEST(Run({"WATCH", "k"}, 1) == "+OK\r\n");
  uint64_t before = state.keyspace.dirty();
  BOOST_TEST(Run({"MULTI"}) == "+OK\r\n");
  BOOST_TEST(Run({"MSET", "k", "1", "k2", "2"}) == "+QUEUED\r\n");
  BOOST_TEST(Run({"EXEC"}) == "*1\r\n+OK\r\n");
  BOOST_TEST(state.keyspace.dirty() - before == 2u);
  BOOST_TEST(Run({"MULTI"}, 1) == "+OK\r\n");
  BOOST_TEST(Run({"EXEC"}, 1) == "*-1\r\n");

  BOOST_TEST(Run({"WATCH", "k"}, 1) == "+OK\r\n");
  before = state.keyspace.dirty();
  BOOST_TEST(Run({"EVAL", "return redis.call('DEL', KEYS[1], KEYS[2])", "2", "k", "k2"}) ==
             ":2\r\n");
  BOOST_TEST(state.keyspace.dirty() - before == 2u);
  BOOST_TEST(Run({"MULTI"}, 1) == "+OK\r\n");
  BOOST_TEST(Run({"EXEC"}, 1) == "*-1\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
