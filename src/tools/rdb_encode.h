// The RDB encoders every RDB writer shares (DUMP, dkv-migrate, the stream encoding): lengths,
// strings (integers in Redis' integer encodings), little-endian fixed-width numbers, and the
// canonical-integer test Redis applies before storing a string as an integer. A leaf module:
// src/tools/rdb_file, rdb_writer and rdb_stream all include it. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::rdb {

// Whether `s` is the canonical decimal form of an int64 (no sign but '-', no leading zero, no
// "-0"): the strings Redis stores as integers, in listpacks and in the RDB integer encodings.
bool StrictInt64(std::string_view s, int64_t* v);
// `bytes` little-endian bytes of `v` appended to *out.
void PutLittleEndian(std::string* out, uint64_t v, int bytes);
// An RDB length (6, 14, 32 or 64 bits, Redis' encoding) appended to *out.
void PutRdbLength(std::string* out, uint64_t len);
// An RDB string: an integer encoding when `s` is a canonical integer that fits 32 bits, else
// its length and bytes.
void PutRdbString(std::string* out, std::string_view s);

}  // namespace dkv::rdb
