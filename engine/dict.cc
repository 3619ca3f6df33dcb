#include "engine/dict.h"

#include <malloc.h>
#include <xxhash.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "engine/packed.h"
#include "engine/table_scan.h"

namespace dkv::engine {

struct Dict::Node {
  Node* next;
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
};

namespace {
uint64_t Seed() {
  static const uint64_t seed =
      std::random_device{}() * 0x9E3779B97F4A7C15ULL ^ std::random_device{}();
  return seed;
}
constexpr size_t kMinBuckets = 4;
Dict::Node** NewTable(size_t n) {
  auto** t = static_cast<Dict::Node**>(std::calloc(n, sizeof(Dict::Node*)));
  if (t == nullptr) throw std::bad_alloc();
  return t;
}
}  // namespace

Dict::Dict(bool has_values) : has_values_(has_values) {}

Dict::~Dict() {
  while (!FreeSome(SIZE_MAX)) {
  }
  std::free(table0_);
  std::free(table1_);
}

std::string_view Dict::KeyOf(const Node* node) {
  const char* p = node->bytes();
  uint64_t len = 0;
  p += packed::GetVarint(p, &len);
  return {p, static_cast<size_t>(len)};
}

std::string_view Dict::ValueOf(const Node* node) {
  std::string_view key = KeyOf(node);
  const char* p = key.data() + key.size();
  // A dict without values ends its nodes after the key: callers only ask dicts with values.
  uint64_t len = 0;
  p += packed::GetVarint(p, &len);
  return {p, static_cast<size_t>(len)};
}

Dict::Node* Dict::NewNode(std::string_view key, std::string_view value, bool has_value) {
  size_t n = sizeof(Node) + packed::VarintSize(key.size()) + key.size();
  if (has_value) n += packed::VarintSize(value.size()) + value.size();
  void* mem = std::malloc(n);
  if (mem == nullptr) throw std::bad_alloc();
  Node* node = new (mem) Node{nullptr};
  char* p = node->bytes();
  p += packed::PutVarint(p, key.size());
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  if (has_value) {
    p += packed::PutVarint(p, value.size());
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
  }
  return node;
}

void Dict::FreeNode(Node* node) {
  node_bytes_ -= malloc_usable_size(node);
  std::free(node);
}

uint64_t Dict::Hash(std::string_view key) const {
  return XXH3_64bits_withSeed(key.data(), key.size(), Seed());
}

void Dict::Link(Node* node, uint64_t hash) {
  node_bytes_ += malloc_usable_size(node);
  Node** table = rehashing() ? table1_ : table0_;
  size_t mask = (rehashing() ? size1_ : size0_) - 1;
  Node*& head = table[hash & mask];
  node->next = head;
  head = node;
}

Dict::Node** Dict::Locate(std::string_view key, uint64_t hash) {
  if (table0_ == nullptr) return nullptr;
  size_t i0 = hash & (size0_ - 1);
  if (!rehashing() || i0 >= rehash_index_) {
    for (Node** link = &table0_[i0]; *link != nullptr; link = &(*link)->next) {
      if (KeyOf(*link) == key) return link;
    }
  }
  if (rehashing()) {
    for (Node** link = &table1_[hash & (size1_ - 1)]; *link != nullptr; link = &(*link)->next) {
      if (KeyOf(*link) == key) return link;
    }
  }
  return nullptr;
}

void Dict::RehashStep(size_t buckets) {
  size_t empty_budget = buckets * 10;
  while (rehashing() && buckets > 0) {
    if (rehash_index_ >= size0_) {
      std::free(table0_);
      table0_ = table1_;
      size0_ = size1_;
      table1_ = nullptr;
      size1_ = 0;
      rehash_index_ = 0;
      return;
    }
    Node* node = table0_[rehash_index_];
    if (node == nullptr) {
      ++rehash_index_;
      if (--empty_budget == 0) return;
      continue;
    }
    while (node != nullptr) {
      Node* next = node->next;
      Node*& head = table1_[Hash(KeyOf(node)) & (size1_ - 1)];
      node->next = head;
      head = node;
      node = next;
    }
    table0_[rehash_index_++] = nullptr;
    --buckets;
  }
}

void Dict::StartResize(size_t new_size) {
  if (table0_ == nullptr) {
    table0_ = NewTable(new_size);
    size0_ = new_size;
    return;
  }
  table1_ = NewTable(new_size);
  size1_ = new_size;
  rehash_index_ = 0;
}

void Dict::MaybeResize() {
  if (rehashing()) return;
  if (table0_ == nullptr) {
    StartResize(kMinBuckets);
  } else if (size_ >= size0_) {
    StartResize(std::bit_ceil(size_ * 2));
  } else if (size0_ > kMinBuckets && size_ * 8 < size0_) {
    StartResize(std::max(kMinBuckets, std::bit_ceil(size_ == 0 ? 1 : size_)));
  }
}

Dict::Node* Dict::Find(std::string_view key) {
  if (size_ == 0) return nullptr;
  if (rehashing()) RehashStep(1);
  Node** link = Locate(key, Hash(key));
  return link ? *link : nullptr;
}

bool Dict::Set(std::string_view key, std::string_view value) {
  if (rehashing()) RehashStep(1);
  uint64_t h = Hash(key);
  if (Node** link = Locate(key, h)) {
    if (!has_values_) return false;
    Node* old = *link;
    if (ValueOf(old) == value) return false;
    Node* node = NewNode(key, value, true);
    node->next = old->next;
    *link = node;
    node_bytes_ += malloc_usable_size(node);
    FreeNode(old);
    return false;
  }
  MaybeResize();
  Link(NewNode(key, value, has_values_), h);
  ++size_;
  return true;
}

bool Dict::Add(std::string_view key, std::string_view value) {
  if (rehashing()) RehashStep(1);
  uint64_t h = Hash(key);
  if (Locate(key, h) != nullptr) return false;
  MaybeResize();
  Link(NewNode(key, value, has_values_), h);
  ++size_;
  return true;
}

bool Dict::Erase(std::string_view key) {
  if (size_ == 0) return false;
  if (rehashing()) RehashStep(1);
  Node** link = Locate(key, Hash(key));
  if (link == nullptr) return false;
  Node* node = *link;
  *link = node->next;
  FreeNode(node);
  --size_;
  MaybeResize();
  return true;
}

void Dict::ForEach(
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  for (Node** table : {table0_, table1_}) {
    if (table == nullptr) continue;
    size_t n = table == table0_ ? size0_ : size1_;
    for (size_t i = 0; i < n; ++i) {
      for (const Node* node = table[i]; node != nullptr; node = node->next) {
        if (!visit(KeyOf(node), has_values_ ? ValueOf(node) : std::string_view())) return;
      }
    }
  }
}

bool Dict::FinishResize(size_t buckets) {
  if (rehashing()) RehashStep(buckets);
  return !rehashing();
}

size_t Dict::VisitBuckets(
    size_t bucket, size_t budget,
    const std::function<void(std::string_view key, std::string_view value)>& visit) const {
  size_t seen = 0;
  for (; bucket < size0_ && seen < budget; ++bucket) {
    for (const Node* node = table0_[bucket]; node != nullptr; node = node->next) {
      visit(KeyOf(node), has_values_ ? ValueOf(node) : std::string_view());
      ++seen;
    }
  }
  return bucket;
}

const Dict::Node* Dict::Random(std::mt19937_64& rng) const {
  // Uniform over the elements, not over the buckets: a random slot, then a random position
  // below kRandomChain that is kept only when the slot's chain reaches it (rejection), so that
  // a member sharing its bucket is as likely as one alone (SRANDMEMBER's and HRANDFIELD's
  // distribution). Only the first kRandomChain nodes of a longer chain can come out; such
  // chains are vanishingly rare with a seeded hash at a load of at most 1.
  constexpr size_t kRandomChain = 8;
  for (;;) {
    const Node* head;
    if (rehashing()) {
      size_t slots = (size0_ - rehash_index_) + size1_;
      size_t i = std::uniform_int_distribution<size_t>(0, slots - 1)(rng);
      head = i < size1_ ? table1_[i] : table0_[rehash_index_ + (i - size1_)];
    } else {
      head = table0_[std::uniform_int_distribution<size_t>(0, size0_ - 1)(rng)];
    }
    if (head == nullptr) continue;
    size_t pick = std::uniform_int_distribution<size_t>(0, kRandomChain - 1)(rng);
    const Node* n = head;
    for (size_t i = 0; i < pick && n != nullptr; ++i) n = n->next;
    if (n != nullptr) return n;
  }
}

Dict::Node** Dict::AnySlot(std::mt19937_64& rng) const {
  size_t slots = rehashing() ? (size0_ - rehash_index_) + size1_ : size0_;
  auto slot = [&](size_t i) -> Node** {
    if (!rehashing()) return &table0_[i];
    return i < size1_ ? &table1_[i] : &table0_[rehash_index_ + (i - size1_)];
  };
  size_t i = static_cast<size_t>(rng() % slots);
  Node** head = slot(i);
  while (*head == nullptr) {
    i = i + 1 == slots ? 0 : i + 1;
    head = slot(i);
  }
  size_t len = 0;
  for (const Node* n = *head; n != nullptr; n = n->next) ++len;
  for (size_t pick = static_cast<size_t>(rng() % len); pick > 0; --pick) head = &(*head)->next;
  return head;
}

std::string Dict::PopAnyRandom(std::mt19937_64& rng) {
  if (rehashing()) RehashStep(1);
  Node** link = AnySlot(rng);
  Node* node = *link;
  std::string key(KeyOf(node));
  *link = node->next;
  FreeNode(node);
  --size_;
  MaybeResize();
  return key;
}

uint64_t Dict::Scan(uint64_t cursor, const std::function<void(const Node*)>& visit) const {
  if (size_ == 0 || table0_ == nullptr) return 0;
  return table_scan::Step(cursor, size0_, rehashing() ? size1_ : 0, [&](int table, size_t i) {
    for (const Node* node = (table == 0 ? table0_ : table1_)[i]; node != nullptr;
         node = node->next) {
      visit(node);
    }
  });
}

Dict* Dict::Clone() const {
  auto* copy = new Dict(has_values_);
  if (size_ > 0) copy->StartResize(std::bit_ceil(size_));
  ForEach([&](std::string_view k, std::string_view v) {
    copy->Link(NewNode(k, v, has_values_), copy->Hash(k));
    ++copy->size_;
    return true;
  });
  return copy;
}

bool Dict::FreeSome(size_t budget) {
  while (size_ > 0 && budget > 0) {
    Node** table = table1_ != nullptr && free_pos_ < size1_ ? table1_ : table0_;
    size_t index = table == table1_ ? free_pos_ : free_pos_ - (table1_ ? size1_ : 0);
    Node*& head = table[index];
    while (head != nullptr && budget > 0) {
      Node* node = head;
      head = node->next;
      FreeNode(node);
      --size_;
      --budget;
    }
    if (head == nullptr) ++free_pos_;
  }
  return size_ == 0;
}

}  // namespace dkv::engine
