// SHA-1 (FIPS 180-4), for script names: EVAL caches a script under the SHA-1 of its body and
// EVALSHA finds it by that name, as in Redis; redis.sha1hex exposes it to scripts. Not used for
// anything that needs a secure hash.
#pragma once

#include <string>
#include <string_view>

namespace dkv::server {

// 40 lower-case hex digits.
std::string Sha1Hex(std::string_view data);

}  // namespace dkv::server
