// Config rewrite: the text CONFIG REWRITE writes back to the configuration file, and writing it.
//
// The running configuration (every option of ConfigParams() and the users of `users:`) is written
// over the file the server started with. As Redis does, the file's other lines (comments, blank
// lines) stay where they are and each option's entry is replaced in place; options the file did
// not name are appended. Every value goes through yaml-cpp's emitter, double-quoted with escapes,
// or as `!!binary` base64 when YAML text cannot carry its bytes (not UTF-8); LoadConfigText reads
// both. Before anything is written, the new text is loaded back and compared with the running
// configuration: a text that would not give back the same options and users is never written.
// Plain functions on values; RewriteConfigFile blocks on fsync (CONFIG REWRITE, loop thread).
#pragma once

#include <string>
#include <string_view>

#include "src/config/config.h"

namespace dkv::server {

// The text of a configuration file that loads back into `config` (config_file aside), keeping the
// comments and layout of `old_text` (the file's current text; may be empty). Returns "" and sets
// *out, or the reason no such text could be made.
std::string RenderConfigFile(const Config& config, std::string_view old_text, std::string* out);

// Whether `a` and `b` hold the same options and users (config_file aside); otherwise names the
// first option (or "users") that differs in *difference.
bool SameConfig(const Config& a, const Config& b, std::string* difference);

// CONFIG REWRITE: renders `config` over the file at `path` (a symbolic link is followed) through a
// temporary file in the same directory that is fsynced and renamed over it, keeping the file's
// permission bits, then fsyncs the directory. Returns "" or the error; on an error the old file is
// untouched and no temporary file is left.
std::string RewriteConfigFile(const Config& config, const std::string& path);

}  // namespace dkv::server
