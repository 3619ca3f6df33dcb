#include "resp/reply.h"

#include <hiredis/hiredis.h>

#include <boost/test/unit_test.hpp>
#include <string>

using dkv::resp::ReplyBuilder;

namespace {
// Decodes one reply with hiredis' reader: the oracle for what clients will see.
redisReply* Decode(const std::string& bytes) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, bytes.data(), bytes.size());
  void* reply = nullptr;
  BOOST_REQUIRE(redisReaderGetReply(reader, &reply) == REDIS_OK);
  redisReaderFree(reader);
  return static_cast<redisReply*>(reply);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(reply_builder)

BOOST_AUTO_TEST_CASE(resp2_encodings) {
  std::string out;
  ReplyBuilder r(&out);
  r.Ok();
  r.Integer(-42);
  r.Bulk(std::string("a\0b", 3));
  r.Null();
  r.NullArray();
  r.Error("ERR bad\r\nthing");
  BOOST_TEST(out ==
             std::string("+OK\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*-1\r\n-ERR bad  thing\r\n", 47));
}

BOOST_AUTO_TEST_CASE(resp3_types_and_map_fallback) {
  std::string out;
  ReplyBuilder r(&out, 3);
  r.MapHeader(1);
  r.Bulk("k");
  r.Double(1.5);
  r.Null();
  r.Bool(true);
  BOOST_TEST(out == "%1\r\n$1\r\nk\r\n,1.5\r\n_\r\n#t\r\n");
  std::string out2;
  ReplyBuilder r2(&out2, 2);
  r2.MapHeader(1);
  r2.Bulk("k");
  r2.Double(1.5);
  BOOST_TEST(out2 == "*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n");
}

BOOST_AUTO_TEST_CASE(deferred_array_round_trips_through_hiredis) {
  std::string out;
  ReplyBuilder r(&out);
  size_t handle = r.BeginDeferred();
  for (int i = 0; i < 12; ++i) r.Bulk("key" + std::to_string(i));
  r.FinishDeferredArray(handle, 12);
  redisReply* reply = Decode(out);
  BOOST_REQUIRE_EQUAL(reply->type, REDIS_REPLY_ARRAY);
  BOOST_REQUIRE_EQUAL(reply->elements, 12u);
  BOOST_TEST(std::string(reply->element[11]->str) == "key11");
  freeReplyObject(reply);
}

BOOST_AUTO_TEST_CASE(verbatim_in_resp3) {
  std::string out;
  ReplyBuilder r(&out, 3);
  r.Verbatim("hello");
  BOOST_TEST(out == "=9\r\ntxt:hello\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
