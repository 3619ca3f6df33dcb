// CLIENT family: ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, REPLY, PAUSE, UNPAUSE, UNBLOCK,
// NO-EVICT, NO-TOUCH, HELP (TRACKING, CACHING, GETREDIR, TRACKINGINFO:
// client_tracking_commands.cc). Replies, fields and error texts are Redis 7.2's.
#include <algorithm>

#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

// Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them. dkv has no replication, so
// every client is "normal" (MONITOR clients too, as Redis counts them).
enum class ClientType { kNormal, kReplica, kPubSub, kMaster, kUnknown };

ClientType ClientTypeByName(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return ClientType::kNormal;
  if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica")) {
    return ClientType::kReplica;
  }
  if (EqualsIgnoreCase(name, "pubsub")) return ClientType::kPubSub;
  if (EqualsIgnoreCase(name, "master")) return ClientType::kMaster;
  return ClientType::kUnknown;
}

// A client with a subscription is of the pubsub class (Redis' getClientType).
ClientType TypeOf(const Session& s) {
  return s.subscriptions > 0 ? ClientType::kPubSub : ClientType::kNormal;
}

std::string UnknownTypeError(std::string_view name) {
  return "ERR Unknown client type '" + std::string(name) + "'";
}

// The memory of the queued commands as Redis counts it (multi-mem): their argument bytes and a
// pointer per argument.
size_t QueuedBytes(const Session& s) {
  size_t n = 0;
  for (const auto& command : s.queued) {
    for (const std::string& arg : command) n += arg.size() + sizeof(void*);
  }
  return n;
}

}  // namespace

// One line of CLIENT LIST / CLIENT INFO, without the newline: Redis 7.2's fields in Redis' order
// (declared in handlers.h; ACL LOG keeps one per entry).
std::string ClientInfoLine(Services& services, const Session& s) {
  const int64_t now = services.clock().NowMs();
  const ClientBuffers b =
      services.hooks() != nullptr ? services.hooks()->BuffersOf(s) : ClientBuffers{};
  std::string flags;
  if (s.monitor) flags += 'O';
  if (s.subscriptions > 0) flags += 'P';
  if (s.in_multi) flags += 'x';
  if (s.postponed || s.blocked) flags += 'b';
  if (s.tracking) flags += services.tracking().ClientListFlags(s);  // t R B
  if (s.watch_dirty) flags += 'd';
  if (s.close_after_reply) flags += 'c';
  if (s.unix_socket) flags += 'U';
  if (s.no_evict) flags += 'e';
  if (s.no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  std::string events;
  if (b.reading) events += 'r';
  if (b.writing) events += 'w';
  const size_t multi_mem = QueuedBytes(s);
  const size_t argv_mem = s.argv_mem;
  const size_t tot_mem = b.memory + argv_mem + multi_mem + sizeof(Session);
  auto num = [](auto v) { return std::to_string(v); };
  std::string line;
  line.reserve(320);
  line += "id=" + num(s.id);
  line += " addr=" + s.addr;
  line += " laddr=" + s.laddr;
  line += " fd=" + num(s.fd);
  line += " name=" + s.name;
  line += " age=" + num(now / 1000 - s.created_ms / 1000);
  line += " idle=" + num(now / 1000 - s.last_interaction_ms / 1000);
  line += " flags=" + flags;
  line += " db=" + num(s.db);
  const PubSub& pubsub = services.pubsub();
  line += " sub=" + std::to_string(pubsub.CountOf(&s, PubSub::Kind::kChannel)) +
          " psub=" + std::to_string(pubsub.CountOf(&s, PubSub::Kind::kPattern)) +
          " ssub=" + std::to_string(pubsub.CountOf(&s, PubSub::Kind::kShard));
  line += " multi=" + num(s.in_multi ? static_cast<int64_t>(s.queued.size()) : int64_t{-1});
  line += " qbuf=" + num(b.qbuf);
  line += " qbuf-free=" + num(b.qbuf_free);
  line += " argv-mem=" + num(argv_mem);
  line += " multi-mem=" + num(multi_mem);
  line += " rbs=" + num(b.rbs);
  line += " rbp=" + num(b.rbp);
  line += " obl=" + num(b.obl);
  line += " oll=" + num(b.oll);
  line += " omem=" + num(b.omem);
  line += " tot-mem=" + num(tot_mem);
  line += " events=" + events;
  line += " cmd=" + s.last_command;
  line += " user=" + services.UserOf(s).name;
  line += " redir=" + num(services.tracking().Redirect(s));
  line += " resp=" + num(s.protocol);
  line += " lib-name=" + s.lib_name;
  line += " lib-ver=" + s.lib_ver;
  return line;
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

void CmdClientId(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.id));
}

