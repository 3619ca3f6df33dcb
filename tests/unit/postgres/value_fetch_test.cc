// ValueFetcher's bookkeeping without a PostgreSQL server: pins, requests that time out while the
// reader is down, and the rule that drops a cold key PostgreSQL has no row for only when
// nothing has touched it since it was asked for.
#include "persistence/postgres/value_fetch.h"

#include <boost/test/unit_test.hpp>

#include "engine/clock.h"
#include "engine/keyspace.h"
#include "persistence/postgres/connection.h"
#include "tests/unit/postgres/fake_loop.h"

using dkv::engine::EntryMeta;
using dkv::engine::FakeClock;
using dkv::engine::Keyspace;
using dkv::persistence::postgres::LogLevel;
using dkv::persistence::postgres::PgBackendId;
using dkv::persistence::postgres::PgConn;
using dkv::persistence::postgres::PostgresStatus;
using dkv::persistence::postgres::ValueFetcher;
using dkv::persistence::postgres::WriteQueue;
using dkv::persistence::postgres::testing::FakeEventLoop;
using dkv::persistence::postgres::testing::RecordingHost;

namespace {

struct NullListener : PgConn::Listener {
  void OnConnError(const std::string&, bool) override {}
  void OnLostInFlight(const PgBackendId&) override {}
  void OnReady() override {}
};

struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, 16};
  FakeEventLoop loop;
  RecordingHost host;
  WriteQueue queue;
  PostgresStatus status;
  ValueFetcher fetcher{&loop, &host, &ks, &queue, &status};
  NullListener listener;
  // Never connected: not ready.
  PgConn reader{&loop, &host, &listener, "r", "host=127.0.0.1 port=1", "\"t\""};

  void AddCold(int db, const std::string& key, uint32_t version = 3) {
    EntryMeta meta;
    meta.version = version;
    meta.created_ms = meta.updated_ms = meta.accessed_ms = clock.NowMs();
    ks.db(db).RestoreCold(key, 10, meta);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(value_fetch, Fixture)

BOOST_AUTO_TEST_CASE(pins_count_owners) {
  fetcher.Pin(1, 0, "a");
  fetcher.Pin(2, 0, "a");
  fetcher.Pin(2, 3, "b");
  BOOST_TEST(fetcher.Pinned(0, "a"));
  BOOST_TEST(fetcher.Pinned(3, "b"));
  BOOST_TEST(!fetcher.Pinned(3, "a"));
  fetcher.ReleasePins(1);
  BOOST_TEST(fetcher.Pinned(0, "a"));  // owner 2 still holds it
  fetcher.ForgetOwner(2);
  BOOST_TEST(!fetcher.Pinned(0, "a"));
  BOOST_TEST(!fetcher.Pinned(3, "b"));
  fetcher.PinForCommand({{5, "c"}});
  BOOST_TEST(fetcher.Pinned(5, "c"));
  fetcher.PinForCommand({});
  BOOST_TEST(!fetcher.Pinned(5, "c"));
}

BOOST_AUTO_TEST_CASE(requests_fail_after_five_seconds_without_a_reader) {
  AddCold(0, "a");
  int woken = 0;
  fetcher.set_on_fetch([&] { ++woken; });
  status.last_error = "connection r: refused";
  uint64_t first = fetcher.Request({{0, "a"}}, 7);
  loop.Advance(1000);
  uint64_t second = fetcher.Request({{0, "a"}}, 8);
  BOOST_TEST(first != second);
  BOOST_TEST(!fetcher.FetchDone(first));
  BOOST_TEST(!fetcher.FetchDone(12345));  // never asked
  loop.Advance(ValueFetcher::kFetchWaitMs - 1000);
  fetcher.Send(&reader);
  BOOST_TEST(!fetcher.FetchDone(first));  // exactly five seconds: still waiting
  BOOST_TEST(woken == 0);
  loop.Advance(1);
  fetcher.Send(&reader);
  BOOST_TEST(fetcher.FetchDone(first));
  BOOST_TEST(!fetcher.FetchDone(second));
  BOOST_TEST(fetcher.FetchError(first) == "PostgreSQL is unreachable (connection r: refused)");
  BOOST_TEST(woken == 1);
  BOOST_TEST(status.fetch_errors == 1u);
  loop.Advance(1000);
  fetcher.Send(&reader);
  BOOST_TEST(fetcher.FetchDone(second));
  BOOST_TEST(woken == 2);
  BOOST_TEST(ks.db(0).FindRaw("a") != nullptr);  // a failed read drops nothing
}

BOOST_AUTO_TEST_CASE(a_cold_key_without_a_row_is_dropped_only_if_untouched) {
  for (const char* k : {"gone", "found", "pinned", "dirty", "rewritten"}) AddCold(0, k);
  std::vector<dkv::persistence::postgres::DbKey> keys = {
      {0, "gone"}, {0, "found"}, {0, "pinned"}, {0, "dirty"}, {0, "rewritten"}};
  uint64_t id = fetcher.Request(keys, 9);
  ValueFetcher::Fetch f{id, keys, {}, loop.NowMs(), 9};
  for (size_t i = 0; i < keys.size(); ++i) f.states.emplace_back(3, clock.NowMs());
  fetcher.Pin(4, 0, "pinned");
  queue.KeyChanged(0, "dirty", loop.NowMs());
  f.states[4].first = 2;  // asked for at version 2; it is at 3 now
  fetcher.FinishFetch(f, /*ok=*/true, "", {{0, {"found"}}});
  BOOST_TEST(fetcher.FetchDone(id));
  BOOST_TEST(fetcher.FetchError(id).empty());
  BOOST_TEST(ks.db(0).FindRaw("gone") == nullptr);
  for (const char* k : {"found", "pinned", "dirty", "rewritten"}) {
    BOOST_TEST(ks.db(0).FindRaw(k) != nullptr, k);
  }
  BOOST_TEST(host.Count(LogLevel::kWarning, "no row for key 'gone'") == 1u);
  BOOST_TEST(host.lines.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
