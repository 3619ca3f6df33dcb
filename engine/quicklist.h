// Quicklist: the large encoding of a list (kListQuick, engine/list_ops.h). A doubly linked list
// of nodes; each node is ONE malloc'd block, a 32-byte header followed by its packed items
// (engine/list_pack.h), bounded by list-max-listpack-size (Limit). The List owns its nodes; a
// kListQuick entry owns its List (its value bytes are a pointer to it). Pushes and pops at either
// end are O(1) (plus the node's memmove, as Redis' listpack nodes); a position is found from the
// nearer end, whole nodes skipped by their counts, then items walked from the node's nearer end.
//
// Nodes more than `depth` nodes from either end may be compressed (list-compress-depth): their
// block then holds the compressed bytes (zbytes != 0). Every function below that reads or writes
// a node's items makes it plain first (Plain); Compress re-packs the inner nodes after a write.
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::engine::quick {

struct Node {
  Node* prev;
  Node* next;
  uint32_t count;   // items
  uint32_t bytes;   // item bytes (uncompressed)
  uint32_t zbytes;  // compressed bytes held, 0 when plain
  uint32_t spare;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
};
inline constexpr size_t kHeader = sizeof(Node);
static_assert(kHeader == 32, "node header is 32 bytes");

struct List {
  Node* head = nullptr;
  Node* tail = nullptr;
  size_t count = 0;  // items in all nodes
  size_t nodes = 0;
};

// A node's bounds: its whole block (header + item bytes) and its items, from
// list-max-listpack-size as Redis 7.2 reads it (negative: 4 KiB << (-fill - 1) bytes; positive:
// that many items, and 8 KiB at most).
struct Limit {
  size_t bytes = 8192;
  size_t count = SIZE_MAX;
};
Limit LimitOf(int64_t fill);
// The limit halved (a quicklist converts back to packed within it).
Limit Half(const Limit& l);
inline bool Fits(const Limit& l, size_t bytes, size_t count) {
  return kHeader + bytes <= l.bytes && count <= l.count;
}

// A position: the node and the item's offset in its (plain) bytes.
struct Pos {
  Node* node = nullptr;
  size_t off = 0;
};

List* New();
// Frees the list and every node.
void Free(List* list);
// Frees nodes from the head until about `budget` items went; returns how many did. The list is
// empty (and may be deleted) when count reaches 0.
size_t FreeSome(List* list, size_t budget);
// A deep copy.
List* Clone(const List* list);
// Bytes held by the list and its nodes (their blocks, not the allocator's slack).
size_t Bytes(const List* list);

// Appends a node holding `count` items of plain `items` bytes at the tail.
void AppendNode(List* list, std::string_view items, size_t count);
// Makes `node` plain (decompressing it); returns its (possibly new) address.
Node* Plain(List* list, Node* node);
// Compresses the nodes more than `depth` from either end that are plain and worth it, and makes
// plain the `depth` nodes at each end. Cost: O(depth) plus the nodes named in `touched` (0..2
// nodes written in the middle, or nullptr).
void Compress(List* list, int64_t depth, Node* touched);
// Compresses every inner node (after a bulk build).
void CompressAll(List* list, int64_t depth);

void Push(List* list, bool head, std::string_view element, const Limit& limit);
// REQUIRES: list not empty.
void Pop(List* list, bool head, std::string* out);
// REQUIRES: index < count. The node is made plain.
Pos Seek(List* list, size_t index);
// The offset of item `index` of a plain run of `count` items in `bytes` bytes, walked from the
// nearer end.
size_t Locate(const char* data, size_t bytes, size_t count, size_t index);
void Get(const Pos& pos, std::string* out);
// Replaces the item at `pos`; splits its node when it outgrows the limit. Returns the node
// written (for Compress).
Node* Replace(List* list, Pos pos, std::string_view element, const Limit& limit);
// Inserts `element` before or after the item at `pos` (splitting the node when needed).
Node* Insert(List* list, Pos pos, bool before, std::string_view element, const Limit& limit);
// Deletes `n` (<= count) items at the head or the tail.
void TrimEnd(List* list, bool head, size_t n);
// LREM: removes up to `max` items equal to `element` (from the tail when `from_tail`), merging
// nodes that become small. Returns how many.
size_t RemoveEqual(List* list, size_t max, bool from_tail, std::string_view element,
                   const Limit& limit);

}  // namespace dkv::engine::quick
