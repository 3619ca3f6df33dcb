#include "src/security/acl.h"

#include <algorithm>
#include <random>

#include "engine/keyspace.h"
#include "resp/text.h"
#include "src/core/command.h"
#include "src/security/sha1.h"

namespace dkv::server {
namespace {

using text::ToLower;

// Compares in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  if (b.empty()) return a.empty();
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i % b.size()]);
  }
  return diff == 0;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string HexDecode(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(text::HexValue(hex[i]) * 16 + text::HexValue(hex[i + 1]));
  }
  return out;
}

// Applies rules ("+@read -@admin +get -config|set") to `allowed`, left to right.
std::string ApplyRules(std::string_view rules, std::vector<bool>* allowed) {
  std::span<const CommandSpec> table = CommandTable();
  size_t i = 0;
  while (i < rules.size()) {
    while (i < rules.size() && rules[i] == ' ') ++i;
    if (i >= rules.size()) break;
    size_t end = rules.find(' ', i);
    if (end == std::string_view::npos) end = rules.size();
    std::string rule = ToLower(rules.substr(i, end - i));
    i = end;
    if (rule.size() < 2 || (rule[0] != '+' && rule[0] != '-')) {
      return "bad command rule '" + rule + "' (use +@category, -@category, +command, -command)";
    }
    const bool allow = rule[0] == '+';
    std::string_view what = std::string_view(rule).substr(1);
    bool matched = false;
    if (what[0] == '@') {
      std::string_view category = what.substr(1);
      if (!Acl::KnownCategory(category)) {
        return "unknown command category '" + std::string(category) + "' (ACL CAT lists them)";
      }
      for (size_t c = 0; c < table.size(); ++c) {
        if (Acl::InCategory(table[c], category)) (*allowed)[c] = allow;
      }
      matched = true;
    } else {
      // A command: "get" also covers its subcommands ("config" covers "config|get").
      for (size_t c = 0; c < table.size(); ++c) {
        std::string_view name = table[c].name;
        if (name == what || (name.size() > what.size() && name.substr(0, what.size()) == what &&
                             name[what.size()] == '|')) {
          (*allowed)[c] = allow;
          matched = true;
        }
      }
    }
    if (!matched) return "unknown command '" + std::string(what) + "' in rule '" + rule + "'";
  }
  return "";
}

}  // namespace

const std::vector<std::string_view>& Acl::Categories() {
  // "all", then every category some command is in, in the row bits' order (src/core/command.h).
  static const std::vector<std::string_view> kCategories = [] {
    uint32_t used = 0;
    for (const CommandSpec& spec : CommandTable()) used |= spec.categories;
    std::vector<std::string_view> names = {"all"};
    for (const CategoryName& c : AclCategoryNames()) {
      if (used & c.bit) names.push_back(c.name);
    }
    return names;
  }();
  return kCategories;
}

bool Acl::KnownCategory(std::string_view category) {
  if (category == "all") return true;
  for (const CategoryName& c : AclCategoryNames()) {
    if (c.name == category) return true;
  }
  return false;
}

bool Acl::InCategory(const CommandSpec& spec, std::string_view category) {
  if (category == "all") return true;
  for (const CategoryName& c : AclCategoryNames()) {
    if (c.name == category) return (spec.categories & c.bit) != 0;
  }
  return false;
}

bool Acl::ServerWide(const CommandSpec& spec) { return spec.tenancy == Tenancy::kServerWide; }

std::string Acl::Load(const Config& config) {
  users_.clear();
  const std::span<const CommandSpec> table = CommandTable();
  auto def = std::make_unique<AclUser>();
  def->name = "default";
  def->rules = "+@all";
  def->allowed.assign(table.size(), true);
  users_.push_back(std::move(def));
  SetDefaultPassword(config.requirepass);
  for (const UserConfig& uc : config.users) {
    if (uc.name.empty()) return "users: a user without a name";
    for (char c : uc.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
        return "users: name '" + uc.name + "' must be letters, digits, '_', '-' or '.'";
      }
    }
    AclUser* u;
    if (uc.name == "default") {
      u = users_.front().get();  // configures the default user instead of requirepass
    } else {
      if (Find(uc.name) != nullptr) return "users: '" + uc.name + "' is defined twice";
      users_.push_back(std::make_unique<AclUser>());
      u = users_.back().get();
      u->name = uc.name;
    }
    u->enabled = uc.enabled;
    u->nopass = uc.nopass;
    u->plain_password.clear();
    u->password_hash = uc.password;
    if (!uc.nopass) {
      if (uc.password.empty()) {
        return "users: '" + uc.name + "' needs a password (sha256:... from dkv-server " +
               "--hash-password) or nopass: yes";
      }
      // sha256:<hex salt>:<64 hex digits>; never a plain password in the file.
      std::string_view h = uc.password;
      size_t colon = h.rfind(':');
      if (h.rfind("sha256:", 0) != 0 || colon < 7 || (colon - 7) % 2 != 0 ||
          !IsHex(h.substr(7, colon - 7)) || h.substr(colon + 1).size() != 64 ||
          !IsHex(h.substr(colon + 1))) {
        return "users: '" + uc.name + "': password must be a hash 'sha256:<hex salt>:<64 hex " +
               "digits>' (dkv-server --hash-password prints one)";
      }
    }
    for (const std::string& ns : uc.namespaces) {
      bool number = !ns.empty() && ns.size() < 6 &&
                    std::all_of(ns.begin(), ns.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (number && ns.size() > 1 && ns[0] == '0') number = false;  // "07" is not database 7
      if (ns != "*" && !(number && std::stoi(ns) < config.databases) &&
          (number || !engine::Keyspace::ValidNamespaceName(ns))) {
        return "users: '" + uc.name + "': '" + ns + "' is not a namespace (0-" +
               std::to_string(config.databases - 1) + " or a name of letters, digits, _-:.)";
      }
    }
    u->all_namespaces =
        uc.namespaces.empty() ||
        std::find(uc.namespaces.begin(), uc.namespaces.end(), "*") != uc.namespaces.end();
    u->namespaces = u->all_namespaces ? std::vector<std::string>{} : uc.namespaces;
    u->read_only = uc.read_only;
    u->rules = uc.commands.empty() ? "+@all" : uc.commands;
    u->allowed.assign(table.size(), false);
    if (std::string err = ApplyRules(u->rules, &u->allowed); !err.empty()) {
      return "users: '" + uc.name + "': " + err;
    }
  }
  for (auto& u : users_) {
    bool all_commands = std::all_of(u->allowed.begin(), u->allowed.end(), [](bool b) { return b; });
    u->unrestricted = all_commands && u->all_namespaces && !u->read_only;
  }
  return "";
}

