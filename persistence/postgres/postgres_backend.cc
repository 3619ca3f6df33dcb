#include "persistence/postgres/postgres_backend.h"

#include <libpq-fe.h>

#include <algorithm>

#include "engine/keyspace.h"
#include "persistence/postgres/batch_sql.h"
#include "persistence/postgres/loader.h"
#include "persistence/postgres/pg_wire.h"
#include "persistence/postgres/schema.h"

namespace dkv::persistence::postgres {

PostgresBackend::PostgresBackend(EventLoop* loop, Host* host, engine::Keyspace* keyspace,
                                 Options options)
    : loop_(loop),
      host_(host),
      keyspace_(keyspace),
      options_(std::move(options)),
      fetcher_(loop, host, keyspace, &queue_, &status_) {}

PostgresBackend::~PostgresBackend() {
  loader_.reset();
  writers_.clear();
  reader_.reset();
  timer_.reset();
  prepare_timer_.reset();
}

bool PostgresBackend::CanCommit() const {
  return loader_ != nullptr && !loader_->loading() && !loader_->failed() && !writers_.empty();
}

bool PostgresBackend::QueueFull() const {
  return static_cast<int64_t>(queued()) >= host_->tunables().queue_bound;
}

bool PostgresBackend::connected() const {
  if (writers_.empty()) return loader_ != nullptr && loader_->connected();  // still loading
  return connections_ready() > 0;
}

int PostgresBackend::connections_ready() const {
  int n = 0;
  for (const auto& w : writers_) n += w->ready() ? 1 : 0;
  return n;
}

bool PostgresBackend::TierActive() const {
  return engine::Database::cold_entries() > 0 || host_->tunables().eviction_on;
}

std::string PostgresBackend::Start() {
  int64_t start_us = loop_->NowUs();
  PGconn* conn = nullptr;
  if (std::string err = ConnectAtStart(options_, *host_, &conn); !err.empty()) return err;
  loader_ = std::make_unique<Loader>(loop_, host_, keyspace_, options_, &status_);
  if (std::string err = CreateSchema(conn, options_.table); !err.empty()) {
    PQfinish(conn);
    return "PostgreSQL: " + err;
  }
  // The rows stream in on the loop once the port is open; until they are all in, commands get
  // -LOADING.
  if (std::string err = loader_->Start(conn, start_us, [this] { StartPool(); }); !err.empty()) {
    return "PostgreSQL: loading the rows: " + err;
  }
  timer_ = loop_->NewTimer([this] { MaybeFlush(); });
  int64_t period = std::max<int64_t>(1, host_->tunables().flush_interval_ms);
  timer_->Start(period, period);
  return "";
}

void PostgresBackend::StartPool() {
  const int64_t n = std::max<int64_t>(1, options_.pool_size);
  const std::string table = QuotedTable(options_.table);
  PgConn::Listener* listener = this;
  for (int64_t i = 0; i < n; ++i) {
    writers_.push_back(std::make_unique<PgConn>(loop_, host_, listener, "w" + std::to_string(i + 1),
                                                options_.dsn, table));
    writers_.back()->set_fences_on_loss();
  }
  queue_.set_slots(writers_.size());
  reader_ = std::make_unique<PgConn>(loop_, host_, listener, "r", options_.dsn, table);
  for (auto& w : writers_) w->Connect();
  reader_->Connect();
}

void PostgresBackend::OnConnError(const std::string& why, bool log) {
  if (log) Logf(*host_, LogLevel::kWarning, "PostgreSQL %s", why.c_str());
  status_.errors++;
  status_.last_error = why;
}

// --- observing the keyspace ---

void PostgresBackend::OnKeyChanged(int db, std::string_view key, engine::ChangeKind) {
  queue_.KeyChanged(db, key, loop_->NowMs());
}

void PostgresBackend::OnPrefixDeleted(int db, std::string_view prefix) {
  queue_.PrefixDeleted(keyspace_->NamespaceName(db), prefix, loop_->NowMs());
}

void PostgresBackend::OnSwapDatabases(engine::Database& da, engine::Database& db) {
  int a = da.index(), b = db.index();
  queue_.Swapped(a, b, keyspace_->NamespaceName(a), keyspace_->NamespaceName(b), loop_->NowMs());
  fetcher_.OnSwap();
}

bool PostgresBackend::WriterFree(size_t w) const {
  return writers_[w]->ready() && !queue_.SlotBusy(w);
}

// --- fences: a lost writer's backend must end before anything is written again ---

void PostgresBackend::OnLostInFlight(const PgBackendId& backend) {
  Logf(*host_, LogLevel::kWarning,
       "PostgreSQL: backend %s lost with a batch in flight; no batch is sent until it has ended",
       backend.pid.c_str());
  fences_.push_back(backend);
}

bool PostgresBackend::FencesClear() {
  if (fences_.empty()) return true;
  if (fence_checking_ || loop_->NowMs() < fence_check_at_ms_) return false;
  // The backend is asked to end, and the fence holds until it is no longer in pg_stat_activity:
  // its transaction has then committed or rolled back for good, and a batch sent after that
  // cannot be overtaken by it. (A backend waiting on a lock or a disk keeps running after its
  // client is gone.) pid and start together: a pid can be reused.
  size_t w = 0;
  while (w < writers_.size() && !WriterFree(w)) ++w;
  if (w == writers_.size()) return false;
  // Every fence in one query; ids are digits only.
  std::string ids = "{";
  for (const PgBackendId& f : fences_) {
    ids += (ids.size() > 1 ? "," : "") + f.pid + "/" + f.start_us;
  }
  ids += "}";
  const char* values[1] = {ids.c_str()};
  PGconn* conn = writers_[w]->pg();
  bool sent =
      PQsendQueryParams(conn,
                        "SELECT pid, " DKV_BACKEND_START_US
                        ", pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid::text || "
                        "'/' || " DKV_BACKEND_START_US " = ANY($1::text[])",
                        1, nullptr, values, nullptr, nullptr, 0) == 1;
  fence_checking_ = true;
  auto alive = std::make_shared<std::vector<PgBackendId>>();
  PgConn::Job job;
  job.on_result = [alive](PGresult* r) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return;
    for (int i = 0; i < PQntuples(r); ++i) {
      alive->push_back({PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)});
    }
  };
  job.on_done = [this, alive](bool ok, const std::string& error) {
    fence_checking_ = false;
    if (!ok) {
      OnConnError("ending the backends of lost connections: " + error, /*log=*/true);
      fence_check_at_ms_ = loop_->NowMs() + retry_.backoff_ms();
      return;
    }
    std::erase_if(fences_, [&](const PgBackendId& f) {
      bool gone = std::find(alive->begin(), alive->end(), f) == alive->end();
      if (gone) Logf(*host_, LogLevel::kNotice, "PostgreSQL: backend %s has ended", f.pid.c_str());
      return gone;
    });
    // Asked to end: looked at again shortly.
    fence_check_at_ms_ = fences_.empty() ? 0 : loop_->NowMs() + kFenceRecheckMs;
    MaybeFlush();
  };
  writers_[w]->EndJob(std::move(job), sent);
  return false;
}

