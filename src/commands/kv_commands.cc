// KV.* family: hierarchical views of the keyspace (KV.KEYS, KV.COUNT, KV.MGET, KV.DEL, KV.SCAN,
// KV.TREE). Patterns use the hierarchical glob (engine/pattern.h); every command visits only the
// key range of the pattern's literal prefix, and subtree patterns (`prefix**`) are answered from
// the tree's subtree counts or detached whole.
#include <map>

#include "engine/container_view.h"
#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

struct PatternArgs {
  std::shared_ptr<const engine::Pattern> pattern;
  bool nocase = false;
  bool has_limit = false;
  int64_t limit = 0;
};

char Separator(const CommandContext& ctx) { return ctx.config().key_separator[0]; }

// Parses `pattern [NOCASE] [LIMIT n]` from argv[1]; `allow_limit` says whether LIMIT is valid.
bool ParsePatternArgs(CommandContext& ctx, Args argv, bool allow_limit, PatternArgs* out) {
  for (size_t j = 2; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nocase")) {
      out->nocase = true;
    } else if (allow_limit && EqualsIgnoreCase(argv[j], "limit") && j + 1 < argv.size()) {
      if (!Int64OrReply(ctx.reply, argv[++j], &out->limit)) return false;
      if (out->limit < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return false;
      }
      out->has_limit = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  std::string error;
  out->pattern = ctx.services.patterns().Get(engine::PatternCache::Syntax::kHierarchical, argv[1],
                                             Separator(ctx), out->nocase, &error);
  if (out->pattern == nullptr) {
    ctx.reply.Error("ERR invalid pattern: " + error);
    return false;
  }
  return true;
}

// Visits live keys matching the pattern in byte order until `visit` returns false.
void ForEachMatch(CommandContext& ctx, const engine::Pattern& pattern,
                  const std::function<bool(engine::Entry*)>& visit) {
  engine::Database& db = ctx.db();
  const std::string& prefix = pattern.literal_prefix();
  if (pattern.literal()) {
    if (engine::Entry* e = db.Find(prefix)) visit(e);
    return;
  }
  db.Walk(prefix, prefix, false, [&](engine::Entry* e) {
    if (db.IsExpired(e) || !pattern.Matches(e->key())) return true;
    return visit(e);
  });
}

}  // namespace

namespace {
// KV.KEYS and KV.MGET: the matching keys in byte order, with their values for KV.MGET.
void ReplyMatches(CommandContext& ctx, Args argv, bool with_values) {
  PatternArgs pa;
  if (!ParsePatternArgs(ctx, argv, true, &pa)) return;
  size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  if (!pa.has_limit || pa.limit > 0) {
    ForEachMatch(ctx, *pa.pattern, [&](engine::Entry* e) {
      ctx.reply.Bulk(e->key());
      if (with_values) {
        NotePatternRead(ctx, e);
        // A hash or a set as JSON, as KV.GET shows it; a cold one records the read (value()) and
        // the command runs again once the value is back.
        if (e->container() && !e->cold()) {
          ctx.reply.Bulk(engine::ContainerJson(e));
        } else {
          ctx.reply.Bulk(e->value());
        }
      }
      ++n;
      return !pa.has_limit || static_cast<int64_t>(n) < pa.limit;
    });
  }
  if (with_values) {
    ctx.reply.FinishDeferredMap(handle, n);
  } else {
    ctx.reply.FinishDeferredArray(handle, n);
  }
}
}  // namespace

void CmdKvKeys(CommandContext& ctx, Args argv) { ReplyMatches(ctx, argv, false); }

void CmdKvMGet(CommandContext& ctx, Args argv) { ReplyMatches(ctx, argv, true); }

void CmdKvCount(CommandContext& ctx, Args argv) {
  PatternArgs pa;
  if (!ParsePatternArgs(ctx, argv, false, &pa)) return;
  if (pa.pattern->prefix_only()) {
    // A subtree: the tree keeps its size, so this costs the prefix length, not the subtree.
    return ctx.reply.Integer(
        static_cast<int64_t>(ctx.db().CountPrefix(pa.pattern->literal_prefix())));
  }
  int64_t n = 0;
  ForEachMatch(ctx, *pa.pattern, [&](engine::Entry*) {
    ++n;
    return true;
  });
  ctx.reply.Integer(n);
}

