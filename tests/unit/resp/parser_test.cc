#include "resp/parser.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using dkv::resp::ParserLimits;
using dkv::resp::ParseStatus;
using dkv::resp::RequestParser;

namespace {

using Request = std::vector<std::string>;

// Feeds `wire` to a parser in pieces cut at the given points, the way a connection does: the
// unconsumed bytes stay in front and new bytes are appended. Returns the requests parsed, or
// the protocol error.
struct FeedResult {
  std::vector<Request> requests;
  std::string error;
};

FeedResult FeedInPieces(const std::string& wire, const std::vector<size_t>& cuts,
                        ParserLimits limits = {}) {
  RequestParser parser(limits);
  FeedResult result;
  std::string buffer;
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(wire.size());
  for (size_t end : ends) {
    buffer.append(wire, fed, end - fed);
    fed = end;
    while (true) {
      ParseStatus st = parser.Parse(buffer);
      if (st == ParseStatus::kNeedMore) break;
      if (st == ParseStatus::kError) {
        result.error = parser.error();
        return result;
      }
      if (!parser.args().empty()) {
        result.requests.emplace_back(parser.args().begin(), parser.args().end());
      }
      buffer.erase(0, parser.consumed());
    }
  }
  BOOST_CHECK_MESSAGE(buffer.empty(), "unconsumed bytes left: " << buffer.size());
  return result;
}

FeedResult FeedWhole(const std::string& wire, ParserLimits limits = {}) {
  return FeedInPieces(wire, {}, limits);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_parser)

BOOST_AUTO_TEST_CASE(multibulk_at_every_split_point) {
  using namespace std::string_literals;
  const std::string wire_bin =
      "*3\r\n$3\r\nSET\r\n$5\r\nk\0\r\ny\r\n$10\r\n0123456789\r\n*1\r\n$4\r\nPING\r\n"
      "GET  \"a b\" 'c'\r\n"s;
  for (size_t cut = 0; cut <= wire_bin.size(); ++cut) {
    FeedResult r = FeedInPieces(wire_bin, {cut});
    BOOST_TEST_CONTEXT("cut at " << cut) {
      BOOST_TEST(r.error.empty());
      BOOST_REQUIRE_EQUAL(r.requests.size(), 3u);
      BOOST_TEST(r.requests[0][0] == "SET");
      BOOST_TEST(r.requests[0][1] == std::string("k\0\r\ny", 5));
      BOOST_TEST(r.requests[0][2] == "0123456789");
      BOOST_TEST(r.requests[1][0] == "PING");
      BOOST_TEST(r.requests[2] == (Request{"GET", "a b", "c"}), boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(byte_by_byte) {
  std::string wire = "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING\n";
  std::vector<size_t> cuts;
  for (size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
  FeedResult r = FeedInPieces(wire, cuts);
  BOOST_REQUIRE_EQUAL(r.requests.size(), 2u);
  BOOST_TEST(r.requests[0][1] == "abc");
  BOOST_TEST(r.requests[1][0] == "PING");
}

BOOST_AUTO_TEST_CASE(pipelined_batch_of_many) {
  std::string wire;
  for (int i = 0; i < 1000; ++i) {
    std::string key = "key:" + std::to_string(i);
    wire += "*2\r\n$3\r\nGET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
  }
  FeedResult r = FeedInPieces(wire, {7, 4096, 9000});
  BOOST_REQUIRE_EQUAL(r.requests.size(), 1000u);
  BOOST_TEST(r.requests[999][1] == "key:999");
}

BOOST_AUTO_TEST_CASE(empty_requests_are_skipped) {
  FeedResult r = FeedWhole("*0\r\n*-1\r\n\r\n\n   \r\nPING\r\n");
  BOOST_REQUIRE_EQUAL(r.requests.size(), 1u);
  BOOST_TEST(r.requests[0][0] == "PING");
}

BOOST_AUTO_TEST_CASE(inline_quoting_like_redis) {
  FeedResult r = FeedWhole("SET \"k\\x41\\n\" 'it\\'s'\r\n");
  BOOST_REQUIRE_EQUAL(r.requests.size(), 1u);
  BOOST_TEST(r.requests[0][1] == "kA\n");
  BOOST_TEST(r.requests[0][2] == "it's");
}

BOOST_AUTO_TEST_CASE(protocol_errors_have_redis_texts) {
  BOOST_TEST(FeedWhole("*abc\r\n").error == "Protocol error: invalid multibulk length");
  BOOST_TEST(FeedWhole("*3000000000\r\n").error == "Protocol error: invalid multibulk length");
  BOOST_TEST(FeedWhole("*1\r\n$-5\r\n").error == "Protocol error: invalid bulk length");
  BOOST_TEST(FeedWhole("*1\r\n$600000000\r\n").error == "Protocol error: invalid bulk length");
  BOOST_TEST(FeedWhole("*1\r\n+foo\r\n").error == "Protocol error: expected '$', got '+'");
  BOOST_TEST(FeedWhole("SET \"abc\r\n").error == "Protocol error: unbalanced quotes in request");
  BOOST_TEST(FeedWhole("SET \"abc\"x\r\n").error == "Protocol error: unbalanced quotes in request");
  BOOST_TEST(FeedWhole(std::string(70000, 'a')).error == "Protocol error: too big inline request");
  BOOST_TEST(FeedWhole("*" + std::string(70000, '1')).error ==
             "Protocol error: too big mbulk count string");
  BOOST_TEST(FeedWhole("*1\r\n$" + std::string(70000, '1')).error ==
             "Protocol error: too big bulk count string");
}

BOOST_AUTO_TEST_CASE(limits_are_configurable) {
  ParserLimits small;
  small.max_bulk_len = 10;
  BOOST_TEST(FeedWhole("*1\r\n$11\r\n", small).error == "Protocol error: invalid bulk length");
  BOOST_TEST(FeedWhole("*1\r\n$10\r\n0123456789\r\n", small).error.empty());
  ParserLimits unauth;
  unauth.authenticated = false;
  BOOST_TEST(FeedWhole("*11\r\n", unauth).error ==
             "Protocol error: unauthenticated multibulk length");
  BOOST_TEST(FeedWhole("*1\r\n$16385\r\n", unauth).error ==
             "Protocol error: unauthenticated bulk length");
}

BOOST_AUTO_TEST_CASE(expected_size_announces_big_bulk) {
  RequestParser parser;
  std::string head = "*2\r\n$3\r\nSET\r\n$1000000\r\n";
  BOOST_TEST((parser.Parse(head) == ParseStatus::kNeedMore));
  BOOST_TEST(parser.ExpectedInputSize() == head.size() + 1000000 + 2);
}

BOOST_AUTO_TEST_SUITE_END()
