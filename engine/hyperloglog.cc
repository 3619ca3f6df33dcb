#include "engine/hyperloglog.h"

#include <cmath>
#include <cstring>

namespace dkv::engine::hll {
namespace {

constexpr uint8_t kEncDense = 0;
constexpr uint8_t kEncSparse = 1;
constexpr int kIndexBits = 14;
constexpr int kQ = 64 - kIndexBits;  // hash bits left for the run of zeros
constexpr int kMaxZero = 64;         // ZERO opcode run
constexpr int kMaxXZero = 16384;     // XZERO opcode run
constexpr int kMaxValRun = 4;        // VAL opcode run

uint8_t Byte(std::string_view v, size_t i) { return static_cast<uint8_t>(v[i]); }

// --- sparse opcodes ---
bool IsZeroOp(uint8_t op) { return (op & 0xC0) == 0x00; }
bool IsXZeroOp(uint8_t op) { return (op & 0xC0) == 0x40; }
int ValOf(uint8_t op) { return ((op >> 2) & 0x1F) + 1; }
int ValRun(uint8_t op) { return (op & 0x03) + 1; }
char ZeroOp(int run) { return static_cast<char>(run - 1); }
char ValOp(int val, int run) { return static_cast<char>(0x80 | ((val - 1) << 2) | (run - 1)); }
void AppendZeros(std::string* seq, int run) {
  if (run > kMaxZero) {
    seq->push_back(static_cast<char>(0x40 | ((run - 1) >> 8)));
    seq->push_back(static_cast<char>((run - 1) & 0xFF));
  } else {
    seq->push_back(ZeroOp(run));
  }
}

// One opcode at `pos`: how many registers it covers and how many bytes it takes; false when an
// XZERO is cut short by the end of the value.
bool ReadOp(std::string_view v, size_t pos, int* run, size_t* len) {
  uint8_t op = Byte(v, pos);
  if (IsZeroOp(op)) {
    *run = (op & 0x3F) + 1;
    *len = 1;
  } else if (IsXZeroOp(op)) {
    if (pos + 1 >= v.size()) return false;
    *run = (((op & 0x3F) << 8) | Byte(v, pos + 1)) + 1;
    *len = 2;
  } else {
    *run = ValRun(op);
    *len = 1;
  }
  return true;
}

// --- dense registers ---
int GetDense(const uint8_t* regs, uint32_t i) {
  size_t bit = static_cast<size_t>(i) * 6, byte = bit / 8, shift = bit % 8;
  unsigned v = regs[byte] >> shift;
  if (shift > 2) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - shift);
  return static_cast<int>(v & 0x3F);
}
void SetDense(uint8_t* regs, uint32_t i, int val) {
  size_t bit = static_cast<size_t>(i) * 6, byte = bit / 8, shift = bit % 8;
  unsigned v = static_cast<unsigned>(val) & 0x3F;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(0x3Fu << shift)) | (v << shift));
  if (shift > 2) {
    unsigned hi = 8 - shift;  // bits that went into the first byte
    regs[byte + 1] = static_cast<uint8_t>((regs[byte + 1] & ~(0x3Fu >> hi)) | (v >> hi));
  }
}
uint8_t* DenseRegs(std::string* v) { return reinterpret_cast<uint8_t*>(v->data()) + kHeaderSize; }
const uint8_t* DenseRegs(std::string_view v) {
  return reinterpret_cast<const uint8_t*>(v.data()) + kHeaderSize;
}

// Adds a sparse value's registers to the histogram; false when the opcodes do not cover exactly
// kRegisters registers.
bool SparseHistogram(std::string_view v, std::array<int, 64>* hist) {
  size_t idx = 0, pos = kHeaderSize;
  while (pos < v.size()) {
    int run;
    size_t len;
    if (!ReadOp(v, pos, &run, &len)) return false;
    uint8_t op = Byte(v, pos);
    (*hist)[IsZeroOp(op) || IsXZeroOp(op) ? 0 : ValOf(op)] += run;
    idx += static_cast<size_t>(run);
    if (idx > kRegisters) return false;
    pos += len;
  }
  return idx == kRegisters;
}

