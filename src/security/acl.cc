#include "src/security/acl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "engine/pattern.h"
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

// A line of the aclfile split into words; "double" and 'single' quotes group words.
bool SplitWords(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      char q = line[i];
      if (q == '"' || q == '\'') {
        size_t close = line.find(q, i + 1);
        if (close == std::string_view::npos) return false;
        word += line.substr(i + 1, close - i - 1);
        i = close + 1;
      } else {
        word += q;
        ++i;
      }
    }
    out->push_back(std::move(word));
  }
  return true;
}

// The rules of a user of `users:` written with the older fields (password, nopass, enabled,
// namespaces, read-only, commands): all keys and channels, "+@all" unless commands say.
std::string LegacyUserRules(const UserConfig& uc, std::vector<std::string>* rules) {
  if (!uc.nopass && uc.password.empty()) {
    return "users: '" + uc.name + "' needs a password (sha256:... from dkv-server " +
           "--hash-password) or nopass: yes";
  }
  rules->push_back(uc.enabled ? "on" : "off");
  if (uc.nopass) {
    rules->push_back("nopass");
  } else {
    std::string_view h = uc.password;
    size_t colon = h.rfind(':');
    if (h.rfind("sha256:", 0) != 0 || colon < 7 || (colon - 7) % 2 != 0 ||
        !IsHex(h.substr(7, colon - 7)) || h.substr(colon + 1).size() != 64 ||
        !IsHex(h.substr(colon + 1))) {
      return "users: '" + uc.name + "': password must be a hash 'sha256:<hex salt>:<64 hex " +
             "digits>' (dkv-server --hash-password prints one)";
    }
    rules->push_back("#" + uc.password);
  }
  if (!uc.namespaces.empty()) {
    std::string ns = "namespaces=";
    for (size_t i = 0; i < uc.namespaces.size(); ++i) ns += (i ? "," : "") + uc.namespaces[i];
    rules->push_back(ns);
  }
  if (uc.read_only) rules->push_back("readonly");
  rules->push_back("~*");
  rules->push_back("&*");
  const std::string commands = uc.commands.empty() ? std::string("+@all") : uc.commands;
  for (size_t i = 0; i < commands.size();) {
    while (i < commands.size() && commands[i] == ' ') ++i;
    if (i >= commands.size()) break;
    size_t end = commands.find(' ', i);
    if (end == std::string_view::npos) end = commands.size();
    rules->emplace_back(commands.substr(i, end - i));
    i = end;
  }
  return "";
}

// The checks of one selector (Redis' order: the command, then each key).
// A pattern (PSUBSCRIBE) must be one of the selector's literally; a channel must match one.
bool SelectorAllowsChannel(const AclSelector& s, std::string_view channel, bool pattern) {
  if (s.all_channels) return true;
  for (const std::string& p : s.channels) {
    if (pattern ? p == channel : engine::RedisGlobMatch(p, channel)) return true;
  }
  return false;
}

AclDenial CheckSelector(const AclSelector& s, const CommandSpec& spec, size_t row,
                        std::span<const std::string_view> argv, size_t* index) {
  if (!(spec.flags & kNoAuth) && !s.allowed[row]) {
    auto it = s.first_args.find(row);
    if (argv.size() < 2 || it == s.first_args.end()) return AclDenial::kCommand;
    std::string first = ToLower(argv[1]);
    if (std::find(it->second.begin(), it->second.end(), first) == it->second.end()) {
      return AclDenial::kCommand;
    }
  }
  if (!s.all_keys && spec.keys.count > 0) {
    std::vector<KeyRef> keys;
    KeysOf(spec, argv, &keys);
    for (const KeyRef& k : keys) {
      uint8_t need = 0;
      if (k.flags & kKeyAccess) need |= kAclRead;
      if (k.flags & (kKeyInsert | kKeyDelete | kKeyUpdate)) need |= kAclWrite;
      bool ok = false;
      for (const AclKeyPattern& p : s.keys) {
        if ((p.perms & need) == need && engine::RedisGlobMatch(p.pattern, argv[k.index])) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        *index = static_cast<size_t>(k.index);
        return AclDenial::kKey;
      }
    }
  }
  if (!s.all_channels && spec.channels != ChannelArgs::kNone) {
    const bool patterns = spec.channels == ChannelArgs::kAllPatterns;
    const size_t end =
        spec.channels == ChannelArgs::kFirst ? std::min<size_t>(2, argv.size()) : argv.size();
    for (size_t i = 1; i < end; ++i) {
      if (!SelectorAllowsChannel(s, argv[i], patterns)) {
        *index = i;
        return AclDenial::kChannel;
      }
    }
  }
  return AclDenial::kNone;
}

}  // namespace

