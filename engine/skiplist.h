// Skiplist: the large encoding of sorted sets (kZsetSkiplist, "skiplist" in OBJECT ENCODING),
// owned by the entry whose value points to it (engine/zset_ops.cc). Members are ordered by
// score, then by member bytes (memcmp), as in Redis.
//
// Memory: each member is ONE allocation, a Node holding its score, the backward link, the next
// link of its hash chain, its tower of forward links with their spans (the distance in ranks
// each link jumps, so that ranks are O(log n)) and the member bytes inline. The member -> node
// map is a chained hash table of Node pointers threaded through the nodes themselves (no
// separate entry objects, no second copy of the member), with incremental rehashing as in
// engine/dict.h (a resize moves a few buckets per operation). Towers are drawn with p = 1/4 up
// to 32 levels, as Redis does. Spans are 32-bit: a sorted set holds fewer than 2^32 members
// (memory runs out long before).
//
// Loop thread only, except that a forked snapshot child reads it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace dkv::engine {

class Skiplist {
 public:
  static constexpr int kMaxLevel = 32;

  struct Node {
    double score;
    Node* backward;  // the previous node at level 0, nullptr for the first
    Node* hnext;     // the next node of the hash chain
    uint32_t len;    // member bytes
    uint8_t level;   // tower height (1..kMaxLevel)
    // Then: Node* forward[level]; uint32_t span[level]; char member[len].
    Node** forward() { return reinterpret_cast<Node**>(this + 1); }
    Node* const* forward() const { return reinterpret_cast<Node* const*>(this + 1); }
    uint32_t* span() { return reinterpret_cast<uint32_t*>(forward() + level); }
    const uint32_t* span() const { return reinterpret_cast<const uint32_t*>(forward() + level); }
    std::string_view member() const { return {reinterpret_cast<const char*>(span() + level), len}; }
    Node* next() const { return forward()[0]; }
  };

  Skiplist();
  ~Skiplist();
  Skiplist(const Skiplist&) = delete;
  Skiplist& operator=(const Skiplist&) = delete;

  size_t size() const { return size_; }
  // Bytes allocated for the nodes, the hash tables and the header (MEMORY USAGE).
  size_t bytes() const;

  // The node of `member`, or nullptr. O(1).
  Node* Find(std::string_view member) const;
  // Adds `member` (REQUIRES: absent) with `score` (not NaN).
  Node* Insert(std::string_view member, double score);
  // Moves `node` to `score`; the node stays the same allocation.
  void UpdateScore(Node* node, double score);
  // Removes and frees `node`.
  void Erase(Node* node);

  Node* First() const { return head_->forward()[0]; }
  Node* Last() const { return tail_; }
  // The node at 1-based `rank` (REQUIRES: 1 <= rank <= size()). O(log n).
  Node* AtRank(size_t rank) const;
  // The 1-based rank of `node`. O(log n).
  size_t RankOf(const Node* node) const;

  // The first node for which `before(node)` is false, with its 1-based rank in *rank, or
  // nullptr. `before` must hold for a prefix of the order (true, then false). O(log n).
  template <typename Before>
  Node* FirstNotBefore(const Before& before, size_t* rank) const {
    const Node* x = head_;
    size_t r = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->forward()[i] != nullptr && before(x->forward()[i])) {
        r += x->span()[i];
        x = x->forward()[i];
      }
    }
    *rank = r + 1;
    return x->forward()[0];
  }
  // The last node for which `within(node)` holds (true for a prefix of the order), with its
  // rank, or nullptr (rank 0). O(log n).
  template <typename Within>
  Node* LastWithin(const Within& within, size_t* rank) const {
    const Node* x = head_;
    size_t r = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->forward()[i] != nullptr && within(x->forward()[i])) {
        r += x->span()[i];
        x = x->forward()[i];
      }
    }
    *rank = r;
    return x == head_ ? nullptr : const_cast<Node*>(x);
  }

  // A SCAN step over the hash table from `cursor` (reverse-binary, as Dict::Scan): returns the
  // next cursor, 0 when done.
  uint64_t Scan(uint64_t cursor, const std::function<void(const Node*)>& visit) const;
  // A deep copy.
  Skiplist* Clone() const;
  // Frees up to `budget` nodes from the front (a huge set is freed in slices, once detached
  // from its entry). Returns true when none is left; it can then be deleted.
  bool FreeSome(size_t budget, size_t* freed);

 private:
  static Node* NewNode(int level, std::string_view member, double score);
  static int RandomLevel();
  uint64_t Hash(std::string_view member) const;
  bool rehashing() const { return table1_ != nullptr; }
  void RehashStep();
  void MaybeResize();
  void Link(Node* node);      // into the hash table
  void Unlink(Node* node);    // from the hash table
  void LinkList(Node* node);  // into the skiplist, by its score and member
  void UnlinkList(Node* node, Node** update);

  Node* head_;
  Node* tail_ = nullptr;
  int level_ = 1;
  size_t size_ = 0;
  size_t node_bytes_ = 0;
  // The member hash: table0_ (the old table while rehashing; buckets below rehash_index_ moved),
  // table1_ (the new one). Writes move buckets along; lookups only read.
  Node** table0_ = nullptr;
  size_t size0_ = 0;
  Node** table1_ = nullptr;
  size_t size1_ = 0;
  size_t rehash_index_ = 0;
};

}  // namespace dkv::engine
