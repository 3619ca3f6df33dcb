// dkv-migrate: copies a live Redis keyspace into dkv (and JSON documents in and out of dkv).
//
//   dkv-migrate --from redis://[user:pass@]host:port[/db] --to dkv://host:port[/namespace]
//               [--match PATTERN] [--count N] [--separator C] [--dry-run] [--verify]
//               [--state FILE [--resume]] [--flatten-hashes]
//   dkv-migrate --from-json FILE --prefix PATH --to dkv://host:port[/namespace]
//   dkv-migrate --to-json FILE --prefix PATH --from dkv://host:port[/namespace]
//
// The source is read with SCAN while it keeps serving; each key is copied with its TTL, in
// pipelined batches. Strings stay strings; hashes and sets stay hashes and sets (written with
// RESTORE ... REPLACE of a HASH or SET payload built by src/tools/rdb_writer.h: one atomic command
// per key, with its TTL; dkv picks the encoding); with --flatten-hashes a hash becomes a subtree
// instead (user:1 {name: x} -> user.1.name = x), as before issue 20. Lists and sorted sets stay
// lists and sorted sets the same way (RESTORE of a LIST or ZSET_2 payload); streams stay streams,
// with their consumer groups, PELs and consumers (read with DUMP from a live Redis or from the
// RDB file, written as a STREAM_LISTPACKS_3 payload: src/tools/rdb_stream.h); other types are
// reported and skipped. --separator rewrites
// the source's separator to '.'; a key that would collide after rewriting is reported, never
// overwritten. The exit status is 1 when anything was skipped or differs, 2 on a usage or
// connection error. The mappings are documented in docs/migration.md.
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "src/tools/rdb_file.h"
#include "src/tools/rdb_stream_value.h"
#include "src/tools/rdb_writer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;
  std::string db;  // number (redis) or namespace (dkv); "" for the default
};

// Parses scheme://[user:pass@]host:port[/db].
std::optional<Endpoint> ParseUrl(const std::string& url, const std::string& scheme) {
  std::string prefix = scheme + "://";
  if (url.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = url.substr(prefix.size());
  Endpoint e;
  size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    std::string cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = cred.find(':');
    if (colon == std::string::npos) {
      e.password = cred;
    } else {
      e.user = cred.substr(0, colon);
      e.password = cred.substr(colon + 1);
    }
  }
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    e.db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    e.port = std::atoi(rest.substr(colon + 1).c_str());
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) e.host = rest;
  if (e.port <= 0 || e.port > 65535) return std::nullopt;
  return e;
}