Acl::Acl() {
  users_.push_back(std::make_unique<AclUser>(NewUser("default")));
  AclUser& d = *users_.front();
  d.enabled = true;
  d.nopass = true;
  for (std::string_view r : {"~*", "&*", "+@all"}) ApplySelectorRule(&d.selectors[0], r);
  Refresh(&d);
}

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

void Acl::Refresh(AclUser* u) {
  const AclSelector& root = u->selectors[0];
  u->unrestricted = u->selectors.size() == 1 && root.all_keys && root.all_channels &&
                    root.first_args.empty() && u->all_namespaces && !u->read_only &&
                    std::all_of(root.allowed.begin(), root.allowed.end(), [](bool b) { return b; });
}

std::string Acl::Load(const Config& config) {
  databases_ = config.databases;
  users_.resize(1);
  *users_.front() = *Acl().users_.front();
  SetDefaultPassword(config.requirepass);
  if (!config.aclfile.empty()) {
    if (!config.users.empty()) {
      return "users: and aclfile cannot both be set: configure users in one place (Redis "
             "refuses user lines together with an aclfile too)";
    }
    if (std::string err = LoadFile(config.aclfile); !err.empty()) return "aclfile: " + err;
    return "";
  }
  std::vector<std::string> seen;
  for (const UserConfig& uc : config.users) {
    if (uc.name.empty()) return "users: a user without a name";
    for (char c : uc.name) {
      if (c == ' ' || c == '\0') return "users: '" + uc.name + "': names cannot contain spaces";
    }
    if (std::find(seen.begin(), seen.end(), uc.name) != seen.end()) {
      return "users: '" + uc.name + "' is defined twice";
    }
    seen.push_back(uc.name);
    std::vector<std::string> rules;
    const bool legacy = !uc.password.empty() || uc.nopass || !uc.enabled ||
                        !uc.namespaces.empty() || uc.read_only || !uc.commands.empty();
    if (!uc.rules.empty()) {
      if (legacy) {
        return "users: '" + uc.name + "': give either rules: or the other fields " +
               "(password, nopass, enabled, namespaces, read-only, commands), not both";
      }
      if (!SplitWords(uc.rules, &rules)) return "users: '" + uc.name + "': unbalanced quotes";
    } else if (std::string err = LegacyUserRules(uc, &rules); !err.empty()) {
      return err;
    }
    std::vector<std::string_view> words(rules.begin(), rules.end());
    std::vector<std::string> merged;
    std::string unmatched;
    if (!MergeSelectorArgs(words, &merged, &unmatched)) {
      return "users: '" + uc.name + "': unmatched parenthesis in acl selector starting at '" +
             unmatched + "'";
    }
    AclUser u = NewUser(uc.name);
    for (const std::string& r : merged) {
      if (std::string err = ApplyUserRule(&u, r); !err.empty()) {
        return "users: '" + uc.name + "': rule '" + r + "': " + err;
      }
    }
    Refresh(&u);
    if (uc.name == "default") {
      *users_.front() = std::move(u);
    } else {
      users_.push_back(std::make_unique<AclUser>(std::move(u)));
    }
  }
  return "";
}

void Acl::SetDefaultPassword(const std::string& requirepass) {
  AclUser& d = *users_.front();
  d.passwords.clear();
  d.nopass = requirepass.empty();
  if (!requirepass.empty()) d.passwords.push_back(Sha256Hex(requirepass));
}

const AclUser* Acl::Find(std::string_view name) const {
  for (const auto& u : users_) {
    if (u->name == name) return u.get();
  }
  return nullptr;
}

std::vector<const AclUser*> Acl::Sorted() const {
  std::vector<const AclUser*> out;
  for (const auto& u : users_) out.push_back(u.get());
  std::sort(out.begin(), out.end(),
            [](const AclUser* a, const AclUser* b) { return a->name < b->name; });
  return out;
}

