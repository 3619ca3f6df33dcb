// Streams without consumer groups: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD,
// with Redis 7.2's parsing, errors and replies (XREAD also takes 7.4's "+", the last entry). The
// entries live in engine/stream.h's Stream; every change ends with engine::NoteStreamWrite (the
// observers, dirty), and the keyspace events are Redis' ("xadd", "xtrim", "xdel", "xsetid").
// XREAD BLOCK parks the client through BlockedClients::BlockOnStreams
// (src/core/blocked_clients.h) with the IDs it resolved, and runs again when a stream it waits
// for is written.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/numbers.h"
#include "engine/stream.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/commands/stream_args.h"
#include "src/core/keyspace_events.h"

namespace dkv::server {

using engine::Stream;
using engine::StreamId;

// --- Shared helpers (stream_args.h) ---

bool StreamIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, bool strict,
                     StreamId* id, bool* seq_given) {
  if (seq_given != nullptr) *seq_given = true;
  bool ok = arg.size() <= 127;
  if (ok && strict && (arg == "-" || arg == "+")) ok = false;
  if (ok && seq_given != nullptr && arg.size() >= 2 && arg.substr(arg.size() - 2) == "-*") {
    ok = engine::ParseStreamId(arg.substr(0, arg.size() - 2), 0, false, id) &&
         arg.substr(0, arg.size() - 2).find('-') == std::string_view::npos;
    if (ok) *seq_given = false;
  } else if (ok) {
    ok = engine::ParseStreamId(arg, missing_seq, !strict, id);
  }
  if (!ok) ctx.reply.Error(kInvalidStreamId);
  return ok;
}

void ReplyStreamEntry(CommandContext& ctx, const engine::StreamEntryView& entry) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(entry.id.ToString());
  ctx.reply.ArrayHeader(entry.items.size());
  for (std::string_view s : entry.items) ctx.reply.Bulk(s);
}

size_t ReplyStreamRange(CommandContext& ctx, const Stream& stream, StreamId start, StreamId end,
                        size_t count, bool reverse) {
  size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  stream.Range(start, end, reverse, [&](const engine::StreamEntryView& e) {
    ReplyStreamEntry(ctx, e);
    n++;
    return count == 0 || n < count;
  });
  ctx.reply.FinishDeferredArray(handle, n);
  return n;
}

bool LastEntryId(const Stream& stream, StreamId* id) {
  bool found = false;
  stream.Range(StreamId::Min(), StreamId::Max(), true, [&](const engine::StreamEntryView& e) {
    *id = e.id;
    found = true;
    return false;
  });
  return found;
}

bool BlockDeadlineOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  int64_t t;
  if (!engine::ParseInt64(arg, &t)) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return false;
  }
  return BlockDeadlineFromMsOrReply(ctx, t, deadline_ms);
}

