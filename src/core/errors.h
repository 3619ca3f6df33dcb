// Reply error texts shared by several commands, exactly as Redis 7.2 words them. Texts used by a
// single handler stay next to it. Passed to resp::ReplyBuilder::Error (code first, no '-').
#pragma once

#include <string>
#include <string_view>

#include "engine/string_ops.h"

namespace dkv::server::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNanOrInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kTooLarge =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndexRange = "ERR DB index is out of range";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
// Sent to a client from outside loopback when protected mode is on and the default user has no
// password; then the connection closes. Redis 7.2's text.
inline constexpr std::string_view kProtectedMode =
    "DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host "
    "the server is running, however MAKE SURE Redis is not publicly accessible from internet if "
    "you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the "
    "protected mode option to 'no', and then restarting the server. 3) If you started the server "
    "manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an "
    "authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.";
// A command or namespace the user may not use.
inline std::string NoPermCommand(std::string_view user, std::string_view command) {
  return "NOPERM User " + std::string(user) + " has no permissions to run the '" +
         std::string(command) + "' command";
}
inline std::string NoPermNamespace(std::string_view user, std::string_view ns) {
  return "NOPERM User " + std::string(user) + " has no permissions to access the '" +
         std::string(ns) + "' namespace";
}
inline constexpr std::string_view kMisconf =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB "
    "error.";
// Writes while SHUTDOWN or SIGTERM waits for the PostgreSQL queue to commit (src/net/exit_drain.h).
inline constexpr std::string_view kShuttingDown =
    "ERR the server is shutting down: writes are refused while the PostgreSQL queue commits "
    "(SHUTDOWN ABORT cancels)";
inline constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr std::string_view kBusy =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
// The same while a function (FCALL) runs.
inline constexpr std::string_view kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kBadDigest =
    "ERR the digest must be exactly 16 hexadecimal characters";
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";

inline std::string WrongArity(std::string_view full_name) {
  return "ERR wrong number of arguments for '" + std::string(full_name) + "' command";
}
// A subcommand given the wrong number of arguments that its row's arity allows (CLIENT PAUSE with
// five words): Redis' addReplySubcommandSyntaxError.
inline std::string SubcommandSyntax(std::string_view parent, std::string_view sub) {
  std::string upper(parent);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return "ERR unknown subcommand or wrong number of arguments for '" +
         std::string(sub.substr(0, 128)) + "'. Try " + upper + " HELP.";
}
inline std::string InvalidExpire(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

// The reply text for an engine operation's failure.
inline std::string_view FromOp(engine::OpStatus status) {
  switch (status) {
    case engine::OpStatus::kOk:
      return "";
    case engine::OpStatus::kNotInteger:
      return kNotInteger;
    case engine::OpStatus::kNotFloat:
      return kNotFloat;
    case engine::OpStatus::kOverflow:
      return kOverflow;
    case engine::OpStatus::kNanOrInfinity:
      return kNanOrInf;
    case engine::OpStatus::kTooLarge:
      return kTooLarge;
    case engine::OpStatus::kWrongType:
      return kWrongType;
  }
  return "ERR internal error";
}

}  // namespace dkv::server::errors
