// Constants of the snapshot layout shared by the writer and the reader (the layout itself is
// specified in docs/snapshot-format.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dkv::persistence {

// Header: magic, u16 version, u16 flags, u32 body length, body, u64 checksum.
inline constexpr size_t kHeaderFixed = 16;
inline constexpr uint32_t kMaxHeaderBody = 64u << 20;

// Block kinds.
inline constexpr uint8_t kBlockRecords = 0x01;
inline constexpr uint8_t kBlockEnd = 0xFF;
// Block codecs.
inline constexpr uint8_t kCodecNone = 0;
inline constexpr uint8_t kCodecLz4 = 1;

// Record flags (first byte of a record).
inline constexpr uint8_t kRecTypeMask = 0x07;     // bits 0-2: the value type
inline constexpr uint8_t kRecExpire = 0x08;       // an expiry follows
inline constexpr uint8_t kRecFields = 0x10;       // user fields follow
inline constexpr uint8_t kRecContentType = 0x20;  // a content type index follows
inline constexpr uint8_t kRecTimes = 0x40;        // updated/accessed differ from created
inline constexpr uint8_t kRecMore = 0x80;         // a second flags byte follows
// Second flags byte.
inline constexpr uint8_t kRec2Raw = 0x01;        // value built by APPEND/SETRANGE
inline constexpr uint8_t kRec2Lfu = 0x02;        // an LFU counter byte follows
inline constexpr uint8_t kRec2Extension = 0x04;  // a length-prefixed extension follows
// Format 2: bits 4-6 of the second flags byte hold a container's engine::Kind (1 hash, 2 set,
// 3 list, 4 zset);
// 0 is a string. The record's value is then the container's portable form
// (engine::Serialize), its type bits are 0 and kRec2Raw is clear.
inline constexpr uint8_t kRec2KindShift = 4;
inline constexpr uint8_t kRec2KindMask = 0x70;
// The second-byte flags each format version defines.
inline constexpr uint8_t kRec2KnownV1 = kRec2Raw | kRec2Lfu | kRec2Extension;
inline constexpr uint8_t kRec2Known = kRec2KnownV1 | kRec2KindMask;

// XXH3-64 of a block's payload, seeded with the XXH3-64 of its header bytes.
uint64_t BlockChecksum(std::string_view head, std::string_view payload);

}  // namespace dkv::persistence
