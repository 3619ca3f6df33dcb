// Tracking (src/core/tracking.h): the table of tracked keys, BCAST prefixes and the invalidation
// messages. docs/client-tracking.md describes what a client sees.
#include "src/core/tracking.h"

#include <algorithm>

#include "resp/reply.h"
#include "src/core/server_hooks.h"

namespace dkv::server {

namespace {

constexpr std::string_view kChannel = "__redis__:invalidate";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// The longer of two overlapping prefixes (one starts with the other).
std::string_view Narrower(std::string_view a, std::string_view b) {
  return a.size() >= b.size() ? a : b;
}

// Every key a hierarchical glob matches starts with this (the bytes before its first special
// character). A shorter prefix than the pattern compiler's only invalidates more, which is safe.
std::string LiteralPrefix(std::string_view glob, bool nocase) {
  if (nocase) return "";
  size_t n = glob.find_first_of("*?[{\\");
  return std::string(glob.substr(0, n == std::string_view::npos ? glob.size() : n));
}

std::string CommonPrefix(const std::vector<std::string>& keys) {
  if (keys.empty()) return "";
  std::string_view p = keys.front();
  for (const std::string& k : keys) {
    size_t i = 0;
    while (i < p.size() && i < k.size() && p[i] == k[i]) ++i;
    p = p.substr(0, i);
  }
  return std::string(p);
}

void AddId(std::vector<uint64_t>* ids, uint64_t id) {
  if (std::find(ids->begin(), ids->end(), id) == ids->end()) ids->push_back(id);
}

}  // namespace

// --- state of one client ---

Tracking::ClientState* Tracking::StateOf(uint64_t id) {
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : &it->second;
}

const Tracking::ClientState* Tracking::StateOf(const Session& session) const {
  if (!session.tracking) return nullptr;
  auto it = states_.find(session.id);
  return it == states_.end() ? nullptr : &it->second;
}

uint64_t Tracking::Writer() const {
  return call_depth_ > 0 && current_ != nullptr ? current_->id : 0;
}

std::string Tracking::Enable(Session& session, const Options& o) {
  if (o.redirect != 0 && clients_->Find(o.redirect) == nullptr) {
    return "ERR The client ID you want redirect to does not exist";
  }
  if (!o.bcast && !o.prefixes.empty()) {
    return "ERR PREFIX option requires BCAST mode to be enabled";
  }
  ClientState* old = session.tracking ? StateOf(session.id) : nullptr;
  if (old != nullptr && old->bcast != o.bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast && (o.optin || o.optout)) {
    return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  }
  if (o.optin && o.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if (old != nullptr && ((o.optin && old->optout) || (o.optout && old->optin))) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast) {
    static const std::vector<std::string> kNone;
    const std::vector<std::string>& existing = old != nullptr ? old->prefixes : kNone;
    for (size_t i = 0; i < o.prefixes.size(); ++i) {
      const std::string& p = o.prefixes[i];
      for (const std::string& e : existing) {
        if (StartsWith(p, e) || StartsWith(e, p)) {
          return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + e +
                 "'. Prefixes for a single client must not overlap.";
        }
      }
      for (size_t j = i + 1; j < o.prefixes.size(); ++j) {
        const std::string& q = o.prefixes[j];
        if (StartsWith(p, q) || StartsWith(q, p)) {
          return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q +
                 "'. Prefixes for a single client must not overlap.";
        }
      }
    }
  }
  ClientState& st = states_[session.id];
  session.tracking = true;
  st.redirect = o.redirect;
  st.broken_redirect = false;
  st.bcast = o.bcast;
  st.optin = o.optin;
  st.optout = o.optout;
  st.noloop = o.noloop;
  if (o.bcast) {
    std::vector<std::string> add = o.prefixes;
    if (add.empty()) add.emplace_back();
    for (std::string& p : add) {
      Broadcast& b = broadcasts_[p];
      if (std::find(b.clients.begin(), b.clients.end(), session.id) != b.clients.end()) continue;
      b.clients.push_back(session.id);
      // Kept in byte order, as Redis' radix tree: overlap errors name the first match.
      st.prefixes.insert(std::lower_bound(st.prefixes.begin(), st.prefixes.end(), p), std::move(p));
    }
  }
  return "";
}

void Tracking::Disable(Session& session) {
  session.tracking = false;
  auto it = states_.find(session.id);
  if (it == states_.end()) return;
  for (const std::string& p : it->second.prefixes) {
    auto b = broadcasts_.find(p);
    if (b == broadcasts_.end()) continue;
    auto& ids = b->second.clients;
    ids.erase(std::remove(ids.begin(), ids.end(), session.id), ids.end());
    if (ids.empty()) broadcasts_.erase(b);
  }
  states_.erase(it);
  // Keys it read stay in the table until they change (Redis does not walk the table either).
}

void Tracking::Forget(Session* session) {
  Disable(*session);
  pending_.erase(session->id);
  if (current_ == session) current_ = nullptr;
}

std::string Tracking::Caching(Session& session, bool yes) {
  ClientState* st = session.tracking ? StateOf(session.id) : nullptr;
  if (st == nullptr) {
    return "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
           "OPTIN or OPTOUT mode enabled";
  }
  if (yes && !st->optin) {
    return "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
  }
  if (!yes && !st->optout) {
    return "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";
  }
  st->caching = true;
  return "";
}

int64_t Tracking::Redirect(const Session& session) const {
  const ClientState* st = StateOf(session);
  return st == nullptr ? -1 : static_cast<int64_t>(st->redirect);
}

std::vector<std::string_view> Tracking::Flags(const Session& session) const {
  const ClientState* st = StateOf(session);
  if (st == nullptr) return {"off"};
  std::vector<std::string_view> f{"on"};
  if (st->bcast) f.push_back("bcast");
  if (st->optin) {
    f.push_back("optin");
    if (st->caching) f.push_back("caching-yes");
  }
  if (st->optout) {
    f.push_back("optout");
    if (st->caching) f.push_back("caching-no");
  }
  if (st->noloop) f.push_back("noloop");
  if (st->broken_redirect) f.push_back("broken_redirect");
  return f;
}

std::vector<std::string> Tracking::Prefixes(const Session& session) const {
  const ClientState* st = StateOf(session);
  if (st == nullptr) return {};
  return st->prefixes;  // in byte order, as Redis lists them from its radix tree
}

std::string Tracking::ClientListFlags(const Session& session) const {
  const ClientState* st = StateOf(session);
  if (st == nullptr) return "";
  std::string f = "t";
  if (st->broken_redirect) f += 'R';
  if (st->bcast) f += 'B';
  return f;
}

size_t Tracking::client_count() const { return states_.size(); }
size_t Tracking::key_count() const { return key_count_; }
size_t Tracking::item_count() const { return item_count_; }
size_t Tracking::prefix_count() const { return broadcasts_.size(); }

// --- remembering reads ---

void Tracking::Remember(Table& table, std::string_view key, uint64_t id) {
  auto it = table.find(key);
  if (it == table.end()) {
    it = table.emplace(std::string(key), Ids{}).first;
    ++key_count_;
  }
  size_t before = it->second.size();
  AddId(&it->second, id);
  item_count_ += it->second.size() - before;
}

void Tracking::AfterCommand(Session& session, const CommandSpec& spec, Args argv) {
  // A script's commands are remembered for the client that runs the script (Redis 7.2).
  Session* client = session.script ? current_ : &session;
  if (client == nullptr || !client->tracking) return;
  if (!(spec.flags & kReadOnly) || (spec.flags & kPubSub)) return;
  // EVAL_RO, EVALSHA_RO, FCALL_RO: what their scripts read is remembered, not their KEYS.
  if (spec.group == "scripting") return;
  ClientState* st = StateOf(client->id);
  if (st == nullptr || st->bcast) return;
  if ((st->optin && !st->caching) || (st->optout && st->caching)) return;
  std::vector<KeyRef> refs;
  KeysOf(spec, argv, &refs);
  for (const KeyRef& r : refs) {
    Remember(keys_[session.db], argv[static_cast<size_t>(r.index)], client->id);
  }
  // Beyond Redis: a pattern read (KV.KEYS, KV.MGET, KV.COUNT, KV.EXPORT) tracks its literal
  // prefix: anything changing under it invalidates the client's copy of the result.
  if (refs.empty() && spec.group == "kv" && StartsWith(spec.syntax, "pattern") &&
      argv.size() >= 2) {
    bool nocase = false;
    for (size_t i = 2; i < argv.size(); ++i) {
      std::string_view a = argv[i];
      nocase = nocase || (a.size() == 6 && (a[0] | 0x20) == 'n' && (a[1] | 0x20) == 'o' &&
                          (a[2] | 0x20) == 'c' && (a[3] | 0x20) == 'a' && (a[4] | 0x20) == 's' &&
                          (a[5] | 0x20) == 'e');
    }
    Remember(patterns_[session.db], LiteralPrefix(argv[1], nocase), client->id);
  }
}

// --- invalidation ---

void Tracking::InvalidateEntry(Table& table, int db, Table::iterator it, bool prefix_entry,
                               uint64_t writer) {
  (void)db;
  Ids ids = std::move(it->second);
  std::string key = it->first;
  table.erase(it);
  --key_count_;
  item_count_ -= ids.size();
  for (uint64_t id : ids) {
    if (prefix_entry) {
      QueuePrefix(id, key, writer);
    } else {
      QueueKey(id, key, writer);
    }
  }
}

void Tracking::InvalidateKey(int db, std::string_view key, uint64_t writer, bool bcast) {
  if (bcast) {
    for (auto& [prefix, b] : broadcasts_) {
      if (!StartsWith(key, prefix)) continue;
      b.keys[{db, std::string(key)}] = writer;
      broadcast_pending_ = true;
    }
  }
  auto t = keys_.find(db);
  if (t != keys_.end()) {
    auto it = t->second.find(key);
    if (it != t->second.end()) InvalidateEntry(t->second, db, it, false, writer);
  }
  auto p = patterns_.find(db);
  if (p != patterns_.end() && !p->second.empty()) {
    // Every tracked pattern prefix that `key` starts with: at most one per length of `key`.
    for (size_t n = 0; n <= key.size(); ++n) {
      auto it = p->second.find(key.substr(0, n));
      if (it != p->second.end()) InvalidateEntry(p->second, db, it, true, writer);
    }
  }
}

void Tracking::OnKeyChanged(int db, std::string_view key, engine::ChangeKind kind) {
  if (states_.empty() && key_count_ == 0) return;
  // Expiry has no writer: NOLOOP clients hear of it too (Redis).
  InvalidateKey(db, key, kind == engine::ChangeKind::kExpired ? 0 : Writer(), true);
}

void Tracking::OnValueDropped(int db, std::string_view key) {
  if (states_.empty() && key_count_ == 0) return;
  InvalidateKey(db, key, 0, true);
}

void Tracking::OnPrefixDeleted(int db, std::string_view prefix) {
  if (states_.empty() && key_count_ == 0) return;
  const uint64_t writer = Writer();
  for (auto& [p, b] : broadcasts_) {
    if (!StartsWith(p, prefix) && !StartsWith(prefix, p)) continue;
    b.subtrees.emplace_back(db, std::string(Narrower(p, prefix)), writer);
    broadcast_pending_ = true;
  }
  // Default mode: every client that read a key under the prefix, or a pattern whose range
  // overlaps it, gets one prefix invalidation.
  std::map<uint64_t, bool> told;
  auto t = keys_.find(db);
  if (t != keys_.end()) {
    Table& table = t->second;
    for (auto it = table.lower_bound(prefix); it != table.end() && StartsWith(it->first, prefix);) {
      for (uint64_t id : it->second) told[id] = true;
      item_count_ -= it->second.size();
      --key_count_;
      it = table.erase(it);
    }
  }
  auto p = patterns_.find(db);
  if (p != patterns_.end()) {
    Table& table = p->second;
    for (auto it = table.begin(); it != table.end();) {
      if (!StartsWith(it->first, prefix) && !StartsWith(prefix, it->first)) {
        ++it;
        continue;
      }
      for (uint64_t id : it->second) told[id] = true;
      item_count_ -= it->second.size();
      --key_count_;
      it = table.erase(it);
    }
  }
  for (const auto& [id, unused] : told) QueuePrefix(id, prefix, writer);
}

void Tracking::OnFlush(engine::Database& db) {
  // Redis: every tracking client hears a null invalidation ("everything"), whatever database it
  // reads; the keys of that database are forgotten.
  for (auto* tables : {&keys_, &patterns_}) {
    auto t = tables->find(db.index());
    if (t == tables->end()) continue;
    for (const auto& [key, ids] : t->second) item_count_ -= ids.size();
    key_count_ -= t->second.size();
    tables->erase(t);
  }
  for (const auto& [id, st] : states_) QueueFlush(id);
}

void Tracking::OnSwapDatabases(engine::Database& a, engine::Database& b) {
  // Both databases' contents change at once: a client that read a key of either, and every
  // BCAST client, is told to drop everything (a null invalidation), and those keys are
  // forgotten.
  std::map<uint64_t, bool> told;
  for (auto* tables : {&keys_, &patterns_}) {
    for (int index : {a.index(), b.index()}) {
      auto t = tables->find(index);
      if (t == tables->end()) continue;
      for (const auto& [key, ids] : t->second) {
        item_count_ -= ids.size();
        for (uint64_t id : ids) told[id] = true;
      }
      key_count_ -= t->second.size();
      tables->erase(t);
    }
  }
  for (const auto& [id, st] : states_) {
    if (st.bcast) told[id] = true;
  }
  for (const auto& [id, unused] : told) QueueFlush(id);
}

// --- queueing and sending ---

void Tracking::QueueKey(uint64_t id, std::string_view key, uint64_t writer) {
  ClientState* st = StateOf(id);
  // A client that switched to BCAST is not told about keys it read before (Redis).
  if (st == nullptr || st->bcast) return;
  if (st->noloop && writer == id) return;
  if (call_depth_ > 0) {
    pending_[id].keys.emplace_back(key);
    return;
  }
  Send(id, Shape::kKeys, {std::string(key)});
}

void Tracking::QueuePrefix(uint64_t id, std::string_view prefix, uint64_t writer) {
  ClientState* st = StateOf(id);
  if (st == nullptr || st->bcast) return;
  if (st->noloop && writer == id) return;
  if (call_depth_ > 0) {
    pending_[id].prefixes.emplace_back(prefix);
    return;
  }
  Send(id, Shape::kPrefixes, {std::string(prefix)});
}

void Tracking::QueueFlush(uint64_t id) {
  if (call_depth_ > 0) {
    pending_[id].flush = true;
    return;
  }
  Send(id, Shape::kNull, {});
}

void Tracking::SendKeys(uint64_t id, std::vector<std::string> keys) {
  if (keys.size() > kCoalesceKeys) {
    Send(id, Shape::kPrefixes, {CommonPrefix(keys)});
    return;
  }
  for (std::string& k : keys) Send(id, Shape::kKeys, {std::move(k)});
}

void Tracking::FlushPending() {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    uint64_t id = it->first;
    Pending p = std::move(it->second);
    pending_.erase(it);
    if (!p.keys.empty()) SendKeys(id, std::move(p.keys));
    if (!p.prefixes.empty()) {
      std::sort(p.prefixes.begin(), p.prefixes.end());
      p.prefixes.erase(std::unique(p.prefixes.begin(), p.prefixes.end()), p.prefixes.end());
      Send(id, Shape::kPrefixes, p.prefixes);
    }
    if (p.flush) Send(id, Shape::kNull, {});
  }
}

