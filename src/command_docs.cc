#include "src/command_docs.h"

#include <map>
#include <vector>

#include "src/command.h"

namespace dkv::server {

std::string CommandDocsMarkdown() {
  std::string md =
      "# dkv command reference\n\n"
      "Generated from the command table (`src/commands/command_table.cc`) by\n"
      "`dkv-server --gen-command-docs`; do not edit by hand. Semantics, replies and error texts\n"
      "are Redis 7.2's unless a line says otherwise. Arity: N means exactly N words including the\n"
      "command name, -N at least N. Keys: first, last (-1 = the last argument) and step.\n";
  std::map<std::string_view, std::vector<const CommandSpec*>> groups;
  std::vector<std::string_view> order;
  for (const CommandSpec& spec : CommandTable()) {
    if (groups.find(spec.group) == groups.end()) order.push_back(spec.group);
    groups[spec.group].push_back(&spec);
  }
  for (std::string_view group : order) {
    md += "\n## " + std::string(group) + "\n\n";
    md += "| command | arity | keys | since | summary | complexity |\n";
    md += "|---|---|---|---|---|---|\n";
    for (const CommandSpec* spec : groups[group]) {
      std::string name(spec->name);
      for (char& c : name) {
        if (c == '|') {
          c = ' ';
        } else {
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
      }
      std::string keys = spec->first_key == 0 ? "-"
                                              : std::to_string(spec->first_key) + ", " +
                                                    std::to_string(spec->last_key) + ", " +
                                                    std::to_string(spec->key_step);
      md += "| `" + name + "` | " + std::to_string(spec->arity) + " | " + keys + " | " +
            std::string(spec->since) + " | " + std::string(spec->summary) + " | " +
            std::string(spec->complexity) + " |\n";
    }
  }
  return md;
}

}  // namespace dkv::server
