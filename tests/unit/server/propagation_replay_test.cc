// What the append-only log records replays to the same data: every write command's examples
// (write_examples.h, the table write_effects_test.cc keeps complete) run on one server with the
// Propagator's sink collecting, the collected commands run on a second server whose clock is
// later (a relative TTL logged as it was given would land elsewhere), and both keyspaces are
// compared: every namespace, key, type, value (DUMP), KV type, content type, user fields and
// absolute expiry, and the function libraries.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "propagation_support.h"
#include "write_examples.h"

using namespace dkv::server;

namespace {

using Commands = std::vector<std::vector<std::string>>;

// How much later the replay runs than the original.
constexpr int64_t kReplayLaterMs = 5000;

// Commands whose rewrites belong to the container helper (B2, "propagation-containers"): their
// examples are run and reported with BOOST_WARN only. B2 deletes each name here once its
// rewrite is in; a name whose examples replay correctly is reported so that it is removed.
const std::set<std::string> kContainerRewritesPending = {"xack", "xautoclaim", "xclaim",
                                                         "xgroup|createconsumer", "xreadgroup"};

// The payload of a RESP2 bulk reply ("" for nil).
std::string Bulk(const std::string& reply) {
  size_t eol = reply.find("\r\n");
  if (reply.empty() || reply[0] != '$' || eol == std::string::npos) return "";
  long long n = std::stoll(reply.substr(1, eol - 1));
  if (n < 0) return "";
  return reply.substr(eol + 2, static_cast<size_t>(n));
}

// The elements of a RESP2 array of bulk strings.
std::vector<std::string> BulkArray(const std::string& reply) {
  std::vector<std::string> out;
  std::string_view rest = reply;
  size_t eol = rest.find("\r\n");
  if (rest.empty() || rest[0] != '*' || eol == std::string_view::npos) return out;
  rest.remove_prefix(eol + 2);
  while (!rest.empty() && rest[0] == '$') {
    eol = rest.find("\r\n");
    size_t n = std::stoul(std::string(rest.substr(1, eol - 1)));
    out.emplace_back(rest.substr(eol + 2, n));
    rest.remove_prefix(eol + 2 + n + 2);
  }
  return out;
}

// Everything a replay must reproduce, as text (one line per key), namespace by namespace.
std::string Describe(CommandHarness& h, const std::vector<std::string>& names) {
  std::ostringstream out;
  const int probe = 7;  // a client of its own
  for (const std::string& name : names) {
    h.Run({"SELECT", name}, probe);
    std::vector<std::string> keys = BulkArray(h.Run({"KEYS", "*"}, probe));
    std::sort(keys.begin(), keys.end());
    if (keys.empty()) continue;
    out << "[" << name << "]\n";
    dkv::engine::Database& db = h.state.keyspace.db(h.session(probe).db);
    for (const std::string& key : keys) {
      out << key << " " << h.Run({"TYPE", key}, probe);
      out << " dump=" << Bulk(h.Run({"DUMP", key}, probe));
      out << " pexpiretime=" << h.Run({"PEXPIRETIME", key}, probe);
      if (const dkv::engine::Entry* e = db.Find(key)) {
        if (!e->container()) out << " kvtype=" << dkv::engine::ValueTypeName(e->type());
        out << " content_type=" << h.state.keyspace.content_types().Name(e->content_type());
        if (const dkv::engine::UserFields* fields = db.Fields(e)) {
          for (const auto& [f, v] : *fields) out << " field:" << f << "=" << v;
        }
      }
      out << "\n";
    }
  }
  out << "functions=" << h.Run({"FUNCTION", "LIST", "WITHCODE"}, probe);
  return out.str();
}

std::vector<std::string> NamespaceNames(CommandHarness& h) {
  std::vector<std::string> names;
  for (int i = 0; i < h.state.keyspace.database_count(); ++i) {
    names.push_back(h.state.keyspace.NamespaceName(i));
  }
  return names;
}

struct Outcome {
  bool same = false;
  std::string log;  // what was logged, readable
  std::string original, replayed;
};

// Runs `setup` then `command` with the log on, replays the log on a fresh server
// kReplayLaterMs later, and compares.
Outcome RunAndReplay(const Commands& setup, const std::vector<std::string>& command,
                     int64_t advance_ms) {
  CommandHarness original;
  std::string bytes;
  original.state.propagation.set_sink([&](std::string_view r) { bytes.append(r); });
  for (const auto& cmd : setup) {
    std::string r = original.Run(cmd);
    BOOST_REQUIRE_MESSAGE(r.empty() || r[0] != '-', "setup " << cmd[0] << ": " << r);
  }
  std::vector<std::string> args = command;
  for (std::string& a : args) {
    if (a == "<function-dump>") a = Bulk(original.Run({"FUNCTION", "DUMP"}));
    if (a.rfind("<dump:", 0) == 0) a = Bulk(original.Run({"DUMP", a.substr(6, a.size() - 7)}));
  }
  original.AdvanceMs(advance_ms);
  std::string reply = original.Run(args);
  BOOST_TEST_REQUIRE((reply.empty() || reply[0] != '-'), command[0] << " replied " << reply);
  original.state.propagation.set_sink(nullptr);

  CommandHarness replay;
  replay.clock.SetMs(original.clock.NowMs() + kReplayLaterMs);
  Outcome out;
  for (const auto& cmd : testing::ParseRespCommands(bytes)) {
    for (const auto& a : cmd) out.log += a + " ";
    out.log += "\n";
    std::string r = replay.Run(cmd);
    BOOST_TEST((r.empty() || r[0] != '-'), "replaying " << cmd[0] << ": " << r);
  }
  // Both at the same time for the comparison (no example's TTL ends within kReplayLaterMs).
  original.AdvanceMs(kReplayLaterMs);
  std::vector<std::string> names = NamespaceNames(original);
  out.original = Describe(original, names);
  out.replayed = Describe(replay, names);
  out.same = out.original == out.replayed;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(propagation_replay)

BOOST_AUTO_TEST_CASE(every_write_example_replays_to_the_same_data) {
  for (const CommandSpec& spec : CommandTable()) {
    if (!(spec.flags & kWrite)) continue;
    const std::string name(spec.name);
    auto it = testing::WriteExamples().find(name);
    if (it == testing::WriteExamples().end()) continue;  // write_effects_test reports it
    const bool pending = kContainerRewritesPending.count(name) > 0;
    bool all_same = true;
    for (size_t i = 0; i < it->second.size(); ++i) {
      const testing::Example& ex = it->second[i];
      BOOST_TEST_CONTEXT(name << " example " << i) {
        Outcome o = RunAndReplay(ex.setup, ex.args, ex.advance_ms);
        all_same = all_same && o.same;
        if (pending) {
          BOOST_WARN_MESSAGE(o.same, name << " (B2's) does not replay yet; log:\n" << o.log);
        } else {
          BOOST_TEST(o.same, "log:\n"
                                 << o.log << "original:\n"
                                 << o.original << "replayed:\n"
                                 << o.replayed);
        }
      }
    }
    BOOST_TEST(!(pending && all_same),
               name << " replays correctly: remove it from kContainerRewritesPending");
  }
}

// The same commands inside MULTI/EXEC and a script: one transaction in the log, same data.
BOOST_AUTO_TEST_CASE(transactions_and_scripts_replay) {
  Outcome o = RunAndReplay({{"SET", "a", "1"},
                            {"MULTI"},
                            {"SET", "b", "2", "EX", "100"},
                            {"INCRBYFLOAT", "a", "0.1"},
                            {"SELECT", "ns1"},
                            {"SETEX", "c", "100", "v"},
                            {"EXEC"},
                            {"EVAL",
                             "redis.call('set','d','1','px','100000') redis.call('select','ns2') "
                             "redis.call('expire','d2', 10) redis.call('set','e','v','ex','50') "
                             "redis.call('select','3') redis.call('incrbyfloat','f','2.5')",
                             "0"}},
                           {"EXPIRE", "a", "300"}, 0);
  BOOST_TEST(o.same, "log:\n"
                         << o.log << "original:\n"
                         << o.original << "replayed:\n"
                         << o.replayed);
}

// The rewrites with the options the examples do not all reach: relative times everywhere, GET,
// conditions, times already past, KV metadata.
BOOST_AUTO_TEST_CASE(rewritten_commands_replay) {
  struct Case {
    Commands setup;
    std::vector<std::string> command;
  };
  const std::vector<Case> cases = {
      {{}, {"SET", "k", "v", "EX", "100", "NX"}},
      {{{"SET", "k", "old", "PX", "90000"}}, {"SET", "k", "v", "GET", "KEEPTTL"}},
      {{{"SET", "k", "old"}}, {"SET", "k", "v", "XX", "GET", "PX", "100000"}},
      {{{"SET", "k", "old"}}, {"SET", "k", "v", "IFEQ", "old", "EX", "70"}},
      {{}, {"SET", "k", "v", "EXAT", "1700000200"}},
      {{}, {"PSETEX", "k", "80000", "v"}},
      {{}, {"MSETEX", "2", "a", "1", "b", "2", "PX", "100000", "NX"}},
      {{{"SET", "k", "v"}}, {"GETEX", "k", "PX", "100000"}},
      {{{"SET", "k", "v"}}, {"GETEX", "k", "EXAT", "1"}},
      {{{"SET", "k", "v", "EX", "100"}}, {"GETEX", "k", "PERSIST"}},
      {{{"SET", "k", "v"}}, {"EXPIRE", "k", "100", "NX"}},
      {{{"SET", "k", "v", "EX", "50"}}, {"PEXPIRE", "k", "100000", "GT"}},
      {{{"SET", "k", "v"}}, {"EXPIREAT", "k", "1700000300"}},
      {{{"SET", "k", "v"}}, {"EXPIRE", "k", "-1"}},
      {{{"SET", "k", "v"}}, {"PEXPIREAT", "k", "1"}},
      {{{"SET", "k", "1.5"}}, {"INCRBYFLOAT", "k", "0.1"}},
      {{{"SET", "dump-source", "v"}, {"SET", "k", "old"}},
       {"RESTORE", "k", "100000", "<dump:dump-source>", "REPLACE"}},
      {{{"SET", "dump-source", "v"}, {"SET", "k", "old"}},
       {"RESTORE", "k", "100000", "<dump:dump-source>", "REPLACE", "IDLETIME", "5"}},
      {{{"SET", "a", "1"}, {"SELECT", "1"}, {"SET", "b", "2"}}, {"FLUSHALL", "ASYNC"}},
      {{{"SET", "a", "1"}}, {"FLUSHDB", "SYNC"}},
      {{},
       {"KV.SET", "a.b", "{\"x\":1}", "TYPE", "json", "META", "content_type", "application/json",
        "owner", "ann", "EX", "100", "NX"}},
      {{{"KV.SET", "a.b", "1", "TYPE", "number"}}, {"KV.SET", "a.b", "2", "XX", "KEEPTTL"}},
      {{{"KV.SET", "a.b", "1"}}, {"KV.SET", "a.b", "3", "IFVERSION", "1", "PX", "100000"}},
      {{{"KV.SET", "a.b", "1", "TYPE", "number"}}, {"KV.CAS", "a.b", "1", "2", "EX", "100"}},
      {{}, {"KV.IMPORT", "app", "{\"x\":{\"y\":1,\"z\":\"s\"}}", "EX", "100"}},
      {{{"KV.SET", "a.b.c", "1"}, {"KV.SET", "a.b.d", "2"}, {"KV.SET", "a.c", "3"}},
       {"KV.DEL", "a.b.*"}},
      {{{"SELECT", "app"}, {"SET", "k", "v"}}, {"SWAPDB", "0", "1"}},
      {{{"SELECT", "5"}, {"SET", "k", "v"}, {"EXPIRE", "k", "100"}}, {"MOVE", "k", "2"}},
      {{{"SET", "k", "v", "EX", "100"}}, {"COPY", "k", "k2", "DB", "3"}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.command[0] << " " << (c.command.size() > 1 ? c.command[1] : "")) {
      Outcome o = RunAndReplay(c.setup, c.command, 0);
      BOOST_TEST(o.same, "log:\n"
                             << o.log << "original:\n"
                             << o.original << "replayed:\n"
                             << o.replayed);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
