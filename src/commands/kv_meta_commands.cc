// KV.* commands on values with types and metadata: KV.SET, KV.GET, KV.META, KV.SETMETA,
// KV.DELMETA, KV.CAS, KV.CLEANUP, KV.EXPORT, KV.IMPORT, KV.NAMESPACES.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/container_view.h"
#include "engine/metadata.h"
#include "engine/pattern.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {
namespace {

using nlohmann::json;
// Reserved user-field name: sets the content type instead of a user field.
constexpr std::string_view kContentTypeField = "content_type";

char Sep(const CommandContext& ctx) { return ctx.config().key_separator[0]; }

// KV.* writes refuse keys with empty segments ("", "a..b", ".a", "a.").
bool KvKeyOrReply(CommandContext& ctx, std::string_view key) {
  char sep = Sep(ctx);
  bool bad = key.empty() || key.front() == sep || key.back() == sep ||
             key.find(std::string(2, sep)) != std::string_view::npos;
  if (bad) {
    ctx.reply.Error("ERR invalid key '" + std::string(key.substr(0, 128)) +
                    "': empty segment (keys are segments joined by '" + std::string(1, sep) + "')");
  }
  return !bad;
}

bool ContentTypeOrReply(CommandContext& ctx, std::string_view name, uint8_t* index) {
  auto i = ctx.keyspace().content_types().Intern(name);
  if (!i) {
    ctx.reply.Error("ERR too many distinct content types (at most 255)");
    return false;
  }
  *index = *i;
  return true;
}

// Splits fields given to KV.SET META or KV.SETMETA into the content type (the reserved field
// content_type, interned) and user fields. False after replying an error (too many content
// types).
bool SplitFields(CommandContext& ctx, const engine::UserFields& fields,
                 std::optional<uint8_t>* content_type, engine::UserFields* user) {
  for (const auto& f : fields) {
    if (f.first == kContentTypeField) {
      uint8_t index;
      if (!ContentTypeOrReply(ctx, f.second, &index)) return false;
      *content_type = index;
    } else {
      user->push_back(f);
    }
  }
  return true;
}

// KV.GET and KV.META. A hash or a set shows as its type ("hash", "set"), its value as JSON
// (engine::ContainerJson), its size as its number of elements and its checksum over its
// canonical form (engine::CanonicalForm); a string as its KV type, its bytes and their checksum.
void ReplyMeta(CommandContext& ctx, engine::Database& db, const engine::Entry* e, bool with_value,
               int64_t accessed_ms) {
  resp::ReplyBuilder& r = ctx.reply;
  // A container whose value is in PostgreSQL only: reading value() records the read, and the
  // dispatcher runs the command again once the value is back (this reply is dropped).
  const bool container = e->container() && !e->cold();
  if (e->container() && e->cold()) (void)e->value();
  r.MapHeader(with_value ? 11 : 10);
  if (with_value) {
    r.Bulk("value");
    r.Bulk(container ? engine::ContainerJson(e) : std::string(e->value()));
  }
  r.Bulk("type");
  r.Bulk(e->container() ? engine::KindName(e->kind()) : engine::ValueTypeName(e->type()));
  r.Bulk("version");
  r.Integer(e->version());
  r.Bulk("ttl_ms");
  int64_t expire = db.ExpireAt(e);
  r.Integer(expire == 0 ? -1 : std::max<int64_t>(0, expire - ctx.keyspace().now_ms()));
  r.Bulk("created_at");
  r.Integer(e->created_ms());
  r.Bulk("updated_at");
  r.Integer(e->updated_ms());
  r.Bulk("accessed_at");
  r.Integer(accessed_ms);
  r.Bulk("size");
  r.Integer(static_cast<int64_t>(container ? engine::ContainerSize(e) : e->value().size()));
  r.Bulk("checksum");
  r.Bulk(
      engine::ChecksumHex(container ? engine::ContainerChecksum(e) : engine::Checksum(e->value())));
  r.Bulk("content_type");
  std::string_view ct = ctx.keyspace().content_types().Name(e->content_type());
  if (ct.empty()) {
    r.Null();
  } else {
    r.Bulk(ct);
  }
  r.Bulk("user");
  const engine::UserFields* fields = db.Fields(e);
  r.MapHeader(fields ? fields->size() : 0);
  if (fields) {
    for (const auto& [name, value] : *fields) {
      r.Bulk(name);
      r.Bulk(value);
    }
  }
}

}  // namespace

