// Connection family: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO, CLIENT, READONLY, ROLE.
#include <algorithm>

#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/dispatcher.h"
#include "src/core/version.h"
#include "src/security/acl.h"
#include "src/security/auth_throttle.h"

namespace dkv::server {
namespace {

// Failed AUTH attempts on one connection before further ones are slowed down, and after which
// the connection is closed.
constexpr int kFreeAuthFailures = 3;
constexpr int kMaxAuthFailures = 20;

// AUTH and HELLO AUTH: logs the session in as `user`, or replies the error and returns false.
// After kFreeAuthFailures failures, each further attempt within a growing delay is refused
// without looking at the password, so one connection cannot try passwords quickly; the source
// address's count (AuthThrottle) does the same across connections. A success resets the
// connection's count but not the address's: a known password must not buy more guesses.
bool LogIn(CommandContext& ctx, std::string_view command, std::string_view user,
           std::string_view password) {
  Session& s = ctx.session;
  const int64_t now = ctx.services.clock().NowMs();
  if (now < s.auth_blocked_until_ms) {
    ctx.services.stats().acl_denied_auth++;
    ctx.reply.Error("ERR too many failed AUTH attempts on this connection: retry in " +
                    std::to_string(s.auth_blocked_until_ms - now) + " ms");
    return false;
  }
  // The same per source address, so that a new connection per guess gains nothing.
  if (int64_t wait = ctx.services.auth_throttle().BlockedForMs(s.auth_source, now); wait > 0) {
    ctx.services.stats().acl_denied_auth++;
    ctx.reply.Error("ERR too many failed AUTH attempts from this address: retry in " +
                    std::to_string(wait) + " ms");
    return false;
  }
  const AclUser* u = ctx.services.Authenticate(user, password);
  if (u == nullptr) {
    ctx.services.auth_throttle().Failure(s.auth_source, now);
    if (++s.auth_failures >= kFreeAuthFailures) {
      s.auth_blocked_until_ms = now + AuthBackoffMs(s.auth_failures, kFreeAuthFailures);
    }
    if (s.auth_failures >= kMaxAuthFailures) s.close_after_reply = true;
    // ACL LOG, as Redis: reason "auth", object "AUTH", the user name tried.
    ctx.services.dispatcher().LogAclDenial(
        s, command, "auth", ctx.services.in_exec() ? "multi" : "toplevel", "AUTH", user);
    ctx.reply.Error(errors::kWrongPass);
    return false;
  }
  if (!ctx.services.BindUser(s, u)) {
    ctx.reply.Error("ERR user " + u->name + " cannot use its namespace '" + u->namespaces.front() +
                    "': max-namespaces (" + std::to_string(ctx.config().max_namespaces) +
                    ") reached");
    return false;
  }
  s.auth_failures = 0;
  s.auth_blocked_until_ms = 0;
  s.authenticated = true;
  return true;
}

bool ValidClientName(std::string_view name) {
  for (unsigned char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

}  // namespace

void CmdPing(CommandContext& ctx, Args argv) {
  if (argv.size() > 2) return ctx.reply.Error(errors::WrongArity("ping"));
  if (argv.size() == 1) return ctx.reply.Simple("PONG");
  ctx.reply.Bulk(argv[1]);
}

void CmdEcho(CommandContext& ctx, Args argv) { ctx.reply.Bulk(argv[1]); }

void CmdQuit(CommandContext& ctx, Args) {
  ctx.reply.Ok();
  ctx.session.close_after_reply = true;
}

void CmdReset(CommandContext& ctx, Args) {
  Session& s = ctx.session;
  s.queued.clear();
  s.in_multi = false;
  s.multi_error = false;
  ctx.services.watches().UnwatchAll(&s);
  if (s.monitor) {
    s.monitor = false;
    ctx.services.clients().RemoveMonitor(&s);
  }
  s.db = 0;
  s.protocol = 2;
  ctx.reply.set_protocol(2);
  s.name.clear();
  s.no_evict = false;
  s.no_touch = false;
  ctx.services.InitSession(s);
  ctx.reply.Simple("RESET");
}

void CmdSelect(CommandContext& ctx, Args argv) {
  int64_t number;
  if (!engine::ParseInt64(argv[1], &number)) {
    // The extension: SELECT <name> uses (and first creates) a named namespace.
    if (engine::Keyspace::ValidNamespaceName(argv[1])) {
      const AclUser& user = ctx.services.UserOf(ctx.session);
      if (!Acl::CanUseNamespace(user, argv[1])) {
        ctx.services.stats().acl_denied_namespace++;
        return ctx.reply.Error(errors::NoPermNamespace(user.name, argv[1]));
      }
      int index = ctx.keyspace().FindOrCreateNamespace(argv[1], ctx.config().max_namespaces);
      if (index < 0) {
        return ctx.reply.Error("ERR too many namespaces (max-namespaces is " +
                               std::to_string(ctx.config().max_namespaces) + ")");
      }
      ctx.session.db = index;
      return ctx.reply.Ok();
    }
    return ctx.reply.Error(errors::kNotInteger);
  }
  if (number < INT32_MIN || number > INT32_MAX) return ctx.reply.Error(errors::kNotInteger);
  if (number < 0 || number >= ctx.keyspace().numbered_count()) {
    return ctx.reply.Error(errors::kDbIndexRange);
  }
  if (!ctx.services.CanUseNamespace(ctx.session, static_cast<int>(number))) {
    ctx.services.stats().acl_denied_namespace++;
    return ctx.reply.Error(errors::NoPermNamespace(ctx.services.UserOf(ctx.session).name, argv[1]));
  }
  ctx.session.db = static_cast<int>(number);
  ctx.reply.Ok();
}

void CmdAuth(CommandContext& ctx, Args argv) {
  if (argv.size() > 3) return ctx.reply.Error(errors::kSyntax);
  if (argv.size() == 2 && !ctx.services.acl().default_requires_auth()) {
    return ctx.reply.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
  }
  std::string_view user = argv.size() == 3 ? argv[1] : "default";
  if (LogIn(ctx, "auth", user, argv.back())) ctx.reply.Ok();
}

void CmdHello(CommandContext& ctx, Args argv) {
  int version = ctx.session.protocol;
  size_t j = 1;
  if (argv.size() >= 2) {
    int64_t v;
    if (!engine::ParseInt64(argv[1], &v)) {
      return ctx.reply.Error("ERR Protocol version is not an integer or out of range");
    }
    if (v < 2 || v > 3) return ctx.reply.Error("NOPROTO unsupported protocol version");
    version = static_cast<int>(v);
    j = 2;
  }
  std::string_view setname;
  bool has_setname = false;
  for (; j < argv.size(); ++j) {
    size_t left = argv.size() - j - 1;
    if (EqualsIgnoreCase(argv[j], "auth") && left >= 2) {
      if (!LogIn(ctx, "hello", argv[j + 1], argv[j + 2])) return;
      j += 2;
    } else if (EqualsIgnoreCase(argv[j], "setname") && left >= 1) {
      setname = argv[++j];
      has_setname = true;
      if (!ValidClientName(setname)) {
        return ctx.reply.Error(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    } else {
      return ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(argv[j]) + "'");
    }
  }
  if (!ctx.session.authenticated) {
    return ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
  }
  if (has_setname) ctx.session.name = std::string(setname);
  ctx.session.protocol = version;
  ctx.reply.set_protocol(version);
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(version);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

void CmdReadOnly(CommandContext& ctx, Args) { ctx.reply.Ok(); }

void CmdRole(CommandContext& ctx, Args) {
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(0);
  ctx.reply.ArrayHeader(0);
}

// --- CLIENT ---

std::string ClientInfoLine(Services& services, const Session& s) {
  int64_t now = services.clock().NowMs();
  std::string flags;
  if (s.monitor) flags += 'O';
  if (s.in_multi) flags += 'x';
  if (s.no_evict) flags += 'e';
  if (s.no_touch) flags += 'T';
  if (s.close_after_reply) flags += 'c';
  if (flags.empty()) flags = "N";
  std::string line;
  line.reserve(256);
  line += "id=" + std::to_string(s.id);
  line += " addr=" + s.addr;
  line += " laddr=" + s.laddr;
  line += " fd=" + std::to_string(s.fd);
  line += " name=" + s.name;
  line += " age=" + std::to_string((now - s.created_ms) / 1000);
  line += " idle=" + std::to_string((now - s.last_interaction_ms) / 1000);
  line += " flags=" + flags;
  line += " db=" + std::to_string(s.db);
  line += " sub=0 psub=0 ssub=0";
  line += " multi=" + std::to_string(s.in_multi ? static_cast<int64_t>(s.queued.size()) : -1);
  line += " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0";
  line += " obl=0 oll=0 omem=" + std::to_string(s.out ? s.out->size() : 0);
  line += " tot-mem=0 events=r";
  line += " cmd=" + s.last_command;
  line += " user=" + services.UserOf(s).name + " redir=-1";
  line += " resp=" + std::to_string(s.protocol);
  line += " lib-name=" + s.lib_name;
  line += " lib-ver=" + s.lib_ver;
  return line;
}

void CmdClientId(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.id));
}

void CmdClientSetName(CommandContext& ctx, Args argv) {
  if (!ValidClientName(argv[2])) {
    return ctx.reply.Error(
        "ERR Client names cannot contain spaces, newlines or special characters.");
  }
  ctx.session.name = std::string(argv[2]);
  ctx.reply.Ok();
}

void CmdClientGetName(CommandContext& ctx, Args) {
  if (ctx.session.name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(ctx.session.name);
}

void CmdClientSetInfo(CommandContext& ctx, Args argv) {
  std::string_view attr = argv[2];
  std::string_view value = argv[3];
  for (unsigned char c : value) {
    if (c < '!' || c > '~') {
      return ctx.reply.Error("ERR " + ToUpper(attr) +
                             " cannot contain spaces, newlines or special characters.");
    }
  }
  if (EqualsIgnoreCase(attr, "lib-name")) {
    ctx.session.lib_name = std::string(value);
  } else if (EqualsIgnoreCase(attr, "lib-ver")) {
    ctx.session.lib_ver = std::string(value);
  } else {
    return ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
  }
  ctx.reply.Ok();
}

void CmdClientInfo(CommandContext& ctx, Args) {
  ctx.reply.Verbatim(ClientInfoLine(ctx.services, ctx.session) + "\n");
}

void CmdClientList(CommandContext& ctx, Args argv) {
  std::vector<uint64_t> ids;
  for (size_t j = 2; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "type") && j + 1 < argv.size()) {
      std::string_view type = argv[++j];
      if (!EqualsIgnoreCase(type, "normal") && !EqualsIgnoreCase(type, "master") &&
          !EqualsIgnoreCase(type, "replica") && !EqualsIgnoreCase(type, "pubsub")) {
        return ctx.reply.Error("ERR Unknown client type '" + std::string(type) + "'");
      }
      if (!EqualsIgnoreCase(type, "normal")) return ctx.reply.Verbatim("");
    } else if (EqualsIgnoreCase(argv[j], "id") && j + 1 < argv.size()) {
      for (++j; j < argv.size(); ++j) {
        int64_t id;
        if (!engine::ParseInt64(argv[j], &id) || id <= 0) {
          return ctx.reply.Error("ERR Invalid client ID");
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::string text;
  for (const auto& [id, s] : ctx.services.clients()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    text += ClientInfoLine(ctx.services, *s);
    text += '\n';
  }
  ctx.reply.Verbatim(text);
}

void CmdClientKill(CommandContext& ctx, Args argv) {
  // Old form: CLIENT KILL addr:port -> +OK or an error.
  if (argv.size() == 3) {
    for (const auto& [id, s] : ctx.services.clients()) {
      if (s->addr == argv[2]) {
        ctx.services.hooks()->KillClient(s);
        return ctx.reply.Ok();
      }
    }
    return ctx.reply.Error("ERR No such client");
  }
  uint64_t want_id = 0;
  std::string_view addr, laddr;
  bool skip_me = true;
  int64_t max_age = 0;
  bool any_filter = false;
  for (size_t j = 2; j < argv.size(); j += 2) {
    if (j + 1 >= argv.size()) return ctx.reply.Error(errors::kSyntax);
    std::string_view opt = argv[j], val = argv[j + 1];
    if (EqualsIgnoreCase(opt, "id")) {
      int64_t id;
      if (!engine::ParseInt64(val, &id) || id <= 0) {
        return ctx.reply.Error("ERR client-id should be greater than 0");
      }
      want_id = static_cast<uint64_t>(id);
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = val;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = val;
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(val, "yes")) {
        skip_me = true;
      } else if (EqualsIgnoreCase(val, "no")) {
        skip_me = false;
      } else {
        return ctx.reply.Error(errors::kSyntax);
      }
    } else if (EqualsIgnoreCase(opt, "maxage")) {
      if (!engine::ParseInt64(val, &max_age)) return ctx.reply.Error(errors::kSyntax);
    } else if (EqualsIgnoreCase(opt, "type")) {
      if (!EqualsIgnoreCase(val, "normal") && !EqualsIgnoreCase(val, "master") &&
          !EqualsIgnoreCase(val, "replica") && !EqualsIgnoreCase(val, "pubsub") &&
          !EqualsIgnoreCase(val, "slave")) {
        return ctx.reply.Error("ERR Unknown client type '" + std::string(val) + "'");
      }
      if (!EqualsIgnoreCase(val, "normal")) return ctx.reply.Integer(0);
    } else if (EqualsIgnoreCase(opt, "user")) {
      if (val != "default") return ctx.reply.Error("ERR No such user '" + std::string(val) + "'");
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
    any_filter = true;
  }
  (void)any_filter;
  int64_t now = ctx.services.clock().NowMs();
  std::vector<Session*> victims;
  for (const auto& [id, s] : ctx.services.clients()) {
    if (want_id != 0 && id != want_id) continue;
    if (!addr.empty() && s->addr != addr) continue;
    if (!laddr.empty() && s->laddr != laddr) continue;
    if (max_age > 0 && (now - s->created_ms) / 1000 < max_age) continue;
    if (skip_me && s == &ctx.session) continue;
    victims.push_back(s);
  }
  for (Session* s : victims) ctx.services.hooks()->KillClient(s);
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
}

namespace {
bool OnOffOrReply(CommandContext& ctx, std::string_view arg, bool* out) {
  if (EqualsIgnoreCase(arg, "on")) {
    *out = true;
  } else if (EqualsIgnoreCase(arg, "off")) {
    *out = false;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}
}  // namespace

void CmdClientNoEvict(CommandContext& ctx, Args argv) {
  if (OnOffOrReply(ctx, argv[2], &ctx.session.no_evict)) ctx.reply.Ok();
}

void CmdClientNoTouchMode(CommandContext& ctx, Args argv) {
  if (OnOffOrReply(ctx, argv[2], &ctx.session.no_touch)) ctx.reply.Ok();
}

void CmdClientHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME, MAXAGE, TYPE, USER.",
      "LIST [options ...]",
      "    Return information about client connections.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "NO-TOUCH (ON|OFF)",
      "    Will not touch LRU/LFU stats when this mode is on.",
      "SETINFO <option> <value>",
      "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
