// HyperLogLog: the representation behind PFADD, PFCOUNT, PFMERGE and PFDEBUG, and the write
// operations on a Database that use it.
//
// A HyperLogLog is an ordinary string value in Redis' own layout, byte for byte, so DUMP/RESTORE,
// snapshots and dkv-migrate carry it unchanged:
//   - a 16-byte header: "HYLL", one encoding byte (0 dense, 1 sparse), three unused bytes, then the
//     cached cardinality as a 64-bit little-endian integer whose top bit (bit 7 of byte 15) marks
//     the cache invalid;
//   - 16384 registers of 6 bits. Dense: 12288 bytes, register i at bit i*6, least significant bit
//     first. Sparse: a run-length code of ZERO (00xxxxxx: 1..64 zero registers), XZERO (01xxxxxx
//     yyyyyyyy: 1..16384 zero registers) and VAL (1vvvvvxx: 1..4 registers of value 1..32).
// An element's hash is MurmurHash64A (seed 0xadc83b19): its low 14 bits pick the register, the
// register's candidate is 1 + the number of trailing zero bits of the remaining 50 (at most 51).
// The count is Ertl's improved estimator (tau/sigma corrections, no bias tables or linear
// counting), as Redis 5 and later use.
//
// Everything that reads a value validates lengths first: a damaged sparse or dense payload is
// reported as corrupt (kCorrupt / nullopt), never read or written out of bounds. The functions
// work on caller-owned strings; the Database operations at the end copy the value, change the
// copy, and write it back through the database's write operations (which tell the observers and
// count in dirty). Loop thread only for those; the rest is pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"

namespace dkv::engine::hll {

inline constexpr size_t kRegisters = 16384;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;
inline constexpr uint64_t kSeed = 0xadc83b19ULL;
inline constexpr int kMaxSparseValue = 32;

using Registers = std::array<uint8_t, kRegisters>;  // one byte per register ("raw")

uint64_t MurmurHash64A(std::string_view data, uint64_t seed);
// The register an element goes to and the value it offers it (1..51).
void HashElement(std::string_view element, uint32_t* index, uint8_t* count);

// Whether `value` passes Redis' header check: long enough, "HYLL", a known encoding and, when
// dense, exactly kDenseSize bytes. A value that fails is "not a valid HyperLogLog string value"
// (WRONGTYPE); a sparse payload is checked only when it is used.
bool LooksLikeHll(std::string_view value);
bool IsSparse(std::string_view value);  // REQUIRES: LooksLikeHll
// An empty HyperLogLog (sparse, one XZERO of 16384), cache marked invalid.
std::string NewSparse();

// The cached cardinality, when the cache is valid. REQUIRES: LooksLikeHll.
std::optional<uint64_t> CachedCount(std::string_view value);
void SetCachedCount(std::string* value, uint64_t count);
void InvalidateCache(std::string* value);

enum class Result { kUnchanged, kChanged, kCorrupt };

// Raises register `index` to `count` if it is lower. A sparse value that would grow past
// `sparse_max` bytes, or needs a value above 32, is converted to dense first.
// REQUIRES: LooksLikeHll(*value), index < kRegisters, 1 <= count <= 63.
Result Set(std::string* value, uint32_t index, uint8_t count, int64_t sparse_max);
// Adds one element (Set with its hash).
Result Add(std::string* value, std::string_view element, int64_t sparse_max);
// Converts a sparse value to dense, keeping the header's cache bytes. false when corrupt.
bool ToDense(std::string* value);
// Raises `regs` to the value's registers (union). false when the value is corrupt.
bool MergeInto(std::string_view value, Registers* regs);
// The estimate for a value, or nullopt when it is corrupt.
std::optional<uint64_t> Count(std::string_view value);
// The estimate for a set of raw registers.
uint64_t CountRegisters(const Registers& regs);
// PFDEBUG DECODE's text for a sparse value ("z:N", "Z:N", "v:V,N" separated by spaces), or
// nullopt when corrupt.
std::optional<std::string> DecodeSparse(std::string_view value);
// The registers of a dense value. REQUIRES: LooksLikeHll, dense.
Registers DenseRegisters(std::string_view value);
// PFSELFTEST: an empty string, or the failure.
std::string SelfTest();

// --- Database operations (loop thread only). Each reports kNotString when the key holds a
// container (a hash, a set: Redis' checkType, before its own check), kWrongType when it holds a
// string that is not a HyperLogLog and kCorrupt when its payload is damaged; then nothing
// changes. ---

enum class Status { kOk, kWrongType, kCorrupt, kNoKey, kNotString };

// PFADD: *changed is whether the value was created or any register rose. Dirty counts, as
// Redis, one per element that changed a register (plus one for the creation).
Status PfAdd(Database& db, std::string_view key, const std::vector<std::string_view>& elements,
             int64_t sparse_max, bool* changed);
// PFCOUNT of one key: the cached count, or a fresh one that is then cached (a write: the value
// changes, observers hear of it and dirty counts one, as Redis).
Status PfCountOne(Database& db, std::string_view key, uint64_t* count);
// PFCOUNT of several keys: the count of their union; nothing is written.
Status PfCountUnion(Database& db, const std::vector<std::string_view>& keys, uint64_t* count);
// PFMERGE: dest becomes the union of itself and the sources (created when missing); dense when
// any input is dense.
Status PfMerge(Database& db, std::string_view dest, const std::vector<std::string_view>& sources,
               int64_t sparse_max);
// PFDEBUG TODENSE / GETREG's conversion: converts a sparse value to dense (*converted).
Status PfToDense(Database& db, std::string_view key, bool* converted);

}  // namespace dkv::engine::hll
