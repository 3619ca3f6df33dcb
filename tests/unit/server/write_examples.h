// The write commands' examples (defined in write_effects_test.cc): every row of the command
// table with the write flag has at least one. write_effects_test.cc checks WATCH, the dirty
// counter and keyspace events with them; propagation_replay_test.cc checks that what the
// append-only log records of each replays to the same data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dkv::server::testing {

struct Example {
  // Run first, by the writing client (before the WATCH).
  std::vector<std::vector<std::string>> setup;
  // The command. An argument "<dump:KEY>" is replaced by DUMP KEY's payload, "<function-dump>"
  // by FUNCTION DUMP's.
  std::vector<std::string> args;
  // The key (in database 0) the watching client WATCHes.
  std::string watch;
  // Writes the command counts (Redis' server.dirty): 1 per key written or deleted, as Redis.
  uint64_t dirty;
  // Whether the watching client's EXEC must be aborted (false only for no-op variants).
  bool aborts = true;
  // Milliseconds that pass between the WATCH and the command.
  int64_t advance_ms = 0;
};

// A function library, for the FUNCTION examples.
inline const std::string kLibrary =
    "#!lua name=lib\nredis.register_function('f', function() return 1 end)";

// Far in the future, for the absolute-time commands.
inline const std::string kLaterS = "32503680000";
inline const std::string kLaterMs = "32503680000000";

// name (as in the table) -> examples.
const std::map<std::string, std::vector<Example>>& WriteExamples();

}  // namespace dkv::server::testing
