// libFuzzer target for the configuration loader: any bytes as the text of conf/dkv.yaml (YAML,
// every option's parser, the users: list) and then the users' rules (Acl::Load) must load or be
// refused with a reason, never crash, hang or exhaust the stack. A text that loads is rewritten
// (CONFIG REWRITE's RenderConfigFile, keeping its comments), and the rewrite must load back into
// the same options and users. The corpus starts from the shipped configuration and a file with
// users.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/config/config.h"
#include "src/config/config_rewrite.h"
#include "src/security/acl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dkv::server;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Config config;
  std::string err = LoadConfigText(text, "fuzz.yaml", &config);
  if (!err.empty()) return 0;
  std::string rewritten;
  if (!RenderConfigFile(config, text, &rewritten).empty()) __builtin_trap();
  Config back;
  std::string difference;
  if (!LoadConfigText(rewritten, "fuzz.yaml", &back).empty() ||
      !SameConfig(config, back, &difference)) {
    __builtin_trap();
  }
  Acl acl;
  std::string acl_err = acl.Load(config);
  if (acl_err.empty()) {
    // Every user can be described and checked.
    for (const auto& u : acl.users()) {
      if (Acl::Describe(*u).empty()) __builtin_trap();
      (void)acl.Authenticate(u->name, "password");
    }
  }
  return 0;
}
