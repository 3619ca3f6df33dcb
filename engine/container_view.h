// Read-only views of a container (a hash, a set, a list, a sorted set or a stream,
// engine/container.h) for
// what shows one to a person or a program outside Redis' own commands: KV.GET, KV.MGET,
// KV.EXPORT, KV.META, the HTTP API, DEBUG DIGEST, RESTORE. A hash's fields and a set's members
// come in byte order, a list's elements in list order and a sorted set's members by score, then
// member, so two containers holding the same elements look the same whatever their encoding or
// history. Pure functions over an entry; the results are copies the caller owns. Loop thread
// only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/database.h"
#include "engine/zset_ops.h"

namespace dkv::engine {

// REQUIRES (all below): entry->container() and not cold.

// The number of elements: fields of a hash, members of a set or sorted set, list elements.
size_t ContainerSize(const Entry* entry);
// A hash's field/value pairs, by field in byte order.
std::vector<std::pair<std::string, std::string>> SortedHashFields(const Entry* entry);
// A set's members in byte order.
std::vector<std::string> SortedSetMembers(const Entry* entry);

// A list's elements in order; a sorted set's members by score, then member.
std::vector<std::string> ListElements(const Entry* entry);
std::vector<ScoredMember> ZsetMembers(const Entry* entry);

// The container as JSON text: a hash is an object {"field": "value", ...} with its fields in
// byte order, a set an array ["member", ...] in byte order, a list an array of its elements in
// list order, a sorted set an object {"member": score, ...} (member names in byte order, scores
// as JSON numbers; +-infinity, which JSON cannot write, as the strings "inf" and "-inf"), a
// stream an array of its entries in ID order, [{"fields": ["f", "v", ...], "id": "1-1"}, ...]
// (fields and values alternating, as XRANGE gives them: a field may repeat). Bytes
// that are not UTF-8 become U+FFFD, as KV.EXPORT writes binary strings.
std::string ContainerJson(const Entry* entry);

// The canonical form: the portable form (engine/container.h) of a packed container holding the
// elements in byte order (tag kHashPacked or kSetPacked, the item count, the items), a list's
// in list order, a sorted set's by score then member (ZsetPortableForm), a stream's portable form
// (entries, counters and groups; engine/stream_portable.cc). Equal contents give
// equal bytes, whatever the encoding; KV.GET's checksum is XXH3-64 of it.
std::string CanonicalForm(const Entry* entry);
uint64_t ContainerChecksum(const Entry* entry);

// The portable form (kZsetPacked) of a sorted set holding `members`, in the order given
// (REQUIRES: distinct members by score then member, no NaN): what RESTORE hands to
// engine::StoreContainer. The score item is written as engine/zset_ops.cc writes it.
std::string ZsetPortableForm(const std::vector<ScoredMember>& members);

}  // namespace dkv::engine