const AclUser* Acl::Authenticate(std::string_view name, std::string_view password) const {
  const AclUser* u = Find(name);
  if (u == nullptr || !u->enabled) {
    // The same work as a wrong password: the time does not tell which user names exist.
    (void)VerifyHash("sha256:00:" + std::string(64, '0'), password);
    return nullptr;
  }
  if (u->nopass) return u;
  const std::string plain_hash = Sha256Hex(password);
  bool ok = false;
  for (const std::string& p : u->passwords) {
    if (p.size() == 64) {
      ok |= ConstantTimeEquals(plain_hash, p);
    } else {
      ok |= VerifyHash(p, password);
    }
  }
  return ok ? u : nullptr;
}

bool Acl::default_requires_auth() const {
  const AclUser& d = *users_.front();
  return !d.enabled || !d.nopass;
}

std::string Acl::SetUser(std::string_view name, std::span<const std::string_view> rules) {
  if (name.find(' ') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return "ERR Usernames can't contain spaces or null characters";
  }
  std::vector<std::string> ops;
  std::string unmatched;
  if (!MergeSelectorArgs(rules, &ops, &unmatched)) {
    return "ERR Unmatched parenthesis in acl selector starting at '" + unmatched + "'.";
  }
  AclUser* existing = nullptr;
  for (auto& u : users_) {
    if (u->name == name) existing = u.get();
  }
  AclUser copy = existing != nullptr ? *existing : NewUser(name);
  for (const std::string& op : ops) {
    if (std::string err = ApplyUserRule(&copy, op); !err.empty()) {
      return "ERR Error in ACL SETUSER modifier '" + op + "': " + err;
    }
  }
  Refresh(&copy);
  if (existing != nullptr) {
    *existing = std::move(copy);
  } else {
    users_.push_back(std::make_unique<AclUser>(std::move(copy)));
  }
  return "";
}

bool Acl::DeleteUser(std::string_view name) {
  for (size_t i = 1; i < users_.size(); ++i) {
    if (users_[i]->name != name) continue;
    std::unique_ptr<AclUser> u = std::move(users_[i]);
    users_.erase(users_.begin() + static_cast<std::ptrdiff_t>(i));
    // A session still pointing at it (closed after its reply) may do nothing more.
    std::string keep = u->name;
    *u = NewUser(keep);
    u->deleted = true;
    deleted_.push_back(std::move(u));
    return true;
  }
  return false;
}

void Acl::ForgetDeleted(std::span<const AclUser* const> live) {
  std::erase_if(deleted_, [&](const std::unique_ptr<AclUser>& u) {
    return std::find(live.begin(), live.end(), u.get()) == live.end();
  });
}

std::string Acl::LoadText(std::string_view text, const std::string& path) {
  std::vector<AclUser> loaded;
  std::string errors;
  size_t line_no = 0;
  for (size_t i = 0; i <= text.size();) {
    size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(i, end - i);
    i = end + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;  // blank
    std::string where = path + ":" + std::to_string(line_no) + ": ";
    std::vector<std::string> words;
    if (!SplitWords(line, &words)) {
      errors += where + "unbalanced quotes in acl line. ";
      continue;
    }
    if (words[0] != "user" || words.size() < 2) {
      errors += where + "should start with user keyword. ";
      continue;
    }
    const std::string& name = words[1];
    if (std::any_of(loaded.begin(), loaded.end(),
                    [&](const AclUser& u) { return u.name == name; })) {
      errors += where + "Duplicate user '" + name + "' found. ";
      continue;
    }
    std::vector<std::string_view> args(words.begin() + 2, words.end());
    std::vector<std::string> ops;
    std::string unmatched;
    if (!MergeSelectorArgs(args, &ops, &unmatched)) {
      errors += where + "Unmatched parenthesis in acl selector starting at '" + unmatched + "'. ";
      continue;
    }
    AclUser u = NewUser(name);
    bool bad = false;
    for (const std::string& op : ops) {
      if (std::string err = ApplyUserRule(&u, op); !err.empty()) {
        errors += where + "Error in applying operation '" + op + "': " + err + ". ";
        bad = true;
        break;
      }
    }
    if (bad) continue;
    Refresh(&u);
    loaded.push_back(std::move(u));
  }
  if (!errors.empty()) {
    while (!errors.empty() && errors.back() == ' ') errors.pop_back();
    return errors;
  }
  // Users of the same name keep their object (sessions point at it); the others go.
  Acl fresh;
  std::vector<std::unique_ptr<AclUser>> next;
  next.push_back(std::move(users_.front()));
  *next.front() = *fresh.users_.front();
  for (AclUser& u : loaded) {
    if (u.name == "default") {
      *next.front() = std::move(u);
      continue;
    }
    std::unique_ptr<AclUser> slot;
    for (auto& old : users_) {
      if (old && old->name == u.name) slot = std::move(old);
    }
    if (!slot) slot = std::make_unique<AclUser>();
    *slot = std::move(u);
    next.push_back(std::move(slot));
  }
  for (auto& old : users_) {
    if (!old) continue;
    std::string keep = old->name;
    *old = NewUser(keep);
    old->deleted = true;
    deleted_.push_back(std::move(old));
  }
  users_ = std::move(next);
  return "";
}

