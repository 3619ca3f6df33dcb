#include "src/postgres_backend.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/keyspace.h"
#include "src/log.h"
#include "src/server_state.h"

namespace dkv::server {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int64_t kMaxBackoffMs = 10000;

uint64_t ReadBigEndian(const char* p, int len) {
  uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// libpq's messages end in a newline and may span lines: one line for the log and INFO.
std::string Trim(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The smallest byte string greater than every string starting with `prefix`; "" when there is
// none (the prefix is all 0xFF bytes).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xFF) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

// jsonb holds no NUL character: one in a user field or content type becomes U+FFFD (documented
// with the other jsonb replacements), so that no row can fail every batch it is in.
std::string NoNul(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

// The row's meta column: content type, user fields (in order), raw encoding, access time, LFU.
std::string MetaJson(engine::Keyspace& ks, const engine::Database& db, const engine::Entry& e) {
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  if (e.content_type() != 0) {
    meta["content_type"] = NoNul(ks.content_types().Name(e.content_type()));
  }
  if (e.has_fields()) {
    if (const engine::UserFields* fields = db.Fields(&e)) {
      nlohmann::ordered_json f = nlohmann::ordered_json::object();
      for (const auto& [name, value] : *fields) f[NoNul(name)] = NoNul(value);
      meta["fields"] = f;
    }
  }
  if (e.raw_encoding()) meta["raw"] = true;
  meta["accessed_at"] = e.accessed_ms();
  if (e.lfu_counter() != engine::kLfuInitialValue) meta["lfu"] = e.lfu_counter();
  // Invalid UTF-8 in a field cannot be stored in jsonb: it is replaced (documented).
  return meta.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// PostgreSQL's notices ("relation already exists, skipping") go to the log at verbose level.
void OnNotice(void*, const char* message) {
  Log(LogLevel::kVerbose, "PostgreSQL: %s", Trim(message).c_str());
}

// Rows per array statement, and bytes of keys and values after which a statement is sent.
constexpr size_t kChunkRows = 10000;
constexpr size_t kChunkBytes = 8u << 20;
// Element types of PostgreSQL's binary array format (pg_type OIDs).
constexpr uint32_t kTextOid = 25, kByteaOid = 17, kInt2Oid = 21, kInt8Oid = 20, kJsonbOid = 3802;

void PutBigEndian(std::string* out, uint64_t v, int len) {
  for (int i = len - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

// A one-dimensional array parameter in PostgreSQL's binary format: ndim, flags, element type,
// length, lower bound, then each element as a 4-byte length and its bytes (all big-endian).
class ArrayParam {
 public:
  explicit ArrayParam(uint32_t oid) : oid_(oid) {}
  void Add(std::string_view bytes) {
    PutBigEndian(&elements_, bytes.size(), 4);
    elements_.append(bytes);
    ++count_;
  }
  void AddInt16(int16_t v) {
    PutBigEndian(&elements_, 2, 4);
    PutBigEndian(&elements_, static_cast<uint16_t>(v), 2);
    ++count_;
  }
  void AddInt64(int64_t v) {
    PutBigEndian(&elements_, 8, 4);
    PutBigEndian(&elements_, static_cast<uint64_t>(v), 8);
    ++count_;
  }
  void AddJsonb(std::string_view json) {  // jsonb's binary input: version 1, then the text
    PutBigEndian(&elements_, json.size() + 1, 4);
    elements_.push_back(1);
    elements_.append(json);
    ++count_;
  }
  size_t count() const { return count_; }
  size_t bytes() const { return elements_.size(); }
  // The whole parameter; the array is emptied for the next chunk.
  std::string Take() {
    std::string out;
    out.reserve(20 + elements_.size());
    PutBigEndian(&out, 1, 4);
    PutBigEndian(&out, 0, 4);
    PutBigEndian(&out, oid_, 4);
    PutBigEndian(&out, count_, 4);
    PutBigEndian(&out, 1, 4);
    out += elements_;
    elements_.clear();
    count_ = 0;
    return out;
  }

 private:
  uint32_t oid_;
  std::string elements_;
  size_t count_ = 0;
};

void PostgresBackend::SendArrays(const char* statement, ArrayParam** params, int n) {
  std::vector<std::string> data;
  data.reserve(static_cast<size_t>(n));
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (int i = 0; i < n; ++i) {
    data.push_back(params[i]->Take());
    values.push_back(data.back().data());
    lengths.push_back(static_cast<int>(data.back().size()));
    formats.push_back(1);
  }
  if (!PQsendQueryPrepared(conn_, statement, n, values.data(), lengths.data(), formats.data(), 0)) {
    send_failed_ = true;
  }
}

PostgresBackend::PostgresBackend(ServerState* state, uv_loop_t* loop)
    : state_(state), loop_(loop) {}

PostgresBackend::~PostgresBackend() {
  StopWatching();
  if (conn_ != nullptr) PQfinish(conn_);
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

bool PostgresBackend::sync() const { return state_->config.postgres_durability == "sync"; }

bool PostgresBackend::QueueFull() const {
  return static_cast<int64_t>(queued()) >= state_->config.postgres_queue_bound;
}

std::string PostgresBackend::Table() const {
  // Quoted identifier; the config accepts letters, digits and '_' only.
  return "\"" + state_->config.postgres_table + "\"";
}

bool PostgresBackend::Exec(const std::string& sql, std::string* error) {
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) *error = Trim(PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

std::string PostgresBackend::CreateSchema() {
  std::string t = Table();
  std::string version_table = "\"" + state_->config.postgres_table + "_schema\"";
  std::string err;
  const std::string statements[] = {
      "CREATE TABLE IF NOT EXISTS " + t +
          " (ns text COLLATE \"C\" NOT NULL, key bytea NOT NULL, value bytea NOT NULL, "
          "value_type smallint NOT NULL, meta jsonb NOT NULL DEFAULT '{}', version bigint NOT "
          "NULL, expires_at timestamptz, created_at timestamptz NOT NULL, updated_at timestamptz "
          "NOT NULL, PRIMARY KEY (ns, key))",
      "CREATE INDEX IF NOT EXISTS \"" + state_->config.postgres_table + "_expires\" ON " + t +
          " (expires_at) WHERE expires_at IS NOT NULL",
      "CREATE TABLE IF NOT EXISTS " + version_table + " (version integer NOT NULL)",
      "INSERT INTO " + version_table + " SELECT " + std::to_string(kSchemaVersion) +
          " WHERE NOT EXISTS (SELECT 1 FROM " + version_table + ")",
  };
  // A role without CREATE rights may use tables made for it: create only what is missing.
  PGresult* exists =
      PQexec(conn_, ("SELECT to_regclass('" + t + "') IS NOT NULL AND to_regclass('" +
                     version_table + "') IS NOT NULL")
                        .c_str());
  bool present = PQresultStatus(exists) == PGRES_TUPLES_OK && PQntuples(exists) == 1 &&
                 std::string(PQgetvalue(exists, 0, 0)) == "t";
  PQclear(exists);
  for (const std::string& sql : statements) {
    if (!present && !Exec(sql, &err)) return "creating the schema: " + err;
  }
  PGresult* r = PQexec(conn_, ("SELECT max(version) FROM " + version_table).c_str());
  int version = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                    ? std::atoi(PQgetvalue(r, 0, 0))
                    : -1;
  PQclear(r);
  if (version != kSchemaVersion) {
    return "table " + state_->config.postgres_table + " has schema version " +
           std::to_string(version) + "; this server uses version " + std::to_string(kSchemaVersion);
  }
  return "";
}

std::string PostgresBackend::StartLoad() {
  std::string sql =
      "SELECT ns, key, value, value_type, meta::text, version, "
      "COALESCE((extract(epoch FROM expires_at) * 1000)::bigint, 0), "
      "(extract(epoch FROM created_at) * 1000)::bigint, "
      "(extract(epoch FROM updated_at) * 1000)::bigint FROM " +
      Table() + " WHERE expires_at IS NULL OR expires_at > now()";
  if (PQsetnonblocking(conn_, 1) != 0 ||
      !PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) ||
      !PQsetSingleRowMode(conn_)) {
    return Trim(PQerrorMessage(conn_));
  }
  // The query is short; the loop is not running yet, so it may wait for the socket here.
  int flushed;
  while ((flushed = PQflush(conn_)) == 1) {
    struct pollfd p = {PQsocket(conn_), POLLOUT, 0};
    ::poll(&p, 1, 1000);
  }
  if (flushed < 0) return Trim(PQerrorMessage(conn_));
  loading_ = true;
  load_error_.clear();
  state_->loading = true;
  return "";
}

void PostgresBackend::LoadRow(PGresult* r) {
  engine::Keyspace& ks = state_->keyspace;
  std::string ns(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
  int index = ks.FindOrCreateNamespace(ns, state_->config.max_namespaces);
  if (index < 0) {
    load_error_ = "namespace '" + ns + "' does not fit this server";
    return;
  }
  std::string_view key(PQgetvalue(r, 0, 1), static_cast<size_t>(PQgetlength(r, 0, 1)));
  std::string_view value(PQgetvalue(r, 0, 2), static_cast<size_t>(PQgetlength(r, 0, 2)));
  engine::EntryMeta meta;
  meta.type = static_cast<engine::ValueType>(ReadBigEndian(PQgetvalue(r, 0, 3), 2) & 7);
  meta.version = static_cast<uint32_t>(ReadBigEndian(PQgetvalue(r, 0, 5), 8));
  int64_t expire = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, 0, 6), 8));
  meta.created_ms = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, 0, 7), 8));
  meta.updated_ms = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, 0, 8), 8));
  meta.accessed_ms = meta.updated_ms;
  engine::UserFields fields;
  auto j = nlohmann::json::parse(PQgetvalue(r, 0, 4), nullptr, false);
  if (j.is_object()) {
    if (j.contains("content_type") && j["content_type"].is_string()) {
      meta.content_type =
          ks.content_types().Intern(j["content_type"].get<std::string>()).value_or(0);
    }
    if (j.contains("raw")) meta.raw_encoding = j["raw"].is_boolean() && j["raw"].get<bool>();
    if (j.contains("accessed_at") && j["accessed_at"].is_number_integer()) {
      meta.accessed_ms = j["accessed_at"].get<int64_t>();
    }
    if (j.contains("lfu") && j["lfu"].is_number_integer()) {
      meta.lfu = static_cast<uint8_t>(j["lfu"].get<int>());
    }
    if (j.contains("fields") && j["fields"].is_object()) {
      for (auto& [k, v] : j["fields"].items()) {
        if (v.is_string()) fields.emplace_back(k, v.get<std::string>());
      }
    }
  }
  engine::Database& db = ks.db(index);
  if (db.FindRaw(key) == nullptr) {
    engine::Entry* e = db.Restore(key, value, meta);
    if (expire != 0) db.SetExpire(e, expire);
    if (!fields.empty()) db.SetFields(e, fields);
    status_.keys_loaded++;
  }
}

