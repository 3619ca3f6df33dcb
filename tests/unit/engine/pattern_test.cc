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

// A megabyte of wildcards took 0.45 s and 77 MB to compile, and 128 cached ones held 4 GB.
BOOST_AUTO_TEST_CASE(long_wildcard_patterns_are_refused_and_never_cached) {
  std::string error;
  std::string huge;
  for (int i = 0; i < 512 * 1024; ++i) huge += "a?";
  BOOST_TEST(Pattern::CompileRedisGlob(huge, &error) == nullptr);
  BOOST_TEST(error == "longer than 65536 bytes");
  // Literal and prefix patterns need no regex: any length.
  std::string literal(1 << 20, 'k');
  auto lit = Pattern::CompileRedisGlob(literal, nullptr);
  BOOST_REQUIRE(lit != nullptr);
  BOOST_TEST(lit->Matches(literal));
  auto prefix = Pattern::CompileRedisGlob(literal + "*", nullptr);
  BOOST_REQUIRE(prefix != nullptr);
  BOOST_TEST(prefix->Matches(literal + "tail"));
  // At the limit it compiles; past the cached length it is not kept.
  std::string at_limit(Pattern::kMaxRedisRegexLength - 1, 'x');
  at_limit += "?";
  BOOST_TEST(Pattern::CompileRedisGlob(at_limit, nullptr) != nullptr);
  PatternCache cache;
  BOOST_TEST(cache.Get(PatternCache::Syntax::kRedis, at_limit, 0, false, &error) != nullptr);
  BOOST_TEST(cache.size() == 0u);
  BOOST_TEST(cache.Get(PatternCache::Syntax::kRedis, "user:*:name", 0, false, &error) != nullptr);
  BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hierarchical_glob)

bool H(const char* pattern, const char* key, bool nocase = false, char sep = '.') {
  auto p = Pattern::CompileHierarchical(pattern, sep, nocase, nullptr);
  BOOST_REQUIRE_MESSAGE(p != nullptr, "compiles: " << pattern);
  return p->Matches(key);
}

BOOST_AUTO_TEST_CASE(commands_md_examples) {
  BOOST_TEST(H("app.config.*", "app.config.debug"));
  BOOST_TEST(!H("app.config.*", "app.config.database.host"));
  BOOST_TEST(H("**.database.**", "app.config.database.host"));
  BOOST_TEST(H("user.?.settings", "user.7.settings"));
  BOOST_TEST(H("app.{dev,prod}.config", "app.dev.config"));
  BOOST_TEST(H("app.{dev,prod}.config", "app.prod.config"));
  BOOST_TEST(!H("app.{dev,prod}.config", "app.test.config"));
}

BOOST_AUTO_TEST_CASE(tokens) {
  BOOST_TEST(H("a.*", "a."));      // * may match nothing
  BOOST_TEST(!H("a.*", "a.b.c"));  // * stops at the separator
  BOOST_TEST(H("a.**", "a.b.c"));  // ** crosses it
  BOOST_TEST(H("a**", "a"));       // ** may match nothing
  BOOST_TEST(!H("a?b", "a.b"));    // ? is never the separator
  BOOST_TEST(H("a[bc]d", "acd"));
  BOOST_TEST(!H("a[!bc]d", "acd"));
  BOOST_TEST(H("a[^bc]d", "aed"));
  BOOST_TEST(!H("a[^bc]d", "a.d"));  // negated classes exclude the separator too
  BOOST_TEST(H("a[a-c]d", "abd"));
  BOOST_TEST(H("x.{a*,b.**}", "x.b.c.d"));  // alternatives hold tokens
  BOOST_TEST(H("x.{a,{b,c}}", "x.c"));      // nested braces
  BOOST_TEST(H("lit\\*eral", "lit*eral"));
  BOOST_TEST(!H("lit\\*eral", "litXeral"));
  BOOST_TEST(H("a,b}", "a,b}"));          // outside braces , and } are literal
  BOOST_TEST(H("APP.*", "app.x", true));  // NOCASE
  BOOST_TEST(!H("APP.*", "app.x", false));
  BOOST_TEST(H("sess:*", "sess:abc", false, ':'));  // another separator
  BOOST_TEST(!H("sess:*", "sess:a:b", false, ':'));
  BOOST_TEST(H("sess:*", "sess:a.b", false, ':'));  // '.' is ordinary then
}

BOOST_AUTO_TEST_CASE(prefix_extraction_and_kinds) {
  auto p = Pattern::CompileHierarchical("app.tenant7.**", '.', false, nullptr);
  BOOST_TEST(p->prefix_only());
  BOOST_TEST(p->literal_prefix() == "app.tenant7.");
  auto q = Pattern::CompileHierarchical("app.tenant7.*", '.', false, nullptr);
  BOOST_TEST(!q->prefix_only());
  BOOST_TEST(q->literal_prefix() == "app.tenant7.");
  auto r = Pattern::CompileHierarchical("app.x", '.', false, nullptr);
  BOOST_TEST(r->literal());
  auto n = Pattern::CompileHierarchical("app.**", '.', true, nullptr);
  BOOST_TEST(!n->prefix_only());  // NOCASE cannot use the exact-byte range
  BOOST_TEST(n->Matches("APP.x.y"));
}

BOOST_AUTO_TEST_CASE(malformed_patterns_are_refused_with_reasons) {
  std::string error;
  BOOST_TEST(Pattern::CompileHierarchical("a[bc", '.', false, &error) == nullptr);
  BOOST_TEST(error == "unclosed '['");
  BOOST_TEST(Pattern::CompileHierarchical("a{b,c", '.', false, &error) == nullptr);
  BOOST_TEST(error == "unclosed '{'");
  std::string huge(Pattern::kMaxHierarchicalLength + 1, 'a');
  BOOST_TEST(Pattern::CompileHierarchical(huge, '.', false, &error) == nullptr);
  BOOST_TEST(error == "longer than 16384 bytes");
}

BOOST_AUTO_TEST_CASE(adversarial_patterns_stay_linear) {
  // CVE-2022-36021's shape in both syntaxes, and CVE-2024-31228's `*?` repeated.
  std::string stars;
  for (int i = 0; i < 200; ++i) stars += "a*";
  stars += "b";
  std::string key(20000, 'a');
  BOOST_TEST(!Pattern::CompileHierarchical(stars, '.', false, nullptr)->Matches(key));
  std::string qs;
  for (int i = 0; i < 2000; ++i) qs += "*?";
  auto p = Pattern::CompileHierarchical(qs, '.', false, nullptr);
  BOOST_REQUIRE(p != nullptr);
  BOOST_TEST(!p->Matches(std::string(1000, 'a')));
  BOOST_TEST(p->Matches(std::string(3000, 'a')));
}

BOOST_AUTO_TEST_CASE(pattern_cache_reuses_compiled_patterns) {
  PatternCache cache(2);
  std::string error;
  auto a = cache.Get(PatternCache::Syntax::kHierarchical, "a.*", '.', false, &error);
  auto b = cache.Get(PatternCache::Syntax::kHierarchical, "a.*", '.', false, &error);
  BOOST_TEST(a.get() == b.get());
  auto c = cache.Get(PatternCache::Syntax::kRedis, "a.*", '.', false, &error);
  BOOST_TEST(c.get() != a.get());  // same text, other syntax
  BOOST_TEST(c->Matches("a.b.c"));
  BOOST_TEST(!a->Matches("a.b.c"));
}

BOOST_AUTO_TEST_SUITE_END()
