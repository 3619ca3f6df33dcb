// Read-only views of a container (a hash or a set, engine/container.h) for what shows one to a
// person or a program outside Redis' own commands: KV.GET, KV.MGET, KV.EXPORT, KV.META, the HTTP
// API, DEBUG DIGEST. The elements come in byte order, so two containers holding the same elements
// look the same whatever their encoding or history. Pure functions over an entry; the results
// are copies the caller owns. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/database.h"

namespace dkv::engine {

// REQUIRES (all below): entry->container() and not cold.

// The number of elements: fields of a hash, members of a set.
size_t ContainerSize(const Entry* entry);
// A hash's field/value pairs, by field in byte order.
std::vector<std::pair<std::string, std::string>> SortedHashFields(const Entry* entry);
// A set's members in byte order.
std::vector<std::string> SortedSetMembers(const Entry* entry);

// The container as JSON text: a hash is an object {"field": "value", ...} with its fields in
// byte order, a set an array ["member", ...] in byte order. Bytes that are not UTF-8 become
// U+FFFD, as KV.EXPORT writes binary strings.
std::string ContainerJson(const Entry* entry);

// The canonical form: the portable form (engine/container.h) of a packed container holding the
// elements in byte order (tag kHashPacked or kSetPacked, the item count, the items). Equal
// contents give equal bytes, whatever the encoding; KV.GET's checksum is XXH3-64 of it.
std::string CanonicalForm(const Entry* entry);
uint64_t ContainerChecksum(const Entry* entry);

}  // namespace dkv::engine