void PostgresBackend::ContinueLoad() {
  if (!PQconsumeInput(conn_)) {
    return FailLoad(Trim(PQerrorMessage(conn_)));
  }
  state_->keyspace.RefreshTime();
  // Rows are taken as they arrive; the loop serves clients (-LOADING) between reads.
  while (!PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      // The query is over.
      if (!load_error_.empty()) return FailLoad(load_error_);
      loading_ = false;
      state_->loading = false;
      status_.load_ms = (state_->clock->NowUs() - load_started_us_) / 1000;
      Log(LogLevel::kNotice, "Loaded %llu keys from PostgreSQL table %s in %.3f seconds",
          static_cast<unsigned long long>(status_.keys_loaded),
          state_->config.postgres_table.c_str(), static_cast<double>(status_.load_ms) / 1000.0);
      if (std::string err = SetUpConnection(); !err.empty()) return Disconnect(err);
      return;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      if (load_error_.empty()) LoadRow(r);
    } else if (st != PGRES_TUPLES_OK && load_error_.empty()) {
      load_error_ = Trim(PQresultErrorMessage(r));
    }
    PQclear(r);
  }
}

void PostgresBackend::FailLoad(const std::string& why) {
  // The keyspace is incomplete: serving it, or writing it back, would lose data. The server
  // stops, as when PostgreSQL cannot be reached at start.
  Log(LogLevel::kWarning, "PostgreSQL: loading the rows failed: %s; the server stops", why.c_str());
  loading_ = false;
  load_failed_ = true;
  StopWatching();
  state_->exit_code = 1;
  if (state_->hooks != nullptr) state_->hooks->RequestShutdown();
}

