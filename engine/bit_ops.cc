#include "engine/bit_ops.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>

namespace dkv::engine {
namespace {

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Bit `pos` of the value (0 past its end).
int BitAt(std::string_view value, uint64_t pos) {
  uint64_t byte = pos >> 3;
  if (byte >= value.size()) return 0;
  return (Bytes(value)[byte] >> (7 - (pos & 7))) & 1;
}

uint64_t FieldMask(unsigned bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// Grows the value of `key` (created when missing) to `size` bytes at least. *grown says whether
// the key was created or its value grew.
Entry* ValueForBitWrite(Database& db, std::string_view key, size_t size, bool* grown) {
  Entry* e = db.Find(key);
  *grown = false;
  if (e == nullptr) {
    e = db.Insert(key, std::string_view());
    *grown = true;
  }
  if (e->value().size() < size) {
    e = db.ResizeValue(e, size);
    *grown = true;
  }
  e->set_raw_encoding(true);
  return e;
}

}  // namespace

uint64_t PopCount(std::string_view bytes) {
  const unsigned char* p = Bytes(bytes);
  size_t n = bytes.size(), i = 0;
  uint64_t count = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    count += static_cast<uint64_t>(std::popcount(w));
  }
  for (; i < n; ++i) count += static_cast<uint64_t>(std::popcount(static_cast<unsigned>(p[i])));
  return count;
}

bool ResolveBitRange(int64_t len, int64_t start, int64_t end, bool bit_units, int64_t* first_bit,
                     int64_t* last_bit) {
  const int64_t total = bit_units ? len * 8 : len;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return false;
  *first_bit = bit_units ? start : start * 8;
  *last_bit = bit_units ? end : end * 8 + 7;
  return true;
}

uint64_t CountBits(std::string_view value, int64_t first_bit, int64_t last_bit) {
  uint64_t count = 0;
  int64_t pos = first_bit;
  for (; pos <= last_bit && (pos & 7) != 0; ++pos)
    count += static_cast<uint64_t>(BitAt(value, pos));
  int64_t whole = (last_bit + 1 - pos) / 8;
  if (whole > 0) {
    count += PopCount(value.substr(static_cast<size_t>(pos >> 3), static_cast<size_t>(whole)));
    pos += whole * 8;
  }
  for (; pos <= last_bit; ++pos) count += static_cast<uint64_t>(BitAt(value, pos));
  return count;
}

int64_t FindBit(std::string_view value, bool bit, int64_t first_bit, int64_t last_bit) {
  const int want = bit ? 1 : 0;
  const unsigned char* p = Bytes(value);
  int64_t pos = first_bit;
  for (; pos <= last_bit && (pos & 7) != 0; ++pos) {
    if (BitAt(value, pos) == want) return pos;
  }
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
  const unsigned char skip_byte = bit ? 0x00 : 0xFF;
  while (pos + 7 <= last_bit) {
    if (pos + 63 <= last_bit) {
      uint64_t w;
      std::memcpy(&w, p + (pos >> 3), 8);
      if (w == skip_word) {
        pos += 64;
        continue;
      }
    }
    if (p[pos >> 3] != skip_byte) break;  // the bit is in this byte
    pos += 8;
  }
  for (; pos <= last_bit; ++pos) {
    if (BitAt(value, pos) == want) return pos;
  }
  return -1;
}

int64_t BitPos(std::string_view value, bool bit, const std::optional<BitPosRange>& range) {
  const int64_t len = static_cast<int64_t>(value.size());
  int64_t first = 0, last = 0;
  bool end_given = false;
  if (!range) {
    if (len == 0) return -1;
    first = 0;
    last = len * 8 - 1;
  } else {
    end_given = range->end.has_value();
    int64_t end = end_given ? *range->end : (range->bit_units ? len * 8 - 1 : len - 1);
    if (!ResolveBitRange(len, range->start, end, range->bit_units, &first, &last)) return -1;
  }
  int64_t pos = FindBit(value, bit, first, last);
  if (pos >= 0 || bit) return pos;
  // No clear bit in the range: without an explicit end the value continues with zero bits, so
  // the first one is just past the end of the range (which is then the end of the value).
  if (end_given) return -1;
  return last + 1;
}

std::string CombineBits(BitOpKind op, std::span<const std::string_view> sources) {
  size_t maxlen = 0;
  for (std::string_view s : sources) maxlen = std::max(maxlen, s.size());
  std::string out(maxlen, '\0');
  if (maxlen == 0 || sources.empty()) return out;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (op == BitOpKind::kNot) {
    const unsigned char* s = Bytes(sources[0]);
    for (size_t i = 0; i < maxlen; ++i) o[i] = static_cast<unsigned char>(~s[i]);
    return out;
  }
  // Start from the first source (zero padded), then fold in the others.
  if (!sources[0].empty()) std::memcpy(o, sources[0].data(), sources[0].size());
  for (size_t k = 1; k < sources.size(); ++k) {
    const unsigned char* s = Bytes(sources[k]);
    const size_t n = sources[k].size();
    switch (op) {
      case BitOpKind::kAnd:
        for (size_t i = 0; i < n; ++i) o[i] &= s[i];
        std::memset(o + n, 0, maxlen - n);  // past its end a source is zero bytes
        break;
      case BitOpKind::kOr:
        for (size_t i = 0; i < n; ++i) o[i] |= s[i];
        break;
      case BitOpKind::kXor:
        for (size_t i = 0; i < n; ++i) o[i] ^= s[i];
        break;
      case BitOpKind::kNot:
        break;
    }
  }
  return out;
}

uint64_t GetUnsignedField(std::string_view value, uint64_t offset, unsigned bits) {
  uint64_t field = 0;
  for (unsigned i = 0; i < bits; ++i) {
    field = (field << 1) | static_cast<uint64_t>(BitAt(value, offset + i));
  }
  return field;
}

int64_t GetSignedField(std::string_view value, uint64_t offset, unsigned bits) {
  uint64_t field = GetUnsignedField(value, offset, bits);
  // Sign-extend from the field's top bit.
  if (bits < 64 && (field >> (bits - 1)) & 1) field |= ~FieldMask(bits);
  return static_cast<int64_t>(field);
}

void SetField(char* data, size_t size, uint64_t offset, unsigned bits, uint64_t field) {
  (void)size;
  auto* p = reinterpret_cast<unsigned char*>(data);
  for (unsigned i = 0; i < bits; ++i) {
    uint64_t pos = offset + i;
    unsigned shift = 7 - static_cast<unsigned>(pos & 7);
    unsigned bit = static_cast<unsigned>((field >> (bits - 1 - i)) & 1);
    p[pos >> 3] = static_cast<unsigned char>((p[pos >> 3] & ~(1u << shift)) | (bit << shift));
  }
}

bool AddSigned(int64_t value, int64_t incr, unsigned bits, Overflow overflow, int64_t* out) {
  const __int128 max = bits >= 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const __int128 min = -max - 1;
  const __int128 sum = static_cast<__int128>(value) + incr;
  if (sum >= min && sum <= max) {
    *out = static_cast<int64_t>(sum);
    return false;
  }
  if (overflow == Overflow::kSat) {
    *out = static_cast<int64_t>(sum > max ? max : min);
  } else {
    // Two's complement: keep the low `bits` bits and extend the field's sign bit.
    uint64_t low = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      low &= FieldMask(bits);
      if ((low >> (bits - 1)) & 1) low |= ~FieldMask(bits);
    }
    *out = static_cast<int64_t>(low);
  }
  return true;
}

