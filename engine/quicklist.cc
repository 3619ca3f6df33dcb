#include "engine/quicklist.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "engine/list_compress.h"
#include "engine/list_pack.h"

namespace dkv::engine::quick {

namespace {

Node* NewNode(size_t bytes) {
  void* p = std::malloc(kHeader + bytes);
  if (p == nullptr) throw std::bad_alloc();
  Node* n = static_cast<Node*>(p);
  n->prev = n->next = nullptr;
  n->count = 0;
  n->bytes = static_cast<uint32_t>(bytes);
  n->zbytes = 0;
  n->spare = 0;
  return n;
}

// Points the neighbours (or the list's ends) at `n`, after it moved.
void Relink(List* l, Node* n) {
  if (n->prev) {
    n->prev->next = n;
  } else {
    l->head = n;
  }
  if (n->next) {
    n->next->prev = n;
  } else {
    l->tail = n;
  }
}

// Resizes the block to hold `bytes` stored bytes.
Node* Resize(List* l, Node* n, size_t bytes) {
  void* p = std::realloc(n, kHeader + bytes);
  if (p == nullptr) throw std::bad_alloc();
  auto* m = static_cast<Node*>(p);
  if (m != n) Relink(l, m);
  return m;
}

// Opens `add` bytes at `off` of a plain node.
Node* Grow(List* l, Node* n, size_t off, size_t add) {
  size_t old = n->bytes;
  n = Resize(l, n, old + add);
  std::memmove(n->data() + off + add, n->data() + off, old - off);
  n->bytes = static_cast<uint32_t>(old + add);
  return n;
}

// Closes `del` bytes at `off` of a plain node.
Node* Shrink(List* l, Node* n, size_t off, size_t del) {
  std::memmove(n->data() + off, n->data() + off + del, n->bytes - off - del);
  n->bytes = static_cast<uint32_t>(n->bytes - del);
  return Resize(l, n, n->bytes);
}

void LinkAfter(List* l, Node* after, Node* n) {
  n->prev = after;
  n->next = after ? after->next : l->head;
  Relink(l, n);
  ++l->nodes;
}

void Unlink(List* l, Node* n) {
  if (n->prev) {
    n->prev->next = n->next;
  } else {
    l->head = n->next;
  }
  if (n->next) {
    n->next->prev = n->prev;
  } else {
    l->tail = n->prev;
  }
  --l->nodes;
  std::free(n);
}

// Moves the second half of `n`'s items to a new node after it; returns n's new address.
Node* Split(List* l, Node* n) {
  size_t mid = n->count / 2;
  size_t off = Locate(n->data(), n->bytes, n->count, mid);
  Node* m = NewNode(n->bytes - off);
  std::memcpy(m->data(), n->data() + off, n->bytes - off);
  m->count = n->count - static_cast<uint32_t>(mid);
  LinkAfter(l, n, m);
  n->count = static_cast<uint32_t>(mid);
  n->bytes = static_cast<uint32_t>(off);
  return Resize(l, n, off);
}

// Appends b's items to a and frees b, when both are plain and the result fits. Returns a's new
// address, or nullptr when nothing was merged.
Node* Merge(List* l, Node* a, Node* b, const Limit& limit) {
  if (a == nullptr || b == nullptr || a->zbytes != 0 || b->zbytes != 0) return nullptr;
  if (!Fits(limit, size_t{a->bytes} + b->bytes, size_t{a->count} + b->count)) return nullptr;
  size_t old = a->bytes;
  a = Resize(l, a, old + b->bytes);
  std::memcpy(a->data() + old, b->data(), b->bytes);
  a->bytes = static_cast<uint32_t>(old + b->bytes);
  a->count += b->count;
  Unlink(l, a->next);
  return a;
}

}  // namespace

Limit LimitOf(int64_t fill) {
  Limit l;
  if (fill >= 0) {
    l.count = fill == 0 ? 1 : static_cast<size_t>(fill);
    l.bytes = 8192;
  } else {
    int64_t level = fill < -5 ? 5 : -fill;
    l.bytes = size_t{4096} << (level - 1);
  }
  return l;
}

Limit Half(const Limit& l) {
  Limit h = l;
  h.bytes = kHeader + (l.bytes - kHeader) / 2;
  if (l.count != SIZE_MAX) h.count = l.count / 2;
  return h;
}

List* New() { return new List(); }

void Free(List* list) {
  Node* n = list->head;
  while (n != nullptr) {
    Node* next = n->next;
    std::free(n);
    n = next;
  }
  delete list;
}

size_t FreeSome(List* list, size_t budget) {
  size_t freed = 0;
  while (list->head != nullptr && freed < budget) {
    Node* n = list->head;
    freed += n->count;
    list->count -= n->count;
    Unlink(list, n);
  }
  return freed;
}

List* Clone(const List* list) {
  List* c = New();
  for (const Node* n = list->head; n != nullptr; n = n->next) {
    size_t stored = n->zbytes != 0 ? n->zbytes : n->bytes;
    Node* m = NewNode(stored);
    std::memcpy(m, n, kHeader + stored);
    LinkAfter(c, c->tail, m);
  }
  c->count = list->count;
  return c;
}

size_t Bytes(const List* list) {
  size_t total = sizeof(List);
  for (const Node* n = list->head; n != nullptr; n = n->next) {
    total += kHeader + (n->zbytes != 0 ? n->zbytes : n->bytes);
  }
  return total;
}

void AppendNode(List* list, std::string_view items, size_t count) {
  Node* n = NewNode(items.size());
  if (!items.empty()) std::memcpy(n->data(), items.data(), items.size());
  n->count = static_cast<uint32_t>(count);
  LinkAfter(list, list->tail, n);
  list->count += count;
}

Node* Plain(List* list, Node* node) {
  if (node->zbytes == 0) return node;
  Node* m = NewNode(node->bytes);
  *m = *node;
  m->zbytes = 0;
  lzf::Decompress(node->data(), node->zbytes, m->data(), node->bytes);
  std::free(node);
  Relink(list, m);
  return m;
}

namespace {

// Compresses `n` when that saves enough; returns its new address.
Node* Pack(List* l, Node* n) {
  if (n->zbytes != 0 || n->bytes < 48) return n;
  std::string out;
  if (!lzf::Compress(n->data(), n->bytes, &out) || out.size() + 8 > n->bytes) return n;
  Node* m = NewNode(out.size());
  *m = *n;
  m->zbytes = static_cast<uint32_t>(out.size());
  std::memcpy(m->data(), out.data(), out.size());
  std::free(n);
  Relink(l, m);
  return m;
}

}  // namespace

void Compress(List* list, int64_t depth, Node* touched) {
  if (depth <= 0) return;
  auto d = static_cast<size_t>(depth);
  if (list->nodes <= 2 * d) {
    for (Node* n = list->head; n != nullptr; n = n->next) n = Plain(list, n);
    return;
  }
  std::vector<Node*> ends;
  Node* h = list->head;
  Node* t = list->tail;
  for (size_t i = 0; i < d; ++i) {
    h = Plain(list, h);
    ends.push_back(h);
    h = h->next;
  }
  for (size_t i = 0; i < d; ++i) {
    t = Plain(list, t);
    ends.push_back(t);
    t = t->prev;
  }
  // h and t are the innermost nodes past the plain ends; a node written in the middle (and the
  // node a split made after it) get compressed again too.
  Node* cand[4] = {h, t, touched, touched != nullptr ? touched->next : nullptr};
  for (size_t i = 0; i < 4; ++i) {
    Node* c = cand[i];
    if (c == nullptr) continue;
    bool skip = false;
    for (size_t j = 0; j < i && !skip; ++j) skip = cand[j] == c;
    for (Node* e : ends) skip = skip || e == c;
    if (!skip) Pack(list, c);
  }
}

void CompressAll(List* list, int64_t depth) {
  if (depth <= 0 || list->nodes <= 2 * static_cast<size_t>(depth)) return;
  size_t i = 0;
  size_t last = list->nodes - static_cast<size_t>(depth);
  for (Node* n = list->head; n != nullptr; n = n->next, ++i) {
    if (i >= static_cast<size_t>(depth) && i < last) n = Pack(list, n);
  }
}

void Push(List* list, bool head, std::string_view element, const Limit& limit) {
  size_t size = listpack::ItemSize(element);
  Node* n = head ? list->head : list->tail;
  if (n != nullptr) n = Plain(list, n);
  if (n != nullptr && Fits(limit, n->bytes + size, n->count + 1)) {
    size_t off = head ? 0 : n->bytes;
    n = Grow(list, n, off, size);
    listpack::WriteItem(n->data() + off, element);
    ++n->count;
  } else {
    Node* m = NewNode(size);
    listpack::WriteItem(m->data(), element);
    m->count = 1;
    LinkAfter(list, head ? nullptr : list->tail, m);
  }
  ++list->count;
}

void Pop(List* list, bool head, std::string* out) {
  Node* n = Plain(list, head ? list->head : list->tail);
  const char* p = head ? n->data() : listpack::PrevStart(n->data() + n->bytes);
  listpack::Item it = listpack::Decode(p);
  char buf[24];
  out->assign(listpack::Text(it, buf));
  --list->count;
  if (n->count == 1) {
    Unlink(list, n);
    return;
  }
  --n->count;
  Shrink(list, n, static_cast<size_t>(p - n->data()), it.size);
}

size_t Locate(const char* data, size_t bytes, size_t count, size_t index) {
  if (index < count / 2 + 1) {
    const char* p = data;
    for (size_t i = 0; i < index; ++i) p += listpack::Decode(p).size;
    return static_cast<size_t>(p - data);
  }
  const char* p = data + bytes;
  for (size_t i = count; i > index; --i) p = listpack::PrevStart(p);
  return static_cast<size_t>(p - data);
}

Pos Seek(List* list, size_t index) {
  Node* n = nullptr;
  if (index < list->count / 2) {
    n = list->head;
    while (index >= n->count) {
      index -= n->count;
      n = n->next;
    }
  } else {
    size_t r = list->count - 1 - index;
    n = list->tail;
    while (r >= n->count) {
      r -= n->count;
      n = n->prev;
    }
    index = n->count - 1 - r;
  }
  n = Plain(list, n);
  return {n, Locate(n->data(), n->bytes, n->count, index)};
}

void Get(const Pos& pos, std::string* out) {
  char buf[24];
  out->assign(listpack::Text(listpack::Decode(pos.node->data() + pos.off), buf));
}

Node* Replace(List* list, Pos pos, std::string_view element, const Limit& limit) {
  Node* n = pos.node;
  size_t old = listpack::Decode(n->data() + pos.off).size;
  size_t size = listpack::ItemSize(element);
  if (size > old) {
    n = Grow(list, n, pos.off + old, size - old);
  } else if (size < old) {
    n = Shrink(list, n, pos.off + size, old - size);
  }
  listpack::WriteItem(n->data() + pos.off, element);
  if (n->count > 1 && !Fits(limit, n->bytes, n->count)) n = Split(list, n);
  return n;
}

Node* Insert(List* list, Pos pos, bool before, std::string_view element, const Limit& limit) {
  Node* n = pos.node;
  size_t off = before ? pos.off : pos.off + listpack::Decode(n->data() + pos.off).size;
  size_t size = listpack::ItemSize(element);
  // At a full node's edge, the neighbour (or a new node) takes the element, as Redis does.
  if (!Fits(limit, n->bytes + size, n->count + 1) && (off == 0 || off == n->bytes)) {
    bool at_head = off == 0;
    Node* side = at_head ? n->prev : n->next;
    if (side != nullptr) side = Plain(list, side);
    if (side != nullptr && Fits(limit, side->bytes + size, side->count + 1)) {
      size_t o = at_head ? side->bytes : 0;
      side = Grow(list, side, o, size);
      listpack::WriteItem(side->data() + o, element);
      ++side->count;
      ++list->count;
      return side;
    }
    Node* m = NewNode(size);
    listpack::WriteItem(m->data(), element);
    m->count = 1;
    LinkAfter(list, at_head ? n->prev : n, m);
    ++list->count;
    return m;
  }
  n = Grow(list, n, off, size);
  listpack::WriteItem(n->data() + off, element);
  ++n->count;
  ++list->count;
  if (n->count > 1 && !Fits(limit, n->bytes, n->count)) n = Split(list, n);
  return n;
}

void TrimEnd(List* list, bool head, size_t n) {
  while (n > 0) {
    Node* x = head ? list->head : list->tail;
    if (n >= x->count) {
      n -= x->count;
      list->count -= x->count;
      Unlink(list, x);
      continue;
    }
    x = Plain(list, x);
    if (head) {
      size_t off = Locate(x->data(), x->bytes, x->count, n);
      x = Shrink(list, x, 0, off);
    } else {
      size_t off = Locate(x->data(), x->bytes, x->count, x->count - n);
      x = Shrink(list, x, off, x->bytes - off);
    }
    x->count -= static_cast<uint32_t>(n);
    list->count -= n;
    n = 0;
  }
}

size_t RemoveEqual(List* list, size_t max, bool from_tail, std::string_view element,
                   const Limit& limit) {
  size_t removed = 0;
  Node* n = from_tail ? list->tail : list->head;
  std::vector<std::pair<size_t, size_t>> hits;  // offset, size
  char buf[24];
  while (n != nullptr && removed < max) {
    n = Plain(list, n);
    Node* following = from_tail ? n->prev : n->next;
    hits.clear();
    const char* p = n->data();
    for (uint32_t i = 0; i < n->count; ++i) {
      listpack::Item it = listpack::Decode(p);
      if (listpack::Text(it, buf) == element) {
        hits.emplace_back(static_cast<size_t>(p - n->data()), it.size);
      }
      p += it.size;
    }
    size_t take = std::min(hits.size(), max - removed);
    if (take > 0) {
      size_t first = from_tail ? hits.size() - take : 0;
      // Compacts the node in place, skipping the chosen hits.
      char* d = n->data();
      size_t write = hits[first].first;
      for (size_t k = first; k < first + take; ++k) {
        size_t seg_start = hits[k].first + hits[k].second;
        size_t seg_end = k + 1 < first + take ? hits[k + 1].first : n->bytes;
        std::memmove(d + write, d + seg_start, seg_end - seg_start);
        write += seg_end - seg_start;
      }
      n->count -= static_cast<uint32_t>(take);
      list->count -= take;
      removed += take;
      if (n->count == 0) {
        Unlink(list, n);
      } else {
        n->bytes = static_cast<uint32_t>(write);
        n = Resize(list, n, write);
        // Merges with the neighbour already visited, when both fit in one node.
        if (from_tail) {
          Merge(list, n, n->next, limit);
        } else if (n->prev != nullptr) {
          Merge(list, n->prev, n, limit);
        }
      }
    }
    n = following;
  }
  return removed;
}

}  // namespace dkv::engine::quick