std::string PostgresBackend::SetUpConnection() {
  if (PQsetnonblocking(conn_, 1) != 0) return Trim(PQerrorMessage(conn_));
  if (PQenterPipelineMode(conn_) != 1) return Trim(PQerrorMessage(conn_));
  std::string t = Table();
  const std::pair<const char*, std::string> statements[] = {
      {"dkv_upsert",
       "INSERT INTO " + t +
           " (ns, key, value, value_type, meta, version, expires_at, created_at, updated_at) "
           "SELECT ns, key, value, vt, meta, ver, CASE WHEN exp = 0 THEN NULL ELSE "
           "to_timestamp(exp / 1000.0) END, to_timestamp(cr / 1000.0), to_timestamp(up / 1000.0) "
           "FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::smallint[], $5::jsonb[], "
           "$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[]) "
           "AS u(ns, key, value, vt, meta, ver, exp, cr, up) "
           "ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value, value_type = "
           "EXCLUDED.value_type, meta = EXCLUDED.meta, version = EXCLUDED.version, expires_at = "
           "EXCLUDED.expires_at, created_at = EXCLUDED.created_at, updated_at = "
           "EXCLUDED.updated_at"},
      {"dkv_delete",
       "DELETE FROM " + t + " WHERE (ns, key) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))"},
      {"dkv_delete_range", "DELETE FROM " + t + " WHERE ns = $1 AND key >= $2 AND key < $3"},
      {"dkv_delete_from", "DELETE FROM " + t + " WHERE ns = $1 AND key >= $2"},
      {"dkv_delete_ns", "DELETE FROM " + t + " WHERE ns = $1"},
  };
  for (const auto& [name, sql] : statements) {
    if (!PQsendPrepare(conn_, name, sql.c_str(), 0, nullptr)) return Trim(PQerrorMessage(conn_));
  }
  if (!PQpipelineSync(conn_)) return Trim(PQerrorMessage(conn_));
  pending_results_ = static_cast<int>(std::size(statements)) + 1;
  prepared_ = false;
  in_flight_ = true;  // the prepares are a batch without keys
  flight_started_us_ = state_->clock->NowUs();
  flight_keys_.clear();
  flight_prefixes_.clear();
  flight_failed_ = false;
  state_conn_ = State::kReady;
  FlushOutput();
  return "";
}

