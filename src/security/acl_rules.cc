// ACL rules: applying Redis' SETUSER rules (and dkv's namespace rules) to a user or a selector,
// and printing them back in Redis' canonical order (ACL LIST, GETUSER, the aclfile).
#include <algorithm>
#include <unordered_map>

#include "resp/text.h"
#include "src/core/command.h"
#include "src/security/acl.h"
#include "src/security/sha1.h"

namespace dkv::server {
namespace {

using text::EqualsIgnoreCase;
using text::ToLower;

constexpr std::string_view kUnknown = "Unknown command or category name in ACL";
constexpr std::string_view kSyntax = "Syntax error";
constexpr std::string_view kKeysAfterAll =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kChannelsAfterAll =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kNoSuchPassword =
    "The password you are trying to remove from the user does not exist";
constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr std::string_view kFirstArgOfSub = "Allowing first-arg of a subcommand is not supported";

// Row indexes by name, and whether a name is a parent of subcommands.
struct TableIndex {
  std::unordered_map<std::string_view, size_t> by_name;
  std::unordered_map<std::string_view, std::vector<size_t>> subs;  // parent -> its subcommands
};
const TableIndex& Index() {
  static const TableIndex kIndex = [] {
    TableIndex t;
    std::span<const CommandSpec> table = CommandTable();
    for (size_t i = 0; i < table.size(); ++i) {
      std::string_view name = table[i].name;
      t.by_name.emplace(name, i);
      if (size_t bar = name.find('|'); bar != std::string_view::npos) {
        t.subs[name.substr(0, bar)].push_back(i);
      }
    }
    return t;
  }();
  return kIndex;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// dkv's salted hash: "sha256:<even number of hex digits>:<64 hex digits>".
bool IsSaltedHash(std::string_view h) {
  size_t colon = h.rfind(':');
  return h.rfind("sha256:", 0) == 0 && colon != std::string_view::npos && colon >= 7 &&
         (colon - 7) % 2 == 0 && IsLowerHex(h.substr(7, colon - 7)) &&
         h.substr(colon + 1).size() == 64 && IsLowerHex(h.substr(colon + 1));
}

// Sets one row (and, for a parent, its subcommands) allowed or not; clears its first-args.
void SetCommand(AclSelector* s, size_t index, bool allow) {
  s->allowed[index] = allow;
  s->first_args.erase(index);
  auto it = Index().subs.find(CommandTable()[index].name);
  if (it == Index().subs.end()) return;
  for (size_t sub : it->second) {
    s->allowed[sub] = allow;
    s->first_args.erase(sub);
  }
}

// Keeps the rules text compact as Redis 7.2: a rule replaces earlier ones for the same command
// or category (and, for a command, those for its subcommands or first-args).
void UpdateCommandRules(AclSelector* s, const std::string& rule, bool allow) {
  std::string out;
  size_t i = 0;
  std::string_view rules = s->command_rules;
  while (i < rules.size()) {
    size_t end = rules.find(' ', i);
    if (end == std::string_view::npos) end = rules.size();
    std::string_view token = rules.substr(i, end - i);
    i = end + 1;
    std::string_view body = token.substr(1);
    bool same = body == rule || (rule.find('|') == std::string::npos && rule[0] != '@' &&
                                 body.size() > rule.size() && body.substr(0, rule.size()) == rule &&
                                 body[rule.size()] == '|');
    if (same) continue;
    if (!out.empty()) out += ' ';
    out += token;
  }
  if (!out.empty()) out += ' ';
  out += allow ? '+' : '-';
  out += rule;
  s->command_rules = std::move(out);
}

void AllCommands(AclSelector* s, bool allow) {
  s->allowed.assign(CommandTable().size(), allow);
  s->all_commands = allow;
  s->first_args.clear();
  s->command_rules.clear();
}

// "+name", "-name", "+name|sub", "+name|firstarg".
std::string CommandRule(AclSelector* s, std::string_view op) {
  const bool allow = op[0] == '+';
  std::string what = ToLower(op.substr(1));
  const TableIndex& idx = Index();
  if (what.find('|') == std::string::npos || !allow) {
    auto it = idx.by_name.find(what);
    if (it == idx.by_name.end()) return std::string(kUnknown);
    SetCommand(s, it->second, allow);
    UpdateCommandRules(s, what, allow);
    return "";
  }
  size_t bar = what.rfind('|');
  std::string parent = what.substr(0, bar);
  std::string arg = what.substr(bar + 1);
  auto it = idx.by_name.find(parent);
  if (it == idx.by_name.end()) return std::string(kUnknown);
  if (parent.find('|') != std::string::npos) return std::string(kFirstArgOfSub);
  if (arg.empty()) return std::string(kSyntax);
  if (idx.subs.count(parent) != 0) {
    auto sub = idx.by_name.find(what);
    if (sub == idx.by_name.end()) return std::string(kUnknown);
    SetCommand(s, sub->second, true);
  } else {
    // A first argument of a command without subcommands (+select|0): Redis' deprecated form.
    std::vector<std::string>& args = s->first_args[it->second];
    if (std::find(args.begin(), args.end(), arg) == args.end()) args.push_back(arg);
  }
  UpdateCommandRules(s, what, true);
  return "";
}

std::string CategoryRule(AclSelector* s, std::string_view op) {
  const bool allow = op[0] == '+';
  std::string category = ToLower(op.substr(2));
  if (category == "all") {
    AllCommands(s, allow);
    return "";
  }
  if (!Acl::KnownCategory(category)) return std::string(kUnknown);
  std::span<const CommandSpec> table = CommandTable();
  for (size_t i = 0; i < table.size(); ++i) {
    if (Acl::InCategory(table[i], category)) {
      s->allowed[i] = allow;
      s->first_args.erase(i);
    }
  }
  UpdateCommandRules(s, "@" + category, allow);
  return "";
}

// "~pattern", "%R~pattern", "%W~pattern", "%RW~pattern".
std::string KeyRule(AclSelector* s, std::string_view op) {
  if (s->all_keys) return std::string(kKeysAfterAll);
  uint8_t perms = 0;
  size_t offset = 1;
  if (op[0] == '%') {
    bool tilde = false;
    for (; offset < op.size(); ++offset) {
      char c = static_cast<char>(std::toupper(static_cast<unsigned char>(op[offset])));
      if (c == 'R' && !(perms & kAclRead)) {
        perms |= kAclRead;
      } else if (c == 'W' && !(perms & kAclWrite)) {
        perms |= kAclWrite;
      } else if (c == '~') {
        tilde = true;
        ++offset;
        break;
      } else {
        return std::string(kSyntax);
      }
    }
    if (!tilde || perms == 0) return std::string(kSyntax);
  } else {
    perms = kAclRead | kAclWrite;
  }
  std::string pattern(op.substr(offset));
  if (pattern == "*" && perms == (kAclRead | kAclWrite)) {
    s->all_keys = true;
    s->keys.clear();
    return "";
  }
  for (AclKeyPattern& k : s->keys) {
    if (k.pattern == pattern) {
      k.perms |= perms;
      return "";
    }
  }
  s->keys.push_back({std::move(pattern), perms});
  return "";
}

bool ValidNamespace(const std::string& ns, int databases) {
  if (ns == "*") return true;
  bool number = !ns.empty() && ns.size() < 6 &&
                std::all_of(ns.begin(), ns.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (number && ns.size() > 1 && ns[0] == '0') number = false;  // "07" is not database 7
  if (number) return std::stoi(ns) < databases;
  return engine::Keyspace::ValidNamespaceName(ns);
}

// Splits a selector's inner text on spaces (Redis splits it as arguments; quotes are not needed
// by any rule).
std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size()) break;
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    out.push_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

AclSelector EmptySelector() {
  AclSelector s;
  s.allowed.assign(CommandTable().size(), false);
  return s;
}

}  // namespace

std::string ApplySelectorRule(AclSelector* s, std::string_view op) {
  if (op.empty()) return std::string(kSyntax);
  if (EqualsIgnoreCase(op, "allkeys") || op == "~*") {
    s->all_keys = true;
    s->keys.clear();
  } else if (EqualsIgnoreCase(op, "resetkeys")) {
    s->all_keys = false;
    s->keys.clear();
  } else if (EqualsIgnoreCase(op, "allchannels") || op == "&*") {
    s->all_channels = true;
    s->channels.clear();
  } else if (EqualsIgnoreCase(op, "resetchannels")) {
    s->all_channels = false;
    s->channels.clear();
  } else if (EqualsIgnoreCase(op, "allcommands") || EqualsIgnoreCase(op, "+@all")) {
    AllCommands(s, true);
  } else if (EqualsIgnoreCase(op, "nocommands") || EqualsIgnoreCase(op, "-@all")) {
    AllCommands(s, false);
  } else if (op[0] == '~' || op[0] == '%') {
    return KeyRule(s, op);
  } else if (op[0] == '&') {
    if (s->all_channels) return std::string(kChannelsAfterAll);
    std::string channel(op.substr(1));
    if (std::find(s->channels.begin(), s->channels.end(), channel) == s->channels.end()) {
      s->channels.push_back(std::move(channel));
    }
  } else if ((op[0] == '+' || op[0] == '-') && op.size() >= 2 && op[1] == '@') {
    return CategoryRule(s, op);
  } else if (op[0] == '+' || op[0] == '-') {
    return CommandRule(s, op);
  } else {
    return std::string(kSyntax);
  }
  return "";
}

bool MergeSelectorArgs(std::span<const std::string_view> in, std::vector<std::string>* out,
                       std::string* unmatched) {
  std::string open;
  bool in_selector = false;
  for (std::string_view op : in) {
    if (!in_selector && !op.empty() && op[0] == '(' && op.back() != ')') {
      open = std::string(op);
      *unmatched = open;
      in_selector = true;
    } else if (in_selector) {
      open += ' ';
      open += op;
      if (!op.empty() && op.back() == ')') {
        out->push_back(std::move(open));
        open.clear();
        in_selector = false;
      }
    } else {
      out->emplace_back(op);
    }
  }
  return !in_selector;
}

AclUser Acl::NewUser(std::string_view name) {
  AclUser u;
  u.name = std::string(name);
  u.selectors.push_back(EmptySelector());
  return u;
}

std::string Acl::ApplyUserRule(AclUser* u, std::string_view op) const {
  if (EqualsIgnoreCase(op, "on")) {
    u->enabled = true;
  } else if (EqualsIgnoreCase(op, "off")) {
    u->enabled = false;
  } else if (EqualsIgnoreCase(op, "skip-sanitize-payload")) {
    u->sanitize = 2;
  } else if (EqualsIgnoreCase(op, "sanitize-payload")) {
    u->sanitize = 1;
  } else if (EqualsIgnoreCase(op, "nopass")) {
    u->nopass = true;
    u->passwords.clear();
  } else if (EqualsIgnoreCase(op, "resetpass")) {
    u->nopass = false;
    u->passwords.clear();
  } else if (!op.empty() && (op[0] == '>' || op[0] == '<')) {
    std::string hash = Sha256Hex(op.substr(1));
    auto it = std::find(u->passwords.begin(), u->passwords.end(), hash);
    if (op[0] == '>') {
      if (it == u->passwords.end()) u->passwords.push_back(hash);
      u->nopass = false;
    } else {
      if (it == u->passwords.end()) return std::string(kNoSuchPassword);
      u->passwords.erase(it);
    }
  } else if (!op.empty() && (op[0] == '#' || op[0] == '!')) {
    std::string hash(op.substr(1));
    // dkv also takes its salted form, "#sha256:<salt>:<digest>" (configuration files).
    if (!IsSaltedHash(hash) && (hash.size() != 64 || !IsLowerHex(hash))) {
      return std::string(kBadHash);
    }
    auto it = std::find(u->passwords.begin(), u->passwords.end(), hash);
    if (op[0] == '#') {
      if (it == u->passwords.end()) u->passwords.push_back(hash);
      u->nopass = false;
    } else {
      if (it == u->passwords.end()) return std::string(kNoSuchPassword);
      u->passwords.erase(it);
    }
  } else if (op.size() >= 2 && op.front() == '(' && op.back() == ')') {
    AclSelector s = EmptySelector();
    for (std::string_view rule : SplitSpaces(op.substr(1, op.size() - 2))) {
      if (std::string err = ApplySelectorRule(&s, rule); !err.empty()) return err;
    }
    u->selectors.push_back(std::move(s));
  } else if (EqualsIgnoreCase(op, "clearselectors")) {
    u->selectors.resize(1);
  } else if (EqualsIgnoreCase(op, "reset")) {
    AclUser fresh = NewUser(u->name);
    fresh.sanitize = 1;
    *u = std::move(fresh);
  } else if (op.size() > 11 && EqualsIgnoreCase(op.substr(0, 11), "namespaces=")) {
    // dkv: the namespaces the user may use, "namespaces=a,b" or "namespaces=*".
    std::vector<std::string> list;
    std::string_view rest = op.substr(11);
    for (size_t i = 0; i <= rest.size();) {
      size_t end = rest.find(',', i);
      if (end == std::string_view::npos) end = rest.size();
      std::string ns(rest.substr(i, end - i));
      if (!ValidNamespace(ns, databases_)) {
        return "'" + ns + "' is not a namespace (0-" + std::to_string(databases_ - 1) +
               " or a name of letters, digits, _-:.)";
      }
      list.push_back(std::move(ns));
      i = end + 1;
    }
    u->all_namespaces = std::find(list.begin(), list.end(), "*") != list.end();
    u->namespaces = u->all_namespaces ? std::vector<std::string>{} : std::move(list);
  } else if (EqualsIgnoreCase(op, "readonly")) {
    u->read_only = true;  // dkv: no writes and nothing that changes the server
  } else if (EqualsIgnoreCase(op, "readwrite")) {
    u->read_only = false;
  } else {
    return ApplySelectorRule(&u->selectors[0], op);
  }
  return "";
}

std::string Acl::SelectorCommands(const AclSelector& s) {
  std::string out = s.all_commands ? "+@all" : "-@all";
  if (!s.command_rules.empty()) out += " " + s.command_rules;
  return out;
}

std::string Acl::SelectorKeys(const AclSelector& s) {
  if (s.all_keys) return "~*";
  std::string out;
  for (const AclKeyPattern& k : s.keys) {
    if (!out.empty()) out += ' ';
    if (k.perms == kAclRead) {
      out += "%R";
    } else if (k.perms == kAclWrite) {
      out += "%W";
    }
    out += "~" + k.pattern;
  }
  return out;
}

std::string Acl::SelectorChannels(const AclSelector& s) {
  if (s.all_channels) return "&*";
  std::string out;
  for (const std::string& c : s.channels) {
    if (!out.empty()) out += ' ';
    out += "&" + c;
  }
  return out;
}

std::vector<std::string_view> Acl::Flags(const AclUser& u) {
  std::vector<std::string_view> flags = {u.enabled ? "on" : "off"};
  if (u.nopass) flags.push_back("nopass");
  if (u.sanitize == 2) flags.push_back("skip-sanitize-payload");
  if (u.sanitize == 1) flags.push_back("sanitize-payload");
  return flags;
}

namespace {
// Redis' selector description: keys, channels ("resetchannels" first unless all), commands.
std::string DescribeSelector(const AclSelector& s) {
  std::string out;
  if (std::string keys = Acl::SelectorKeys(s); !keys.empty()) out += keys + " ";
  if (s.all_channels) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    if (std::string ch = Acl::SelectorChannels(s); !ch.empty()) out += ch + " ";
  }
  return out + Acl::SelectorCommands(s);
}
}  // namespace

std::string Acl::DescribeRules(const AclUser& u) {
  std::string out;
  for (std::string_view f : Flags(u)) out += std::string(f) + " ";
  for (const std::string& p : u.passwords) out += "#" + p + " ";
  if (!u.all_namespaces) {
    out += "namespaces=";
    for (size_t i = 0; i < u.namespaces.size(); ++i) out += (i ? "," : "") + u.namespaces[i];
    out += " ";
  }
  if (u.read_only) out += "readonly ";
  out += DescribeSelector(u.selectors[0]);
  for (size_t i = 1; i < u.selectors.size(); ++i) {
    out += " (" + DescribeSelector(u.selectors[i]) + ")";
  }
  return out;
}

std::string Acl::Describe(const AclUser& u) { return "user " + u.name + " " + DescribeRules(u); }

}  // namespace dkv::server