// --- batches ---

void PostgresBackend::MaybeFlush() {
  const Tunables t = host_->tunables();
  for (auto& w : writers_) {
    if (draining_) w->ReconnectWithin(RetryBackoff::kDrainRetryMs);
    w->Tick(t.response_timeout_ms);
  }
  if (reader_ != nullptr) {
    reader_->Tick(t.response_timeout_ms);
    fetcher_.Send(reader_.get());
  }
  if (!CanCommit()) return;
  if (!FencesClear()) return;
  if (queue_.Empty()) return;
  int64_t now = loop_->NowMs();
  if (now < retry_.retry_at_ms()) return;  // after a failed batch
  if (!queue_.Due(now, t, flush_soon_ || draining_)) return;
  flush_soon_ = false;
  // A further connection takes a batch only when the one in flight is slow (a remote server, a
  // long fsync) or much is queued: each transaction costs PostgreSQL CPU, and while commits are
  // fast one connection with bigger batches commits more per second (measured: scripts/bench).
  constexpr int64_t kOverlapAfterUs = 2000;
  constexpr size_t kOverlapQueue = 512;
  const int64_t now_us = loop_->NowUs();
  for (size_t w = 0; w < writers_.size(); ++w) {
    if (queue_.Empty()) return;
    if (!WriterFree(w)) continue;
    bool overlap_ok = queue_.dirty_count() >= kOverlapQueue;
    bool in_flight = false;
    for (size_t b = 0; b < queue_.slots(); ++b) {
      if (!queue_.SlotBusy(b)) continue;
      in_flight = true;
      overlap_ok = overlap_ok || now_us - queue_.batch(b).started_us >= kOverlapAfterUs;
    }
    if (in_flight && !overlap_ok) return;
    StartBatch(w);
  }
}

