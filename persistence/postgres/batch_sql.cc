#include "persistence/postgres/batch_sql.h"

#include <libpq-fe.h>

#include <nlohmann/json.hpp>

#include "engine/container.h"
#include "persistence/postgres/pg_wire.h"

namespace dkv::persistence::postgres {
namespace {

// The arrays of one multi-row statement over key states: the upsert (every column) or, for keys
// whose value is in PostgreSQL only, the metadata update (every column but the value).
class RowArrays {
 public:
  explicit RowArrays(bool with_value)
      : with_value_(with_value), statement_(with_value ? "dkv_upsert" : "dkv_update_meta") {}
  size_t count() const { return ns_.count(); }
  bool Full() const {
    return value_.bytes() + key_.bytes() >= kChunkBytes || ns_.count() >= kChunkRows;
  }
  // Returns the bytes of the value added (0 for the metadata update).
  size_t Add(engine::Keyspace& ks, const engine::Database& db, const std::string& ns,
             std::string_view key, const engine::Entry& e, std::string* prebuilt) {
    size_t value_bytes = 0;
    ns_.Add(ns);
    key_.Add(key);
    if (with_value_) {
      // A container's row holds its portable form, never the entry's bytes (which may be a
      // pointer). Serialize is O(elements); the dirty set coalesces changes, so a key is
      // serialized once per batch however often it changed (docs/persistence.md).
      if (e.container() && prebuilt != nullptr) {
        // Built ahead with the array's header room: the row goes alone, its value uncopied.
        value_bytes = prebuilt->size() - ArrayParam::kSingleHeadroom;
        value_.AdoptSingle(std::move(*prebuilt));
      } else if (e.container()) {
        std::string portable = engine::Serialize(&e);
        value_bytes = portable.size();
        value_.Add(portable);
      } else {
        value_bytes = e.value_size();
        value_.Add(e.value());
      }
      kind_.AddInt16(static_cast<int16_t>(e.kind()));
    }
    type_.AddInt16(static_cast<int16_t>(e.type()));
    meta_.AddJsonb(MetaJson(ks, db, e));
    version_.AddInt64(e.version());
    expires_.AddTimestamp(db.ExpireAt(&e));
    created_.AddTimestamp(e.created_ms());
    updated_.AddTimestamp(e.updated_ms());
    return value_bytes;
  }
  // Sends what was added (nothing when empty); false when it could not be queued.
  bool Send(PGconn* conn) {
    if (ns_.count() == 0) return true;
    ArrayParam* all[] = {&ns_,      &key_,     &value_,   &type_,    &meta_,
                         &version_, &expires_, &created_, &updated_, &kind_};
    ArrayParam* without_value[] = {&ns_,      &key_,     &type_,    &meta_,
                                   &version_, &expires_, &created_, &updated_};
    return with_value_ ? SendArrays(conn, statement_, all, 10)
                       : SendArrays(conn, statement_, without_value, 8);
  }

 private:
  bool with_value_;
  const char* statement_;
  ArrayParam ns_{kTextOid}, key_{kByteaOid}, value_{kByteaOid}, type_{kInt2Oid}, meta_{kJsonbOid},
      version_{kInt8Oid}, expires_{kTimestamptzOid}, created_{kTimestamptzOid},
      updated_{kTimestamptzOid}, kind_{kInt2Oid};
};

}  // namespace

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
  // Omitted when it equals updated_at (a write just made): the load reads it from there.
  if (e.accessed_ms() != e.updated_ms()) meta["accessed_at"] = e.accessed_ms();
  if (e.lfu_counter() != engine::kLfuInitialValue) meta["lfu"] = e.lfu_counter();
  // Invalid UTF-8 in a field cannot be stored in jsonb: it is replaced (documented).
  return meta.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool SendBatch(PGconn* conn, engine::Keyspace& ks, WriteQueue::Batch* batch,
               PrebuiltValues* prebuilt) {
  bool sent = true;
  for (const WriteQueue::NsOp& op : batch->ops) {
    if (op.kind == WriteQueue::NsOp::kSwap) {
      // Three renames, through a name no namespace can have: (ns, key) stays unique throughout.
      static const std::string kTmp = "~swap~";
      const std::pair<const std::string*, const std::string*> steps[] = {
          {&op.ns, &kTmp}, {&op.ns2, &op.ns}, {&kTmp, &op.ns2}};
      for (const auto& [from, to] : steps) {
        const char* values[2] = {from->c_str(), to->c_str()};
        sent = sent && PQsendQueryPrepared(conn, "dkv_rename_ns", 2, values, nullptr, nullptr, 1);
      }
      continue;
    }
    std::string end = PrefixEnd(op.prefix);
    const char* values[3] = {op.ns.c_str(), op.prefix.data(), end.data()};
    int lengths[3] = {static_cast<int>(op.ns.size()), static_cast<int>(op.prefix.size()),
                      static_cast<int>(end.size())};
    int formats[3] = {0, 1, 1};
    const char* name = op.prefix.empty() ? "dkv_delete_ns"
                       : end.empty()     ? "dkv_delete_from"
                                         : "dkv_delete_range";
    int n = op.prefix.empty() ? 1 : end.empty() ? 2 : 3;
    sent = sent && PQsendQueryPrepared(conn, name, n, values, lengths, formats, 1);
  }
  // Key writes go as arrays: one multi-row upsert and one multi-row delete per chunk, in
  // PostgreSQL's binary array format (far cheaper for PostgreSQL than a statement per row).
  RowArrays upserts(/*with_value=*/true), meta_updates(/*with_value=*/false);
  ArrayParam ns_del(kTextOid), key_del(kByteaOid);
  auto send_deletes = [&] {
    if (ns_del.count() == 0) return;
    ArrayParam* params[] = {&ns_del, &key_del};
    sent = sent && SendArrays(conn, "dkv_delete", params, 2);
  };
  for (const auto& [index, key] : batch->keys) {
    engine::Database& db = ks.db(index);
    const std::string& ns = ks.NamespaceName(index);
    engine::Entry* e = db.FindRaw(key);
    if (e != nullptr && !db.IsExpired(e)) {
      // A cold key's row holds its value: only the metadata changed.
      RowArrays& rows = e->cold() ? meta_updates : upserts;
      if (prebuilt != nullptr && !e->cold() && e->container()) {
        auto it = prebuilt->find(std::pair<int, std::string>(index, key));
        if (it != prebuilt->end()) {
          RowArrays single(/*with_value=*/true);
          batch->bytes += key.size() + single.Add(ks, db, ns, key, *e, &it->second);
          sent = sent && single.Send(conn);
          continue;
        }
      }
      batch->bytes += key.size() + rows.Add(ks, db, ns, key, *e, nullptr);
      if (rows.Full()) sent = sent && rows.Send(conn);
    } else {
      ns_del.Add(ns);
      key_del.Add(key);
      if (key_del.bytes() >= kChunkBytes || ns_del.count() >= kChunkRows) send_deletes();
    }
  }
  sent = sent && upserts.Send(conn);
  sent = sent && meta_updates.Send(conn);
  send_deletes();
  return sent;
}

}  // namespace dkv::persistence::postgres