void CmdClientSetName(CommandContext& ctx, Args argv) {
  if (!ValidClientAttr(argv[2])) {
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
  std::string* dest = nullptr;
  if (EqualsIgnoreCase(attr, "lib-name")) {
    dest = &ctx.session.lib_name;
  } else if (EqualsIgnoreCase(attr, "lib-ver")) {
    dest = &ctx.session.lib_ver;
  } else {
    return ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
  }
  if (!ValidClientAttr(value)) {
    return ctx.reply.Error("ERR " + std::string(attr) +
                           " cannot contain spaces, newlines or special characters.");
  }
  *dest = std::string(value);
  ctx.reply.Ok();
}

void CmdClientInfo(CommandContext& ctx, Args) {
  ctx.reply.Verbatim(ClientInfoLine(ctx.services, ctx.session) + "\n");
}

void CmdClientList(CommandContext& ctx, Args argv) {
  std::string text;
  if (argv.size() == 4 && EqualsIgnoreCase(argv[2], "type")) {
    ClientType type = ClientTypeByName(argv[3]);
    if (type == ClientType::kUnknown) return ctx.reply.Error(UnknownTypeError(argv[3]));
    for (const auto& [id, s] : ctx.services.clients()) {
      if (TypeOf(*s) != type) continue;
      text += ClientInfoLine(ctx.services, *s);
      text += '\n';
    }
    return ctx.reply.Verbatim(text);
  }
  if (argv.size() > 3 && EqualsIgnoreCase(argv[2], "id")) {
    // In the order asked, once per id asked; ids of no client are left out.
    for (size_t j = 3; j < argv.size(); ++j) {
      int64_t id;
      if (!Int64OrReply(ctx.reply, argv[j], &id, "ERR Invalid client ID")) return;
      if (id <= 0) continue;
      if (Session* s = ctx.services.clients().Find(static_cast<uint64_t>(id))) {
        text += ClientInfoLine(ctx.services, *s);
        text += '\n';
      }
    }
    return ctx.reply.Verbatim(text);
  }
  if (argv.size() != 2) return ctx.reply.Error(errors::kSyntax);
  for (const auto& [id, s] : ctx.services.clients()) {
    text += ClientInfoLine(ctx.services, *s);
    text += '\n';
  }
  ctx.reply.Verbatim(text);
}

void CmdClientKill(CommandContext& ctx, Args argv) {
  std::string_view addr, laddr;
  const AclUser* user = nullptr;
  ClientType type = ClientType::kUnknown;  // kUnknown: any type
  uint64_t want_id = 0;
  int64_t max_age = 0;
  bool skip_me = true;
  const bool old_form = argv.size() == 3;
  if (old_form) {
    // CLIENT KILL addr:port: may kill the caller itself; +OK or "No such client".
    addr = argv[2];
    skip_me = false;
  } else {
    for (size_t j = 2; j < argv.size(); j += 2) {
      if (j + 1 >= argv.size()) return ctx.reply.Error(errors::kSyntax);
      std::string_view opt = argv[j], val = argv[j + 1];
      if (EqualsIgnoreCase(opt, "id")) {
        int64_t id;
        if (!engine::ParseInt64(val, &id) || id <= 0) {
          return ctx.reply.Error("ERR client-id should be greater than 0");
        }
        want_id = static_cast<uint64_t>(id);
      } else if (EqualsIgnoreCase(opt, "maxage")) {
        // Redis 7.4's filter: clients connected for at least this many seconds.
        if (!Int64OrReply(ctx.reply, val, &max_age,
                          "ERR maxage is not an integer or out of range")) {
          return;
        }
        if (max_age <= 0) return ctx.reply.Error("ERR maxage should be greater than 0");
      } else if (EqualsIgnoreCase(opt, "type")) {
        type = ClientTypeByName(val);
        if (type == ClientType::kUnknown) return ctx.reply.Error(UnknownTypeError(val));
      } else if (EqualsIgnoreCase(opt, "addr")) {
        addr = val;
      } else if (EqualsIgnoreCase(opt, "laddr")) {
        laddr = val;
      } else if (EqualsIgnoreCase(opt, "user")) {
        user = ctx.services.acl().Find(val);
        if (user == nullptr) return ctx.reply.Error("ERR No such user '" + std::string(val) + "'");
      } else if (EqualsIgnoreCase(opt, "skipme")) {
        if (EqualsIgnoreCase(val, "yes")) {
          skip_me = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          skip_me = false;
        } else {
          return ctx.reply.Error(errors::kSyntax);
        }
      } else {
        return ctx.reply.Error(errors::kSyntax);
      }
    }
  }
  const int64_t now_s = ctx.services.clock().NowMs() / 1000;
  std::vector<Session*> victims;
  for (const auto& [id, s] : ctx.services.clients()) {
    if (!addr.empty() && s->addr != addr) continue;
    if (!laddr.empty() && s->laddr != laddr) continue;
    if (type != ClientType::kUnknown && TypeOf(*s) != type) continue;
    if (want_id != 0 && id != want_id) continue;
    if (user != nullptr && &ctx.services.UserOf(*s) != user) continue;
    if (max_age != 0 && now_s - s->created_ms / 1000 < max_age) continue;
    if (skip_me && s == &ctx.session) continue;
    victims.push_back(s);
  }
  // The caller, if it is one, is closed after this reply (KillClient: close after the reply).
  if (ctx.services.hooks() != nullptr) {
    for (Session* s : victims) ctx.services.hooks()->KillClient(s);
  }
  if (!old_form) return ctx.reply.Integer(static_cast<int64_t>(victims.size()));
  if (victims.empty()) return ctx.reply.Error("ERR No such client");
  ctx.reply.Ok();
}

void CmdClientReply(CommandContext& ctx, Args argv) {
  // The dispatcher drops the replies (Dispatcher::Execute); OFF and SKIP answer nothing.
  Session& s = ctx.session;
  if (EqualsIgnoreCase(argv[2], "on")) {
    s.reply_off = false;
    s.reply_skip = false;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(argv[2], "off")) {
    s.reply_off = true;
  } else if (EqualsIgnoreCase(argv[2], "skip")) {
    if (!s.reply_off) s.reply_skip_next = true;
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
}

void CmdClientPause(CommandContext& ctx, Args argv) {
  bool all = true;
  if (argv.size() == 4) {
    if (EqualsIgnoreCase(argv[3], "write")) {
      all = false;
    } else if (!EqualsIgnoreCase(argv[3], "all")) {
      return ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  } else if (argv.size() != 3) {
    return ctx.reply.Error(errors::SubcommandSyntax(argv[0], argv[1]));
  }
  int64_t timeout;
  if (!Int64OrReply(ctx.reply, argv[2], &timeout,
                    "ERR timeout is not an integer or out of range")) {
    return;
  }
  if (timeout < 0) return ctx.reply.Error("ERR timeout is negative");
  const int64_t now = ctx.services.clock().NowMs();
  if (timeout > INT64_MAX - now) return ctx.reply.Error("ERR timeout is out of range");
  // A timeout of 0 pauses nothing (Redis: the end is 0, already past).
  ctx.services.clients().Pause(now, timeout > 0 ? now + timeout : 0, all);
  if (ctx.services.hooks() != nullptr) ctx.services.hooks()->PauseChanged();
  ctx.reply.Ok();
}

void CmdClientUnpause(CommandContext& ctx, Args) {
  ctx.services.clients().Unpause();
  if (ctx.services.hooks() != nullptr) ctx.services.hooks()->PauseChanged();
  ctx.reply.Ok();
}

void CmdClientUnblock(CommandContext& ctx, Args argv) {
  if (argv.size() > 4) return ctx.reply.Error(errors::SubcommandSyntax(argv[0], argv[1]));
  bool with_error = false;
  if (argv.size() == 4) {
    if (EqualsIgnoreCase(argv[3], "error")) {
      with_error = true;
    } else if (!EqualsIgnoreCase(argv[3], "timeout")) {
      return ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  int64_t id;
  if (!Int64OrReply(ctx.reply, argv[2], &id)) return;
  // Only a client blocked in a blocking command can be unblocked (a client held by CLIENT PAUSE
  // is not, as Redis). TIMEOUT answers it as its timeout would (a null array), ERROR with
  // -UNBLOCKED; its further commands then run (src/core/blocked_clients.h).
  using Ending = BlockedClients::Ending;
  Session* unblocked =
      id > 0 ? ctx.services.blocked().Finish(static_cast<uint64_t>(id),
                                             with_error ? Ending::kError : Ending::kTimeout)
             : nullptr;
  if (unblocked != nullptr && ctx.services.hooks() != nullptr) {
    ctx.services.hooks()->BlockEnded(unblocked);
  }
  ctx.reply.Integer(unblocked != nullptr ? 1 : 0);
}

void CmdClientNoEvict(CommandContext& ctx, Args argv) {
  if (OnOffOrReply(ctx, argv[2], &ctx.session.no_evict)) ctx.reply.Ok();
}

void CmdClientNoTouchMode(CommandContext& ctx, Args argv) {
  if (OnOffOrReply(ctx, argv[2], &ctx.session.no_touch)) ctx.reply.Ok();
}

void CmdClientHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CACHING (YES|NO)",
      "    With TRACKING OPTIN or OPTOUT: whether the next command's keys are tracked.",
      "GETNAME",
      "    The name of this connection (null when it has none).",
      "GETREDIR",
      "    Where tracking invalidations go: -1 (not tracking), 0 (this connection) or an id.",
      "ID",
      "    The id of this connection.",
      "INFO",
      "    This connection, as one line of CLIENT LIST.",
      "KILL <ip:port>",
      "    Close the connection from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Close every connection matching all the filters: ID <client-id>,",
      "    ADDR <ip:port>, LADDR <ip:port>, TYPE (NORMAL|MASTER|REPLICA|PUBSUB),",
      "    USER <username>, MAXAGE <seconds>, SKIPME (YES|NO) (default: YES).",
      "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB) | ID <client-id> [...]]",
      "    One line per connection.",
      "NO-EVICT (ON|OFF)",
      "    Keep this connection out of client eviction.",
      "NO-TOUCH (ON|OFF)",
      "    Commands of this connection leave the keys' LRU/LFU figures alone.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Hold the commands of every client (ALL) or those that may write (WRITE) for",
      "    <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Send every reply, none, or none for the next command.",
      "SETINFO <option> <value>",
      "    Set LIB-NAME or LIB-VER of this connection.",
      "SETNAME <name>",
      "    Name this connection.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
      "    Client-side caching: invalidations for the keys this connection reads.",
      "TRACKINGINFO",
      "    This connection's tracking flags, redirection and prefixes.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    End the wait of a client blocked in a blocking command.",
      "UNPAUSE",
      "    End CLIENT PAUSE now.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
