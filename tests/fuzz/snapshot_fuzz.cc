// libFuzzer target for the snapshot reader. Raw bytes would almost never get past the checksums,
// so the harness wraps the fuzzer's bytes in a file whose checksums are right, and the decoders
// behind them are what is fuzzed. The first byte picks what the bytes become:
//   0: the header body;  1: one block's records (uncompressed);  2: one block's LZ4 payload.
// The second byte is the block's record count. Reading must end in success or an error that says
// where, never a crash, a sanitizer report or a hang; a load into a keyspace likewise.
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/clock.h"
#include "engine/keyspace.h"
#include "persistence/coding.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_layout.h"

namespace {

using namespace dkv::persistence;

std::string Header(std::string_view body) {
  std::string h(kSnapshotMagic, sizeof(kSnapshotMagic));
  PutFixed16(&h, kSnapshotFormatVersion);
  PutFixed16(&h, 0);
  PutFixed32(&h, static_cast<uint32_t>(body.size()));
  h.append(body);
  PutFixed64(&h, XXH3_64bits(h.data(), h.size()));
  return h;
}

std::string ValidBody(uint64_t keys) {
  std::string b;
  PutFixed64(&b, 1'700'000'000'000ULL);
  PutString(&b, "fuzz");
  PutVarint(&b, 1);  // one namespace: id 0, "0"
  PutVarint(&b, 0);
  PutString(&b, "0");
  PutVarint(&b, keys);
  PutVarint(&b, 2);  // two content types
  PutString(&b, "text/plain");
  PutString(&b, "application/json");
  PutVarint(&b, 0);  // no aux
  return b;
}

std::string Block(uint64_t records, uint64_t raw_len, std::string_view payload, uint8_t codec) {
  std::string head;
  head.push_back(static_cast<char>(kBlockRecords));
  PutVarint(&head, 0);
  PutVarint(&head, records);
  PutVarint(&head, raw_len);
  PutVarint(&head, payload.size());
  head.push_back(static_cast<char>(codec));
  std::string out = head;
  out.append(payload);
  PutFixed64(&out, BlockChecksum(head, payload));
  return out;
}

std::string End(std::string file, uint64_t records, uint64_t blocks) {
  file.push_back(static_cast<char>(kBlockEnd));
  PutVarint(&file, records);
  PutVarint(&file, blocks);
  PutFixed64(&file, XXH3_64bits(file.data(), file.size()));
  return file;
}

struct NullSink : RecordSink {
  std::string OnHeader(const SnapshotHeader&) override { return ""; }
  std::string OnRecord(const SnapshotRecord& r) override {
    // Views must be readable for the whole record.
    volatile size_t sum = r.key.size() + r.value.size();
    if (!r.key.empty()) sum = sum + static_cast<unsigned char>(r.key.back());
    if (!r.value.empty()) sum = sum + static_cast<unsigned char>(r.value.back());
    (void)sum;
    return "";
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  uint64_t records = data[1];
  std::string file;
  switch (data[0] % 3) {
    case 0:
      file = End(Header(rest), 0, 0);
      break;
    case 1:
      file = End(Header(ValidBody(records)) + Block(records, rest.size(), rest, kCodecNone),
                 records, 1);
      break;
    default:
      file = End(Header(ValidBody(records)) + Block(records, 4096, rest, kCodecLz4), records, 1);
      break;
  }
  int fd = memfd_create("snapshot", 0);
  if (fd < 0) return 0;
  if (write(fd, file.data(), file.size()) != static_cast<ssize_t>(file.size())) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  NullSink sink;
  ReadResult r = ReadSnapshotFile(path, sink);
  if (!r.error.empty() && r.error.find("offset ") == std::string::npos) __builtin_trap();
  dkv::engine::FakeClock clock;
  dkv::engine::Keyspace keyspace(&clock, 16);
  keyspace.RefreshTime();
  LoadStats stats;
  LoadSnapshotFile(path, keyspace, 16, {}, &stats);
  close(fd);
  return 0;
}