bool AddUnsigned(uint64_t value, int64_t incr, unsigned bits, Overflow overflow, uint64_t* out) {
  const __int128 max = static_cast<__int128>(FieldMask(bits));
  const __int128 sum = static_cast<__int128>(value) + incr;
  if (sum >= 0 && sum <= max) {
    *out = static_cast<uint64_t>(sum);
    return false;
  }
  if (overflow == Overflow::kSat) {
    *out = sum > max ? FieldMask(bits) : 0;
  } else {
    *out = (value + static_cast<uint64_t>(incr)) & FieldMask(bits);
  }
  return true;
}

OpStatus SetBit(Database& db, std::string_view key, uint64_t offset, bool on, bool* old) {
  const uint64_t byte = offset >> 3;
  if (byte >= Database::kMaxValueSize) return OpStatus::kTooLarge;
  if (Entry* found = db.Find(key); found != nullptr && found->container()) {
    return OpStatus::kWrongType;
  }
  bool grown = false;
  Entry* e = ValueForBitWrite(db, key, static_cast<size_t>(byte) + 1, &grown);
  auto* p = reinterpret_cast<unsigned char*>(e->mutable_value());
  const unsigned shift = 7 - static_cast<unsigned>(offset & 7);
  *old = (p[byte] >> shift) & 1;
  if (!grown && *old == on) return OpStatus::kOk;
  p[byte] = static_cast<unsigned char>((p[byte] & ~(1u << shift)) | (unsigned{on} << shift));
  db.NoteValueChanged(e);
  e->set_type(ValueType::kString);
  db.NoteWrite(key);
  return OpStatus::kOk;
}

