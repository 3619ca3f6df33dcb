// /metrics text and the HTTP handler, without sockets. The text is parsed back by a strict parser
// of Prometheus' text exposition format (version 0.0.4) written here: every line must be a
// HELP, a TYPE or a sample; a family's HELP and TYPE come once, before its samples, and its samples
// are contiguous; names and label names follow the grammar; label values are escaped UTF-8;
// counters end in _total; histogram buckets are cumulative, end in +Inf and match _count.
#include "src/http/metrics.h"

#include <uv.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"
#include "src/http/http_server.h"

using namespace dkv::server;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, std::string> help;
  std::vector<Sample> samples;
  std::string error;  // the first violation, "" when the text is valid
};

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// The family a sample belongs to (histogram series carry suffixes).
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) {
      std::string base = name.substr(0, name.size() - n);
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

Parsed ParseExposition(const std::string& text) {
  Parsed p;
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  std::set<std::string> finished;  // families whose samples are over
  std::string current;
  auto fail = [&](const std::string& why, const std::string& line) {
    if (p.error.empty()) p.error = why + ": " + line;
  };
  if (!ValidUtf8(text)) fail("not UTF-8", "");
  if (text.empty() || text.back() != '\n') fail("must end with a newline", "");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      bool is_type = line[2] == 'T';
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      std::string arg = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (!std::regex_match(name, kName)) fail("bad family name", line);
      if (finished.count(name) || (name != current && (is_type ? p.types : p.help).count(name))) {
        fail("family declared twice", line);
      }
      if (current != name && !current.empty()) finished.insert(current);
      current = name;
      if (is_type) {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.count(arg)) fail("bad type", line);
        if (p.types.count(name)) fail("TYPE twice", line);
        p.types[name] = arg;
      } else {
        if (arg.empty()) fail("empty HELP", line);
        p.help[name] = arg;
      }
      continue;
    }
    if (line[0] == '#') {
      fail("unknown comment", line);
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!std::regex_match(s.name, kName)) fail("bad metric name", line);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) {
          fail("label without =", line);
          break;
        }
        std::string label = line.substr(i, eq - i);
        if (!std::regex_match(label, kLabelName)) fail("bad label name", line);
        if (eq + 1 >= line.size() || line[eq + 1] != '"') {
          fail("label value not quoted", line);
          break;
        }
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ++j;
            if (j >= line.size()) break;
            if (line[j] == 'n') {
              value += '\n';
            } else if (line[j] == '\\' || line[j] == '"') {
              value += line[j];
            } else {
              fail("bad escape in label value", line);
            }
          } else {
            value += line[j];
          }
        }
        if (j >= line.size()) {
          fail("unterminated label value", line);
          break;
        }
        if (s.labels.count(label)) fail("label twice", line);
        s.labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) {
        fail("unterminated labels", line);
        continue;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      fail("no space before the value", line);
      continue;
    }
    std::string value = line.substr(i + 1);
    if (value.find(' ') != std::string::npos) fail("timestamps are not expected", line);
    if (value == "+Inf") {
      s.value = INFINITY;
    } else if (value == "-Inf") {
      s.value = -INFINITY;
    } else if (value == "NaN") {
      s.value = NAN;
    } else {
      char* end = nullptr;
      s.value = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0') fail("bad value", line);
    }
    std::string family = FamilyOf(s.name, p.types);
    if (family != current) fail("sample outside its family's block", line);
    if (!p.types.count(family) || !p.help.count(family)) fail("sample without HELP/TYPE", line);
    p.samples.push_back(std::move(s));
  }
  // Type rules.
  for (const auto& [name, type] : p.types) {
    bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    if (type == "counter" && !total) fail("counter without _total", name);
    if (type != "counter" && total) fail("_total on a non-counter", name);
  }
  // Histograms: per label set (without le), cumulative buckets ending in +Inf == _count.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> counts;
  for (const Sample& s : p.samples) {
    std::string family = FamilyOf(s.name, p.types);
    if (p.types[family] != "histogram") continue;
    std::map<std::string, std::string> rest = s.labels;
    rest.erase("le");
    std::string key = family;
    for (const auto& [k, v] : rest) key += "|" + k + "=" + v;
    if (s.name == family + "_bucket") {
      auto le = s.labels.find("le");
      if (le == s.labels.end()) {
        fail("bucket without le", s.name);
        continue;
      }
      double bound = le->second == "+Inf" ? INFINITY : std::strtod(le->second.c_str(), nullptr);
      buckets[key].push_back({bound, s.value});
    } else if (s.name == family + "_count") {
      counts[key] = s.value;
    }
  }
  for (const auto& [key, list] : buckets) {
    for (size_t i = 1; i < list.size(); ++i) {
      if (!(list[i].first > list[i - 1].first)) fail("bucket bounds not increasing", key);
      if (list[i].second < list[i - 1].second) fail("buckets not cumulative", key);
    }
    if (list.empty() || !std::isinf(list.back().first)) fail("no +Inf bucket", key);
    if (!counts.count(key) || counts[key] != list.back().second) fail("_count != +Inf", key);
  }
  return p;
}

