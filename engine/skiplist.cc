#include "engine/skiplist.h"

#include <malloc.h>
#include <xxhash.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "engine/table_scan.h"

namespace dkv::engine {

namespace {

uint64_t Seed() {
  static const uint64_t seed =
      std::random_device{}() * 0x9E3779B97F4A7C15ULL ^ std::random_device{}();
  return seed;
}

constexpr size_t kMinBuckets = 4;

Skiplist::Node** NewTable(size_t n) {
  auto** t = static_cast<Skiplist::Node**>(std::calloc(n, sizeof(Skiplist::Node*)));
  if (t == nullptr) throw std::bad_alloc();
  return t;
}

// Whether `a` orders before (score, member).
bool Less(const Skiplist::Node* a, double score, std::string_view member) {
  return a->score < score || (a->score == score && a->member() < member);
}

}  // namespace

Skiplist::Skiplist() : head_(NewNode(kMaxLevel, {}, 0)) {
  for (int i = 0; i < kMaxLevel; ++i) {
    head_->forward()[i] = nullptr;
    head_->span()[i] = 0;
  }
}

Skiplist::~Skiplist() {
  Node* x = head_->forward()[0];
  while (x != nullptr) {
    Node* next = x->forward()[0];
    std::free(x);
    x = next;
  }
  std::free(head_);
  std::free(table0_);
  std::free(table1_);
}

size_t Skiplist::bytes() const {
  return node_bytes_ + (size0_ + size1_) * sizeof(Node*) + sizeof(Skiplist) +
         malloc_usable_size(head_);
}

Skiplist::Node* Skiplist::NewNode(int level, std::string_view member, double score) {
  size_t n = sizeof(Node) + static_cast<size_t>(level) * (sizeof(Node*) + sizeof(uint32_t)) +
             member.size();
  void* mem = std::malloc(n);
  if (mem == nullptr) throw std::bad_alloc();
  Node* node = new (mem) Node{score, nullptr, nullptr, static_cast<uint32_t>(member.size()),
                              static_cast<uint8_t>(level)};
  if (!member.empty()) {
    std::memcpy(const_cast<char*>(node->member().data()), member.data(), member.size());
  }
  return node;
}

int Skiplist::RandomLevel() {
  // p = 1/4 per level: two random bits must both be zero to climb.
  static uint64_t state = Seed() | 1;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  uint64_t bits = state;
  int level = 1;
  while (level < kMaxLevel && (bits & 3) == 0) {
    ++level;
    bits >>= 2;
  }
  return level;
}

uint64_t Skiplist::Hash(std::string_view member) const {
  return XXH3_64bits_withSeed(member.data(), member.size(), Seed());
}

Skiplist::Node* Skiplist::Find(std::string_view member) const {
  if (size_ == 0 || table0_ == nullptr) return nullptr;
  uint64_t h = Hash(member);
  size_t i0 = h & (size0_ - 1);
  if (!rehashing() || i0 >= rehash_index_) {
    for (Node* n = table0_[i0]; n != nullptr; n = n->hnext) {
      if (n->member() == member) return n;
    }
  }
  if (rehashing()) {
    for (Node* n = table1_[h & (size1_ - 1)]; n != nullptr; n = n->hnext) {
      if (n->member() == member) return n;
    }
  }
  return nullptr;
}

void Skiplist::RehashStep() {
  size_t empty_budget = 10;
  while (rehashing()) {
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
      Node* next = node->hnext;
      Node*& head = table1_[Hash(node->member()) & (size1_ - 1)];
      node->hnext = head;
      head = node;
      node = next;
    }
    table0_[rehash_index_++] = nullptr;
    return;
  }
}

void Skiplist::MaybeResize() {
  if (rehashing()) return;
  size_t want = 0;
  if (table0_ == nullptr) {
    table0_ = NewTable(kMinBuckets);
    size0_ = kMinBuckets;
    return;
  }
  if (size_ >= size0_) {
    want = std::bit_ceil(size_ * 2);
  } else if (size0_ > kMinBuckets && size_ * 8 < size0_) {
    want = std::max(kMinBuckets, std::bit_ceil(size_ == 0 ? size_t{1} : size_));
  }
  if (want == 0) return;
  table1_ = NewTable(want);
  size1_ = want;
  rehash_index_ = 0;
}

void Skiplist::Link(Node* node) {
  MaybeResize();
  Node** table = rehashing() ? table1_ : table0_;
  size_t mask = (rehashing() ? size1_ : size0_) - 1;
  Node*& head = table[Hash(node->member()) & mask];
  node->hnext = head;
  head = node;
}

void Skiplist::Unlink(Node* node) {
  uint64_t h = Hash(node->member());
  auto take = [&](Node** table, size_t size) {
    for (Node** link = &table[h & (size - 1)]; *link != nullptr; link = &(*link)->hnext) {
      if (*link == node) {
        *link = node->hnext;
        return true;
      }
    }
    return false;
  };
  if (!take(table0_, size0_) && rehashing()) take(table1_, size1_);
}

