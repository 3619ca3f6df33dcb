#include "persistence/aof_reader.h"

// STUB (issue 23): the interface is fixed; the implementation follows.

namespace dkv::persistence {

AofReadResult ReadAofFile(
    const std::string& path,
    const std::function<bool(const std::vector<std::string_view>&, uint64_t)>& on_command,
    const std::function<void(std::string_view)>& on_annotation) {
  (void)path;
  (void)on_command;
  (void)on_annotation;
  AofReadResult r;
  r.status = AofReadResult::Status::kIoError;
  r.error = "not implemented";
  return r;
}

}  // namespace dkv::persistence
