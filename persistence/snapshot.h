// The snapshot file: a point-in-time image of every namespace, its keys, values, expiries and
// metadata, in dkv's own format (specified byte by byte in docs/snapshot-format.md).
//
// Writing walks the keyspace in key order and streams checksummed, optionally LZ4-compressed
// blocks to a temporary file, which is fsynced and renamed over the old snapshot (then the
// directory is fsynced), so a crash at any moment leaves either the old file or the new one whole.
// Reading verifies every block's checksum before decoding it and hands records to a RecordSink;
// any damage stops the read with an error that names the file, the byte offset and what was wrong.
//
// Not thread-safe; the writer only reads the keyspace, so a forked child can run it on its copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/database.h"
#include "engine/keyspace.h"
#include "engine/metadata.h"

namespace dkv::persistence {

inline constexpr char kSnapshotMagic[8] = {'D', 'K', 'V', 'S', 'N', 'A', 'P', '\n'};
// 2 added containers (hashes, sets); format 1 files (strings only) still load.
inline constexpr uint16_t kSnapshotFormatVersion = 2;

struct NamespaceSummary {
  uint32_t id = 0;   // the namespace's index in the file (records refer to it)
  std::string name;  // "0".."15" for Redis' numbered databases
  uint64_t keys = 0;
};

struct SnapshotHeader {
  uint16_t format_version = 0;
  int64_t created_ms = 0;  // the instant the image shows (unix ms)
  std::string server_version;
  std::vector<NamespaceSummary> namespaces;
  std::vector<std::string> content_types;  // a record's content type n > 0 names entry n - 1
  std::vector<std::pair<std::string, std::string>> aux;
};

struct SaveOptions {
  std::string server_version;
  std::vector<std::pair<std::string, std::string>> aux;
  bool compress = true;  // LZ4 per block, kept only where it saves space
  // Raw bytes of records gathered into one block (a bigger record gets a block of its own).
  size_t block_size = 128 * 1024;
  // Test knob: sleep this long after each key (cf. Redis' rdb-key-save-delay).
  int64_t key_save_delay_us = 0;
  // Test knob: the format version to write. Version 1 (strings only) is what older servers
  // wrote; a keyspace holding a container cannot be written in it (an error).
  uint16_t format_version = kSnapshotFormatVersion;
};

struct SaveStats {
  uint64_t keys = 0;
  uint64_t bytes = 0;
  uint64_t blocks = 0;
};

// Writes a snapshot of `keyspace` as of keyspace.now_ms() to the open file `fd`. Keys already
// expired at that instant are left out. Returns "" or the error.
std::string WriteSnapshot(const engine::Keyspace& keyspace, int fd, const SaveOptions& options,
                          SaveStats* stats);

// Writes the snapshot to `path` safely: a temporary file next to it (`<path>.tmp-<pid>`), fsync,
// rename over `path`, fsync of the directory. On error the temporary file is removed and `path`
// is untouched. Returns "" or the error (naming the step and the file).
std::string SaveSnapshotFile(const engine::Keyspace& keyspace, const std::string& path,
                             const SaveOptions& options, SaveStats* stats);

// Removes temporary files a killed save left next to `path`. Returns how many went.
int RemoveStaleTempFiles(const std::string& path);
// fsync(2) of a directory, so that a rename or a new file in it survives a crash (the snapshot
// file, the append-only log's manifest and base). Returns "" or the error.
std::string FsyncDirectory(const std::string& dir);

// One key as read from a snapshot. Views are valid during the OnRecord call only.
struct SnapshotRecord {
  uint32_t ns = 0;
  std::string_view key;
  std::string_view value;
  // content_type indexes SnapshotHeader::content_types (n - 1). A container has meta.kind set
  // and its value in the portable form, already checked by the reader (engine::Materialize).
  engine::EntryMeta meta;
  int64_t expire_ms = 0;  // absolute unix ms, 0 for none
  const engine::UserFields* fields = nullptr;
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Called once, after the header is verified. Returns "" or a reason to stop.
  virtual std::string OnHeader(const SnapshotHeader& header) = 0;
  // Called for each record, in file order. Returns "" or a reason to stop.
  virtual std::string OnRecord(const SnapshotRecord& record) = 0;
};

struct ReadOptions {
  // Stop at the first damaged or missing block but report success for what came before it
  // (the sink has seen every record of every valid block), instead of failing.
  bool allow_partial = false;
};

struct ReadResult {
  std::string error;   // "" when the whole file is valid (or allow_partial and a valid prefix)
  std::string damage;  // with allow_partial: what stopped the read, else ""
  SnapshotHeader header;
  uint64_t records = 0;
  uint64_t blocks = 0;
  uint64_t bytes = 0;  // file size
  uint64_t compressed_blocks = 0;
};

// Reads and verifies `path`, handing every record to `sink`. Errors name the file and the byte
// offset: "snapshot dump.dkv: offset 8391: block checksum mismatch".
ReadResult ReadSnapshotFile(const std::string& path, RecordSink& sink,
                            const ReadOptions& options = {});

// Loads a snapshot into an empty keyspace: namespaces are created as needed (named ones up to
// max_namespaces), keys already expired at keyspace.now_ms() are dropped and counted.
struct LoadStats {
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;
};
ReadResult LoadSnapshotFile(const std::string& path, engine::Keyspace& keyspace, int max_namespaces,
                            const ReadOptions& options, LoadStats* stats);

}  // namespace dkv::persistence
