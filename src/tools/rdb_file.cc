#include "src/tools/rdb_file.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "src/tools/rdb_encode.h"

namespace dkv::rdb {
namespace {

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

uint64_t LittleEndian(std::string_view s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  uint64_t m = 1ULL << (bits - 1);
  v &= (bits == 64) ? ~0ULL : ((1ULL << bits) - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

// What the members of one value may take in memory: their bytes plus a std::string each. A
// compressed listpack of one-byte entries makes tens of millions of members from kilobytes.
constexpr uint64_t kElementCost = sizeof(std::string);

struct Budget {
  uint64_t left = 0;
  bool exceeded = false;
  bool Take(uint64_t n) {
    if (n > left) {
      exceeded = true;
      return false;
    }
    left -= n;
    return true;
  }
};

bool Add(std::vector<std::string>* out, std::string_view s, Budget* budget) {
  if (!budget->Take(s.size() + kElementCost)) return false;
  out->emplace_back(s);
  return true;
}

// The encodings inside a string: ziplist, listpack, intset, LZF. Each returns false on damage or
// when the members would exceed `budget`.
// A ziplist: its total-bytes header must be its size, it must end at its end byte, and its entry
// count (unless 65535, unknown) must be the number of entries.
bool DecodeZiplist(std::string_view z, std::vector<std::string>* out, Budget* budget) {
  if (z.size() < 11 || LittleEndian(z, 0, 4) != z.size()) return false;
  uint64_t announced = LittleEndian(z, 8, 2);
  size_t first_out = out->size();
  size_t p = 10;
  while (p < z.size()) {
    unsigned char first = static_cast<unsigned char>(z[p]);
    if (first == 0xFF) {
      return p + 1 == z.size() && (announced == 65535 || announced == out->size() - first_out);
    }
    p += first == 0xFE ? 5 : 1;  // prevlen
    if (p >= z.size()) return false;
    unsigned char enc = static_cast<unsigned char>(z[p]);
    size_t len = 0, header = 1;
    switch (enc >> 6) {
      case 0:
        len = enc & 0x3F;
        break;
      case 1:
        if (p + 1 >= z.size()) return false;
        len = (static_cast<size_t>(enc & 0x3F) << 8) | static_cast<unsigned char>(z[p + 1]);
        header = 2;
        break;
      case 2:
        if (p + 4 >= z.size()) return false;
        len = (static_cast<size_t>(static_cast<unsigned char>(z[p + 1])) << 24) |
              (static_cast<size_t>(static_cast<unsigned char>(z[p + 2])) << 16) |
              (static_cast<size_t>(static_cast<unsigned char>(z[p + 3])) << 8) |
              static_cast<unsigned char>(z[p + 4]);
        header = 5;
        break;
      default: {
        int bytes = enc == 0xC0   ? 2
                    : enc == 0xD0 ? 4
                    : enc == 0xE0 ? 8
                    : enc == 0xF0 ? 3
                    : enc == 0xFE ? 1
                                  : 0;
        int64_t v;
        if (bytes > 0) {
          if (p + 1 + static_cast<size_t>(bytes) > z.size()) return false;
          v = SignExtend(LittleEndian(z, p + 1, bytes), bytes * 8);
        } else if (enc >= 0xF1 && enc <= 0xFD) {
          v = (enc & 0x0F) - 1;
        } else {
          return false;
        }
        if (!Add(out, std::to_string(v), budget)) return false;
        p += 1 + static_cast<size_t>(bytes);
        continue;
      }
    }
    if (p + header + len > z.size()) return false;
    if (!Add(out, z.substr(p + header, len), budget)) return false;
    p += header + len;
  }
  return false;
}

size_t BacklenSize(size_t l) {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

// A listpack: its total-bytes header must be its size, it must end at its end byte, every
// entry's back-length must be its entry's size, and the element count (unless 65535, unknown)
// must be the number of entries.
bool DecodeListpack(std::string_view lp, std::vector<std::string>* out, Budget* budget) {
  if (lp.size() < 7 || LittleEndian(lp, 0, 4) != lp.size()) return false;
  uint64_t announced = LittleEndian(lp, 4, 2);
  size_t first = out->size();
  size_t p = 6;
  while (p < lp.size()) {
    unsigned char b = static_cast<unsigned char>(lp[p]);
    if (b == 0xFF) {
      return p + 1 == lp.size() && (announced == 65535 || announced == out->size() - first);
    }
    size_t entry;  // encoding + data bytes
    if ((b & 0x80) == 0) {
      if (!Add(out, std::to_string(b & 0x7F), budget)) return false;
      entry = 1;
    } else if ((b & 0xC0) == 0x80) {
      size_t len = b & 0x3F;
      if (p + 1 + len > lp.size()) return false;
      if (!Add(out, lp.substr(p + 1, len), budget)) return false;
      entry = 1 + len;
    } else if ((b & 0xE0) == 0xC0) {
      if (p + 1 >= lp.size()) return false;
      uint64_t v = (static_cast<uint64_t>(b & 0x1F) << 8) | static_cast<unsigned char>(lp[p + 1]);
      if (!Add(out, std::to_string(SignExtend(v, 13)), budget)) return false;
      entry = 2;
    } else if ((b & 0xF0) == 0xE0) {
      if (p + 1 >= lp.size()) return false;
      size_t len = (static_cast<size_t>(b & 0x0F) << 8) | static_cast<unsigned char>(lp[p + 1]);
      if (p + 2 + len > lp.size()) return false;
      if (!Add(out, lp.substr(p + 2, len), budget)) return false;
      entry = 2 + len;
    } else if (b == 0xF0) {
      if (p + 5 > lp.size()) return false;
      size_t len = LittleEndian(lp, p + 1, 4);
      if (p + 5 + len > lp.size()) return false;
      if (!Add(out, lp.substr(p + 5, len), budget)) return false;
      entry = 5 + len;
    } else if (b >= 0xF1 && b <= 0xF4) {
      int bytes = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
      if (p + 1 + static_cast<size_t>(bytes) > lp.size()) return false;
      if (!Add(out, std::to_string(SignExtend(LittleEndian(lp, p + 1, bytes), bytes * 8)),
               budget)) {
        return false;
      }
      entry = 1 + static_cast<size_t>(bytes);
    } else {
      return false;
    }
    size_t backlen = BacklenSize(entry);
    if (p + entry + backlen > lp.size()) return false;
    uint64_t stored = 0;  // read from its last byte backwards, 7 bits per byte
    for (size_t i = 0; i < backlen; ++i) {
      stored |=
          static_cast<uint64_t>(static_cast<unsigned char>(lp[p + entry + backlen - 1 - i]) & 0x7F)
          << (7 * i);
    }
    if (stored != entry) return false;
    p += entry + backlen;
  }
  return false;
}

// Redis 2.x's small hashes: a count byte, then per pair the field (its length, its bytes) and the
// value (its length, a count of free bytes, its bytes, the free bytes); 0xFF ends it. A length
// under 254 is one byte; 254 announces four little-endian bytes.
bool DecodeZipmap(std::string_view z, std::vector<std::string>* out, Budget* budget) {
  size_t p = 1;
  auto length = [&](size_t* len) {
    if (p >= z.size()) return false;
    auto b = static_cast<unsigned char>(z[p++]);
    if (b < 254) {
      *len = b;
      return true;
    }
    if (b == 255 || p + 4 > z.size()) return false;
    *len = LittleEndian(z, p, 4);
    p += 4;
    return true;
  };
  if (z.empty()) return false;
  while (p < z.size()) {
    if (static_cast<unsigned char>(z[p]) == 0xFF) return p + 1 == z.size();
    size_t len;
    if (!length(&len) || len > z.size() - p || !Add(out, z.substr(p, len), budget)) return false;
    p += len;
    if (!length(&len) || p >= z.size()) return false;
    size_t free = static_cast<unsigned char>(z[p++]);
    if (len > z.size() - p || free > z.size() - p - len) return false;
    if (!Add(out, z.substr(p, len), budget)) return false;
    p += len + free;
  }
  return false;
}

bool DecodeIntset(std::string_view s, std::vector<std::string>* out, Budget* budget) {
  if (s.size() < 8) return false;
  int width = static_cast<int>(LittleEndian(s, 0, 4));
  size_t n = LittleEndian(s, 4, 4);
  if ((width != 2 && width != 4 && width != 8) || 8 + n * static_cast<size_t>(width) > s.size()) {
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!Add(out,
             std::to_string(
                 SignExtend(LittleEndian(s, 8 + i * static_cast<size_t>(width), width), width * 8)),
             budget)) {
      return false;
    }
  }
  return true;
}

bool LzfDecompress(std::string_view in, size_t size, std::string* out) {
  out->clear();
  out->reserve(std::min<size_t>(size, in.size() * 4 + 64));
  size_t ip = 0;
  while (ip < in.size()) {
    unsigned ctrl = static_cast<unsigned char>(in[ip++]);
    if (ctrl < 32) {
      size_t run = ctrl + 1;
      if (run > in.size() - ip || out->size() + run > size) return false;
      out->append(in.substr(ip, run));
      ip += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in.size()) return false;
      len += static_cast<unsigned char>(in[ip++]);
    }
    if (ip >= in.size()) return false;
    size_t back = ((ctrl & 0x1F) << 8) + static_cast<unsigned char>(in[ip++]) + 1;
    len += 2;
    if (back > out->size() || out->size() + len > size) return false;
    size_t from = out->size() - back;
    for (size_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);
  }
  return out->size() == size;
}

class Reader : public RdbSource {
 public:
  Reader(std::string data, uint64_t max_bytes) : d_(std::move(data)), max_bytes_(max_bytes) {}

  bool too_large() const { return too_large_; }

  // One DUMP payload's value: the type byte, then the value, and nothing after it.
  std::string DecodeOne(RdbKey* k) {
    uint8_t type = Byte();
    if (!ok_) return "empty payload";
    budget_ = Budget{max_bytes_};
    if (!Value(type, k))
      return error_.empty() ? "bad value of type " + std::to_string(type) : error_;
    if (p_ != d_.size()) return "trailing bytes after the value";
    return "";
  }

  std::string Run(const std::function<bool(const RdbKey&)>& on_key) {
    if (d_.size() < 9 || d_.compare(0, 5, "REDIS") != 0) return "not an RDB file (no REDIS magic)";
    int version = std::atoi(d_.substr(5, 4).c_str());
    if (version < 1 || version > 12) return "RDB version " + std::to_string(version) + " unknown";
    p_ = 9;
    int db = 0;
    int64_t expire = 0;
    while (true) {
      uint8_t op = Byte();
      if (!ok_) return Err("truncated");
      switch (op) {
        case 0xFF: {  // EOF, then the checksum (0: not computed)
          size_t end = p_;
          if (version >= 5 && p_ + 8 <= d_.size()) {
            uint64_t want = LittleEndian(d_, p_, 8);
            if (want != 0 && want != Crc64(std::string_view(d_).substr(0, end))) {
              return Err("checksum mismatch");
            }
          }
          return "";
        }
        case 0xFE:
          db = static_cast<int>(Length());
          continue;
        case 0xFD:
          expire = static_cast<int64_t>(Fixed(4)) * 1000;
          continue;
        case 0xFC:
          expire = static_cast<int64_t>(Fixed(8));
          continue;
        case 0xFB:
          Length();
          Length();
          continue;
        case 0xFA: {
          std::string a, b;
          String(&a);
          String(&b);
          continue;
        }
        case 0xF9:
          Byte();
          continue;
        case 0xF8:
          Length();
          continue;
        case 0xF5: {  // FUNCTION2: a library's code, not data
          std::string code;
          String(&code);
          continue;
        }
        case 0xF4:  // SLOT_INFO (cluster)
          Length();
          Length();
          Length();
          continue;
        case 0xF7:
          return Err("module data (MODULE_AUX) cannot be read");
        default:
          break;
      }
      RdbKey k;
      k.db = db;
      k.expire_ms = expire;
      expire = 0;
      if (!String(&k.key)) return Err("truncated key");
      budget_ = Budget{max_bytes_};
      if (!Value(op, &k))
        return Err(error_.empty() ? "bad value of type " + std::to_string(op) : error_);
      if (!on_key(k)) return "";
    }
  }

 private:
  std::string Err(const std::string& what) const {
    return "offset " + std::to_string(p_) + ": " + what;
  }
  uint8_t Byte() {
    if (p_ >= d_.size()) return Fail();
    return static_cast<uint8_t>(d_[p_++]);
  }
  uint64_t Fixed(int n) {
    if (p_ + static_cast<size_t>(n) > d_.size()) return Fail();
    uint64_t v = LittleEndian(d_, p_, n);
    p_ += static_cast<size_t>(n);
    return v;
  }
  uint64_t Length(bool* encoded = nullptr) {
    if (encoded) *encoded = false;
    uint8_t b = Byte();
    switch (b >> 6) {
      case 0:
        return b & 0x3F;
      case 1:
        return (static_cast<uint64_t>(b & 0x3F) << 8) | Byte();
      case 2: {
        int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
        if (n == 0) return Fail();
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | Byte();
        return v;
      }
      default:
        if (encoded == nullptr) return Fail();
        *encoded = true;
        return b & 0x3F;
    }
  }
  bool String(std::string* out) {
    bool encoded;
    uint64_t len = Length(&encoded);
    if (!ok_) return false;
    if (!encoded) return len > max_bytes_ ? TooLarge() : Take(len, out);
    if (len <= 2) {
      int bytes = 1 << len;
      *out = std::to_string(SignExtend(Fixed(bytes), bytes * 8));
      return ok_;
    }
    if (len == 3) {
      uint64_t clen = Length(), ulen = Length();
      std::string compressed;
      // A string longer than the limit is refused before anything is allocated (LZF expands up
      // to about 132 times: a few megabytes could announce gigabytes).
      if (ok_ && ulen > max_bytes_) return TooLarge();
      // LZF expands at most about 132 times (a 264-byte match in 2 bytes): a larger claim is
      // damage, refused before any allocation.
      if (!Take(clen, &compressed) || ulen > clen * 140 + 64) return Fail();
      return LzfDecompress(compressed, ulen, out) || Fail();
    }
    return Fail();
  }
  bool Take(uint64_t n, std::string* out) {
    if (n > d_.size() - p_) return Fail();
    out->assign(d_, p_, n);
    p_ += n;
    return true;
  }
  bool Double(std::string* out) {  // RDB_TYPE_ZSET's scores: length byte and text
    uint8_t len = Byte();
    if (len == 253)
      *out = "nan";
    else if (len == 254)
      *out = "inf";
    else if (len == 255)
      *out = "-inf";
    else
      return Take(len, out);
    return ok_;
  }
  bool Pairs(std::vector<std::string>& flat, RdbKey* k) {
    if (flat.size() % 2 != 0) return false;
    for (size_t i = 0; i < flat.size(); i += 2) {
      k->pairs.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
    }
    return true;
  }
  // Charges one member (or pair) read from its own string to the value's budget.
  bool Charge(uint64_t bytes) override { return budget_.Take(bytes) || TooLarge(); }
  bool TooLarge() {
    too_large_ = true;
    error_ = "the value decodes to more than " + std::to_string(max_bytes_) + " bytes";
    Fail();
    return false;
  }
  // After a decoder returned false: the budget, or damage.
  bool Decoded(bool ok) {
    if (!ok && budget_.exceeded) return TooLarge();
    return ok;
  }

  bool Value(uint8_t type, RdbKey* k) {
    std::string blob;
    std::vector<std::string> flat;
    k->rdb_type = type;
    switch (type) {
      case 0:
        k->type = "string";
        return String(&k->value);
      case 1:
      case 2: {
        k->type = type == 1 ? "list" : "set";
        uint64_t n = Length();
        for (uint64_t i = 0; i < n && ok_; ++i) {
          std::string m;
          if (!String(&m) || !Charge(m.size() + kElementCost)) return false;
          k->members.push_back(std::move(m));
        }
        return ok_;
      }
      case 3:
      case 5: {
        k->type = "zset";
        uint64_t n = Length();
        for (uint64_t i = 0; i < n && ok_; ++i) {
          std::string member, score;
          String(&member);
          if (type == 3) {
            Double(&score);
          } else {
            uint64_t bits = Fixed(8);
            double d;
            std::memcpy(&d, &bits, 8);
            score = FormatDouble(d);
          }
          if (!ok_ || !Charge(member.size() + score.size() + 2 * kElementCost)) return false;
          k->pairs.emplace_back(std::move(member), std::move(score));
        }
        return ok_;
      }
      case 4: {
        k->type = "hash";
        uint64_t n = Length();
        for (uint64_t i = 0; i < n && ok_; ++i) {
          std::string f, v;
          String(&f);
          String(&v);
          if (!ok_ || !Charge(f.size() + v.size() + 2 * kElementCost)) return false;
          k->pairs.emplace_back(std::move(f), std::move(v));
        }
        return ok_;
      }
      case 9:
        k->type = "hash";
        return String(&blob) && Decoded(DecodeZipmap(blob, &flat, &budget_)) && Pairs(flat, k);
      case 10:
        k->type = "list";
        return String(&blob) && Decoded(DecodeZiplist(blob, &k->members, &budget_));
      case 11:
        k->type = "set";
        return String(&blob) && Decoded(DecodeIntset(blob, &k->members, &budget_));
      case 12:
      case 13:
        k->type = type == 12 ? "zset" : "hash";
        return String(&blob) && Decoded(DecodeZiplist(blob, &flat, &budget_)) && Pairs(flat, k);
      case 16:
      case 17:
        k->type = type == 17 ? "zset" : "hash";
        return String(&blob) && Decoded(DecodeListpack(blob, &flat, &budget_)) && Pairs(flat, k);
      case 20:
        k->type = "set";
        return String(&blob) && Decoded(DecodeListpack(blob, &k->members, &budget_));
      case 14: {
        k->type = "list";
        uint64_t n = Length();
        for (uint64_t i = 0; i < n && ok_; ++i) {
          if (!String(&blob) || !Decoded(DecodeZiplist(blob, &k->members, &budget_))) return false;
        }
        return ok_;
      }
      case 18: {
        k->type = "list";
        uint64_t n = Length();
        for (uint64_t i = 0; i < n && ok_; ++i) {
          uint64_t container = Length();
          if (!ok_ || (container != 1 && container != 2) || !String(&blob)) return false;
          if (container == 1) {
            if (!Charge(blob.size() + kElementCost)) return false;
            k->members.push_back(blob);  // a plain node: one big element
          } else if (!Decoded(DecodeListpack(blob, &k->members, &budget_))) {
            return false;
          }
        }
        return ok_;
      }
      case 15:
      case 19:
      case 21:
        k->type = "stream";
        return ReadStreamValue(type, k);
      case 22:
      case 23:
      case 24:
      case 25:
        error_ = "type " + std::to_string(type) +
                 " (a hash with field expirations, Redis 7.4) cannot be read";
        return false;
      default:
        error_ = "type " + std::to_string(type) + " (a module type?) cannot be read";
        return false;
    }
  }

  bool ReadStreamValue(uint8_t type, RdbKey* k) {
    std::string err = ReadStream(type, *this, &k->stream);
    if (!err.empty() && error_.empty()) error_ = err;
    if (!err.empty() || !error_.empty()) Fail();
    return ok_;
  }

  // RdbSource, for the stream reader (Charge is shared with the other types).
  bool GetLength(uint64_t* v) override {
    *v = Length();
    return ok_;
  }
  bool GetString(std::string* s) override { return String(s); }
  bool GetRaw(size_t n, std::string* s) override { return Take(n, s); }
  bool GetFixed(int bytes, uint64_t* v) override {
    *v = Fixed(bytes);
    return ok_;
  }
  bool GetListpack(std::string_view lp, std::vector<std::string>* items) override {
    return Decoded(DecodeListpack(lp, items, &budget_)) || Fail();
  }

  uint8_t Fail() {
    ok_ = false;
    p_ = d_.size();
    return 0;
  }

  std::string d_;
  uint64_t max_bytes_;
  Budget budget_;
  size_t p_ = 0;
  bool ok_ = true;
  bool too_large_ = false;
  std::string error_;
};

}  // namespace

std::string DecodeRdbValue(std::string_view payload, RdbKey* out, uint64_t max_bytes,
                           bool* too_large) {
  Reader reader(std::string(payload), max_bytes);
  std::string err = reader.DecodeOne(out);
  if (too_large != nullptr) *too_large = reader.too_large();
  return err;
}

uint64_t Crc64(std::string_view data) {
  static const std::array<uint64_t, 256> kTable = [] {
    std::array<uint64_t, 256> t{};
    constexpr uint64_t kPoly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9 bit-reversed
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint64_t crc = 0;
  for (unsigned char b : data) crc = kTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc;
}

std::string ReadRdbFile(const std::string& path, const std::function<bool(const RdbKey&)>& on_key,
                        uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read " + path;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string err = Reader(std::move(data), max_bytes).Run(on_key);
  return err.empty() ? "" : path + ": " + err;
}

void AppendDumpFooter(std::string* out, uint16_t rdb_version) {
  out->push_back(static_cast<char>(rdb_version & 0xFF));
  out->push_back(static_cast<char>(rdb_version >> 8));
  uint64_t crc = Crc64(*out);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
}

bool DumpFooterOk(std::string_view payload, uint16_t max_version) {
  if (payload.size() < 10) return false;
  std::string_view footer = payload.substr(payload.size() - 10);
  uint16_t version = static_cast<uint16_t>(static_cast<unsigned char>(footer[0]) |
                                           (static_cast<unsigned char>(footer[1]) << 8));
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) {
    crc |= static_cast<uint64_t>(static_cast<unsigned char>(footer[2 + i])) << (8 * i);
  }
  return version <= max_version && crc == Crc64(payload.substr(0, payload.size() - 8));
}

}  // namespace dkv::rdb
