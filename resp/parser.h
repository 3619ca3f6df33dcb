// RequestParser: incremental, resumable parser for client requests in RESP2 multibulk form
// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and the inline form (`GET k\r\n`), with Redis' limits and
// protocol error texts.
//
// The parser owns no input buffer. The caller keeps the unconsumed bytes of its read buffer
// contiguous and passes them again, extended, after each kNeedMore; the parser remembers how far it
// got, so a request that arrives in many pieces is scanned once, not once per piece. Arguments of a
// multibulk request are views into the caller's buffer; arguments of an inline request (which may
// need unescaping) live in the parser. Either way they stay valid until the next Parse() call or
// until the caller changes the buffer. Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::resp {

struct ParserLimits {
  // Largest bulk string a client may send (Redis' proto-max-bulk-len, 512 MB).
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // Longest inline request line, and longest `*N`/`$N` header line (Redis' PROTO_INLINE_MAX_SIZE).
  size_t max_inline_len = 64 * 1024;
  // Before authentication Redis accepts at most 10 arguments of at most 16 KiB each.
  bool authenticated = true;
};

enum class ParseStatus {
  kOk,        // one request parsed: args() and consumed() are valid
  kNeedMore,  // the input holds no complete request yet; nothing is consumed
  kError,     // protocol error: error() holds Redis' text; the connection must be closed
};

class RequestParser {
 public:
  explicit RequestParser(const ParserLimits& limits = {}) : limits_(limits) {}
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses the next request from `input`, which must start at the first unconsumed byte.
  // kOk: args() holds the arguments (possibly none, for an empty line or `*0`, which the caller
  // skips) and consumed() the bytes the request took; the next call starts after them.
  ParseStatus Parse(std::string_view input);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  // The text after "-ERR " of the reply for the protocol error, e.g. "Protocol error: invalid
  // bulk length".
  const std::string& error() const { return error_; }
  // While waiting for a bulk string: the total size the input must reach to hold it, so the
  // caller can grow its buffer once. Otherwise 0.
  size_t ExpectedInputSize() const;

  void set_authenticated(bool authenticated) { limits_.authenticated = authenticated; }
  void set_max_bulk_len(int64_t len) { limits_.max_bulk_len = len; }
  // Forgets a partial request (after an error, or when the connection is reset).
  void Reset();

 private:
  enum class State { kStart, kInline, kArrayLen, kBulkLen, kBulkData };

  ParseStatus ParseInline(std::string_view input);
  ParseStatus ParseMultibulk(std::string_view input);
  ParseStatus Fail(std::string message);
  ParseStatus Done(size_t consumed);

  ParserLimits limits_;
  State state_ = State::kStart;
  size_t pos_ = 0;        // next byte to look at, relative to the request's first byte
  int64_t argc_ = 0;      // multibulk: number of arguments announced
  int64_t bulk_len_ = 0;  // length of the bulk string being read
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of parsed bulk arguments
  std::vector<std::string> inline_args_;
  std::vector<std::string_view> args_;
  size_t consumed_ = 0;
  std::string error_;
};

// Splits an inline request line into arguments as Redis does (double quotes with \n \r \t \b \a
// \\ \" and \xHH escapes, single quotes with \'). Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace dkv::resp
