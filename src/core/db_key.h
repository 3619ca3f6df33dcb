// DbKey: a key in a namespace, by the namespace's index. A plain value type shared by the
// dispatcher (the keys a command names), the persistence backends (value reads, pins) and
// scripts; it depends on nothing else of the server.
#pragma once

#include <string>
#include <utility>

namespace dkv::server {

using DbKey = std::pair<int, std::string>;

}  // namespace dkv::server