std::string Acl::LoadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return LoadText(text, path);
}

std::string Acl::SaveText() const {
  std::string out;
  for (const AclUser* u : Sorted()) out += Describe(*u) + "\n";
  return out;
}

std::vector<UserConfig> Acl::ExportUsers(const std::string& requirepass) const {
  Acl plain;
  plain.SetDefaultPassword(requirepass);
  std::vector<UserConfig> out;
  for (const auto& u : users_) {
    if (u.get() == users_.front().get() &&
        DescribeRules(*u) == DescribeRules(*plain.users_.front())) {
      continue;
    }
    UserConfig uc;
    uc.name = u->name;
    uc.rules = DescribeRules(*u);
    out.push_back(std::move(uc));
  }
  return out;
}

AclDenial Acl::Check(const AclUser& user, const CommandSpec& spec,
                     std::span<const std::string_view> argv, size_t* index) {
  *index = 0;
  if (user.unrestricted) return AclDenial::kNone;
  if (user.read_only && ((spec.flags & (kWrite | kAdmin)) || ServerWide(spec))) {
    return AclDenial::kCommand;
  }
  if (!user.all_namespaces && ServerWide(spec)) return AclDenial::kCommand;
  const size_t row = static_cast<size_t>(&spec - CommandTable().data());
  AclDenial relevant = AclDenial::kCommand;
  size_t last = 0;
  for (const AclSelector& s : user.selectors) {
    size_t at = 0;
    AclDenial d = CheckSelector(s, spec, row, argv, &at);
    if (d == AclDenial::kNone) return d;
    if (d > relevant || (d == relevant && at > last)) {
      relevant = d;
      last = at;
    }
  }
  *index = last;
  return relevant;
}

bool Acl::CanRun(const AclUser& user, const CommandSpec& spec) {
  if (user.unrestricted) return true;
  if (user.read_only && ((spec.flags & (kWrite | kAdmin)) || ServerWide(spec))) return false;
  if (!user.all_namespaces && ServerWide(spec)) return false;
  const size_t row = static_cast<size_t>(&spec - CommandTable().data());
  for (const AclSelector& s : user.selectors) {
    if ((spec.flags & kNoAuth) || (row < s.allowed.size() && s.allowed[row])) return true;
  }
  return false;
}

bool Acl::CanUseNamespace(const AclUser& user, std::string_view name) {
  if (user.all_namespaces) return true;
  return std::find(user.namespaces.begin(), user.namespaces.end(), name) != user.namespaces.end();
}

bool Acl::CanUseChannel(const AclUser& user, std::string_view channel, bool pattern) {
  for (const AclSelector& s : user.selectors) {
    if (SelectorAllowsChannel(s, channel, pattern)) return true;
  }
  return false;
}

std::string Acl::DenialMessage(AclDenial denial, const AclUser& user, const CommandSpec& spec,
                               std::string_view object, bool verbose) {
  switch (denial) {
    case AclDenial::kKey:
      if (!verbose) return "No permissions to access a key";
      return "User " + user.name + " has no permissions to access the '" + std::string(object) +
             "' key";
    case AclDenial::kChannel:
      if (!verbose) return "No permissions to access a channel";
      return "User " + user.name + " has no permissions to access the '" + std::string(object) +
             "' channel";
    default:
      return "User " + user.name + " has no permissions to run the '" + std::string(spec.name) +
             "' command";
  }
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
