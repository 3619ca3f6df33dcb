// Consumer groups: XGROUP CREATE / SETID / DESTROY / CREATECONSUMER / DELCONSUMER / HELP,
// XREADGROUP (COUNT, BLOCK, NOACK, `>` and history), XACK, XPENDING, XCLAIM, XAUTOCLAIM, with
// Redis 7.2's parsing order, errors and replies (t_stream.c). The group logic is the engine's
// (engine/stream_groups.h); every change ends with NoteStreamWrite, counting what Redis counts
// in server.dirty, and the keyspace events Redis sends (xgroup-*; XREADGROUP, XCLAIM and
// XAUTOCLAIM send xgroup-createconsumer when they create the consumer).
//
// XREADGROUP BLOCK parks the client on its streams (src/core/blocked_clients.h); any change to
// one of them (an XADD, the key deleted or replaced, the group destroyed, FLUSHALL, SWAPDB) runs
// it again, so it is served, parks again, or answers the error Redis 7.2 answers then (NOGROUP,
// WRONGTYPE).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "src/commands/handlers.h"
#include "src/commands/stream_group_args.h"
#include "src/core/blocked_clients.h"
#include "src/core/keyspace_events.h"

namespace dkv::server {

namespace {

using engine::StreamId;
using namespace stream_groups;

// The consumer `name` of `g`, created (seen now) when missing: then the write is counted in
// *writes and the event sent, as Redis' streamCreateConsumer. Its seen time becomes now.
void TouchConsumer(CommandContext& ctx, engine::StreamGroup& g, std::string_view key,
                   std::string_view name, int64_t now, uint64_t* writes) {
  engine::StreamConsumer* c = engine::FindConsumer(g, name);
  if (c == nullptr) {
    c = engine::CreateConsumer(g, name, now);
    ++*writes;
    ctx.Notify(kNotifyStream, "xgroup-createconsumer", key);
  }
  c->seen_time_ms = now;
}

// --- What the append-only log records (Redis 7.2's streamPropagateXCLAIM, ...GroupID and
// ...ConsumerCreation). XREADGROUP, XCLAIM and XAUTOCLAIM are never logged as given: their
// effect is stated as the commands below, and nothing else is logged of them.

bool Logging(CommandContext& ctx) { return ctx.Propagating(); }

// XCLAIM key group consumer 0 id TIME <delivery time> RETRYCOUNT <count> FORCE JUSTID LASTID
// <group's last ID>: replayed, the entry is pending for `consumer` as it is now (or, when it is
// no longer in the stream, its pending entry goes, as it went here).
void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group,
                    std::string_view consumer, StreamId id, const engine::StreamNack& nack,
                    StreamId last_id) {
  ctx.PropagateAs({"XCLAIM", std::string(key), std::string(group), std::string(consumer), "0",
                   id.ToString(), "TIME", std::to_string(nack.delivery_time_ms), "RETRYCOUNT",
                   std::to_string(nack.delivery_count), "FORCE", "JUSTID", "LASTID",
                   last_id.ToString()});
}

// XGROUP SETID key group <last ID> ENTRIESREAD <entries read>.
void PropagateGroupId(CommandContext& ctx, std::string_view key, std::string_view group,
                      const engine::StreamGroup& g) {
  ctx.PropagateAs({"XGROUP", "SETID", std::string(key), std::string(group), g.last_id.ToString(),
                   "ENTRIESREAD", std::to_string(g.entries_read)});
}

void PropagateConsumerCreation(CommandContext& ctx, std::string_view key, std::string_view group,
                               std::string_view consumer) {
  ctx.PropagateAs(
      {"XGROUP", "CREATECONSUMER", std::string(key), std::string(group), std::string(consumer)});
}

// A run that stated nothing: its arguments are not logged either (a consumer's seen time moved,
// or nothing changed).
void PropagateNothingElse(CommandContext& ctx, bool stated) {
  if (Logging(ctx) && !stated) ctx.services.propagation().Suppress();
}

// ENTRIESREAD's value: an integer >= 0, or -1.
bool EntriesReadOrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!Int64OrReply(ctx.reply, arg, out)) return false;
  if (*out < 0 && *out != engine::kEntriesReadInvalid) {
    ctx.reply.Error("ERR value for ENTRIESREAD must be positive or -1");
    return false;
  }
  return true;
}

