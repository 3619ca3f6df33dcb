// DUMP and RESTORE of lists and sorted sets: payloads written by redis-server 7.0.15 (a list as
// QUICKLIST_2 of one or more listpack nodes, a sorted set as ZSET_LISTPACK or ZSET_2;
// rdbcompression no) restore into dkv with their contents, and dkv's DUMP of the same encodings
// is the same body byte for byte (7.0.15 writes RDB version 10, dkv 11 as Redis 7.2). The older
// encodings Redis still loads (LIST, ZIPLIST, QUICKLIST of ziplists, ZSET with text scores,
// ZSET_ZIPLIST) restore too; damaged payloads answer "Bad data format" and leave the key alone.
// Also the generic commands on lists and sorted sets of both encodings: TYPE, OBJECT ENCODING,
// SCAN TYPE, MEMORY USAGE, RENAME, COPY, MOVE, KV.GET's JSON.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/container_view.h"
#include "engine/list_ops.h"
#include "engine/zset_ops.h"
#include "harness.h"
#include "src/tools/rdb_file.h"
#include "src/tools/rdb_writer.h"

using namespace dkv::server;
namespace engine = dkv::engine;

namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
std::string Err(const std::string& s) { return "-" + s + "\r\n"; }
const std::string kOk = "+OK\r\n";
const std::string kBadData = Err("ERR Bad data format");
const std::string kBadPayload = Err("ERR DUMP payload version or checksum are wrong");

// Redis 7.0.15, rdbcompression no:
// RPUSH l1 a 1 -2 hello 300000 9223372036854775807
const std::string kList1 = FromHex(
    "120102252500000006008161020101dffe028568656c6c6f06f2e0930404f4ffffffffffffff7f09ff0a001a02"
    "74253ff2ccdb");