void Acl::SetDefaultPassword(const std::string& requirepass) {
  AclUser& d = *users_.front();
  if (!d.password_hash.empty()) return;  // configured under users:, not by requirepass
  d.plain_password = requirepass;
  d.nopass = requirepass.empty();
}

const AclUser* Acl::Find(std::string_view name) const {
  for (const auto& u : users_) {
    if (u->name == name) return u.get();
  }
  return nullptr;
}

const AclUser* Acl::Authenticate(std::string_view name, std::string_view password) const {
  const AclUser* u = Find(name);
  if (u == nullptr || !u->enabled) {
    // The same work as a wrong password: the time does not tell which user names exist.
    (void)VerifyHash("sha256:00:" + std::string(64, '0'), password);
    return nullptr;
  }
  if (u->nopass) return u;
  if (!u->password_hash.empty()) return VerifyHash(u->password_hash, password) ? u : nullptr;
  return ConstantTimeEquals(password, u->plain_password) ? u : nullptr;
}

bool Acl::default_requires_auth() const {
  const AclUser& d = *users_.front();
  return !d.enabled || !d.nopass;
}

bool Acl::CanRun(const AclUser& user, const CommandSpec& spec) {
  if (user.unrestricted) return true;
  size_t index = static_cast<size_t>(&spec - CommandTable().data());
  if (index >= user.allowed.size() || !user.allowed[index]) return false;
  // Read-only: no writes, and nothing that changes the server either (CONFIG SET, SHUTDOWN,
  // CLIENT KILL, SCRIPT FLUSH, ...), which could otherwise raise its own rights.
  if (user.read_only && ((spec.flags & (kWrite | kAdmin)) || ServerWide(spec))) return false;
  if (!user.all_namespaces && ServerWide(spec)) return false;
  return true;
}

bool Acl::CanUseNamespace(const AclUser& user, std::string_view name) {
  if (user.all_namespaces) return true;
  return std::find(user.namespaces.begin(), user.namespaces.end(), name) != user.namespaces.end();
}

std::string Acl::Describe(const AclUser& user) {
  std::string s = "user " + user.name + (user.enabled ? " on" : " off");
  if (user.nopass) {
    s += " nopass";
  } else if (!user.password_hash.empty()) {
    s += " " + user.password_hash.substr(0, user.password_hash.find(':', 7)) + ":...";
  } else {
    s += " sha256:" + Sha256Hex(user.plain_password);
  }
  if (user.all_namespaces) {
    s += " namespaces=*";
  } else {
    s += " namespaces=";
    for (size_t i = 0; i < user.namespaces.size(); ++i) {
      if (i > 0) s += ',';
      s += user.namespaces[i];
    }
  }
  if (user.read_only) s += " readonly";
  s += " " + user.rules;
  return s;
}

std::string Acl::HashPassword(std::string_view password) {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string salt;
  for (int i = 0; i < 32; ++i) salt += kHex[rd() % 16];
  return "sha256:" + salt + ":" + Sha256Hex(HexDecode(salt) + std::string(password));
}

bool Acl::VerifyHash(std::string_view hash, std::string_view password) {
  if (hash.rfind("sha256:", 0) != 0) return false;
  size_t colon = hash.find(':', 7);
  if (colon == std::string_view::npos) return false;
  std::string_view salt = hash.substr(7, colon - 7);
  std::string_view digest = hash.substr(colon + 1);
  if (!IsHex(salt) || salt.size() % 2 != 0) return false;
  return ConstantTimeEquals(Sha256Hex(HexDecode(salt) + std::string(password)), digest);
}

}  // namespace dkv::server
