// Reading an incremental file of the append-only log: RESP multibulk commands, and annotation
// lines beginning with '#' (Redis' `#TS:<unix time>`), which are skipped. Used by the load at
// start (src/core/aof.*) and dkv-check-aof. Reads in bounded chunks: a length in the file never
// allocates before its bytes are there, so a damaged or hostile file cannot make it allocate
// more than the file holds. Pure: a file and a callback. See docs/aof-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::persistence {

struct AofReadResult {
  enum class Status {
    kOk,         // the whole file is whole commands
    kTruncated,  // it ends inside a command: valid_bytes is where the last whole one ends
    kDamaged,    // bytes that are not RESP before the end: error says what, at error_offset
    kStopped,    // the callback returned false
    kIoError,    // the file could not be read
  };
  Status status = Status::kOk;
  uint64_t valid_bytes = 0;  // offset after the last whole command (or annotation)
  uint64_t commands = 0;     // commands passed to the callback
  uint64_t error_offset = 0;
  std::string error;
  uint64_t buffer_bytes = 0;  // the largest read buffer used (it grows only for long commands)
};

// Calls `on_command` with each command's arguments in order (views valid during the call) and
// the offset of the command's first byte; `on_annotation` (may be empty) with each annotation
// line, without '#' and line end. Stops at the first command the callback refuses (returns
// false): kStopped, with valid_bytes and error_offset where that command begins.
// A command is `*<n>\r\n` (1 <= n < 2^31) and n arguments `$<len>\r\n<len bytes>\r\n`; an
// annotation line is at most 4096 bytes. Memory: one buffer of kAofReadChunk bytes, grown (by
// doubling) only when one command does not fit in the bytes already read, and the argv vector.
AofReadResult ReadAofFile(
    const std::string& path,
    const std::function<bool(const std::vector<std::string_view>& argv, uint64_t offset)>&
        on_command,
    const std::function<void(std::string_view annotation)>& on_annotation = {});

inline constexpr size_t kAofReadChunk = 64 * 1024;

// The same from an open descriptor, from its current position (offsets count from there), in
// reads of at most `chunk_bytes` (> 0) at first: for tests (small chunks put every boundary
// inside commands) and the fuzzer (a memfd). Does not close `fd`.
AofReadResult ReadAofFd(int fd, size_t chunk_bytes,
                        const std::function<bool(const std::vector<std::string_view>& argv,
                                                 uint64_t offset)>& on_command,
                        const std::function<void(std::string_view annotation)>& on_annotation = {});

}  // namespace dkv::persistence
