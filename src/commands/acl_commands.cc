// ACL family, read-only views of the users configured in conf/dkv.yaml (src/security/acl.h):
// WHOAMI, LIST, USERS, CAT, HELP. Users are not changed at run time (no ACL SETUSER, DELUSER, SAVE,
// LOAD).
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/security/acl.h"

namespace dkv::server {

void CmdAclWhoami(CommandContext& ctx, Args) {
  ctx.reply.Bulk(ctx.services.UserOf(ctx.session).name);
}

void CmdAclList(CommandContext& ctx, Args) {
  const auto& users = ctx.services.acl().users();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk(Acl::Describe(*u));
}

void CmdAclUsers(CommandContext& ctx, Args) {
  const auto& users = ctx.services.acl().users();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk(u->name);
}

void CmdAclCat(CommandContext& ctx, Args argv) {
  const auto& categories = Acl::Categories();
  if (argv.size() == 2) {
    ctx.reply.ArrayHeader(categories.size());
    for (std::string_view c : categories) ctx.reply.Bulk(c);
    return;
  }
  if (argv.size() != 3) return ctx.reply.Error(errors::WrongArity("acl|cat"));
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
      "LIST",
      "    Show users details in config file format.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "Users are configured in the server's configuration file (users:); they cannot be",
      "changed at run time.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
