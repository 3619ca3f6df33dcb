// Bitmap operations on string values: the work behind SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and
// BITFIELD, separate from argument parsing and replies. A string is a bit array in which bit 0 is
// the most significant bit of byte 0, as Redis numbers them; bits past the end read as 0.
//
// The pure functions at the top work on byte ranges (std::string_view) and own nothing. The
// Database operations below them are writes in the sense of engine/database.h: each signals the
// key to the observer and counts its writes in the dirty counter; a call that changes nothing
// does neither. They check sizes before they allocate: a value never grows past
// Database::kMaxValueSize, and callers bound offsets by proto-max-bulk-len first. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"
#include "engine/string_ops.h"

namespace dkv::engine {

// --- Pure algorithms over bytes ---

// Set bits in `bytes`.
uint64_t PopCount(std::string_view bytes);

// BITCOUNT's and BITPOS's range arithmetic over a value of `len` bytes: start and end are byte
// indexes (bit indexes when `bit_units`), inclusive, negative ones counting from the end; they
// are clamped to the value. Returns the inclusive bit range [*first_bit, *last_bit], or false when
// the range is empty.
bool ResolveBitRange(int64_t len, int64_t start, int64_t end, bool bit_units, int64_t* first_bit,
                     int64_t* last_bit);

// Set bits of `value` in the inclusive bit range [first_bit, last_bit].
// REQUIRES: 0 <= first_bit <= last_bit < 8 * value.size().
uint64_t CountBits(std::string_view value, int64_t first_bit, int64_t last_bit);

// The position of the first bit equal to `bit` in the inclusive bit range [first_bit, last_bit]
// of `value`, or -1 when the range has none. REQUIRES as CountBits.
int64_t FindBit(std::string_view value, bool bit, int64_t first_bit, int64_t last_bit);

// BITPOS key bit [start [end [BYTE | BIT]]] on a value that exists: `range` is absent without a
// start, and `end` absent without an end. Redis' answer, edge cases included: a clear bit past
// the end of the value counts when no end was given.
struct BitPosRange {
  int64_t start = 0;
  std::optional<int64_t> end;
  bool bit_units = false;
};
int64_t BitPos(std::string_view value, bool bit, const std::optional<BitPosRange>& range);

enum class BitOpKind { kAnd, kOr, kXor, kNot };
// BITOP's result: as long as the longest source, shorter sources padded with zero bytes. NOT
// takes exactly one source.
std::string CombineBits(BitOpKind op, std::span<const std::string_view> sources);

// BITFIELD integers: `bits` wide (1..64 signed, 1..63 unsigned), starting at bit `offset`, most
// significant bit first. Bits past the end of `value` read as 0.
uint64_t GetUnsignedField(std::string_view value, uint64_t offset, unsigned bits);
int64_t GetSignedField(std::string_view value, uint64_t offset, unsigned bits);
// Writes the low `bits` bits of `field` at bit `offset`. REQUIRES: offset + bits <= 8 * size.
void SetField(char* data, size_t size, uint64_t offset, unsigned bits, uint64_t field);

enum class Overflow { kWrap, kSat, kFail };
// value + incr in a field of `bits` bits. Returns whether the exact result is out of the field's
// range; *out is then the wrapped (kWrap) or saturated (kSat) result, and for kFail unspecified.
bool AddSigned(int64_t value, int64_t incr, unsigned bits, Overflow overflow, int64_t* out);
bool AddUnsigned(uint64_t value, int64_t incr, unsigned bits, Overflow overflow, uint64_t* out);

// --- Operations on a Database ---

// SETBIT: sets or clears bit `offset` of `key`, creating the key or growing its value with zero
// bytes as needed; *old is the bit's previous value. One write when the key was created or grown
// or the bit changed (Redis 7.2). kTooLarge when the value would pass Database::kMaxValueSize;
// kWrongType, changing nothing, when the key holds a container.
OpStatus SetBit(Database& db, std::string_view key, uint64_t offset, bool on, bool* old);

// One BITFIELD operation, parsed.
struct BitfieldOp {
  enum Kind { kGet, kSet, kIncrBy } kind = kGet;
  bool is_signed = false;
  unsigned bits = 0;
  uint64_t offset = 0;
  int64_t value = 0;  // SET's value, INCRBY's increment
  Overflow overflow = Overflow::kWrap;
};
// BITFIELD's GETs alone (BITFIELD_RO) on a value that exists or not (empty): one result each.
std::vector<std::optional<int64_t>> BitfieldRead(std::string_view value,
                                                 std::span<const BitfieldOp> ops);
// BITFIELD with at least one SET or INCRBY: creates the key or grows its value to hold the
// farthest bit written, then runs the operations in order. Each result is the value (SET: the
// old one, INCRBY: the new one, GET: the current one), or nullopt for an operation refused by
// OVERFLOW FAIL, which writes nothing. Counts one write per SET or INCRBY that changed the value
// (a grown or created value counts each), as Redis. kTooLarge and kWrongType as SetBit.
OpStatus BitfieldWrite(Database& db, std::string_view key, std::span<const BitfieldOp> ops,
                       std::vector<std::optional<int64_t>>* results);

// BITOP: stores the combination of `sources` (the values of the source keys, empty for missing
// ones) at `dest`, replacing its value and expiry, or deletes `dest` when the result is empty.
// Returns the result's length. One write when stored or when a key was deleted.
int64_t BitOpStore(Database& db, BitOpKind op, std::string_view dest,
                   std::span<const std::string_view> sources);

}  // namespace dkv::engine