// RPUSH lint <63 x> <64 y> 007 -0
const std::string kListStrings = FromHex(
    "1201024094940000000400bf787878787878787878787878787878787878787878787878787878787878787878"
    "78787878787878787878787878787878787878787878787878787878787840e040797979797979797979797979"
    "797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "79797979797979428330303704822d3003ff0a0094b5ec66d3cd4778");
// list-max-listpack-size 3: RPUSH lq 0 1 2 3 4 5 6 7 (three nodes: 3, 3, 2)
const std::string kListNodes = FromHex(
    "1203020d0d0000000300000101010201ff020d0d0000000300030104010501ff020b0b000000020006010701ff"
    "0a0049169cf14f19d58c");
// ZADD z1 a 1 b 1.5 c -2.25 d 0 e inf f -inf g 1e20 h 123456789012
const std::string kZsetListpack = FromHex(
    "11404b4b0000001000816602842d696e6605816302852d322e3235068164020001816102010181620283312e35"
    "04816802f4141a99be1c000000098167028531652b32300681650283696e6604ff0a0027aed0510bb1c218");
// zset-max-listpack-entries 2: ZADD zs x 1 y 2.5 z -1 (ZSET_2, highest score first)
const std::string kZsetSkiplist =
    FromHex("0503017900000000000004400178000000000000f03f017a000000000000f0bf0a0033cab5093fde6dcf");

std::string WithFooter(std::string body, uint16_t version = 11) {
  dkv::rdb::AppendDumpFooter(&body, version);
  return body;
}
// The payload's body (without version and CRC) with dkv's footer: RDB version 11.
std::string As72(const std::string& redis_payload) {
  return WithFooter(redis_payload.substr(0, redis_payload.size() - 10));
}

// A ziplist (Redis before 7.0) of string entries shorter than 64 bytes.
std::string Ziplist(const std::vector<std::string>& items) {
  std::string entries;
  size_t prev = 0, tail = 10;
  for (const std::string& s : items) {
    tail = 10 + entries.size();
    std::string e;
    e.push_back(static_cast<char>(prev));
    e.push_back(static_cast<char>(s.size()));  // 00pppppp: a string of up to 63 bytes
    e.append(s);
    prev = e.size();
    entries.append(e);
  }
  std::string out;
  auto le = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  le(10 + entries.size() + 1, 4);
  le(tail, 4);
  le(items.size(), 2);
  out.append(entries);
  out.push_back(static_cast<char>(0xFF));
  return out;
}

engine::Entry* Find(CommandHarness& h, const std::string& key, int db = 0) {
  return h.state.keyspace.db(db).FindRaw(key);
}

std::vector<std::string> Elements(CommandHarness& h, const std::string& key) {
  engine::Entry* e = Find(h, key);
  if (e == nullptr || e->kind() != engine::Kind::kList) return {"<no list>"};
  return engine::ListElements(e);
}

std::vector<std::pair<std::string, double>> Members(CommandHarness& h, const std::string& key,
                                                    int db = 0) {
  engine::Entry* e = Find(h, key, db);
  if (e == nullptr || e->kind() != engine::Kind::kZset) return {{"<no zset>", 0}};
  std::vector<std::pair<std::string, double>> out;
  for (auto& m : engine::ZsetMembers(e)) out.emplace_back(m.member, m.score);
  return out;
}

std::string Encoding(CommandHarness& h, const std::string& key) {
  return std::string(engine::EncodingName(engine::EncodingOf(Find(h, key))));
}

// The payload of a DUMP reply.
std::string Payload(const std::string& reply) {
  std::string p = reply.substr(reply.find('\n') + 1);
  p.resize(p.size() - 2);
  return p;
}

const double kInf = INFINITY;

// Frees the large lists and sorted sets the harness' keyspace queued for freeing in slices (the
// server's loop reaps them), so that LeakSanitizer sees none.
struct Reap {
  ~Reap() {
    while (!engine::ReapContainers(SIZE_MAX)) {
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(dump_lists_zsets)

BOOST_AUTO_TEST_CASE(redis_lists_restore_and_dump_the_same_body) {
  CommandHarness h;
  BOOST_TEST(h.Run({"RESTORE", "l1", "0", kList1}) == kOk);
  BOOST_TEST(Elements(h, "l1") == (std::vector<std::string>{"a", "1", "-2", "hello", "300000",
                                                            "9223372036854775807"}),
             boost::test_tools::per_element());
  BOOST_TEST(Encoding(h, "l1") == "listpack");
  BOOST_TEST(h.Run({"DUMP", "l1"}) == Bulk(As72(kList1)));
  BOOST_TEST(h.Run({"RESTORE", "lint", "0", kListStrings}) == kOk);
  BOOST_TEST(Elements(h, "lint") == (std::vector<std::string>{std::string(63, 'x'),
                                                              std::string(64, 'y'), "007", "-0"}),
             boost::test_tools::per_element());
  BOOST_TEST(h.Run({"DUMP", "lint"}) == Bulk(As72(kListStrings)));
  BOOST_TEST(h.Run({"TYPE", "l1"}) == "+list\r\n");
  // Three nodes restore into one list; with Redis' fill, a quicklist dumps the same nodes.
  BOOST_TEST(h.Run({"CONFIG", "SET", "list-max-listpack-size", "3"}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "lq", "0", kListNodes}) == kOk);
  BOOST_TEST(
      Elements(h, "lq") == (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7"}),
      boost::test_tools::per_element());
  BOOST_TEST(Encoding(h, "lq") == "quicklist");
  BOOST_TEST(h.Run({"DUMP", "lq"}) == Bulk(As72(kListNodes)));
}

BOOST_AUTO_TEST_CASE(redis_zsets_restore_and_dump_the_same_body) {
  CommandHarness h;
  BOOST_TEST(h.Run({"RESTORE", "z1", "0", kZsetListpack}) == kOk);
  BOOST_TEST(Encoding(h, "z1") == "listpack");
  auto want = std::vector<std::pair<std::string, double>>{
      {"f", -kInf}, {"c", -2.25},          {"d", 0},    {"a", 1},
      {"b", 1.5},   {"h", 123456789012.0}, {"g", 1e20}, {"e", kInf}};
  BOOST_TEST((Members(h, "z1") == want));
  BOOST_TEST(h.Run({"DUMP", "z1"}) == Bulk(As72(kZsetListpack)));
  BOOST_TEST(h.Run({"TYPE", "z1"}) == "+zset\r\n");
  // A skiplist restores small here (dkv's limits choose), dumps as ZSET_LISTPACK; past the
  // limit it is a skiplist and dumps as ZSET_2 byte for byte.
  BOOST_TEST(h.Run({"RESTORE", "zs", "0", kZsetSkiplist}) == kOk);
  BOOST_TEST(Encoding(h, "zs") == "listpack");
  BOOST_TEST((Members(h, "zs") ==
              std::vector<std::pair<std::string, double>>{{"z", -1}, {"x", 1}, {"y", 2.5}}));
  BOOST_TEST(Payload(h.Run({"DUMP", "zs"}))[0] == '\x11');
  BOOST_TEST(h.Run({"CONFIG", "SET", "zset-max-listpack-entries", "2"}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "zs2", "0", kZsetSkiplist}) == kOk);
  BOOST_TEST(Encoding(h, "zs2") == "skiplist");
  BOOST_TEST(h.Run({"DUMP", "zs2"}) == Bulk(As72(kZsetSkiplist)));
  // Every DUMP restores to the same contents.
  for (const std::string key : {"z1", "zs", "zs2"}) {
    BOOST_TEST(h.Run({"RESTORE", key + "c", "0", Payload(h.Run({"DUMP", key}))}) == kOk);
    BOOST_TEST((Members(h, key + "c") == Members(h, key)));
  }
}

BOOST_AUTO_TEST_CASE(older_encodings_restore) {
  CommandHarness h;
  std::string list(1, '\x01');  // LIST: count, strings (integers in their encodings)
  dkv::rdb::PutRdbLength(&list, 3);
  for (const char* s : {"a", "12", "-70000"}) dkv::rdb::PutRdbString(&list, s);
  BOOST_TEST(h.Run({"RESTORE", "l", "0", WithFooter(list, 6)}) == kOk);
  BOOST_TEST(Elements(h, "l") == (std::vector<std::string>{"a", "12", "-70000"}),
             boost::test_tools::per_element());
  std::string zl(1, '\x0a');  // LIST_ZIPLIST
  dkv::rdb::PutRdbString(&zl, Ziplist({"x", "y", "x"}));
  BOOST_TEST(h.Run({"RESTORE", "lz", "0", WithFooter(zl, 8)}) == kOk);
  BOOST_TEST(Elements(h, "lz") == (std::vector<std::string>{"x", "y", "x"}),
             boost::test_tools::per_element());
  std::string ql(1, '\x0e');  // QUICKLIST of ziplists
  dkv::rdb::PutRdbLength(&ql, 2);
  dkv::rdb::PutRdbString(&ql, Ziplist({"a", "b"}));
  dkv::rdb::PutRdbString(&ql, Ziplist({"c"}));
  BOOST_TEST(h.Run({"RESTORE", "lq", "0", WithFooter(ql, 9)}) == kOk);
  BOOST_TEST(Elements(h, "lq") == (std::vector<std::string>{"a", "b", "c"}),
             boost::test_tools::per_element());
  std::string plain(1, '\x12');  // QUICKLIST_2 with a PLAIN node between packed ones
  dkv::rdb::PutRdbLength(&plain, 2);
  dkv::rdb::PutRdbLength(&plain, 1);
  dkv::rdb::PutRdbString(&plain, std::string(10000, 'p'));
  dkv::rdb::PutRdbLength(&plain, 2);
  dkv::rdb::ListpackBuilder lp;
  lp.Add("tail");
  dkv::rdb::PutRdbString(&plain, lp.Finish());
  BOOST_TEST(h.Run({"RESTORE", "lp", "0", WithFooter(plain)}) == kOk);
  BOOST_TEST(Elements(h, "lp") == (std::vector<std::string>{std::string(10000, 'p'), "tail"}),
             boost::test_tools::per_element());
  // ZSET: scores as text, "inf" and "-inf" as the length bytes 254 and 255.
  std::string z(1, '\x03');
  dkv::rdb::PutRdbLength(&z, 3);
  dkv::rdb::PutRdbString(&z, "m");
  z += "\x03"
       "2.5";
  dkv::rdb::PutRdbString(&z, "top");
  z.push_back(static_cast<char>(254));
  dkv::rdb::PutRdbString(&z, "bottom");
  z.push_back(static_cast<char>(255));
  BOOST_TEST(h.Run({"RESTORE", "z", "0", WithFooter(z, 7)}) == kOk);
  BOOST_TEST((Members(h, "z") == std::vector<std::pair<std::string, double>>{
                                     {"bottom", -kInf}, {"m", 2.5}, {"top", kInf}}));
  std::string zz(1, '\x0c');  // ZSET_ZIPLIST
  dkv::rdb::PutRdbString(&zz, Ziplist({"a", "3", "b", "-1.5"}));
  BOOST_TEST(h.Run({"RESTORE", "zz", "0", WithFooter(zz, 9)}) == kOk);
  BOOST_TEST(
      (Members(h, "zz") == std::vector<std::pair<std::string, double>>{{"b", -1.5}, {"a", 3}}));
}

BOOST_AUTO_TEST_CASE(damage_is_bad_data_and_leaves_the_key) {
  CommandHarness h;
  BOOST_TEST(h.Run({"SET", "k", "keep"}) == kOk);
  std::string body = kList1.substr(0, kList1.size() - 10);
  std::vector<std::string> damaged;
  damaged.push_back(WithFooter(std::string("\x01\x00", 2)));      // an empty LIST
  damaged.push_back(WithFooter(std::string("\x12\x00", 2)));      // QUICKLIST_2 without nodes
  damaged.push_back(WithFooter(std::string("\x05\x00", 2)));      // an empty ZSET_2
  damaged.push_back(WithFooter(std::string("\x12\x01\x03", 3)));  // node container 3
  {
    std::string bad = body;
    bad[2] = 3;  // container 3
    damaged.push_back(WithFooter(bad));
    bad = body;
    bad[4] = static_cast<char>(0x26);  // the listpack's total bytes say one more
    damaged.push_back(WithFooter(bad));
    bad = body;
    bad[8] = 5;  // the listpack's element count says 5 of 6
    damaged.push_back(WithFooter(bad));
    bad = body;
    bad[12] = 3;  // a back-length that is not its entry's size
    damaged.push_back(WithFooter(bad));
    damaged.push_back(WithFooter(body.substr(0, body.size() - 1)));  // cut short
  }
  {
    std::string node(1, '\x12');  // a listpack node of no element: an empty list
    dkv::rdb::PutRdbLength(&node, 1);
    dkv::rdb::PutRdbLength(&node, 2);
    dkv::rdb::PutRdbString(&node, dkv::rdb::ListpackBuilder().Finish());
    damaged.push_back(WithFooter(node));
  }
  damaged.push_back(dkv::rdb::ZsetPayload({{"a", 1}, {"a", 2}}, 11));  // a member twice
  damaged.push_back(dkv::rdb::ZsetPayload({{"a", NAN}}, 11));          // NaN
  {
    std::string z(1, '\x03');  // ZSET: "nan" (253), then a score that is no number
    dkv::rdb::PutRdbLength(&z, 1);
    dkv::rdb::PutRdbString(&z, "a");
    z.push_back(static_cast<char>(253));
    damaged.push_back(WithFooter(z));
    z.pop_back();
    z += "\x03"
         "abc";
    damaged.push_back(WithFooter(z));
    dkv::rdb::ListpackBuilder lp;  // ZSET_LISTPACK: an odd number of items, a text score
    lp.Add("a");
    std::string odd(1, '\x11');
    dkv::rdb::PutRdbString(&odd, lp.Finish());
    damaged.push_back(WithFooter(odd));
    lp.Add("a");
    lp.Add("1x");
    std::string text(1, '\x11');
    dkv::rdb::PutRdbString(&text, lp.Finish());
    damaged.push_back(WithFooter(text));
  }
  {
    std::string zl(1, '\x0a');  // a ziplist whose count says 3 of 2
    std::string z = Ziplist({"x", "y"});
    z[8] = 3;
    dkv::rdb::PutRdbString(&zl, z);
    damaged.push_back(WithFooter(zl));
  }
  for (const std::string& p : damaged) {
    BOOST_TEST(h.Run({"RESTORE", "k", "0", p, "REPLACE"}) == kBadData);
    BOOST_TEST(h.Run({"GET", "k"}) == Bulk("keep"));
  }
  // A flipped byte: the checksum.
  std::string flipped = kZsetListpack;
  flipped[20] ^= 1;
  BOOST_TEST(h.Run({"RESTORE", "k", "0", flipped, "REPLACE"}) == kBadPayload);
  BOOST_TEST(h.Run({"GET", "k"}) == Bulk("keep"));
}

BOOST_AUTO_TEST_CASE(big_lists_and_zsets_round_trip) {
  Reap reap;
  CommandHarness h;
  std::vector<std::string> elements;
  std::vector<std::pair<std::string, double>> members;
  for (int i = 0; i < 5000; ++i) {
    elements.push_back(i % 7 == 0 ? std::to_string(i * 1000) : "element-" + std::to_string(i));
    members.emplace_back("m" + std::to_string(i), i % 3 == 0 ? i / 7.0 : -i);
  }
  elements.push_back(std::string(20000, 'L'));  // over a node: a PLAIN node of its own
  elements.push_back("last");
  BOOST_TEST(h.Run({"RESTORE", "l", "0", dkv::rdb::ListPayload(elements, 10)}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "z", "0", dkv::rdb::ZsetPayload(members, 10)}) == kOk);
  BOOST_TEST(Encoding(h, "l") == "quicklist");
  BOOST_TEST(Encoding(h, "z") == "skiplist");
  std::string lpayload = Payload(h.Run({"DUMP", "l"}));
  std::string zpayload = Payload(h.Run({"DUMP", "z"}));
  BOOST_TEST(lpayload[0] == '\x12');
  BOOST_TEST(zpayload[0] == '\x05');
  dkv::rdb::RdbKey decoded;
  BOOST_TEST(dkv::rdb::DecodeRdbValue(lpayload.substr(0, lpayload.size() - 10), &decoded) == "");
  BOOST_TEST(decoded.members == elements, boost::test_tools::per_element());
  BOOST_TEST(h.Run({"RESTORE", "l2", "0", lpayload}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "z2", "0", zpayload}) == kOk);
  BOOST_TEST(Elements(h, "l2") == elements, boost::test_tools::per_element());
  BOOST_TEST((Members(h, "z2") == Members(h, "z")));
  BOOST_TEST(Members(h, "z").size() == 5000u);
}

BOOST_AUTO_TEST_CASE(generic_commands_on_both_encodings) {
  CommandHarness h;
  BOOST_TEST(h.Run({"CONFIG", "SET", "list-max-listpack-size", "4"}) == kOk);
  BOOST_TEST(h.Run({"CONFIG", "SET", "zset-max-listpack-entries", "4"}) == kOk);
  std::vector<std::string> small = {"a", "b"}, big;
  for (int i = 0; i < 50; ++i) big.push_back("e" + std::to_string(i));
  BOOST_TEST(h.Run({"RESTORE", "ls", "0", dkv::rdb::ListPayload(small, 10)}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "lb", "0", dkv::rdb::ListPayload(big, 10)}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "zs", "0", dkv::rdb::ZsetPayload({{"x", 1}, {"y", 2}}, 10)}) == kOk);
  std::vector<std::pair<std::string, double>> zbig;
  for (int i = 0; i < 50; ++i) zbig.emplace_back("m" + std::to_string(i), i * 0.5);
  BOOST_TEST(h.Run({"RESTORE", "zb", "0", dkv::rdb::ZsetPayload(zbig, 10)}) == kOk);
  BOOST_TEST(h.Run({"OBJECT", "ENCODING", "ls"}) == Bulk("listpack"));
  BOOST_TEST(h.Run({"OBJECT", "ENCODING", "lb"}) == Bulk("quicklist"));
  BOOST_TEST(h.Run({"OBJECT", "ENCODING", "zs"}) == Bulk("listpack"));
  BOOST_TEST(h.Run({"OBJECT", "ENCODING", "zb"}) == Bulk("skiplist"));
  BOOST_TEST(h.Run({"TYPE", "lb"}) == "+list\r\n");
  BOOST_TEST(h.Run({"TYPE", "zb"}) == "+zset\r\n");
  BOOST_TEST(h.Run({"SCAN", "0", "TYPE", "list", "COUNT", "100"}).find("ls") != std::string::npos);
  std::string zscan = h.Run({"SCAN", "0", "TYPE", "ZSET", "COUNT", "100"});
  BOOST_TEST(zscan.find("zb") != std::string::npos);
  BOOST_TEST(zscan.find("lb") == std::string::npos);
  // MEMORY USAGE counts what the structures hold outside their entries.
  for (const std::string key : {"lb", "zb"}) {
    engine::Entry* e = Find(h, key);
    BOOST_TEST(engine::ContainerExtraBytes(e) > 0u);
    std::string reply = h.Run({"MEMORY", "USAGE", key});
    BOOST_TEST(std::stoul(reply.substr(1)) > engine::ContainerExtraBytes(e));
  }
  BOOST_TEST(engine::ContainerExtraBytes(Find(h, "ls")) == 0u);
  // COPY deep-copies (the copy lives on after the source goes); RENAME and MOVE hand over.
  for (const std::string key : {"ls", "lb", "zs", "zb"}) {
    BOOST_TEST(h.Run({"COPY", key, key + ".copy"}) == ":1\r\n");
    BOOST_TEST(h.Run({"OBJECT", "ENCODING", key + ".copy"}) == h.Run({"OBJECT", "ENCODING", key}));
    BOOST_TEST(h.Run({"COPY", key, key + ".db1", "DB", "1"}) == ":1\r\n");
  }
  auto list_before = Elements(h, "lb");
  auto zset_before = Members(h, "zb");
  BOOST_TEST(h.Run({"DEL", "lb", "zb"}) == ":2\r\n");
  BOOST_TEST(Elements(h, "lb.copy") == list_before, boost::test_tools::per_element());
  BOOST_TEST((Members(h, "zb.copy") == zset_before));
  BOOST_TEST((Members(h, "zb.db1", 1) == zset_before));
  BOOST_TEST(h.Run({"RENAME", "lb.copy", "lb"}) == kOk);
  BOOST_TEST(h.Run({"RENAME", "zb.copy", "zb"}) == kOk);
  BOOST_TEST(Elements(h, "lb") == list_before, boost::test_tools::per_element());
  BOOST_TEST((Members(h, "zb") == zset_before));
  BOOST_TEST(h.Run({"MOVE", "zb", "2"}) == ":1\r\n");
  BOOST_TEST(h.Run({"MOVE", "lb", "2"}) == ":1\r\n");
  BOOST_TEST((Members(h, "zb", 2) == zset_before));
  BOOST_TEST(Find(h, "zb") == nullptr);
  BOOST_TEST(h.Run({"SELECT", "2"}) == kOk);
  BOOST_TEST(h.Run({"OBJECT", "ENCODING", "lb"}) == Bulk("quicklist"));
  BOOST_TEST(h.Run({"OBJECT", "ENCODING", "zb"}) == Bulk("skiplist"));
  BOOST_TEST(h.Run({"SELECT", "0"}) == kOk);
  BOOST_TEST(h.Run({"FLUSHALL"}) == kOk);
}

