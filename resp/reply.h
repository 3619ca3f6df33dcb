// ReplyBuilder: typed writer of RESP2 and RESP3 replies into a caller-owned output buffer.
//
// Handlers never write protocol bytes themselves: they call Bulk(), Integer(), ArrayHeader(), ...
// and the builder encodes for the connection's protocol version (RESP2 by default, RESP3 after
// HELLO 3): a null is `$-1` or `_`, a map is a flat array or `%`, a double a bulk string or `,`.
// Error texts are passed without the leading '-'; CR and LF in them become spaces, as in Redis.
// Not thread-safe; the buffer belongs to one connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::resp {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }
  void set_protocol(int protocol) { protocol_ = protocol; }
  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

  void Ok() { out_->append("+OK\r\n", 5); }
  void Simple(std::string_view s);
  // `message` is the whole error text, code first: "ERR syntax error", "WRONGTYPE ...".
  void Error(std::string_view message);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();            // missing value: `$-1` (RESP2) or `_` (RESP3)
  void NullArray();       // aborted EXEC and the like: `*-1` (RESP2) or `_` (RESP3)
  void Double(double d);  // a bulk string (RESP2) or `,` (RESP3), formatted as Redis does
  void Bool(bool b);      // `:1`/`:0` (RESP2) or `#t`/`#f` (RESP3)
  // Free text such as INFO and CLIENT LIST: a bulk string (RESP2) or `=` verbatim "txt" (RESP3).
  void Verbatim(std::string_view text);
  void ArrayHeader(size_t n);
  void MapHeader(size_t pairs);  // RESP2: an array of 2*pairs elements
  void SetHeader(size_t n);      // RESP2: an array
  // Out-of-band data (Pub/Sub messages, tracking invalidations): `>` in RESP3, an array in RESP2.
  void PushHeader(size_t n) { Header(protocol_ >= 3 ? '>' : '*', static_cast<int64_t>(n)); }
  void EmptyArray() { ArrayHeader(0); }

  // Deferred length (KEYS and other replies whose length is known only at the end): returns a
  // handle; the elements follow; FinishDeferredArray() writes the header in front of them.
  size_t BeginDeferred() { return out_->size(); }
  void FinishDeferredArray(size_t handle, size_t n) { InsertHeader(handle, '*', n); }
  void FinishDeferredMap(size_t handle, size_t pairs);

  // Appends bytes that are already a complete RESP reply (a reply recorded earlier).
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char type, int64_t n);
  void InsertHeader(size_t at, char type, size_t n);

  std::string* out_;
  int protocol_;
};

// Formats a double as Redis does for INCRBYFLOAT and RESP3 doubles ("%.17Lg"-style shortest form
// that round-trips, "inf", "-inf").
std::string FormatDouble(double d);

}  // namespace dkv::resp