std::vector<std::optional<int64_t>> BitfieldRead(std::string_view value,
                                                 std::span<const BitfieldOp> ops) {
  std::vector<std::optional<int64_t>> results;
  results.reserve(ops.size());
  for (const BitfieldOp& op : ops) {
    results.emplace_back(op.is_signed
                             ? GetSignedField(value, op.offset, op.bits)
                             : static_cast<int64_t>(GetUnsignedField(value, op.offset, op.bits)));
  }
  return results;
}

OpStatus BitfieldWrite(Database& db, std::string_view key, std::span<const BitfieldOp> ops,
                       std::vector<std::optional<int64_t>>* results) {
  uint64_t highest = 0;
  for (const BitfieldOp& op : ops) {
    if (op.kind != BitfieldOp::kGet) highest = std::max(highest, op.offset + op.bits - 1);
  }
  if ((highest >> 3) >= Database::kMaxValueSize) return OpStatus::kTooLarge;
  if (Entry* found = db.Find(key); found != nullptr && found->container()) {
    return OpStatus::kWrongType;
  }
  bool grown = false;
  Entry* e = ValueForBitWrite(db, key, static_cast<size_t>(highest >> 3) + 1, &grown);
  char* data = e->mutable_value();
  const size_t size = e->value().size();
  const std::string_view value(data, size);
  uint64_t changes = 0;
  results->clear();
  results->reserve(ops.size());
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::kGet) {
      results->emplace_back(BitfieldRead(value, std::span(&op, 1))[0]);
      continue;
    }
    uint64_t old_field = GetUnsignedField(value, op.offset, op.bits);
    uint64_t new_field;
    int64_t reply;
    bool overflowed;
    if (op.is_signed) {
      int64_t old_value = GetSignedField(value, op.offset, op.bits), new_value;
      if (op.kind == BitfieldOp::kIncrBy) {
        overflowed = AddSigned(old_value, op.value, op.bits, op.overflow, &new_value);
        reply = new_value;
      } else {
        overflowed = AddSigned(op.value, 0, op.bits, op.overflow, &new_value);
        reply = old_value;
      }
      new_field = static_cast<uint64_t>(new_value) & FieldMask(op.bits);
    } else {
      uint64_t new_value;
      if (op.kind == BitfieldOp::kIncrBy) {
        overflowed = AddUnsigned(old_field, op.value, op.bits, op.overflow, &new_value);
        reply = static_cast<int64_t>(new_value);
      } else {
        overflowed =
            AddUnsigned(static_cast<uint64_t>(op.value), 0, op.bits, op.overflow, &new_value);
        reply = static_cast<int64_t>(old_field);
      }
      new_field = new_value;
    }
    if (overflowed && op.overflow == Overflow::kFail) {
      results->emplace_back(std::nullopt);
      continue;
    }
    results->emplace_back(reply);
    SetField(data, size, op.offset, op.bits, new_field);
    if (grown || new_field != old_field) ++changes;
  }
  if (changes > 0) {
    db.NoteValueChanged(e);
    e->set_type(ValueType::kString);
    db.NoteWrite(key, ChangeKind::kWrite, changes);
  } else if (grown) {
    // Created or grown but every write refused by OVERFLOW FAIL: Redis keeps the zero bytes and
    // counts nothing; the observers (persistence) still hear of the new value.
    db.NoteValueChanged(e);
    e->set_type(ValueType::kString);
    db.Touch(key);
  }
  return OpStatus::kOk;
}

int64_t BitOpStore(Database& db, BitOpKind op, std::string_view dest,
                   std::span<const std::string_view> sources) {
  std::string result = CombineBits(op, sources);
  if (result.empty()) {
    db.Delete(dest);
    return 0;
  }
  if (Entry* e = db.Store(dest, result); e != nullptr) e->set_raw_encoding(true);
  return static_cast<int64_t>(result.size());
}

}  // namespace dkv::engine
