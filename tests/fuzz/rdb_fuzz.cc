// libFuzzer target for the RDB reader of dkv-migrate and RESTORE: any bytes as one DUMP value,
// and as the keys of an RDB file (a valid header, the bytes, an end marker with the checksum
// left at 0, which the reader does not check). The reader must end in success or an error with
// an offset, never a crash, a sanitizer report or a hang.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/tools/rdb_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  dkv::rdb::RdbKey key;
  // A small limit, so that compressed inputs reach it (and the fuzzer does not run out of memory).
  constexpr uint64_t kMax = 64 << 20;
  dkv::rdb::DecodeRdbValue(input, &key, kMax);
  std::string file = "REDIS0010";
  file.append(input);
  file.push_back(static_cast<char>(0xFF));
  file.append(8, '\0');
  int fd = memfd_create("rdb", 0);
  if (fd < 0) return 0;
  if (write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size())) {
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    std::string err = dkv::rdb::ReadRdbFile(
        path,
        [](const dkv::rdb::RdbKey& k) {
          volatile size_t n = k.key.size() + k.value.size() + k.members.size() + k.pairs.size();
          (void)n;
          return true;
        },
        kMax);
    if (!err.empty() && err.find("offset") == std::string::npos &&
        err.find("cannot read") == std::string::npos) {
      __builtin_trap();
    }
  }
  close(fd);
  return 0;
}