BOOST_AUTO_TEST_CASE(kv_get_renders_json) {
  CommandHarness h;
  BOOST_TEST(h.Run({"RESTORE", "l", "0", dkv::rdb::ListPayload({"b", "a", "b", "7"}, 10)}) == kOk);
  BOOST_TEST(
      h.Run({"RESTORE", "z", "0",
             dkv::rdb::ZsetPayload({{"b", 1.5}, {"a", 2}, {"c", -kInf}, {"d", kInf}}, 10)}) == kOk);
  BOOST_TEST(engine::ContainerJson(Find(h, "l")) == R"(["b","a","b","7"])");
  BOOST_TEST(engine::ContainerJson(Find(h, "z")) == R"({"a":2.0,"b":1.5,"c":"-inf","d":"inf"})");
  BOOST_TEST(engine::ContainerSize(Find(h, "l")) == 4u);
  BOOST_TEST(engine::ContainerSize(Find(h, "z")) == 4u);
  std::string get = h.Run({"KV.GET", "l"});
  BOOST_TEST(get.find(R"(["b","a","b","7"])") != std::string::npos);
  // Equal contents, equal checksums whatever the encoding; a different order differs.
  BOOST_TEST(h.Run({"CONFIG", "SET", "list-max-listpack-size", "1"}) == kOk);
  BOOST_TEST(h.Run({"CONFIG", "SET", "zset-max-listpack-entries", "1"}) == kOk);
  BOOST_TEST(h.Run({"RESTORE", "l2", "0", dkv::rdb::ListPayload({"b", "a", "b", "7"}, 10)}) == kOk);
  BOOST_TEST(
      h.Run({"RESTORE", "z2", "0",
             dkv::rdb::ZsetPayload({{"d", kInf}, {"c", -kInf}, {"a", 2}, {"b", 1.5}}, 10)}) == kOk);
  BOOST_TEST(Encoding(h, "l2") == "quicklist");
  BOOST_TEST(Encoding(h, "z2") == "skiplist");
  BOOST_TEST(engine::ContainerChecksum(Find(h, "l")) == engine::ContainerChecksum(Find(h, "l2")));
  BOOST_TEST(engine::ContainerChecksum(Find(h, "z")) == engine::ContainerChecksum(Find(h, "z2")));
  BOOST_TEST(h.Run({"RESTORE", "l3", "0", dkv::rdb::ListPayload({"a", "b", "b", "7"}, 10)}) == kOk);
  BOOST_TEST(engine::ContainerChecksum(Find(h, "l")) != engine::ContainerChecksum(Find(h, "l3")));
  BOOST_TEST(engine::ContainerJson(Find(h, "z2")) == engine::ContainerJson(Find(h, "z")));
}

BOOST_AUTO_TEST_SUITE_END()
