// Version strings. dkv answers INFO and HELLO with the Redis version whose semantics it follows,
// so that clients take their modern code paths, and reports its own version beside it.
#pragma once

namespace dkv::server {
inline constexpr const char* kDkvVersion = "0.1.0";
inline constexpr const char* kRedisCompatVersion = "7.2.4";
}  // namespace dkv::server
