// Renders the command table as the Markdown of docs/commands.md, so the reference can't drift
// from what the server implements (`dkv-server --gen-command-docs > docs/commands.md`; a test
// compares the two).
#pragma once

#include <string>

namespace dkv::server {
std::string CommandDocsMarkdown();
}
