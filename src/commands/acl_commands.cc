// ACL family (src/security/acl.h), as Redis 7.2: SETUSER, DELUSER, GETUSER, LIST, USERS, WHOAMI,
// CAT, GENPASS, LOG, DRYRUN, LOAD, SAVE, HELP. Users changed here live in the Acl; CONFIG REWRITE
// writes them to the configuration file, ACL SAVE to the aclfile.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "engine/numbers.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/dispatcher.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

void ReplySelector(resp::ReplyBuilder& reply, const AclSelector& s) {
  reply.Bulk("commands");
  reply.Bulk(Acl::SelectorCommands(s));
  reply.Bulk("keys");
  reply.Bulk(Acl::SelectorKeys(s));
  reply.Bulk("channels");
  reply.Bulk(Acl::SelectorChannels(s));
}

// Redis' reply to a subcommand given too many arguments.
std::string BadSubcommandArgs(std::string_view sub) {
  return "ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
         "'. Try ACL HELP.";
}

constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

// Writes `text` to `path` through a temporary file and a rename. "" or the error.
std::string WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return "Opening temp ACL file for ACL SAVE: " + std::string(std::strerror(errno));
  std::string err;
  for (size_t done = 0; err.empty() && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = "Writing ACL file for ACL SAVE: " + std::string(std::strerror(errno));
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (err.empty() && ::fsync(fd) != 0) err = "Syncing ACL file for ACL SAVE";
  if (::close(fd) != 0 && err.empty()) err = "Closing ACL file for ACL SAVE";
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "Renaming ACL file for ACL SAVE: " + std::string(std::strerror(errno));
  }
  if (!err.empty()) ::unlink(tmp.c_str());
  return err;
}

}  // namespace

void CmdAclWhoami(CommandContext& ctx, Args) {
  ctx.reply.Bulk(ctx.services.UserOf(ctx.session).name);
}

void CmdAclList(CommandContext& ctx, Args) {
  std::vector<const AclUser*> users = ctx.services.acl().Sorted();
  ctx.reply.ArrayHeader(users.size());
  for (const AclUser* u : users) ctx.reply.Bulk(Acl::Describe(*u));
}

void CmdAclUsers(CommandContext& ctx, Args) {
  std::vector<const AclUser*> users = ctx.services.acl().Sorted();
  ctx.reply.ArrayHeader(users.size());
  for (const AclUser* u : users) ctx.reply.Bulk(u->name);
}

void CmdAclSetuser(CommandContext& ctx, Args argv) {
  std::vector<std::string_view> rules(argv.begin() + 3, argv.end());
  if (std::string err = ctx.services.acl().SetUser(argv[2], rules); !err.empty()) {
    return ctx.reply.Error(err);
  }
  DisconnectRevokedSubscribers(ctx.services);
  ctx.reply.Ok();
}

void CmdAclDeluser(CommandContext& ctx, Args argv) {
  int64_t deleted = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (argv[i] == "default") return ctx.reply.Error("ERR The 'default' user cannot be removed");
  }
  for (size_t i = 2; i < argv.size(); ++i) {
    if (ctx.services.acl().DeleteUser(argv[i])) ++deleted;
  }
  // Their clients are closed, the caller's after this reply (as Redis).
  ctx.services.DisconnectDeletedUsers();
  ctx.reply.Integer(deleted);
}