double Value(const Parsed& p, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& s : p.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) return s.value;
  }
  return NAN;
}

size_t CountSeries(const Parsed& p, const std::string& name) {
  size_t n = 0;
  for (const Sample& s : p.samples) n += s.name == name;
  return n;
}

struct MetricsFixture : CommandHarness {
  // No password here: subtree labels (key names) need http-show-keys, except where a test
  // turns it off.
  MetricsFixture() { Run({"CONFIG", "SET", "http-show-keys", "yes"}); }
  SubtreeSizer sizer{&state};
  Parsed Scrape() {
    sizer.Request(clock.NowMs());
    while (sizer.in_progress()) sizer.Step(7);  // small slices: resumption is exercised
    std::string text = RenderMetrics(state, sizer);
    Parsed p = ParseExposition(text);
    BOOST_TEST_INFO("metrics text:\n" << text);
    BOOST_TEST(p.error == "");
    return p;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(metrics, MetricsFixture)

BOOST_AUTO_TEST_CASE(the_parser_rejects_what_prometheus_rejects) {
  // The parser is strict: it must catch each of these.
  const char* bad[] = {
      "x 1\n",                                         // no HELP/TYPE
      "# HELP x h\n# TYPE x counter\nx 1\n",           // counter without _total
      "# HELP x h\n# TYPE x gauge\nx{a=\"b} 1\n",      // unterminated
      "# HELP x h\n# TYPE x gauge\nx{a=\"\\q\"} 1\n",  // bad escape
      "# HELP x h\n# TYPE x gauge\nx one\n",           // bad value
      "# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\nx 2\n",  // not contiguous
      "# HELP x h\n# TYPE x gauge\nx{a=\"\xff\"} 1\n",                            // not UTF-8
      ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
       "h_sum 1\nh_count 1\n"),           // not cumulative
      "# HELP x h\n# TYPE x gauge\nx 1",  // no final newline
  };
  for (const char* text : bad) {
    BOOST_TEST_INFO(text);
    BOOST_TEST(ParseExposition(text).error != "");
  }
  BOOST_TEST(ParseExposition("# HELP x h\n# TYPE x gauge\nx{a=\"q\\\"\\\\\\n\"} 1.5e3\n").error ==
             "");
}

BOOST_AUTO_TEST_CASE(figures_match_the_server_state) {
  Run({"SET", "app.config.db.host", "localhost"});
  Run({"SET", "app.config.db.port", "5432"});
  Run({"SET", "app.users.1", "alice"});
  Run({"SET", "solo", "x"});
  Run({"GET", "app.users.1"});
  Run({"GET", "missing"});
  Run({"INCR", "solo"});  // fails: not an integer
  Run({"SELECT", "tenant-a"});
  Run({"SET", "orders.1", "x", "EX", "100"});
  Parsed p = Scrape();
  BOOST_TEST(p.types["dkv_commands_processed_total"] == "counter");
  BOOST_TEST(Value(p, "dkv_commands_processed_total") ==
             static_cast<double>(state.stats.total_commands_processed));
  BOOST_TEST(Value(p, "dkv_keyspace_hits_total") == 1);
  BOOST_TEST(Value(p, "dkv_keyspace_misses_total") == 1);
  BOOST_TEST(Value(p, "dkv_memory_used_bytes") == 500);  // the harness: 100 bytes per key
  BOOST_TEST(Value(p, "dkv_keys", {{"namespace", "0"}}) == 4);
  BOOST_TEST(Value(p, "dkv_keys", {{"namespace", "tenant-a"}}) == 1);
  BOOST_TEST(Value(p, "dkv_keys_with_expiry", {{"namespace", "tenant-a"}}) == 1);
  BOOST_TEST(Value(p, "dkv_command_calls_total", {{"command", "set"}}) == 5);
  BOOST_TEST(Value(p, "dkv_command_failed_calls_total", {{"command", "incr"}}) == 1);
  BOOST_TEST(Value(p, "dkv_errors_total", {{"code", "ERR"}}) == 1);
  BOOST_TEST(Value(p, "dkv_command_duration_seconds_count", {{"command", "get"}}) == 2);
  BOOST_TEST(
      Value(p, "dkv_command_duration_seconds_bucket", {{"command", "get"}, {"le", "+Inf"}}) == 2);
  BOOST_TEST(Value(p, "dkv_persistence_backend", {{"backend", "snapshot"}}) == 1);
  // Subtrees: "app" holds 3 keys, "solo" 1; bytes are the MEMORY USAGE sums.
  BOOST_TEST(Value(p, "dkv_subtree_keys", {{"namespace", "0"}, {"subtree", "app"}}) == 3);
  BOOST_TEST(Value(p, "dkv_subtree_keys", {{"namespace", "0"}, {"subtree", "solo"}}) == 1);
  dkv::engine::Database& db = state.keyspace.db(0);
  double app_bytes = 0;
  for (const char* k : {"app.config.db.host", "app.config.db.port", "app.users.1"}) {
    app_bytes += static_cast<double>(db.MemoryUsage(db.FindRaw(k)));
  }
  BOOST_TEST(Value(p, "dkv_subtree_bytes", {{"namespace", "0"}, {"subtree", "app"}}) == app_bytes);
  BOOST_TEST(Value(p, "dkv_namespace_bytes", {{"namespace", "0"}}) ==
             app_bytes + static_cast<double>(db.MemoryUsage(db.FindRaw("solo"))));
  BOOST_TEST(Value(p, "dkv_subtree_other_keys", {{"namespace", "0"}}) == 0);
}

BOOST_AUTO_TEST_CASE(latency_histogram_buckets_are_cumulative) {
  CommandStats& cs = state.stats.commands["get"];
  cs.calls = 6;
  cs.usec = 1000;
  cs.latency[LatencyBucket(5)] += 3;        // <= 10 us
  cs.latency[LatencyBucket(300)] += 2;      // <= 500 us
  cs.latency[LatencyBucket(9000000)] += 1;  // beyond every bound
  Parsed p = Scrape();
  BOOST_TEST(
      Value(p, "dkv_command_duration_seconds_bucket", {{"command", "get"}, {"le", "1e-05"}}) == 3);
  BOOST_TEST(
      Value(p, "dkv_command_duration_seconds_bucket", {{"command", "get"}, {"le", "0.0005"}}) == 5);
  BOOST_TEST(Value(p, "dkv_command_duration_seconds_bucket", {{"command", "get"}, {"le", "1"}}) ==
             5);
  BOOST_TEST(
      Value(p, "dkv_command_duration_seconds_bucket", {{"command", "get"}, {"le", "+Inf"}}) == 6);
  BOOST_TEST(Value(p, "dkv_command_duration_seconds_sum", {{"command", "get"}}) == 0.001);
}

BOOST_AUTO_TEST_CASE(subtree_series_are_capped_and_labels_escaped) {
  Run({"CONFIG", "SET", "metrics-max-subtrees", "3"});
  for (int root = 0; root < 20; ++root) {
    for (int k = 0; k <= root; ++k) {
      Run({"SET", "r" + std::to_string(root) + ".k" + std::to_string(k), "v"});
    }
  }
  // Roots whose names need escaping, or are not UTF-8 (written %XX, '%' as %25).
  Run({"SET", std::string("we\"ird\\\nroot.x"), "v"});
  Run({"SET", std::string("bin\xff\xfe.x"), "v"});
  Run({"SET", std::string("bin\xff\xfd.x"), "v"});  // must not collide with the one above
  Run({"SET", "100%.x", "v"});
  Parsed p = Scrape();
  BOOST_TEST(CountSeries(p, "dkv_subtree_keys") == 3u);
  BOOST_TEST(Value(p, "dkv_subtree_keys", {{"subtree", "r19"}}) == 20);
  BOOST_TEST(Value(p, "dkv_subtree_keys", {{"subtree", "r18"}}) == 19);
  BOOST_TEST(Value(p, "dkv_subtree_keys", {{"subtree", "r17"}}) == 18);
  // Everything else: 210 - 57 keys in r0..r16, plus the two odd roots.
  BOOST_TEST(Value(p, "dkv_subtree_other_keys", {{"namespace", "0"}}) == 210 - 57 + 4);

  Run({"CONFIG", "SET", "metrics-max-subtrees", "100"});
  sizer.Request(clock.NowMs() + SubtreeSizer::kMinPassIntervalMs);
  while (sizer.in_progress()) sizer.Step(1000);
  Parsed all = ParseExposition(RenderMetrics(state, sizer));
  BOOST_TEST(all.error == "");
  BOOST_TEST(Value(all, "dkv_subtree_keys", {{"subtree", "we\"ird\\\nroot"}}) == 1);
  BOOST_TEST(Value(all, "dkv_subtree_keys", {{"subtree", "bin%FF%FE"}}) == 1);
  BOOST_TEST(Value(all, "dkv_subtree_keys", {{"subtree", "bin%FF%FD"}}) == 1);
  BOOST_TEST(Value(all, "dkv_subtree_keys", {{"subtree", "100%25"}}) == 1);
}

BOOST_AUTO_TEST_CASE(subtree_labels_need_a_password_or_http_show_keys) {
  Run({"CONFIG", "SET", "http-show-keys", "no"});
  Run({"SET", "patients.1.record", "x"});
  Run({"SET", "patients.2.record", "x"});
  Run({"SET", "payroll", "y"});
  Parsed p = Scrape();
  // No key name in any label; every key and byte is in the "other" series.
  BOOST_TEST(CountSeries(p, "dkv_subtree_keys") == 0u);
  BOOST_TEST(CountSeries(p, "dkv_subtree_bytes") == 0u);
  for (const Sample& s : p.samples) {
    for (const auto& [label, value] : s.labels) {
      BOOST_TEST_INFO(s.name << " " << label << "=" << value);
      BOOST_TEST((value.find("patients") == std::string::npos &&
                  value.find("payroll") == std::string::npos));
    }
  }
  BOOST_TEST(Value(p, "dkv_subtree_other_keys", {{"namespace", "0"}}) == 3);
  BOOST_TEST(Value(p, "dkv_subtree_other_bytes", {{"namespace", "0"}}) ==
             Value(p, "dkv_namespace_bytes", {{"namespace", "0"}}));
  // With a password the names are for authenticated readers: shown as before.
  Run({"CONFIG", "SET", "requirepass", "s3cret"});
  Parsed with_password = ParseExposition(RenderMetrics(state, sizer));
  BOOST_TEST(Value(with_password, "dkv_subtree_keys", {{"subtree", "patients"}}) == 2);
  BOOST_TEST(Value(with_password, "dkv_subtree_other_keys", {{"namespace", "0"}}) == 0);
  // Without one, the operator may choose to show them.
  Run({"CONFIG", "SET", "requirepass", ""});
  BOOST_TEST(RenderMetrics(state, sizer).find("subtree=") == std::string::npos);
  Run({"CONFIG", "SET", "http-show-keys", "yes"});
  BOOST_TEST(Value(ParseExposition(RenderMetrics(state, sizer)), "dkv_subtree_keys",
                   {{"subtree", "payroll"}}) == 1);
}

BOOST_AUTO_TEST_CASE(sizing_is_on_demand_and_rate_limited) {
  Run({"SET", "a.b", "v"});
  BOOST_TEST(!sizer.in_progress());
  sizer.Request(clock.NowMs());
  BOOST_TEST(sizer.in_progress());
  while (sizer.in_progress()) sizer.Step(100);
  int64_t first = sizer.completed_ms();
  AdvanceMs(SubtreeSizer::kMinPassIntervalMs / 2);
  sizer.Request(clock.NowMs());  // within the interval: no new pass
  BOOST_TEST(!sizer.in_progress());
  AdvanceMs(SubtreeSizer::kMinPassIntervalMs);
  sizer.Request(clock.NowMs());
  BOOST_TEST(sizer.in_progress());
  while (sizer.in_progress()) sizer.Step(100);
  BOOST_TEST(sizer.completed_ms() > first);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {
struct HttpFixture : CommandHarness {
  // No password here: the browser's routes need http-show-keys, except where a test turns it off.
  HttpFixture() { Run({"CONFIG", "SET", "http-show-keys", "yes"}); }
  HttpServer http{&state, uv_default_loop()};
  HttpResponse Get(const std::string& target, const std::string& auth = "",
                   const std::string& host = "127.0.0.1:8080") {
    return http.Handle("GET", target, auth, host);
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(http_handler, HttpFixture)

BOOST_AUTO_TEST_CASE(routes_and_read_only) {
  BOOST_TEST(Get("/metrics").status == 200);
  BOOST_TEST(Get("/metrics").content_type == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(Get("/").status == 200);
  BOOST_TEST(Get("/").body.find("<canvas id=\"chart-ops\"") != std::string::npos);
  BOOST_TEST(Get("/app.js").content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(Get("/nope").status == 404);
  BOOST_TEST(http.Handle("POST", "/metrics", "", "127.0.0.1").status == 405);
  BOOST_TEST(http.Handle("DELETE", "/api/key?key=a", "", "127.0.0.1").status == 405);
}

BOOST_AUTO_TEST_CASE(key_view_hides_values_unless_allowed_and_does_not_touch) {
  Run({"KV.SET", "app.cfg", "{\"a\":1}", "TYPE", "json", "META", "owner", "ops", "EX", "60"});
  int64_t accessed = state.keyspace.db(0).FindRaw("app.cfg")->accessed_ms();
  uint64_t hits = state.keyspace.stats().keyspace_hits;
  AdvanceMs(5000);
  HttpResponse r = Get("/api/key?ns=0&key=app.cfg");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.find("\"type\":\"json\"") != std::string::npos);
  BOOST_TEST(r.body.find("\"owner\":\"ops\"") != std::string::npos);
  BOOST_TEST(r.body.find("\"ttl_ms\":55000") != std::string::npos);
  BOOST_TEST(r.body.find("\"value_shown\":false") != std::string::npos);
  BOOST_TEST(r.body.find("\\\"a\\\"") == std::string::npos);  // the value is not there
  BOOST_TEST(state.keyspace.db(0).FindRaw("app.cfg")->accessed_ms() == accessed);
  BOOST_TEST(state.keyspace.stats().keyspace_hits == hits);
  Run({"CONFIG", "SET", "http-show-values", "yes"});
  r = Get("/api/key?ns=0&key=app%2Ecfg");
  BOOST_TEST(r.body.find("\"value\":\"{\\\"a\\\":1}\"") != std::string::npos);
  BOOST_TEST(Get("/api/key?ns=0&key=missing").body.find("\"exists\":false") != std::string::npos);
  BOOST_TEST(Get("/api/key?ns=nosuch&key=a").status == 404);
  BOOST_TEST(Get("/api/key?ns=0").status == 400);
}

BOOST_AUTO_TEST_CASE(tree_lists_children_with_counts) {
  Run({"SET", "app.config.db.host", "h"});
  Run({"SET", "app.config.db.port", "1"});
  Run({"SET", "app.config", "own value"});
  Run({"SET", "app.config!x", "sorts between app.config and its subtree"});
  Run({"SET", "app.users.1", "alice"});
  HttpResponse r = Get("/api/tree?ns=0&prefix=app");
  BOOST_TEST(r.status == 200);
  // app.config holds a value and two keys below; listed once, before app.config!x.
  size_t config = r.body.find("\"path\":\"app.config\"");
  size_t bang = r.body.find("\"path\":\"app.config!x\"");
  BOOST_TEST(config != std::string::npos);
  BOOST_TEST(bang != std::string::npos);
  BOOST_TEST(r.body.find("\"path\":\"app.config\"", config + 1) == std::string::npos);
  BOOST_TEST(r.body.find("\"keys\":3") != std::string::npos);
  BOOST_TEST(Get("/api/tree?ns=0&prefix=").body.find("\"name\":\"app\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(password_means_basic_auth) {
  Run({"CONFIG", "SET", "requirepass", "s3cret"});
  HttpResponse r = Get("/metrics");
  BOOST_TEST(r.status == 401);
  BOOST_TEST(r.extra_headers.find("WWW-Authenticate: Basic") != std::string::npos);
  BOOST_TEST(Get("/metrics", "Basic ZGVmYXVsdDp3cm9uZw==").status == 401);  // default:wrong
  BOOST_TEST(Get("/metrics", "Basic ZGVmYXVsdDpzM2NyZXQ=").status == 200);  // default:s3cret
  BOOST_TEST(Get("/metrics", "Basic OnMzY3JldA==").status == 200);          // :s3cret
  BOOST_TEST(Get("/metrics", "Basic YWxpY2U6czNjcmV0").status == 401);      // alice:s3cret
  BOOST_TEST(Get("/", "Basic !!!").status == 401);
}

BOOST_AUTO_TEST_CASE(browser_routes_need_a_password_or_http_show_keys) {
  Run({"CONFIG", "SET", "http-show-keys", "no"});
  Run({"SET", "payroll.alice", "1"});
  for (const char* target : {"/api/tree?ns=0&prefix=", "/api/tree?ns=0&prefix=payroll",
                             "/api/key?ns=0&key=payroll.alice"}) {
    BOOST_TEST_INFO(target);
    HttpResponse r = Get(target);
    BOOST_TEST(r.status == 403);
    BOOST_TEST(r.body ==
               "key names are hidden: no password is set (requirepass); CONFIG SET "
               "http-show-keys yes to show them\n");
  }
  BOOST_TEST(Get("/api/stats").body.find("\"keys_hidden\":true") != std::string::npos);
  BOOST_TEST(Get("/metrics", "", "rebound.example").body.find("payroll") == std::string::npos);
  BOOST_TEST(Get("/api/namespaces").status == 200);  // namespace names and counts only
  Run({"CONFIG", "SET", "http-show-keys", "yes"});
  BOOST_TEST(Get("/api/tree?ns=0&prefix=").body.find("\"name\":\"payroll\"") != std::string::npos);
  BOOST_TEST(Get("/api/key?ns=0&key=payroll.alice").status == 200);
  // With a password, authenticated requests see them whatever http-show-keys says.
  Run({"CONFIG", "SET", "http-show-keys", "no"});
  Run({"CONFIG", "SET", "requirepass", "s3cret"});
  const std::string auth = "Basic ZGVmYXVsdDpzM2NyZXQ=";  // default:s3cret
  BOOST_TEST(Get("/api/tree?ns=0&prefix=", auth).body.find("\"name\":\"payroll\"") !=
             std::string::npos);
  BOOST_TEST(Get("/api/key?ns=0&key=payroll.alice", auth).status == 200);
  BOOST_TEST(Get("/api/stats", auth).body.find("\"keys_hidden\":false") != std::string::npos);
}

// A `nopass` user is no password either: a page whose DNS name is rebound to 127.0.0.1 can send
// its name in basic auth. It is treated as the default user without requirepass.
BOOST_AUTO_TEST_CASE(a_nopass_user_sees_no_key_names_either) {
  Config c;
  c.requirepass = "s3cret";
  UserConfig viewer;
  viewer.name = "viewer";
  viewer.nopass = true;
  viewer.commands = "+@all";
  c.users = {viewer};
  CommandHarness h(c);
  h.Run({"AUTH", "s3cret"});
  h.Run({"SET", "payroll.alice", "1"});
  HttpServer server{&h.state, uv_default_loop()};
  auto get = [&](const std::string& target, const std::string& auth,
                 const std::string& host = "127.0.0.1:8080") {
    return server.Handle("GET", target, auth, host);
  };
  const std::string as_viewer = "Basic dmlld2VyOmFueXRoaW5n";  // viewer:anything
  const std::string as_admin = "Basic ZGVmYXVsdDpzM2NyZXQ=";   // default:s3cret
  BOOST_TEST(get("/api/tree?ns=0&prefix=", as_viewer).status == 403);
  BOOST_TEST(get("/api/key?ns=0&key=payroll.alice", as_viewer).status == 403);
  BOOST_TEST(get("/api/stats", as_viewer).body.find("\"keys_hidden\":true") != std::string::npos);
  BOOST_TEST(get("/api/stats", as_viewer, "rebound.example").status == 403);
  BOOST_TEST(get("/api/tree?ns=0&prefix=", as_admin).body.find("\"name\":\"payroll\"") !=
             std::string::npos);
  BOOST_TEST(get("/api/stats", as_admin, "rebound.example").status == 200);
  h.Run({"CONFIG", "SET", "http-show-keys", "yes"});
  BOOST_TEST(get("/api/tree?ns=0&prefix=", as_viewer).body.find("\"name\":\"payroll\"") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(api_refuses_foreign_hosts_without_a_password) {
  BOOST_TEST(Get("/api/stats", "", "evil.example:8080").status == 403);
  BOOST_TEST(Get("/api/stats", "", "").status == 403);
  BOOST_TEST(Get("/api/stats", "", "localhost:8080").status == 200);
  BOOST_TEST(Get("/api/stats", "", "[::1]:8080").status == 200);
  BOOST_TEST(Get("/metrics", "", "dkv.internal:9121").status == 200);  // scrapers use names
}

BOOST_AUTO_TEST_SUITE_END()