namespace {

enum class Trim { kNone, kMaxLen, kMinId };

// Redis' streamAddTrimArgs.
struct AddTrimArgs {
  Trim trim = Trim::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;
  bool no_mkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamId id;
  // Where the trim's threshold (MAXLEN's count, MINID's ID) and LIMIT's word are (0: absent).
  size_t threshold_at = 0;
  size_t limit_at = 0;
};

// Redis' streamParseAddOrTrimArgsOrReply: the position of XADD's ID argument (XTRIM: the end),
// or 0 after replying an error.
size_t ParseAddOrTrimOrReply(CommandContext& ctx, Args argv, bool xadd, AddTrimArgs* a) {
  size_t i = 2;
  bool limit_given = false;
  const char* const kBoth =
      "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
  for (; i < argv.size(); i++) {
    const size_t more = argv.size() - 1 - i;
    std::string_view opt = argv[i];
    if (xadd && opt == "*") break;
    if ((EqualsIgnoreCase(opt, "maxlen") || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      const bool maxlen = EqualsIgnoreCase(opt, "maxlen");
      if (a->trim != Trim::kNone) {
        ctx.reply.Error(kBoth);
        return 0;
      }
      a->approx = false;
      std::string_view next = argv[i + 1];
      if (more >= 2 && next == "~") {
        a->approx = true;
        i++;
      } else if (more >= 2 && next == "=") {
        i++;
      }
      a->threshold_at = i + 1;
      if (maxlen) {
        if (!Int64OrReply(ctx.reply, argv[i + 1], &a->maxlen)) return 0;
        if (a->maxlen < 0) {
          ctx.reply.Error("ERR The MAXLEN argument must be >= 0.");
          return 0;
        }
        a->trim = Trim::kMaxLen;
      } else {
        if (!StreamIdOrReply(ctx, argv[i + 1], 0, true, &a->minid)) return 0;
        a->trim = Trim::kMinId;
      }
      i++;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!Int64OrReply(ctx.reply, argv[i + 1], &a->limit)) return 0;
      if (a->limit < 0) {
        ctx.reply.Error("ERR The LIMIT argument must be >= 0.");
        return 0;
      }
      limit_given = true;
      a->limit_at = i;
      i++;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      if (!StreamIdOrReply(ctx, opt, 0, true, &a->id, &a->seq_given)) return 0;
      a->id_given = true;
      break;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return 0;
    }
  }
  if (a->limit != 0 && a->trim == Trim::kNone) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return 0;
  }
  if (!xadd && a->trim == Trim::kNone) {
    ctx.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return 0;
  }
  if (limit_given) {
    if (!a->approx) {
      ctx.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return 0;
    }
  } else if (a->approx) {
    // At most 100 nodes' worth of work by default, as Redis.
    const size_t per_node = engine::GlobalStreamLimits().node_max_entries;
    a->limit = per_node == 0 || per_node > 10000 ? (per_node == 0 ? 10000 : 1000000)
                                                 : static_cast<int64_t>(100 * per_node);
  } else {
    a->limit = 0;
  }
  return i;
}

size_t DoTrim(Stream* s, const AddTrimArgs& a) {
  const auto limit = static_cast<size_t>(a.limit);
  if (a.trim == Trim::kMaxLen)
    return s->TrimByLength(static_cast<size_t>(a.maxlen), a.approx, limit);
  if (a.trim == Trim::kMinId) return s->TrimByMinId(a.minid, a.approx, limit);
  return 0;
}

// What the log records of an XADD or XTRIM (Redis 7.2's streamRewriteApproxSpecifier and
// streamRewriteTrimArgument, and XADD's generated ID): an approximate trim becomes the exact one
// that removes the same entries, `MAXLEN = <the length left>` or `MINID = <the first ID left>`,
// without its LIMIT (replay trims exactly, and LIMIT is refused without "~"); an ID made by the
// server (`*`, `<ms>-*`) becomes the ID it got (`idpos` 0: XTRIM). Nothing when neither applies.
void PropagateAddOrTrim(CommandContext& ctx, Args argv, const AddTrimArgs& a, const Stream* s,
                        size_t idpos, StreamId id) {
  const bool approx = a.trim != Trim::kNone && a.approx;
  const bool made_id = idpos != 0 && (!a.id_given || !a.seq_given);
  if (!ctx.Propagating() || (!approx && !made_id)) return;
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (size_t i = 0; i < argv.size(); ++i) {
    if (approx && a.limit_at != 0 && (i == a.limit_at || i == a.limit_at + 1)) continue;
    if (approx && i + 1 == a.threshold_at) {
      out.emplace_back("=");
    } else if (approx && i == a.threshold_at) {
      if (a.trim == Trim::kMaxLen) {
        out.push_back(std::to_string(s != nullptr ? s->length() : 0));
      } else {
        // The first ID left; nothing left: the ID asked for removed everything, as it will.
        StreamId first = a.minid;
        if (s != nullptr) {
          s->Range(StreamId::Min(), StreamId::Max(), false, [&](const engine::StreamEntryView& e) {
            first = e.id;
            return false;
          });
        }
        out.push_back(first.ToString());
      }
    } else if (made_id && i == idpos) {
      out.push_back(id.ToString());
    } else {
      out.emplace_back(argv[i]);
    }
  }
  ctx.PropagateAs(std::move(out));
}

