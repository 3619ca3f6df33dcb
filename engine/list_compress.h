// LZF-style compression of quicklist nodes (list-compress-depth, engine/quicklist.h), written
// from the published LZF format: a control byte below 32 starts a run of (control + 1) literal
// bytes; otherwise its top 3 bits are a match length - 2 (7: one more byte adds to it) and its
// low 5 bits with the next byte are the match distance - 1 (up to 8 KiB back). Pure functions.
#pragma once

#include <cstddef>
#include <string>

namespace dkv::engine::lzf {

// Compresses `n` bytes into *out; false when that would not make them smaller.
bool Compress(const char* in, size_t n, std::string* out);
// Decompresses into exactly `out_len` bytes; false (out unspecified) when `in` is damaged.
bool Decompress(const char* in, size_t in_len, char* out, size_t out_len);

}  // namespace dkv::engine::lzf