std::string PostgresBackend::Start() {
  const Config& c = state_->config;
  int64_t start_us = state_->clock->NowUs();
  while (true) {
    conn_ = PQconnectdb(c.postgres_dsn.c_str());
    if (PQstatus(conn_) == CONNECTION_OK) {
      PQsetNoticeProcessor(conn_, OnNotice, nullptr);
      break;
    }
    std::string why = Trim(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    if (c.postgres_startup != "wait") {
      return "cannot connect to PostgreSQL (postgres.dsn '" + c.postgres_dsn + "'): " + why +
             ". Start PostgreSQL, fix postgres.dsn, or set postgres.startup to 'wait'";
    }
    Log(LogLevel::kWarning, "PostgreSQL is not reachable yet (%s); retrying in 1 second",
        why.c_str());
    sleep(1);
  }
  if (std::string err = CreateSchema(); !err.empty()) return "PostgreSQL: " + err;
  // The rows stream in on the loop once the port is open; until they are all in, commands get
  // -LOADING (ContinueLoad).
  load_started_us_ = start_us;
  if (std::string err = StartLoad(); !err.empty()) return "PostgreSQL: loading the rows: " + err;
  status_.connected = true;
  state_conn_ = State::kLoading;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uint64_t period = static_cast<uint64_t>(std::max<int64_t>(1, c.postgres_flush_interval));
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<PostgresBackend*>(t->data)->MaybeFlush(); }, period,
      period);
  WatchSocket(UV_READABLE);
  return "";
}

