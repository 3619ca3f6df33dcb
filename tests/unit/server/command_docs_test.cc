#include "src/core/command_docs.h"

#include <boost/test/unit_test.hpp>
#include <functional>

#include "src/core/command.h"

using namespace dkv::server;

BOOST_AUTO_TEST_SUITE(command_docs)

BOOST_AUTO_TEST_CASE(repeated_keys_and_optional_tokens) {
  auto args = ParseSyntax("key [key ...]");
  BOOST_REQUIRE_EQUAL(args.size(), 1u);
  BOOST_TEST(args[0].type == "key");
  BOOST_TEST(args[0].multiple);
  args = ParseSyntax("key seconds [NX | XX | GT | LT]");
  BOOST_REQUIRE_EQUAL(args.size(), 3u);
  BOOST_TEST(args[1].type == "integer");
  BOOST_TEST(args[2].type == "oneof");
  BOOST_TEST(args[2].optional);
  BOOST_REQUIRE_EQUAL(args[2].arguments.size(), 4u);
  BOOST_TEST(args[2].arguments[3].token == "LT");
  BOOST_TEST(args[2].arguments[3].type == "pure-token");
}

BOOST_AUTO_TEST_CASE(token_with_value_and_pairs) {
  auto args = ParseSyntax("key value [key value ...]");
  BOOST_REQUIRE_EQUAL(args.size(), 1u);
  BOOST_TEST(args[0].type == "block");
  BOOST_TEST(args[0].multiple);
  BOOST_TEST(args[0].arguments.size() == 2u);
  args = ParseSyntax("cursor [MATCH pattern] [COUNT count]");
  BOOST_REQUIRE_EQUAL(args.size(), 3u);
  BOOST_TEST(args[1].token == "MATCH");
  BOOST_TEST(args[1].type == "pattern");
  BOOST_TEST(args[1].optional);
  args = ParseSyntax("[SKIPME (YES | NO)]");
  BOOST_REQUIRE_EQUAL(args.size(), 1u);
  BOOST_TEST(args[0].token == "SKIPME");
  BOOST_TEST(args[0].type == "oneof");
}

BOOST_AUTO_TEST_CASE(every_table_syntax_parses_to_named_arguments) {
  std::function<void(const std::vector<DocArg>&)> check = [&](const std::vector<DocArg>& args) {
    for (const DocArg& a : args) {
      BOOST_TEST(!a.name.empty());
      BOOST_TEST(a.name != "...");
      BOOST_TEST(!a.type.empty());
      check(a.arguments);
    }
  };
  for (const CommandSpec& spec : CommandTable()) {
    BOOST_TEST_CONTEXT(spec.name) {
      auto args = ParseSyntax(spec.syntax);
      BOOST_TEST(args.empty() == spec.syntax.empty());
      check(args);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
