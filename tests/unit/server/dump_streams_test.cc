// DUMP and RESTORE of streams at the RDB level (src/tools/rdb_stream.h): payloads written by
// redis-server 7.0.15 (STREAM_LISTPACKS_2, rdbcompression no) decode to their entries, counters,
// groups, PELs and consumers, and writing the decoded stream again gives Redis' bytes; every
// truncation and damaged byte is refused or decodes to a consistent stream, never read past; a
// consumer PEL that disagrees with its group's is refused. Through the server: RESTORE of Redis'
// payload, then DUMP, gives the payload back.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "src/tools/rdb_file.h"
#include "src/tools/rdb_stream.h"
#include "src/tools/rdb_stream_value.h"

using namespace dkv::server;
namespace rdb = dkv::rdb;

namespace {

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// XADD src 1-1 f v; XADD src 1-2 f v2 g 3; XADD src 5-0 f 100; XGROUP CREATE src g1 0;
// XREADGROUP GROUP g1 c1 COUNT 2 STREAMS src >
const std::string kThree = Hex(
    "130110000000000000000100000000000000013e3e00000018000301000101018166020001020100010001817602"
    "04010001000101010201816602827632038167020301080102010401dfff0264010401ff03050001010000030102"
    "67310102020200000000000000010000000000000001a3793753a201000001000000000000000100000000000000"
    "02a3793753a20100000101026331a3793753a2010000020000000000000001000000000000000100000000000000"
    "0100000000000000020a00cc3dc856c3def247");
// Then XACK src g1 1-1; XDEL src 5-0 (flagged deleted in its node).
const std::string kDeleted = Hex(
    "130110000000000000000100000000000000013e3e00000018000201010101018166020001020100010001817602"
    "04010001000101010201816602827632038167020301080103010401dfff0264010401ff02050001010500030102"
    "67310102020100000000000000010000000000000002a3793753a20100000101026331a3793753a2010000010000"
    "00000000000100000000000000020a00b4c7c708e5702540");

// Redis' own test payload (stream-cgroups.tcl, "Loading from legacy persistence"), DUMPed by
// Redis 5: type 15, an LZF-compressed listpack. XADD x 1-0 .. 6-0 data a..f; XDEL x 3-0; XGROUP
// CREATE x g1 0; XGROUP CREATE x g2 0; XREADGROUP GROUP g1 c11 COUNT 4 STREAMS x >; XTRIM x
// MAXLEN = 2.
const std::string kLegacy = Hex(
    "0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103"
    "010020010381610204200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a"
    "0066200a00ff02060002026731050004000000000000000100000000000000003ef783437a010000010000000000"
    "00000200000000000000003ef783437a01000001000000000000000400000000000000003ef783437a0100000100"
    "0000000000000500000000000000003ef783437a0100000101036331313ef783437a010000040000000000000001"
    "00000000000000000000000000000002000000000000000000000000000000040000000000000000000000000000"
    "000500000000000000000267320000000009003d52ef6867521dfa");

rdb::RdbKey Decode(const std::string& payload, std::string* err) {
  rdb::RdbKey k;
  *err = rdb::DecodeRdbValue(std::string_view(payload).substr(0, payload.size() - 10), &k);
  return k;
}

std::string Encode(const rdb::RdbStream& s, uint8_t type = rdb::kRdbTypeStreamListpacks2,
                   uint16_t version = 10) {
  std::string out = rdb::StreamValue(s, type, 100, 4096);
  rdb::AppendDumpFooter(&out, version);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dump_streams)

BOOST_AUTO_TEST_CASE(redis_payloads_decode_and_encode_to_the_same_bytes) {
  std::string err;
  rdb::RdbKey k = Decode(kThree, &err);
  BOOST_REQUIRE_EQUAL(err, "");
  BOOST_CHECK_EQUAL(k.type, "stream");
  const rdb::RdbStream& s = k.stream;
  BOOST_REQUIRE_EQUAL(s.entries.size(), 3u);
  BOOST_CHECK((s.entries[1].id == rdb::RdbStreamId{1, 2}));
  BOOST_CHECK((s.entries[1].items == std::vector<std::string>{"f", "v2", "g", "3"}));
  BOOST_CHECK((s.entries[2].items == std::vector<std::string>{"f", "100"}));
  BOOST_CHECK((s.last_id == rdb::RdbStreamId{5, 0}));
  BOOST_CHECK((s.first_id == rdb::RdbStreamId{1, 1}));
  BOOST_CHECK_EQUAL(s.entries_added, 3u);
  BOOST_REQUIRE_EQUAL(s.groups.size(), 1u);
  const rdb::RdbStreamGroup& g = s.groups[0];
  BOOST_CHECK_EQUAL(g.name, "g1");
  BOOST_CHECK_EQUAL(g.entries_read, 2);
  BOOST_REQUIRE_EQUAL(g.pel.size(), 2u);
  BOOST_CHECK_EQUAL(g.pel[0].consumer, "c1");
  BOOST_CHECK_EQUAL(g.pel[0].delivery_count, 1u);
  BOOST_REQUIRE_EQUAL(g.consumers.size(), 1u);
  BOOST_CHECK_EQUAL(g.consumers[0].pending.size(), 2u);
  BOOST_CHECK_EQUAL(g.consumers[0].active_time_ms, g.consumers[0].seen_time_ms);
  BOOST_CHECK(Encode(s) == kThree);

  rdb::RdbKey d = Decode(kDeleted, &err);
  BOOST_REQUIRE_EQUAL(err, "");
  BOOST_CHECK_EQUAL(d.stream.entries.size(), 2u);
  BOOST_CHECK((d.stream.max_deleted_id == rdb::RdbStreamId{5, 0}));
  BOOST_CHECK_EQUAL(d.stream.entries_added, 3u);
  BOOST_CHECK_EQUAL(d.stream.groups[0].pel.size(), 1u);
  // Type 21 carries the active times; its reader gives them back.
  rdb::RdbStream t = s;
  t.groups[0].consumers[0].active_time_ms = 12345;
  rdb::RdbKey back = Decode(Encode(t, rdb::kRdbTypeStreamListpacks3, 11), &err);
  BOOST_REQUIRE_EQUAL(err, "");
  BOOST_CHECK_EQUAL(back.stream.groups[0].consumers[0].active_time_ms, 12345);
}

BOOST_AUTO_TEST_CASE(a_redis_5_payload_restores_with_redis_7s_estimates) {
  std::string err;
  rdb::RdbKey k = Decode(kLegacy, &err);
  BOOST_REQUIRE_EQUAL(err, "");
  const rdb::RdbStream& s = k.stream;
  BOOST_REQUIRE_EQUAL(s.entries.size(), 2u);
  BOOST_CHECK((s.entries[0].id == rdb::RdbStreamId{5, 0}));
  BOOST_CHECK((s.entries[1].items == std::vector<std::string>{"data", "f"}));
  BOOST_CHECK_EQUAL(s.entries_added, 2u);
  BOOST_CHECK((s.max_deleted_id == rdb::RdbStreamId{0, 0}));
  BOOST_REQUIRE_EQUAL(s.groups.size(), 2u);
  BOOST_CHECK_EQUAL(s.groups[0].entries_read, 1);  // what Redis' test expects
  BOOST_CHECK_EQUAL(s.groups[1].entries_read, 0);
  BOOST_CHECK_EQUAL(s.groups[0].pel.size(), 4u);
  BOOST_CHECK_EQUAL(s.groups[0].consumers[0].name, "c11");
}

BOOST_AUTO_TEST_CASE(damaged_payloads_are_refused_and_never_read_past) {
  for (const std::string* payload : {&kThree, &kDeleted, &kLegacy}) {
    std::string body = payload->substr(0, payload->size() - 10);
    for (size_t n = 1; n < body.size(); ++n) {
      rdb::RdbKey k;
      BOOST_CHECK(!rdb::DecodeRdbValue(body.substr(0, n), &k).empty());
    }
    for (size_t at = 1; at < body.size(); ++at) {
      for (uint8_t x : {0x01, 0x80, 0xFF}) {
        std::string flipped = body;
        flipped[at] = static_cast<char>(flipped[at] ^ x);
        rdb::RdbKey k;
        if (!rdb::DecodeRdbValue(flipped, &k).empty()) continue;
        // Accepted: then consistent.
        for (size_t i = 1; i < k.stream.entries.size(); ++i) {
          BOOST_CHECK(k.stream.entries[i - 1].id < k.stream.entries[i].id);
        }
      }
    }
  }
  std::string err;
  rdb::RdbStream s = Decode(kThree, &err).stream;
  rdb::RdbStream orphan = s;  // a consumer PEL entry the group's PEL lacks
  orphan.groups[0].consumers[0].pending.push_back({9, 9});
  Decode(Encode(orphan), &err);
  BOOST_CHECK_EQUAL(err, "consumer PEL entry not found in group global PEL");
  rdb::RdbStream unowned = s;  // a group PEL entry without a consumer
  unowned.groups[0].consumers[0].pending.pop_back();
  Decode(Encode(unowned), &err);
  BOOST_CHECK_EQUAL(err, "stream PEL entry without a consumer");
  rdb::RdbStream twice = s;
  twice.groups[0].consumers.push_back(twice.groups[0].consumers[0]);
  twice.groups[0].consumers[1].name = "c2";
  Decode(Encode(twice), &err);
  BOOST_CHECK_EQUAL(err, "stream PEL entry owned twice");
  rdb::RdbStream above = s;  // the last ID below an entry
  above.last_id = {1, 5};
  Decode(Encode(above), &err);
  BOOST_CHECK_EQUAL(err, "stream entry above the last ID");
}

BOOST_AUTO_TEST_CASE(restore_then_dump_through_the_server) {
  CommandHarness h;
  auto bulk = [](const std::string& b) {
    return "$" + std::to_string(b.size()) + "\r\n" + b + "\r\n";
  };
  BOOST_CHECK_EQUAL(h.Run({"RESTORE", "k", "0", kThree}), "+OK\r\n");
  BOOST_CHECK_EQUAL(h.Run({"TYPE", "k"}), "+stream\r\n");
  BOOST_CHECK_EQUAL(h.Run({"OBJECT", "ENCODING", "k"}), "$6\r\nstream\r\n");
  // Redis' bytes back: same nodes, same group, PEL and consumer (seen time kept).
  BOOST_CHECK(h.Run({"DUMP", "k"}) == bulk(kThree));
  // A deleted entry is not written: the same contents, re-encoded.
  BOOST_CHECK_EQUAL(h.Run({"RESTORE", "d", "0", kDeleted}), "+OK\r\n");
  std::string err;
  std::string dumped = h.Run({"DUMP", "d"});
  std::string payload = dumped.substr(dumped.find("\r\n") + 2);
  payload.resize(payload.size() - 2);
  rdb::RdbKey again = Decode(payload, &err);
  BOOST_REQUIRE_EQUAL(err, "");
  rdb::RdbKey want = Decode(kDeleted, &err);
  BOOST_CHECK_EQUAL(again.stream.entries.size(), want.stream.entries.size());
  BOOST_CHECK((again.stream.max_deleted_id == want.stream.max_deleted_id));
  BOOST_CHECK_EQUAL(again.stream.entries_added, want.stream.entries_added);
  BOOST_CHECK_EQUAL(again.stream.groups[0].pel.size(), 1u);
  BOOST_CHECK_EQUAL(h.Run({"RESTORE", "legacy", "0", kLegacy}), "+OK\r\n");
  // Damaged: refused, the key untouched.
  std::string cut = kThree.substr(0, kThree.size() - 20);
  cut += kThree.substr(kThree.size() - 10, 2);
  std::string crc;
  {
    uint64_t c = rdb::Crc64(cut);
    for (int i = 0; i < 8; ++i) crc.push_back(static_cast<char>((c >> (8 * i)) & 0xFF));
  }
  BOOST_CHECK_EQUAL(h.Run({"RESTORE", "k", "0", cut + crc, "REPLACE"}), "-ERR Bad data format\r\n");
  BOOST_CHECK(h.Run({"DUMP", "k"}) == bulk(kThree));
  // COPY keeps everything; the copy dumps the same.
  BOOST_CHECK_EQUAL(h.Run({"COPY", "k", "k2"}), ":1\r\n");
  BOOST_CHECK(h.Run({"DUMP", "k2"}) == bulk(kThree));
  // KV.GET shows the entries.
  std::string kv = h.Run({"KV.GET", "k"});
  BOOST_CHECK(
      kv.find(R"([{"fields":["f","v"],"id":"1-1"},{"fields":["f","v2","g","3"],"id":"1-2"})") !=
      std::string::npos);
  BOOST_CHECK(kv.find("$4\r\nsize\r\n:3\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
