// CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO: client-side caching's
// commands. They parse and reply; the state and the invalidations are src/core/tracking.h's.
// Replies and error texts are Redis 7.2's; docs/client-tracking.md describes the messages.
#include <string>
#include <vector>

#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/errors.h"
#include "src/core/services.h"

namespace dkv::server {

void CmdClientTracking(CommandContext& ctx, Args argv) {
  Tracking::Options o;
  int64_t redirect = 0;
  for (size_t j = 3; j < argv.size(); ++j) {
    const bool more = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "redirect") && more) {
      ++j;
      if (redirect != 0) {
        return ctx.reply.Error("ERR A client can only redirect to a single other client");
      }
      if (!Int64OrReply(ctx.reply, argv[j], &redirect)) return;
      if (redirect <= 0 ||
          ctx.services.clients().Find(static_cast<uint64_t>(redirect)) == nullptr) {
        return ctx.reply.Error("ERR The client ID you want redirect to does not exist");
      }
    } else if (EqualsIgnoreCase(argv[j], "bcast")) {
      o.bcast = true;
    } else if (EqualsIgnoreCase(argv[j], "optin")) {
      o.optin = true;
    } else if (EqualsIgnoreCase(argv[j], "optout")) {
      o.optout = true;
    } else if (EqualsIgnoreCase(argv[j], "noloop")) {
      o.noloop = true;
    } else if (EqualsIgnoreCase(argv[j], "prefix") && more) {
      o.prefixes.emplace_back(argv[++j]);
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  o.redirect = static_cast<uint64_t>(redirect);
  Tracking& tracking = ctx.services.tracking();
  if (EqualsIgnoreCase(argv[2], "on")) {
    if (std::string err = tracking.Enable(ctx.session, o); !err.empty()) {
      return ctx.reply.Error(err);
    }
  } else if (EqualsIgnoreCase(argv[2], "off")) {
    tracking.Disable(ctx.session);
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  ctx.reply.Ok();
}

void CmdClientCaching(CommandContext& ctx, Args argv) {
  Tracking& tracking = ctx.services.tracking();
  if (!ctx.session.tracking) {
    return ctx.reply.Error(tracking.Caching(ctx.session, true));
  }
  std::string err;
  if (EqualsIgnoreCase(argv[2], "yes")) {
    err = tracking.Caching(ctx.session, true);
  } else if (EqualsIgnoreCase(argv[2], "no")) {
    err = tracking.Caching(ctx.session, false);
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  if (!err.empty()) return ctx.reply.Error(err);
  ctx.reply.Ok();
}

void CmdClientGetRedir(CommandContext& ctx, Args) {
  ctx.reply.Integer(ctx.services.tracking().Redirect(ctx.session));
}

void CmdClientTrackingInfo(CommandContext& ctx, Args) {
  const Tracking& tracking = ctx.services.tracking();
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  const std::vector<std::string_view> flags = tracking.Flags(ctx.session);
  ctx.reply.SetHeader(flags.size());
  for (std::string_view f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(tracking.Redirect(ctx.session));
  ctx.reply.Bulk("prefixes");
  const std::vector<std::string> prefixes = tracking.Prefixes(ctx.session);
  ctx.reply.ArrayHeader(prefixes.size());
  for (const std::string& p : prefixes) ctx.reply.Bulk(p);
}

}  // namespace dkv::server
