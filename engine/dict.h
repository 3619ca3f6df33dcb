// Dict: the large encoding of hashes and sets (Redis' "hashtable"): a chained hash table of
// byte-string keys, each with an optional byte-string value, with incremental rehashing so that
// no single operation pays for a resize of a million-element table.
//
// Each element is one allocation, a Node: the next pointer, then the key and (for hashes) the
// value, each as a varint length and its bytes. There is no separate string object and no
// stored hash. Buckets are a power of two; the table grows at load 1 and shrinks below 1/8, and
// while two tables coexist every operation moves a few buckets across (Redis' scheme). SCAN uses
// a reverse-binary cursor, so an element present for a whole iteration is returned at least
// once even if the table is resized in between. Keys are hashed with XXH3 and a per-process
// random seed, so clients cannot choose colliding keys.
//
// Owned by the entry whose value points to it (engine/container.h); loop thread only, except
// that a forked snapshot child reads it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>

namespace dkv::engine {

class Dict {
 public:
  struct Node;

  explicit Dict(bool has_values);
  ~Dict();
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;

  bool has_values() const { return has_values_; }
  size_t size() const { return size_; }
  // Bytes allocated for the table and its nodes (MEMORY USAGE).
  size_t bytes() const { return node_bytes_ + (size0_ + size1_) * sizeof(Node*) + sizeof(Dict); }

  static std::string_view KeyOf(const Node* node);
  static std::string_view ValueOf(const Node* node);  // "" when the dict has no values

  // The node for `key`, or nullptr.
  Node* Find(std::string_view key);
  bool Contains(std::string_view key) { return Find(key) != nullptr; }
  // Adds `key` (with `value`) or replaces the value of an existing key. Returns true when the
  // key is new.
  bool Set(std::string_view key, std::string_view value = {});
  // Adds `key` only if absent. Returns true when added.
  bool Add(std::string_view key, std::string_view value = {});
  // Removes `key`. Returns whether it was there.
  bool Erase(std::string_view key);

  // Visits every element until `visit` returns false. The dict must not change meanwhile.
  void ForEach(
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
  // A random element, uniform (rejection over bucket and chain position; see dict.cc).
  // REQUIRES: size() > 0.
  const Node* Random(std::mt19937_64& rng) const;
  // Removes some element, cheaply, and returns its key (SPOP): a random slot, then the first
  // non-empty slot from there and a random node of its chain, unlinked where it was found. Not
  // uniform (an element after a run of empty slots comes out more often); SPOP is documented
  // only as removing random members and must not pay Random's rejections when the table is
  // sparse. REQUIRES: size() > 0.
  std::string PopAnyRandom(std::mt19937_64& rng);
  // One step of SCAN from `cursor` (0 starts): visits the elements of one or more buckets and
  // returns the next cursor (0 when the iteration is over).
  uint64_t Scan(uint64_t cursor, const std::function<void(const Node*)>& visit) const;

  // For copying the dict in steps while the loop runs (engine/portable_builder.h): moves up to
  // `buckets` buckets of a resize in progress; returns true when none is (then, as long as
  // nothing is added or removed, the layout stays as it is: lookups only move buckets while a
  // resize is in progress).
  bool FinishResize(size_t buckets);
  // Visits the elements of the buckets from `bucket` on until at least `budget` were visited,
  // and returns the next bucket to visit (bucket_count() at the end). REQUIRES: no resize in
  // progress, and the dict unchanged since the first call of the walk.
  size_t VisitBuckets(
      size_t bucket, size_t budget,
      const std::function<void(std::string_view key, std::string_view value)>& visit) const;
  size_t bucket_count() const { return size0_; }

  // A deep copy.
  Dict* Clone() const;
  // Frees up to `budget` nodes (a huge dict is freed in slices, off the request). Returns true
  // when the dict is empty; it can then be deleted.
  bool FreeSome(size_t budget);

 private:
  static Node* NewNode(std::string_view key, std::string_view value, bool has_value);
  void FreeNode(Node* node);
  uint64_t Hash(std::string_view key) const;
  bool rehashing() const { return table1_ != nullptr; }
  void RehashStep(size_t buckets);
  void MaybeResize();
  void StartResize(size_t new_size);
  // The bucket slot of `key` in the table that holds it, and the node (or nullptr).
  Node** Locate(std::string_view key, uint64_t hash);
  void Link(Node* node, uint64_t hash);
  // The link that points to PopAnyRandom's pick.
  Node** AnySlot(std::mt19937_64& rng) const;

  bool has_values_;
  size_t size_ = 0;
  size_t node_bytes_ = 0;
  // table0_ is the old table while rehashing (buckets below rehash_index_ already moved);
  // otherwise the only one.
  Node** table0_ = nullptr;
  size_t size0_ = 0;
  Node** table1_ = nullptr;
  size_t size1_ = 0;
  size_t rehash_index_ = 0;
  size_t free_pos_ = 0;  // FreeSome's position: buckets of table1_, then of table0_
};

}  // namespace dkv::engine
