// Keyspace notifications (src/core/keyspace_events.h): notify-keyspace-events as Redis parses
// and prints it, and the events each command family publishes, by name and in Redis 7.2's order
// (notifyKeyspaceEvent calls of t_string.c, t_list.c, ...), captured through KeyspaceEvents'
// test seam. Delivery over Pub/Sub is tested end to end by tests/integration/
// test_keyspace_events.py.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"

using namespace dkv::server;

namespace {

using Events = std::vector<std::string>;

struct EventsFixture : CommandHarness {
  EventsFixture() {
    Flags("KEA");
    state.events.set_sink([this](uint32_t, std::string_view event, int db, std::string_view key) {
      std::string e = std::string(event) + " " + std::string(key);
      if (db != 0) e += " @" + std::to_string(db);
      got.push_back(e);
    });
  }
  void Flags(const std::string& flags) {
    BOOST_REQUIRE(Run({"CONFIG", "SET", "notify-keyspace-events", flags}) == "+OK\r\n");
  }
  // Runs `argv` and returns the events it published.
  Events Ev(const std::vector<std::string>& argv) {
    got.clear();
    std::string reply = Run(argv);
    BOOST_TEST_REQUIRE((reply.empty() || reply[0] != '-'), argv[0] << " replied " << reply);
    return got;
  }
  Events got;
};

uint32_t Parse(std::string_view text) {
  uint32_t flags = 0;
  BOOST_REQUIRE(KeyspaceEvents::ParseFlags(text, &flags));
  return flags;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keyspace_events)

BOOST_AUTO_TEST_CASE(flags_parse_and_print_as_redis) {
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("")) == "");
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("KEA")) == "AKE");
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("g$lshzxetd")) == "A");
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("Elg")) == "glE");
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("mnK")) == "nKm");
  // With every class of A on, `n` is not printed (Redis' keyspaceEventsFlagsToString).
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("AKEnm")) == "AKEm");
  BOOST_TEST(KeyspaceEvents::FormatFlags(Parse("x$")) == "$x");
  BOOST_TEST(Parse("A") == kNotifyAll);
  BOOST_TEST(Parse("K") == kNotifyKeyspace);
  uint32_t flags = 7;
  BOOST_TEST(!KeyspaceEvents::ParseFlags("KEq", &flags));
  BOOST_TEST(!KeyspaceEvents::ParseFlags("a", &flags));
  BOOST_TEST(flags == 7u);
}

