// Loader::LoadRow on rows built by hand with libpq's result constructors (no server): binary
// columns, metadata JSON, expiry, the cache tier's cold entries, keys already present, and the
// namespace limit.
#include "persistence/postgres/loader.h"

#include <libpq-fe.h>

#include <boost/test/unit_test.hpp>
#include <vector>

#include "engine/clock.h"
#include "engine/container.h"
#include "engine/hash_ops.h"
#include "engine/set_ops.h"
#include "persistence/postgres/pg_wire.h"
#include "tests/unit/postgres/fake_loop.h"

using dkv::engine::FakeClock;
using dkv::engine::Keyspace;
using dkv::persistence::postgres::Loader;
using dkv::persistence::postgres::Options;
using dkv::persistence::postgres::PostgresStatus;
using dkv::persistence::postgres::PutBigEndian;
using dkv::persistence::postgres::testing::FakeEventLoop;
using dkv::persistence::postgres::testing::RecordingHost;

namespace {

std::string Int(uint64_t v, int len) {
  std::string s;
  PutBigEndian(&s, v, len);
  return s;
}

// One single-row result as the load query returns it (binary).
struct Row {
  std::string ns = "0", key, value, meta = "{}";
  int16_t type = 0, kind = 0;
  int64_t version = 1, expires_ms = 0, created_ms = 1'700'000'000'000,
          updated_ms = 1'700'000'001'000;

  PGresult* Make() const {
    PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_SINGLE_TUPLE);
    const char* names[] = {"ns",      "key", "value", "value_type", "meta",
                           "version", "exp", "cr",    "up",         "kind"};
    PGresAttDesc attrs[10] = {};
    for (int i = 0; i < 10; ++i) {
      attrs[i].name = const_cast<char*>(names[i]);
      attrs[i].format = 1;
    }
    PQsetResultAttrs(r, 10, attrs);
    std::string cols[] = {ns,
                          key,
                          value,
                          Int(static_cast<uint16_t>(type), 2),
                          meta,
                          Int(static_cast<uint64_t>(version), 8),
                          Int(static_cast<uint64_t>(expires_ms), 8),
                          Int(static_cast<uint64_t>(created_ms), 8),
                          Int(static_cast<uint64_t>(updated_ms), 8),
                          Int(static_cast<uint16_t>(kind), 2)};
    for (int i = 0; i < 10; ++i) {
      PQsetvalue(r, 0, i, cols[i].data(), static_cast<int>(cols[i].size()));
    }
    return r;
  }
};

struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  FakeEventLoop loop;
  RecordingHost host;
  PostgresStatus status;
  Options options;

  void Load(Loader& loader, const Row& row) {
    PGresult* r = row.Make();
    loader.LoadRow(r);
    PQclear(r);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(loader, Fixture)

BOOST_AUTO_TEST_CASE(a_row_restores_value_and_metadata) {
  Loader loader(&loop, &host, &ks, options, &status);
  Row row;
  row.ns = "tenant7";
  row.key = std::string("app\0user", 8);
  row.value = "hello";
  row.version = 42;
  row.expires_ms = clock.NowMs() + 60000;
  row.meta = R"({"content_type":"text/plain","fields":{"owner":"ann","team":"x"},"raw":true,)"
             R"("accessed_at":1700000002000,"lfu":9})";
  Load(loader, row);
  BOOST_TEST(loader.row_error().empty());
  BOOST_TEST(status.keys_loaded == 1u);
  int index = ks.FindOrCreateNamespace("tenant7", 16);
  const dkv::engine::Database& db = ks.db(index);
  const dkv::engine::Entry* e = db.FindRaw(row.key);
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value() == "hello");
  BOOST_TEST(e->version() == 42u);
  BOOST_TEST(e->updated_ms() == row.updated_ms);
  BOOST_TEST(e->accessed_ms() == 1'700'000'002'000);
  BOOST_TEST(e->lfu_counter() == 9);
  BOOST_TEST(e->raw_encoding());
  BOOST_TEST(ks.content_types().Name(e->content_type()) == "text/plain");
  BOOST_TEST(db.ExpireAt(e) == row.expires_ms);
  const dkv::engine::UserFields* fields = db.Fields(e);
  BOOST_REQUIRE(fields != nullptr);
  BOOST_REQUIRE(fields->size() == 2u);
  BOOST_TEST((*fields)[0].first == "owner");
  BOOST_TEST((*fields)[1].second == "x");
}

BOOST_AUTO_TEST_CASE(the_cache_tier_loads_sizes_not_values) {
  options.cache_tier = true;
  Loader loader(&loop, &host, &ks, options, &status);
  Row row;
  row.key = "big";
  row.value = Int(123456, 8);  // octet_length(value)
  Load(loader, row);
  const dkv::engine::Entry* e = ks.db(0).FindRaw("big");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->cold());
  BOOST_TEST(e->value_size() == 123456u);
}

