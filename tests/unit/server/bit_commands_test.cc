// The bitmap commands through the dispatcher: what the differential corpus cannot show against
// Redis with its default configuration. Offsets are bounded by proto-max-bulk-len before any value
// grows, and the commands that grow a value are refused over maxmemory (deny-oom) while the read
// commands are not.
#include <boost/test/unit_test.hpp>

#include "harness.h"

using namespace dkv::server;

namespace {
const std::string kBadOffset = "-ERR bit offset is not an integer or out of range\r\n";
const std::string kOom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
}  // namespace

BOOST_FIXTURE_TEST_SUITE(bit_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(offsets_follow_proto_max_bulk_len) {
  Run({"CONFIG", "SET", "proto-max-bulk-len", "1048576"});
  // The last bit of a 1 MiB value is allowed, the next one is not; nothing grows on refusal.
  BOOST_TEST(Run({"SETBIT", "b", "8388608", "1"}) == kBadOffset);
  BOOST_TEST(Run({"EXISTS", "b"}) == ":0\r\n");
  BOOST_TEST(Run({"GETBIT", "b", "8388608"}) == kBadOffset);
  BOOST_TEST(Run({"SETBIT", "b", "8388607", "1"}) == ":0\r\n");
  BOOST_TEST(Run({"STRLEN", "b"}) == ":1048576\r\n");
  BOOST_TEST(Run({"BITCOUNT", "b"}) == ":1\r\n");
  BOOST_TEST(Run({"BITPOS", "b", "1"}) == ":8388607\r\n");
  BOOST_TEST(Run({"BITFIELD", "f", "SET", "u8", "#1048576", "1"}) == kBadOffset);
  BOOST_TEST(Run({"BITFIELD", "f", "GET", "i64", "#9223372036854775807"}) == kBadOffset);
  BOOST_TEST(Run({"BITFIELD_RO", "b", "GET", "u8", "#1048575"}) == "*1\r\n:1\r\n");
  BOOST_TEST(Run({"EXISTS", "f"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(growing_commands_are_deny_oom) {
  for (int i = 0; i < 10; ++i) Run({"SET", "k" + std::to_string(i), "a"});
  Run({"SETBIT", "b", "1", "1"});
  Run({"CONFIG", "SET", "maxmemory", "1000", "maxmemory-policy", "noeviction"});
  BOOST_TEST(Run({"SETBIT", "b", "100000", "1"}) == kOom);
  BOOST_TEST(Run({"BITFIELD", "b", "SET", "u8", "100000", "1"}) == kOom);
  BOOST_TEST(Run({"BITOP", "NOT", "c", "k1"}) == kOom);
  BOOST_TEST(Run({"GETBIT", "b", "1"}) == ":1\r\n");
  BOOST_TEST(Run({"BITCOUNT", "b"}) == ":1\r\n");
  BOOST_TEST(Run({"BITFIELD_RO", "b", "GET", "u2", "0"}) == "*1\r\n:1\r\n");
  BOOST_TEST(Run({"STRLEN", "b"}) == ":1\r\n");
}

BOOST_AUTO_TEST_CASE(bitfield_key_flags_follow_its_subcommands) {
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0"}) ==
             "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "INCRBY", "u8", "0", "1"}) ==
             "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