// --- observing the keyspace ---

void PostgresBackend::OnKeyChanged(int db, std::string_view key, engine::ChangeKind) {
  if (dirty_.size() <= static_cast<size_t>(db)) dirty_.resize(static_cast<size_t>(db) + 1);
  if (dirty_count_ == 0 && prefix_ops_.empty()) first_dirty_ms_ = state_->clock->NowMs();
  if (dirty_[static_cast<size_t>(db)].emplace(key).second) ++dirty_count_;
  ++changes_;
}

void PostgresBackend::OnPrefixDeleted(int db, std::string_view prefix) {
  if (dirty_count_ == 0 && prefix_ops_.empty()) first_dirty_ms_ = state_->clock->NowMs();
  prefix_ops_.push_back({state_->keyspace.NamespaceName(db), std::string(prefix)});
  ++changes_;
}

void PostgresBackend::OnNamespaceReplaced(int db) {
  OnPrefixDeleted(db, "");
  state_->keyspace.db(db).ForEach([&](engine::Entry* e) { OnKeyChanged(db, e->key(), {}); });
}

// --- batches ---

void PostgresBackend::MaybeFlush() {
  if (state_conn_ == State::kDisconnected && reconnect_scheduled_ &&
      state_->clock->NowMs() >= reconnect_at_ms_) {
    reconnect_scheduled_ = false;
    StartConnect();
    return;
  }
  int64_t now = state_->clock->NowMs();
  // A batch or a connection attempt that takes this long is given up (a blackholed network, a
  // row lock held elsewhere): the connection is dropped and everything is retried.
  constexpr int64_t kBatchDeadlineMs = 60000, kConnectDeadlineMs = 30000;
  if (state_conn_ == State::kReady && in_flight_ &&
      now - flight_started_us_ / 1000 > kBatchDeadlineMs) {
    return Disconnect("no answer from PostgreSQL for 60 seconds");
  }
  if (state_conn_ == State::kConnecting && now - connect_started_ms_ > kConnectDeadlineMs) {
    return Disconnect("connecting took more than 30 seconds");
  }
  if (state_conn_ != State::kReady || !prepared_ || in_flight_) return;
  if (dirty_count_ == 0 && prefix_ops_.empty()) return;
  if (now < retry_at_ms_) return;  // after a failed batch
  const Config& c = state_->config;
  if (!sync() && static_cast<int64_t>(dirty_count_) < c.postgres_batch_size &&
      state_->clock->NowMs() - first_dirty_ms_ < c.postgres_flush_interval) {
    return;
  }
  StartBatch();
}