void Tracking::Send(uint64_t id, Shape shape, const std::vector<std::string>& items) {
  Session* client = clients_->Find(id);
  ClientState* st = StateOf(id);
  if (client == nullptr || st == nullptr) return;
  if (st->redirect == 0) return Write(client, false, shape, items);
  Session* target = clients_->Find(st->redirect);
  if (target == nullptr) {
    // The redirect target is gone: a RESP3 client is told so (Redis' tracking-redir-broken).
    st->broken_redirect = true;
    if (client->protocol >= 3) {
      resp::ReplyBuilder r(client->out, 3);
      r.PushHeader(2);
      r.Bulk("tracking-redir-broken");
      r.Integer(static_cast<int64_t>(st->redirect));
      if (*hooks_ != nullptr) (*hooks_)->ScheduleFlush(client);
    }
    return;
  }
  Write(target, true, shape, items);
}

void Tracking::Write(Session* target, bool redirected, Shape shape,
                     const std::vector<std::string>& items) {
  if (target->out == nullptr) return;
  resp::ReplyBuilder r(target->out, target->protocol);
  const size_t extra = shape == Shape::kPrefixes ? 1 : 0;
  if (target->protocol >= 3) {
    r.PushHeader(2 + extra);
    r.Bulk("invalidate");
  } else if (redirected && target->subscriptions > 0) {
    // RESP2: a Pub/Sub message on __redis__:invalidate, to a client in Pub/Sub mode (Redis).
    r.ArrayHeader(3 + extra);
    r.Bulk("message");
    r.Bulk(kChannel);
  } else {
    return;  // RESP2 without redirection: nothing can be sent (Redis)
  }
  if (shape == Shape::kKeys) {
    r.ArrayHeader(items.size());
    for (const std::string& k : items) r.Bulk(k);
  } else {
    // A null: "drop everything" for any client; a prefix message adds the prefixes (each
    // followed by "**") as one more element, which clients that do not know it ignore.
    r.Null();
    if (shape == Shape::kPrefixes) {
      r.ArrayHeader(items.size());
      for (const std::string& p : items) r.Bulk(p + "**");
    }
  }
  if (*hooks_ != nullptr) (*hooks_)->ScheduleFlush(target);
}

