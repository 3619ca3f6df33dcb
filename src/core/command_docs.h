// Command documentation derived from the command table: the argument tree that COMMAND DOCS
// reports (redis-cli 7 builds its interactive hints from it), and the Markdown of
// docs/commands.md (`dkv-server --gen-command-docs`; a test compares the two). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dkv::server {

// One argument in COMMAND DOCS' shape.
struct DocArg {
  std::string name;
  std::string type;   // key, string, integer, double, pattern, unix-time, pure-token, oneof, block
  std::string token;  // the literal word before a value (EX in "EX seconds"), or empty
  bool optional = false;
  bool multiple = false;
  std::vector<DocArg> arguments;  // for oneof and block
};

// Parses Redis' documentation notation ("key [key ...]", "[NX | XX]", "[EX seconds]",
// "(ON | OFF)", "TYPE (A | B)") into arguments. Unbalanced brackets end the parse early; the
// syntax strings are ours, and a unit test parses every one.
std::vector<DocArg> ParseSyntax(std::string_view syntax);

std::string CommandDocsMarkdown();
// docs/security-commands.md (`dkv-server --gen-security-docs`): every command, its ACL
// categories, and the check that keeps a user inside its namespaces.
std::string SecurityDocsMarkdown();

}  // namespace dkv::server
