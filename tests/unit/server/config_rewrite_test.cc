// CONFIG REWRITE's text (src/config/config_rewrite.h): every option and every user read back
// exactly, whatever bytes the values hold, with the file's comments kept.
#include "src/config/config_rewrite.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "src/config/config.h"

using namespace dkv::server;

namespace {

// A configuration with an awkward value in every string option and every field of users: set.
Config OddConfig() {
  Config c;
  auto set = [&](std::string_view name, std::string_view value) {
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(FindConfigParam(name)->set(c, value) == ""); }
  };
  set("requirepass", "  lead \"q\" back\\slash: colon # hash\ttab\nline\r\x01 end ");
  set("bind", "127.0.0.1 ::1");
  set("dir", "/tmp/a dir/with: colon #x");
  set("dbfilename", "'odd' name.dkv");
  set("unixsocket", "/tmp/{s}[x].sock");
  set("logfile", "- not a list");
  set("postgres.dsn", std::string("host=a password='x\\'y' ") + "\xc3\xa9\xe2\x82\xac");
  set("key-separator", "\xfe");  // one byte that is not UTF-8
  set("save", "100 5 60 1000");
  set("maxmemory", "20mb");
  set("lua-time-limit", "1234");
  set("client-output-buffer-limit", "normal 1mb 512kb 30");
  set("unixsocketperm", "750");
  c.users = {
      {"default", "sha256:00ff:" + std::string(64, 'a'), false, true, {}, false, "", ""},
      {"alice",
       "sha256:0a0b:" + std::string(64, 'b'),
       false,
       true,
       {"tenant-a"},
       false,
       "+@all -@dangerous",
       ""},
      {"bob", "", true, false, {"tenant-b", "5", "*"}, true, "+@read -keys +acl|whoami", ""},
      {"empty-ns", "", true, true, {""}, false, "", ""},
      {"rules", "", false, true, {}, false, "", "on #" + std::string(64, 'c') + " ~k* +get"},
  };
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_rewrite)

BOOST_AUTO_TEST_CASE(every_option_and_user_reads_back_exactly) {
  Config c = OddConfig();
  std::string text;
  BOOST_TEST(RenderConfigFile(c, "", &text) == "");
  Config back;
  BOOST_TEST(LoadConfigText(text, "t.yaml", &back) == "");
  std::string difference;
  BOOST_TEST(SameConfig(c, back, &difference), difference);
  BOOST_TEST(back.requirepass == c.requirepass);
  BOOST_TEST(back.key_separator == "\xfe");
  BOOST_TEST(text.find("key-separator: !!binary") != std::string::npos);
  BOOST_TEST(back.users.size() == 5u);
  BOOST_TEST(back.users[2].namespaces == (std::vector<std::string>{"tenant-b", "5", "*"}));
}

BOOST_AUTO_TEST_CASE(binary_values_and_brackets_read_back) {
  Config c;
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  c.requirepass = all_bytes;                                       // CONFIG SET takes any bytes
  c.postgres_dsn = std::string(200, '[') + std::string(100, '{');  // past kMaxConfigNesting
  std::string text;
  BOOST_TEST(RenderConfigFile(c, "", &text) == "");
  Config back;
  BOOST_TEST(LoadConfigText(text, "t.yaml", &back) == "");
  BOOST_TEST(back.requirepass == all_bytes);
  BOOST_TEST(back.postgres_dsn == c.postgres_dsn);
}

BOOST_AUTO_TEST_CASE(comments_stay_and_entries_are_replaced_in_place) {
  std::string old_text =
      "# head comment\n"
      "port: 7000   # trailing\n"
      "\n"
      "# about users\n"
      "users:\n"
      "  - name: old\n"
      "    # inside\n"
      "    nopass: yes\n"
      "# between\n"
      "lua-time-limit: 10\n"
      "busy-reply-threshold: 20\n"
      "requirepass: |\n"
      "  multi\n"
      "  line\n"
      "# tail comment\n";
  Config c = OddConfig();
  c.port = 7001;
  std::string text;
  BOOST_TEST(RenderConfigFile(c, old_text, &text) == "");
  BOOST_TEST(text.rfind("# head comment\nport: \"7001\"\n\n# about users\nusers:\n  - name: ", 0) ==
             0);
  for (std::string_view kept : {"# between\n", "# tail comment\n"}) {
    BOOST_TEST(text.find(kept) != std::string::npos);
  }
  BOOST_TEST(text.find("\"old\"") == std::string::npos);
  BOOST_TEST(text.find("lua-time-limit") == std::string::npos);  // its own name, once
  BOOST_TEST(text.find("busy-reply-threshold") == text.rfind("busy-reply-threshold"));
  BOOST_TEST(text.find("multi") == std::string::npos);
  BOOST_TEST(text.find("# Written by CONFIG REWRITE") < text.find("hz: "));
  Config back;
  BOOST_TEST(LoadConfigText(text, "t.yaml", &back) == "");
  std::string difference;
  BOOST_TEST(SameConfig(c, back, &difference), difference);
  // A layout the splicing does not follow is written afresh, still exact.
  BOOST_TEST(RenderConfigFile(c, "{port: 1, hz: 2}\n", &text) == "");
  BOOST_TEST(LoadConfigText(text, "t.yaml", &back) == "");
  BOOST_TEST(SameConfig(c, back, &difference), difference);
}

BOOST_AUTO_TEST_CASE(the_shipped_file_keeps_every_comment_line_in_order) {
  std::string path = std::string(DKV_SOURCE_DIR) + "/conf/dkv.yaml";
  std::ifstream f(path);
  std::string old_text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Config c;
  BOOST_TEST(LoadConfigText(old_text, path, &c) == "");
  c.maxmemory = 12345;
  std::string text;
  BOOST_TEST(RenderConfigFile(c, old_text, &text) == "");
  auto comments = [](const std::string& t) {
    std::string out;
    size_t i = 0;
    while (i < t.size()) {
      size_t end = t.find('\n', i);
      if (end == std::string::npos) end = t.size();
      if (t[i] == '#' || end == i) out.append(t, i, end - i + 1);
      i = end + 1;
    }
    return out;
  };
  BOOST_TEST(comments(text) == comments(old_text));
  BOOST_TEST(text.find("\nmaxmemory: \"12345\"\n") != std::string::npos);
  BOOST_TEST(text.find("# Written by CONFIG REWRITE") == std::string::npos);  // nothing appended
}

BOOST_AUTO_TEST_SUITE_END()
