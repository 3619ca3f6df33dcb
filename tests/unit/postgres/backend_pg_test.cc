// PostgresBackend end to end on the fake loop, against a real PostgreSQL server (DKV_PG_DSN;
// the cases pass without checking anything when it is not set): the load, a batch committed
// and read back by a second backend, a subtree delete, and the cache tier's value read.
#include <libpq-fe.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "engine/clock.h"
#include "engine/keyspace.h"
#include "persistence/postgres/postgres_backend.h"
#include "tests/unit/postgres/fake_loop.h"

using dkv::engine::ChangeKind;
using dkv::engine::Keyspace;
using dkv::engine::SystemClock;
using dkv::persistence::postgres::Options;
using dkv::persistence::postgres::PostgresBackend;
using dkv::persistence::postgres::testing::FakeEventLoop;
using dkv::persistence::postgres::testing::RecordingHost;

namespace {

const char* Dsn() { return std::getenv("DKV_PG_DSN"); }

// One table per test process, dropped at the end.
struct PgFixture {
  std::string table = "pgunit_" + std::to_string(getpid());
  SystemClock clock;

  ~PgFixture() {
    if (Dsn() == nullptr) return;
    Sql("DROP TABLE IF EXISTS " + table + ", " + table + "_schema");
  }
  // Runs `sql` on a connection of its own; the first column of the first row, or "".
  std::string Sql(const std::string& sql) {
    PGconn* c = PQconnectdb(Dsn());
    PGresult* r = PQexec(c, sql.c_str());
    std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0
                          ? std::string(PQgetvalue(r, 0, 0))
                          : "";
    PQclear(r);
    PQfinish(c);
    return out;
  }
  Options MakeOptions(bool cache_tier = false) {
    Options o;
    o.dsn = Dsn();
    o.table = table;
    o.pool_size = 2;
    o.cache_tier = cache_tier;
    return o;
  }
};

// Runs the fake loop on real sockets (and its time on the real clock) until `done`, calling
// MaybeFlush every iteration as the server does; about 10 s at most.
template <typename F>
bool Drive(FakeEventLoop& loop, PostgresBackend& pg, F done) {
  SystemClock clock;
  for (int i = 0; i < 2000 && !done(); ++i) {
    loop.PollOnce(5);
    loop.Advance(clock.NowUs() / 1000 - loop.NowMs() > 0 ? clock.NowUs() / 1000 - loop.NowMs() : 0);
    pg.MaybeFlush();
  }
  return done();
}

struct Server {
  FakeEventLoop loop;
  RecordingHost host;
  Keyspace ks;
  PostgresBackend pg;
  Server(PgFixture& f, bool cache_tier, bool sync)
      : ks(&f.clock, 16), pg(&loop, &host, &ks, f.MakeOptions(cache_tier)) {
    loop.now_us = f.clock.NowUs();
    host.t.sync = sync;
  }
  bool Start() {
    std::string err = pg.Start();
    BOOST_TEST(err.empty(), err);
    // Both writers of the pool ready (the load is over then).
    bool ok = err.empty() && Drive(loop, pg, [&] { return pg.connections_ready() == 2; });
    for (const auto& [level, line] : host.lines) BOOST_TEST_MESSAGE(line);
    return ok;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(backend_pg, PgFixture)

BOOST_AUTO_TEST_CASE(writes_commit_and_load_again) {
  if (Dsn() == nullptr) {
    BOOST_TEST_MESSAGE("DKV_PG_DSN is not set: skipped");
    return;
  }
  {
    Server s(*this, /*cache_tier=*/false, /*sync=*/true);
    BOOST_REQUIRE(s.Start());
    BOOST_TEST((s.host.loading_changes == std::vector<bool>{true, false}));
    BOOST_TEST(s.pg.CanCommit());
    s.ks.db(0).Upsert("app.a", "one");
    s.pg.OnKeyChanged(0, "app.a", ChangeKind::kWrite);
    s.ks.db(0).Upsert("app.b", "two");
    s.pg.OnKeyChanged(0, "app.b", ChangeKind::kWrite);
    s.ks.db(3).Upsert("other", "three");
    s.pg.OnKeyChanged(3, "other", ChangeKind::kWrite);
    BOOST_TEST(!s.pg.IsClean(0, "app.a"));
    BOOST_TEST(s.pg.durable() < s.pg.change_count());
    BOOST_REQUIRE(Drive(s.loop, s.pg, [&] { return s.pg.Idle(); }));
    BOOST_TEST(s.pg.durable() == s.pg.change_count());
    BOOST_TEST(s.pg.IsClean(0, "app.a"));
    BOOST_TEST(s.pg.status().keys_committed == 3u);
    BOOST_TEST(Sql("SELECT convert_from(value, 'UTF8') FROM " + table +
                   " WHERE ns = '0' AND key = 'app.b'") == "two");
    // A subtree delete is one statement, whatever the keys.
    s.ks.db(0).Erase(s.ks.db(0).FindRaw("app.a"));
    s.ks.db(0).Erase(s.ks.db(0).FindRaw("app.b"));
    s.pg.OnPrefixDeleted(0, "app.");
    BOOST_REQUIRE(Drive(s.loop, s.pg, [&] { return s.pg.Idle(); }));
    BOOST_TEST(Sql("SELECT count(*) FROM " + table) == "1");
  }
  Server again(*this, /*cache_tier=*/false, /*sync=*/false);
  BOOST_REQUIRE(again.Start());
  BOOST_TEST(again.pg.status().keys_loaded == 1u);
  const dkv::engine::Entry* e = again.ks.db(3).FindRaw("other");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value() == "three");
}

BOOST_AUTO_TEST_CASE(the_cache_tier_reads_values_back) {
  if (Dsn() == nullptr) {
    BOOST_TEST_MESSAGE("DKV_PG_DSN is not set: skipped");
    return;
  }
  {
    Server s(*this, /*cache_tier=*/false, /*sync=*/true);
    BOOST_REQUIRE(s.Start());
    s.ks.db(1).Upsert("cold", std::string(1000, 'v'));
    s.pg.OnKeyChanged(1, "cold", ChangeKind::kWrite);
    BOOST_REQUIRE(Drive(s.loop, s.pg, [&] { return s.pg.Idle(); }));
  }
  Server s(*this, /*cache_tier=*/true, /*sync=*/false);
  BOOST_REQUIRE(s.Start());
  dkv::engine::Entry* e = s.ks.db(1).FindRaw("cold");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->cold());
  BOOST_TEST(e->value_size() == 1000u);
  int woken = 0;
  s.pg.set_on_fetch([&] { ++woken; });
  uint64_t id = s.pg.RequestValues({{1, "cold"}, {1, "missing"}}, 5);
  BOOST_REQUIRE(Drive(s.loop, s.pg, [&] { return s.pg.FetchDone(id); }));
  BOOST_TEST(s.pg.FetchError(id).empty());
  BOOST_TEST(woken == 1);
  e = s.ks.db(1).FindRaw("cold");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(!e->cold());
  BOOST_TEST(e->value() == std::string(1000, 'v'));
  BOOST_TEST(!s.pg.IsClean(1, "cold"));  // pinned for client 5 until its command ran
  s.pg.ReleasePins(5);
  BOOST_TEST(s.pg.IsClean(1, "cold"));
  BOOST_TEST(s.pg.status().values_fetched == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
