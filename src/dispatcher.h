// Dispatcher: turns one argument vector into one reply. Looks the command up (case-insensitive,
// subcommands too), checks arity, authentication and transaction state in a fixed order, queues
// inside MULTI, runs the handler, and keeps per-command statistics, the slow log and MONITOR.
// Loop thread only.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/command.h"

namespace dkv::server {

class Dispatcher {
 public:
  explicit Dispatcher(ServerState* state);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs one request from `session`; the reply is appended to *session.out.
  void Execute(Session& session, Args argv);
  // Runs the commands queued by MULTI (EXEC). Replies with the array of their replies.
  void ExecQueued(Session& session, resp::ReplyBuilder& reply);

  // The row for a top-level command or "parent|sub" full name, or nullptr.
  const CommandSpec* Find(std::string_view full_name) const;
  // Resolves argv to the row that would run (the subcommand's row for a container).
  const CommandSpec* Resolve(Args argv) const;
  // Subcommand rows of a parent, in table order.
  std::vector<const CommandSpec*> Subcommands(std::string_view parent) const;
  size_t top_level_count() const { return top_level_.size(); }
  // Runs a resolved command (after every check): the handler, statistics, slow log, MONITOR.
  // Scripts call commands through it.
  void Call(const CommandSpec& spec, Session& session, Args argv, resp::ReplyBuilder& reply);

 private:
  // Whether the command writes (-MISCONF refuses it); EXEC writes when a queued command does.
  bool IsWrite(const CommandSpec& spec, const Session& session) const;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, const CommandSpec*, Hash, std::equal_to<>>;

  bool HasSubcommands(const CommandSpec& spec) const {
    return parents_.find(spec.name) != parents_.end();
  }
  void FeedMonitors(const Session& session, Args argv);

  ServerState* state_;
  Map top_level_;
  Map by_full_name_;
  Map parents_;  // names of commands that have subcommands
};

}  // namespace dkv::server
