#include "src/core/aof_replay.h"

#include <sys/stat.h>

#include <string_view>
#include <vector>

#include "persistence/aof_reader.h"
#include "resp/reply.h"
#include "src/core/dispatcher.h"
#include "src/core/server_state.h"
#include "src/core/session.h"

namespace dkv::server {
namespace {

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

AofReplayResult ReplayAofFile(ServerState* state, Dispatcher* dispatcher, const std::string& path) {
  AofReplayResult result;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) result.file_bytes = static_cast<uint64_t>(st.st_size);
  std::string scratch;
  Session session;
  session.id = 0;
  session.user = state->acl.default_user();
  session.authenticated = true;
  session.protocol = 2;
  session.deny_blocking = true;
  session.out = &scratch;
  resp::ReplyBuilder reply(&scratch, 2);

  // MULTI ... EXEC: the commands wait for EXEC (their copies: the reader's views do not last).
  bool in_multi = false;
  uint64_t multi_offset = 0;
  std::vector<std::vector<std::string>> queued;
  std::vector<std::string_view> views;

  auto run = [&](const CommandSpec& spec, Args argv) {
    dispatcher->Replay(spec, session, argv, reply);
    scratch.clear();
    ++result.commands;
  };

  uint64_t refused_offset = 0;
  persistence::AofReadResult r = persistence::ReadAofFile(
      path, [&](const std::vector<std::string_view>& argv, uint64_t offset) {
        if (argv.empty()) return true;
        const CommandSpec* spec = dispatcher->Resolve(argv);
        if (spec == nullptr || spec->handler == nullptr || !ArityOk(*spec, argv.size())) {
          result.error = (spec == nullptr ? "unknown command '" : "wrong arguments for '") +
                         Printable(argv[0]) + "'";
          refused_offset = offset;
          return false;
        }
        if (spec->name == "multi") {
          if (in_multi) {
            result.error = "MULTI inside MULTI";
            refused_offset = offset;
            return false;
          }
          in_multi = true;
          multi_offset = offset;
          queued.clear();
          return true;
        }
        if (spec->name == "exec") {
          if (!in_multi) {
            result.error = "EXEC without MULTI";
            refused_offset = offset;
            return false;
          }
          in_multi = false;
          for (const auto& command : queued) {
            views.assign(command.begin(), command.end());
            run(*dispatcher->Resolve(views), views);
          }
          queued.clear();
          return true;
        }
        if (in_multi) {
          queued.emplace_back(argv.begin(), argv.end());
          return true;
        }
        run(*spec, argv);
        return true;
      });

  using S = persistence::AofReadResult::Status;
  switch (r.status) {
    case S::kOk:
      if (in_multi) {
        // The file ends inside a transaction: what follows MULTI never ran.
        result.status = AofReplayResult::Status::kTruncated;
        result.valid_bytes = multi_offset;
        result.error = "a transaction without EXEC at the end";
      }
      return result;
    case S::kTruncated:
      result.status = AofReplayResult::Status::kTruncated;
      result.valid_bytes = in_multi ? multi_offset : r.valid_bytes;
      result.error = r.error.empty() ? "a command cut short at the end" : r.error;
      return result;
    case S::kStopped:
      result.status = AofReplayResult::Status::kBad;
      result.error += " at offset " + std::to_string(refused_offset);
      return result;
    case S::kDamaged:
      result.status = AofReplayResult::Status::kBad;
      result.error = r.error + " at offset " + std::to_string(r.error_offset);
      return result;
    case S::kIoError:
      result.status = AofReplayResult::Status::kBad;
      result.error = r.error.empty() ? "cannot be read" : r.error;
      return result;
  }
  return result;
}

}  // namespace dkv::server
