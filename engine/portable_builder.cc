#include "engine/portable_builder.h"

#include "engine/container.h"
#include "engine/dict.h"
#include "engine/hash_ttl.h"
#include "engine/packed.h"

namespace dkv::engine {

namespace {

const void* ObjectOf(const Entry* entry) {
  if (const Dict* dict = DictOf(entry)) return dict;
  return entry->value().data();
}

}  // namespace

PortableBuilder::PortableBuilder(const Entry* entry, size_t headroom)
    : object_(ObjectOf(entry)),
      version_(entry->version()),
      size_(Elements(entry)),
      headroom_(headroom) {
  Dict* dict = DictOf(entry);
  whole_ = dict == nullptr;
  ttls_ = dict != nullptr && HasFieldTtls(dict);
}

size_t PortableBuilder::Elements(const Entry* entry) {
  if (const Dict* dict = DictOf(entry)) return dict->size();
  return entry->value_size();  // packed: bounded by its limits; a byte count is enough here
}

bool PortableBuilder::Unchanged(const Entry* entry) const {
  return entry != nullptr && entry->container() && !entry->cold() && entry->version() == version_ &&
         ObjectOf(entry) == object_ && Elements(entry) == size_;
}

bool PortableBuilder::Step(const Entry* entry, size_t budget) {
  if (whole_) {
    out_.assign(headroom_, '\0');
    out_ += Serialize(entry);
    return true;
  }
  Dict* dict = DictOf(entry);
  if (!dict->FinishResize(budget)) return false;
  if (!started_) {
    started_ = true;
    Encoding enc = ttls_                ? Encoding::kHashPackedTtl
                   : dict->has_values() ? Encoding::kHashPacked
                                        : Encoding::kSetPacked;
    size_t per = ttls_ ? 3 : dict->has_values() ? 2 : 1;
    out_.reserve(headroom_ + dict->bytes());
    out_.assign(headroom_, '\0');
    out_.push_back(static_cast<char>(enc));
    packed::AppendVarint(&out_, dict->size() * per);
  }
  bool values = dict->has_values();
  bucket_ = dict->VisitBuckets(bucket_, budget, [&](std::string_view k, std::string_view v) {
    packed::AppendItem(&out_, k);
    if (values) packed::AppendItem(&out_, v);
    if (!ttls_) return;
    int64_t when = FieldTtl(entry, k);
    if (when == 0) {
      packed::AppendItem(&out_, {});
      return;
    }
    char buf[8];
    auto w = static_cast<uint64_t>(when);
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((w >> (8 * i)) & 0xFF);
    packed::AppendItem(&out_, std::string_view(buf, 8));
  });
  return bucket_ >= dict->bucket_count();
}

}  // namespace dkv::engine