// What XGROUP CREATE, SETID, CREATECONSUMER and DELCONSUMER share, in Redis' order: the options
// after the ID (CREATE: MKSTREAM, ENTRIESREAD; SETID: ENTRIESREAD), the key (WRONGTYPE), the key's
// existence (unless MKSTREAM) and the group's (except for CREATE).
struct XGroupTarget {
  StreamRef ref;
  engine::StreamGroup* group = nullptr;
  bool mkstream = false;
  int64_t entries_read = engine::kEntriesReadInvalid;
};
bool XGroupTargetOrReply(CommandContext& ctx, Args argv, bool create, bool setid, XGroupTarget* t) {
  for (size_t i = 5; i < argv.size();) {
    if (create && EqualsIgnoreCase(argv[i], "mkstream")) {
      t->mkstream = true;
      ++i;
    } else if ((create || setid) && EqualsIgnoreCase(argv[i], "entriesread") &&
               i + 1 < argv.size()) {
      if (!EntriesReadOrReply(ctx, argv[i + 1], &t->entries_read)) return false;
      i += 2;
    } else {
      ctx.reply.Error(errors::SubcommandSyntax(argv[0], argv[1]));
      return false;
    }
  }
  bool wrong = false;
  t->ref = LookupStream(ctx, argv[2], true, &wrong);
  if (wrong) return false;
  if (t->mkstream) return true;
  if (t->ref.stream == nullptr) {
    ctx.reply.Error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
    return false;
  }
  t->group = engine::FindGroup(*t->ref.stream, argv[3]);
  if (t->group == nullptr && !create && !EqualsIgnoreCase(argv[1], "destroy")) {
    ctx.reply.Error(NoGroupForKey(argv[2], argv[3]));
    return false;
  }
  return true;
}

}  // namespace

void CmdXGroupCreate(CommandContext& ctx, Args argv) {
  XGroupTarget t;
  if (!XGroupTargetOrReply(ctx, argv, true, false, &t)) return;
  if (argv.size() > 8) return ctx.reply.Error(errors::SubcommandSyntax(argv[0], argv[1]));
  StreamId id;
  if (argv[4] == "$") {
    if (t.ref.stream != nullptr) id = t.ref.stream->last_id();
  } else if (!StrictIdOrReply(ctx, argv[4], 0, &id)) {
    return;
  }
  if (t.ref.stream == nullptr) {
    t.ref.entry = engine::CreateStream(ctx.db(), argv[2]);
    t.ref.stream = engine::StreamOf(t.ref.entry);
  }
  if (!engine::CreateGroup(*t.ref.stream, argv[3], id, t.entries_read)) {
    return ctx.reply.Error("BUSYGROUP Consumer Group name already exists");
  }
  engine::NoteStreamWrite(ctx.db(), t.ref.entry);
  ctx.reply.Ok();
  ctx.Notify(kNotifyStream, "xgroup-create", argv[2]);
}

void CmdXGroupSetId(CommandContext& ctx, Args argv) {
  XGroupTarget t;
  if (!XGroupTargetOrReply(ctx, argv, false, true, &t)) return;
  if (argv.size() != 5 && argv.size() != 7) {
    return ctx.reply.Error(errors::SubcommandSyntax(argv[0], argv[1]));
  }
  StreamId id;
  if (argv[4] == "$") {
    id = t.ref.stream->last_id();
  } else if (!IdOrReply(ctx, argv[4], 0, &id)) {
    return;
  }
  engine::SetGroupId(*t.group, id, t.entries_read);
  engine::NoteStreamWrite(ctx.db(), t.ref.entry);
  ctx.reply.Ok();
  ctx.Notify(kNotifyStream, "xgroup-setid", argv[2]);
}

