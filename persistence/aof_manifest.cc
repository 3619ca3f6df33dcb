#include "persistence/aof_manifest.h"

// STUB (issue 23): the interface is fixed; the implementation follows.

namespace dkv::persistence {

int64_t AofManifest::last_base_seq() const { return base ? base->seq : 0; }
int64_t AofManifest::last_incr_seq() const { return incrs.empty() ? 0 : incrs.back().seq; }
std::string AofManifest::Parse(std::string_view, AofManifest*) { return "not implemented"; }
std::string AofManifest::Serialize() const { return ""; }
std::string AofManifestName(std::string_view fn) { return std::string(fn) + ".manifest"; }
std::string AofBaseName(std::string_view fn, int64_t seq) {
  return std::string(fn) + "." + std::to_string(seq) + ".base.dkv";
}
std::string AofIncrName(std::string_view fn, int64_t seq) {
  return std::string(fn) + "." + std::to_string(seq) + ".incr.aof";
}
std::string ReadAofManifest(const std::string&, std::string_view, AofManifest*, bool* found) {
  *found = false;
  return "";
}
std::string WriteAofManifest(const std::string&, std::string_view, const AofManifest&) {
  return "not implemented";
}

}  // namespace dkv::persistence
