#include "persistence/postgres/schema.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "persistence/postgres/pg_wire.h"

namespace dkv::persistence::postgres {
namespace {

bool Exec(PGconn* conn, const std::string& sql, std::string* error) {
  PGresult* r = PQexec(conn, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) *error = Trim(PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

std::string AddKindColumn(const std::string& quoted_table) {
  return "ALTER TABLE " + quoted_table +
         " ADD COLUMN IF NOT EXISTS kind smallint NOT NULL DEFAULT 0";
}

bool HasKindColumn(PGconn* conn, const std::string& quoted_table) {
  PGresult* r = PQexec(conn, ("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
                              "to_regclass('" +
                              quoted_table + "') AND attname = 'kind' AND NOT attisdropped)")
                                 .c_str());
  bool has = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
             std::string(PQgetvalue(r, 0, 0)) == "t";
  PQclear(r);
  return has;
}

}  // namespace

std::string QuotedTable(const std::string& table) { return "\"" + table + "\""; }

std::string ConnectAtStart(const Options& options, Host& host, PGconn** out) {
  while (true) {
    PGconn* conn = PQconnectdb(options.dsn.c_str());
    if (PQstatus(conn) == CONNECTION_OK) {
      SetNoticeLog(conn, &host);
      *out = conn;
      return "";
    }
    std::string why = Trim(PQerrorMessage(conn));
    PQfinish(conn);
    if (!options.startup_wait) {
      return "cannot connect to PostgreSQL (postgres.dsn '" + DsnForLog(options.dsn) +
             "'): " + why +
             ". Start PostgreSQL, fix postgres.dsn, or set postgres.startup to 'wait'";
    }
    Logf(host, LogLevel::kWarning, "PostgreSQL is not reachable yet (%s); retrying in 1 second",
         why.c_str());
    sleep(1);
  }
}

std::string CreateSchema(PGconn* conn, const std::string& table) {
  std::string t = QuotedTable(table);
  std::string version_table = "\"" + table + "_schema\"";
  std::string err;
  const std::string statements[] = {
      "CREATE TABLE IF NOT EXISTS " + t +
          " (ns text COLLATE \"C\" NOT NULL, key bytea NOT NULL, value bytea NOT NULL, "
          "value_type smallint NOT NULL, meta jsonb NOT NULL DEFAULT '{}', version bigint NOT "
          "NULL, expires_at timestamptz, created_at timestamptz NOT NULL, updated_at timestamptz "
          "NOT NULL, kind smallint NOT NULL DEFAULT 0, PRIMARY KEY (ns, key))",
      "CREATE INDEX IF NOT EXISTS \"" + table + "_expires\" ON " + t +
          " (expires_at) WHERE expires_at IS NOT NULL",
      "CREATE TABLE IF NOT EXISTS " + version_table + " (version integer NOT NULL)",
      "INSERT INTO " + version_table + " SELECT " + std::to_string(kSchemaVersion) +
          " WHERE NOT EXISTS (SELECT 1 FROM " + version_table + ")",
  };
  // A role without CREATE rights may use tables made for it: create only what is missing.
  PGresult* exists = PQexec(conn, ("SELECT to_regclass('" + t + "') IS NOT NULL AND to_regclass('" +
                                   version_table + "') IS NOT NULL")
                                      .c_str());
  bool present = PQresultStatus(exists) == PGRES_TUPLES_OK && PQntuples(exists) == 1 &&
                 std::string(PQgetvalue(exists, 0, 0)) == "t";
  PQclear(exists);
  for (const std::string& sql : statements) {
    if (!present && !Exec(conn, sql, &err)) return "creating the schema: " + err;
  }
  // A table made by hand with the version 1 columns gets the new one.
  if (!present && !HasKindColumn(conn, t) && !Exec(conn, AddKindColumn(t), &err)) {
    return "creating the schema: " + err;
  }
  PGresult* r = PQexec(conn, ("SELECT max(version) FROM " + version_table).c_str());
  int version = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                    ? std::atoi(PQgetvalue(r, 0, 0))
                    : -1;
  PQclear(r);
  if (version == 1) {
    // Version 1 had strings only: every old row is one (kind 0). Adding a column with a
    // constant default does not rewrite the table (PostgreSQL 11 and later).
    std::string sql = "BEGIN; " + (HasKindColumn(conn, t) ? "" : AddKindColumn(t) + "; ") +
                      "UPDATE " + version_table + " SET version = 2; COMMIT";
    if (!Exec(conn, sql, &err)) {
      std::string ignored;
      Exec(conn, "ROLLBACK", &ignored);
      return "table " + table +
             " has schema version 1 and could not be upgraded to version 2 (containers need "
             "the column kind): " +
             err + ". Run as the table's owner: " + AddKindColumn(t) + "; UPDATE " + version_table +
             " SET version = 2";
    }
    version = kSchemaVersion;
  }
  if (version != kSchemaVersion) {
    return "table " + table + " has schema version " + std::to_string(version) +
           "; this server uses version " + std::to_string(kSchemaVersion);
  }
  // A table made by hand must have the unique key the upsert names (ON CONFLICT (ns, key)):
  // without it every batch would fail and writes wait for ever.
  PGresult* keyed = PQexec(
      conn,
      ("SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass('" + t +
       "') AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND "
       "i.indnatts = 2 AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) "
       "FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])) "
       "= ARRAY['key', 'ns'])")
          .c_str());
  bool has_key = PQresultStatus(keyed) == PGRES_TUPLES_OK && PQntuples(keyed) == 1 &&
                 std::string(PQgetvalue(keyed, 0, 0)) == "t";
  std::string why =
      PQresultStatus(keyed) == PGRES_TUPLES_OK ? "" : Trim(PQresultErrorMessage(keyed));
  PQclear(keyed);
  if (!has_key) {
    return "table " + table +
           " has no primary key or unique index on (ns, key), which dkv's upsert needs" +
           (why.empty() ? "" : " (" + why + ")") +
           "; see docs/persistence.md, Schema, for the table dkv creates";
  }
  return "";
}

bool SendPrepares(PGconn* conn, const std::string& t) {
  const std::pair<const char*, std::string> statements[] = {
      {"dkv_upsert",
       "INSERT INTO " + t +
           " (ns, key, value, value_type, meta, version, expires_at, created_at, updated_at, "
           "kind) "
           "SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::smallint[], "
           "$5::jsonb[], $6::bigint[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], "
           "$10::smallint[]) "
           "AS u(ns, key, value, vt, meta, ver, exp, cr, up, kind) "
           "ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value, value_type = "
           "EXCLUDED.value_type, meta = EXCLUDED.meta, version = EXCLUDED.version, expires_at = "
           "EXCLUDED.expires_at, created_at = EXCLUDED.created_at, updated_at = "
           "EXCLUDED.updated_at, kind = EXCLUDED.kind"},
      // Keys whose value is only in PostgreSQL (cold) and whose metadata changed.
      {"dkv_update_meta",
       "UPDATE " + t +
           " AS t SET value_type = u.vt, meta = u.meta, version = u.ver, expires_at = u.exp, "
           "created_at = u.cr, updated_at = u.up "
           "FROM unnest($1::text[], $2::bytea[], $3::smallint[], $4::jsonb[], $5::bigint[], "
           "$6::timestamptz[], $7::timestamptz[], $8::timestamptz[]) "
           "AS u(ns, key, vt, meta, ver, exp, cr, up) "
           "WHERE t.ns = u.ns AND t.key = u.key"},
      {"dkv_delete",
       "DELETE FROM " + t + " WHERE (ns, key) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))"},
      {"dkv_delete_range", "DELETE FROM " + t + " WHERE ns = $1 AND key >= $2 AND key < $3"},
      {"dkv_delete_from", "DELETE FROM " + t + " WHERE ns = $1 AND key >= $2"},
      {"dkv_delete_ns", "DELETE FROM " + t + " WHERE ns = $1"},
      {"dkv_rename_ns", "UPDATE " + t + " SET ns = $2 WHERE ns = $1"},
      {"dkv_fetch",
       "SELECT key, value, version, (extract(epoch FROM updated_at) * 1000)::bigint FROM " + t +
           " WHERE ns = $1 AND key = ANY($2::bytea[])"},
  };
  for (const auto& [name, sql] : statements) {
    if (!PQsendPrepare(conn, name, sql.c_str(), 0, nullptr)) return false;
  }
  return true;
}

}  // namespace dkv::persistence::postgres