void PostgresBackend::StartBatch(size_t w, bool sliced) {
  keyspace_->RefreshTime();
  size_t limit = sync() ? SIZE_MAX : static_cast<size_t>(host_->tunables().batch_size);
  WriteQueue::Batch* batch = queue_.Take(w, limit, loop_->NowMs());
  if (batch == nullptr) return;
  if (sliced) {
    // A big container's row is built in slices, one per loop iteration, before the batch goes
    // (a 1,000,000-field hash would otherwise hold the loop for its whole serialization).
    if (prepared_.size() < writers_.size()) prepared_.resize(writers_.size());
    std::vector<Prepared>& big = prepared_[w];
    for (const auto& [index, key] : batch->keys) {
      engine::Database& db = keyspace_->db(index);
      engine::Entry* e = db.FindRaw(key);
      if (e == nullptr || db.IsExpired(e) || !e->container() || e->cold()) continue;
      if (engine::PortableBuilder::Elements(e) <= engine::PortableBuilder::kSliceAbove) continue;
      Prepared p;
      p.db = index;
      p.key = key;
      p.builder = std::make_unique<engine::PortableBuilder>(e, ArrayParam::kSingleHeadroom);
      big.push_back(std::move(p));
    }
    if (!big.empty()) {
      ContinuePrepared(kSliceElements);
      return;
    }
  }
  SendTaken(w, nullptr);
}

void PostgresBackend::ContinuePrepared(size_t budget) {
  // A key written while its value is being built starts over; after this many restarts it is
  // built in one go, so that a key written on every iteration still reaches PostgreSQL.
  constexpr int kMaxRestarts = 3;
  bool more = false;
  for (size_t w = 0; w < prepared_.size(); ++w) {
    std::vector<Prepared>& big = prepared_[w];
    if (big.empty()) continue;
    bool ready = true;
    for (Prepared& p : big) {
      engine::Database& db = keyspace_->db(p.db);
      engine::Entry* e = db.FindRaw(p.key);
      if (e == nullptr || db.IsExpired(e) || !e->container() || e->cold()) {
        p.built = false;  // SendBatch writes what the key is then (a delete, a metadata update)
        p.builder.reset();
        continue;
      }
      if (p.builder == nullptr || !p.builder->Unchanged(e)) {
        // Changed since the walk began (or since it ended): the row must be one state.
        if (++p.restarts > kMaxRestarts) {
          p.builder = std::make_unique<engine::PortableBuilder>(e, ArrayParam::kSingleHeadroom);
          p.builder->Step(e, SIZE_MAX);
          p.value = p.builder->Take();  // the builder stays, to check the key at the send
          p.built = true;
          continue;
        }
        if (p.builder != nullptr) status_.slice_restarts++;
        p.builder = std::make_unique<engine::PortableBuilder>(e, ArrayParam::kSingleHeadroom);
        p.built = false;
      }
      if (p.built) continue;
      if (budget == 0) {
        ready = false;
        continue;
      }
      size_t step = budget;
      budget = 0;
      if (p.builder->Step(e, step)) {
        p.value = p.builder->Take();
        p.built = true;
        status_.rows_built_in_slices++;
      } else {
        ready = false;
      }
    }
    if (!ready) {
      more = true;
      continue;
    }
    PrebuiltValues values;
    for (Prepared& p : big) {
      if (p.built) values.emplace(std::pair<int, std::string>(p.db, p.key), std::move(p.value));
    }
    big.clear();
    SendTaken(w, &values);
  }
  if (more) {
    if (prepare_timer_ == nullptr) {
      prepare_timer_ = loop_->NewTimer([this] { ContinuePrepared(kSliceElements); });
    }
    // 1 ms, not 0: libuv (1.44) runs a timer re-armed with 0 from its own callback again in the
    // same pass over the timers, before polling, so every slice of a big row ran back to back
    // and the loop answered nobody until the row was whole (measured: a 434 ms stretch without
    // a poll for one change of a 1M-field hash). A 1 ms timer is due only after the poll.
    prepare_timer_->Start(1, 0);
  }
}

