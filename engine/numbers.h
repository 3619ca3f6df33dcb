// Conversions between strings and numbers with Redis' exact rules, shared by the engine's
// operations and the command handlers. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::engine {

// Redis' string2ll: an optional '-', decimal digits, no leading zeros, no '+', no spaces, in
// int64_t range. This is what makes "012" or " 1" not an integer for INCR.
bool ParseInt64(std::string_view s, int64_t* out);
// Redis' string2ld: what strtold accepts, whole string, no leading space, not NaN.
bool ParseLongDouble(std::string_view s, long double* out);
// Redis' string2d (for float arguments such as INCRBYFLOAT's increment is long double; this one is
// for plain doubles): whole string, no leading space, not NaN.
bool ParseDouble(std::string_view s, double* out);
std::string FormatInt64(int64_t v);
// INCRBYFLOAT's human-friendly format: fixed notation with 17 decimals, trailing zeros removed.
std::string FormatLongDouble(long double v);

}  // namespace dkv::engine
