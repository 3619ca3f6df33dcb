// Test support for the propagation tests: parsing what the Propagator's sink received (RESP
// multibulk commands, as the append-only log holds them) back into argument vectors.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::server::testing {

// The commands in `resp`, in order. A malformed stream fails the test and ends the list.
inline std::vector<std::vector<std::string>> ParseRespCommands(std::string_view resp) {
  std::vector<std::vector<std::string>> out;
  size_t pos = 0;
  auto number = [&](char prefix, long long* n) {
    if (pos >= resp.size() || resp[pos] != prefix) return false;
    size_t end = resp.find("\r\n", pos);
    if (end == std::string_view::npos) return false;
    *n = std::stoll(std::string(resp.substr(pos + 1, end - pos - 1)));
    pos = end + 2;
    return true;
  };
  while (pos < resp.size()) {
    long long argc = 0;
    if (!number('*', &argc)) {
      BOOST_ERROR("bad RESP at " << pos);
      return out;
    }
    std::vector<std::string> argv;
    for (long long i = 0; i < argc; ++i) {
      long long len = 0;
      if (!number('$', &len) || pos + static_cast<size_t>(len) + 2 > resp.size()) {
        BOOST_ERROR("bad RESP bulk at " << pos);
        return out;
      }
      argv.emplace_back(resp.substr(pos, static_cast<size_t>(len)));
      pos += static_cast<size_t>(len) + 2;
    }
    out.push_back(std::move(argv));
  }
  return out;
}

}  // namespace dkv::server::testing
