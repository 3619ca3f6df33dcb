// Size bounds on what a small request can make the server allocate (issue 24): KV.IMPORT's
// fan-out of a long prefix over many leaves, RESTORE of LZF-compressed listpacks and strings, and
// proto-max-bulk-len capped at the largest value an entry holds. The payloads are built here in
// Redis' DUMP format (type byte, value, RDB version, CRC-64), compressed by a tiny LZF writer.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "harness.h"
#include "src/config/config.h"
#include "src/tools/rdb_file.h"

using namespace dkv::server;

namespace {

void PutLength(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xFF));
  } else {
    bool wide = len > UINT32_MAX;
    out->push_back(static_cast<char>(wide ? 0x81 : 0x80));
    for (int i = wide ? 7 : 3; i >= 0; --i) out->push_back(static_cast<char>(len >> (8 * i)));
  }
}

// LZF of `head`, then `count` times `fill`, then `tail`: literals, and back references of one
// byte (264 bytes for 3) for the run.
std::string Lzf(const std::string& head, char fill, size_t count, const std::string& tail) {
  std::string out;
  auto literal = [&](const std::string& s) {
    for (size_t i = 0; i < s.size(); i += 32) {
      size_t n = std::min<size_t>(32, s.size() - i);
      out.push_back(static_cast<char>(n - 1));
      out.append(s, i, n);
    }
  };
  literal(head + std::string(1, fill));
  for (size_t left = count - 1; left > 0;) {
    size_t len = std::min<size_t>(264, left);
    if (len < 3) {
      literal(std::string(len, fill));
      break;
    }
    if (len - 2 < 7) {
      out.push_back(static_cast<char>((len - 2) << 5));
    } else {
      out.push_back(static_cast<char>(0xE0));
      out.push_back(static_cast<char>(len - 2 - 7));
    }
    out.push_back(0);  // one byte back
    left -= len;
  }
  literal(tail);
  return out;
}

// An LZF-encoded RDB string of `raw_size` bytes.
std::string LzfString(const std::string& compressed, uint64_t raw_size) {
  std::string out(1, static_cast<char>(0xC3));
  PutLength(&out, compressed.size());
  PutLength(&out, raw_size);
  return out + compressed;
}

// A listpack of `n` entries holding the integer 1 (entry 0x01, back length 0x01), compressed.
std::string OnesListpack(size_t n) {
  size_t total = 6 + 2 * n + 1;
  std::string head;
  for (int i = 0; i < 4; ++i) head.push_back(static_cast<char>(total >> (8 * i)));
  size_t count = std::min<size_t>(n, 65535);
  head.push_back(static_cast<char>(count & 0xFF));
  head.push_back(static_cast<char>(count >> 8));
  return LzfString(Lzf(head, '\x01', 2 * n, "\xFF"), total);
}