void Skiplist::LinkList(Node* node) {
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (x->forward()[i] != nullptr && Less(x->forward()[i], node->score, node->member())) {
      rank[i] += x->span()[i];
      x = x->forward()[i];
    }
    update[i] = x;
  }
  int lvl = node->level;
  if (lvl > level_) {
    for (int i = level_; i < lvl; ++i) {
      rank[i] = 0;
      update[i] = head_;
      head_->span()[i] = static_cast<uint32_t>(size_);
    }
    level_ = lvl;
  }
  for (int i = 0; i < lvl; ++i) {
    node->forward()[i] = update[i]->forward()[i];
    update[i]->forward()[i] = node;
    node->span()[i] = static_cast<uint32_t>(update[i]->span()[i] - (rank[0] - rank[i]));
    update[i]->span()[i] = static_cast<uint32_t>(rank[0] - rank[i] + 1);
  }
  for (int i = lvl; i < level_; ++i) ++update[i]->span()[i];
  node->backward = update[0] == head_ ? nullptr : update[0];
  if (node->forward()[0] != nullptr) {
    node->forward()[0]->backward = node;
  } else {
    tail_ = node;
  }
  ++size_;
}

void Skiplist::UnlinkList(Node* node, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (update[i]->forward()[i] == node) {
      update[i]->span()[i] += node->span()[i] - 1;
      update[i]->forward()[i] = node->forward()[i];
    } else {
      --update[i]->span()[i];
    }
  }
  if (node->forward()[0] != nullptr) {
    node->forward()[0]->backward = node->backward;
  } else {
    tail_ = node->backward;
  }
  while (level_ > 1 && head_->forward()[level_ - 1] == nullptr) --level_;
  --size_;
}

Skiplist::Node* Skiplist::Insert(std::string_view member, double score) {
  if (rehashing()) RehashStep();
  Node* node = NewNode(RandomLevel(), member, score);
  node_bytes_ += malloc_usable_size(node);
  LinkList(node);
  Link(node);
  return node;
}

void Skiplist::UpdateScore(Node* node, double score) {
  // Stays in place when it still sorts between its neighbours.
  Node* prev = node->backward;
  Node* next = node->forward()[0];
  if ((prev == nullptr || Less(prev, score, node->member())) &&
      (next == nullptr || !Less(next, score, node->member()))) {
    node->score = score;
    return;
  }
  Node* update[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forward()[i] != nullptr && x->forward()[i] != node &&
           Less(x->forward()[i], node->score, node->member())) {
      x = x->forward()[i];
    }
    update[i] = x;
  }
  UnlinkList(node, update);
  node->score = score;
  LinkList(node);
}

void Skiplist::Erase(Node* node) {
  if (rehashing()) RehashStep();
  Node* update[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forward()[i] != nullptr && x->forward()[i] != node &&
           Less(x->forward()[i], node->score, node->member())) {
      x = x->forward()[i];
    }
    update[i] = x;
  }
  UnlinkList(node, update);
  Unlink(node);
  node_bytes_ -= malloc_usable_size(node);
  std::free(node);
  MaybeResize();
}

Skiplist::Node* Skiplist::AtRank(size_t rank) const {
  Node* x = head_;
  size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forward()[i] != nullptr && traversed + x->span()[i] <= rank) {
      traversed += x->span()[i];
      x = x->forward()[i];
    }
    if (traversed == rank) return x;
  }
  return nullptr;
}

size_t Skiplist::RankOf(const Node* node) const {
  size_t rank = 0;
  LastWithin(
      [&](const Node* f) {
        return f->score < node->score || (f->score == node->score && f->member() <= node->member());
      },
      &rank);
  return rank;
}

uint64_t Skiplist::Scan(uint64_t cursor, const std::function<void(const Node*)>& visit) const {
  if (size_ == 0 || table0_ == nullptr) return 0;
  return table_scan::Step(cursor, size0_, rehashing() ? size1_ : 0, [&](int table, size_t i) {
    for (const Node* node = (table == 0 ? table0_ : table1_)[i]; node != nullptr;
         node = node->hnext) {
      visit(node);
    }
  });
}

Skiplist* Skiplist::Clone() const {
  auto* copy = new Skiplist();
  for (const Node* x = First(); x != nullptr; x = x->forward()[0])
    copy->Insert(x->member(), x->score);
  return copy;
}

bool Skiplist::FreeSome(size_t budget, size_t* freed) {
  *freed = 0;
  Node* x = head_->forward()[0];
  while (x != nullptr && *freed < budget) {
    Node* next = x->forward()[0];
    node_bytes_ -= malloc_usable_size(x);
    std::free(x);
    x = next;
    ++*freed;
  }
  head_->forward()[0] = x;
  // The upper levels point at freed nodes: the list is only walked at level 0 from here on.
  for (int i = 1; i < kMaxLevel; ++i) head_->forward()[i] = nullptr;
  level_ = 1;
  size_ -= std::min(size_, *freed);
  if (x == nullptr) {
    tail_ = nullptr;
    size_ = 0;
  }
  return x == nullptr;
}

}  // namespace dkv::engine
