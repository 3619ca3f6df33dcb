// The PostgreSQL backend's schema: the table of keys and its version table, created when
// missing and checked at start (blocking: the loop is not serving yet), and the statements every
// pool connection prepares. docs/persistence.md, Schema, describes the table. Functions only;
// the caller owns the connection.
#pragma once

#include <string>

#include "persistence/postgres/host.h"

typedef struct pg_conn PGconn;

// A backend's start time in pg_stat_activity, as microseconds: with its pid, what names it.
#define DKV_BACKEND_START_US "(extract(epoch FROM backend_start) * 1000000)::bigint"

namespace dkv::persistence::postgres {

// 2 added the column `kind` (0 a string, 1 a hash, 2 a set: engine::Kind), whose rows hold a
// container's portable form. A version 1 table is upgraded at start (the column, default 0:
// every old row stays a string), which needs the right to ALTER it.
constexpr int kSchemaVersion = 2;

// The table's name as an SQL identifier (quoted; the config accepts letters, digits and '_').
std::string QuotedTable(const std::string& table);

// Connects with postgres.dsn, blocking; with startup_wait, retries every second until it works.
// Returns "" and sets *conn, or the error that stops the start.
std::string ConnectAtStart(const Options& options, Host& host, PGconn** conn);

// Creates the table and its version table when missing, upgrades a version 1 table, then checks
// the version and the unique key on (ns, key) that the upsert needs. Blocking. Returns "" or why
// the table cannot be used.
std::string CreateSchema(PGconn* conn, const std::string& table);

// Queues the prepared statements of a pool connection (pipeline mode). Returns false when they
// could not be queued.
bool SendPrepares(PGconn* conn, const std::string& quoted_table);

}  // namespace dkv::persistence::postgres
