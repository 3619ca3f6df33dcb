#include "engine/container_view.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/metadata.h"
#include "engine/packed.h"
#include "engine/set_ops.h"

namespace dkv::engine {

size_t ContainerSize(const Entry* entry) {
  return entry->kind() == Kind::kHash ? HashLen(entry) : SetLen(entry);
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
  } else {
    j = nlohmann::json::array();
    for (auto& member : SortedSetMembers(entry)) j.push_back(std::move(member));
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CanonicalForm(const Entry* entry) {
  std::string out;
  if (entry->kind() == Kind::kHash) {
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

}  // namespace dkv::engine
