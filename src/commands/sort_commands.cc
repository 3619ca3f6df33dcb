// SORT and SORT_RO: sort the elements of a list, set or sorted set (numerically by default, by
// bytes with ALPHA), optionally by the values of other keys (BY pattern, `*` replaced by the
// element, `key->field` for a hash field), return a range (LIMIT) of them or of other keys'
// values (GET pattern, GET # for the element), or store the result as a list (STORE, SORT
// only; engine::ListStore owns the write). Redis 7.2's semantics:
// - A BY pattern without `*` does not sort: lists and sorted sets keep their order (reversed by
//   DESC) and LIMIT reads only its range; a set is then sorted by bytes anyway when the result
//   is stored or a script asks, so that the result does not depend on the set's layout.
// - Numeric sort: every key's value (the element, or its BY value; a missing BY key is 0) must
//   parse as a double as strtod reads it, else "One or more scores can't be converted into
//   double". Equal scores order by the elements' bytes.
// - ALPHA compares bytes; without STORE only up to the first NUL, as strcoll does in the C
//   locale; equal BY values keep the elements' order (a missing BY value sorts first).
// - BY and GET with a real pattern need access to every key (a user whose key patterns are
//   restricted gets Redis' "denied due to insufficient ACL permissions"). Pattern keys are
//   looked up in the session's own keyspace (ctx.db()): a tenant bound to a namespace never
//   reaches another namespace's keys.
// Sizes: the work is bounded by the container's size; LIMIT is clamped to it before anything is
// allocated.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/list_ops.h"
#include "engine/set_ops.h"
#include "engine/zset_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/security/acl.h"

