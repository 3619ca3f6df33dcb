// libFuzzer target for a connection's request path: arbitrary bytes arrive in pieces (of a size
// taken from the input) into an InputBuffer and are parsed as the server parses them. Must never
// crash, hang, or leave the parser inconsistent, and the buffer's capacity must never run ahead
// of the bytes received: a bulk announced as 500 MB and never sent reserves nothing for it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "resp/parser.h"
#include "src/net/input_buffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // First byte: authenticated or not; second: the size of each piece that arrives (1..256).
  const bool authenticated = (data[0] & 1) != 0;
  const size_t piece = static_cast<size_t>(data[1]) + 1;
  std::string_view all(reinterpret_cast<const char*>(data) + 2, size - 2);
  dkv::resp::ParserLimits limits;  // Redis' defaults: bulks up to 512 MB
  limits.authenticated = authenticated;
  dkv::resp::RequestParser parser(limits);
  dkv::server::InputBuffer in;
  size_t pos = 0, most_buffered = 0;
  while (pos < all.size()) {
    size_t room = 0;
    char* into = in.PrepareRead(parser.ExpectedInputSize(), &room);
    if (into == nullptr || room == 0) __builtin_trap();
    const size_t n = std::min({room, piece, all.size() - pos});
    std::memcpy(into, all.data() + pos, n);
    in.Commit(n);
    pos += n;
    most_buffered = std::max(most_buffered, in.unparsed_size());
    // Capacity grows by at most what is buffered (plus a read chunk, and a consumed prefix of
    // less than a chunk not yet moved away).
    if (in.capacity() > 2 * most_buffered + 2 * dkv::server::InputBuffer::kReadChunk) {
      __builtin_trap();
    }
    for (int guard = 0; guard < 100000 && !in.empty(); ++guard) {
      std::string_view input = in.Unparsed();
      dkv::resp::ParseStatus st = parser.Parse(input);
      if (st == dkv::resp::ParseStatus::kNeedMore) break;
      if (st == dkv::resp::ParseStatus::kError) return 0;
      if (parser.consumed() == 0 || parser.consumed() > input.size()) __builtin_trap();
      for (std::string_view arg : parser.args()) {
        // Views must lie inside the buffer or the parser's own inline storage.
        volatile char sink = arg.empty() ? 0 : arg[arg.size() - 1];
        (void)sink;
      }
      in.Consume(parser.consumed());
    }
    if (in.empty()) in.ShrinkIfIdle();
  }
  return 0;
}
