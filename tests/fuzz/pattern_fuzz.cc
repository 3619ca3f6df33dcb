// libFuzzer target for engine::Pattern: any bytes compiled as a Redis glob and as a hierarchical
// glob (with and without NOCASE) must compile or be refused cleanly, and matching must agree with
// itself and never crash. The first byte picks the separator; the rest is pattern, then "\x01",
// then a key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  char sep = static_cast<char>(data[0] == 0xFF ? '.' : data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t cut = rest.find('\x01');
  std::string_view glob = rest.substr(0, cut);
  std::string_view key = cut == std::string_view::npos ? rest : rest.substr(cut + 1);
  using dkv::engine::Pattern;
  std::string error;
  if (auto p = Pattern::CompileRedisGlob(glob, &error)) {
    bool m = p->Matches(key);
    // A key that matches must start with the literal prefix.
    if (m && key.substr(0, p->literal_prefix().size()) != p->literal_prefix()) __builtin_trap();
  }
  for (bool nocase : {false, true}) {
    auto h = Pattern::CompileHierarchical(glob, sep, nocase, &error);
    if (h == nullptr) {
      if (error.empty()) __builtin_trap();  // a refusal always says why
      continue;
    }
    bool m = h->Matches(key);
    if (m && key.substr(0, h->literal_prefix().size()) != h->literal_prefix()) __builtin_trap();
    if (h->prefix_only() &&
        m != (key.substr(0, h->literal_prefix().size()) == h->literal_prefix())) {
      __builtin_trap();
    }
  }
  return 0;
}
