// libFuzzer target for the append-only log's reader and manifest parser. The first byte picks:
//   high bit clear: the rest is an incremental file, read from a memfd twice, in reads of
//     (byte % 64 + 1) bytes and of 64 KiB; both reads must agree on everything (status, valid
//     bytes, commands, offsets, every argument), valid_bytes must lie within the file, and a
//     damaged or truncated result must say where;
//   high bit set: the rest is a manifest's text; when it parses, its serialization must parse
//     to the same serialization.
// Never a crash, a sanitizer report, a hang or an allocation larger than the input allows.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/aof_manifest.h"
#include "persistence/aof_reader.h"

namespace {

using namespace dkv::persistence;

struct Seen {
  AofReadResult result;
  std::string log;  // every command and annotation, length-prefixed, with offsets
};

Seen Read(int fd, size_t chunk) {
  Seen s;
  ::lseek(fd, 0, SEEK_SET);
  s.result = ReadAofFd(
      fd, chunk,
      [&](const std::vector<std::string_view>& argv, uint64_t offset) {
        s.log += "C" + std::to_string(offset) + ":" + std::to_string(argv.size());
        for (std::string_view a : argv) {
          s.log += ":" + std::to_string(a.size()) + ":";
          s.log.append(a);
        }
        return true;
      },
      [&](std::string_view a) {
        s.log += "A" + std::to_string(a.size()) + ":";
        s.log.append(a);
      });
  return s;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode & 0x80) {
    AofManifest m;
    if (AofManifest::Parse(body, &m).empty()) {
      std::string text = m.Serialize();
      AofManifest again;
      // A manifest with no entries (only comments) serializes to "", which is refused as empty.
      if (!text.empty()) {
        Check(AofManifest::Parse(text, &again).empty());
        Check(again.Serialize() == text);
      }
    }
    return 0;
  }
  int fd = ::memfd_create("aof-fuzz", 0);
  if (fd < 0) return 0;
  size_t off = 0;
  while (off < body.size()) {
    ssize_t w = ::write(fd, body.data() + off, body.size() - off);
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  Seen small = Read(fd, mode % 64 + 1);
  Seen big = Read(fd, kAofReadChunk);
  ::close(fd);
  Check(small.result.status == big.result.status);
  Check(small.result.valid_bytes == big.result.valid_bytes);
  Check(small.result.commands == big.result.commands);
  Check(small.result.error_offset == big.result.error_offset);
  Check(small.result.error == big.result.error);
  Check(small.log == big.log);
  Check(big.result.valid_bytes <= body.size());
  // The buffer grows only with the bytes there: at most twice the input (or the first chunk).
  Check(big.result.buffer_bytes <= kAofReadChunk || big.result.buffer_bytes <= 2 * body.size());
  switch (big.result.status) {
    case AofReadResult::Status::kOk:
      Check(big.result.valid_bytes == body.size());
      break;
    case AofReadResult::Status::kTruncated:
      Check(big.result.valid_bytes < body.size() && !big.result.error.empty());
      break;
    case AofReadResult::Status::kDamaged:
      Check(big.result.error_offset >= big.result.valid_bytes &&
            big.result.error_offset < body.size() && !big.result.error.empty());
      break;
    default:
      Check(false);  // the callbacks accept all, and a memfd reads
  }
  return 0;
}
