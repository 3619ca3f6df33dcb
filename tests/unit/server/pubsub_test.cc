// Pub/Sub (src/core/pubsub.h, src/commands/pubsub_commands.cc) through the real dispatcher and
// command table: (un)subscribe confirmations and their counts, delivery in Redis' order
// (channel subscribers, then pattern subscribers), RESP3 pushes, shard channels, the RESP2
// subscribed mode and its error, PING in it, PUBSUB's subcommands, namespaces kept apart,
// CLIENT REPLY OFF keeping pushes, RESET and Forget, hostile globs, ACL channel rules, INFO and
// CLIENT LIST. The network side (slow subscribers, real clients) is
// tests/integration/test_pubsub.py.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.h"

using namespace dkv::server;

namespace {

// Run() leaves a client's reply in its output; here each Run takes it away, so that the output
// then holds only what other clients' commands delivered.
struct PubSubHarness : CommandHarness {
  std::string Run(const std::vector<std::string>& argv, int client = 0) {
    std::string reply = CommandHarness::Run(argv, client);
    session(client).out->clear();
    return reply;
  }
};

std::string Out(CommandHarness& h, int client) {
  std::string s = *h.session(client).out;
  h.session(client).out->clear();
  return s;
}

std::string InfoField(PubSubHarness& h, const std::string& field) {
  std::string info = h.Run({"INFO", "all"}, 9);
  size_t at = info.find(field + ":");
  if (at == std::string::npos) return "?";
  at += field.size() + 1;
  return info.substr(at, info.find('\r', at) - at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pubsub)

BOOST_AUTO_TEST_CASE(subscribe_publish_unsubscribe) {
  PubSubHarness h;
  BOOST_TEST(h.Run({"SUBSCRIBE", "a", "b"}, 1) ==
             "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
             "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
  BOOST_TEST(h.Run({"SUBSCRIBE", "a"}, 1) == "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "a", "hello"}) == ":1\r\n");
  BOOST_TEST(Out(h, 1) == "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "c", "x"}) == ":0\r\n");
  BOOST_TEST(h.Run({"UNSUBSCRIBE", "a", "zz"}, 1) ==
             "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n"
             "*3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:1\r\n");
  BOOST_TEST(h.Run({"UNSUBSCRIBE"}, 1) == "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n");
  BOOST_TEST(h.Run({"UNSUBSCRIBE"}, 1) == "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  BOOST_TEST(h.Run({"PUNSUBSCRIBE"}, 1) == "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "b", "x"}) == ":0\r\n");
  BOOST_TEST(h.session(1).subscriptions == 0u);
}

BOOST_AUTO_TEST_CASE(patterns_after_channels_and_counts) {
  PubSubHarness h;
  h.Run({"SUBSCRIBE", "foo.bar"}, 1);
  BOOST_TEST(h.Run({"PSUBSCRIBE", "foo.*"}, 1) ==
             "*3\r\n$10\r\npsubscribe\r\n$5\r\nfoo.*\r\n:2\r\n");
  h.Run({"PSUBSCRIBE", "f?o.[a-c]ar"}, 2);
  BOOST_TEST(h.Run({"PUBLISH", "foo.bar", "hi"}) == ":3\r\n");
  BOOST_TEST(Out(h, 1) ==
             "*3\r\n$7\r\nmessage\r\n$7\r\nfoo.bar\r\n$2\r\nhi\r\n"
             "*4\r\n$8\r\npmessage\r\n$5\r\nfoo.*\r\n$7\r\nfoo.bar\r\n$2\r\nhi\r\n");
  BOOST_TEST(Out(h, 2) ==
             "*4\r\n$8\r\npmessage\r\n$11\r\nf?o.[a-c]ar\r\n$7\r\nfoo.bar\r\n$2\r\nhi\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "foo1", "x"}) == ":0\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMPAT"}) == ":2\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMSUB", "foo.bar", "nope"}) ==
             "*4\r\n$7\r\nfoo.bar\r\n:1\r\n$4\r\nnope\r\n:0\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "CHANNELS"}) == "*1\r\n$7\r\nfoo.bar\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "CHANNELS", "x*"}) == "*0\r\n");
  BOOST_TEST(InfoField(h, "pubsub_channels") == "1");
  BOOST_TEST(InfoField(h, "pubsub_patterns") == "2");
  BOOST_TEST(InfoField(h, "pubsub_clients") == "2");
  std::string list = h.Run({"CLIENT", "LIST"}, 3);
  BOOST_TEST(list.find("flags=P") != std::string::npos);
  BOOST_TEST(list.find("sub=1 psub=1 ssub=0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(shard_channels) {
  PubSubHarness h;
  h.Run({"SUBSCRIBE", "ch"}, 1);
  BOOST_TEST(h.Run({"SSUBSCRIBE", "ch", "ch2"}, 1) ==
             "*3\r\n$10\r\nssubscribe\r\n$2\r\nch\r\n:1\r\n"
             "*3\r\n$10\r\nssubscribe\r\n$3\r\nch2\r\n:2\r\n");
  BOOST_TEST(h.Run({"SPUBLISH", "ch", "m"}) == ":1\r\n");
  BOOST_TEST(Out(h, 1) == "*3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "SHARDCHANNELS"}) == "*2\r\n$2\r\nch\r\n$3\r\nch2\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "SHARDNUMSUB", "ch"}) == "*2\r\n$2\r\nch\r\n:1\r\n");
  BOOST_TEST(h.Run({"SUNSUBSCRIBE", "ch"}, 1) == "*3\r\n$12\r\nsunsubscribe\r\n$2\r\nch\r\n:1\r\n");
  BOOST_TEST(InfoField(h, "pubsubshard_channels") == "1");
}

BOOST_AUTO_TEST_CASE(resp2_subscribed_mode) {
  PubSubHarness h;
  h.Run({"SUBSCRIBE", "a"}, 1);
  BOOST_TEST(h.Run({"GET", "k"}, 1) ==
             "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
             "RESET are allowed in this context\r\n");
  BOOST_TEST(h.Run({"CLIENT", "ID"}, 1).find("Can't execute 'client|id'") != std::string::npos);
  BOOST_TEST(h.Run({"PING"}, 1) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  BOOST_TEST(h.Run({"PING", "x"}, 1) == "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
  BOOST_TEST(h.Run({"PSUBSCRIBE", "p*"}, 1) == "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n");
  BOOST_TEST(h.Run({"RESET"}, 1) == "+RESET\r\n");
  BOOST_TEST(h.session(1).subscriptions == 0u);
  BOOST_TEST(h.Run({"PUBLISH", "a", "x"}) == ":0\r\n");
  BOOST_TEST(h.Run({"PING"}, 1) == "+PONG\r\n");
}

BOOST_AUTO_TEST_CASE(resp3_pushes_and_any_command) {
  PubSubHarness h;
  h.Run({"HELLO", "3"}, 1);
  BOOST_TEST(h.Run({"SUBSCRIBE", "a"}, 1) == ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
  BOOST_TEST(h.Run({"SET", "k", "v"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"PING"}, 1) == "+PONG\r\n");
  // Its own message comes before the reply.
  BOOST_TEST(h.Run({"PUBLISH", "a", "m"}, 1) ==
             ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nm\r\n:1\r\n");
  BOOST_TEST(h.Run({"UNSUBSCRIBE"}, 1) == ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n");
  BOOST_TEST(h.Run({"UNSUBSCRIBE"}, 1) == ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
}

BOOST_AUTO_TEST_CASE(reply_off_keeps_pushes) {
  PubSubHarness h;
  h.Run({"HELLO", "3"}, 1);
  h.Run({"CLIENT", "REPLY", "OFF"}, 1);
  BOOST_TEST(h.Run({"SUBSCRIBE", "a"}, 1) == ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "a", "m"}, 1) == ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nm\r\n");
  BOOST_TEST(h.Run({"GET", "x"}, 1) == "");
  BOOST_TEST(h.Run({"PUBLISH", "a", "n"}) == ":1\r\n");
  BOOST_TEST(Out(h, 1) == ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nn\r\n");
}

BOOST_AUTO_TEST_CASE(numbered_databases_share_channels_named_namespaces_do_not) {
  PubSubHarness h;
  h.Run({"SUBSCRIBE", "news"}, 1);
  h.Run({"PSUBSCRIBE", "*"}, 1);
  // As in Redis, SELECT does not matter to Pub/Sub: databases 0..15 are one channel space.
  h.Run({"SELECT", "3"}, 2);
  BOOST_TEST(h.Run({"PUBLISH", "news", "x"}, 2) == ":2\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMPAT"}, 2) == ":1\r\n");
  Out(h, 1);
  // A named namespace (a tenant) has its own.
  h.Run({"SELECT", "tenant7"}, 2);
  BOOST_TEST(h.Run({"PUBLISH", "news", "x"}, 2) == ":0\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMSUB", "news"}, 2) == "*2\r\n$4\r\nnews\r\n:0\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMPAT"}, 2) == ":0\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "CHANNELS"}, 2) == "*0\r\n");
  BOOST_TEST(Out(h, 1).empty());
  BOOST_TEST(h.Run({"PUBLISH", "news", "y"}) == ":2\r\n");
}

BOOST_AUTO_TEST_CASE(hostile_and_empty_patterns) {
  PubSubHarness h;
  std::string glob(5000, '*');
  glob += "a[";
  h.Run({"PSUBSCRIBE", glob, "", "[", "\\"}, 1);
  std::string channel(100000, 'a');
  BOOST_TEST(h.Run({"PUBLISH", channel, "x"}).substr(0, 1) == ":");  // linear, whatever it is
  BOOST_TEST(h.Run({"PUBLISH", "", "x"}) == ":1\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMPAT"}) == ":4\r\n");
}

