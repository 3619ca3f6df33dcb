#include "engine/container_view.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/list_ops.h"
#include "engine/metadata.h"
#include "engine/packed.h"
#include "engine/set_ops.h"
#include "engine/stream.h"

namespace dkv::engine {
namespace {

// A score item of the kZsetPacked portable form, as engine/zset_ops.cc writes it: the IEEE 754
// double, 8 bytes little-endian.
void AppendScoreItem(std::string* out, double score) {
  uint64_t bits = std::bit_cast<uint64_t>(score);
  char bytes[8];
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
  packed::AppendItem(out, std::string_view(bytes, sizeof(bytes)));
}

}  // namespace

size_t ContainerSize(const Entry* entry) {
  switch (entry->kind()) {
    case Kind::kHash:
      return HashLen(entry);
    case Kind::kList:
      return ListLen(entry);
    case Kind::kZset:
      return ZsetLen(entry);
    case Kind::kStream: {
      const Stream* s = StreamOf(entry);
      return s != nullptr ? s->length() : 0;
    }
    default:
      return SetLen(entry);
  }
}

std::vector<std::string> ListElements(const Entry* entry) {
  std::vector<std::string> out;
  size_t n = ListLen(entry);
  out.reserve(n);
  if (n == 0) return out;
  ListRange(entry, 0, n - 1, false, [&](std::string_view element) {
    out.emplace_back(element);
    return true;
  });
  return out;
}

std::vector<ScoredMember> ZsetMembers(const Entry* entry) {
  std::vector<ScoredMember> out;
  size_t n = ZsetLen(entry);
  out.reserve(n);
  if (n == 0) return out;
  ZsetRangeByRank(entry, 0, n - 1, false, [&](std::string_view member, double score) {
    out.push_back({std::string(member), score});
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, std::string>> SortedHashFields(const Entry* entry) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(HashLen(entry));
  HashForEach(entry, [&](std::string_view field, std::string_view value) {
    out.emplace_back(field, value);
    return true;
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SortedSetMembers(const Entry* entry) {
  std::vector<std::string> out;
  out.reserve(SetLen(entry));
  SetForEach(entry, [&](std::string_view member) {
    out.emplace_back(member);
    return true;
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::string ContainerJson(const Entry* entry) {
  nlohmann::json j;
  if (entry->kind() == Kind::kHash) {
    // An object keeps its members sorted by name: byte order, as promised.
    j = nlohmann::json::object();
    for (auto& [field, value] : SortedHashFields(entry)) j[field] = std::move(value);
  } else if (entry->kind() == Kind::kList) {
    j = nlohmann::json::array();
    for (auto& element : ListElements(entry)) j.push_back(std::move(element));
  } else if (entry->kind() == Kind::kStream) {
    // Entries in ID order, each {"fields": [field, value, ...], "id": "ms-seq"} (an object's
    // members in name order, as every JSON object here): fields an array, as XRANGE answers,
    // since a stream entry may repeat a field.
    j = nlohmann::json::array();
    if (const Stream* s = StreamOf(entry)) {
      s->Range(StreamId::Min(), StreamId::Max(), false, [&](const StreamEntryView& e) {
        nlohmann::json fields = nlohmann::json::array();
        for (std::string_view item : e.items) fields.push_back(std::string(item));
        j.push_back({{"id", e.id.ToString()}, {"fields", std::move(fields)}});
        return true;
      });
    }
  } else if (entry->kind() == Kind::kZset) {
    j = nlohmann::json::object();
    for (auto& m : ZsetMembers(entry)) {
      if (std::isinf(m.score)) {
        j[m.member] = m.score > 0 ? "inf" : "-inf";
      } else {
        j[m.member] = m.score;
      }
    }
  } else {
    j = nlohmann::json::array();
    for (auto& member : SortedSetMembers(entry)) j.push_back(std::move(member));
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CanonicalForm(const Entry* entry) {
  std::string out;
  if (entry->kind() == Kind::kStream) return Serialize(entry);  // already canonical
  if (entry->kind() == Kind::kList) {
    auto elements = ListElements(entry);
    out.push_back(static_cast<char>(Encoding::kListPacked));
    packed::AppendVarint(&out, elements.size());
    for (const auto& element : elements) packed::AppendItem(&out, element);
  } else if (entry->kind() == Kind::kZset) {
    out = ZsetPortableForm(ZsetMembers(entry));
  } else if (entry->kind() == Kind::kHash) {
    auto fields = SortedHashFields(entry);
    out.push_back(static_cast<char>(Encoding::kHashPacked));
    packed::AppendVarint(&out, fields.size() * 2);
    for (const auto& [field, value] : fields) {
      packed::AppendItem(&out, field);
      packed::AppendItem(&out, value);
    }
  } else {
    auto members = SortedSetMembers(entry);
    out.push_back(static_cast<char>(Encoding::kSetPacked));
    packed::AppendVarint(&out, members.size());
    for (const auto& member : members) packed::AppendItem(&out, member);
  }
  return out;
}

uint64_t ContainerChecksum(const Entry* entry) { return Checksum(CanonicalForm(entry)); }

std::string ZsetPortableForm(const std::vector<ScoredMember>& members) {
  std::string out(1, static_cast<char>(Encoding::kZsetPacked));
  packed::AppendVarint(&out, members.size() * 2);
  for (const auto& m : members) {
    packed::AppendItem(&out, m.member);
    AppendScoreItem(&out, m.score);
  }
  return out;
}

}  // namespace dkv::engine