void PostgresBackend::StartBatch() {
  engine::Keyspace& ks = state_->keyspace;
  ks.RefreshTime();
  // Range deletes and the keys written after them commit together: a batch that carries range
  // deletes takes every dirty key (a crash between the two must not lose rewritten rows).
  size_t limit = sync() || !prefix_ops_.empty()
                     ? SIZE_MAX
                     : static_cast<size_t>(state_->config.postgres_batch_size);
  flight_keys_.clear();
  flight_prefixes_ = std::move(prefix_ops_);
  prefix_ops_.clear();
  for (size_t db = 0; db < dirty_.size() && flight_keys_.size() < limit; ++db) {
    auto& set = dirty_[db];
    while (!set.empty() && flight_keys_.size() < limit) {
      auto node = set.extract(set.begin());
      flight_keys_.emplace_back(static_cast<int>(db), std::move(node.value()));
      --dirty_count_;
    }
  }
  int statements = 0;
  for (const PrefixOp& op : flight_prefixes_) {
    std::string end = PrefixEnd(op.prefix);
    const char* values[3] = {op.ns.c_str(), op.prefix.data(), end.data()};
    int lengths[3] = {static_cast<int>(op.ns.size()), static_cast<int>(op.prefix.size()),
                      static_cast<int>(end.size())};
    int formats[3] = {0, 1, 1};
    const char* name = op.prefix.empty() ? "dkv_delete_ns"
                       : end.empty()     ? "dkv_delete_from"
                                         : "dkv_delete_range";
    int n = op.prefix.empty() ? 1 : end.empty() ? 2 : 3;
    if (!PQsendQueryPrepared(conn_, name, n, values, lengths, formats, 0)) send_failed_ = true;
    ++statements;
  }
  // Key writes go as arrays: one multi-row upsert and one multi-row delete per chunk, in
  // PostgreSQL's binary array format (far cheaper for PostgreSQL than a statement per row).
  ArrayParam ns_up(kTextOid), key_up(kByteaOid), value_up(kByteaOid), type_up(kInt2Oid),
      meta_up(kJsonbOid), version_up(kInt8Oid), expires_up(kInt8Oid), created_up(kInt8Oid),
      updated_up(kInt8Oid), ns_del(kTextOid), key_del(kByteaOid);
  auto send_upserts = [&] {
    if (ns_up.count() == 0) return;
    ArrayParam* params[] = {&ns_up,      &key_up,     &value_up,   &type_up,   &meta_up,
                            &version_up, &expires_up, &created_up, &updated_up};
    SendArrays("dkv_upsert", params, 9);
    ++statements;
  };
  auto send_deletes = [&] {
    if (ns_del.count() == 0) return;
    ArrayParam* params[] = {&ns_del, &key_del};
    SendArrays("dkv_delete", params, 2);
    ++statements;
  };
  for (const auto& [index, key] : flight_keys_) {
    engine::Database& db = ks.db(index);
    const std::string& ns = ks.NamespaceName(index);
    engine::Entry* e = db.FindRaw(key);
    if (e != nullptr && !db.IsExpired(e)) {
      ns_up.Add(ns);
      key_up.Add(key);
      value_up.Add(e->value());
      type_up.AddInt16(static_cast<int16_t>(e->type()));
      meta_up.AddJsonb(MetaJson(ks, db, *e));
      version_up.AddInt64(e->version());
      expires_up.AddInt64(db.ExpireAt(e));
      created_up.AddInt64(e->created_ms());
      updated_up.AddInt64(e->updated_ms());
      if (value_up.bytes() + key_up.bytes() >= kChunkBytes || ns_up.count() >= kChunkRows) {
        send_upserts();
      }
    } else {
      ns_del.Add(ns);
      key_del.Add(key);
      if (key_del.bytes() >= kChunkBytes || ns_del.count() >= kChunkRows) send_deletes();
    }
  }
  send_upserts();
  send_deletes();
  if (!PQpipelineSync(conn_)) send_failed_ = true;
  pending_results_ = statements + 1;
  in_flight_ = true;
  flight_failed_ = false;
  flight_error_.clear();
  flight_id_ = next_batch_id_++;
  flight_started_us_ = state_->clock->NowUs();
  if (dirty_count_ > 0 || !prefix_ops_.empty()) first_dirty_ms_ = state_->clock->NowMs();
  if (send_failed_ || PQstatus(conn_) == CONNECTION_BAD) {
    // A statement that never left cannot be committed: the connection is reset and the whole
    // batch goes back in the queue.
    send_failed_ = false;
    return Disconnect("sending a batch failed: " + Trim(PQerrorMessage(conn_)));
  }
  FlushOutput();
}

void PostgresBackend::FlushOutput() {
  int rc = PQflush(conn_);
  if (rc < 0 || PQstatus(conn_) == CONNECTION_BAD) return Disconnect(Trim(PQerrorMessage(conn_)));
  WatchSocket(rc == 1 ? (UV_READABLE | UV_WRITABLE) : UV_READABLE);
}

