// Conversions between strings and numbers with Redis' exact rules, shared by the engine's
// operations and the command handlers. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resp/text.h"

namespace dkv::engine {

// Redis' string2ll (resp/text.h, the one integer parser): this is what makes "012" or " 1" not
// an integer for INCR.
using text::ParseInt64;
// Redis' string2ld: what strtold accepts, whole string, no leading space, not NaN.
bool ParseLongDouble(std::string_view s, long double* out);
// Redis' string2d (for float arguments such as INCRBYFLOAT's increment is long double; this one is
// for plain doubles): whole string, no leading space, not NaN.
bool ParseDouble(std::string_view s, double* out);
std::string FormatInt64(int64_t v);
// INCRBYFLOAT's human-friendly format: fixed notation with 17 decimals, trailing zeros removed.
std::string FormatLongDouble(long double v);

}  // namespace dkv::engine