// Whether this run may park the client: not inside EXEC (scripts refuse BLOCK earlier).
bool MayBlock(CommandContext& ctx) { return !ctx.session.deny_blocking && !ctx.services.in_exec(); }

}  // namespace

void CmdXAdd(CommandContext& ctx, Args argv) {
  AddTrimArgs a;
  const size_t idpos = ParseAddOrTrimOrReply(ctx, argv, true, &a);
  if (idpos == 0) return;
  const size_t field_pos = idpos + 1;
  if (field_pos >= argv.size() || argv.size() - field_pos < 2 ||
      (argv.size() - field_pos) % 2 == 1) {
    return ctx.reply.Error(errors::WrongArity("xadd"));
  }
  if (a.id_given && a.seq_given && a.id == StreamId::Min()) {
    return ctx.reply.Error("ERR The ID specified in XADD must be greater than 0-0");
  }
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kStream, &wrong);
  if (wrong) return;
  if (e == nullptr && a.no_mkstream) return ctx.reply.Null();
  Stream* s = e != nullptr ? engine::StreamOf(e) : nullptr;
  const StreamId last = s != nullptr ? s->last_id() : StreamId::Min();
  if (last == StreamId::Max()) {
    return ctx.reply.Error(
        "ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  // Redis' streamAppendItem: the new ID.
  StreamId id;
  const char* const kSmaller =
      "ERR The ID specified in XADD is equal or smaller than the target stream top item";
  if (a.id_given) {
    if (a.seq_given) {
      id = a.id;
    } else if (last.ms == a.id.ms) {
      if (last.seq == UINT64_MAX) return ctx.reply.Error(kSmaller);
      id = {last.ms, last.seq + 1};
    } else {
      id = a.id;
    }
  } else {
    const auto now = static_cast<uint64_t>(ctx.services.clock().NowMs());
    if (now > last.ms) {
      id = {now, 0};
    } else {
      last.Increment(&id);
    }
  }
  if (id <= last) return ctx.reply.Error(kSmaller);
  size_t total = 0;
  for (size_t j = field_pos; j < argv.size(); j++) total += argv[j].size();
  if (total > (size_t{1} << 30)) return ctx.reply.Error("ERR Elements are too large to be stored");

  engine::Database& db = ctx.db();
  if (e == nullptr) {
    e = engine::CreateStream(db, argv[1]);
    s = engine::StreamOf(e);
  }
  s->Append(id, argv.subspan(field_pos), engine::GlobalStreamLimits());
  ctx.reply.Bulk(id.ToString());
  ctx.Notify(kNotifyStream, "xadd", argv[1]);
  if (a.trim != Trim::kNone && DoTrim(s, a) > 0) ctx.Notify(kNotifyStream, "xtrim", argv[1]);
  engine::NoteStreamWrite(db, e, 1);
  PropagateAddOrTrim(ctx, argv, a, s, idpos, id);
}

void CmdXLen(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kStream, &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(engine::StreamOf(e)->length()));
}

namespace {

// Redis' streamParseIntervalIDOrReply: "(" makes the bound exclusive (strict ID after it).
bool IntervalIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                       StreamId* id, bool* exclusive) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  if (*exclusive) return StreamIdOrReply(ctx, arg.substr(1), missing_seq, true, id);
  return StreamIdOrReply(ctx, arg, missing_seq, false, id);
}

