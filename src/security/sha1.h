// SHA-1 and SHA-256 (FIPS 180-4). SHA-1 names scripts: EVAL caches a script under the SHA-1 of
// its body and EVALSHA finds it by that name, as in Redis; redis.sha1hex exposes it to scripts.
// SHA-256 hashes users' passwords (src/security/acl.h).
#pragma once

#include <string>
#include <string_view>

namespace dkv::server {

// 40 lower-case hex digits.
std::string Sha1Hex(std::string_view data);
// 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace dkv::server
