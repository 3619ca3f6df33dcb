// The server's names for the PostgreSQL backend, which lives in persistence/postgres/ (see
// persistence/postgres/postgres_backend.h): src/ code says PostgresBackend, PostgresStatus and
// DbKey. The server owns the backend with the UvEventLoop and the PostgresHost it runs on
// (src/net/server_loop.cc). Loop thread only.
#pragma once

#include "persistence/postgres/postgres_backend.h"

namespace dkv::server {

using persistence::postgres::DbKey;
using persistence::postgres::PgBackendId;
using persistence::postgres::PostgresBackend;
using persistence::postgres::PostgresStatus;

}  // namespace dkv::server