std::string Payload(std::string body) {
  body.push_back(11);  // RDB version 11, little endian
  body.push_back(0);
  uint64_t crc = dkv::rdb::Crc64(body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sizes)

BOOST_AUTO_TEST_CASE(kv_import_fan_out_is_bounded) {
  CommandHarness h;
  // A 32 KB prefix repeated by 2000 leaves: 64 MB of keys from 55 KB received.
  std::string prefix(32 * 1024, 'p');
  std::string doc = "{";
  for (int i = 0; i < 2000; ++i) doc += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  doc += "}";
  std::string reply = h.Run({"KV.IMPORT", prefix, doc});
  BOOST_TEST(reply.rfind("-ERR KV.IMPORT: the keys and values would take more than", 0) == 0,
             reply.substr(0, 200));
  BOOST_TEST(reply.find("nothing was written") != std::string::npos);
  BOOST_TEST(h.Run({"DBSIZE"}) == ":0\r\n");
  // The same document under a short prefix is imported.
  BOOST_TEST(h.Run({"KV.IMPORT", "app.cfg", doc}) == ":2000\r\n");
}

BOOST_AUTO_TEST_CASE(kv_import_key_longer_than_proto_max_bulk_len) {
  CommandHarness h;
  BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "1mb"}) == "+OK\r\n");
  std::string prefix(700 * 1024, 'p');
  std::string doc = "{\"" + std::string(400 * 1024, 'n') + "\":1}";
  std::string reply = h.Run({"KV.IMPORT", prefix, doc});
  BOOST_TEST(
      reply.find("would be longer than proto-max-bulk-len (1048576 bytes)") != std::string::npos,
      reply.substr(0, 200));
  BOOST_TEST(h.Run({"DBSIZE"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(restore_set_listpack_with_repeated_members_is_bad_data) {
  CommandHarness h;
  // 500,000 entries "1" in a set listpack (RDB type 20): 1 MB unpacked from 12 KB.
  std::string payload = Payload(std::string(1, '\x14') + OnesListpack(500000));
  BOOST_TEST(payload.size() < 16 * 1024);
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(h.Run({"RESTORE", "s", "0", payload}) == "-ERR Bad data format\r\n");
  BOOST_TEST(h.Run({"EXISTS", "s"}) == ":0\r\n");
  BOOST_TEST(Seconds(start) < 20.0);
}

BOOST_AUTO_TEST_CASE(restore_of_a_compressed_list_is_bounded_by_proto_max_bulk_len) {
  CommandHarness h;
  // A quicklist (RDB type 18) of one packed node: 100,000 entries "1" from 2 KB.
  std::string body = "\x12\x01\x02" + OnesListpack(100000);
  std::string payload = Payload(body);
  // Within the default limit, it is a list of 100,000 elements "1".
  BOOST_TEST(h.Run({"RESTORE", "l", "0", payload}) == "+OK\r\n");
  BOOST_TEST(h.Run({"LLEN", "l"}) == ":100000\r\n");
  // Its members cost more than 1 MB (bytes plus a string each): refused, nothing written.
  BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "1mb"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"RESTORE", "l2", "0", payload}) ==
             "-ERR RESTORE: the value would be larger than proto-max-bulk-len (1048576 bytes)\r\n");
  BOOST_TEST(h.Run({"EXISTS", "l2"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(restore_of_an_lzf_string_over_4_gib_is_refused_at_once) {
  CommandHarness h;
  // An LZF string announcing 5 GiB: refused from its header, before anything is allocated, by
  // the default limit and by the largest one CONFIG SET accepts.
  std::string payload =
      Payload(std::string(1, '\0') + LzfString(Lzf("", 'x', 1000, ""), 5ULL << 30));
  for (const char* limit : {"512mb", "4294967231"}) {
    BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", limit}) == "+OK\r\n");
    auto start = std::chrono::steady_clock::now();
    std::string reply = h.Run({"RESTORE", "big", "0", payload});
    BOOST_TEST(
        reply.rfind("-ERR RESTORE: the value would be larger than proto-max-bulk-len", 0) == 0,
        reply);
    BOOST_TEST(Seconds(start) < 1.0);
    BOOST_TEST(h.Run({"EXISTS", "big"}) == ":0\r\n");
  }
}

BOOST_AUTO_TEST_CASE(proto_max_bulk_len_is_capped_at_the_largest_value) {
  CommandHarness h;
  std::string reply = h.Run({"CONFIG", "SET", "proto-max-bulk-len", "5gb"});
  BOOST_TEST(
      reply.find("argument must be between 1048576 and 4294967231 inclusive") != std::string::npos,
      reply);
  BOOST_TEST(h.Run({"CONFIG", "GET", "proto-max-bulk-len"}) ==
             "*2\r\n$18\r\nproto-max-bulk-len\r\n$9\r\n536870912\r\n");
  BOOST_TEST(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "4294967231"}) == "+OK\r\n");
  // The same bound at start (file or command line).
  std::string a0 = "dkv-server", a1 = "--proto-max-bulk-len", a2 = "8gb";
  char* argv[] = {a0.data(), a1.data(), a2.data()};
  Config c;
  BOOST_TEST(ParseCommandLine(3, argv, &c).find("4294967231") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
