// COMMAND and its subcommands (INFO, DOCS, COUNT, LIST, GETKEYS, GETKEYSANDFLAGS, HELP): what the
// command table's rows say, in Redis 7's reply shapes.
#include <algorithm>
#include <memory>

#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/command_docs.h"
#include "src/core/dispatcher.h"
#include "src/security/acl.h"

namespace dkv::server {

namespace {

// COMMAND INFO's flags, by Redis' names in Redis' order; movablekeys comes from the key specs.
std::vector<std::string_view> FlagNames(const CommandSpec& spec) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kWrite, "write"},
      {kReadOnly, "readonly"},
      {kDenyOom, "denyoom"},
      {kAdmin, "admin"},
      {kPubSub, "pubsub"},
      {kNoScript, "noscript"},
      {kBlocking, "blocking"},
      {kLoading, "loading"},
      {kStale, "stale"},
      {kSkipMonitor, "skip_monitor"},
      {kSkipSlowlog, "skip_slowlog"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},
      {kNoMandatoryKeys, "no_mandatory_keys"},
      {kNoAsyncLoading, "no_async_loading"},
      {kNoMulti, "no_multi"},
  };
  std::vector<std::string_view> names;
  for (const auto& [bit, name] : kNames) {
    if (spec.flags & bit) names.push_back(name);
  }
  if (LegacyKeyRange(spec).movable) names.push_back("movablekeys");
  if (spec.flags & kAllowBusy) names.push_back("allow_busy");
  return names;
}

// The row's categories that Redis defines, in Redis' order (@kv and @server are dkv's: ACL
// rules and ACL CAT see them, COMMAND INFO does not).
std::vector<std::string> AclCategories(const CommandSpec& spec) {
  std::vector<std::string> cats;
  for (const CategoryName& c : AclCategoryNames()) {
    if (c.redis && (spec.categories & c.bit)) cats.push_back("@" + std::string(c.name));
  }
  return cats;
}

void ReplyKeySpec(resp::ReplyBuilder& r, const KeySpec& s) {
  r.MapHeader(s.notes.empty() ? 3 : 4);
  if (!s.notes.empty()) {
    r.Bulk("notes");
    r.Bulk(s.notes);
  }
  r.Bulk("flags");
  auto flags = KeyFlagNames(s.flags);
  r.SetHeader(flags.size());
  for (auto f : flags) r.Simple(f);
  if (s.unknown) {
    for (std::string_view part : {"begin_search", "find_keys"}) {
      r.Bulk(part);
      r.MapHeader(2);
      r.Bulk("type");
      r.Bulk("unknown");
      r.Bulk("spec");
      r.MapHeader(0);
    }
    return;
  }
  r.Bulk("begin_search");
  r.MapHeader(2);
  r.Bulk("type");
  if (s.keyword.empty()) {
    r.Bulk("index");
    r.Bulk("spec");
    r.MapHeader(1);
    r.Bulk("index");
    r.Integer(s.index);
  } else {
    r.Bulk("keyword");
    r.Bulk("spec");
    r.MapHeader(2);
    r.Bulk("keyword");
    r.Bulk(s.keyword);
    r.Bulk("startfrom");
    r.Integer(s.startfrom);
  }
  r.Bulk("find_keys");
  r.MapHeader(2);
  r.Bulk("type");
  if (s.keynum) {
    r.Bulk("keynum");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("keynumidx");
    r.Integer(s.keynumidx);
    r.Bulk("firstkey");
    r.Integer(s.firstkey);
    r.Bulk("keystep");
    r.Integer(s.keystep);
  } else {
    r.Bulk("range");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("lastkey");
    r.Integer(s.lastkey);
    r.Bulk("keystep");
    r.Integer(s.keystep);
    r.Bulk("limit");
    r.Integer(s.limit);
  }
}

