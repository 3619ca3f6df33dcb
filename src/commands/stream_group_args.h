// Shared pieces of the consumer-group and XINFO handlers (stream_group_commands.cc,
// stream_info_commands.cc): stream IDs parsed and replied as Redis does, an entry's reply, and
// the look-up of a stream and one of its groups. Handlers only; the group logic is in
// engine/stream_groups.h.
#pragma once

#include <string>
#include <string_view>

#include "engine/stream.h"
#include "engine/stream_groups.h"
#include "src/commands/args.h"

namespace dkv::server::stream_groups {

inline constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";

// Redis' streamParseStrictIDOrReply ("ms-seq" or "ms"; not "-" nor "+").
inline bool StrictIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                            engine::StreamId* id) {
  if (engine::ParseStreamId(arg, missing_seq, false, id)) return true;
  ctx.reply.Error(kInvalidId);
  return false;
}

// Redis' streamParseIDOrReply: also "-" (0-0) and "+" (the maximum ID).
inline bool IdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                      engine::StreamId* id) {
  if (engine::ParseStreamId(arg, missing_seq, true, id)) return true;
  ctx.reply.Error(kInvalidId);
  return false;
}

// Redis' streamParseIntervalIDOrReply: "(id" is exclusive (strict ID after the parenthesis).
inline bool IntervalIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                              engine::StreamId* id, bool* exclusive) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  if (*exclusive) return StrictIdOrReply(ctx, arg.substr(1), missing_seq, id);
  return IdOrReply(ctx, arg, missing_seq, id);
}

inline void ReplyId(resp::ReplyBuilder& reply, engine::StreamId id) { reply.Bulk(id.ToString()); }

// [id, [field, value, ...]]
inline void ReplyEntry(resp::ReplyBuilder& reply, const engine::StreamEntryView& entry) {
  reply.ArrayHeader(2);
  ReplyId(reply, entry.id);
  reply.ArrayHeader(entry.items.size());
  for (std::string_view item : entry.items) reply.Bulk(item);
}

// The entry with this ID, replied as ReplyEntry; false (nothing replied) when absent.
inline bool ReplyEntryById(resp::ReplyBuilder& reply, const engine::Stream& s,
                           engine::StreamId id) {
  return s.Lookup(id, [&](const engine::StreamEntryView& entry) {
    ReplyEntry(reply, entry);
    return false;
  });
}

// "-NOGROUP No such key 'k' or consumer group 'g'" (XPENDING, XCLAIM, XAUTOCLAIM), with
// `suffix` appended (XREADGROUP's " in XREADGROUP with GROUP option").
inline std::string NoKeyOrGroup(std::string_view key, std::string_view group,
                                std::string_view suffix = {}) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'" + std::string(suffix);
}
// "-NOGROUP No such consumer group 'g' for key name 'k'" (XGROUP, XINFO CONSUMERS).
inline std::string NoGroupForKey(std::string_view key, std::string_view group) {
  return "NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
         std::string(key) + "'";
}

// The stream at `key` for a group command: the entry (nullptr when absent) and its stream.
// Replies WRONGTYPE (and sets *wrong) for a key of another type.
struct StreamRef {
  engine::Entry* entry = nullptr;
  engine::Stream* stream = nullptr;
};
inline StreamRef LookupStream(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  StreamRef ref;
  ref.entry = write ? LookupWrite(ctx, key, engine::Kind::kStream, wrong)
                    : LookupRead(ctx, key, engine::Kind::kStream, wrong);
  if (ref.entry != nullptr) ref.stream = engine::StreamOf(ref.entry);
  return ref;
}

}  // namespace dkv::server::stream_groups
