// HttpServer's JSON API (/api/stats, /api/namespaces, /api/tree, /api/key, /api/slowlog) and the
// router; the listener, parsing and authentication are in src/http/http_server.cc. Loop thread
// only.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/container_view.h"
#include "engine/metadata.h"
#include "resp/text.h"
#include "src/core/command.h"
#include "src/core/postgres_backend.h"
#include "src/core/server_state.h"
#include "src/core/version.h"
#include "src/http/http_assets.h"
#include "src/http/http_server.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

using Json = nlohmann::json;

// Most children one /api/tree answer lists, and keys sampled per child to weigh it.
constexpr size_t kMaxTreeChildren = 500;
constexpr size_t kBytesSamplePerChild = 64;
// Bytes of a value the browser is shown at most.
constexpr size_t kMaxValueShown = 4096;
constexpr size_t kMaxSlowlogShown = 128;
constexpr std::string_view kKeysHidden =
    "key names are hidden: no password is set (requirepass); CONFIG SET http-show-keys yes to "
    "show them";

// Percent-decoding of a query component ('+' is a space).
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && text::HexValue(s[i + 1]) >= 0 &&
        text::HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(text::HexValue(s[i + 1]) * 16 + text::HexValue(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// Every byte but unreserved ones as %XX: the browser puts it into URLs as it is.
std::string PercentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The value of query parameter `name`, decoded; false when absent.
bool QueryParam(std::string_view query, std::string_view name, std::string* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key == name) {
      *out = eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

HttpResponse JsonResponse(const Json& j) {
  HttpResponse r;
  r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

// The namespace called `name`, without creating it; -1 when there is none.
int FindNamespace(engine::Keyspace& ks, std::string_view name) {
  for (int i = 0; i < ks.database_count(); ++i) {
    if (ks.NamespaceName(i) == name) return i;
  }
  return -1;
}

}  // namespace

HttpResponse HttpServer::Route(std::string_view path, std::string_view query, const AclUser& user) {
  // A user bound to namespaces sees those only: server-wide figures and the slow log (other
  // tenants' commands) are not for it.
  if ((path == "/metrics" || path == "/api/slowlog") && !user.all_namespaces) {
    return ErrorResponse(403, "user " + user.name + " is bound to namespaces: no server-wide view");
  }
  // Each route needs the right to the command that shows the same data (its row is looked up
  // once).
  struct RouteRight {
    std::string_view route;
    const CommandSpec* spec;
  };
  static const std::vector<RouteRight> kRouteRights = [] {
    static const std::pair<std::string_view, std::string_view> kRouteCommand[] = {
        {"/metrics", "info"},     {"/api/stats", "info"}, {"/api/namespaces", "kv.namespaces"},
        {"/api/tree", "kv.tree"}, {"/api/key", "kv.get"}, {"/api/slowlog", "slowlog|get"}};
    std::vector<RouteRight> rights;
    for (const auto& [route, command] : kRouteCommand) {
      for (const CommandSpec& spec : CommandTable()) {
        if (spec.name == command) rights.push_back({route, &spec});
      }
    }
    return rights;
  }();
  for (const RouteRight& right : kRouteRights) {
    if (path == right.route && !Acl::CanRun(user, *right.spec)) {
      return ErrorResponse(403,
                           "user " + user.name + " may not run " + std::string(right.spec->name));
    }
  }
  if (path == "/metrics") {
    sizer_.Request(state_->clock->NowMs());
    sizer_.Step(SubtreeSizer::kScrapeBudget);
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    HttpFigures figures;
    figures.connections = connections_.size();
    figures.requests = requests_;
    figures.rejected_connections = rejected_connections_;
    r.body = RenderMetrics(*state_, sizer_, figures, &user);
    return r;
  }
  // Without a password any local process or rebound web page may ask: the browser's routes
  // answer with key names only after CONFIG SET http-show-keys yes.
  if ((path == "/api/tree" || path == "/api/key") && HttpHidesKeyNames(*state_, &user)) {
    return ErrorResponse(403, kKeysHidden);
  }
  if (path == "/api/stats") return Stats(user);
  if (path == "/api/namespaces") return Namespaces(user);
  if (path == "/api/tree") return Tree(query, user);
  if (path == "/api/key") return Key(query, user);
  if (path == "/api/slowlog") return SlowLog(user);
  for (const HttpAsset& asset : HttpAssets()) {
    if (path == asset.path || (path == "/" && asset.path == "/index.html")) {
      HttpResponse r;
      r.content_type = std::string(asset.content_type);
      r.body = std::string(asset.data);
      r.no_store = false;
      return r;
    }
  }
  return ErrorResponse(404, "not found");
}

HttpResponse HttpServer::Stats(const AclUser& user) {
  ServerState& st = *state_;
  MemoryFigures m = st.hooks != nullptr ? st.hooks->Memory() : MemoryFigures{};
  const engine::KeyspaceStats& k = st.keyspace.stats();
  uint64_t keys = 0;
  for (int i = 0; i < st.keyspace.database_count(); ++i) {
    if (Acl::CanUseNamespace(user, st.keyspace.NamespaceName(i))) keys += st.keyspace.db(i).size();
  }
  Json j;
  j["time_ms"] = st.clock->NowMs();
  j["version"] = kDkvVersion;
  j["redis_version"] = kRedisCompatVersion;
  j["uptime_s"] = (st.clock->NowMs() - st.start_ms) / 1000;
  j["ops_per_sec"] = st.stats.instantaneous_ops_per_sec;
  j["commands_processed"] = st.stats.total_commands_processed;
  j["connected_clients"] = st.clients.size();
  j["memory_used"] = m.used;
  j["memory_rss"] = m.rss;
  j["maxmemory"] = st.config.maxmemory;
  j["maxmemory_policy"] = st.config.maxmemory_policy;
  j["keyspace_hits"] = k.keyspace_hits;
  j["keyspace_misses"] = k.keyspace_misses;
  j["evicted_keys"] = k.evicted_keys;
  j["expired_keys"] = k.expired_keys;
  j["keys"] = keys;
  j["persistence_backend"] = st.config.persistence_backend;
  j["show_values"] = st.config.http_show_values;
  j["keys_hidden"] = HttpHidesKeyNames(st, &user);
  j["separator"] = st.config.key_separator;
  return JsonResponse(j);
}

HttpResponse HttpServer::Namespaces(const AclUser& user) {
  engine::Keyspace& ks = state_->keyspace;
  Json list = Json::array();
  for (int i = 0; i < ks.database_count(); ++i) {
    if (!Acl::CanUseNamespace(user, ks.NamespaceName(i))) continue;
    size_t n = ks.db(i).size();
    if (n == 0 && i != 0 && user.all_namespaces) continue;  // namespace 0 is always offered
    list.push_back({{"name", ks.NamespaceName(i)}, {"keys", n}});
  }
  return JsonResponse(Json{{"namespaces", list}});
}

HttpResponse HttpServer::Tree(std::string_view query, const AclUser& user) {
  std::string ns = "0", prefix;
  QueryParam(query, "ns", &ns);
  QueryParam(query, "prefix", &prefix);
  if (!Acl::CanUseNamespace(user, ns)) return ErrorResponse(403, "not your namespace");
  int index = FindNamespace(state_->keyspace, ns);
  if (index < 0) return ErrorResponse(404, "no such namespace");
  engine::Database& db = state_->keyspace.db(index);
  const char sep = state_->config.key_separator[0];
  Json children = Json::array();
  bool truncated = false;
  db.ForEachChild(prefix.empty() ? std::string() : prefix + sep, sep,
                  [&](const std::string& child) {
                    if (children.size() >= kMaxTreeChildren) {
                      truncated = true;
                      return false;
                    }
                    engine::Entry* own = db.FindRaw(child);
                    bool has_value = own != nullptr && !db.IsExpired(own);
                    uint64_t keys = (has_value ? 1 : 0) + db.CountPrefix(child + sep);
                    // Bytes: exact for small subtrees, else the mean of the first keys times
                    // the count (marked estimated), so a click never walks a huge subtree.
                    uint64_t sampled = 0, bytes = 0;
                    if (has_value) {
                      bytes += db.MemoryUsage(own);
                      ++sampled;
                    }
                    db.Walk(child + sep, child + sep, false, [&](engine::Entry* e) {
                      if (sampled >= kBytesSamplePerChild) return false;
                      bytes += db.MemoryUsage(e);
                      ++sampled;
                      return true;
                    });
                    bool estimated = sampled < keys;
                    if (estimated && sampled > 0) bytes = bytes * keys / sampled;
                    std::string_view name =
                        std::string_view(child).substr(prefix.empty() ? 0 : prefix.size() + 1);
                    children.push_back({{"path", child},
                                        {"pct", PercentEncode(child)},
                                        {"name", name},
                                        {"keys", keys},
                                        {"bytes", bytes},
                                        {"bytes_estimated", estimated},
                                        {"has_value", has_value}});
                    return true;
                  });
  return JsonResponse(Json{
      {"namespace", ns}, {"prefix", prefix}, {"children", children}, {"truncated", truncated}});
}

HttpResponse HttpServer::Key(std::string_view query, const AclUser& user) {
  std::string ns = "0", key;
  QueryParam(query, "ns", &ns);
  if (!QueryParam(query, "key", &key)) return ErrorResponse(400, "the key parameter is missing");
  if (!Acl::CanUseNamespace(user, ns)) return ErrorResponse(403, "not your namespace");
  int index = FindNamespace(state_->keyspace, ns);
  if (index < 0) return ErrorResponse(404, "no such namespace");
  engine::Database& db = state_->keyspace.db(index);
  // FindRaw: looking does not count as an access (no hit, no access time, no LFU change).
  engine::Entry* e = db.FindRaw(key);
  if (e == nullptr || db.IsExpired(e)) {
    return JsonResponse(Json{{"key", key}, {"pct", PercentEncode(key)}, {"exists", false}});
  }
  const int64_t now = state_->clock->NowMs();
  const int64_t expire = db.ExpireAt(e);
  Json j;
  j["key"] = key;
  j["pct"] = PercentEncode(key);
  j["exists"] = true;
  // A container: its type ("hash", "set", "list", "zset"), its number of elements as its size and,
  // shown, its value as JSON text (engine::ContainerJson), as KV.GET gives them.
  const bool container = e->container() && !e->cold();
  j["type"] = e->container() ? engine::KindName(e->kind()) : engine::ValueTypeName(e->type());
  j["ttl_ms"] = expire == 0 ? -1 : std::max<int64_t>(0, expire - now);
  j["size"] = container ? engine::ContainerSize(e) : e->value_size();
  // The cache tier over PostgreSQL may hold the value there only; looking does not fetch it.
  j["value_in_memory"] = !e->cold();
  j["memory_bytes"] = db.MemoryUsage(e);
  j["version"] = e->version();
  j["created_at"] = e->created_ms();
  j["updated_at"] = e->updated_ms();
  j["accessed_at"] = e->accessed_ms();
  std::string_view ct = state_->keyspace.content_types().Name(e->content_type());
  j["content_type"] = ct.empty() ? Json(nullptr) : Json(ct);
  Json fields = Json::object();
  if (const engine::UserFields* f = db.Fields(e)) {
    for (const auto& [name, value] : *f) fields[name] = value;
  }
  j["user"] = fields;
  j["value_shown"] = state_->config.http_show_values && !e->cold();
  if (j["value_shown"].get<bool>()) {
    std::string text = container ? engine::ContainerJson(e) : std::string();
    std::string_view v = container ? std::string_view(text) : e->value();
    j["value"] = v.substr(0, kMaxValueShown);
    j["value_truncated"] = v.size() > kMaxValueShown;
  }
  return JsonResponse(j);
}

HttpResponse HttpServer::SlowLog(const AclUser& user) {
  Json list = Json::array();
  const bool show = state_->config.http_show_values && !HttpHidesKeyNames(*state_, &user);
  for (const SlowLogEntry& e : state_->slowlog.entries()) {
    if (list.size() >= kMaxSlowlogShown) break;
    // Arguments carry keys and values: without http-show-values, or with key names hidden, only
    // the command is shown.
    Json args = Json::array();
    if (show || e.args.size() <= 1) {
      args = e.args;
    } else {
      args.push_back(e.args[0]);
      args.push_back("(" + std::to_string(e.args.size() - 1) + " arguments hidden)");
    }
    list.push_back({{"id", e.id},
                    {"time", e.time_s},
                    {"duration_us", e.duration_us},
                    {"args", args},
                    {"addr", e.addr},
                    {"name", e.name}});
  }
  return JsonResponse(Json{{"entries", list}});
}

}  // namespace dkv::server
