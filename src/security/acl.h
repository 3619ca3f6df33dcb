// Acl: who may log in and what each user may do. Users come from the configuration file (`users:`
// in conf/dkv.yaml) and, for the default user, from requirepass; ACL WHOAMI/LIST/USERS/CAT show
// them (read-only: there is no ACL SETUSER). A user has a salted SHA-256 password hash (or
// nopass), the namespaces it may use ("*" for all), a read-only flag, and command rules in
// Redis' notation ("+@read +@write -@admin +info -flushdb"), applied left to right from "no
// command". A user bound to some namespaces never runs server-wide commands (@admin, FLUSHALL,
// SWAPDB, MONITOR, ...), whatever its rules say. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/config/config.h"

namespace dkv::server {

struct CommandSpec;

struct AclUser {
  std::string name;
  bool enabled = true;
  bool nopass = false;
  std::string password_hash;   // "sha256:<salt hex>:<digest hex>"; the default user: requirepass
  std::string plain_password;  // the default user's requirepass (compared as is)
  bool all_namespaces = true;
  std::vector<std::string> namespaces;
  bool read_only = false;
  std::string rules;          // as configured, for ACL LIST
  std::vector<bool> allowed;  // by index in CommandTable()
  // Everything allowed everywhere: the dispatcher skips the checks.
  bool unrestricted = false;
};

class Acl {
 public:
  // Builds the users from the configuration. Returns "" or the error (a bad rule, hash or
  // duplicate name) that stops the start.
  std::string Load(const Config& config);
  // CONFIG SET requirepass: the default user's password.
  void SetDefaultPassword(const std::string& requirepass);

  const AclUser* Find(std::string_view name) const;
  const AclUser* default_user() const { return users_.front().get(); }
  // The user `name` when `password` is right and the user is enabled, else nullptr.
  const AclUser* Authenticate(std::string_view name, std::string_view password) const;
  // Whether a client needs AUTH before anything else (the default user has a password).
  bool default_requires_auth() const;
  const std::vector<std::unique_ptr<AclUser>>& users() const { return users_; }

  // Whether `user` may run `spec` (rules, read-only flag, namespace binding).
  static bool CanRun(const AclUser& user, const CommandSpec& spec);
  static bool CanUseNamespace(const AclUser& user, std::string_view name);
  // ACL LIST's line for a user: "user alice on sha256:... ~ns:tenant-a readonly +@read".
  static std::string Describe(const AclUser& user);

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

 private:
  std::vector<std::unique_ptr<AclUser>> users_;  // the default user first
};

}  // namespace dkv::server
