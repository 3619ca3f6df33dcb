// The statements of one write batch: namespace operations first (range deletes, the three
// renames of a SWAPDB), then each key's current state as multi-row array statements in
// PostgreSQL's binary format (an upsert of every column; for a cold key, whose value only
// PostgreSQL holds, an update of the metadata; a delete for keys that are gone), in chunks of
// kChunkRows rows or kChunkBytes bytes. Reads the keyspace as it is now (a big container's value
// may come built ahead: PrebuiltValues); borrows everything.
// Loop thread only.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "engine/keyspace.h"
#include "persistence/postgres/write_queue.h"

typedef struct pg_conn PGconn;

namespace dkv::persistence::postgres {

// The row's meta column: content type, user fields (in order), raw encoding, access time, LFU.
std::string MetaJson(engine::Keyspace& ks, const engine::Database& db, const engine::Entry& e);

// Portable forms built ahead, in steps (engine/portable_builder.h), of big containers of a batch:
// (namespace index, key) -> the value column of its row, after ArrayParam::kSingleHeadroom bytes
// of room for the array header (the row is sent alone and its value is not copied again).
using PrebuiltValues = std::map<std::pair<int, std::string>, std::string, std::less<>>;

// Queues the statements of `batch` on `conn` (pipeline mode; the caller ends the job) and adds
// the bytes of keys and values sent to batch->bytes. A container found in `prebuilt` (may be
// null) sends that value (moved out) instead of serializing it now. Returns false when one
// could not be queued.
bool SendBatch(PGconn* conn, engine::Keyspace& ks, WriteQueue::Batch* batch,
               PrebuiltValues* prebuilt = nullptr);

}  // namespace dkv::persistence::postgres
