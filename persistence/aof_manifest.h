// The append-only log's files and manifest, Redis 7's multi-part layout: in `appenddirname` a
// base (a dkv snapshot: <appendfilename>.<seq>.base.dkv), incremental files in RESP
// (<appendfilename>.<seq>.incr.aof) and the manifest (<appendfilename>.manifest) that lists them,
// one line each: `file <name> seq <n> type <b|h|i>` (base, history: no longer needed and about
// to be deleted, incremental). The manifest is the truth: files it does not list are not part
// of the log. Written to a temporary file, fsynced, renamed over, and the directory fsynced, so
// a crash leaves the old or the new one. Pure: files and text, no server. See
// docs/aof-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::persistence {

struct AofFileEntry {
  enum class Type : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };
  std::string name;  // a file name in the directory (no '/')
  int64_t seq = 0;
  Type type = Type::kIncr;
};

struct AofManifest {
  std::optional<AofFileEntry> base;
  std::vector<AofFileEntry> incrs;    // in replay order (ascending seq)
  std::vector<AofFileEntry> history;  // to be deleted

  // The names of the next files: base and incremental sequence numbers continue.
  int64_t last_base_seq() const;
  int64_t last_incr_seq() const;

  // Parses a manifest's text. Returns "" or why it is not one (line number and text); unknown
  // keys on a line are ignored (as Redis), a missing name or type or a bad seq is an error.
  static std::string Parse(std::string_view text, AofManifest* out);
  std::string Serialize() const;
};

std::string AofManifestName(std::string_view appendfilename);
std::string AofBaseName(std::string_view appendfilename, int64_t seq);  // ...<seq>.base.dkv
std::string AofIncrName(std::string_view appendfilename, int64_t seq);  // ...<seq>.incr.aof

// Reads `dir`/<manifest>; *found false when there is none. Returns "" or the error.
std::string ReadAofManifest(const std::string& dir, std::string_view appendfilename,
                            AofManifest* out, bool* found);
// Writes it atomically (temporary file, fsync, rename, fsync of `dir`). "" or the error.
std::string WriteAofManifest(const std::string& dir, std::string_view appendfilename,
                             const AofManifest& manifest);

}  // namespace dkv::persistence