class Conn {
 public:
  Conn() = default;
  ~Conn() {
    if (c_ != nullptr) redisFree(c_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  std::string Open(const Endpoint& e) {
    struct timeval tv = {10, 0};
    c_ = redisConnectWithTimeout(e.host.c_str(), e.port, tv);
    if (c_ == nullptr || c_->err) {
      return "cannot connect to " + e.host + ":" + std::to_string(e.port) + ": " +
             (c_ ? c_->errstr : "out of memory");
    }
    redisSetTimeout(c_, {60, 0});
    if (!e.password.empty()) {
      std::vector<std::string> auth = {"AUTH"};
      if (!e.user.empty()) auth.push_back(e.user);
      auth.push_back(e.password);
      redisReply* r = Command(auth);
      bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
      std::string why = r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply";
      if (r) freeReplyObject(r);
      if (!ok) return "AUTH failed: " + why;
    }
    if (!e.db.empty()) {
      redisReply* r = Command({"SELECT", e.db});
      bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
      std::string why = r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply";
      if (r) freeReplyObject(r);
      if (!ok) return "SELECT " + e.db + " failed: " + why;
    }
    return "";
  }

  void Append(const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(c_, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  }
  // The next reply of the pipeline (the caller frees it); nullptr on a broken connection.
  redisReply* Next() {
    void* r = nullptr;
    if (redisGetReply(c_, &r) != REDIS_OK) return nullptr;
    return static_cast<redisReply*>(r);
  }
  redisReply* Command(const std::vector<std::string>& argv) {
    Append(argv);
    return Next();
  }
  const char* error() const { return c_ ? c_->errstr : "not connected"; }

 private:
  redisContext* c_ = nullptr;
};

struct Reply {
  redisReply* r;
  explicit Reply(redisReply* reply) : r(reply) {}
  ~Reply() {
    if (r) freeReplyObject(r);
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  std::string str() const { return r && r->str ? std::string(r->str, r->len) : std::string(); }
};

struct Options {
  std::string from, to, match = "*", separator, state_file, from_json, to_json, prefix, from_rdb;
  int rdb_db = 0;
  int64_t count = 1000;
  bool dry_run = false, verify = false, resume = false, flatten_hashes = false;
};

struct Summary {
  uint64_t scanned = 0, copied = 0, written_keys = 0, bytes = 0, collisions = 0;
  std::map<std::string, uint64_t> copied_by_type;
  std::map<std::string, uint64_t> skipped;  // reason -> count
  std::vector<std::string> examples;        // first few skipped or colliding keys, with why
  void Skip(const std::string& reason, const std::string& key) {
    skipped[reason]++;
    if (examples.size() < 20) examples.push_back(reason + ": " + key);
  }
};

// One source key, read: its type, content and expiry (an RDB file gives the absolute time in
// expire_ms), and from a live source the remaining TTL.
struct Item : dkv::rdb::RdbKey {
  int64_t pttl = -1;
};

std::string MapKey(const std::string& key, const std::string& sep) {
  if (sep.empty()) return key;
  std::string out;
  for (size_t i = 0; i < key.size();) {
    if (key.compare(i, sep.size(), sep) == 0) {
      out += '.';
      i += sep.size();
    } else {
      out += key[i++];
    }
  }
  return out;
}

// The writes of one source key: destination key, value and how it is written (SET, or RESTORE of
// a DUMP payload: a hash, set, list or sorted set).
enum class Via { kSet, kRestore };
struct Write {
  std::string key, value;
  Via via;
};

// The RDB version of the payloads handed to RESTORE (HASH, SET, LIST and ZSET_2 exist in every
// version dkv reads).
constexpr uint16_t kPayloadRdbVersion = 10;

// A sorted-set score as Redis replies it or an RDB file holds it ("1.5", "inf", "-inf"): the
// whole text must read as a number other than NaN.
bool ParseScore(const std::string& text, double* score) {
  if (text.empty()) return false;
  char* end = nullptr;
  *score = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && !std::isnan(*score);
}

std::optional<std::vector<Write>> Plan(const Item& it, const Options& o, Summary* s) {
  std::string base = MapKey(it.key, o.separator);
  std::vector<Write> out;
  if (it.type == "string") {
    out.push_back({base, it.value, Via::kSet});
  } else if (it.type == "hash" && o.flatten_hashes) {
    for (const auto& [field, value] : it.pairs) {
      out.push_back({base + "." + field, value, Via::kSet});
    }
  } else if (it.type == "hash") {
    out.push_back({base, dkv::rdb::HashPayload(it.pairs, kPayloadRdbVersion), Via::kRestore});
  } else if (it.type == "set") {
    out.push_back({base, dkv::rdb::SetPayload(it.members, kPayloadRdbVersion), Via::kRestore});
  } else if (it.type == "list") {
    out.push_back({base, dkv::rdb::ListPayload(it.members, kPayloadRdbVersion), Via::kRestore});
  } else if (it.type == "zset") {
    std::vector<std::pair<std::string, double>> members;
    members.reserve(it.pairs.size());
    for (const auto& [member, text] : it.pairs) {
      double score;
      if (!ParseScore(text, &score)) {
        s->Skip("zset with a score that is not a number (damaged)", it.key);
        return std::nullopt;
      }
      members.emplace_back(member, score);
    }
    out.push_back({base, dkv::rdb::ZsetPayload(members, kPayloadRdbVersion), Via::kRestore});
  } else if (it.type == "stream") {
    // Type 21 keeps every consumer's active time; nodes as Redis fills them by default.
    std::string payload =
        dkv::rdb::StreamValue(it.stream, dkv::rdb::kRdbTypeStreamListpacks3, 100, 4096);
    dkv::rdb::AppendDumpFooter(&payload, 11);
    out.push_back({base, std::move(payload), Via::kRestore});
  } else if (it.type == "none") {
    s->Skip("deleted while migrating", it.key);
    return std::nullopt;
  } else {
    s->Skip("type " + it.type + " is not migrated", it.key);
    return std::nullopt;
  }
  return out;
}

class Progress {
 public:
  explicit Progress(uint64_t total) : total_(total), tty_(isatty(STDERR_FILENO)) {
    start_ = Clock::now();
  }
  void Update(uint64_t done) {
    double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    uint64_t total = std::max(total_, done);
    double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    if (tty_) {
      int width = 30, filled = static_cast<int>(frac * width);
      std::fprintf(stderr, "\r[%.*s%*s] %llu/%llu keys  %.0f keys/s  ETA %.0fs   ", filled,
                   "##############################", width - filled, "",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   rate, eta);
    } else {
      int tenth = static_cast<int>(frac * 10);
      if (tenth > last_tenth_) {
        last_tenth_ = tenth;
        std::fprintf(stderr, "dkv-migrate: %d%% (%llu keys, %.0f keys/s)\n", tenth * 10,
                     static_cast<unsigned long long>(done), rate);
      }
    }
  }
  void Done() {
    if (tty_) std::fprintf(stderr, "\n");
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  uint64_t total_;
  bool tty_;
  int last_tenth_ = 0;
  Clock::time_point start_;
};

// The command that reads back the copy of `it` for --verify.
std::vector<std::string> ReadBack(const Item& it, const std::string& key) {
  if (it.type == "hash") return {"HGETALL", key};
  if (it.type == "list") return {"LRANGE", key, "0", "-1"};
  if (it.type == "zset") return {"ZRANGE", key, "0", "-1", "WITHSCORES"};
  if (it.type == "stream") return {"XRANGE", key, "-", "+"};
  return {"SMEMBERS", key};
}

// Whether an HGETALL, SMEMBERS, LRANGE or ZRANGE WITHSCORES reply holds what the source hash,
// set, list or sorted set `it` holds (any order for hashes and sets; in order for lists and
// sorted sets, whose scores compare as numbers: Redis 7.0 and dkv print them differently).
bool SameContents(const Item& it, const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return false;
  if (it.type == "stream") {  // XRANGE: [id, [field, value, ...]] per entry
    if (r->elements != it.stream.entries.size()) return false;
    for (size_t j = 0; j < r->elements; ++j) {
      const redisReply* e = r->element[j];
      const auto& want = it.stream.entries[j];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
          e->element[1]->elements != want.items.size()) {
        return false;
      }
      if (std::string(e->element[0]->str, e->element[0]->len) !=
          std::to_string(want.id.ms) + "-" + std::to_string(want.id.seq)) {
        return false;
      }
      for (size_t k = 0; k < want.items.size(); ++k) {
        const redisReply* item = e->element[1]->element[k];
        if (std::string(item->str, item->len) != want.items[k]) return false;
      }
    }
    return true;
  }
  std::vector<std::string> got, want;
  for (size_t j = 0; j < r->elements; ++j) {
    const redisReply* e = r->element[j];
    got.emplace_back(e->str ? std::string(e->str, e->len) : std::string());
  }
  if (it.type == "list") return got == it.members;
  if (it.type == "zset") {
    if (got.size() != it.pairs.size() * 2) return false;
    for (size_t j = 0; j < it.pairs.size(); ++j) {
      double a, b;
      if (got[2 * j] != it.pairs[j].first || !ParseScore(got[2 * j + 1], &a) ||
          !ParseScore(it.pairs[j].second, &b) || a != b) {
        return false;
      }
    }
    return true;
  }
  if (it.type == "hash") {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t j = 0; j + 1 < got.size(); j += 2) pairs.emplace_back(got[j], got[j + 1]);
    std::vector<std::pair<std::string, std::string>> source = it.pairs;
    std::sort(pairs.begin(), pairs.end());
    std::sort(source.begin(), source.end());
    return got.size() % 2 == 0 && pairs == source;
  }
  want = it.members;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  return got == want;
}

// Reads the types, TTLs and contents of `keys` from the source, pipelined.
bool ReadItems(Conn& src, const std::vector<std::string>& keys, std::vector<Item>* items) {
  items->assign(keys.size(), Item{});
  for (const std::string& k : keys) {
    src.Append({"TYPE", k});
    src.Append({"PTTL", k});
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    Reply t(src.Next()), p(src.Next());
    if (!t.r || !p.r) return false;
    (*items)[i].key = keys[i];
    (*items)[i].type = t.str();
    (*items)[i].pttl = p.r->type == REDIS_REPLY_INTEGER ? p.r->integer : -1;
  }
  for (const Item& it : *items) {
    if (it.type == "string") src.Append({"GET", it.key});
    if (it.type == "hash") src.Append({"HGETALL", it.key});
    if (it.type == "list") src.Append({"LRANGE", it.key, "0", "-1"});
    if (it.type == "set") src.Append({"SMEMBERS", it.key});
    if (it.type == "zset") src.Append({"ZRANGE", it.key, "0", "-1", "WITHSCORES"});
    if (it.type == "stream") src.Append({"DUMP", it.key});
  }
  for (Item& it : *items) {
    if (it.type != "string" && it.type != "hash" && it.type != "list" && it.type != "set" &&
        it.type != "zset" && it.type != "stream") {
      continue;
    }
    Reply r(src.Next());
    if (!r.r) return false;
    if (r.r->type == REDIS_REPLY_NIL) {
      it.type = "none";  // gone between TYPE and the read
    } else if (it.type == "stream") {
      // The source's own DUMP payload, decoded (groups and all) by the RDB reader.
      std::string payload = r.str();
      dkv::rdb::RdbKey decoded;
      if (!dkv::rdb::DumpFooterOk(payload, 12) ||
          !dkv::rdb::DecodeRdbValue(std::string_view(payload).substr(0, payload.size() - 10),
                                    &decoded)
               .empty() ||
          decoded.type != "stream") {
        it.type = "stream (an unreadable DUMP payload)";
      } else {
        it.stream = std::move(decoded.stream);
      }
    } else if (it.type == "string") {
      it.value = r.str();
    } else if (r.r->type == REDIS_REPLY_ARRAY) {
      bool pairs = it.type == "hash" || it.type == "zset";
      for (size_t j = 0; j < r.r->elements; ++j) {
        redisReply* e = r.r->element[j];
        std::string v = e->str ? std::string(e->str, e->len) : std::string();
        if (pairs && j + 1 < r.r->elements) {
          redisReply* e2 = r.r->element[++j];
          it.pairs.emplace_back(v, e2->str ? std::string(e2->str, e2->len) : std::string());
        } else if (!pairs) {
          it.members.push_back(v);
        }
      }
    }
  }
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: dkv-migrate --from redis://[user:pass@]host:port[/db] --to "
               "dkv://host:port[/namespace]\n"
               "                   [--match PATTERN] [--count N] [--separator C] [--dry-run] "
               "[--verify] [--state FILE [--resume]] [--flatten-hashes]\n"
               "       dkv-migrate --from-rdb FILE [--db N] --to dkv://host:port[/ns] "
               "[--separator C] [--dry-run] [--flatten-hashes]\n"
               "       dkv-migrate --from-json FILE --prefix PATH --to dkv://host:port[/ns]\n"
               "       dkv-migrate --to-json FILE --prefix PATH --from dkv://host:port[/ns]\n");
  return 2;
}

int JsonIn(const Options& o) {
  auto dst_ep = ParseUrl(o.to, "dkv");
  if (!dst_ep) return Usage();
  std::ifstream in(o.from_json, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "dkv-migrate: cannot read %s\n", o.from_json.c_str());
    return 2;
  }
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Conn dst;
  if (std::string err = dst.Open(*dst_ep); !err.empty()) {
    std::fprintf(stderr, "dkv-migrate: destination: %s\n", err.c_str());
    return 2;
  }
  if (o.dry_run) {
    std::printf("dry run: would import %zu bytes of JSON under %s\n", doc.size(), o.prefix.c_str());
    return 0;
  }
  Reply r(dst.Command({"KV.IMPORT", o.prefix, doc}));
  if (!r.r || r.r->type == REDIS_REPLY_ERROR) {
    std::fprintf(stderr, "dkv-migrate: KV.IMPORT: %s\n", r.r ? r.str().c_str() : dst.error());
    return 1;
  }
  std::printf("imported %lld keys under %s\n", static_cast<long long>(r.r->integer),
              o.prefix.c_str());
  return 0;
}

int JsonOut(const Options& o) {
  auto src_ep = ParseUrl(o.from, "dkv");
  if (!src_ep) return Usage();
  Conn src;
  if (std::string err = src.Open(*src_ep); !err.empty()) {
    std::fprintf(stderr, "dkv-migrate: source: %s\n", err.c_str());
    return 2;
  }
  // KV.EXPORT nests from the root: the document under the prefix is the subtree's.
  Reply r(src.Command({"KV.EXPORT", o.prefix.empty() ? "**" : o.prefix + ".**"}));
  if (!r.r || r.r->type == REDIS_REPLY_ERROR) {
    std::fprintf(stderr, "dkv-migrate: KV.EXPORT: %s\n", r.r ? r.str().c_str() : src.error());
    return 1;
  }
  nlohmann::json doc = nlohmann::json::parse(r.str(), nullptr, false);
  for (size_t start = 0; !o.prefix.empty() && doc.is_object();) {
    size_t dot = o.prefix.find('.', start);
    std::string segment = o.prefix.substr(start, dot - start);
    doc = doc.contains(segment) ? nlohmann::json(doc[segment]) : nlohmann::json::object();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string text = doc.dump(2);
  std::ofstream out(o.to_json, std::ios::binary | std::ios::trunc);
  out << text << "\n";
  if (!out) {
    std::fprintf(stderr, "dkv-migrate: cannot write %s\n", o.to_json.c_str());
    return 2;
  }
  std::printf("exported %s to %s (%zu bytes)\n", o.prefix.c_str(), o.to_json.c_str(), text.size());
  return 0;
}

// Writes a batch of source keys to dkv, pipelined: the plan of each key (its dkv keys), the
// collision check, the summary. `origin` maps every dkv key written to its source key. Returns
// false when the connection to dkv broke.
bool CopyItems(Conn& dst, const std::vector<Item>& items, const Options& o, Summary* s,
               std::map<std::string, std::string>* origin) {
  std::vector<std::string> pending;  // destination keys of the pipelined writes
  for (const Item& it : items) {
    s->scanned++;
    auto writes = Plan(it, o, s);
    if (!writes) continue;
    bool collide = false;
    for (const Write& w : *writes) {
      auto [pos, fresh] = origin->emplace(w.key, it.key);
      if (!fresh && pos->second != it.key) {
        s->collisions++;
        s->Skip("collides with " + pos->second + " as " + w.key, it.key);
        collide = true;
        break;
      }
    }
    if (collide) continue;
    s->copied++;
    s->copied_by_type[it.type]++;
    for (const Write& w : *writes) {
      s->written_keys++;
      s->bytes += w.key.size() + w.value.size();
      if (o.dry_run) continue;
      std::vector<std::string> argv;
      if (w.via == Via::kRestore) {
        // REPLACE: a key already there is overwritten, as SET does; the TTL is absolute when
        // the file gave one (an expired key never gets here).
        bool abs = it.expire_ms > 0;
        int64_t ttl = abs ? it.expire_ms : std::max<int64_t>(it.pttl, 0);
        argv = {"RESTORE", w.key, std::to_string(ttl), w.value, "REPLACE"};
        if (abs) argv.push_back("ABSTTL");
        dst.Append(argv);
        pending.push_back(w.key);
        continue;
      }
      argv = {"SET", w.key, w.value};
      if (it.expire_ms > 0) {
        argv.push_back("PXAT");
        argv.push_back(std::to_string(it.expire_ms));
      } else if (it.pttl > 0) {
        argv.push_back("PX");
        argv.push_back(std::to_string(it.pttl));
      }
      dst.Append(argv);
      pending.push_back(w.key);
    }
  }
  for (const std::string& key : pending) {
    Reply r(dst.Next());
    if (!r.r) {
      std::fprintf(stderr, "\ndkv-migrate: writing to dkv failed: %s\n", dst.error());
      return false;
    }
    if (r.r->type == REDIS_REPLY_ERROR) s->Skip("dkv refused the write (" + r.str() + ")", key);
  }
  return true;
}

void PrintSummary(const Summary& s, const Options& o, double seconds) {
  std::printf("%s%llu keys scanned, %llu copied", o.dry_run ? "dry run: " : "",
              static_cast<unsigned long long>(s.scanned),
              static_cast<unsigned long long>(s.copied));
  std::string types;
  for (const auto& [t, n] : s.copied_by_type) {
    types += (types.empty() ? "" : ", ") + t + " " + std::to_string(n);
  }
  std::printf(" (%s) as %llu dkv keys, %llu bytes, in %.1f s\n", types.c_str(),
              static_cast<unsigned long long>(s.written_keys),
              static_cast<unsigned long long>(s.bytes), seconds);
  for (const auto& [why, n] : s.skipped) {
    std::printf("skipped %llu: %s\n", static_cast<unsigned long long>(n), why.c_str());
  }
  for (const std::string& e : s.examples) std::printf("  %s\n", e.c_str());
}

uint64_t SkippedCount(const Summary& s) {
  uint64_t n = 0;
  for (const auto& [why, count] : s.skipped) n += count;
  return n;
}

// --from-rdb: the keys of one database of a Redis RDB file, with the same mappings.
int FromRdb(const Options& o) {
  auto dst_ep = ParseUrl(o.to, "dkv");
  if (!dst_ep) return Usage();
  Conn dst;
  if (std::string err = dst.Open(*dst_ep); !err.empty()) {
    std::fprintf(stderr, "dkv-migrate: destination: %s\n", err.c_str());
    return 2;
  }
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  Summary s;
  std::map<std::string, std::string> origin;
  std::vector<Item> batch;
  Progress progress(0);
  bool broken = false;
  auto flush = [&] {
    if (!broken && !CopyItems(dst, batch, o, &s, &origin)) broken = true;
    batch.clear();
    progress.Update(s.scanned);
  };
  std::string err = dkv::rdb::ReadRdbFile(o.from_rdb, [&](const dkv::rdb::RdbKey& k) {
    if (k.db != o.rdb_db) {
      s.Skip("in database " + std::to_string(k.db) + " of the file (--db chooses)", k.key);
      return true;
    }
    if (k.expire_ms != 0 && k.expire_ms <= now_ms) {
      s.scanned++;
      s.Skip("expired in the file", k.key);
      return true;
    }
    Item it;
    static_cast<dkv::rdb::RdbKey&>(it) = k;
    batch.push_back(std::move(it));
    if (batch.size() >= 1000) flush();
    return !broken;
  });
  if (!batch.empty()) flush();
  progress.Done();
  if (!err.empty()) {
    std::fprintf(stderr, "dkv-migrate: %s\n", err.c_str());
    PrintSummary(s, o, progress.seconds());
    return 2;
  }
  if (broken) return 2;
  PrintSummary(s, o, progress.seconds());
  return SkippedCount(s) > 0 ? 1 : 0;
}

int Live(const Options& o) {
  auto src_ep = ParseUrl(o.from, "redis");
  auto dst_ep = ParseUrl(o.to, "dkv");
  if (!src_ep || !dst_ep) return Usage();
  Conn src, dst;
  if (std::string err = src.Open(*src_ep); !err.empty()) {
    std::fprintf(stderr, "dkv-migrate: source: %s\n", err.c_str());
    return 2;
  }
  if (std::string err = dst.Open(*dst_ep); !err.empty()) {
    std::fprintf(stderr, "dkv-migrate: destination: %s\n", err.c_str());
    return 2;
  }
  std::string cursor = "0";
  if (o.resume && !o.state_file.empty()) {
    std::ifstream st(o.state_file);
    if (st >> cursor) {
      std::fprintf(stderr, "dkv-migrate: resuming at SCAN cursor %s\n", cursor.c_str());
    } else {
      cursor = "0";
    }
  }
  Reply size(src.Command({"DBSIZE"}));
  uint64_t total =
      size.r && size.r->type == REDIS_REPLY_INTEGER ? static_cast<uint64_t>(size.r->integer) : 0;
  Progress progress(total);
  Summary s;
  std::map<std::string, std::string> origin;  // destination key -> source key (collisions)
  uint64_t differences = 0;
  bool first = true;
  while (first || cursor != "0") {
    first = false;
    Reply scan(src.Command({"SCAN", cursor, "MATCH", o.match, "COUNT", std::to_string(o.count)}));
    if (!scan.r || scan.r->type != REDIS_REPLY_ARRAY || scan.r->elements != 2) {
      std::fprintf(stderr, "\ndkv-migrate: SCAN failed: %s\n",
                   scan.r ? scan.str().c_str() : src.error());
      return 2;
    }
    cursor.assign(scan.r->element[0]->str, scan.r->element[0]->len);
    std::vector<std::string> keys;
    redisReply* list = scan.r->element[1];
    for (size_t i = 0; i < list->elements; ++i) {
      keys.emplace_back(list->element[i]->str, list->element[i]->len);
    }
    std::vector<Item> items;
    if (!ReadItems(src, keys, &items)) {
      std::fprintf(stderr, "\ndkv-migrate: reading the source failed: %s\n", src.error());
      return 2;
    }
    if (!CopyItems(dst, items, o, &s, &origin)) return 2;
    if (!o.state_file.empty() && !o.dry_run) {
      // Replaced atomically: an interruption leaves the previous cursor, never an empty file.
      std::string tmp = o.state_file + ".tmp";
      {
        std::ofstream st(tmp, std::ios::trunc);
        st << cursor << "\n";
      }
      std::rename(tmp.c_str(), o.state_file.c_str());
    }
    progress.Update(s.scanned);
  }
  progress.Done();
  double copy_seconds = progress.seconds();
  if (o.verify && !o.dry_run) {
    // Second pass: every source key against its destination keys (value and TTL within 1 s).
    std::string vcursor = "0";
    bool vfirst = true;
    while (vfirst || vcursor != "0") {
      vfirst = false;
      Reply scan(
          src.Command({"SCAN", vcursor, "MATCH", o.match, "COUNT", std::to_string(o.count)}));
      if (!scan.r || scan.r->type != REDIS_REPLY_ARRAY) break;
      vcursor.assign(scan.r->element[0]->str, scan.r->element[0]->len);
      std::vector<std::string> keys;
      for (size_t i = 0; i < scan.r->element[1]->elements; ++i) {
        redisReply* e = scan.r->element[1]->element[i];
        keys.emplace_back(e->str, e->len);
      }
      std::vector<Item> items;
      if (!ReadItems(src, keys, &items)) break;
      Summary scratch;
      for (const Item& it : items) {
        auto writes = Plan(it, o, &scratch);
        if (!writes) continue;
        for (const Write& w : *writes) {
          auto found = origin.find(w.key);
          if (found == origin.end() || found->second != it.key) continue;  // collided
          bool native = w.via == Via::kRestore;
          if (native) {
            dst.Append(ReadBack(it, w.key));
          } else {
            dst.Append({"GET", w.key});
          }
          dst.Append({"PTTL", w.key});
          Reply v(dst.Next()), t(dst.Next());
          bool same_value = native ? SameContents(it, v.r)
                                   : v.r && v.r->type == REDIS_REPLY_STRING && v.str() == w.value;
          int64_t ttl = t.r && t.r->type == REDIS_REPLY_INTEGER ? t.r->integer : -3;
          bool same_ttl = it.pttl <= 0 ? ttl == -1 : (ttl > 0 && std::llabs(ttl - it.pttl) <= 1000);
          if (!same_value || !same_ttl) {
            ++differences;
            if (s.examples.size() < 20) {
              s.examples.push_back(std::string("differs after copy (") +
                                   (same_value ? "TTL" : "value") + "): " + w.key);
            }
          }
        }
      }
    }
  }
  PrintSummary(s, o, copy_seconds);
  uint64_t skipped = SkippedCount(s);
  if (o.verify && !o.dry_run) {
    std::printf("verify: %llu differences (%.1f s)\n", static_cast<unsigned long long>(differences),
                progress.seconds() - copy_seconds);
  }
  return skipped > 0 || differences > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "dkv-migrate: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--from") {
      o.from = value();
    } else if (a == "--to") {
      o.to = value();
    } else if (a == "--match") {
      o.match = value();
    } else if (a == "--count") {
      o.count = std::atoll(value().c_str());
    } else if (a == "--separator") {
      o.separator = value();
    } else if (a == "--state") {
      o.state_file = value();
    } else if (a == "--from-rdb") {
      o.from_rdb = value();
    } else if (a == "--db") {
      o.rdb_db = std::atoi(value().c_str());
    } else if (a == "--from-json") {
      o.from_json = value();
    } else if (a == "--to-json") {
      o.to_json = value();
    } else if (a == "--prefix") {
      o.prefix = value();
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--verify") {
      o.verify = true;
    } else if (a == "--resume") {
      o.resume = true;
    } else if (a == "--flatten-hashes") {
      o.flatten_hashes = true;
    } else {
      return Usage();
    }
  }
  if (!o.from_json.empty()) return o.to.empty() ? Usage() : JsonIn(o);
  if (!o.from_rdb.empty()) return o.to.empty() ? Usage() : FromRdb(o);
  if (!o.to_json.empty()) return o.from.empty() ? Usage() : JsonOut(o);
  if (o.from.empty() || o.to.empty() || o.count <= 0) return Usage();
  return Live(o);
}