void ReplyCommandInfo(CommandContext& ctx, const CommandSpec& spec) {
  resp::ReplyBuilder& r = ctx.reply;
  auto subs = ctx.services.dispatcher().Subcommands(spec.name);
  const LegacyRange range = LegacyKeyRange(spec);
  r.ArrayHeader(10);
  r.Bulk(spec.name);
  r.Integer(spec.arity);
  auto flags = FlagNames(spec);
  r.SetHeader(flags.size());
  for (auto f : flags) r.Simple(f);
  r.Integer(range.first);
  r.Integer(range.last);
  r.Integer(range.step);
  auto cats = AclCategories(spec);
  r.SetHeader(cats.size());
  for (const auto& c : cats) r.Simple(c);
  r.ArrayHeader(0);  // tips
  r.ArrayHeader(spec.keys.count);
  for (const KeySpec& s : spec.keys.all()) ReplyKeySpec(r, s);
  r.ArrayHeader(subs.size());
  for (const CommandSpec* sub : subs) ReplyCommandInfo(ctx, *sub);
}

// `key_index`: how many key arguments came before this one in the tree; the n-th key argument
// belongs to the n-th key spec (the last spec takes the rest).
void ReplyDocArg(resp::ReplyBuilder& r, const CommandSpec& spec, const DocArg& arg,
                 int* key_index) {
  // SORT's BY and GET patterns name keys: they belong to the row's first Unknown() spec, as in
  // Redis; the key arguments after them take the specs after it.
  int pattern_spec = -1;
  if (arg.type == "pattern") {
    for (int i = 0; i < spec.keys.count; ++i) {
      if (spec.keys.spec[static_cast<size_t>(i)].unknown) {
        pattern_spec = i;
        break;
      }
    }
  }
  bool is_key = arg.type == "key" || pattern_spec >= 0;
  size_t pairs = 2 + (is_key ? 1 : 0) + (arg.token.empty() ? 0 : 1) +
                 ((arg.optional || arg.multiple) ? 1 : 0) + (arg.arguments.empty() ? 0 : 1);
  r.MapHeader(pairs);
  r.Bulk("name");
  r.Bulk(arg.name);
  r.Bulk("type");
  r.Bulk(arg.type);
  if (pattern_spec >= 0) {
    r.Bulk("key_spec_index");
    r.Integer(pattern_spec);
    *key_index = std::max(*key_index, pattern_spec + 1);
  } else if (is_key) {
    r.Bulk("key_spec_index");
    r.Integer(std::max(0, std::min(*key_index, spec.keys.count - 1)));
    ++*key_index;
  }
  if (!arg.token.empty()) {
    r.Bulk("token");
    r.Bulk(arg.token);
  }
  if (arg.optional || arg.multiple) {
    r.Bulk("flags");
    r.SetHeader((arg.optional ? 1 : 0) + (arg.multiple ? 1 : 0));
    if (arg.optional) r.Simple("optional");
    if (arg.multiple) r.Simple("multiple");
  }
  if (!arg.arguments.empty()) {
    r.Bulk("arguments");
    r.ArrayHeader(arg.arguments.size());
    for (const DocArg& sub : arg.arguments) ReplyDocArg(r, spec, sub, key_index);
  }
}

void ReplyCommandDocs(CommandContext& ctx, const CommandSpec& spec) {
  resp::ReplyBuilder& r = ctx.reply;
  auto subs = ctx.services.dispatcher().Subcommands(spec.name);
  std::vector<DocArg> args = ParseSyntax(spec.syntax);
  r.Bulk(spec.name);
  r.MapHeader(4 + (spec.history.empty() ? 0 : 1) + (args.empty() ? 0 : 1) + (subs.empty() ? 0 : 1));
  r.Bulk("summary");
  r.Bulk(spec.summary);
  r.Bulk("since");
  r.Bulk(spec.since);
  r.Bulk("group");
  r.Bulk(spec.group);
  r.Bulk("complexity");
  r.Bulk(spec.complexity);
  if (!spec.history.empty()) {
    r.Bulk("history");
    r.ArrayHeader(spec.history.size());
    for (const HistoryEntry& h : spec.history) {
      r.ArrayHeader(2);
      r.Bulk(h.version);
      r.Bulk(h.change);
    }
  }
  if (!args.empty()) {
    r.Bulk("arguments");
    r.ArrayHeader(args.size());
    int key_index = 0;
    for (const DocArg& arg : args) ReplyDocArg(r, spec, arg, &key_index);
  }
  if (!subs.empty()) {
    r.Bulk("subcommands");
    r.MapHeader(subs.size());
    for (const CommandSpec* sub : subs) ReplyCommandDocs(ctx, *sub);
  }
}

std::vector<const CommandSpec*> TopLevel() {
  std::vector<const CommandSpec*> out;
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.name.find('|') == std::string_view::npos) out.push_back(&spec);
  }
  return out;
}

}  // namespace