void CmdXGroupDestroy(CommandContext& ctx, Args argv) {
  XGroupTarget t;
  if (!XGroupTargetOrReply(ctx, argv, false, false, &t)) return;
  if (t.group == nullptr) return ctx.reply.Integer(0);
  engine::DestroyGroup(*t.ref.stream, argv[3]);
  // The write wakes the clients blocked in XREADGROUP on this key: they answer NOGROUP.
  engine::NoteStreamWrite(ctx.db(), t.ref.entry);
  ctx.reply.Integer(1);
  ctx.Notify(kNotifyStream, "xgroup-destroy", argv[2]);
}

void CmdXGroupCreateConsumer(CommandContext& ctx, Args argv) {
  XGroupTarget t;
  if (!XGroupTargetOrReply(ctx, argv, false, false, &t)) return;
  if (engine::CreateConsumer(*t.group, argv[4], ctx.services.clock().NowMs()) == nullptr) {
    return ctx.reply.Integer(0);
  }
  engine::NoteStreamWrite(ctx.db(), t.ref.entry);
  ctx.Notify(kNotifyStream, "xgroup-createconsumer", argv[2]);
  ctx.reply.Integer(1);
}

void CmdXGroupDelConsumer(CommandContext& ctx, Args argv) {
  XGroupTarget t;
  if (!XGroupTargetOrReply(ctx, argv, false, false, &t)) return;
  std::optional<size_t> pending = engine::DeleteConsumer(*t.group, argv[4]);
  if (!pending) return ctx.reply.Integer(0);
  engine::NoteStreamWrite(ctx.db(), t.ref.entry);
  ctx.Notify(kNotifyStream, "xgroup-delconsumer", argv[2]);
  ctx.reply.Integer(static_cast<int64_t>(*pending));
}

void CmdXGroupHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key ... id ...
void CmdXReadGroup(CommandContext& ctx, Args argv) {
  int64_t deadline = -1;  // -1: no BLOCK
  int64_t count = 0;
  bool noack = false;
  size_t streams_at = 0;
  size_t nstreams = 0;
  std::string_view group_name;
  std::string_view consumer;
  bool have_group = false;
  for (size_t i = 1; i < argv.size(); ++i) {
    const size_t more = argv.size() - i - 1;
    std::string_view o = argv[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      if (ctx.session.script) {
        return ctx.reply.Error("ERR " + std::string(argv[0]) +
                               " command is not allowed with BLOCK option from scripts");
      }
      ++i;
      int64_t ms;
      if (!Int64OrReply(ctx.reply, argv[i], &ms, "ERR timeout is not an integer or out of range")) {
        return;
      }
      if (ms < 0) return ctx.reply.Error("ERR timeout is negative");
      if (ms > 0) {
        const int64_t now = ctx.services.clock().NowMs();
        if (ms > std::numeric_limits<int64_t>::max() - now) {
          return ctx.reply.Error("ERR timeout is out of range");
        }
        ms += now;
      }
      deadline = ms;
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      ++i;
      if (!Int64OrReply(ctx.reply, argv[i], &count)) return;
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      streams_at = i + 1;
      nstreams = argv.size() - streams_at;
      if (nstreams % 2 != 0) {
        return ctx.reply.Error(
            "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must "
            "be specified.");
      }
      nstreams /= 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      group_name = argv[i + 1];
      consumer = argv[i + 2];
      have_group = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      noack = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (streams_at == 0) return ctx.reply.Error(errors::kSyntax);
  if (!have_group) return ctx.reply.Error("ERR Missing GROUP option for XREADGROUP");

  // The keys, their groups and IDs (StreamId::Max() stands for ">", as in Redis).
  std::vector<StreamId> ids(nstreams);
  for (size_t k = 0; k < nstreams; ++k) {
    std::string_view key = argv[streams_at + k];
    std::string_view arg = argv[streams_at + nstreams + k];
    bool wrong = false;
    StreamRef ref = LookupStream(ctx, key, false, &wrong);
    if (wrong) return;
    if (ref.stream == nullptr || engine::FindGroup(*ref.stream, group_name) == nullptr) {
      return ctx.reply.Error(NoKeyOrGroup(key, group_name, " in XREADGROUP with GROUP option"));
    }
    if (arg == "$") {
      return ctx.reply.Error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history "
          "of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ "
          "ID would just return an empty result set.");
    }
    if (arg == ">") {
      ids[k] = StreamId::Max();
    } else if (!StrictIdOrReply(ctx, arg, 0, &ids[k])) {
      return;
    }
  }

  const int64_t now = ctx.services.clock().NowMs();
  size_t served = 0;
  size_t handle = 0;
  bool stated = false;  // the log has this run's effect (PropagateAs)
  for (size_t k = 0; k < nstreams; ++k) {
    std::string_view key = argv[streams_at + k];
    engine::Entry* e = ctx.db().FindRaw(key);
    engine::Stream& s = *engine::StreamOf(e);
    engine::StreamGroup& g = *engine::FindGroup(s, group_name);
    const bool history = ids[k] != StreamId::Max();
    bool serve = history;
    if (!history && s.length() > 0) {
      std::optional<StreamId> last = engine::LastEntryId(s);
      serve = last && *last > g.last_id;
    }
    uint64_t writes = 0;
    TouchConsumer(ctx, g, key, consumer, now, &writes);
    if (writes > 0 && Logging(ctx)) {
      // Redis 7.2 logs the creation with NOACK only (else the XCLAIMs create the consumer); it
      // is logged always here, so that a read that delivers nothing leaves it too.
      PropagateConsumerCreation(ctx, key, group_name, consumer);
      stated = true;
    }
    const StreamId last_before = g.last_id;
    const int64_t entries_read_before = g.entries_read;
    if (serve) {
      if (++served == 1) handle = ctx.reply.BeginDeferred();
      if (ctx.reply.protocol() < 3) ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      const size_t list = ctx.reply.BeginDeferred();
      size_t n;
      if (history) {
        StreamId start = ids[k];
        start.Increment(&start);
        n = engine::ReadConsumerHistory(s, g, consumer, start, static_cast<size_t>(count), now,
                                        [&](StreamId id, const engine::StreamEntryView* entry) {
                                          if (entry != nullptr)
                                            return ReplyEntry(ctx.reply, *entry);
                                          ctx.reply.ArrayHeader(2);
                                          ReplyId(ctx.reply, id);
                                          ctx.reply.NullArray();
                                        });
      } else {
        const bool logging = Logging(ctx);
        n = engine::ReadNewEntries(s, g, consumer, static_cast<size_t>(count), noack, now,
                                   [&](const engine::StreamEntryView& entry) {
                                     ReplyEntry(ctx.reply, entry);
                                     if (logging && !noack) {
                                       PropagateClaim(ctx, key, group_name, consumer, entry.id,
                                                      g.pending[entry.id], g.last_id);
                                       stated = true;
                                     }
                                     return true;
                                   });
      }
      ctx.reply.FinishDeferredArray(list, n);
      ++writes;
    }
    // The group's position, with its entries-read counter: Redis 7.2 logs it for NOACK (the
    // XCLAIMs' LASTID carry the ID otherwise, but not the counter, which is logged here too).
    if (Logging(ctx) && (g.last_id != last_before || g.entries_read != entries_read_before)) {
      PropagateGroupId(ctx, key, group_name, g);
      stated = true;
    }
    if (writes > 0) engine::NoteStreamWrite(ctx.db(), e, writes);
  }
  PropagateNothingElse(ctx, stated);
  if (served > 0) {
    if (ctx.reply.protocol() < 3) return ctx.reply.FinishDeferredArray(handle, served);
    return ctx.reply.FinishDeferredMap(handle, served);
  }
  if (deadline == -1 || ctx.session.deny_blocking || ctx.services.in_exec()) {
    return ctx.reply.NullArray();
  }
  std::vector<std::string_view> keys(argv.begin() + static_cast<ptrdiff_t>(streams_at),
                                     argv.begin() + static_cast<ptrdiff_t>(streams_at + nstreams));
  // Woken also when a key goes away or changes type (Redis 7.2's unblock_on_nokey): the command
  // then runs again and answers NOGROUP or WRONGTYPE.
  ctx.services.blocked().BlockOnStreams(&ctx.session, ctx.session.db, keys, ids, deadline,
                                        "xreadgroup", true);
}

void CmdXAck(CommandContext& ctx, Args argv) {
  bool wrong = false;
  StreamRef ref = LookupStream(ctx, argv[1], false, &wrong);
  if (wrong) return;
  engine::StreamGroup* g = ref.stream ? engine::FindGroup(*ref.stream, argv[2]) : nullptr;
  if (g == nullptr) return ctx.reply.Integer(0);
  // All IDs are parsed first: the reply cannot be an error once something was acknowledged.
  std::vector<StreamId> ids(argv.size() - 3);
  for (size_t j = 3; j < argv.size(); ++j) {
    if (!StrictIdOrReply(ctx, argv[j], 0, &ids[j - 3])) return;
  }
  uint64_t acked = 0;
  for (const StreamId& id : ids) acked += engine::Acknowledge(*g, id) ? 1 : 0;
  if (acked > 0) engine::NoteStreamWrite(ctx.db(), ref.entry, acked);
  ctx.reply.Integer(static_cast<int64_t>(acked));
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void CmdXPending(CommandContext& ctx, Args argv) {
  const bool summary = argv.size() == 3;
  if (!summary && (argv.size() < 6 || argv.size() > 9)) return ctx.reply.Error(errors::kSyntax);
  StreamId start, end;
  int64_t count = 0;
  int64_t min_idle = 0;
  std::string_view consumer;
  bool have_consumer = false;
  if (!summary) {
    size_t at = 3;
    if (EqualsIgnoreCase(argv[3], "idle")) {
      if (!Int64OrReply(ctx.reply, argv[4], &min_idle)) return;
      if (argv.size() < 8) return ctx.reply.Error(errors::kSyntax);
      at += 2;
    }
    if (!Int64OrReply(ctx.reply, argv[at + 2], &count)) return;
    if (count < 0) count = 0;
    bool exclusive = false;
    if (!IntervalIdOrReply(ctx, argv[at], 0, &start, &exclusive)) return;
    if (exclusive && !start.Increment(&start)) {
      return ctx.reply.Error("ERR invalid start ID for the interval");
    }
    if (!IntervalIdOrReply(ctx, argv[at + 1], UINT64_MAX, &end, &exclusive)) return;
    if (exclusive && !end.Decrement(&end)) {
      return ctx.reply.Error("ERR invalid end ID for the interval");
    }
    if (at + 3 < argv.size()) {
      consumer = argv[at + 3];
      have_consumer = true;
    }
  }
  bool wrong = false;
  StreamRef ref = LookupStream(ctx, argv[1], false, &wrong);
  if (wrong) return;
  const engine::StreamGroup* g = ref.stream ? engine::FindGroup(*ref.stream, argv[2]) : nullptr;
  if (g == nullptr) return ctx.reply.Error(NoKeyOrGroup(argv[1], argv[2]));

  if (summary) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<int64_t>(g->pending.size()));
    if (g->pending.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      return ctx.reply.NullArray();
    }
    ReplyId(ctx.reply, g->pending.begin()->first);
    ReplyId(ctx.reply, g->pending.rbegin()->first);
    size_t with_pending = 0;
    for (const auto& [name, c] : g->consumers) with_pending += c.pending.empty() ? 0 : 1;
    ctx.reply.ArrayHeader(with_pending);
    for (const auto& [name, c] : g->consumers) {
      if (c.pending.empty()) continue;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(std::to_string(c.pending.size()));
    }
    return;
  }
  const int64_t now = ctx.services.clock().NowMs();
  const size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  engine::VisitPending(*g, have_consumer ? &consumer : nullptr, start, end,
                       static_cast<size_t>(count), min_idle, now,
                       [&](StreamId id, const engine::StreamNack& nack) {
                         ctx.reply.ArrayHeader(4);
                         ReplyId(ctx.reply, id);
                         ctx.reply.Bulk(nack.consumer);
                         ctx.reply.Integer(std::max<int64_t>(0, now - nack.delivery_time_ms));
                         ctx.reply.Integer(static_cast<int64_t>(nack.delivery_count));
                         ++n;
                       });
  ctx.reply.FinishDeferredArray(handle, n);
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
//   [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
void CmdXClaim(CommandContext& ctx, Args argv) {
  bool wrong = false;
  StreamRef ref = LookupStream(ctx, argv[1], false, &wrong);
  if (wrong) return;
  engine::StreamGroup* g = ref.stream ? engine::FindGroup(*ref.stream, argv[2]) : nullptr;
  if (g == nullptr) return ctx.reply.Error(NoKeyOrGroup(argv[1], argv[2]));
  engine::ClaimOptions opts;
  if (!Int64OrReply(ctx.reply, argv[4], &opts.min_idle_ms,
                    "ERR Invalid min-idle-time argument for XCLAIM")) {
    return;
  }
  if (opts.min_idle_ms < 0) opts.min_idle_ms = 0;
  // The IDs run until the first argument that is not one; the options follow.
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < argv.size(); ++j) {
    StreamId id;
    if (!engine::ParseStreamId(argv[j], 0, false, &id)) break;
    ids.push_back(id);
  }
  const int64_t now = ctx.services.clock().NowMs();
  StreamId last_id;
  for (; j < argv.size(); ++j) {
    const size_t more = argv.size() - 1 - j;
    std::string_view opt = argv[j];
    if (EqualsIgnoreCase(opt, "force")) {
      opts.force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      opts.justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more > 0) {
      int64_t idle;
      if (!Int64OrReply(ctx.reply, argv[++j], &idle,
                        "ERR Invalid IDLE option argument for XCLAIM")) {
        return;
      }
      opts.delivery_time_ms = now - idle;
    } else if (EqualsIgnoreCase(opt, "time") && more > 0) {
      if (!Int64OrReply(ctx.reply, argv[++j], &opts.delivery_time_ms,
                        "ERR Invalid TIME option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "retrycount") && more > 0) {
      if (!Int64OrReply(ctx.reply, argv[++j], &opts.retry_count,
                        "ERR Invalid RETRYCOUNT option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "lastid") && more > 0) {
      if (!StrictIdOrReply(ctx, argv[++j], 0, &last_id)) return;
    } else {
      return ctx.reply.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
    }
  }
  uint64_t writes = 0;
  bool last_id_moved = false;
  if (last_id > g->last_id) {
    g->last_id = last_id;
    last_id_moved = true;
  }
  TouchConsumer(ctx, *g, argv[1], argv[3], now, &writes);
  const bool logging = Logging(ctx);
  // A consumer created by a claim of nothing would not be logged by Redis 7.2.
  if (writes > 0 && logging) PropagateConsumerCreation(ctx, argv[1], argv[2], argv[3]);
  const size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  uint64_t changed = 0;
  engine::StreamNack removed;
  for (const StreamId& id : ids) {
    if (logging) {
      auto it = g->pending.find(id);
      if (it != g->pending.end()) removed = it->second;
    }
    switch (engine::ClaimEntry(*ref.stream, *g, argv[3], id, opts, now)) {
      case engine::ClaimResult::kClaimed:
        if (opts.justid) {
          ReplyId(ctx.reply, id);
        } else {
          ReplyEntryById(ctx.reply, *ref.stream, id);
        }
        ++n;
        ++changed;
        if (logging) PropagateClaim(ctx, argv[1], argv[2], argv[3], id, g->pending[id], g->last_id);
        break;
      case engine::ClaimResult::kRemoved:
        ++changed;
        // Replayed, the entry is still missing from the stream: its pending entry goes again.
        if (logging) PropagateClaim(ctx, argv[1], argv[2], argv[3], id, removed, g->last_id);
        break;
      case engine::ClaimResult::kSkipped:
      case engine::ClaimResult::kNotFound:
        break;
    }
  }
  ctx.reply.FinishDeferredArray(handle, n);
  // Redis counts each claim or removal, or else one for LASTID moving the group's ID.
  writes += changed > 0 ? changed : (last_id_moved ? 1 : 0);
  // LASTID moved the group with nothing claimed: the log says where it is now.
  if (logging && changed == 0 && last_id_moved) PropagateGroupId(ctx, argv[1], argv[2], *g);
  PropagateNothingElse(ctx, changed > 0 || last_id_moved || writes > 0);
  if (writes > 0) engine::NoteStreamWrite(ctx.db(), ref.entry, writes);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void CmdXAutoClaim(CommandContext& ctx, Args argv) {
  int64_t min_idle;
  if (!Int64OrReply(ctx.reply, argv[4], &min_idle,
                    "ERR Invalid min-idle-time argument for XAUTOCLAIM")) {
    return;
  }
  if (min_idle < 0) min_idle = 0;
  StreamId start;
  bool exclusive = false;
  if (!IntervalIdOrReply(ctx, argv[5], 0, &start, &exclusive)) return;
  if (exclusive && !start.Increment(&start)) {
    return ctx.reply.Error("ERR invalid start ID for the interval");
  }
  int64_t count = 100;
  bool justid = false;
  // Redis' bound: LONG_MAX / max(sizeof(streamID), attempts factor 10).
  constexpr int64_t kMaxCount = std::numeric_limits<int64_t>::max() / 16;
  for (size_t j = 6; j < argv.size(); ++j) {
    const size_t more = argv.size() - 1 - j;
    if (EqualsIgnoreCase(argv[j], "count") && more > 0) {
      if (!engine::ParseInt64(argv[j + 1], &count) || count < 1 || count > kMaxCount) {
        return ctx.reply.Error("ERR COUNT must be > 0");
      }
      ++j;
    } else if (EqualsIgnoreCase(argv[j], "justid")) {
      justid = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  bool wrong = false;
  StreamRef ref = LookupStream(ctx, argv[1], false, &wrong);
  if (wrong) return;
  engine::StreamGroup* g = ref.stream ? engine::FindGroup(*ref.stream, argv[2]) : nullptr;
  if (g == nullptr) return ctx.reply.Error(NoKeyOrGroup(argv[1], argv[2]));
  const int64_t now = ctx.services.clock().NowMs();
  uint64_t writes = 0;
  TouchConsumer(ctx, *g, argv[1], argv[3], now, &writes);
  const bool logging = Logging(ctx);
  if (writes > 0 && logging) PropagateConsumerCreation(ctx, argv[1], argv[2], argv[3]);
  engine::AutoClaimResult r = engine::AutoClaim(*ref.stream, *g, argv[3], start,
                                                static_cast<size_t>(count), min_idle, justid, now);
  if (logging) {
    // Each entry claimed as XCLAIM, as Redis 7.2; each pending entry dropped (its entry gone
    // from the stream) as an XCLAIM too, which drops it again on replay.
    for (const StreamId& id : r.claimed) {
      PropagateClaim(ctx, argv[1], argv[2], argv[3], id, g->pending[id], g->last_id);
    }
    engine::StreamNack gone;
    gone.delivery_time_ms = now;
    for (const StreamId& id : r.deleted) {
      PropagateClaim(ctx, argv[1], argv[2], argv[3], id, gone, g->last_id);
    }
  }
  PropagateNothingElse(ctx, writes > 0 || !r.claimed.empty() || !r.deleted.empty());
  ctx.reply.ArrayHeader(3);
  ReplyId(ctx.reply, r.next);
  ctx.reply.ArrayHeader(r.claimed.size());
  for (const StreamId& id : r.claimed) {
    if (justid) {
      ReplyId(ctx.reply, id);
    } else {
      ReplyEntryById(ctx.reply, *ref.stream, id);
    }
  }
  ctx.reply.ArrayHeader(r.deleted.size());
  for (const StreamId& id : r.deleted) ReplyId(ctx.reply, id);
  writes += r.claimed.size() + r.deleted.size();
  if (writes > 0) engine::NoteStreamWrite(ctx.db(), ref.entry, writes);
}

}  // namespace dkv::server