void PostgresBackend::ReadResults() {
  while (pending_results_ > 0) {
    if (PQisBusy(conn_)) return;
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) continue;  // the end of one statement's results
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      pending_results_ = 0;
      FinishBatch(!flight_failed_, flight_error_);
      return;
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) {
      if (!flight_failed_ && st == PGRES_FATAL_ERROR) flight_error_ = Trim(PQresultErrorMessage(r));
      flight_failed_ = true;
    }
    --pending_results_;
    PQclear(r);
  }
}

void PostgresBackend::FinishBatch(bool ok, const std::string& error) {
  in_flight_ = false;
  if (!prepared_) {
    if (!ok) return Disconnect("preparing statements: " + error);
    prepared_ = true;
    backoff_ms_ = 100;
    status_.connected = true;
    Log(LogLevel::kNotice, "PostgreSQL connection ready");
    MaybeFlush();
    return;
  }
  if (!ok) {
    // The transaction rolled back: everything it carried goes back in the queue.
    status_.errors++;
    status_.last_error = error;
    Log(LogLevel::kWarning, "PostgreSQL batch failed, retrying: %s", error.c_str());
    Requeue();
    // Back off before the retry (100 ms doubling to 10 s): a failing batch must not spin.
    retry_at_ms_ = state_->clock->NowMs() + retry_backoff_ms_;
    retry_backoff_ms_ = std::min(kMaxBackoffMs, retry_backoff_ms_ * 2);
    return;
  }
  committed_id_ = flight_id_;
  retry_backoff_ms_ = 100;
  status_.batches_committed++;
  status_.keys_committed += flight_keys_.size();
  status_.last_commit_ms = state_->clock->NowMs();
  status_.last_commit_latency_us = state_->clock->NowUs() - flight_started_us_;
  flight_keys_.clear();
  flight_prefixes_.clear();
  if (on_commit_) on_commit_();
  MaybeFlush();
}

void PostgresBackend::Requeue() {
  for (auto& [db, key] : flight_keys_) {
    if (dirty_[static_cast<size_t>(db)].emplace(std::move(key)).second) ++dirty_count_;
  }
  flight_keys_.clear();
  // Range deletes of the failed batch came before the queued ones.
  flight_prefixes_.insert(flight_prefixes_.end(), std::make_move_iterator(prefix_ops_.begin()),
                          std::make_move_iterator(prefix_ops_.end()));
  prefix_ops_ = std::move(flight_prefixes_);
  flight_prefixes_.clear();
  first_dirty_ms_ = state_->clock->NowMs();
}

// --- the connection ---

void PostgresBackend::WatchSocket(int events) {
  int fd = conn_ != nullptr ? PQsocket(conn_) : -1;
  if (fd < 0) return;
  if (poll_ != nullptr && poll_fd_ != fd) StopWatching();
  if (poll_ == nullptr) {
    poll_ = new uv_poll_t;
    uv_poll_init(loop_, poll_, fd);
    poll_->data = this;
    poll_fd_ = fd;
    poll_events_ = 0;
  }
  if (events == poll_events_) return;
  poll_events_ = events;
  uv_poll_start(poll_, events, [](uv_poll_t* h, int status, int ev) {
    static_cast<PostgresBackend*>(h->data)->OnPoll(status, ev);
  });
}

void PostgresBackend::StopWatching() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  poll_fd_ = -1;
  poll_events_ = 0;
}

void PostgresBackend::OnPoll(int status, int events) {
  if (state_conn_ == State::kConnecting) return ContinueConnect();
  if (state_conn_ == State::kLoading) {
    if (status < 0) return FailLoad(uv_strerror(status));
    return ContinueLoad();
  }
  if (state_conn_ != State::kReady) return;
  if (status < 0) return Disconnect(uv_strerror(status));
  if (events & UV_WRITABLE) {
    FlushOutput();
    if (state_conn_ != State::kReady) return;
  }
  if (events & UV_READABLE) {
    if (!PQconsumeInput(conn_) || PQstatus(conn_) == CONNECTION_BAD) {
      return Disconnect(Trim(PQerrorMessage(conn_)));
    }
    ReadResults();
  }
}

