// Parsing and replies shared by the stream commands: stream_commands.cc (XADD ... XREAD) and the
// consumer group commands (XREADGROUP, XCLAIM, XPENDING ...). Redis 7.2's texts.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/stream.h"
#include "src/core/command.h"

namespace dkv::server {

inline constexpr std::string_view kInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";

// Redis' streamGenericParseIDOrReply: "ms-seq", "ms" (seq = `missing_seq`), "-" and "+" unless
// `strict`; with `seq_given` non-null also "ms-*" (*seq_given false, seq 0). False after
// replying kInvalidStreamId.
bool StreamIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, bool strict,
                     engine::StreamId* id, bool* seq_given = nullptr);

// One entry as Redis replies it: [id, [field, value, ...]].
void ReplyStreamEntry(CommandContext& ctx, const engine::StreamEntryView& entry);
// The entries of [start, end] (descending when `reverse`), at most `count` (0: all), as an array.
// Returns how many.
size_t ReplyStreamRange(CommandContext& ctx, const engine::Stream& stream, engine::StreamId start,
                        engine::StreamId end, size_t count, bool reverse);
// The ID of the stream's last entry (Redis' streamLastValidID); false when it is empty.
bool LastEntryId(const engine::Stream& stream, engine::StreamId* id);

// Redis' getTimeoutFromObjectOrReply in milliseconds (XREAD/XREADGROUP BLOCK): the absolute
// deadline, 0 for forever. False after replying the error.
bool BlockDeadlineOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

}  // namespace dkv::server