// Redis 5+/Ertl: sigma and tau corrections of the register histogram.
double Sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}
double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= std::pow(1.0 - x, 2) * y;
  } while (prev != z);
  return z / 3;
}
uint64_t Estimate(const std::array<int, 64>& hist) {
  const double m = kRegisters;
  double z = m * Tau((m - hist[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += hist[j];
    z *= 0.5;
  }
  z += m * Sigma(hist[0] / m);
  const double alpha_inf = 0.5 / std::log(2.0);
  return static_cast<uint64_t>(std::llround(alpha_inf * m * m / z));
}

Result DenseSetMax(std::string* v, uint32_t index, uint8_t count) {
  uint8_t* regs = DenseRegs(v);
  if (GetDense(regs, index) >= count) return Result::kUnchanged;
  SetDense(regs, index, count);
  return Result::kChanged;
}

// Merges runs of equal VAL opcodes (up to 4 registers) among the five opcodes from `from` on,
// as Redis does after each sparse update, so that equal inputs give equal bytes.
void MergeAdjacentVals(std::string* v, size_t from) {
  size_t pos = from;
  for (int scan = 5; pos < v->size() && scan > 0; --scan) {
    uint8_t op = Byte(*v, pos);
    if (IsXZeroOp(op)) {
      pos += 2;
      continue;
    }
    if (IsZeroOp(op)) {
      ++pos;
      continue;
    }
    if (pos + 1 < v->size()) {
      uint8_t next = Byte(*v, pos + 1);
      if (!IsZeroOp(next) && !IsXZeroOp(next) && ValOf(op) == ValOf(next)) {
        int run = ValRun(op) + ValRun(next);
        if (run <= kMaxValRun) {
          (*v)[pos] = ValOp(ValOf(op), run);
          v->erase(pos + 1, 1);
          continue;  // try again with the next one
        }
      }
    }
    ++pos;
  }
}

Result SparseSet(std::string* v, uint32_t index, uint8_t count, int64_t sparse_max) {
  auto promote = [&]() {
    if (!ToDense(v)) return Result::kCorrupt;
    DenseSetMax(v, index, count);
    return Result::kChanged;
  };
  if (count > kMaxSparseValue) return promote();
  // Find the opcode that covers `index`.
  size_t pos = kHeaderSize, prev = std::string::npos;
  uint32_t first = 0;
  int run = 0;
  size_t len = 0;
  bool found = false;
  while (pos < v->size()) {
    if (!ReadOp(*v, pos, &run, &len)) return Result::kCorrupt;
    if (index <= first + static_cast<uint32_t>(run) - 1) {
      found = true;
      break;
    }
    prev = pos;
    pos += len;
    first += static_cast<uint32_t>(run);
  }
  if (!found) return Result::kCorrupt;
  const uint8_t op = Byte(*v, pos);
  const bool is_val = !IsZeroOp(op) && !IsXZeroOp(op);
  if (is_val && ValOf(op) >= count) return Result::kUnchanged;
  if (run == 1 && !IsXZeroOp(op)) {
    // A single ZERO or VAL register: the opcode becomes the new VAL in place.
    (*v)[pos] = ValOp(count, 1);
  } else {
    // Split the run around `index`: what comes before, the new VAL, what comes after.
    const uint32_t last = first + static_cast<uint32_t>(run) - 1;
    std::string seq;
    if (is_val) {
      const int old = ValOf(op);
      if (index != first) seq.push_back(ValOp(old, static_cast<int>(index - first)));
      seq.push_back(ValOp(count, 1));
      if (index != last) seq.push_back(ValOp(old, static_cast<int>(last - index)));
    } else {
      if (index != first) AppendZeros(&seq, static_cast<int>(index - first));
      seq.push_back(ValOp(count, 1));
      if (index != last) AppendZeros(&seq, static_cast<int>(last - index));
    }
    const int64_t delta = static_cast<int64_t>(seq.size()) - static_cast<int64_t>(len);
    if (delta > 0 && static_cast<int64_t>(v->size()) + delta > sparse_max) return promote();
    v->replace(pos, len, seq);
  }
  MergeAdjacentVals(v, prev == std::string::npos ? kHeaderSize : prev);
  return Result::kChanged;
}

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const size_t n = data.size();
  uint64_t h = seed ^ (n * m);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t k = 0;
    for (int b = 7; b >= 0; --b) k = (k << 8) | p[i + b];  // little-endian
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t rest = n - i;
  if (rest > 0) {
    for (size_t b = rest; b-- > 0;) h ^= static_cast<uint64_t>(p[i + b]) << (8 * b);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

void HashElement(std::string_view element, uint32_t* index, uint8_t* count) {
  uint64_t h = MurmurHash64A(element, kSeed);
  *index = static_cast<uint32_t>(h & (kRegisters - 1));
  h >>= kIndexBits;
  h |= 1ULL << kQ;  // the run of zeros ends by bit kQ at the latest
  uint8_t c = 1;
  while ((h & 1) == 0) {
    ++c;
    h >>= 1;
  }
  *count = c;
}

bool LooksLikeHll(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return false;
  uint8_t enc = Byte(value, 4);
  if (enc > kEncSparse) return false;
  return enc != kEncDense || value.size() == kDenseSize;
}

bool IsSparse(std::string_view value) { return Byte(value, 4) == kEncSparse; }

std::string NewSparse() {
  std::string v(kHeaderSize, '\0');
  std::memcpy(v.data(), "HYLL", 4);
  v[4] = static_cast<char>(kEncSparse);
  AppendZeros(&v, kMaxXZero);
  InvalidateCache(&v);
  return v;
}

std::optional<uint64_t> CachedCount(std::string_view value) {
  if (Byte(value, 15) & 0x80) return std::nullopt;
  uint64_t c = 0;
  for (int i = 15; i >= 8; --i) c = (c << 8) | Byte(value, static_cast<size_t>(i));
  return c;
}

void SetCachedCount(std::string* value, uint64_t count) {
  for (size_t i = 8; i < 16; ++i) {
    (*value)[i] = static_cast<char>(count & 0xFF);
    count >>= 8;
  }
}

void InvalidateCache(std::string* value) {
  (*value)[15] = static_cast<char>(Byte(*value, 15) | 0x80);
}

Result Set(std::string* value, uint32_t index, uint8_t count, int64_t sparse_max) {
  if (IsSparse(*value)) return SparseSet(value, index, count, sparse_max);
  return DenseSetMax(value, index, count);
}

Result Add(std::string* value, std::string_view element, int64_t sparse_max) {
  uint32_t index;
  uint8_t count;
  HashElement(element, &index, &count);
  return Set(value, index, count, sparse_max);
}

bool ToDense(std::string* value) {
  if (!IsSparse(*value)) return true;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), value->data(), kHeaderSize);  // magic and cached count
  dense[4] = static_cast<char>(kEncDense);
  uint8_t* regs = DenseRegs(&dense);
  size_t idx = 0, pos = kHeaderSize;
  const std::string_view v = *value;
  while (pos < v.size()) {
    int run;
    size_t len;
    if (!ReadOp(v, pos, &run, &len)) return false;
    uint8_t op = Byte(v, pos);
    if (idx + static_cast<size_t>(run) > kRegisters) return false;
    if (!IsZeroOp(op) && !IsXZeroOp(op)) {
      for (int k = 0; k < run; ++k) SetDense(regs, static_cast<uint32_t>(idx + k), ValOf(op));
    }
    idx += static_cast<size_t>(run);
    pos += len;
  }
  if (idx != kRegisters) return false;
  *value = std::move(dense);
  return true;
}

bool MergeInto(std::string_view value, Registers* regs) {
  if (!IsSparse(value)) {
    const uint8_t* d = DenseRegs(value);
    for (uint32_t i = 0; i < kRegisters; ++i) {
      uint8_t r = static_cast<uint8_t>(GetDense(d, i));
      if (r > (*regs)[i]) (*regs)[i] = r;
    }
    return true;
  }
  size_t idx = 0, pos = kHeaderSize;
  while (pos < value.size()) {
    int run;
    size_t len;
    if (!ReadOp(value, pos, &run, &len)) return false;
    uint8_t op = Byte(value, pos);
    if (idx + static_cast<size_t>(run) > kRegisters) return false;
    if (!IsZeroOp(op) && !IsXZeroOp(op)) {
      uint8_t val = static_cast<uint8_t>(ValOf(op));
      for (int k = 0; k < run; ++k) {
        if (val > (*regs)[idx + k]) (*regs)[idx + k] = val;
      }
    }
    idx += static_cast<size_t>(run);
    pos += len;
  }
  return idx == kRegisters;
}

std::optional<uint64_t> Count(std::string_view value) {
  std::array<int, 64> hist{};
  if (IsSparse(value)) {
    if (!SparseHistogram(value, &hist)) return std::nullopt;
  } else {
    const uint8_t* d = DenseRegs(value);
    for (uint32_t i = 0; i < kRegisters; ++i) ++hist[GetDense(d, i)];
  }
  return Estimate(hist);
}

uint64_t CountRegisters(const Registers& regs) {
  std::array<int, 64> hist{};
  for (uint8_t r : regs) ++hist[r & 63];
  return Estimate(hist);
}

std::optional<std::string> DecodeSparse(std::string_view value) {
  std::string out;
  size_t pos = kHeaderSize;
  while (pos < value.size()) {
    int run;
    size_t len;
    if (!ReadOp(value, pos, &run, &len)) return std::nullopt;
    uint8_t op = Byte(value, pos);
    if (!out.empty()) out.push_back(' ');
    if (IsZeroOp(op)) {
      out += "z:" + std::to_string(run);
    } else if (IsXZeroOp(op)) {
      out += "Z:" + std::to_string(run);
    } else {
      out += "v:" + std::to_string(ValOf(op)) + "," + std::to_string(run);
    }
    pos += len;
  }
  return out;
}

Registers DenseRegisters(std::string_view value) {
  Registers regs{};
  const uint8_t* d = DenseRegs(value);
  for (uint32_t i = 0; i < kRegisters; ++i) regs[i] = static_cast<uint8_t>(GetDense(d, i));
  return regs;
}

std::string SelfTest() {
  // 1. Dense register packing: every register keeps what was written, neighbours untouched.
  std::string dense = NewSparse();
  if (!ToDense(&dense)) return "TESTFAILED could not build a dense HyperLogLog";
  std::vector<uint8_t> expect(kRegisters);
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  for (int pass = 0; pass < 50; ++pass) {
    for (uint32_t i = 0; i < kRegisters; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      expect[i] = static_cast<uint8_t>((seed >> 33) & 63);
      SetDense(DenseRegs(&dense), i, expect[i]);
    }
    for (uint32_t i = 0; i < kRegisters; ++i) {
      if (GetDense(DenseRegs(&dense), i) != expect[i]) {
        return "TESTFAILED Register error at " + std::to_string(i);
      }
    }
  }
  // 2. The estimate stays within six standard errors of the true count, and a sparse value
  // counts exactly as the dense value with the same registers (checked up to 10,000 elements).
  std::string d = NewSparse(), sp = NewSparse();
  if (!ToDense(&d)) return "TESTFAILED could not build a dense HyperLogLog";
  const double relerr = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  uint64_t checkpoint = 1;
  for (uint64_t j = 1; j <= 1000000; ++j) {
    std::string el = "selftest:" + std::to_string(j);
    Add(&d, el, 0);
    if (j <= 10000 && IsSparse(sp)) Add(&sp, el, INT64_MAX);
    if (j != checkpoint) continue;
    checkpoint *= 10;
    uint64_t est = *Count(d);
    double err = std::fabs(static_cast<double>(est) - static_cast<double>(j));
    double max_err = std::ceil(relerr * 6 * static_cast<double>(j));
    if (j < 10) max_err = 1;
    if (err > max_err) {
      return "TESTFAILED Too big error. card:" + std::to_string(j) +
             " abserr:" + std::to_string(err);
    }
    if (j <= 10000 && IsSparse(sp)) {
      auto sc = Count(sp);
      if (!sc || *sc != est)
        return "TESTFAILED sparse and dense counts differ at " + std::to_string(j);
    }
  }
  return "";
}

// --- Database operations ---

namespace {

// The HyperLogLog at `key`: nullptr with kOk when missing, kNotString for a container,
// kWrongType for a string that is not one.
Status Lookup(Database& db, std::string_view key, Entry** entry) {
  *entry = db.Find(key);
  if (*entry != nullptr && (*entry)->container()) return Status::kNotString;
  if (*entry != nullptr && !LooksLikeHll((*entry)->value())) return Status::kWrongType;
  return Status::kOk;
}

// Writes `value` over the entry (kept TTL and metadata) as a raw string.
void WriteBack(Database& db, Entry* entry, std::string_view key, const std::string& value,
               uint64_t dirty) {
  if (entry == nullptr) {
    entry = db.Insert(key, value);
  } else {
    entry = db.SetValue(entry, value);
    entry->set_type(ValueType::kString);
  }
  entry->set_raw_encoding(true);
  db.NoteWrite(key, ChangeKind::kWrite, dirty);
}

}  // namespace

Status PfAdd(Database& db, std::string_view key, const std::vector<std::string_view>& elements,
             int64_t sparse_max, bool* changed) {
  Entry* e;
  if (Status s = Lookup(db, key, &e); s != Status::kOk) return s;
  std::string v = e == nullptr ? NewSparse() : std::string(e->value());
  uint64_t updated = e == nullptr ? 1 : 0;
  for (std::string_view el : elements) {
    Result r = Add(&v, el, sparse_max);
    if (r == Result::kCorrupt) return Status::kCorrupt;
    if (r == Result::kChanged) ++updated;
  }
  *changed = updated > 0;
  if (updated == 0) return Status::kOk;
  InvalidateCache(&v);
  WriteBack(db, e, key, v, updated);
  return Status::kOk;
}

Status PfCountOne(Database& db, std::string_view key, uint64_t* count) {
  Entry* e;
  if (Status s = Lookup(db, key, &e); s != Status::kOk) return s;
  if (e == nullptr) {
    *count = 0;
    return Status::kOk;
  }
  if (auto cached = CachedCount(e->value())) {
    *count = *cached;
    return Status::kOk;
  }
  auto fresh = Count(e->value());
  if (!fresh) return Status::kCorrupt;
  std::string v(e->value());
  SetCachedCount(&v, *fresh);
  WriteBack(db, e, key, v, 1);
  *count = *fresh;
  return Status::kOk;
}

Status PfCountUnion(Database& db, const std::vector<std::string_view>& keys, uint64_t* count) {
  Registers regs{};
  for (std::string_view key : keys) {
    Entry* e;
    if (Status s = Lookup(db, key, &e); s != Status::kOk) return s;
    if (e != nullptr && !MergeInto(e->value(), &regs)) return Status::kCorrupt;
  }
  *count = CountRegisters(regs);
  return Status::kOk;
}

Status PfMerge(Database& db, std::string_view dest, const std::vector<std::string_view>& sources,
               int64_t sparse_max) {
  Registers regs{};
  bool any_dense = false;
  auto merge = [&](std::string_view key) {
    Entry* e;
    if (Status s = Lookup(db, key, &e); s != Status::kOk) return s;
    if (e == nullptr) return Status::kOk;
    if (!IsSparse(e->value())) any_dense = true;
    return MergeInto(e->value(), &regs) ? Status::kOk : Status::kCorrupt;
  };
  if (Status s = merge(dest); s != Status::kOk) return s;
  for (std::string_view key : sources) {
    if (Status s = merge(key); s != Status::kOk) return s;
  }
  Entry* e = db.Find(dest);
  std::string v = e == nullptr ? NewSparse() : std::string(e->value());
  if (any_dense && !ToDense(&v)) return Status::kCorrupt;
  for (uint32_t i = 0; i < kRegisters; ++i) {
    if (regs[i] == 0) continue;
    if (any_dense) {
      SetDense(DenseRegs(&v), i, regs[i]);
    } else if (Set(&v, i, regs[i], sparse_max) == Result::kCorrupt) {
      return Status::kCorrupt;
    }
  }
  InvalidateCache(&v);
  WriteBack(db, e, dest, v, 1);
  return Status::kOk;
}

Status PfToDense(Database& db, std::string_view key, bool* converted) {
  Entry* e;
  if (Status s = Lookup(db, key, &e); s != Status::kOk) return s;
  if (e == nullptr) return Status::kNoKey;
  *converted = false;
  if (!IsSparse(e->value())) return Status::kOk;
  std::string v(e->value());
  if (!ToDense(&v)) return Status::kCorrupt;
  WriteBack(db, e, key, v, 1);
  *converted = true;
  return Status::kOk;
}

}  // namespace dkv::engine::hll