BOOST_FIXTURE_TEST_CASE(config_set_and_get, CommandHarness) {
  BOOST_TEST(Run({"CONFIG", "GET", "notify-keyspace-events"}) ==
             "*2\r\n$22\r\nnotify-keyspace-events\r\n$0\r\n\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == "+OK\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "notify-keyspace-events"}) ==
             "*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n");
  BOOST_TEST(state.events.flags() == (kNotifyAll | kNotifyKeyspace | kNotifyKeyevent));
  BOOST_TEST(Run({"CONFIG", "SET", "notify-keyspace-events", "KEQ"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
             "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n");
  BOOST_TEST(Run({"CONFIG", "GET", "notify-keyspace-events"}) ==
             "*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n");
  BOOST_TEST(Run({"CONFIG", "SET", "notify-keyspace-events", ""}) == "+OK\r\n");
  BOOST_TEST(state.events.flags() == 0u);
}

BOOST_FIXTURE_TEST_CASE(nothing_when_off_or_class_not_selected, EventsFixture) {
  Flags("");
  BOOST_TEST(Ev({"SET", "k", "v"}).empty());
  Flags("Kl");  // lists only
  BOOST_TEST(Ev({"SET", "k", "v"}).empty());
  BOOST_TEST((Ev({"LPUSH", "l", "a"}) == Events{"lpush l"}));
  Flags("l");  // neither K nor E: nothing is published
  BOOST_TEST(Ev({"LPUSH", "l", "a"}).empty());
}

BOOST_FIXTURE_TEST_CASE(strings, EventsFixture) {
  BOOST_TEST((Ev({"SET", "k", "v"}) == Events{"set k"}));
  BOOST_TEST((Ev({"SET", "k", "v", "EX", "100"}) == Events{"set k", "expire k"}));
  BOOST_TEST(Ev({"SET", "k", "v", "NX"}).empty());
  BOOST_TEST((Ev({"SETEX", "k", "100", "v"}) == Events{"set k", "expire k"}));
  BOOST_TEST((Ev({"MSET", "a", "1", "b", "2"}) == Events{"set a", "set b"}));
  BOOST_TEST((Ev({"INCR", "n"}) == Events{"incrby n"}));
  BOOST_TEST((Ev({"DECRBY", "n", "3"}) == Events{"incrby n"}));
  BOOST_TEST((Ev({"INCRBYFLOAT", "n", "1.5"}) == Events{"incrbyfloat n"}));
  BOOST_TEST((Ev({"APPEND", "k", "x"}) == Events{"append k"}));
  BOOST_TEST((Ev({"SETRANGE", "k", "1", "y"}) == Events{"setrange k"}));
  BOOST_TEST(Ev({"SETRANGE", "k", "1", ""}).empty());
  BOOST_TEST((Ev({"GETSET", "k", "w"}) == Events{"set k"}));
  BOOST_TEST((Ev({"GETEX", "k", "EX", "10"}) == Events{"expire k"}));
  BOOST_TEST((Ev({"GETEX", "k", "PERSIST"}) == Events{"persist k"}));
  BOOST_TEST((Ev({"GETEX", "k", "PXAT", "1"}) == Events{"del k"}));
  Run({"SET", "k", "v"});
  BOOST_TEST((Ev({"GETDEL", "k"}) == Events{"del k"}));
  BOOST_TEST((Ev({"SETBIT", "bm", "3", "1"}) == Events{"setbit bm"}));
  BOOST_TEST(Ev({"SETBIT", "bm", "3", "1"}).empty());  // no change, no event (Redis)
  BOOST_TEST((Ev({"BITFIELD", "bm", "SET", "u8", "0", "1"}) == Events{"setbit bm"}));
  BOOST_TEST((Ev({"BITOP", "OR", "d", "bm"}) == Events{"set d"}));
  BOOST_TEST((Ev({"BITOP", "OR", "d", "missing"}) == Events{"del d"}));
  BOOST_TEST((Ev({"PFADD", "h", "a"}) == Events{"pfadd h"}));
  BOOST_TEST(Ev({"PFADD", "h", "a"}).empty());
  BOOST_TEST((Ev({"PFMERGE", "h2", "h"}) == Events{"pfadd h2"}));
}

BOOST_FIXTURE_TEST_CASE(generic, EventsFixture) {
  Run({"MSET", "a", "1", "b", "2"});
  BOOST_TEST((Ev({"DEL", "a", "missing", "b"}) == Events{"del a", "del b"}));
  Run({"SET", "a", "1"});
  BOOST_TEST((Ev({"RENAME", "a", "c"}) == Events{"rename_from a", "rename_to c"}));
  BOOST_TEST((Ev({"COPY", "c", "d"}) == Events{"copy_to d"}));
  BOOST_TEST((Ev({"COPY", "c", "d", "DB", "2", "REPLACE"}) == Events{"copy_to d @2"}));
  BOOST_TEST((Ev({"MOVE", "d", "1"}) == Events{"move_from d", "move_to d @1"}));
  BOOST_TEST((Ev({"EXPIRE", "c", "100"}) == Events{"expire c"}));
  BOOST_TEST(Ev({"EXPIRE", "c", "100", "NX"}).empty());
  BOOST_TEST((Ev({"PERSIST", "c"}) == Events{"persist c"}));
  BOOST_TEST((Ev({"PEXPIRE", "c", "-1"}) == Events{"del c"}));
  Run({"SET", "src", "v"});
  std::string dump = Run({"DUMP", "src"});
  std::string payload = dump.substr(dump.find("\r\n") + 2);
  payload.resize(payload.size() - 2);
  BOOST_TEST((Ev({"RESTORE", "r", "0", payload}) == Events{"restore r"}));
  BOOST_TEST(Ev({"FLUSHALL"}).empty());  // Redis sends no event per key for a flush
  Run({"SELECT", "3"});
  BOOST_TEST((Ev({"SET", "k", "v"}) == Events{"set k @3"}));
}

BOOST_FIXTURE_TEST_CASE(lists, EventsFixture) {
  BOOST_TEST((Ev({"RPUSH", "l", "a", "b", "c"}) == Events{"rpush l"}));
  BOOST_TEST((Ev({"LPUSHX", "l", "z"}) == Events{"lpush l"}));
  BOOST_TEST(Ev({"LPUSHX", "nolist", "z"}).empty());
  BOOST_TEST((Ev({"LSET", "l", "0", "y"}) == Events{"lset l"}));
  BOOST_TEST((Ev({"LINSERT", "l", "BEFORE", "a", "x"}) == Events{"linsert l"}));
  BOOST_TEST(Ev({"LINSERT", "l", "BEFORE", "nope", "x"}).empty());
  BOOST_TEST((Ev({"LREM", "l", "0", "x"}) == Events{"lrem l"}));
  BOOST_TEST((Ev({"LPOP", "l"}) == Events{"lpop l"}));
  BOOST_TEST((Ev({"LTRIM", "l", "0", "1"}) == Events{"ltrim l"}));
  BOOST_TEST((Ev({"LMOVE", "l", "m", "LEFT", "RIGHT"}) == Events{"rpush m", "lpop l"}));
  BOOST_TEST((Ev({"RPOPLPUSH", "l", "m"}) == Events{"lpush m", "rpop l", "del l"}));
  BOOST_TEST((Ev({"RPOP", "m", "5"}) == Events{"rpop m", "del m"}));
  Run({"RPUSH", "l", "a", "b"});
  BOOST_TEST((Ev({"LMPOP", "2", "none", "l", "RIGHT", "COUNT", "1"}) == Events{"rpop l"}));
  BOOST_TEST((Ev({"BLPOP", "l", "0"}) == Events{"lpop l", "del l"}));
  Run({"RPUSH", "l", "a"});
  BOOST_TEST((Ev({"LTRIM", "l", "1", "0"}) == Events{"ltrim l", "del l"}));
  Run({"RPUSH", "l", "a"});
  BOOST_TEST(
      (Ev({"BLMOVE", "l", "d", "RIGHT", "LEFT", "0"}) == Events{"lpush d", "rpop l", "del l"}));
  Run({"RPUSH", "s", "3", "1", "2"});
  BOOST_TEST((Ev({"SORT", "s", "STORE", "sorted"}) == Events{"sortstore sorted"}));
  BOOST_TEST((Ev({"SORT", "none", "STORE", "sorted"}) == Events{"del sorted"}));
}

BOOST_FIXTURE_TEST_CASE(hashes, EventsFixture) {
  BOOST_TEST((Ev({"HSET", "h", "f", "1", "g", "2"}) == Events{"hset h"}));
  BOOST_TEST((Ev({"HMSET", "h", "f", "1"}) == Events{"hset h"}));
  BOOST_TEST(Ev({"HSETNX", "h", "f", "1"}).empty());
  BOOST_TEST((Ev({"HSETNX", "h", "n", "1"}) == Events{"hset h"}));
  BOOST_TEST((Ev({"HINCRBY", "h", "f", "2"}) == Events{"hincrby h"}));
  BOOST_TEST((Ev({"HINCRBYFLOAT", "h", "f", "2.5"}) == Events{"hincrbyfloat h"}));
  BOOST_TEST((Ev({"HEXPIRE", "h", "100", "FIELDS", "1", "g"}) == Events{"hexpire h"}));
  BOOST_TEST((Ev({"HPERSIST", "h", "FIELDS", "1", "g"}) == Events{"hpersist h"}));
  BOOST_TEST(Ev({"HPERSIST", "h", "FIELDS", "1", "g"}).empty());
  BOOST_TEST((Ev({"HDEL", "h", "f", "missing"}) == Events{"hdel h"}));
  BOOST_TEST(Ev({"HDEL", "h", "missing"}).empty());
  BOOST_TEST((Ev({"HDEL", "h", "g", "n"}) == Events{"hdel h", "del h"}));
}

BOOST_FIXTURE_TEST_CASE(sets, EventsFixture) {
  BOOST_TEST((Ev({"SADD", "s", "a", "b", "c"}) == Events{"sadd s"}));
  BOOST_TEST(Ev({"SADD", "s", "a"}).empty());
  BOOST_TEST((Ev({"SREM", "s", "a"}) == Events{"srem s"}));
  BOOST_TEST((Ev({"SMOVE", "s", "t", "b"}) == Events{"srem s", "sadd t"}));
  BOOST_TEST((Ev({"SPOP", "s"}) == Events{"spop s", "del s"}));
  BOOST_TEST((Ev({"SUNIONSTORE", "u", "t"}) == Events{"sunionstore u"}));
  BOOST_TEST((Ev({"SINTERSTORE", "u", "t", "none"}) == Events{"del u"}));
  BOOST_TEST(Ev({"SDIFFSTORE", "u", "none"}).empty());
}

BOOST_FIXTURE_TEST_CASE(sorted_sets, EventsFixture) {
  BOOST_TEST((Ev({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}) == Events{"zadd z"}));
  BOOST_TEST(Ev({"ZADD", "z", "1", "a"}).empty());
  BOOST_TEST((Ev({"ZINCRBY", "z", "1", "a"}) == Events{"zincr z"}));
  BOOST_TEST((Ev({"ZREM", "z", "a"}) == Events{"zrem z"}));
  BOOST_TEST((Ev({"ZRANGESTORE", "r", "z", "0", "-1"}) == Events{"zrangestore r"}));
  BOOST_TEST((Ev({"ZUNIONSTORE", "u", "1", "z"}) == Events{"zunionstore u"}));
  BOOST_TEST((Ev({"ZINTERSTORE", "u", "2", "z", "none"}) == Events{"del u"}));
  BOOST_TEST((Ev({"ZREMRANGEBYSCORE", "z", "2", "2"}) == Events{"zremrangebyscore z"}));
  BOOST_TEST((Ev({"ZPOPMIN", "z"}) == Events{"zpopmin z"}));
  BOOST_TEST((Ev({"ZMPOP", "1", "z", "MAX"}) == Events{"zpopmax z", "del z"}));
  BOOST_TEST((Ev({"ZREMRANGEBYRANK", "r", "0", "-1"}) == Events{"zremrangebyrank r", "del r"}));
  BOOST_TEST((Ev({"GEOADD", "g", "13.36", "38.11", "Palermo"}) == Events{"zadd g"}));
  BOOST_TEST((Ev({"GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "13.36", "38.11", "BYRADIUS", "10",
                  "km"}) == Events{"geosearchstore gs"}));
  BOOST_TEST((Ev({"BZPOPMAX", "gs", "0"}) == Events{"zpopmax gs", "del gs"}));
}

BOOST_FIXTURE_TEST_CASE(kv_commands, EventsFixture) {
  BOOST_TEST((Ev({"KV.SET", "app.a", "1"}) == Events{"set app.a"}));
  BOOST_TEST((Ev({"KV.IMPORT", "app", R"({"b":1,"c":2})"}) == Events{"set app.b", "set app.c"}));
  BOOST_TEST((Ev({"KV.CAS", "app.a", "1", "2"}) == Events{"set app.a"}));
  // A subtree goes in one event, whatever its size.
  std::vector<std::string> del = Ev({"KV.DEL", "app.**"});
  BOOST_TEST(del.size() == 1u);
  BOOST_TEST(del[0].rfind("kv.delprefix app", 0) == 0u);
}

BOOST_FIXTURE_TEST_CASE(new_keys_and_misses, EventsFixture) {
  Flags("KEAn");
  BOOST_TEST((Ev({"SET", "k", "v"}) == Events{"new k", "set k"}));
  BOOST_TEST((Ev({"SET", "k", "v"}) == Events{"set k"}));
  BOOST_TEST((Ev({"LPUSH", "l", "a"}) == Events{"new l", "lpush l"}));
  BOOST_TEST((Ev({"INCR", "n"}) == Events{"new n", "incrby n"}));
  Run({"SADD", "s", "a"});
  // A *STORE onto an existing key overwrites it: no "new" (Redis' setKey).
  BOOST_TEST((Ev({"SUNIONSTORE", "u", "s"}) == Events{"new u", "sunionstore u"}));
  BOOST_TEST((Ev({"SUNIONSTORE", "u", "s"}) == Events{"sunionstore u"}));
  BOOST_TEST((Ev({"RENAME", "u", "v"}) == Events{"new v", "rename_from u", "rename_to v"}));
  Flags("Km");
  BOOST_TEST((Ev({"GET", "missing"}) == Events{"keymiss missing"}));
  BOOST_TEST(Ev({"GET", "k"}).empty());
  BOOST_TEST(Ev({"SET", "k2", "v"}).empty());  // writes are no misses
  Flags("KE");
  BOOST_TEST(Ev({"GET", "missing"}).empty());
  BOOST_TEST(state.keyspace.notices() == nullptr);  // the engine does not even ask
}

BOOST_FIXTURE_TEST_CASE(expired_and_evicted, EventsFixture) {
  Run({"SET", "k", "v", "PX", "10"});
  AdvanceMs(20);
  BOOST_TEST((Ev({"GET", "k"}) == Events{"expired k"}));  // lazy expiry
  Run({"SET", "k", "v", "PX", "10"});
  AdvanceMs(20);
  got.clear();
  state.keyspace.RefreshTime();
  state.keyspace.ActiveExpireCycle(100, 1000000);
  BOOST_TEST((got == Events{"expired k"}));
  // The harness counts 100 bytes per key: maxmemory 1000 holds 10, and 11 are over.
  Run({"FLUSHALL"});
  for (int i = 0; i < 11; ++i) Run({"SET", "e" + std::to_string(i), "v"});
  Run({"CONFIG", "SET", "maxmemory", "1000", "maxmemory-policy", "allkeys-random"});
  Events ev = Ev({"SET", "e11", "v"});
  BOOST_TEST_REQUIRE(ev.size() >= 2u);
  BOOST_TEST(ev[0].rfind("evicted e", 0) == 0u);
  BOOST_TEST(ev.back() == "set e11");
}

BOOST_AUTO_TEST_SUITE_END()