void CmdKvSet(CommandContext& ctx, Args argv) {
  std::string_view key = argv[1], value = argv[2];
  if (!KvKeyOrReply(ctx, key)) return;
  engine::ValueType type = engine::ValueType::kString;
  engine::UserFields fields;
  ExpiryOption expiry;
  bool conflict = false, nx = false, xx = false, has_version = false;
  int64_t if_version = 0;
  for (size_t j = 3; j < argv.size(); ++j) {
    std::string_view w = argv[j];
    if (EqualsIgnoreCase(w, "type") && j + 1 < argv.size()) {
      auto t = engine::ParseValueType(argv[++j]);
      if (!t) {
        return ctx.reply.Error("ERR unknown type '" + std::string(argv[j]) +
                               "' (string, json, binary, number, boolean, document, image, "
                               "custom)");
      }
      type = *t;
    } else if (EqualsIgnoreCase(w, "meta")) {
      // Pairs until the next option word.
      size_t pairs = 0;
      while (j + 2 < argv.size()) {
        std::string_view f = argv[j + 1];
        if (EqualsIgnoreCase(f, "type") || EqualsIgnoreCase(f, "meta") ||
            EqualsIgnoreCase(f, "ex") || EqualsIgnoreCase(f, "px") || EqualsIgnoreCase(f, "exat") ||
            EqualsIgnoreCase(f, "pxat") || EqualsIgnoreCase(f, "keepttl") ||
            EqualsIgnoreCase(f, "nx") || EqualsIgnoreCase(f, "xx") ||
            EqualsIgnoreCase(f, "ifversion")) {
          break;
        }
        fields.emplace_back(std::string(f), std::string(argv[j + 2]));
        j += 2;
        ++pairs;
      }
      if (pairs == 0) return ctx.reply.Error(errors::kSyntax);
    } else if (TakeExpiryOption(argv, &j, &expiry, &conflict)) {
    } else if (EqualsIgnoreCase(w, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(w, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(w, "ifversion") && j + 1 < argv.size()) {
      if (!Int64OrReply(ctx.reply, argv[++j], &if_version)) return;
      if (if_version < 0) return ctx.reply.Error(errors::kNotInteger);
      has_version = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (conflict || (nx && xx)) return ctx.reply.Error(errors::kSyntax);
  if (std::string why = engine::ValidateValue(type, value); !why.empty()) {
    return ctx.reply.Error("ERR invalid value for type " +
                           std::string(engine::ValueTypeName(type)) + ": " + why);
  }
  int64_t when_ms;
  if (!ResolveExpiry(ctx, expiry, "kv.set", &when_ms)) return;
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(key);
  if ((nx && e) || (xx && !e)) return ctx.reply.Null();
  if (has_version && (e ? static_cast<int64_t>(e->version()) != if_version : if_version != 0)) {
    return ctx.reply.Null();
  }
  std::optional<uint8_t> content_type;
  engine::UserFields user;
  // The value is written even when the metadata is refused (too many content types); an
  // expiry already past deletes the key, and its metadata is not looked at.
  bool deletes = when_ms != 0 && when_ms <= ctx.keyspace().now_ms();
  bool meta_ok = deletes || SplitFields(ctx, fields, &content_type, &user);
  engine::StoreOptions opts;
  opts.expire_ms = when_ms;
  opts.keep_ttl = expiry.kind == ExpiryOption::kKeepTtl;
  opts.type = type;
  if (meta_ok) {
    opts.content_type = content_type;
    opts.fields = &user;
  }
  db.Store(key, value, opts);
  // As SET (docs/keyspace-events.md): "set", then "expire" when a TTL was given.
  ctx.Notify(kNotifyString, "set", key);
  if (when_ms != 0) ctx.Notify(kNotifyGeneric, "expire", key);
  if (meta_ok) ctx.reply.Ok();
  // The log: what was written, with an absolute expiry (PXAT) and without the conditions that
  // held (NX, XX, IFVERSION: versions need not match after a rewrite of the log) or metadata
  // that was refused. Created and updated times are the replay's.
  if ((when_ms != 0 && expiry.kind != ExpiryOption::kPxAt) || nx || xx || has_version || !meta_ok) {
    std::vector<std::string> effect = {"KV.SET", std::string(key), std::string(value), "TYPE",
                                       std::string(engine::ValueTypeName(type))};
    if (meta_ok && !fields.empty()) {
      effect.emplace_back("META");
      for (auto& [f, v] : fields) {
        effect.push_back(std::move(f));
        effect.push_back(std::move(v));
      }
    }
    if (when_ms != 0) {
      effect.insert(effect.end(), {"PXAT", std::to_string(when_ms)});
    } else if (opts.keep_ttl) {
      effect.emplace_back("KEEPTTL");
    }
    ctx.PropagateAs(std::move(effect));
  }
}

void CmdKvGet(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  if (e == nullptr) {
    ctx.keyspace().stats().keyspace_misses++;
    return ctx.reply.Null();
  }
  ctx.keyspace().stats().keyspace_hits++;
  // The reply shows the previous read; this one refreshes accessed_at (and the LFU counter).
  int64_t previous = e->accessed_ms();
  if (!ctx.session.no_touch) db.RecordAccess(e);
  ReplyMeta(ctx, db, e, true, previous);
}

void CmdKvMeta(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  if (e == nullptr) return ctx.reply.Null();
  ReplyMeta(ctx, db, e, false, e->accessed_ms());
}

void CmdKvSetMeta(CommandContext& ctx, Args argv) {
  if (argv.size() % 2 != 0) return ctx.reply.Error(errors::WrongArity("kv.setmeta"));
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  if (e == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
  engine::UserFields fields;
  for (size_t j = 2; j + 1 < argv.size(); j += 2) {
    fields.emplace_back(std::string(argv[j]), std::string(argv[j + 1]));
  }
  std::optional<uint8_t> content_type;
  engine::UserFields user;
  if (!SplitFields(ctx, fields, &content_type, &user)) return;
  db.SetMeta(e, content_type, user);
  ctx.Notify(kNotifyGeneric, "kv.setmeta", argv[1]);
  ctx.reply.Integer(static_cast<int64_t>(fields.size()));
}

void CmdKvDelMeta(CommandContext& ctx, Args argv) {
  engine::Database& db = ctx.db();
  engine::Entry* e = db.Find(argv[1]);
  if (e == nullptr) return ctx.reply.Integer(0);
  std::vector<std::string_view> names;
  bool content_type = false;
  for (size_t j = 2; j < argv.size(); ++j) {
    if (argv[j] == kContentTypeField) {
      content_type = true;
    } else {
      names.push_back(argv[j]);
    }
  }
  size_t removed = db.DelMeta(e, content_type, names);
  if (removed > 0) ctx.Notify(kNotifyGeneric, "kv.delmeta", argv[1]);
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void CmdKvCas(CommandContext& ctx, Args argv) {
  ExpiryOption expiry;
  bool conflict = false;
  for (size_t j = 4; j < argv.size(); ++j) {
    if (!TakeExpiryOption(argv, &j, &expiry, &conflict) || expiry.kind == ExpiryOption::kExAt ||
        expiry.kind == ExpiryOption::kPxAt) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (conflict) return ctx.reply.Error(errors::kSyntax);
  int64_t when_ms;
  if (!ResolveExpiry(ctx, expiry, "kv.cas", &when_ms)) return;
  engine::Database& db = ctx.db();
  bool wrong;  // compares string values: WRONGTYPE for a hash or a set
  engine::Entry* e = LookupWrite(ctx, argv[1], engine::Kind::kString, &wrong);
  if (wrong) return;
  if (e == nullptr || e->value() != argv[2]) return ctx.reply.Integer(0);
  if (std::string why = engine::ValidateValue(e->type(), argv[3]); !why.empty()) {
    return ctx.reply.Error("ERR invalid value for type " +
                           std::string(engine::ValueTypeName(e->type())) + ": " + why);
  }
  db.Replace(e, argv[3], when_ms, expiry.kind == ExpiryOption::kKeepTtl);
  ctx.Notify(kNotifyString, "set", argv[1]);
  if (when_ms != 0) ctx.Notify(kNotifyGeneric, "expire", argv[1]);
  ctx.reply.Integer(1);
  // The log: KV.CAS takes no absolute time, so a TTL is the swap then PEXPIREAT.
  if (when_ms != 0) {
    ctx.PropagateAs({"KV.CAS", std::string(argv[1]), std::string(argv[2]), std::string(argv[3])});
    ctx.PropagateAs({"PEXPIREAT", std::string(argv[1]), std::to_string(when_ms)});
  }
}

void CmdKvCleanup(CommandContext& ctx, Args) {
  size_t removed = 0;
  engine::Keyspace& ks = ctx.keyspace();
  for (int i = 0; i < ks.database_count(); ++i) {
    bool more = true;
    while (more) removed += ks.db(i).ExpireDue(ks.now_ms(), 1 << 16, &more);
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void CmdKvNamespaces(CommandContext& ctx, Args) {
  engine::Keyspace& ks = ctx.keyspace();
  std::vector<int> shown;
  for (int i = 0; i < ks.database_count(); ++i) {
    if ((i >= ks.numbered_count() || ks.db(i).size() > 0) &&
        ctx.services.CanUseNamespace(ctx.session, i)) {
      shown.push_back(i);
    }
  }
  ctx.reply.MapHeader(shown.size());
  for (int i : shown) {
    ctx.reply.Bulk(ks.NamespaceName(i));
    ctx.reply.Integer(static_cast<int64_t>(ks.db(i).size()));
  }
}

// --- JSON import and export ---

namespace {

// A key's value as JSON, by its type: numbers, booleans and json are JSON values; a hash is an
// object and a set an array (engine::ContainerJson); everything else is a JSON string.
json ValueToJson(const engine::Entry& e) {
  if (e.container()) {
    if (e.cold()) return json(std::string(e.value()));  // records the read: the command reruns
    return json::parse(engine::ContainerJson(&e));
  }
  std::string_view v = e.value();
  switch (e.type()) {
    case engine::ValueType::kNumber:
    case engine::ValueType::kJson: {
      // Values loaded from elsewhere (a snapshot, PostgreSQL) were not validated here: a value
      // nested too deep to serialize safely is exported as a string.
      if (engine::JsonDepth(v) <= engine::kMaxJsonDepth) {
        json parsed = json::parse(v.begin(), v.end(), nullptr, false);
        if (!parsed.is_discarded()) return parsed;
      }
      return json(std::string(v));
    }
    case engine::ValueType::kBoolean:
      if (v == "true") return json(true);
      if (v == "false") return json(false);
      return json(std::string(v));
    default:
      return json(std::string(v));
  }
}

// Puts `value` at the path of `key` in `root`. A path that is both a leaf and a parent (`a.b`
// and `a.b.c`) keeps the leaf's value under the member "" of the parent's object: {"b":
// {"": <a.b>, "c": <a.b.c>}}; KV.IMPORT reads "" back the same way, so the round trip is
// lossless.
void PutAtPath(json& root, std::string_view key, char sep, json value) {
  json* node = &root;
  size_t start = 0;
  while (true) {
    size_t end = key.find(sep, start);
    std::string segment(
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!node->is_object()) {
      json leaf = std::move(*node);
      *node = json::object();
      (*node)[""] = std::move(leaf);
    }
    bool existed = node->contains(segment);
    json& child = (*node)[segment];
    if (end == std::string_view::npos) {
      if (existed && child.is_object() && !child.empty()) {
        child[""] = std::move(value);
      } else {
        child = std::move(value);
      }
      return;
    }
    if (!existed) child = json::object();
    node = &child;
    start = end + 1;
  }
}

struct ImportItem {
  std::string key;
  std::string value;
  engine::ValueType type;
};

// What one import may write: every key at most `max_key` bytes (proto-max-bulk-len), and the keys
// and values together at most `left` bytes (see CmdKvImport). Each key repeats the prefix and its
// ancestors' names, so a short document under a long prefix would otherwise fan out into
// gigabytes.
struct ImportBudget {
  size_t max_key;
  size_t left;
  size_t limit;  // `left` at the start, for the error text
};

std::string TooMuch(const ImportBudget& budget) {
  return "the keys and values would take more than " + std::to_string(budget.limit) +
         " bytes (8 times the prefix and document, plus 1 MB); nothing was written";
}

// Flattens `doc` under `path` into items; returns "" or why the document cannot be imported.
std::string Flatten(const json& doc, const std::string& path, char sep, ImportBudget* budget,
                    std::vector<ImportItem>* out) {
  if (doc.is_object() && !doc.empty()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& name = it.key();
      if (name.empty()) {
        // The node's own value (see PutAtPath).
        if (path.empty()) return "the member \"\" needs a prefix to name its key";
        if (it.value().is_object() && !it.value().empty()) {
          return "the member \"\" must not hold a non-empty object";
        }
        if (std::string err = Flatten(it.value(), path, sep, budget, out); !err.empty()) {
          return err;
        }
        continue;
      }
      if (name.find(sep) != std::string::npos) {
        return "member name '" + name + "' contains the key separator";
      }
      size_t child_size = path.empty() ? name.size() : path.size() + 1 + name.size();
      if (child_size > budget->max_key) {
        return "key '" + path.substr(0, 64) + "...' would be longer than proto-max-bulk-len (" +
               std::to_string(budget->max_key) + " bytes)";
      }
      if (child_size > budget->left) return TooMuch(*budget);
      std::string child = path.empty() ? name : path + sep + name;
      if (std::string err = Flatten(it.value(), child, sep, budget, out); !err.empty()) {
        return err;
      }
    }
    return "";
  }
  if (path.empty()) return "the document must be a JSON object when the prefix is empty";
  ImportItem item{path, "", engine::ValueType::kString};
  if (doc.is_string()) {
    item.value = doc.get<std::string>();
  } else if (doc.is_number()) {
    item.value = doc.dump();
    item.type = engine::ValueType::kNumber;
  } else if (doc.is_boolean()) {
    item.value = doc.get<bool>() ? "true" : "false";
    item.type = engine::ValueType::kBoolean;
  } else {
    // null, arrays and empty objects are kept whole as JSON values.
    item.value = doc.dump();
    item.type = engine::ValueType::kJson;
  }
  size_t bytes = item.key.size() + item.value.size();
  if (bytes > budget->left) return TooMuch(*budget);
  budget->left -= bytes;
  out->push_back(std::move(item));
  return "";
}

}  // namespace

void CmdKvExport(CommandContext& ctx, Args argv) {
  std::string error;
  auto pattern = ctx.services.patterns().Get(engine::PatternCache::Syntax::kHierarchical, argv[1],
                                             Sep(ctx), false, &error);
  if (pattern == nullptr) return ctx.reply.Error("ERR invalid pattern: " + error);
  engine::Database& db = ctx.db();
  json root = json::object();
  const std::string& prefix = pattern->literal_prefix();
  std::string too_deep;
  db.Walk(prefix, prefix, false, [&](engine::Entry* e) {
    if (!db.IsExpired(e) && pattern->Matches(e->key())) {
      // Each segment is a level of the document, and the value may add its own.
      std::string_view key = e->key();
      size_t levels = static_cast<size_t>(std::count(key.begin(), key.end(), Sep(ctx))) + 1;
      NotePatternRead(ctx, e);
      json value = ValueToJson(*e);
      size_t value_depth = !value.is_structured() ? 0
                           : e->container()       ? 1
                                                  : engine::JsonDepth(e->value());
      if (levels + value_depth > engine::kMaxJsonDepth) {
        too_deep.assign(key.substr(0, 64));
        return false;
      }
      PutAtPath(root, key, Sep(ctx), std::move(value));
    }
    return true;
  });
  if (!too_deep.empty()) {
    return ctx.reply.Error("ERR KV.EXPORT: key '" + too_deep + "...' nests deeper than " +
                           std::to_string(engine::kMaxJsonDepth) + " levels");
  }
  // Binary values that are not UTF-8 are exported with U+FFFD replacements.
  ctx.reply.Bulk(root.dump(-1, ' ', false, json::error_handler_t::replace));
}

void CmdKvImport(CommandContext& ctx, Args argv) {
  std::string prefix(argv[1]);
  const char sep = Sep(ctx);
  if (!prefix.empty() && !KvKeyOrReply(ctx, prefix)) return;
  ExpiryOption expiry;
  bool conflict = false;
  for (size_t j = 3; j < argv.size(); ++j) {
    if (!TakeExpiryOption(argv, &j, &expiry, &conflict) || expiry.kind != ExpiryOption::kEx) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  int64_t when_ms;
  if (!ResolveExpiry(ctx, expiry, "kv.import", &when_ms)) return;
  if (engine::JsonDepth(argv[2]) > engine::kMaxJsonDepth) {
    return ctx.reply.Error("ERR KV.IMPORT: the document nests deeper than " +
                           std::to_string(engine::kMaxJsonDepth) + " levels");
  }
  json doc = json::parse(argv[2].begin(), argv[2].end(), nullptr, false);
  if (doc.is_discarded()) return ctx.reply.Error("ERR KV.IMPORT: the document is not valid JSON");
  // Bounds: a key no longer than a client could send, and what is written no more than 8 times
  // what was received plus 1 MB (ordinary documents stay well below: a key repeats a prefix and a
  // few ancestors' names).
  size_t max_key = static_cast<size_t>(ctx.config().proto_max_bulk_len);
  size_t limit = 8 * (prefix.size() + argv[2].size()) + (size_t{1} << 20);
  ImportBudget budget{max_key, limit, limit};
  std::vector<ImportItem> items;
  if (std::string err = Flatten(doc, prefix, sep, &budget, &items); !err.empty()) {
    return ctx.reply.Error("ERR KV.IMPORT: " + err);
  }
  // Everything is checked before anything is written: the import is all or nothing.
  engine::Database& db = ctx.db();
  for (const ImportItem& item : items) {
    engine::StoreOptions opts;
    opts.expire_ms = when_ms;  // EX only: never already past
    opts.type = item.type;
    db.Store(item.key, item.value, opts);
    ctx.Notify(kNotifyString, "set", item.key);
    if (when_ms != 0) ctx.Notify(kNotifyGeneric, "expire", item.key);
  }
  ctx.reply.Integer(static_cast<int64_t>(items.size()));
  // The log: KV.IMPORT takes no absolute time, so with EX it is the import without it, then
  // PEXPIREAT for each key written.
  if (when_ms != 0 && !items.empty()) {
    ctx.PropagateAs({"KV.IMPORT", prefix, std::string(argv[2])});
    for (const ImportItem& item : items) {
      ctx.PropagateAs({"PEXPIREAT", item.key, std::to_string(when_ms)});
    }
  }
}

}  // namespace dkv::server
