// Acl: the users, what each may do, and the ACL log, as Redis 7.2's ACL. Users come from the
// configuration file (`users:` in conf/dkv.yaml, or the `aclfile` in Redis' "user <name> <rules>"
// format), from requirepass for the default user, and from ACL SETUSER / DELUSER / LOAD at run
// time. A user has flags (on/off, nopass, sanitize-payload), passwords (SHA-256 hex as Redis, or
// dkv's salted "sha256:<salt>:<digest>"), a root selector and further selectors "(...)"; each
// selector allows commands (+cmd, +@category, +cmd|sub, +cmd|firstarg), key patterns with read
// and write permissions (~p, %R~p, %W~p) and channel patterns (&p). dkv adds a namespace binding
// and a read-only flag per user (rules "namespaces=a,b", "readonly"; docs/security.md): a user
// bound to some namespaces never runs server-wide commands (@admin, FLUSHALL, SWAPDB, ...).
// Rules are parsed and printed in src/security/acl_rules.cc; the log is src/security/acl_log.h.
// The Acl owns its users; sessions point at them (Session::user). A deleted user is kept,
// disabled and empty, until no session points at it. Loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/config/config.h"
#include "src/security/acl_log.h"

namespace dkv::server {

struct CommandSpec;
struct Session;

// Key pattern permissions (%R~, %W~, ~ = both).
inline constexpr uint8_t kAclRead = 1;
inline constexpr uint8_t kAclWrite = 2;

struct AclKeyPattern {
  std::string pattern;
  uint8_t perms = kAclRead | kAclWrite;
};

// One selector: what a user may run and touch. A user may run a command when any selector
// allows the command and all its keys and channels.
struct AclSelector {
  bool all_keys = false;
  bool all_channels = false;
  bool all_commands = false;  // set by +@all: ACL LIST starts with "+@all" rather than "-@all"
  std::vector<bool> allowed;  // by index in CommandTable()
  // Commands allowed only with some first arguments (+select|0), by index in CommandTable().
  std::map<size_t, std::vector<std::string>> first_args;
  // The command rules after "+@all"/"-@all", compacted as Redis 7.2 does ("+@hash -hget").
  std::string command_rules;
  std::vector<AclKeyPattern> keys;
  std::vector<std::string> channels;
};

struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  int sanitize = 0;  // 0: neither flag, 1: sanitize-payload, 2: skip-sanitize-payload
  // 64 hex digits (SHA-256 of the password, as Redis), or "sha256:<salt hex>:<digest hex>".
  std::vector<std::string> passwords;
  std::vector<AclSelector> selectors;  // [0] is the root selector
  // dkv: the namespaces it may use (all when all_namespaces), and read-only.
  bool all_namespaces = true;
  std::vector<std::string> namespaces;
  bool read_only = false;
  // Everything allowed everywhere: the dispatcher skips the checks.
  bool unrestricted = false;
  bool deleted = false;  // removed by ACL DELUSER / LOAD; kept while a session points at it
};

// Why a command is refused (the values order them as Redis picks one among selectors).
enum class AclDenial { kNone = 0, kCommand = 1, kKey = 2, kAuth = 3, kChannel = 4 };

class Acl {
 public:
  Acl();
  // Builds the users from the configuration (`users:`, requirepass, or the aclfile). Returns ""
  // or the error (a bad rule, hash or duplicate name) that stops the start.
  std::string Load(const Config& config);
  // CONFIG SET requirepass: the default user's passwords become that one (or nopass).
  void SetDefaultPassword(const std::string& requirepass);

  const AclUser* Find(std::string_view name) const;
  const AclUser* default_user() const { return users_.front().get(); }
  // The user `name` when `password` is right and the user is enabled, else nullptr.
  const AclUser* Authenticate(std::string_view name, std::string_view password) const;
  // Whether a client needs AUTH before anything else (the default user is off or has a password).
  bool default_requires_auth() const;
  // The users, the default user first, then in the order they were created.
  const std::vector<std::unique_ptr<AclUser>>& users() const { return users_; }
  // The user names sorted (ACL USERS, ACL LIST order, as Redis).
  std::vector<const AclUser*> Sorted() const;

