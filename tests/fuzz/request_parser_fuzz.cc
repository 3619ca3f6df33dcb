// libFuzzer target for resp::RequestParser: arbitrary bytes, fed in two pieces at a split point
// taken from the input, must never crash, hang, or leave the parser inconsistent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "resp/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % (size + 1);
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (split > all.size()) split = all.size();
  dkv::resp::ParserLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.authenticated = (data[0] & 1) != 0;
  dkv::resp::RequestParser parser(limits);
  std::string buffer;
  for (std::string_view piece : {all.substr(0, split), all.substr(split)}) {
    buffer.append(piece);
    for (int guard = 0; guard < 100000; ++guard) {
      dkv::resp::ParseStatus st = parser.Parse(buffer);
      if (st == dkv::resp::ParseStatus::kNeedMore) break;
      if (st == dkv::resp::ParseStatus::kError) return 0;
      if (parser.consumed() == 0 || parser.consumed() > buffer.size()) __builtin_trap();
      for (std::string_view arg : parser.args()) {
        // Views must lie inside the buffer or the parser's own inline storage.
        volatile char sink = arg.empty() ? 0 : arg[arg.size() - 1];
        (void)sink;
      }
      buffer.erase(0, parser.consumed());
    }
  }
  return 0;
}
