// Connection family: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO, READONLY, ROLE (CLIENT is in
// client_commands.cc).
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

}  // namespace

void CmdPing(CommandContext& ctx, Args argv) {
  if (argv.size() > 2) return ctx.reply.Error(errors::WrongArity("ping"));
  if (ctx.session.subscriptions > 0 && ctx.session.protocol == 2) {
    // RESP2 subscribed mode: a push-shaped ["pong", message or ""] (Redis).
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    return ctx.reply.Bulk(argv.size() == 2 ? argv[1] : std::string_view());
  }
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
  ctx.services.tracking().Disable(s);
  if (s.monitor) {
    s.monitor = false;
    ctx.services.clients().RemoveMonitor(&s);
  }
  ctx.services.pubsub().Forget(&s);  // every subscription, without replies
  s.db = 0;
  s.protocol = 2;
  ctx.reply.set_protocol(2);
  s.name.clear();  // lib-name and lib-ver stay: they describe the library, not the session
  s.no_evict = false;
  s.no_touch = false;
  s.reply_off = false;
  s.reply_skip_next = false;
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
      if (!ValidClientAttr(setname)) {
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

void CmdRole(CommandContext& ctx, Args) {
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(0);
  ctx.reply.ArrayHeader(0);
}

}  // namespace dkv::server