void Tracking::FlushBroadcasts() {
  if (!broadcast_pending_) return;
  broadcast_pending_ = false;
  for (auto& [prefix, b] : broadcasts_) {
    if (b.keys.empty() && b.subtrees.empty()) continue;
    for (uint64_t id : b.clients) {
      ClientState* st = StateOf(id);
      Session* client = clients_->Find(id);
      if (st == nullptr || client == nullptr) continue;
      // Only the database the client has selected: a tenant never hears another namespace's
      // key names (Redis, without namespaces, sends every database's).
      std::vector<std::string> keys;
      for (const auto& [where, writer] : b.keys) {
        if (where.first == client->db && !(st->noloop && writer == id)) {
          keys.push_back(where.second);
        }
      }
      std::vector<std::string> subtrees;
      for (const auto& [db, sub, writer] : b.subtrees) {
        if (db == client->db && !(st->noloop && writer == id)) subtrees.push_back(sub);
      }
      if (keys.size() > kCoalesceKeys) {
        subtrees.push_back(CommonPrefix(keys));  // every key starts with `prefix`
        keys.clear();
      }
      if (!keys.empty()) Send(id, Shape::kKeys, keys);
      if (!subtrees.empty()) {
        std::sort(subtrees.begin(), subtrees.end());
        subtrees.erase(std::unique(subtrees.begin(), subtrees.end()), subtrees.end());
        Send(id, Shape::kPrefixes, subtrees);
      }
    }
    b.keys.clear();
    b.subtrees.clear();
  }
}

