#include "engine/list_compress.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace dkv::engine::lzf {

namespace {

constexpr size_t kHashBits = 13;
constexpr size_t kMaxDistance = 8192;
constexpr size_t kMaxMatch = 264;  // (7 + 255) + 2
constexpr size_t kMaxLiteral = 32;

uint32_t Hash(const unsigned char* p) {
  uint32_t v = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
  return (v * 2654435761u) >> (32 - kHashBits);
}

}  // namespace

bool Compress(const char* in, size_t n, std::string* out) {
  const auto* src = reinterpret_cast<const unsigned char*>(in);
  out->clear();
  out->reserve(n);
  std::vector<uint32_t> table(size_t{1} << kHashBits, 0);  // position + 1; 0: none
  size_t lit = 0;
  auto flush = [&](size_t end) {
    while (lit < end) {
      size_t run = std::min(kMaxLiteral, end - lit);
      out->push_back(static_cast<char>(run - 1));
      out->append(in + lit, run);
      lit += run;
    }
  };
  size_t i = 0;
  while (i + 2 < n) {
    if (out->size() >= n) return false;
    uint32_t h = Hash(src + i);
    size_t cand = table[h];
    table[h] = static_cast<uint32_t>(i + 1);
    if (cand != 0) {
      size_t ref = cand - 1;
      size_t dist = i - ref - 1;
      if (dist < kMaxDistance && std::memcmp(src + ref, src + i, 3) == 0) {
        size_t len = 3;
        size_t max = std::min(n - i, kMaxMatch);
        while (len < max && src[ref + len] == src[i + len]) ++len;
        flush(i);
        size_t l = len - 2;
        if (l < 7) {
          out->push_back(static_cast<char>((l << 5) | (dist >> 8)));
        } else {
          out->push_back(static_cast<char>((7 << 5) | (dist >> 8)));
          out->push_back(static_cast<char>(l - 7));
        }
        out->push_back(static_cast<char>(dist & 0xFF));
        i += len;
        lit = i;
        continue;
      }
    }
    ++i;
  }
  flush(n);
  return out->size() < n;
}

bool Decompress(const char* in, size_t in_len, char* out, size_t out_len) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  const unsigned char* end = p + in_len;
  size_t o = 0;
  while (p < end) {
    unsigned ctrl = *p++;
    if (ctrl < 32) {
      size_t run = ctrl + 1;
      if (static_cast<size_t>(end - p) < run || out_len - o < run) return false;
      std::memcpy(out + o, p, run);
      p += run;
      o += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (p >= end) return false;
      len += *p++;
    }
    len += 2;
    if (p >= end) return false;
    size_t dist = ((ctrl & 0x1F) << 8) + *p++ + 1;
    if (dist > o || out_len - o < len) return false;
    for (size_t k = 0; k < len; ++k, ++o) out[o] = out[o - dist];  // may overlap
  }
  return o == out_len;
}

}  // namespace dkv::engine::lzf