  // ACL SETUSER name rules...: "" or the error reply ("ERR Error in ACL SETUSER modifier ...").
  // All or nothing: on an error the user is left as it was (or not created).
  std::string SetUser(std::string_view name, std::span<const std::string_view> rules);
  // ACL DELUSER: removes the user (never "default"); true when there was one.
  bool DeleteUser(std::string_view name);
  // Replaces every user by those of `text` in the aclfile format ("user <name> <rules>" lines);
  // the default user is reset when the text has none. "" or the error (nothing changed then).
  std::string LoadText(std::string_view text, const std::string& path);
  std::string LoadFile(const std::string& path);
  // The aclfile text: one "user ..." line per user (ACL LIST's lines).
  std::string SaveText() const;
  // Users for `users:` in the configuration file (CONFIG REWRITE): each as its rules; the
  // default user only when it differs from what requirepass gives.
  std::vector<UserConfig> ExportUsers(const std::string& requirepass) const;
  // Users deleted but still pointed at by `live` sessions are kept; the others are freed.
  void ForgetDeleted(std::span<const AclUser* const> live);

  // The check the dispatcher does: whether `user` may run `spec` with `argv` (the command name
  // first). On a refusal *index is the argument (key or channel) refused, or 0.
  static AclDenial Check(const AclUser& user, const CommandSpec& spec,
                         std::span<const std::string_view> argv, size_t* index);
  // The command-level part only (no keys): rules, read-only flag, namespace binding.
  static bool CanRun(const AclUser& user, const CommandSpec& spec);
  static bool CanUseNamespace(const AclUser& user, std::string_view name);
  // Whether `user` may use channel `channel` (a pattern when `pattern`, PSUBSCRIBE).
  static bool CanUseChannel(const AclUser& user, std::string_view channel, bool pattern);
  // NOPERM texts: the dispatcher's (verbose false) and ACL DRYRUN's (verbose true).
  static std::string DenialMessage(AclDenial denial, const AclUser& user, const CommandSpec& spec,
                                   std::string_view object, bool verbose);

  // ACL LIST's line for a user: "user alice on #<sha256> ~keys:* resetchannels -@all +get".
  static std::string Describe(const AclUser& user);
  // The same without "user <name> ".
  static std::string DescribeRules(const AclUser& user);
  // ACL GETUSER's parts of a selector: "-@all +get", "~a %R~b", "&c" ("" when none).
  static std::string SelectorCommands(const AclSelector& s);
  static std::string SelectorKeys(const AclSelector& s);
  static std::string SelectorChannels(const AclSelector& s);
  // ACL GETUSER's flags: on/off, nopass, sanitize-payload / skip-sanitize-payload.
  static std::vector<std::string_view> Flags(const AclUser& user);

  // Categories (ACL CAT: "all" and those some command is in), whether a rule may name one (any
  // of Redis' or dkv's), and whether a command is in one: the row's categories.
  static const std::vector<std::string_view>& Categories();
  static bool KnownCategory(std::string_view category);
  static bool InCategory(const CommandSpec& spec, std::string_view category);
  // Commands that reach beyond the caller's namespace or the whole server (the row's tenancy).
  static bool ServerWide(const CommandSpec& spec);

  // "sha256:<salt>:<digest>" of a password with a fresh random salt (dkv-server --hash-password).
  static std::string HashPassword(std::string_view password);
  static bool VerifyHash(std::string_view hash, std::string_view password);

  AclLog& log() { return log_; }
  const AclLog& log() const { return log_; }

 private:
  // Applies one rule to `u` (a user-level rule, a selector "(...)", or a root selector rule).
  // "" or the reason (Redis' text after "modifier '...': ").
  std::string ApplyUserRule(AclUser* u, std::string_view op) const;
  static AclUser NewUser(std::string_view name);
  static void Refresh(AclUser* u);

  std::vector<std::unique_ptr<AclUser>> users_;  // the default user first
  std::vector<std::unique_ptr<AclUser>> deleted_;
  int databases_ = 16;
  AclLog log_;
};

// Applies one selector rule ("+get", "~k*", "&ch", "allkeys", ...) to `s`. "" or the reason.
std::string ApplySelectorRule(AclSelector* s, std::string_view op);
// Splits rules given as arguments into single rules, joining "(" ... ")" selectors written over
// several arguments. False (with the argument where the selector starts) when one is not closed.
bool MergeSelectorArgs(std::span<const std::string_view> in, std::vector<std::string>* out,
                       std::string* unmatched);

}  // namespace dkv::server
