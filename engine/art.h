// ArtTree: an adaptive radix tree (Leis et al., ICDE 2013) that maps key bytes to entries, with
// path compression, lazy leaf expansion and a key count in every inner node.
//
// It is the keyspace's only index: point lookups, ordered iteration from any key (SCAN cursors,
// KEYS and KV.* patterns visit only the range their literal prefix allows), subtree counts in
// O(key length) (KV.COUNT, KV.TREE), uniform random keys (RANDOMKEY) and whole-subtree detach in
// O(key length) (KV.DEL of a subtree, FLUSHDB). Nodes grow and shrink one at a time (4, 16, 48,
// 256 children); there is never a global rehash.
//
// The tree does not own entries: leaves point at them, and an entry's key (Entry::key()) is the
// leaf's key. Keys are arbitrary bytes; a key that is a prefix of another ("a.b" and "a.b.c") is
// stored as the "terminal" of the inner node where the longer keys branch. Every walk is
// iterative, so adversarial keys (a chain of 100,000 nested prefixes) cannot exhaust the stack.
// Not thread-safe; loop thread only, except that a DetachedTree may be destroyed anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

namespace dkv::engine {

class Entry;

namespace art {
struct Node;
using Ref = uintptr_t;  // 0: empty; low bit set: Entry* leaf; otherwise Node*
}  // namespace art

// A subtree cut out of a tree. Its entries are no longer reachable from the tree; FreeSome()
// releases it in slices, handing each entry to a callback.
class DetachedTree {
 public:
  DetachedTree() = default;
  explicit DetachedTree(art::Ref root, size_t count);
  DetachedTree(DetachedTree&& other) noexcept;
  DetachedTree& operator=(DetachedTree&& other) noexcept;
  DetachedTree(const DetachedTree&) = delete;
  DetachedTree& operator=(const DetachedTree&) = delete;
  // Frees what is left, passing each entry to `on_entry` (default: nothing; the caller then owns
  // freeing entries some other way). Prefer FreeSome from the loop.
  ~DetachedTree();

  size_t count() const { return count_; }
  bool empty() const { return stack_.empty(); }
  // Frees nodes and hands up to `max_entries` entries to `on_entry`. Returns true when done.
  bool FreeSome(size_t max_entries, const std::function<void(Entry*)>& on_entry);

 private:
  std::vector<art::Ref> stack_;
  size_t count_ = 0;
};

class ArtTree {
 public:
  ArtTree() = default;
  ~ArtTree();
  ArtTree(const ArtTree&) = delete;
  ArtTree& operator=(const ArtTree&) = delete;
  ArtTree(ArtTree&& other) noexcept : root_(other.root_) { other.root_ = 0; }
  void Swap(ArtTree& other) { std::swap(root_, other.root_); }

  size_t size() const;
  Entry* Find(std::string_view key) const;
  // Inserts `entry` under entry->key(). Returns nullptr, or the entry already there (nothing
  // changes then).
  Entry* Insert(Entry* entry);
  // Removes the key; returns its entry (the caller frees it) or nullptr.
  Entry* Erase(std::string_view key);
  // The entry of `key` moved in memory: point its leaf at `moved`. REQUIRES: key present.
  void Replace(std::string_view key, Entry* moved);

  // Number of keys that start with `prefix`.
  size_t CountPrefix(std::string_view prefix) const;
  // Visits, in byte order, the keys that are >= start (> start when `exclusive`) and start with
  // `prefix`, until `visit` returns false. REQUIRES: start >= prefix or start empty.
  void Walk(std::string_view prefix, std::string_view start, bool exclusive,
            const std::function<bool(Entry*)>& visit) const;
  // A uniformly random entry, or nullptr when empty.
  Entry* Random(std::mt19937_64& rng) const;

  // Cuts out every key starting with `prefix` (all keys for an empty prefix).
  DetachedTree DetachPrefix(std::string_view prefix);

 private:
  art::Ref root_ = 0;
};

}  // namespace dkv::engine