void Range(CommandContext& ctx, Args argv, bool rev) {
  std::string_view start_arg = rev ? argv[3] : argv[2];
  std::string_view end_arg = rev ? argv[2] : argv[3];
  StreamId start, end;
  bool start_ex = false, end_ex = false;
  if (!IntervalIdOrReply(ctx, start_arg, 0, &start, &start_ex)) return;
  if (start_ex && !start.Increment(&start)) {
    return ctx.reply.Error("ERR invalid start ID for the interval");
  }
  if (!IntervalIdOrReply(ctx, end_arg, UINT64_MAX, &end, &end_ex)) return;
  if (end_ex && !end.Decrement(&end)) return ctx.reply.Error("ERR invalid end ID for the interval");
  int64_t count = -1;
  for (size_t j = 4; j < argv.size(); j++) {
    if (EqualsIgnoreCase(argv[j], "count") && j + 1 < argv.size()) {
      if (!Int64OrReply(ctx.reply, argv[j + 1], &count)) return;
      if (count < 0) count = 0;
      j++;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kStream, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.EmptyArray();
  if (count == 0) return ctx.reply.NullArray();
  ReplyStreamRange(ctx, *engine::StreamOf(e), start, end,
                   count < 0 ? 0 : static_cast<size_t>(count), rev);
}

}  // namespace

void CmdXRange(CommandContext& ctx, Args argv) { Range(ctx, argv, false); }
void CmdXRevRange(CommandContext& ctx, Args argv) { Range(ctx, argv, true); }

void CmdXDel(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kStream, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  std::vector<StreamId> ids(argv.size() - 2);
  for (size_t j = 2; j < argv.size(); j++) {
    if (!StreamIdOrReply(ctx, argv[j], 0, true, &ids[j - 2])) return;
  }
  Stream* s = engine::StreamOf(e);
  uint64_t deleted = 0;
  for (const StreamId& id : ids) deleted += s->Delete(id) ? 1 : 0;
  if (deleted > 0) {
    ctx.Notify(kNotifyStream, "xdel", argv[1]);
    engine::NoteStreamWrite(ctx.db(), e, deleted);
  }
  ctx.reply.Integer(static_cast<int64_t>(deleted));
}

void CmdXTrim(CommandContext& ctx, Args argv) {
  AddTrimArgs a;
  if (ParseAddOrTrimOrReply(ctx, argv, false, &a) == 0) return;
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kStream, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Integer(0);
  const size_t deleted = DoTrim(engine::StreamOf(e), a);
  if (deleted > 0) {
    ctx.Notify(kNotifyStream, "xtrim", argv[1]);
    engine::NoteStreamWrite(ctx.db(), e, deleted);
    PropagateAddOrTrim(ctx, argv, a, engine::StreamOf(e), 0, {});
  }
  ctx.reply.Integer(static_cast<int64_t>(deleted));
}

void CmdXSetId(CommandContext& ctx, Args argv) {
  StreamId id, max_deleted;
  if (!StreamIdOrReply(ctx, argv[2], 0, true, &id)) return;
  int64_t entries_added = -1;
  for (size_t i = 3; i < argv.size(); i += 2) {
    const bool more = i + 1 < argv.size();
    if (EqualsIgnoreCase(argv[i], "entriesadded") && more) {
      if (!Int64OrReply(ctx.reply, argv[i + 1], &entries_added)) return;
      if (entries_added < 0) return ctx.reply.Error("ERR entries_added must be positive");
    } else if (EqualsIgnoreCase(argv[i], "maxdeletedid") && more) {
      if (!StreamIdOrReply(ctx, argv[i + 1], 0, true, &max_deleted)) return;
      if (id < max_deleted) {
        return ctx.reply.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  bool wrong = false;
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kStream, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Error("ERR no such key");
  Stream* s = engine::StreamOf(e);
  if (id < s->max_deleted_id()) {
    return ctx.reply.Error(
        "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
  }
  StreamId top;
  if (s->length() > 0 && LastEntryId(*s, &top)) {
    if (id < top) {
      return ctx.reply.Error(
          "ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added)) {
      return ctx.reply.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(static_cast<uint64_t>(entries_added));
  if (max_deleted != StreamId::Min()) s->set_max_deleted_id(max_deleted);
  ctx.reply.Ok();
  engine::NoteStreamWrite(ctx.db(), e, 1);
  ctx.Notify(kNotifyStream, "xsetid", argv[1]);
}

void CmdXRead(CommandContext& ctx, Args argv) {
  int64_t deadline = -1;  // -1: no BLOCK
  int64_t count = 0;
  size_t streams_at = 0;
  size_t n = 0;
  for (size_t i = 1; i < argv.size(); i++) {
    const bool more = i + 1 < argv.size();
    std::string_view o = argv[i];
    if (EqualsIgnoreCase(o, "block") && more) {
      if (ctx.session.deny_blocking) {
        return ctx.reply.Error("ERR " + std::string(argv[0]) +
                               " command is not allowed with BLOCK option from scripts");
      }
      i++;
      if (!BlockDeadlineOrReply(ctx, argv[i], &deadline)) return;
    } else if (EqualsIgnoreCase(o, "count") && more) {
      i++;
      if (!Int64OrReply(ctx.reply, argv[i], &count)) return;
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more) {
      streams_at = i + 1;
      if ((argv.size() - streams_at) % 2 != 0) {
        return ctx.reply.Error(
            "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be "
            "specified.");
      }
      n = (argv.size() - streams_at) / 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && i + 2 < argv.size()) {
      return ctx.reply.Error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
    } else if (EqualsIgnoreCase(o, "noack")) {
      return ctx.reply.Error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (streams_at == 0) return ctx.reply.Error(errors::kSyntax);

  // The IDs to read after: the ones resolved when the client blocked, when this runs again.
  const std::vector<StreamId>* resolved = ctx.services.blocked().RerunStreamIds(ctx.session.id);
  if (resolved != nullptr && resolved->size() != n) resolved = nullptr;
  std::vector<StreamId> ids(n);
  for (size_t k = 0; k < n; k++) {
    std::string_view key = argv[streams_at + k];
    std::string_view arg = argv[streams_at + n + k];
    bool wrong = false;
    engine::Entry* e = LookupRead(ctx, key, engine::Kind::kStream, &wrong);
    if (wrong) return;
    const Stream* s = e != nullptr ? engine::StreamOf(e) : nullptr;
    if (resolved != nullptr) {
      ids[k] = (*resolved)[k];
    } else if (arg == "$") {
      ids[k] = s != nullptr ? s->last_id() : StreamId::Min();
    } else if (arg == "+") {
      // Redis 7.4: the last entry (what follows the ID just before the last one).
      ids[k] = s != nullptr ? s->last_id() : StreamId::Min();
      if (ids[k] != StreamId::Min()) ids[k].Decrement(&ids[k]);
    } else if (arg == ">") {
      return ctx.reply.Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
          "<consumer> option.");
    } else if (!StreamIdOrReply(ctx, arg, 0, true, &ids[k])) {
      return;
    }
  }

  size_t handle = 0;
  size_t served = 0;
  for (size_t k = 0; k < n; k++) {
    engine::Entry* e = ctx.db().Find(argv[streams_at + k]);
    if (e == nullptr || e->kind() != engine::Kind::kStream) continue;
    const Stream* s = engine::StreamOf(e);
    StreamId top;
    if (s->length() == 0 || !LastEntryId(*s, &top) || top <= ids[k]) continue;
    if (served++ == 0) handle = ctx.reply.BeginDeferred();
    if (ctx.reply.protocol() == 2) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[streams_at + k]);
    StreamId start = ids[k];
    start.Increment(&start);
    ReplyStreamRange(ctx, *s, start, StreamId::Max(), static_cast<size_t>(count), false);
  }
  if (served > 0) {
    if (ctx.reply.protocol() == 2) return ctx.reply.FinishDeferredArray(handle, served);
    return ctx.reply.FinishDeferredMap(handle, served);
  }
  if (deadline != -1 && MayBlock(ctx)) {
    std::vector<std::string_view> keys(argv.begin() + static_cast<ptrdiff_t>(streams_at),
                                       argv.begin() + static_cast<ptrdiff_t>(streams_at + n));
    ctx.services.blocked().BlockOnStreams(&ctx.session, ctx.session.db, keys, std::move(ids),
                                          deadline, ToLower(argv[0]), false);
    return;
  }
  ctx.reply.NullArray();
}

}  // namespace dkv::server
