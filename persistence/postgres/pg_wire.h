// Small pieces shared by the PostgreSQL backend's files: PostgreSQL's binary formats (big-endian
// integers, one-dimensional array parameters), text clean-up for the log, and sending a
// prepared statement whose parameters are arrays. Values only; nothing here keeps a
// connection. Internal to persistence/postgres/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

typedef struct pg_conn PGconn;

namespace dkv::persistence::postgres {

class Host;

// Element types of PostgreSQL's binary array format (pg_type OIDs).
constexpr uint32_t kTextOid = 25, kByteaOid = 17, kInt2Oid = 21, kInt8Oid = 20, kJsonbOid = 3802,
                   kTimestamptzOid = 1184;
// timestamptz's binary form: microseconds since 2000-01-01T00:00:00Z.
constexpr int64_t kPgEpochMs = 946684800000LL;
// Rows per array statement, and bytes of keys and values after which a statement is sent.
constexpr size_t kChunkRows = 10000;
constexpr size_t kChunkBytes = 8u << 20;
// libpq keeps a connection's buffers at the size of the largest transfer (doubled as they grow),
// and they count in used_memory: after a batch or a result of this size the connection is
// closed and opened again once idle, which frees them.
constexpr size_t kRecycleBytes = 8u << 20;
// After failures, retries wait 100 ms doubling up to this.
constexpr int64_t kMaxBackoffMs = 10000;

uint64_t ReadBigEndian(const char* p, int len);
void PutBigEndian(std::string* out, uint64_t v, int len);

// libpq's messages end in a newline and may span lines: one line for the log and INFO.
std::string Trim(std::string s);
// postgres.dsn as the log shows it: the options given, the password masked.
std::string DsnForLog(const std::string& dsn);
// The smallest byte string greater than every string starting with `prefix`; "" when there is
// none (the prefix is all 0xFF bytes).
std::string PrefixEnd(std::string_view prefix);
// jsonb holds no NUL character: one in a user field or content type becomes U+FFFD (documented
// with the other jsonb replacements), so that no row can fail every batch it is in.
std::string NoNul(std::string_view s);

// A one-dimensional array parameter in PostgreSQL's binary format: ndim, flags, element type,
// length, lower bound, then each element as a 4-byte length and its bytes (all big-endian).
class ArrayParam {
 public:
  explicit ArrayParam(uint32_t oid) : oid_(oid) {}
  void Add(std::string_view bytes);
  void AddInt16(int16_t v);
  void AddInt64(int64_t v);
  // A timestamp in unix milliseconds; 0 is NULL (no expiry).
  void AddTimestamp(int64_t unix_ms);
  void AddJsonb(std::string_view json);  // jsonb's binary input: version 1, then the text
  // The array's one element is `framed` after its first kSingleHeadroom bytes, which Take fills
  // with the array's header: a big value goes to libpq without being copied again here.
  // REQUIRES: the array is empty.
  static constexpr size_t kSingleHeadroom = 24;
  void AdoptSingle(std::string framed);
  size_t count() const { return count_; }
  size_t bytes() const { return elements_.size() + adopted_.size(); }
  // The whole parameter; the array is emptied for the next chunk.
  std::string Take();

 private:
  uint32_t oid_;
  std::string elements_;
  std::string adopted_;  // AdoptSingle's buffer, when not empty
  size_t count_ = 0;
  bool has_null_ = false;
};

// PostgreSQL's notices on `conn` go to the host's log at verbose level.
void SetNoticeLog(PGconn* conn, Host* host);

// Sends one prepared statement whose parameters are arrays (a batch's rows), emptying them.
// Returns false when it could not be queued.
bool SendArrays(PGconn* conn, const char* statement, ArrayParam** params, int n);

}  // namespace dkv::persistence::postgres
