// What the command table's rows say, computed: the legacy key range, the keys of a call, secret
// arguments, category and tenancy names (src/core/command.h).
#include "src/core/command.h"

#include <climits>

#include "engine/numbers.h"
#include "resp/text.h"

namespace dkv::server {
namespace {

constexpr CategoryName kCategoryNames[] = {
    {kCatKeyspace, "keyspace", true},
    {kCatRead, "read", true},
    {kCatWrite, "write", true},
    {kCatSet, "set", true},
    {kCatSortedSet, "sortedset", true},
    {kCatList, "list", true},
    {kCatHash, "hash", true},
    {kCatString, "string", true},
    {kCatBitmap, "bitmap", true},
    {kCatHyperLogLog, "hyperloglog", true},
    {kCatGeo, "geo", true},
    {kCatStream, "stream", true},
    {kCatPubSub, "pubsub", true},
    {kCatAdmin, "admin", true},
    {kCatFast, "fast", true},
    {kCatSlow, "slow", true},
    {kCatBlocking, "blocking", true},
    {kCatDangerous, "dangerous", true},
    {kCatConnection, "connection", true},
    {kCatTransaction, "transaction", true},
    {kCatScripting, "scripting", true},
    {kCatKv, "kv", false},
    {kCatServer, "server", false},
};

bool IsRangeAtIndex(const KeySpec& s) { return s.keyword.empty() && !s.keynum && !s.unknown; }

// The argument the search for keys starts at, or -1. A keyword is looked for as Redis does: from
// `startfrom` up to (not including) the last argument, or backwards down to argument 1.
int BeginSearch(const KeySpec& s, Args argv) {
  const int n = static_cast<int>(argv.size());
  if (s.keyword.empty()) return s.index < n ? s.index : -1;
  if (s.startfrom >= 0) {
    for (int i = s.startfrom; i < n - 1; ++i) {
      if (text::EqualsIgnoreCase(argv[static_cast<size_t>(i)], s.keyword)) return i + 1;
    }
  } else {
    for (int i = n + s.startfrom; i > 0; --i) {
      if (text::EqualsIgnoreCase(argv[static_cast<size_t>(i)], s.keyword)) return i + 1;
    }
  }
  return -1;
}

}  // namespace

std::span<const CategoryName> AclCategoryNames() { return kCategoryNames; }

std::string_view TenancyText(Tenancy t) {
  switch (t) {
    case Tenancy::kNoData:
      return "no keyspace data";
    case Tenancy::kSession:
      return "the session's namespace only (always one of the user's)";
    case Tenancy::kServerWide:
      return "server-wide: refused to users bound to namespaces";
    case Tenancy::kNamesNamespace:
      return "the namespace named must be one of the user's (NOPERM)";
    case Tenancy::kTargetDb:
      return "a target database must be one of the user's (NOPERM)";
    case Tenancy::kInfoFiltered:
      return "the keyspace section lists only the user's namespaces";
    case Tenancy::kListsOwn:
      return "lists only the user's namespaces";
    case Tenancy::kScript:
      return "every redis.call passes these same checks as the caller";
    case Tenancy::kQueued:
      return "each queued command was checked when queued";
  }
  return "";
}

LegacyRange LegacyKeyRange(const CommandSpec& spec) {
  LegacyRange r;
  std::span<const KeySpec> specs = spec.keys.all();
  if (specs.empty()) return r;
  if (specs.size() == 1 && IsRangeAtIndex(specs[0])) {
    // One range: it is the legacy range (its lastkey is relative to its start).
    const KeySpec& s = specs[0];
    r.first = s.index;
    r.last = s.lastkey < 0 ? s.lastkey : s.index + s.lastkey;
    r.step = s.keystep;
    r.movable = (s.flags & kKeyIncomplete) != 0 || s.limit != 0;
    return r;
  }
  // Several specs: consecutive single-step ranges merge; anything else makes the keys movable.
  int first = INT_MAX;
  int last = 0;
  for (const KeySpec& s : specs) {
    if (!IsRangeAtIndex(s) || s.keystep != 1 || s.limit != 0 ||
        (first != INT_MAX && last >= 0 && s.index != last + 1)) {
      r.movable = true;
      continue;
    }
    if (s.flags & kKeyIncomplete) r.movable = true;
    first = std::min(first, s.index);
    last = s.lastkey < 0 ? s.lastkey : s.index + s.lastkey;
  }
  if (first == INT_MAX) return r;
  r.first = first;
  r.last = last;
  r.step = 1;
  return r;
}

bool KeysOf(const CommandSpec& spec, Args argv, std::vector<KeyRef>* out) {
  if (spec.find_keys != nullptr) {
    spec.find_keys(argv, out);
    return true;
  }
  const int n = static_cast<int>(argv.size());
  for (const KeySpec& s : spec.keys.all()) {
    // Redis' NOT_KEY specs (SSUBSCRIBE's shard channels) name no keys: ACL, WATCH and the
    // cache tier skip them, as Redis' default key search does.
    if (s.unknown || (s.flags & kKeyNotKey)) continue;
    uint32_t flags = s.flags;
    if ((flags & kKeyVariableFlags) && spec.key_flags != nullptr) flags = spec.key_flags(s, argv);
    const int start = BeginSearch(s, argv);
    // A keyword that is absent means no keys from this spec (GEORADIUS without STORE).
    if (start < 0 && !s.keyword.empty()) continue;
    if (start < 0) {
      if (s.flags & kKeyIncomplete) continue;
      return false;
    }
    int first, last, step = std::max(1, s.keystep);
    if (s.keynum) {
      const int count_at = start + s.keynumidx;
      int64_t count;
      if (count_at >= n || !engine::ParseInt64(argv[static_cast<size_t>(count_at)], &count) ||
          count < 0) {
        if (s.flags & kKeyIncomplete) continue;
        return false;
      }
      first = start + s.firstkey;
      last = first + (static_cast<int>(std::min<int64_t>(count, n)) - 1) * step;
      if (count > 0 && last >= n) {
        if (s.flags & kKeyIncomplete) continue;
        return false;
      }
    } else {
      first = start;
      if (s.lastkey >= 0) {
        last = start + s.lastkey;
      } else if (s.limit > 1) {
        last = start + ((n - 1 - start) / s.limit);
      } else {
        last = n + s.lastkey;
      }
      if (last >= n) {
        if (s.flags & kKeyIncomplete) continue;
        return false;
      }
    }
    for (int i = first; i <= last && i < n; i += step) out->push_back({i, flags});
  }
  return true;
}

bool SecretArgument(const CommandSpec& spec, Args argv, size_t i) {
  const SecretArgs& s = spec.secret;
  if (i == 0 || i >= argv.size()) return false;
  switch (s.kind) {
    case SecretArgs::kNone:
      return false;
    case SecretArgs::kAll:
      return true;
    case SecretArgs::kAfterToken:
      for (size_t j = 1; j < i; ++j) {
        if (text::EqualsIgnoreCase(argv[j], s.token) && i <= j + static_cast<size_t>(s.count)) {
          return true;
        }
      }
      return false;
    case SecretArgs::kPairValue: {
      const size_t first = static_cast<size_t>(s.first);
      return i > first && (i - first) % 2 == 1 && text::EqualsIgnoreCase(argv[i - 1], s.token);
    }
  }
  return false;
}

std::vector<std::string_view> KeyFlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kKeyRO, "RO"},
      {kKeyRW, "RW"},
      {kKeyOW, "OW"},
      {kKeyRM, "RM"},
      {kKeyAccess, "access"},
      {kKeyUpdate, "update"},
      {kKeyInsert, "insert"},
      {kKeyDelete, "delete"},
      {kKeyNotKey, "not_key"},
      {kKeyIncomplete, "incomplete"},
      {kKeyVariableFlags, "variable_flags"},
  };
  std::vector<std::string_view> names;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) names.push_back(name);
  }
  return names;
}

}  // namespace dkv::server