void PostgresBackend::SendTaken(size_t w, PrebuiltValues* prebuilt) {
  WriteQueue::Batch* batch = queue_.mutable_batch(w);
  if (!writers_[w]->ready()) {
    // The connection went while the batch was prepared: it goes back in the queue.
    queue_.Failed(w, loop_->NowMs());
    retry_.Failed(loop_->NowMs(), draining_);
    return;
  }
  bool sent = SendBatch(writers_[w]->pg(), *keyspace_, batch, prebuilt);
  batch->started_us = loop_->NowUs();
  PgConn::Job job;
  job.on_done = [this, w](bool ok, const std::string& error) { FinishBatch(w, ok, error); };
  // A statement that never left cannot be committed: the connection is reset and the whole
  // batch goes back in the queue (EndJob fails the job).
  writers_[w]->EndJob(std::move(job), sent);
}

void PostgresBackend::FinishBatch(size_t w, bool ok, const std::string& error) {
  if (!queue_.SlotBusy(w)) return;
  const WriteQueue::Batch& batch = queue_.batch(w);
  if (batch.bytes >= kRecycleBytes) writers_[w]->RecycleWhenIdle();
  if (!ok) {
    // The transaction rolled back: everything it carried goes back in the queue.
    status_.errors++;
    status_.last_error = error;
    Logf(*host_, LogLevel::kWarning, "PostgreSQL batch failed, retrying: %s", error.c_str());
    queue_.Failed(w, loop_->NowMs());
    // Back off before the retry (100 ms doubling to 10 s): a failing batch must not spin.
    retry_.Failed(loop_->NowMs(), draining_);
    return;
  }
  retry_.Succeeded();
  status_.batches_committed++;
  status_.keys_committed += batch.keys.size();
  status_.last_commit_ms = loop_->NowMs();
  status_.last_commit_latency_us = loop_->NowUs() - batch.started_us;
  queue_.Committed(w);
  if (on_commit_) on_commit_();
  MaybeFlush();
}

bool PostgresBackend::FlushBlocking(int64_t timeout_ms) {
  // Still loading (or the load failed): nothing was written but expiries, which the next start
  // finds again.
  if (!CanCommit()) return queue_.Empty();
  // Gives up after timeout_ms without a commit (a long queue takes as long as it commits).
  int64_t deadline = loop_->NowMs() + timeout_ms;
  uint64_t progress = durable();
  retry_.RetryBy(0);
  while (loop_->NowMs() < deadline) {
    if (Idle()) return true;
    ContinuePrepared(SIZE_MAX);  // a batch taken before the exit: built whole now
    for (size_t w = 0; w < writers_.size() && FencesClear(); ++w) {
      if (WriterFree(w) && !queue_.Empty()) StartBatch(w, /*sliced=*/false);
    }
    for (auto& w : writers_) w->DriveBlocking(20);
    if (durable() != progress) {
      progress = durable();
      deadline = loop_->NowMs() + timeout_ms;
    }
  }
  return Idle();
}

void PostgresBackend::set_draining(bool on) {
  draining_ = on;
  if (on) retry_.RetryBy(loop_->NowMs() + RetryBackoff::kDrainRetryMs);
}

}  // namespace dkv::persistence::postgres