void CmdCommand(CommandContext& ctx, Args) {
  auto all = TopLevel();
  ctx.reply.ArrayHeader(all.size());
  for (const CommandSpec* spec : all) ReplyCommandInfo(ctx, *spec);
}

void CmdCommandCount(CommandContext& ctx, Args) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.services.dispatcher().top_level_count()));
}

void CmdCommandInfo(CommandContext& ctx, Args argv) {
  if (argv.size() == 2) return CmdCommand(ctx, argv);
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    const CommandSpec* spec = ctx.services.dispatcher().Find(argv[i]);
    if (spec == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyCommandInfo(ctx, *spec);
    }
  }
}

void CmdCommandDocs(CommandContext& ctx, Args argv) {
  std::vector<const CommandSpec*> specs;
  if (argv.size() == 2) {
    specs = TopLevel();
  } else {
    for (size_t i = 2; i < argv.size(); ++i) {
      if (const CommandSpec* spec = ctx.services.dispatcher().Find(argv[i])) specs.push_back(spec);
    }
  }
  ctx.reply.MapHeader(specs.size());
  for (const CommandSpec* spec : specs) ReplyCommandDocs(ctx, *spec);
}

void CmdCommandList(CommandContext& ctx, Args argv) {
  std::unique_ptr<engine::Pattern> pattern;
  std::string_view group;
  if (argv.size() != 2) {
    if (argv.size() != 5 || !EqualsIgnoreCase(argv[2], "filterby")) {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (EqualsIgnoreCase(argv[3], "pattern")) {
      pattern = engine::Pattern::CompileRedisGlob(ToLower(argv[4]), nullptr);
    } else if (EqualsIgnoreCase(argv[3], "module")) {
      return ctx.reply.ArrayHeader(0);
    } else if (EqualsIgnoreCase(argv[3], "aclcat")) {
      group = argv[4];
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::vector<std::string_view> names;
  for (const CommandSpec& spec : CommandTable()) {
    if (pattern != nullptr && !pattern->Matches(spec.name)) continue;
    if (!group.empty()) {
      if (!Acl::InCategory(spec, ToLower(group))) continue;
    }
    // As Redis: subcommands are listed too ("config|get"), with or without a filter.
    names.push_back(spec.name);
  }
  ctx.reply.ArrayHeader(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

namespace {

// COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of the command in argv[2..] by its key specs,
// or false after replying with the error.
bool KeysOfCall(CommandContext& ctx, Args target, std::vector<KeyRef>* keys) {
  const CommandSpec* spec = ctx.services.dispatcher().Resolve(target);
  if (spec == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return false;
  }
  int n = static_cast<int>(target.size());
  if ((spec->arity > 0 && n != spec->arity) || (spec->arity < 0 && n < -spec->arity)) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return false;
  }
  // Specs of things that are not keys (NOT_KEY: SSUBSCRIBE's shard channels) do not count.
  bool has_keys = false;
  for (const KeySpec& k : spec->keys.all()) has_keys = has_keys || !(k.flags & kKeyNotKey);
  if (!has_keys) {
    ctx.reply.Error("ERR The command has no key arguments");
    return false;
  }
  if (!KeysOf(*spec, target, keys)) keys->clear();
  if (keys->empty() && !(spec->flags & kNoMandatoryKeys)) {
    ctx.reply.Error("ERR Invalid arguments specified for command");
    return false;
  }
  return true;
}

}  // namespace

void CmdCommandGetKeys(CommandContext& ctx, Args argv) {
  Args target = argv.subspan(2);
  std::vector<KeyRef> keys;
  if (!KeysOfCall(ctx, target, &keys)) return;
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) ctx.reply.Bulk(target[static_cast<size_t>(k.index)]);
}

void CmdCommandGetKeysAndFlags(CommandContext& ctx, Args argv) {
  Args target = argv.subspan(2);
  std::vector<KeyRef> keys;
  if (!KeysOfCall(ctx, target, &keys)) return;
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(target[static_cast<size_t>(k.index)]);
    auto flags = KeyFlagNames(k.flags);
    ctx.reply.SetHeader(flags.size());
    for (auto f : flags) ctx.reply.Simple(f);
  }
}

void CmdCommandHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple commands.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full command.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
