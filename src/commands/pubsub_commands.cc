// Pub/Sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
// PUBLISH, SPUBLISH and PUBSUB's subcommands, with Redis 7.2's replies. Subscriptions and
// delivery are src/core/pubsub.h; channels live in the session's namespace (Session::db).
// (Un)subscribe confirmations are pushes: a RESP2 array or a RESP3 `>` push, written even under
// CLIENT REPLY OFF (PubSub keeps them); the RESP2 subscribed mode is the dispatcher's.
#include <string>
#include <vector>

#include "resp/text.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/errors.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

using Kind = PubSub::Kind;

// "subscribe" / "psubscribe" / "ssubscribe" and their "un" forms.
std::string_view ConfirmWord(Kind kind, bool subscribe) {
  switch (kind) {
    case Kind::kChannel:
      return subscribe ? "subscribe" : "unsubscribe";
    case Kind::kPattern:
      return subscribe ? "psubscribe" : "punsubscribe";
    case Kind::kShard:
      return subscribe ? "ssubscribe" : "sunsubscribe";
  }
  return "";
}

// One confirmation: [word, channel (or nil), count].
void Confirm(CommandContext& ctx, Kind kind, bool subscribe, const std::string_view* name) {
  Session& s = ctx.session;
  std::string* buffer = s.out;
  if (s.reply_off || s.reply_skip) buffer = &s.kept_pushes;
  resp::ReplyBuilder push(buffer, s.protocol);
  push.PushHeader(3);
  push.Bulk(ConfirmWord(kind, subscribe));
  if (name != nullptr) {
    push.Bulk(*name);
  } else {
    push.Null();
  }
  push.Integer(static_cast<int64_t>(ctx.services.pubsub().ReplyCount(&s, kind)));
}

void SubscribeAll(CommandContext& ctx, Args argv, Kind kind) {
  // A client that expects one reply per command cannot enter subscribed mode (Redis lets
  // SUBSCRIBE and PSUBSCRIBE through inside MULTI, for backward compatibility; not SSUBSCRIBE).
  if (ctx.session.deny_blocking || (ctx.services.in_exec() && kind == Kind::kShard)) {
    std::string name = text::ToUpper(ConfirmWord(kind, true));
    return ctx.reply.Error("ERR " + name + " isn't allowed for a DENY BLOCKING client");
  }
  PubSub& pubsub = ctx.services.pubsub();
  for (size_t i = 1; i < argv.size(); ++i) {
    pubsub.Subscribe(&ctx.session, kind, ctx.session.db, argv[i]);
    Confirm(ctx, kind, true, &argv[i]);
  }
}

void UnsubscribeAll(CommandContext& ctx, Args argv, Kind kind) {
  PubSub& pubsub = ctx.services.pubsub();
  if (argv.size() == 1) {
    // Every subscription of this kind, in every namespace; a reply even when there are none.
    auto subs = pubsub.SubscriptionsOf(&ctx.session, kind);
    for (const PubSub::Subscription& sub : subs) {
      pubsub.Unsubscribe(&ctx.session, kind, sub.ns, sub.name);
      std::string_view name = sub.name;
      Confirm(ctx, kind, false, &name);
    }
    if (subs.empty()) Confirm(ctx, kind, false, nullptr);
    return;
  }
  for (size_t i = 1; i < argv.size(); ++i) {
    pubsub.Unsubscribe(&ctx.session, kind, ctx.session.db, argv[i]);
    Confirm(ctx, kind, false, &argv[i]);
  }
}

void ReplyChannels(CommandContext& ctx, Args argv, bool shard) {
  if (argv.size() > 3) {
    return ctx.reply.Error(errors::SubcommandSyntax("pubsub", argv[1]));
  }
  auto names = ctx.services.pubsub().Channels(ctx.session.db, shard, argv.size() == 3,
                                              argv.size() == 3 ? argv[2] : std::string_view());
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

void ReplyNumSub(CommandContext& ctx, Args argv, bool shard) {
  ctx.reply.ArrayHeader((argv.size() - 2) * 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    ctx.reply.Bulk(argv[i]);
    ctx.reply.Integer(
        static_cast<int64_t>(ctx.services.pubsub().NumSub(ctx.session.db, shard, argv[i])));
  }
}

}  // namespace

void DisconnectRevokedSubscribers(Services& services) {
  PubSub& pubsub = services.pubsub();
  std::vector<Session*> revoked;
  for (const auto& [id, session] : services.clients().all()) {
    if (session->subscriptions == 0) continue;
    const AclUser& user = services.UserOf(*session);
    bool allowed = true;
    for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShard}) {
      for (const PubSub::Subscription& sub : pubsub.SubscriptionsOf(session, kind)) {
        allowed = allowed && Acl::CanUseChannel(user, sub.name, kind == Kind::kPattern);
      }
    }
    if (!allowed) revoked.push_back(session);
  }
  for (Session* s : revoked) {
    if (services.hooks() != nullptr) services.hooks()->KillClient(s);
  }
}

void CmdSubscribe(CommandContext& ctx, Args argv) { SubscribeAll(ctx, argv, Kind::kChannel); }
void CmdPsubscribe(CommandContext& ctx, Args argv) { SubscribeAll(ctx, argv, Kind::kPattern); }
void CmdSsubscribe(CommandContext& ctx, Args argv) { SubscribeAll(ctx, argv, Kind::kShard); }
void CmdUnsubscribe(CommandContext& ctx, Args argv) { UnsubscribeAll(ctx, argv, Kind::kChannel); }
void CmdPunsubscribe(CommandContext& ctx, Args argv) { UnsubscribeAll(ctx, argv, Kind::kPattern); }
void CmdSunsubscribe(CommandContext& ctx, Args argv) { UnsubscribeAll(ctx, argv, Kind::kShard); }

void CmdPublish(CommandContext& ctx, Args argv) {
  size_t n = ctx.services.pubsub().Publish(ctx.session.db, argv[1], argv[2], false);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void CmdSpublish(CommandContext& ctx, Args argv) {
  size_t n = ctx.services.pubsub().Publish(ctx.session.db, argv[1], argv[2], true);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void CmdPubsubChannels(CommandContext& ctx, Args argv) { ReplyChannels(ctx, argv, false); }
void CmdPubsubShardChannels(CommandContext& ctx, Args argv) { ReplyChannels(ctx, argv, true); }
void CmdPubsubNumSub(CommandContext& ctx, Args argv) { ReplyNumSub(ctx, argv, false); }
void CmdPubsubShardNumSub(CommandContext& ctx, Args argv) { ReplyNumSub(ctx, argv, true); }

void CmdPubsubNumPat(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.services.pubsub().NumPat(ctx.session.db)));
}

void CmdPubsubHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: "
      "'*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
