#include "engine/pattern.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

using namespace dkv::engine;

BOOST_AUTO_TEST_SUITE(redis_glob)

BOOST_AUTO_TEST_CASE(table_of_patterns) {
  struct Case {
    const char* pattern;
    const char* key;
    bool match;
  };
  const Case cases[] = {
      {"*", "anything.at.all", true},
      {"", "", true},
      {"", "a", false},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "heeeello", true},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[b-a]llo", "hallo", true},      // reversed ranges are swapped
      {"app.*", "app.config.db", true},  // Redis' * crosses dots
      {"app.?", "app.x", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "axb", false},
      {"[abc", "b", true},  // an unclosed class runs to the end
      {"[]abc]", "]abc]", false},
      {"[^]x", "zx", true},
      {"*.tenant7.*", "app.tenant7.user1", true},
      {"sess:*", "sess:abc", true},
      {"a\\", "a\\", true},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.pattern << " vs " << c.key) {
      BOOST_TEST(RedisGlobMatch(c.pattern, c.key) == c.match);
    }
  }
}

BOOST_AUTO_TEST_CASE(literal_prefix_is_extracted) {
  auto p = Pattern::CompileRedisGlob("app.tenant7.*", nullptr);
  BOOST_TEST(p->literal_prefix() == "app.tenant7.");
  auto q = Pattern::CompileRedisGlob("a\\*b*", nullptr);
  BOOST_TEST(q->literal_prefix() == "a*b");
}

BOOST_AUTO_TEST_CASE(cve_2022_36021_pattern_stays_linear) {
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "a*";
  pattern += "b";
  std::string key(100000, 'a');
  auto p = Pattern::CompileRedisGlob(pattern, nullptr);
  BOOST_REQUIRE(p != nullptr);
  // The match must simply be false; RE2 guarantees it costs linear time.
  BOOST_TEST(!p->Matches(key));
}

BOOST_AUTO_TEST_SUITE_END()
