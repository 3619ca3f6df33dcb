#include "persistence/postgres/loader.h"

#include <libpq-fe.h>
#include <poll.h>

#include <nlohmann/json.hpp>

#include "persistence/postgres/pg_wire.h"
#include "persistence/postgres/schema.h"

namespace dkv::persistence::postgres {

Loader::Loader(EventLoop* loop, Host* host, engine::Keyspace* keyspace, const Options& options,
               PostgresStatus* status)
    : loop_(loop), host_(host), keyspace_(keyspace), options_(options), status_(status) {}

Loader::~Loader() {
  watch_.reset();
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string Loader::Start(PGconn* conn, int64_t started_us, std::function<void()> done) {
  conn_ = conn;
  started_us_ = started_us;
  done_ = std::move(done);
  // With the cache tier on, only keys and metadata come in (the value's size stands for it);
  // values are read back when a command needs them.
  std::string sql = std::string("SELECT ns, key, ") +
                    (options_.cache_tier ? "octet_length(value)::bigint" : "value") +
                    ", value_type, meta::text, version, "
                    "COALESCE((extract(epoch FROM expires_at) * 1000)::bigint, 0), "
                    "(extract(epoch FROM created_at) * 1000)::bigint, "
                    "(extract(epoch FROM updated_at) * 1000)::bigint, kind FROM " +
                    QuotedTable(options_.table) + " WHERE expires_at IS NULL OR expires_at > now()";
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
  host_->SetLoading(true);
  watch_ =
      loop_->WatchFd(PQsocket(conn_), [this](const std::string& error, int) { OnPoll(error); });
  watch_->Start(EventLoop::kReadable);
  return "";
}

void Loader::LoadRow(PGresult* r) {
  engine::Keyspace& ks = *keyspace_;
  std::string ns(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
  int index = ks.FindOrCreateNamespace(ns, options_.max_namespaces);
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
  // Schema 2: the row of a container (a hash, a set, a list, a sorted set, a stream) holds its
  // portable form.
  int kind = static_cast<int16_t>(ReadBigEndian(PQgetvalue(r, 0, 9), 2));
  if (kind != static_cast<int>(engine::Kind::kString) &&
      kind != static_cast<int>(engine::Kind::kHash) &&
      kind != static_cast<int>(engine::Kind::kSet) &&
      kind != static_cast<int>(engine::Kind::kList) &&
      kind != static_cast<int>(engine::Kind::kZset) &&
      kind != static_cast<int>(engine::Kind::kStream)) {
    load_error_ = "the row of key '" + std::string(key) + "' in namespace '" + ns + "' has kind " +
                  std::to_string(kind) + ", which this server does not know";
    return;
  }
  meta.kind = static_cast<engine::Kind>(kind);
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
    engine::Entry* e = options_.cache_tier
                           ? db.RestoreCold(key, ReadBigEndian(value.data(), 8), meta)
                           : db.Restore(key, value, meta);
    if (e == nullptr) {
      // A container whose bytes do not check (engine::Materialize): serving the key without
      // them, or as empty, would lose it. The load fails, naming it.
      load_error_ = "the row of key '" + std::string(key) + "' in namespace '" + ns +
                    "' holds a damaged " + std::string(engine::KindName(meta.kind)) + " (" +
                    std::to_string(value.size()) + " bytes)";
      return;
    }
    if (expire != 0) db.SetExpire(e, expire);
    if (!fields.empty()) db.SetFields(e, fields);
    status_->keys_loaded++;
  }
}

void Loader::ContinueLoad() {
  if (!PQconsumeInput(conn_)) {
    return FailLoad(Trim(PQerrorMessage(conn_)));
  }
  keyspace_->RefreshTime();
  // Rows are taken as they arrive; the loop serves clients (-LOADING) between reads.
  while (!PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      // The query is over.
      if (!load_error_.empty()) return FailLoad(load_error_);
      loading_ = false;
      host_->SetLoading(false);
      status_->load_ms = (loop_->NowUs() - started_us_) / 1000;
      Logf(*host_, LogLevel::kNotice, "Loaded %llu keys%s from PostgreSQL table %s in %.3f seconds",
           static_cast<unsigned long long>(status_->keys_loaded),
           options_.cache_tier ? " (values stay in PostgreSQL until read)" : "",
           options_.table.c_str(), static_cast<double>(status_->load_ms) / 1000.0);
      // The load's connection is done (the pool connects on the loop).
      watch_.reset();
      PQfinish(conn_);
      conn_ = nullptr;
      if (done_) done_();
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

void Loader::FailLoad(const std::string& why) {
  // The keyspace is incomplete: serving it, or writing it back, would lose data. The server
  // stops, as when PostgreSQL cannot be reached at start.
  Logf(*host_, LogLevel::kWarning, "PostgreSQL: loading the rows failed: %s; the server stops",
       why.c_str());
  loading_ = false;
  failed_ = true;
  if (watch_ != nullptr) watch_->Stop();
  host_->LoadFailed();
}

void Loader::OnPoll(const std::string& error) {
  if (!loading_) return;
  if (!error.empty()) return FailLoad(error);
  ContinueLoad();
}

}  // namespace dkv::persistence::postgres