namespace dkv::server {

namespace {

constexpr std::string_view kNotDouble = "ERR One or more scores can't be converted into double";
constexpr std::string_view kByDenied =
    "ERR BY option of SORT denied due to insufficient ACL permissions.";
constexpr std::string_view kGetDenied =
    "ERR GET option of SORT denied due to insufficient ACL permissions.";

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  bool has_by = false;
  std::string_view by;
  bool dontsort = false;  // BY without `*`
  std::vector<std::string_view> gets;
  bool has_store = false;
  std::string_view store;
};

// The part of `s` a C string function sees (up to the first NUL).
std::string_view CString(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

// Whether the session's user may read every key (Redis' check before BY and GET patterns): some
// selector has all keys, or the key pattern "*" with read permission.
bool FullKeyAccess(const Session& session) {
  const AclUser* user = session.user;
  if (user == nullptr || user->unrestricted) return true;
  for (const AclSelector& s : user->selectors) {
    if (s.all_keys) return true;
    for (const AclKeyPattern& k : s.keys) {
      if (k.pattern == "*" && (k.perms & kAclRead)) return true;
    }
  }
  return false;
}

// Parses the options after the key. False after replying the error.
bool ParseSortOptions(CommandContext& ctx, Args argv, bool readonly, SortOptions* o) {
  const bool full_access = FullKeyAccess(ctx.session);
  for (size_t j = 2; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    std::string_view a = argv[j];
    if (EqualsIgnoreCase(a, "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a, "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a, "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!Int64OrReply(ctx.reply, argv[j + 1], &o->limit_start) ||
          !Int64OrReply(ctx.reply, argv[j + 2], &o->limit_count)) {
        return false;
      }
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "store") && left >= 1) {
      o->has_store = true;
      o->store = argv[++j];
    } else if (EqualsIgnoreCase(a, "by") && left >= 1) {
      o->has_by = true;
      o->by = argv[++j];
      o->dontsort = CString(o->by).find('*') == std::string_view::npos;
      if (!o->dontsort && !full_access) {
        ctx.reply.Error(kByDenied);
        return false;
      }
    } else if (EqualsIgnoreCase(a, "get") && left >= 1) {
      if (!full_access) {
        ctx.reply.Error(kGetDenied);
        return false;
      }
      o->gets.push_back(argv[++j]);
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Redis' lookupKeyByPattern: "#" is the element itself; otherwise the first `*` is replaced by
// the element and the key read (a string), or with "->field" after the `*` the field of the
// hash. Nothing when the pattern has no `*`, the key is missing or of another kind. A cold
// value (the cache tier) records the read, so that the command runs again with it in memory,
// and counts as missing meanwhile.
std::optional<std::string_view> LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                                std::string_view element) {
  if (!pattern.empty() && pattern[0] == '#' && (pattern.size() == 1 || pattern[1] == '\0')) {
    return element;
  }
  const std::string_view cpat = CString(pattern);
  const size_t star = cpat.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view field;
  size_t arrow = cpat.find("->", star + 1);
  if (arrow != std::string_view::npos && arrow + 2 < cpat.size()) {
    field = pattern.substr(arrow + 2);
  } else {
    arrow = pattern.size();
  }
  std::string key;
  key.reserve(pattern.size() + element.size());
  key.append(pattern.substr(0, star));
  key.append(element);
  key.append(pattern.substr(star + 1, arrow - star - 1));
  engine::Entry* e = ctx.db().FindForRead(key, !ctx.session.no_touch);
  if (e == nullptr) return std::nullopt;
  if (e->cold()) {
    (void)e->value();
    return std::nullopt;
  }
  if (ctx.session.warm_reads != nullptr) ctx.session.warm_reads->emplace_back(e->key());
  if (field.empty()) {
    if (e->kind() != engine::Kind::kString) return std::nullopt;
    return e->value();
  }
  if (e->kind() != engine::Kind::kHash) return std::nullopt;
  std::string_view value;
  if (!engine::HashGet(e, field, &value)) return std::nullopt;
  return value;
}

// A sort key as Redis reads it with strtod: the whole string (to its first NUL) must parse;
// empty is 0; overflow, underflow and NaN fail.
bool ParseSortScore(std::string_view s, double* out) {
  std::string text(s);
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

struct Item {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the value compared
};

// The elements to sort, in the container's order; with `dontsort` on a list or sorted set only
// the range [start, end] (in DESC order when `desc`).
std::vector<Item> LoadItems(const engine::Entry* e, bool ranged, bool desc, size_t start,
                            size_t end) {
  std::vector<Item> items;
  if (e == nullptr) return items;
  auto add = [&](std::string_view s) {
    items.push_back(Item{std::string(s), 0, std::nullopt});
    return true;
  };
  switch (e->kind()) {
    case engine::Kind::kList: {
      const size_t len = engine::ListLen(e);
      if (len == 0) break;
      if (!ranged) {
        items.reserve(len);
        engine::ListRange(e, 0, len - 1, false, add);
      } else if (end >= start) {
        items.reserve(end - start + 1);
        if (desc) {
          engine::ListRange(e, len - 1 - end, len - 1 - start, true, add);
        } else {
          engine::ListRange(e, start, end, false, add);
        }
      }
      break;
    }
    case engine::Kind::kZset: {
      const size_t len = engine::ZsetLen(e);
      auto add_member = [&](std::string_view m, double) { return add(m); };
      if (len == 0) break;
      if (!ranged) {
        items.reserve(len);
        engine::ZsetRangeByRank(e, 0, len - 1, false, add_member);
      } else if (end >= start) {
        items.reserve(end - start + 1);
        engine::ZsetRangeByRank(e, start, end, desc, add_member);
      }
      break;
    }
    default:
      items.reserve(engine::SetLen(e));
      engine::SetForEach(e, add);
      break;
  }
  return items;
}

void SortGeneric(CommandContext& ctx, Args argv, bool readonly) {
  SortOptions o;
  if (!ParseSortOptions(ctx, argv, readonly, &o)) return;
  engine::Entry* e = ctx.db().FindForRead(argv[1], !ctx.session.no_touch);
  if (e != nullptr && e->kind() != engine::Kind::kList && e->kind() != engine::Kind::kSet &&
      e->kind() != engine::Kind::kZset) {
    return ctx.reply.Error(errors::kWrongType);
  }
  // A set is not in any defined order: stored or seen by a script, it is sorted by bytes.
  if (o.dontsort && e != nullptr && e->kind() == engine::Kind::kSet &&
      (o.has_store || ctx.session.script)) {
    o.dontsort = false;
    o.alpha = true;
    o.has_by = false;
  }
  size_t len = 0;
  if (e != nullptr) {
    switch (e->kind()) {
      case engine::Kind::kList:
        len = engine::ListLen(e);
        break;
      case engine::Kind::kZset:
        len = engine::ZsetLen(e);
        break;
      default:
        len = engine::SetLen(e);
        break;
    }
  }
  // LIMIT, clamped to the size (Redis' arithmetic; [start, end] may be empty).
  const int64_t n = static_cast<int64_t>(len);
  int64_t start = std::min(std::max<int64_t>(o.limit_start, 0), n);
  const int64_t count = std::min(std::max<int64_t>(o.limit_count, -1), n);
  int64_t end = count < 0 ? n - 1 : start + count - 1;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  }
  if (end >= n) end = n - 1;

  const bool ordered =
      e != nullptr && (e->kind() == engine::Kind::kList || e->kind() == engine::Kind::kZset);
  const bool ranged = ordered && o.dontsort;
  std::vector<Item> items =
      LoadItems(e, ranged, o.desc, ranged && end >= start ? static_cast<size_t>(start) : 0,
                ranged && end >= start ? static_cast<size_t>(end) : 0);
  if (ranged) {
    // The items are the range already.
    end -= start;
    start = 0;
  }

  bool bad_score = false;
  if (!o.dontsort) {
    for (Item& it : items) {
      std::optional<std::string_view> by;
      if (o.has_by) {
        by = LookupByPattern(ctx, o.by, it.element);
        if (!by) continue;
      } else {
        by = it.element;
      }
      if (o.alpha) {
        if (o.has_by) it.by = std::string(*by);
      } else if (!ParseSortScore(*by, &it.score)) {
        bad_score = true;
      }
    }
    const bool binary = o.has_store;
    auto compare = [&](const Item& a, const Item& b) -> int {
      int cmp;
      if (!o.alpha) {
        if (a.score > b.score) {
          cmp = 1;
        } else if (a.score < b.score) {
          cmp = -1;
        } else {
          cmp = a.element.compare(b.element);
        }
      } else if (o.has_by) {
        if (!a.by || !b.by) {
          cmp = (a.by.has_value() == b.by.has_value()) ? 0 : (a.by ? 1 : -1);
        } else {
          cmp = binary ? a.by->compare(*b.by) : CString(*a.by).compare(CString(*b.by));
        }
      } else {
        cmp =
            binary ? a.element.compare(b.element) : CString(a.element).compare(CString(b.element));
      }
      return o.desc ? -cmp : cmp;
    };
    if (!bad_score) {
      std::stable_sort(items.begin(), items.end(),
                       [&](const Item& a, const Item& b) { return compare(a, b) < 0; });
    }
  }
  if (bad_score) return ctx.reply.Error(kNotDouble);

  const size_t picked = end >= start ? static_cast<size_t>(end - start + 1) : 0;
  const size_t outputlen = o.gets.empty() ? picked : picked * o.gets.size();
  if (!o.has_store) {
    ctx.reply.ArrayHeader(outputlen);
    for (size_t j = 0; j < picked; ++j) {
      const std::string& element = items[static_cast<size_t>(start) + j].element;
      if (o.gets.empty()) ctx.reply.Bulk(element);
      for (std::string_view get : o.gets) {
        std::optional<std::string_view> v = LookupByPattern(ctx, get, element);
        if (v) {
          ctx.reply.Bulk(*v);
        } else {
          ctx.reply.Null();
        }
      }
    }
    return;
  }
  std::vector<std::string> result;
  result.reserve(outputlen);
  for (size_t j = 0; j < picked; ++j) {
    std::string& element = items[static_cast<size_t>(start) + j].element;
    if (o.gets.empty()) result.push_back(std::move(element));
    for (std::string_view get : o.gets) {
      std::optional<std::string_view> v = LookupByPattern(ctx, get, element);
      result.emplace_back(v ? *v : std::string_view());
    }
  }
  bool existed = DestinationExisted(ctx, o.store);
  engine::ListStore(ctx.db(), o.store, result, outputlen);
  NotifyStored(ctx, o.store, kNotifyList, "sortstore", outputlen > 0, existed);
  ctx.reply.Integer(static_cast<int64_t>(outputlen));
}

}  // namespace

// Redis' sortGetKeys: the sorted key, and the destination of the last STORE (options with
// arguments are skipped by their known widths).
void SortKeys(Args argv, std::vector<KeyRef>* out) {
  out->push_back({1, kKeyRO | kKeyAccess});
  int store = -1;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "get") || EqualsIgnoreCase(argv[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "store") && i + 1 < argv.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store >= 0) out->push_back({store, kKeyOW | kKeyUpdate});
}

void CmdSort(CommandContext& ctx, Args argv) { SortGeneric(ctx, argv, false); }
void CmdSortRo(CommandContext& ctx, Args argv) { SortGeneric(ctx, argv, true); }

}  // namespace dkv::server