void Tracking::LimitKeys() {
  if (max_keys_ == 0 || key_count_ <= max_keys_) {
    limit_rounds_ = 0;
    return;
  }
  // As Redis: up to 100 keys per call, more on each call that still finds the table too large.
  size_t effort = 100 * (static_cast<size_t>(limit_rounds_) + 1);
  while (effort-- > 0 && key_count_ > max_keys_) {
    bool done = false;
    for (auto* tables : {&keys_, &patterns_}) {
      for (auto t = tables->begin(); t != tables->end() && !done;) {
        if (t->second.empty()) {
          t = tables->erase(t);
          continue;
        }
        InvalidateEntry(t->second, t->first, t->second.begin(), tables == &patterns_, 0);
        done = true;
      }
      if (done) break;
    }
    if (!done) break;
  }
  if (key_count_ <= max_keys_) {
    limit_rounds_ = 0;
  } else {
    ++limit_rounds_;
  }
}

void Tracking::BeforeSleep() {
  if (key_count_ > 0) LimitKeys();
  FlushBroadcasts();
}

// --- scopes ---

Tracking::CommandScope::CommandScope(Tracking& t, Session& session)
    : t_(t), session_(session), previous_(t.current_) {
  t_.current_ = &session;
  ++t_.execute_depth_;
  // Redis keeps the table within its bound before each command.
  if (t_.key_count_ > 0) t_.LimitKeys();
}

Tracking::CommandScope::~CommandScope() {
  // CLIENT CACHING applies to the next command (all of a transaction), as Redis.
  if (session_.tracking && !session_.in_multi && !StartsWith(session_.last_command, "client|")) {
    if (ClientState* st = t_.StateOf(session_.id)) st->caching = false;
  }
  if (--t_.execute_depth_ == 0 && t_.call_depth_ == 0) t_.FlushPending();
  t_.current_ = previous_;
}

Tracking::CallScope::~CallScope() {
  if (--t_.call_depth_ == 0 && t_.execute_depth_ == 0) t_.FlushPending();
}

}  // namespace dkv::server