void PostgresBackend::Disconnect(const std::string& why) {
  if (state_conn_ == State::kDisconnected) return;
  Log(LogLevel::kWarning, "PostgreSQL connection lost: %s", why.c_str());
  status_.connected = false;
  status_.errors++;
  status_.last_error = why;
  StopWatching();
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  state_conn_ = State::kDisconnected;
  if (in_flight_ && prepared_) Requeue();
  in_flight_ = false;
  prepared_ = false;
  pending_results_ = 0;
  ScheduleReconnect();
}

void PostgresBackend::ScheduleReconnect() {
  // Exponential backoff with jitter: 100 ms doubling up to 10 s.
  static std::mt19937_64 rng(std::random_device{}());
  int64_t delay =
      backoff_ms_ / 2 +
      static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, backoff_ms_)));
  backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ * 2);
  reconnect_at_ms_ = state_->clock->NowMs() + delay;
  reconnect_scheduled_ = true;
}

void PostgresBackend::StartConnect() {
  conn_ = PQconnectStart(state_->config.postgres_dsn.c_str());
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    std::string why = conn_ ? Trim(PQerrorMessage(conn_)) : "out of memory";
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    status_.last_error = why;
    ScheduleReconnect();
    return;
  }
  PQsetNoticeProcessor(conn_, OnNotice, nullptr);
  state_conn_ = State::kConnecting;
  connect_started_ms_ = state_->clock->NowMs();
  WatchSocket(UV_WRITABLE);
}

void PostgresBackend::ContinueConnect() {
  PostgresPollingStatusType st = PQconnectPoll(conn_);
  if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
    // libpq may have closed and reopened its socket (the next address of a host) under the
    // same number: the poll handle is made again so that the kernel watches the new one.
    StopWatching();
  }
  switch (st) {
    case PGRES_POLLING_READING:
      return WatchSocket(UV_READABLE);
    case PGRES_POLLING_WRITING:
      return WatchSocket(UV_WRITABLE);
    case PGRES_POLLING_OK: {
      Log(LogLevel::kNotice, "Reconnected to PostgreSQL");
      std::string err = SetUpConnection();
      if (!err.empty()) {
        Disconnect(err);
      }
      return;
    }
    default: {
      std::string why = Trim(PQerrorMessage(conn_));
      StopWatching();
      PQfinish(conn_);
      conn_ = nullptr;
      state_conn_ = State::kDisconnected;
      status_.last_error = why;
      ScheduleReconnect();
      return;
    }
  }
}

bool PostgresBackend::FlushBlocking(int64_t timeout_ms) {
  // Still loading (or the load failed): nothing was written but expiries, which the next start
  // finds again.
  if (loading_ || load_failed_) return dirty_count_ == 0 && prefix_ops_.empty();
  int64_t deadline = state_->clock->NowMs() + timeout_ms;
  while (state_->clock->NowMs() < deadline) {
    if (state_conn_ != State::kReady) {
      if (state_conn_ == State::kDisconnected) {
        reconnect_scheduled_ = false;
        StartConnect();
      }
      if (conn_ == nullptr) {
        usleep(100000);
        continue;
      }
      // Drive the connection attempt by polling its socket.
      while (state_conn_ == State::kConnecting && state_->clock->NowMs() < deadline) {
        short want = (poll_events_ & UV_WRITABLE) ? POLLOUT : POLLIN;
        struct pollfd p = {PQsocket(conn_), want, 0};
        ::poll(&p, 1, 100);
        ContinueConnect();
      }
      continue;
    }
    if (!in_flight_) {
      if (dirty_count_ == 0 && prefix_ops_.empty()) return true;
      if (prepared_) StartBatch();
    }
    struct pollfd p = {PQsocket(conn_), POLLIN, 0};
    if (PQflush(conn_) == 1) p.events |= POLLOUT;
    ::poll(&p, 1, 100);
    if (!PQconsumeInput(conn_)) {
      Disconnect(Trim(PQerrorMessage(conn_)));
      continue;
    }
    ReadResults();
  }
  return dirty_count_ == 0 && prefix_ops_.empty() && !in_flight_;
}

}  // namespace dkv::server