void CmdAclGetuser(CommandContext& ctx, Args argv) {
  const AclUser* u = ctx.services.acl().Find(argv[2]);
  if (u == nullptr) return ctx.reply.Null();
  ctx.reply.MapHeader(6);
  ctx.reply.Bulk("flags");
  std::vector<std::string_view> flags = Acl::Flags(*u);
  ctx.reply.ArrayHeader(flags.size());
  for (std::string_view f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("passwords");
  ctx.reply.ArrayHeader(u->passwords.size());
  for (const std::string& p : u->passwords) ctx.reply.Bulk(p);
  ReplySelector(ctx.reply, u->selectors[0]);
  ctx.reply.Bulk("selectors");
  ctx.reply.ArrayHeader(u->selectors.size() - 1);
  for (size_t i = 1; i < u->selectors.size(); ++i) {
    ctx.reply.MapHeader(3);
    ReplySelector(ctx.reply, u->selectors[i]);
  }
}

void CmdAclGenpass(CommandContext& ctx, Args argv) {
  int64_t bits = 256;
  if (argv.size() > 3) return ctx.reply.Error(BadSubcommandArgs(argv[1]));
  if (argv.size() == 3) {
    if (!engine::ParseInt64(argv[2], &bits)) return ctx.reply.Error(errors::kNotInteger);
    if (bits <= 0 || bits > 4096) {
      return ctx.reply.Error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a "
          "positive number up to 4096");
    }
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(chars);
  for (size_t i = 0; i < chars; ++i) out += kHex[rd() % 16];
  ctx.reply.Bulk(out);
}

void CmdAclLog(CommandContext& ctx, Args argv) {
  AclLog& log = ctx.services.acl().log();
  int64_t count = static_cast<int64_t>(log.entries().size());
  if (argv.size() > 3) return ctx.reply.Error(BadSubcommandArgs(argv[1]));
  if (argv.size() == 3) {
    if (EqualsIgnoreCase(argv[2], "reset")) {
      log.Reset();
      return ctx.reply.Ok();
    }
    if (!engine::ParseInt64(argv[2], &count)) return ctx.reply.Error(errors::kNotInteger);
    if (count < 0) count = 0;
  }
  const size_t n = std::min(static_cast<size_t>(count), log.entries().size());
  const int64_t now = ctx.services.clock().NowMs();
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const AclLogEntry& e = log.entries()[i];
    ctx.reply.MapHeader(10);
    ctx.reply.Bulk("count");
    ctx.reply.Integer(static_cast<int64_t>(e.count));
    ctx.reply.Bulk("reason");
    ctx.reply.Bulk(e.reason);
    ctx.reply.Bulk("context");
    ctx.reply.Bulk(e.context);
    ctx.reply.Bulk("object");
    ctx.reply.Bulk(e.object);
    ctx.reply.Bulk("username");
    ctx.reply.Bulk(e.username);
    ctx.reply.Bulk("age-seconds");
    ctx.reply.Double(static_cast<double>(now - e.created_ms) / 1000.0);
    ctx.reply.Bulk("client-info");
    ctx.reply.Bulk(e.client_info);
    ctx.reply.Bulk("entry-id");
    ctx.reply.Integer(static_cast<int64_t>(e.entry_id));
    ctx.reply.Bulk("timestamp-created");
    ctx.reply.Integer(e.created_ms);
    ctx.reply.Bulk("timestamp-last-updated");
    ctx.reply.Integer(e.updated_ms);
  }
}

void CmdAclDryrun(CommandContext& ctx, Args argv) {
  const AclUser* u = ctx.services.acl().Find(argv[2]);
  if (u == nullptr) return ctx.reply.Error("ERR User '" + std::string(argv[2]) + "' not found");
  Args call = argv.subspan(3);
  const CommandSpec* spec = ctx.services.dispatcher().Resolve(call);
  if (spec == nullptr || spec->handler == nullptr) {
    return ctx.reply.Error("ERR Command '" + std::string(argv[3]) + "' not found");
  }
  const int n = static_cast<int>(call.size());
  if ((spec->arity > 0 && n != spec->arity) || (spec->arity < 0 && n < -spec->arity)) {
    return ctx.reply.Error(errors::WrongArity(spec->name));
  }
  size_t index = 0;
  AclDenial denial = Acl::Check(*u, *spec, call, &index);
  if (denial == AclDenial::kNone) return ctx.reply.Ok();
  ctx.reply.Bulk(Acl::DenialMessage(denial, *u, *spec, call[index], true));
}

void CmdAclLoad(CommandContext& ctx, Args) {
  const std::string& path = ctx.config().aclfile;
  if (path.empty()) return ctx.reply.Error(kNoAclFile);
  if (std::string err = ctx.services.acl().LoadFile(path); !err.empty()) {
    return ctx.reply.Error("ERR " + err);
  }
  ctx.services.DisconnectDeletedUsers();
  DisconnectRevokedSubscribers(ctx.services);
  ctx.reply.Ok();
}

void CmdAclSave(CommandContext& ctx, Args) {
  const std::string& path = ctx.config().aclfile;
  if (path.empty()) return ctx.reply.Error(kNoAclFile);
  if (std::string err = WriteFileAtomically(path, ctx.services.acl().SaveText()); !err.empty()) {
    return ctx.reply.Error(
        "ERR There was an error trying to save the ACLs. Please check the "
        "server logs for more information");
  }
  ctx.reply.Ok();
}

void CmdAclCat(CommandContext& ctx, Args argv) {
  const auto& categories = Acl::Categories();
  if (argv.size() == 2) {
    ctx.reply.ArrayHeader(categories.size());
    for (std::string_view c : categories) ctx.reply.Bulk(c);
    return;
  }
  if (argv.size() != 3) return ctx.reply.Error(BadSubcommandArgs(argv[1]));
  std::string category = ToLower(argv[2]);
  if (!Acl::KnownCategory(category)) {
    return ctx.reply.Error("ERR Unknown category '" + std::string(argv[2]) + "'");
  }
  std::vector<std::string_view> names;
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.handler != nullptr && Acl::InCategory(spec, category)) names.push_back(spec.name);
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

void CmdAclHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
