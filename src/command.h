// The command table's row type, command flags, and the context a handler runs in.
//
// Every command is one row of kCommandTable (src/commands/command_table.cc): name, arity, flags,
// key positions, handler and the doc fields that COMMAND DOCS and docs/commands.md are generated
// from. Subcommands are rows named "parent|sub" (config|get); the parent's row has no handler.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/keyspace.h"
#include "resp/reply.h"
#include "src/config.h"
#include "src/session.h"

namespace dkv::server {

enum CommandFlag : uint32_t {
  kWrite = 1u << 0,
  kReadOnly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kFast = 1u << 4,
  kNoAuth = 1u << 5,   // allowed before AUTH
  kLoading = 1u << 6,  // allowed while loading
  kStale = 1u << 7,
  kSkipMonitor = 1u << 8,
  kSkipSlowlog = 1u << 9,
  kNoScript = 1u << 10,
  kNoMulti = 1u << 11,  // runs at once inside MULTI instead of being queued
  kAllowBusy = 1u << 12,
  kMovableKeys = 1u << 13,
};

using Args = std::span<const std::string_view>;
class Services;

// What a handler sees: its client's session, the keyspace of the namespace the session is in
// (db(), looked up when asked: SELECT, AUTH and RESET move the session), the reply, and the
// services it may use (src/services.h). Never the server's state as a whole.
struct CommandContext {
  Session& session;
  resp::ReplyBuilder& reply;
  Services& services;

  // (Defined in services.cc: this header stays below Services, which sees the server's state.)
  engine::Database& db();
  // Every namespace (commands that name another: MOVE, COPY, SWAPDB, FLUSHALL, KV.NS ...).
  engine::Keyspace& keyspace();
  const Config& config() const;
};

using Handler = void (*)(CommandContext&, Args);

struct CommandSpec {
  std::string_view name;  // lower case; "parent|sub" for subcommands
  // The arguments after the name in Redis' documentation notation: `key [key ...]`,
  // `[NX | XX]`, `[EX seconds]`, `(ON | OFF)`. COMMAND DOCS derives its argument tree from it.
  std::string_view syntax;
  int arity;  // N: exactly N arguments (with the name); -N: at least N
  uint32_t flags;
  int first_key;  // 0: no keys
  int last_key;   // -1: the last argument
  int key_step;
  Handler handler;  // null for a parent of subcommands
  std::string_view group;
  std::string_view since;
  std::string_view summary;
  std::string_view complexity;
};

// All rows, in the order docs list them.
std::span<const CommandSpec> CommandTable();

}  // namespace dkv::server
