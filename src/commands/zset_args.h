// Helpers shared by the sorted-set handlers (zset_commands.cc, zset_multi_commands.cc): score and
// range arguments parsed as Redis parses them, and scores replied as Redis 7.0 prints them
// ("%.17g", "inf", "-inf"; a bulk string in RESP2, a `,` double in RESP3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/zset_ops.h"
#include "src/commands/args.h"

namespace dkv::server {

inline constexpr std::string_view kMinMaxNotFloat = "ERR min or max is not a float";
inline constexpr std::string_view kMinMaxNotLex = "ERR min or max not valid string range item";

// Redis' score text: "%.17g", infinities as "inf" and "-inf".
std::string FormatScore(double score);
void ReplyScore(resp::ReplyBuilder& reply, double score);
// A member and its score: a two-element array in RESP3 when `nested`, else two flat elements.
void ReplyScored(resp::ReplyBuilder& reply, std::string_view member, double score, bool nested);

// ZADD's and ZINCRBY's score (Redis' getDoubleFromObject: strtod, whole string, no NaN).
bool ScoreArg(std::string_view arg, double* out);
// Redis' zslParseRange: "(x" exclusive, strtod on the rest (an empty rest is 0). False on junk or
// NaN (the caller replies kMinMaxNotFloat).
bool ParseScoreRange(std::string_view min, std::string_view max, engine::ScoreRange* range);
// Redis' zslParseLexRange: "-", "+", "[x", "(x". *empty is set when the range is empty by
// construction (min "+" or max "-"). False on anything else (kMinMaxNotLex).
bool ParseLexRange(std::string_view min, std::string_view max, engine::LexRange* range,
                   bool* empty);

// Redis' rank normalization (ZRANGE, ZREMRANGEBYRANK): negative from the end, clipped. False
// when the range is empty.
bool NormalizeRanks(int64_t start, int64_t stop, size_t len, size_t* lo, size_t* hi);

}  // namespace dkv::server
