// XINFO STREAM [FULL [COUNT count]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP: Redis 7.2's reply
// shapes (maps in RESP3, flat arrays in RESP2), field names and errors. The lag and
// entries-read figures are engine/stream_groups.h's (Redis 7's estimate: null when unknowable).
//
// radix-tree-keys and radix-tree-nodes describe dkv's own structure: the nodes holding the
// entries (engine/stream.h), and those plus one for the index over them; Redis' figures count
// its rax's keys and nodes.
#include <algorithm>
#include <optional>
#include <string>

#include "src/commands/handlers.h"
#include "src/commands/stream_group_args.h"

namespace dkv::server {

namespace {

using engine::StreamId;
using namespace stream_groups;

// The stream at argv[2]; replies "ERR no such key" or WRONGTYPE and returns nullptr otherwise.
const engine::Stream* StreamOrReply(CommandContext& ctx, Args argv) {
  bool wrong = false;
  StreamRef ref = LookupStream(ctx, argv[2], false, &wrong);
  if (wrong) return nullptr;
  if (ref.stream == nullptr) ctx.reply.Error(errors::kNoSuchKey);
  return ref.stream;
}

void ReplyEntriesRead(resp::ReplyBuilder& reply, const engine::StreamGroup& g) {
  if (g.entries_read == engine::kEntriesReadInvalid) return reply.Null();
  reply.Integer(g.entries_read);
}

void ReplyLag(resp::ReplyBuilder& reply, const engine::Stream& s, const engine::StreamGroup& g) {
  std::optional<int64_t> lag = engine::GroupLag(s, g);
  if (!lag) return reply.Null();
  reply.Integer(*lag);
}

// The fields both forms of XINFO STREAM begin with.
void ReplyStreamHead(resp::ReplyBuilder& reply, const engine::Stream& s) {
  reply.Bulk("length");
  reply.Integer(static_cast<int64_t>(s.length()));
  reply.Bulk("radix-tree-keys");
  reply.Integer(static_cast<int64_t>(s.node_count()));
  reply.Bulk("radix-tree-nodes");
  reply.Integer(static_cast<int64_t>(s.node_count() + 1));
  reply.Bulk("last-generated-id");
  ReplyId(reply, s.last_id());
  reply.Bulk("max-deleted-entry-id");
  ReplyId(reply, s.max_deleted_id());
  reply.Bulk("entries-added");
  reply.Integer(static_cast<int64_t>(s.entries_added()));
  reply.Bulk("recorded-first-entry-id");
  ReplyId(reply, s.first_id());
}

// One entry at the edge of the stream (first or last), or a null when empty.
void ReplyEdgeEntry(resp::ReplyBuilder& reply, const engine::Stream& s, bool last) {
  bool found = false;
  s.Range(StreamId::Min(), StreamId::Max(), last, [&](const engine::StreamEntryView& entry) {
    ReplyEntry(reply, entry);
    found = true;
    return false;
  });
  if (!found) reply.Null();
}

// XINFO STREAM key FULL: entries, then every group with its PEL and consumers, each list cut
// at `count` (0: everything).
void ReplyStreamFull(resp::ReplyBuilder& reply, const engine::Stream& s, size_t count) {
  reply.MapHeader(9);
  ReplyStreamHead(reply, s);
  reply.Bulk("entries");
  const size_t handle = reply.BeginDeferred();
  size_t n = 0;
  s.Range(StreamId::Min(), StreamId::Max(), false, [&](const engine::StreamEntryView& entry) {
    ReplyEntry(reply, entry);
    ++n;
    return count == 0 || n < count;
  });
  reply.FinishDeferredArray(handle, n);
  reply.Bulk("groups");
  reply.ArrayHeader(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    reply.MapHeader(7);
    reply.Bulk("name");
    reply.Bulk(name);
    reply.Bulk("last-delivered-id");
    ReplyId(reply, g.last_id);
    reply.Bulk("entries-read");
    ReplyEntriesRead(reply, g);
    reply.Bulk("lag");
    ReplyLag(reply, s, g);
    reply.Bulk("pel-count");
    reply.Integer(static_cast<int64_t>(g.pending.size()));
    reply.Bulk("pending");
    const size_t pel = count == 0 ? g.pending.size() : std::min(count, g.pending.size());
    reply.ArrayHeader(pel);
    size_t i = 0;
    for (auto it = g.pending.begin(); i < pel; ++it, ++i) {
      reply.ArrayHeader(4);
      ReplyId(reply, it->first);
      reply.Bulk(it->second.consumer);
      reply.Integer(it->second.delivery_time_ms);
      reply.Integer(static_cast<int64_t>(it->second.delivery_count));
    }
    reply.Bulk("consumers");
    reply.ArrayHeader(g.consumers.size());
    for (const auto& [cname, c] : g.consumers) {
      reply.MapHeader(5);
      reply.Bulk("name");
      reply.Bulk(cname);
      reply.Bulk("seen-time");
      reply.Integer(c.seen_time_ms);
      reply.Bulk("active-time");
      reply.Integer(c.active_time_ms);
      reply.Bulk("pel-count");
      reply.Integer(static_cast<int64_t>(c.pending.size()));
      reply.Bulk("pending");
      const size_t cpel = count == 0 ? c.pending.size() : std::min(count, c.pending.size());
      reply.ArrayHeader(cpel);
      size_t k = 0;
      for (auto it = c.pending.begin(); k < cpel; ++it, ++k) {
        reply.ArrayHeader(3);
        ReplyId(reply, *it);
        auto nack = g.pending.find(*it);
        reply.Integer(nack == g.pending.end() ? 0 : nack->second.delivery_time_ms);
        reply.Integer(nack == g.pending.end() ? 0
                                              : static_cast<int64_t>(nack->second.delivery_count));
      }
    }
  }
}

}  // namespace

// XINFO STREAM key [FULL [COUNT count]]
void CmdXInfoStream(CommandContext& ctx, Args argv) {
  // Redis looks the key up before it reads the options.
  const engine::Stream* s = StreamOrReply(ctx, argv);
  if (s == nullptr) return;
  const size_t optc = argv.size() - 3;
  bool full = false;
  int64_t count = 10;  // Redis' default, so that FULL does not block the server
  if (optc > 0) {
    if ((optc != 1 && optc != 3) || !EqualsIgnoreCase(argv[3], "full") ||
        (optc == 3 && !EqualsIgnoreCase(argv[4], "count"))) {
      return ctx.reply.Error(errors::SubcommandSyntax(argv[0], argv[1]));
    }
    full = true;
    if (optc == 3) {
      if (!Int64OrReply(ctx.reply, argv[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  if (full) return ReplyStreamFull(ctx.reply, *s, static_cast<size_t>(count));
  ctx.reply.MapHeader(10);
  ReplyStreamHead(ctx.reply, *s);
  ctx.reply.Bulk("groups");
  ctx.reply.Integer(static_cast<int64_t>(s->groups().size()));
  ctx.reply.Bulk("first-entry");
  ReplyEdgeEntry(ctx.reply, *s, false);
  ctx.reply.Bulk("last-entry");
  ReplyEdgeEntry(ctx.reply, *s, true);
}

// XINFO GROUPS key
void CmdXInfoGroups(CommandContext& ctx, Args argv) {
  const engine::Stream* s = StreamOrReply(ctx, argv);
  if (s == nullptr) return;
  ctx.reply.ArrayHeader(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    ctx.reply.MapHeader(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(static_cast<int64_t>(g.consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(g.pending.size()));
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx.reply, g.last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx.reply, g);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx.reply, *s, g);
  }
}

// XINFO CONSUMERS key group
void CmdXInfoConsumers(CommandContext& ctx, Args argv) {
  const engine::Stream* s = StreamOrReply(ctx, argv);
  if (s == nullptr) return;
  const engine::StreamGroup* g = engine::FindGroup(*s, argv[3]);
  if (g == nullptr) return ctx.reply.Error(NoGroupForKey(argv[2], argv[3]));
  const int64_t now = ctx.services.clock().NowMs();
  ctx.reply.ArrayHeader(g->consumers.size());
  for (const auto& [name, c] : g->consumers) {
    ctx.reply.MapHeader(4);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(c.pending.size()));
    ctx.reply.Bulk("idle");
    ctx.reply.Integer(std::max<int64_t>(0, now - c.seen_time_ms));
    ctx.reply.Bulk("inactive");
    ctx.reply.Integer(c.active_time_ms == -1 ? -1 : now - c.active_time_ms);
  }
}

void CmdXInfoHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