void CmdKvDel(CommandContext& ctx, Args argv) {
  PatternArgs pa;
  if (!ParsePatternArgs(ctx, argv, false, &pa)) return;
  engine::Database& db = ctx.db();
  if (pa.pattern->prefix_only()) {
    // The whole subtree leaves the tree at once (atomic for every client); its memory is freed
    // in slices by the server's reaper.
    size_t n = db.DeletePrefix(pa.pattern->literal_prefix());
    // One event for the whole subtree, whatever its size (one per key would stall the loop on
    // a million keys): "kv.delprefix" with the literal prefix as its key.
    if (n > 0) ctx.Notify(kNotifyGeneric, "kv.delprefix", pa.pattern->literal_prefix());
    return ctx.reply.Integer(static_cast<int64_t>(n));
  }
  std::vector<std::string> victims;
  ForEachMatch(ctx, *pa.pattern, [&](engine::Entry* e) {
    victims.emplace_back(e->key());
    return true;
  });
  for (const std::string& key : victims) {
    if (db.Delete(key)) ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
}

void CmdKvScan(CommandContext& ctx, Args argv) {
  int64_t cursor_value;
  if (!engine::ParseInt64(argv[1], &cursor_value) || cursor_value < 0) {
    return ctx.reply.Error(errors::kInvalidCursor);
  }
  uint64_t cursor = static_cast<uint64_t>(cursor_value);
  ScanOptions opts;
  if (!ParseScanOptions(ctx, argv, false, &opts)) return;
  std::string_view match = opts.has_match ? opts.match : "**";
  std::string error;
  auto pattern = ctx.services.patterns().Get(engine::PatternCache::Syntax::kHierarchical, match,
                                             Separator(ctx), false, &error);
  if (pattern == nullptr) return ctx.reply.Error("ERR invalid pattern: " + error);
  ReplyScanSlice(ctx, cursor, *pattern, static_cast<size_t>(opts.count),
                 [&](engine::Entry* e) { return pattern->Matches(e->key()); });
}

namespace {

struct TreeNode {
  int64_t keys = 0;
  bool has_value = false;
  int level = 0;
};

// The children of `path` (the roots for an empty path): for each, the keys in its subtree and
// whether the child itself holds a value. Costs O(children x key length), not the subtree size.
void CollectChildren(engine::Database& db, const std::string& path, char sep, bool roots, int level,
                     std::map<std::string, TreeNode>* out, std::vector<std::string>* found) {
  db.ForEachChild(roots ? std::string() : path + sep, sep, [&](const std::string& child) {
    TreeNode node;
    engine::Entry* own = db.FindRaw(child);
    node.has_value = own != nullptr && !db.IsExpired(own);
    node.keys = (node.has_value ? 1 : 0) + static_cast<int64_t>(db.CountPrefix(child + sep));
    node.level = level;
    if (out->emplace(child, node).second) found->push_back(child);
    return true;
  });
}

}  // namespace

void CmdKvTree(CommandContext& ctx, Args argv) {
  int64_t depth = 1;
  for (size_t j = 2; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "depth") && j + 1 < argv.size()) {
      if (!Int64OrReply(ctx.reply, argv[++j], &depth)) return;
      if (depth < 1) return ctx.reply.Error("ERR DEPTH must be at least 1");
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  const char sep = Separator(ctx);
  std::string prefix(argv[1]);
  if (!prefix.empty() && prefix.back() == sep) prefix.pop_back();
  engine::Database& db = ctx.db();
  std::map<std::string, TreeNode> nodes;
  std::vector<std::string> frontier;
  CollectChildren(db, prefix, sep, prefix.empty(), 1, &nodes, &frontier);
  for (int64_t level = 2; level <= depth && !frontier.empty(); ++level) {
    std::vector<std::string> next;
    for (const std::string& path : frontier) {
      if (nodes[path].keys > (nodes[path].has_value ? 1 : 0)) {
        CollectChildren(db, path, sep, false, static_cast<int>(level), &nodes, &next);
      }
    }
    frontier.swap(next);
  }
  ctx.reply.ArrayHeader(nodes.size());
  for (const auto& [path, node] : nodes) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(path);
    ctx.reply.Integer(node.keys);
    ctx.reply.Integer(node.has_value ? 1 : 0);
  }
}

}  // namespace dkv::server
