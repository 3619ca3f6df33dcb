#include "engine/art.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/database.h"

namespace dkv::engine {
namespace art {

enum NodeType : uint8_t { kNode4, kNode16, kNode48, kNode256 };
constexpr uint32_t kMaxStoredPrefix = 8;

// Common header, 32 bytes, whose last 4 bytes are Node4's edge bytes: a Node4 is 64 bytes (a
// jemalloc size class), which matters in sparse keyspaces where most inner nodes are small. Only
// the first kMaxStoredPrefix bytes of a compressed path are kept in the node; the rest is read from
// any leaf below (all share it), as in the paper's optimistic path compression. Subtree counts are
// 32-bit: a namespace holds at most 2^32 - 1 keys.
struct Node {
  NodeType type;
  uint8_t pad;
  uint16_t num_children;
  uint32_t prefix_len;
  Entry* terminal;  // the entry whose key ends exactly at the end of this node's prefix
  uint8_t prefix[kMaxStoredPrefix];
  uint32_t count;    // entries in this subtree, terminal included
  uint8_t keys4[4];  // Node4's edge bytes, here so that they fill the header's last 4 bytes
};
struct Node4 : Node {
  Ref children[4];
};
static_assert(sizeof(Node4) == 64, "Node4 fills one 64-byte size class");
struct Node16 : Node {
  uint8_t keys[16];
  Ref children[16];
};
struct Node48 : Node {
  uint8_t index[256];  // child slot + 1; 0 = none
  Ref children[48];
};
struct Node256 : Node {
  Ref children[256];
};

namespace {

bool IsLeaf(Ref r) { return (r & 1) != 0; }
Entry* AsLeaf(Ref r) { return reinterpret_cast<Entry*>(r & ~static_cast<uintptr_t>(1)); }
Node* AsNode(Ref r) { return reinterpret_cast<Node*>(r); }
Ref LeafRef(Entry* e) { return reinterpret_cast<uintptr_t>(e) | 1; }
Ref NodeRef(Node* n) { return reinterpret_cast<uintptr_t>(n); }
uint64_t CountOf(Ref r) { return r == 0 ? 0 : IsLeaf(r) ? 1 : AsNode(r)->count; }

template <typename T>
T* NewNode(NodeType type) {
  void* mem = std::calloc(1, sizeof(T));
  if (mem == nullptr) throw std::bad_alloc();
  T* n = static_cast<T*>(mem);
  n->type = type;
  return n;
}

void FreeNode(Node* n) { std::free(n); }

void CopyHeader(Node* to, const Node* from) {
  to->num_children = from->num_children;
  to->prefix_len = from->prefix_len;
  std::memcpy(to->prefix, from->prefix, kMaxStoredPrefix);
  to->count = from->count;
  to->terminal = from->terminal;
}

// The smallest entry below `r` (a terminal is smaller than anything below its node).
Entry* MinEntry(Ref r) {
  while (r != 0 && !IsLeaf(r)) {
    Node* n = AsNode(r);
    if (n->terminal != nullptr) return n->terminal;
    switch (n->type) {
      case kNode4:
        r = static_cast<Node4*>(n)->children[0];
        break;
      case kNode16:
        r = static_cast<Node16*>(n)->children[0];
        break;
      case kNode48: {
        auto* n48 = static_cast<Node48*>(n);
        r = 0;
        for (int b = 0; b < 256 && r == 0; ++b) {
          if (n48->index[b]) r = n48->children[n48->index[b] - 1];
        }
        break;
      }
      case kNode256: {
        auto* n256 = static_cast<Node256*>(n);
        r = 0;
        for (int b = 0; b < 256 && r == 0; ++b) r = n256->children[b];
        break;
      }
    }
  }
  return r == 0 ? nullptr : AsLeaf(r);
}

// Byte i of node n's compressed path, whose first byte sits at key offset `depth`.
uint8_t PrefixByte(const Node* n, size_t depth, uint32_t i) {
  if (i < kMaxStoredPrefix) return n->prefix[i];
  Entry* e = MinEntry(NodeRef(const_cast<Node*>(n)));
  return static_cast<uint8_t>(e->key()[depth + i]);
}

void SetPrefixFrom(Node* n, std::string_view src, uint32_t len) {
  n->prefix_len = len;
  std::memset(n->prefix, 0, kMaxStoredPrefix);
  std::memcpy(n->prefix, src.data(), std::min<uint32_t>(len, kMaxStoredPrefix));
}

Ref* FindChild(Node* n, uint8_t b) {
  switch (n->type) {
    case kNode4: {
      auto* m = static_cast<Node4*>(n);
      for (int i = 0; i < m->num_children; ++i) {
        if (m->keys4[i] == b) return &m->children[i];
      }
      return nullptr;
    }
    case kNode16: {
      auto* m = static_cast<Node16*>(n);
      for (int i = 0; i < m->num_children; ++i) {
        if (m->keys[i] == b) return &m->children[i];
      }
      return nullptr;
    }
    case kNode48: {
      auto* m = static_cast<Node48*>(n);
      return m->index[b] ? &m->children[m->index[b] - 1] : nullptr;
    }
    case kNode256: {
      auto* m = static_cast<Node256*>(n);
      return m->children[b] ? &m->children[b] : nullptr;
    }
  }
  return nullptr;
}

// Next child at byte >= from, in byte order. Returns false when there is none.
bool NextChild(const Node* n, int from, uint8_t* byte, Ref* child) {
  switch (n->type) {
    case kNode4:
    case kNode16: {
      const uint8_t* keys = n->type == kNode4 ? n->keys4 : static_cast<const Node16*>(n)->keys;
      const Ref* kids = n->type == kNode4 ? static_cast<const Node4*>(n)->children
                                          : static_cast<const Node16*>(n)->children;
      for (int i = 0; i < n->num_children; ++i) {
        if (keys[i] >= from) {
          *byte = keys[i];
          *child = kids[i];
          return true;
        }
      }
      return false;
    }
    case kNode48: {
      auto* m = static_cast<const Node48*>(n);
      for (int b = from; b < 256; ++b) {
        if (m->index[b]) {
          *byte = static_cast<uint8_t>(b);
          *child = m->children[m->index[b] - 1];
          return true;
        }
      }
      return false;
    }
    case kNode256: {
      auto* m = static_cast<const Node256*>(n);
      for (int b = from; b < 256; ++b) {
        if (m->children[b]) {
          *byte = static_cast<uint8_t>(b);
          *child = m->children[b];
          return true;
        }
      }
      return false;
    }
  }
  return false;
}

// Adds a child; the node may be replaced by a bigger one (then *slot is updated).
void AddChild(Ref* slot, Node* n, uint8_t b, Ref child) {
  switch (n->type) {
    case kNode4:
    case kNode16: {
      int cap = n->type == kNode4 ? 4 : 16;
      if (n->num_children < cap) {
        uint8_t* keys = n->type == kNode4 ? n->keys4 : static_cast<Node16*>(n)->keys;
        Ref* kids = n->type == kNode4 ? static_cast<Node4*>(n)->children
                                      : static_cast<Node16*>(n)->children;
        int i = 0;
        while (i < n->num_children && keys[i] < b) ++i;
        std::memmove(keys + i + 1, keys + i, static_cast<size_t>(n->num_children - i));
        std::memmove(kids + i + 1, kids + i,
                     sizeof(Ref) * static_cast<size_t>(n->num_children - i));
        keys[i] = b;
        kids[i] = child;
        n->num_children++;
        return;
      }
      if (n->type == kNode4) {
        auto* old = static_cast<Node4*>(n);
        auto* bigger = NewNode<Node16>(kNode16);
        CopyHeader(bigger, old);
        std::memcpy(bigger->keys, old->keys4, 4);
        std::memcpy(bigger->children, old->children, sizeof(Ref) * 4);
        *slot = NodeRef(bigger);
        FreeNode(old);
        return AddChild(slot, bigger, b, child);
      }
      auto* old = static_cast<Node16*>(n);
      auto* bigger = NewNode<Node48>(kNode48);
      CopyHeader(bigger, old);
      for (int i = 0; i < 16; ++i) {
        bigger->children[i] = old->children[i];
        bigger->index[old->keys[i]] = static_cast<uint8_t>(i + 1);
      }
      *slot = NodeRef(bigger);
      FreeNode(old);
      return AddChild(slot, bigger, b, child);
    }
    case kNode48: {
      auto* m = static_cast<Node48*>(n);
      if (m->num_children < 48) {
        int pos = 0;
        while (m->children[pos] != 0) ++pos;
        m->children[pos] = child;
        m->index[b] = static_cast<uint8_t>(pos + 1);
        m->num_children++;
        return;
      }
      auto* bigger = NewNode<Node256>(kNode256);
      CopyHeader(bigger, m);
      for (int i = 0; i < 256; ++i) {
        if (m->index[i]) bigger->children[i] = m->children[m->index[i] - 1];
      }
      *slot = NodeRef(bigger);
      FreeNode(m);
      return AddChild(slot, bigger, b, child);
    }
    case kNode256: {
      auto* m = static_cast<Node256*>(n);
      m->children[b] = child;
      m->num_children++;
      return;
    }
  }
}

// Removes the child at byte b; the node may be replaced by a smaller one.
void RemoveChild(Ref* slot, Node* n, uint8_t b) {
  switch (n->type) {
    case kNode4:
    case kNode16: {
      uint8_t* keys = n->type == kNode4 ? n->keys4 : static_cast<Node16*>(n)->keys;
      Ref* kids =
          n->type == kNode4 ? static_cast<Node4*>(n)->children : static_cast<Node16*>(n)->children;
      int i = 0;
      while (i < n->num_children && keys[i] != b) ++i;
      if (i == n->num_children) return;
      std::memmove(keys + i, keys + i + 1, static_cast<size_t>(n->num_children - i - 1));
      std::memmove(kids + i, kids + i + 1,
                   sizeof(Ref) * static_cast<size_t>(n->num_children - i - 1));
      n->num_children--;
      kids[n->num_children] = 0;
      if (n->type == kNode16 && n->num_children <= 3) {
        auto* old = static_cast<Node16*>(n);
        auto* smaller = NewNode<Node4>(kNode4);
        CopyHeader(smaller, old);
        std::memcpy(smaller->keys4, old->keys, old->num_children);
        std::memcpy(smaller->children, old->children, sizeof(Ref) * old->num_children);
        *slot = NodeRef(smaller);
        FreeNode(old);
      }
      return;
    }
    case kNode48: {
      auto* m = static_cast<Node48*>(n);
      if (!m->index[b]) return;
      m->children[m->index[b] - 1] = 0;
      m->index[b] = 0;
      m->num_children--;
      if (m->num_children <= 12) {
        auto* smaller = NewNode<Node16>(kNode16);
        CopyHeader(smaller, m);
        int j = 0;
        for (int k = 0; k < 256; ++k) {
          if (m->index[k]) {
            smaller->keys[j] = static_cast<uint8_t>(k);
            smaller->children[j] = m->children[m->index[k] - 1];
            ++j;
          }
        }
        *slot = NodeRef(smaller);
        FreeNode(m);
      }
      return;
    }
    case kNode256: {
      auto* m = static_cast<Node256*>(n);
      if (!m->children[b]) return;
      m->children[b] = 0;
      m->num_children--;
      if (m->num_children <= 36) {
        auto* smaller = NewNode<Node48>(kNode48);
        CopyHeader(smaller, m);
        int pos = 0;
        for (int k = 0; k < 256; ++k) {
          if (m->children[k]) {
            smaller->children[pos] = m->children[k];
            smaller->index[k] = static_cast<uint8_t>(pos + 1);
            ++pos;
          }
        }
        *slot = NodeRef(smaller);
        FreeNode(m);
      }
      return;
    }
  }
}

// After a removal: a node left with a single thing collapses into it. `depth` is the key offset
// of the node's first prefix byte.
void MaybeCollapse(Ref* slot, size_t depth) {
  Node* n = AsNode(*slot);
  int things = n->num_children + (n->terminal ? 1 : 0);
  if (things > 1) return;
  if (things == 0) {
    *slot = 0;
    FreeNode(n);
    return;
  }
  if (n->terminal != nullptr) {
    *slot = LeafRef(n->terminal);
    FreeNode(n);
    return;
  }
  uint8_t b = 0;
  Ref child = 0;
  NextChild(n, 0, &b, &child);
  if (!IsLeaf(child)) {
    // Merge paths: node prefix + edge byte + child prefix.
    Node* c = AsNode(child);
    std::string_view k = MinEntry(child)->key();
    uint32_t len = n->prefix_len + 1 + c->prefix_len;
    SetPrefixFrom(c, k.substr(depth), len);
  }
  *slot = child;
  FreeNode(n);
}

void FreeRecursively(Ref root, const std::function<void(Entry*)>* on_entry) {
  std::vector<Ref> stack;
  if (root != 0) stack.push_back(root);
  while (!stack.empty()) {
    Ref r = stack.back();
    stack.pop_back();
    if (IsLeaf(r)) {
      if (on_entry) (*on_entry)(AsLeaf(r));
      continue;
    }
    Node* n = AsNode(r);
    if (n->terminal && on_entry) (*on_entry)(n->terminal);
    uint8_t b = 0;
    Ref child = 0;
    for (int from = 0; NextChild(n, from, &b, &child); from = b + 1) stack.push_back(child);
    FreeNode(n);
  }
}

}  // namespace
}  // namespace art

using namespace art;

// ---------------------------------------------------------------------------------------------

DetachedTree::DetachedTree(Ref root, size_t count) : count_(count) {
  if (root != 0) stack_.push_back(root);
}

DetachedTree::DetachedTree(DetachedTree&& other) noexcept
    : stack_(std::move(other.stack_)), count_(other.count_) {
  other.stack_.clear();
  other.count_ = 0;
}

DetachedTree& DetachedTree::operator=(DetachedTree&& other) noexcept {
  if (this != &other) {
    for (Ref r : stack_) FreeRecursively(r, nullptr);
    stack_ = std::move(other.stack_);
    count_ = other.count_;
    other.stack_.clear();
    other.count_ = 0;
  }
  return *this;
}

DetachedTree::~DetachedTree() {
  for (Ref r : stack_) FreeRecursively(r, nullptr);
}

bool DetachedTree::FreeSome(size_t max_entries, const std::function<void(Entry*)>& on_entry) {
  size_t handed = 0;
  while (!stack_.empty() && handed < max_entries) {
    Ref r = stack_.back();
    stack_.pop_back();
    if (IsLeaf(r)) {
      on_entry(AsLeaf(r));
      ++handed;
      continue;
    }
    Node* n = AsNode(r);
    if (n->terminal) {
      on_entry(n->terminal);
      ++handed;
    }
    uint8_t b = 0;
    Ref child = 0;
    for (int from = 0; NextChild(n, from, &b, &child); from = b + 1) stack_.push_back(child);
    FreeNode(n);
  }
  return stack_.empty();
}

// ---------------------------------------------------------------------------------------------

ArtTree::~ArtTree() { FreeRecursively(root_, nullptr); }

size_t ArtTree::size() const { return CountOf(root_); }

Entry* ArtTree::Find(std::string_view key) const {
  Ref r = root_;
  size_t depth = 0;
  while (r != 0) {
    if (IsLeaf(r)) {
      Entry* e = AsLeaf(r);
      return e->key() == key ? e : nullptr;
    }
    Node* n = AsNode(r);
    if (n->prefix_len > 0) {
      if (key.size() < depth + n->prefix_len) return nullptr;
      uint32_t stored = std::min(n->prefix_len, kMaxStoredPrefix);
      if (std::memcmp(n->prefix, key.data() + depth, stored) != 0) return nullptr;
      depth += n->prefix_len;  // optimistic beyond the stored bytes; the leaf check decides
    }
    if (depth == key.size()) {
      Entry* e = n->terminal;
      return e != nullptr && e->key() == key ? e : nullptr;
    }
    Ref* child = FindChild(n, static_cast<uint8_t>(key[depth]));
    if (child == nullptr) return nullptr;
    r = *child;
    ++depth;
  }
  return nullptr;
}

Entry* ArtTree::Insert(Entry* entry) {
  const std::string_view key = entry->key();
  Ref* slot = &root_;
  size_t depth = 0;
  std::vector<Node*> path;  // counts already incremented; undone if the key exists
  auto undo = [&](Entry* existing) {
    for (Node* n : path) n->count--;
    return existing;
  };
  while (true) {
    Ref r = *slot;
    if (r == 0) {
      *slot = LeafRef(entry);
      return nullptr;
    }
    if (IsLeaf(r)) {
      Entry* existing = AsLeaf(r);
      std::string_view ek = existing->key();
      if (ek == key) return undo(existing);
      size_t limit = std::min(ek.size(), key.size());
      size_t lcp = depth;
      while (lcp < limit && ek[lcp] == key[lcp]) ++lcp;
      auto* n = NewNode<Node4>(kNode4);
      SetPrefixFrom(n, key.substr(depth), static_cast<uint32_t>(lcp - depth));
      n->count = 2;
      Ref node_ref = NodeRef(n);
      if (ek.size() == lcp) {
        n->terminal = existing;
      } else {
        AddChild(&node_ref, n, static_cast<uint8_t>(ek[lcp]), r);
      }
      if (key.size() == lcp) {
        n->terminal = entry;
      } else {
        AddChild(&node_ref, AsNode(node_ref), static_cast<uint8_t>(key[lcp]), LeafRef(entry));
      }
      *slot = node_ref;
      return nullptr;
    }
    Node* n = AsNode(r);
    if (n->prefix_len > 0) {
      uint32_t mismatch = 0;
      while (mismatch < n->prefix_len && depth + mismatch < key.size() &&
             PrefixByte(n, depth, mismatch) == static_cast<uint8_t>(key[depth + mismatch])) {
        ++mismatch;
      }
      if (mismatch < n->prefix_len) {
        // The key leaves the compressed path: split it with a new node.
        std::string_view full = MinEntry(r)->key();
        auto* parent = NewNode<Node4>(kNode4);
        SetPrefixFrom(parent, full.substr(depth), mismatch);
        parent->count = n->count + 1;
        uint8_t edge = static_cast<uint8_t>(full[depth + mismatch]);
        uint32_t rest = n->prefix_len - mismatch - 1;
        SetPrefixFrom(n, full.substr(depth + mismatch + 1), rest);
        Ref parent_ref = NodeRef(parent);
        AddChild(&parent_ref, parent, edge, r);
        if (key.size() == depth + mismatch) {
          parent->terminal = entry;
        } else {
          AddChild(&parent_ref, parent, static_cast<uint8_t>(key[depth + mismatch]),
                   LeafRef(entry));
        }
        *slot = parent_ref;
        return nullptr;
      }
      depth += n->prefix_len;
    }
    n->count++;
    path.push_back(n);
    if (depth == key.size()) {
      if (n->terminal != nullptr) return undo(n->terminal);
      n->terminal = entry;
      return nullptr;
    }
    uint8_t b = static_cast<uint8_t>(key[depth]);
    Ref* child = FindChild(n, b);
    if (child == nullptr) {
      AddChild(slot, n, b, LeafRef(entry));
      return nullptr;
    }
    slot = child;
    ++depth;
  }
}

namespace {
struct PathStep {
  Ref* slot;
  size_t depth;  // key offset of the node's first prefix byte
};
}  // namespace

Entry* ArtTree::Erase(std::string_view key) {
  Ref* slot = &root_;
  size_t depth = 0;
  std::vector<PathStep> path;
  while (true) {
    Ref r = *slot;
    if (r == 0) return nullptr;
    if (IsLeaf(r)) {
      Entry* e = AsLeaf(r);
      if (e->key() != key) return nullptr;
      for (const PathStep& s : path) AsNode(*s.slot)->count--;
      if (path.empty()) {
        root_ = 0;
        return e;
      }
      const PathStep& parent = path.back();
      Node* p = AsNode(*parent.slot);
      RemoveChild(parent.slot, p, static_cast<uint8_t>(key[depth - 1]));
      MaybeCollapse(parent.slot, parent.depth);
      return e;
    }
    Node* n = AsNode(r);
    if (n->prefix_len > 0) {
      if (key.size() < depth + n->prefix_len) return nullptr;
      uint32_t stored = std::min(n->prefix_len, kMaxStoredPrefix);
      if (std::memcmp(n->prefix, key.data() + depth, stored) != 0) return nullptr;
    }
    path.push_back({slot, depth});
    depth += n->prefix_len;
    if (depth == key.size()) {
      Entry* e = n->terminal;
      if (e == nullptr || e->key() != key) return nullptr;
      for (const PathStep& s : path) AsNode(*s.slot)->count--;
      n->terminal = nullptr;
      MaybeCollapse(slot, path.back().depth);
      return e;
    }
    Ref* child = FindChild(n, static_cast<uint8_t>(key[depth]));
    if (child == nullptr) return nullptr;
    slot = child;
    ++depth;
  }
}

void ArtTree::Replace(std::string_view key, Entry* moved) {
  Ref* slot = &root_;
  size_t depth = 0;
  while (*slot != 0) {
    if (IsLeaf(*slot)) {
      *slot = LeafRef(moved);
      return;
    }
    Node* n = AsNode(*slot);
    depth += n->prefix_len;
    if (depth == key.size()) {
      n->terminal = moved;
      return;
    }
    Ref* child = FindChild(n, static_cast<uint8_t>(key[depth]));
    if (child == nullptr) return;
    slot = child;
    ++depth;
  }
}

namespace {
// Finds the slot under which exactly the keys starting with `prefix` live. Fills `path` with the
// inner nodes above it when given.
Ref* SeekPrefix(Ref* root, std::string_view prefix, std::vector<PathStep>* path) {
  Ref* slot = root;
  size_t depth = 0;
  while (*slot != 0) {
    Ref r = *slot;
    if (IsLeaf(r)) {
      return AsLeaf(r)->key().substr(0, prefix.size()) == prefix ? slot : nullptr;
    }
    Node* n = AsNode(r);
    for (uint32_t i = 0; i < n->prefix_len; ++i) {
      if (depth + i == prefix.size()) return slot;  // the prefix ends inside the path
      if (PrefixByte(n, depth, i) != static_cast<uint8_t>(prefix[depth + i])) return nullptr;
    }
    if (depth + n->prefix_len == prefix.size()) return slot;
    if (path) path->push_back({slot, depth});
    depth += n->prefix_len;
    Ref* child = FindChild(n, static_cast<uint8_t>(prefix[depth]));
    if (child == nullptr) return nullptr;
    slot = child;
    ++depth;
  }
  return nullptr;
}
}  // namespace

size_t ArtTree::CountPrefix(std::string_view prefix) const {
  Ref root = root_;
  Ref* slot = SeekPrefix(&root, prefix, nullptr);
  return slot == nullptr ? 0 : CountOf(*slot);
}

DetachedTree ArtTree::DetachPrefix(std::string_view prefix) {
  std::vector<PathStep> path;
  Ref* slot = SeekPrefix(&root_, prefix, &path);
  if (slot == nullptr) return DetachedTree();
  Ref cut = *slot;
  size_t count = CountOf(cut);
  for (const PathStep& s : path) AsNode(*s.slot)->count -= static_cast<uint32_t>(count);
  if (path.empty()) {
    root_ = 0;
  } else {
    const PathStep& parent = path.back();
    Node* p = AsNode(*parent.slot);
    // The edge byte into the cut subtree is the byte after the parent's path.
    size_t edge_at = parent.depth + p->prefix_len;
    RemoveChild(parent.slot, p, static_cast<uint8_t>(prefix[edge_at]));
    MaybeCollapse(parent.slot, parent.depth);
  }
  return DetachedTree(cut, count);
}

void ArtTree::Walk(std::string_view prefix, std::string_view start, bool exclusive,
                   const std::function<bool(Entry*)>& visit) const {
  if (start.size() < prefix.size() || start.substr(0, prefix.size()) != prefix) {
    start = prefix;
    exclusive = false;
  }
  struct Frame {
    Ref ref;
    size_t depth;  // key offset of the node's first prefix byte
    int next;      // -2: not entered; -1: terminal next; 0..256: next child byte
    bool bounded;  // keys here may still be < start
  };
  std::vector<Frame> stack;
  if (root_ != 0) stack.push_back({root_, 0, -2, true});
  auto in_range = [&](std::string_view k) {
    if (k.substr(0, prefix.size()) != prefix) return false;
    int c = k.compare(start);
    return exclusive ? c > 0 : c >= 0;
  };
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (IsLeaf(f.ref)) {
      Entry* e = AsLeaf(f.ref);
      stack.pop_back();
      std::string_view k = e->key();
      if (in_range(k)) {
        if (!visit(e)) return;
      } else if (k.compare(start) > 0) {
        return;  // past the prefix range: everything after is too
      }
      continue;
    }
    Node* n = AsNode(f.ref);
    if (f.next == -2) {
      f.next = -1;
      if (f.bounded) {
        // Compare the node's path with start; decide whether the bound still matters.
        int decided = 0;  // 1: all keys here > start; -1: all < start
        uint32_t i = 0;
        for (; i < n->prefix_len; ++i) {
          if (f.depth + i >= start.size()) {
            decided = 1;  // start ends inside the path: every key here is longer, so greater
            break;
          }
          uint8_t pb = PrefixByte(n, f.depth, i);
          uint8_t sb = static_cast<uint8_t>(start[f.depth + i]);
          if (pb != sb) {
            decided = pb > sb ? 1 : -1;
            break;
          }
        }
        if (decided < 0) {
          stack.pop_back();
          continue;
        }
        if (decided > 0) f.bounded = false;
      }
      size_t end = f.depth + n->prefix_len;
      if (f.bounded && end < start.size()) {
        // The terminal (length end) is a proper prefix of start: smaller. Children from
        // start's byte on.
        f.next = static_cast<uint8_t>(start[end]);
      }
    }
    if (f.next == -1) {
      f.next = 0;
      if (n->terminal != nullptr) {
        std::string_view k = n->terminal->key();
        if (in_range(k)) {
          if (!visit(n->terminal)) return;
        } else if (k.compare(start) > 0) {
          return;
        }
      }
    }
    uint8_t b = 0;
    Ref child = 0;
    if (f.next > 255 || !NextChild(n, f.next, &b, &child)) {
      stack.pop_back();
      continue;
    }
    size_t end = f.depth + n->prefix_len;
    bool child_bounded = f.bounded && end < start.size() && b == static_cast<uint8_t>(start[end]);
    f.next = b + 1;
    stack.push_back({child, end + 1, -2, child_bounded});
  }
}

Entry* ArtTree::Random(std::mt19937_64& rng) const {
  Ref r = root_;
  while (r != 0 && !IsLeaf(r)) {
    Node* n = AsNode(r);
    uint64_t k = rng() % n->count;
    if (n->terminal != nullptr) {
      if (k == 0) return n->terminal;
      --k;
    }
    uint8_t b = 0;
    Ref child = 0;
    for (int from = 0; NextChild(n, from, &b, &child); from = b + 1) {
      uint64_t c = CountOf(child);
      if (k < c) break;
      k -= c;
    }
    r = child;
  }
  return r == 0 ? nullptr : AsLeaf(r);
}

}  // namespace dkv::engine