BOOST_AUTO_TEST_CASE(a_key_already_present_is_left_alone) {
  Loader loader(&loop, &host, &ks, options, &status);
  ks.db(0).Upsert("k", "in memory");
  Row row;
  row.key = "k";
  row.value = "from the table";
  Load(loader, row);
  BOOST_TEST(ks.db(0).FindRaw("k")->value() == "in memory");
  BOOST_TEST(status.keys_loaded == 0u);
}

BOOST_AUTO_TEST_CASE(a_namespace_past_the_limit_fails_the_load) {
  options.max_namespaces = 17;  // the 16 numbered namespaces and one more
  Loader loader(&loop, &host, &ks, options, &status);
  Row row;
  row.key = "k";
  for (const char* ns : {"a", "b"}) {
    row.ns = ns;
    Load(loader, row);
  }
  BOOST_TEST(loader.row_error() == "namespace 'b' does not fit this server");
  BOOST_TEST(!loader.loading());
  BOOST_TEST(status.keys_loaded == 1u);  // a's row
  BOOST_TEST(!loader.failed());          // the load fails at its end (the query must finish first)
}

// A container's portable form: tag, count, then length-prefixed items (engine/container.h).
std::string Portable(dkv::engine::Encoding tag, const std::vector<std::string>& items) {
  std::string out(1, static_cast<char>(tag));
  out.push_back(static_cast<char>(items.size()));  // < 128: one varint byte
  for (const std::string& item : items) {
    out.push_back(static_cast<char>(item.size()));
    out += item;
  }
  return out;
}

BOOST_AUTO_TEST_CASE(container_rows_load_as_containers) {
  Loader loader(&loop, &host, &ks, options, &status);
  Row row;
  row.key = "h";
  row.kind = static_cast<int16_t>(dkv::engine::Kind::kHash);
  row.value = Portable(dkv::engine::Encoding::kHashPacked, {"f1", "v1", "f2", "v2"});
  row.expires_ms = clock.NowMs() + 60000;
  row.meta = R"({"fields":{"owner":"ann"}})";
  Load(loader, row);
  row.key = "s";
  row.kind = static_cast<int16_t>(dkv::engine::Kind::kSet);
  row.value = Portable(dkv::engine::Encoding::kSetPacked, {"a", "b", "c"});
  Load(loader, row);
  BOOST_TEST(loader.row_error().empty());
  dkv::engine::Database& db = ks.db(0);
  const dkv::engine::Entry* h = db.FindRaw("h");
  BOOST_REQUIRE(h != nullptr);
  BOOST_TEST((h->kind() == dkv::engine::Kind::kHash));
  BOOST_TEST(dkv::engine::HashLen(h) == 2u);
  std::string_view v;
  BOOST_TEST(dkv::engine::HashGet(h, "f2", &v));
  BOOST_TEST(v == "v2");
  BOOST_TEST(db.ExpireAt(h) == row.expires_ms);
  BOOST_REQUIRE(db.Fields(h) != nullptr);
  BOOST_TEST(dkv::engine::SetLen(db.FindRaw("s")) == 3u);
}

BOOST_AUTO_TEST_CASE(cold_container_rows_fill_from_their_portable_form) {
  options.cache_tier = true;
  Loader loader(&loop, &host, &ks, options, &status);
  Row row;
  row.key = "s";
  row.kind = static_cast<int16_t>(dkv::engine::Kind::kSet);
  std::string portable = Portable(dkv::engine::Encoding::kSetPacked, {"x", "y"});
  row.value = Int(portable.size(), 8);
  Load(loader, row);
  dkv::engine::Database& db = ks.db(0);
  dkv::engine::Entry* e = db.FindRaw("s");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->cold());
  BOOST_TEST((e->kind() == dkv::engine::Kind::kSet));
  e = db.FillValue(e, portable);
  BOOST_TEST(!e->cold());
  BOOST_TEST(dkv::engine::SetContains(e, "y"));
}

BOOST_AUTO_TEST_CASE(a_damaged_container_row_or_an_unknown_kind_fails_the_load) {
  Loader loader(&loop, &host, &ks, options, &status);
  Row row;
  row.key = "h";
  row.kind = static_cast<int16_t>(dkv::engine::Kind::kHash);
  row.value = Portable(dkv::engine::Encoding::kHashPacked, {"f", "1", "f", "2"});  // repeated
  Load(loader, row);
  BOOST_TEST(loader.row_error().find("key 'h' in namespace '0' holds a damaged hash") !=
             std::string::npos);
  BOOST_TEST(ks.db(0).FindRaw("h") == nullptr);
  Loader other(&loop, &host, &ks, options, &status);
  row.key = "l";
  row.kind = 6;  // no such kind
  Load(other, row);
  BOOST_TEST(other.row_error().find("has kind 6, which this server does not know") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
