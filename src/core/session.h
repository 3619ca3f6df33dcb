// Session: the state of one client that commands see and change (selected database, protocol
// version, name, transaction queue, watched keys, flags). It knows nothing of sockets, so the
// in-process command harness of the unit tests drives it without a network. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::server {

struct AclUser;

struct WatchedKey {
  int db;
  std::string key;
  // The key was already logically expired when WATCH ran: its later deletion is not a change.
  bool expired_at_watch;
};

struct Session {
  uint64_t id = 0;
  int db = 0;
  int protocol = 2;
  bool authenticated = true;
  // The user commands run as (src/security/acl.h); never null once the session is registered.
  const AclUser* user = nullptr;
  // Failed AUTH attempts on this connection, and until when further ones are refused.
  int auth_failures = 0;
  int64_t auth_blocked_until_ms = 0;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  std::string addr;    // peer "ip:port" (or "path:0" for unix sockets)
  std::string laddr;   // local "ip:port"
  bool local = false;  // connected over loopback or the unix socket (enable-debug-command local)
  bool unix_socket = false;  // connected through the unix socket (CLIENT LIST's U, MONITOR)
  // Where failed logins are counted (src/security/auth_throttle.h): the peer's address, or "unix".
  std::string auth_source;
  int fd = -1;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // The command being run, or else the last one sent (found in the table, whether it ran or was
  // refused; "NULL" after an unknown one): its lower-case full name, CLIENT LIST's cmd=.
  std::string last_command = "NULL";
  // The bytes of the arguments of the command being run (CLIENT LIST's argv-mem); 0 between
  // commands.
  size_t argv_mem = 0;

  // MULTI: commands queued verbatim, and whether one of them was refused while queueing.
  bool in_multi = false;
  bool multi_error = false;
  std::vector<std::vector<std::string>> queued;
  // WATCH: the keys, and whether one of them changed since.
  std::vector<WatchedKey> watched;
  bool watch_dirty = false;

  bool monitor = false;
  // Pub/Sub: how many channels, patterns and shard channels this client is subscribed to
  // (PubSub keeps which); a RESP2 client with any is in subscribed mode.
  size_t subscriptions = 0;
  // Set while this client's own command runs (Dispatcher::Execute). Pub/Sub pushes written to it
  // meanwhile under CLIENT REPLY OFF or SKIP wait in kept_pushes: the command's reply is
  // dropped, the pushes are not (Redis' CLIENT_PUSHING), and they follow it out.
  bool running_command = false;
  std::string kept_pushes;
  // CLIENT TRACKING is on (src/core/tracking.h keeps the rest): the dispatcher's one check.
  bool tracking = false;
  // The session scripts' redis.call runs on (src/scripting/): SORT of a set it does not sort
  // sorts it anyway, so that a script sees the same order everywhere, as Redis does.
  bool script = false;
  bool no_evict = false;
  bool no_touch = false;
  // CLIENT REPLY: OFF drops every reply; SKIP drops the next command's (skip_next becomes skip
  // once the CLIENT REPLY SKIP command itself is over).
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  // CLIENT PAUSE holds this client's current command: it was not run and its bytes stay in the
  // input; the network layer runs it again once the pause ends (in the order clients waited).
  bool postponed = false;
  // A blocking command (BLPOP, BZPOPMIN, ...) parked this client (src/core/blocked_clients.h):
  // the command stays in the input, unanswered, and later commands wait behind it. block_rerun
  // is set while it runs again to be served (MONITOR saw it when it blocked). deny_blocking:
  // blocking commands answer at once instead of blocking (the scripts' session; EXEC runs its
  // queue with Services::in_exec()).
  bool blocked = false;
  bool block_rerun = false;
  bool deny_blocking = false;
  // The append-only log's offset after this client's last command that appended to it (Redis'
  // woff): what WAITAOF waits to see synced. Set by the network layer.
  uint64_t aof_offset = 0;
  // The cache tier over PostgreSQL: the number of the value read the current command waits for
  // (0: none), how often it waited for this command, and why the last read failed ("" if not).
  uint64_t value_fetch = 0;
  int value_fetch_tries = 0;
  std::string value_fetch_error;
  // A run of the current command was discarded to run again once values are in (a pattern
  // read that met cold values): MONITOR saw it once, and only the last run counts in statistics.
  bool rerun = false;
  // While a command runs under the cache tier: where a pattern read notes the keys whose values
  // it found in memory (NotePatternRead), null otherwise. The views are into the entries, which
  // a read-only command neither moves nor deletes; they are used before the command returns.
  std::vector<std::string_view>* warm_reads = nullptr;
  // SHUTDOWN waits for the PostgreSQL queue to commit (ExitDrain): no reply and no further
  // command until the wait ends.
  bool waiting_for_exit = false;
  // Close the connection once the pending output is written (QUIT, protocol error, CLIENT KILL).
  bool close_after_reply = false;
  // Replies go here; the connection writes it out.
  std::string* out = nullptr;
};

}  // namespace dkv::server
