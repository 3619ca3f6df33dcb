#include "persistence/postgres/value_fetch.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "persistence/postgres/connection.h"
#include "persistence/postgres/pg_wire.h"

namespace dkv::persistence::postgres {

void ValueFetcher::ForgetOwner(uint64_t owner) {
  ReleasePins(owner);
  for (Fetch& f : queue_fetches_) {
    if (f.owner == owner) f.owner = 0;
  }
  for (Fetch& f : sent_) {
    if (f.owner == owner) f.owner = 0;
  }
}

void ValueFetcher::Pin(uint64_t owner, int db, std::string_view key) {
  size_t i = static_cast<size_t>(db);
  if (pin_counts_.size() <= i) pin_counts_.resize(i + 1);
  pin_counts_[i][std::string(key)]++;
  pins_by_owner_[owner].emplace_back(db, key);
}

void ValueFetcher::ReleasePins(uint64_t owner) {
  auto it = pins_by_owner_.find(owner);
  if (it == pins_by_owner_.end()) return;
  for (const auto& [db, key] : it->second) {
    auto& counts = pin_counts_[static_cast<size_t>(db)];
    auto c = counts.find(key);
    if (c != counts.end() && --c->second <= 0) counts.erase(c);
  }
  pins_by_owner_.erase(it);
}

bool ValueFetcher::Pinned(int db, std::string_view key) const {
  for (const auto& [pin_db, pin_key] : command_pins_) {
    if (pin_db == db && pin_key == key) return true;
  }
  size_t i = static_cast<size_t>(db);
  return i < pin_counts_.size() && !pin_counts_[i].empty() &&
         pin_counts_[i].find(key) != pin_counts_[i].end();
}

uint64_t ValueFetcher::Request(std::vector<DbKey> keys, uint64_t owner) {
  uint64_t id = next_id_++;
  // The state each key had when asked for: a missing row drops the key only if it still has it.
  std::vector<std::pair<uint32_t, int64_t>> states;
  for (const auto& [db, k] : keys) {
    engine::Entry* e = keyspace_->db(db).FindRaw(k);
    states.emplace_back(e ? e->version() : 0, e ? e->updated_ms() : 0);
  }
  queue_fetches_.push_back({id, std::move(keys), std::move(states), loop_->NowMs(), owner});
  pending_.insert(id);
  return id;  // sent before the loop waits again (Send), with the others of this round
}

bool ValueFetcher::FetchDone(uint64_t id) const { return id < next_id_ && pending_.count(id) == 0; }

std::string ValueFetcher::FetchError(uint64_t id) const {
  auto it = errors_.find(id);
  return it == errors_.end() ? "" : it->second;
}

void ValueFetcher::Send(PgConn* reader) {
  if (reader == nullptr) return;
  // A SWAPDB moves rows between namespaces: reads wait until the swaps queued or in flight have
  // committed, so that a row is read under the namespace that holds it now.
  bool swaps = queue_->SwapPending();
  if (!reader->ready() || swaps) {
    // Reads of values in memory go on meanwhile.
    int64_t now = loop_->NowMs();
    bool failed = false;
    while (!queue_fetches_.empty() && now - queue_fetches_.front().queued_ms > kFetchWaitMs) {
      Fetch f = std::move(queue_fetches_.front());
      queue_fetches_.pop_front();
      FinishFetch(f, false,
                  reader->ready() ? "a SWAPDB has not committed yet"
                                  : "PostgreSQL is unreachable (" + status_->last_error + ")",
                  {});  // nothing found
      failed = true;
    }
    if (failed && on_fetch_) on_fetch_();
    return;
  }
  // One read at a time, carrying every request queued meanwhile (one statement per namespace):
  // under load the requests of many clients share one round trip, as writes share a commit.
  if (!sent_.empty() || queue_fetches_.empty()) return;
  engine::Keyspace& ks = *keyspace_;
  sent_ = std::move(queue_fetches_);
  queue_fetches_.clear();
  std::map<int, std::vector<std::string>> by_db;
  struct Round {
    std::vector<int> dbs;  // the namespace of each statement, in order
    size_t next = 0;
    Found found;
    std::map<std::pair<int, std::string>, std::vector<uint64_t>> owners;
    uint64_t swaps = 0;
  };
  auto round = std::make_shared<Round>();
  round->swaps = swaps_;
  for (const Fetch& f : sent_) {
    for (const auto& [db, k] : f.keys) {
      by_db[db].push_back(k);
      round->owners[{db, k}].push_back(f.owner);
    }
  }
  bool sent = true;
  for (auto& [db, keys] : by_db) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    ArrayParam array(kByteaOid);
    for (const std::string& k : keys) array.Add(k);
    std::string ns = ks.NamespaceName(db);
    std::string bytes = array.Take();
    const char* values[2] = {ns.c_str(), bytes.data()};
    int lengths[2] = {static_cast<int>(ns.size()), static_cast<int>(bytes.size())};
    int formats[2] = {0, 1};
    sent = sent && PQsendQueryPrepared(reader->pg(), "dkv_fetch", 2, values, lengths, formats, 1);
    round->dbs.push_back(db);
  }
  status_->fetches++;
  PgConn::Job job;
  job.on_result = [this, round](PGresult* r) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK || round->next >= round->dbs.size()) return;
    if (round->swaps != swaps_) return;  // the namespaces moved since: read again
    int index = round->dbs[round->next++];
    engine::Database& db = keyspace_->db(index);
    std::unordered_set<std::string>& found = round->found[index];
    for (int row = 0; row < PQntuples(r); ++row) {
      std::string_view key(PQgetvalue(r, row, 0), static_cast<size_t>(PQgetlength(r, row, 0)));
      std::string_view value(PQgetvalue(r, row, 1), static_cast<size_t>(PQgetlength(r, row, 1)));
      uint64_t version = ReadBigEndian(PQgetvalue(r, row, 2), 8);
      int64_t updated = static_cast<int64_t>(ReadBigEndian(PQgetvalue(r, row, 3), 8));
      found.emplace(key);
      engine::Entry* e = db.FindRaw(key);
      // Only the state the entry has: a key written (or re-created and dropped again) since
      // the request keeps its own value. (Compared as the entry stores them: 32-bit versions,
      // times clamped to the metadata epoch.)
      if (e == nullptr || !e->cold() || e->version() != static_cast<uint32_t>(version) ||
          e->updated_ms() != std::max(updated, engine::kMetaEpochMs)) {
        continue;
      }
      db.FillValue(e, value);
      status_->values_fetched++;
      // Kept for the clients that asked until their commands have run.
      auto owners = round->owners.find({index, std::string(key)});
      if (owners != round->owners.end()) {
        for (uint64_t owner : owners->second) {
          if (owner != 0) Pin(owner, index, key);
        }
      }
    }
  };
  job.on_done = [this, round, reader](bool ok, const std::string& error) {
    std::deque<Fetch> done = std::move(sent_);
    sent_.clear();
    if ((!ok && error.rfind("connection lost", 0) == 0) || (ok && round->swaps != swaps_)) {
      // Sent again once the reader is back (in order, before newer requests).
      int64_t now = loop_->NowMs();
      for (auto it = done.rbegin(); it != done.rend(); ++it) {
        it->queued_ms = now;
        queue_fetches_.push_front(std::move(*it));
      }
      return;
    }
    for (Fetch& f : done) FinishFetch(f, ok, error, round->found);
    if (on_fetch_) on_fetch_();
    Send(reader);  // what was queued meanwhile
  };
  reader->EndJob(std::move(job), sent);
}

void ValueFetcher::FinishFetch(Fetch& f, bool ok, const std::string& error, const Found& found) {
  pending_.erase(f.id);
  if (!ok) {
    status_->fetch_errors++;
    errors_[f.id] = error;
    while (errors_.size() > 1024) errors_.erase(errors_.begin());
    return;
  }
  // A cold key without a row: the row was deleted behind dkv's back. The key goes (it has no
  // value to serve), and the log says so.
  for (size_t i = 0; i < f.keys.size(); ++i) {
    const auto& [index, key] = f.keys[i];
    auto rows = found.find(index);
    if (rows != found.end() && rows->second.count(key) != 0) continue;
    engine::Database& db = keyspace_->db(index);
    engine::Entry* e = db.FindRaw(key);
    if (e == nullptr || !e->cold() || Pinned(index, key) || queue_->Pending(index, key) ||
        e->version() != f.states[i].first || e->updated_ms() != f.states[i].second) {
      continue;
    }
    Logf(*host_, LogLevel::kWarning,
         "PostgreSQL has no row for key '%s' whose value it held; key dropped", key.c_str());
    db.Erase(e);
    db.Touch(key, engine::ChangeKind::kDelete);
  }
}

}  // namespace dkv::persistence::postgres