BOOST_AUTO_TEST_CASE(errors_and_help) {
  PubSubHarness h;
  BOOST_TEST(h.Run({"SUBSCRIBE"}) == "-ERR wrong number of arguments for 'subscribe' command\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "a"}) == "-ERR wrong number of arguments for 'publish' command\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "NUMPAT", "x"}) ==
             "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "CHANNELS", "a", "b"}) ==
             "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB "
             "HELP.\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "FOO"}) == "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n");
  BOOST_TEST(h.Run({"PUBSUB", "HELP"}).substr(0, 5) == "*14\r\n");
  h.Run({"MULTI"});
  BOOST_TEST(h.Run({"SSUBSCRIBE", "a"}) == "+QUEUED\r\n");
  BOOST_TEST(h.Run({"SUBSCRIBE", "b"}) == "+QUEUED\r\n");
  BOOST_TEST(h.Run({"EXEC"}) ==
             "*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
             "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:1\r\n");
}

BOOST_AUTO_TEST_CASE(acl_channel_rules) {
  PubSubHarness h;
  BOOST_TEST(h.Run({"ACL", "SETUSER", "u", "on", "nopass", "+@all", "~*", "resetchannels",
                    "&news.*"}) == "+OK\r\n");
  BOOST_TEST(h.Run({"AUTH", "u", "x"}, 1) == "+OK\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "news.a", "m"}, 1) == ":0\r\n");
  BOOST_TEST(h.Run({"PUBLISH", "other", "m"}, 1) ==
             "-NOPERM No permissions to access a channel\r\n");
  BOOST_TEST(h.Run({"SUBSCRIBE", "news.b", "other"}, 1) ==
             "-NOPERM No permissions to access a channel\r\n");
  BOOST_TEST(h.Run({"PSUBSCRIBE", "news.x*"}, 1) ==
             "-NOPERM No permissions to access a channel\r\n");
  BOOST_TEST(h.Run({"PSUBSCRIBE", "news.*"}, 1) ==
             "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n");
  BOOST_TEST(h.Run({"UNSUBSCRIBE", "other"}, 1) ==
             "*3\r\n$11\r\nunsubscribe\r\n$5\r\nother\r\n:1\r\n");
  BOOST_TEST(h.Run({"ACL", "DRYRUN", "u", "SPUBLISH", "x", "y"}) ==
             "$51\r\nUser u has no permissions to access the 'x' channel\r\n");
  // Revoking the pattern closes the subscriber.
  BOOST_TEST(h.Run({"ACL", "SETUSER", "u", "resetchannels", "&other"}) == "+OK\r\n");
  BOOST_TEST(h.session(1).close_after_reply);
}

BOOST_AUTO_TEST_CASE(write_message_for_tracking) {
  PubSubHarness h;
  h.Run({"SUBSCRIBE", "__redis__:invalidate"}, 1);
  h.state.pubsub.WriteMessage(&h.session(1), "__redis__:invalidate", "k");
  BOOST_TEST(Out(h, 1) == "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$1\r\nk\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
