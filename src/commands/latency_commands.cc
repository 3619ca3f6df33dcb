// LATENCY: the latency monitor's events (LATEST, HISTORY, RESET, GRAPH, DOCTOR; recorded when
// something takes at least latency-monitor-threshold ms, src/core/latency.h) and the
// per-command latency histograms (HISTOGRAM; kept while latency-tracking is on), as Redis 7.2.
#include <algorithm>

#include "src/commands/args.h"
#include "src/commands/handlers.h"
#include "src/core/dispatcher.h"

namespace dkv::server {

void CmdLatencyLatest(CommandContext& ctx, Args) {
  const auto& events = ctx.services.stats().latency_monitor.events();
  ctx.reply.ArrayHeader(events.size());
  for (const auto& [name, log] : events) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(log.samples.empty() ? 0 : log.samples.back().time_s);
    ctx.reply.Integer(log.samples.empty() ? 0 : log.samples.back().ms);
    ctx.reply.Integer(log.max_ms);
  }
}

void CmdLatencyHistory(CommandContext& ctx, Args argv) {
  const LatencyEventLog* log = ctx.services.stats().latency_monitor.Find(ToLower(argv[2]));
  if (log == nullptr) return ctx.reply.ArrayHeader(0);
  ctx.reply.ArrayHeader(log->samples.size());
  for (const LatencySample& s : log->samples) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(s.time_s);
    ctx.reply.Integer(s.ms);
  }
}

void CmdLatencyReset(CommandContext& ctx, Args argv) {
  std::vector<std::string> names;
  for (size_t i = 2; i < argv.size(); ++i) names.push_back(ToLower(argv[i]));
  ctx.reply.Integer(static_cast<int64_t>(ctx.services.stats().latency_monitor.Reset(names)));
}

void CmdLatencyGraph(CommandContext& ctx, Args argv) {
  std::string event = ToLower(argv[2]);
  const LatencyEventLog* log = ctx.services.stats().latency_monitor.Find(event);
  if (log == nullptr || log->samples.empty()) {
    return ctx.reply.Error("ERR No samples available for event '" + std::string(argv[2]) + "'");
  }
  ctx.reply.Verbatim(LatencyGraph(event, *log, ctx.services.clock().NowMs() / 1000));
}

void CmdLatencyDoctor(CommandContext& ctx, Args) {
  ctx.reply.Verbatim(
      LatencyDoctor(ctx.services.stats().latency_monitor, ctx.config().latency_monitor_threshold));
}

void CmdLatencyHistogram(CommandContext& ctx, Args argv) {
  const auto& commands = ctx.services.stats().commands;
  // The commands asked for (a container stands for its subcommands; unknown names are
  // skipped), or every command with a histogram.
  std::vector<std::string> names;
  auto add = [&](std::string_view name) {
    auto it = commands.find(name);
    if (it != commands.end() && it->second.histogram.total() != 0 &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      names.emplace_back(name);
    }
  };
  if (argv.size() == 2) {
    for (const auto& [name, cs] : commands) add(name);
  } else {
    for (size_t i = 2; i < argv.size(); ++i) {
      std::string name = ToLower(argv[i]);
      add(name);
      const std::string prefix = name + "|";
      for (auto it = commands.lower_bound(prefix);
           it != commands.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        if (name.find('|') == std::string::npos) add(it->first);
      }
    }
  }
  ctx.reply.MapHeader(names.size());
  for (const std::string& name : names) {
    const CommandStats& cs = commands.find(name)->second;
    ctx.reply.Bulk(name);
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("calls");
    ctx.reply.Integer(static_cast<int64_t>(cs.calls));
    ctx.reply.Bulk("histogram_usec");
    std::vector<std::pair<int64_t, uint64_t>> buckets;
    cs.histogram.PowerOfTwoBuckets(
        [&](int64_t upper, uint64_t calls) { buckets.emplace_back(upper, calls); });
    ctx.reply.MapHeader(buckets.size());
    for (const auto& [upper, calls] : buckets) {
      ctx.reply.Integer(upper);
      ctx.reply.Integer(static_cast<int64_t>(calls));
    }
  }
}

void CmdLatencyHelp(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the "
      "specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace dkv::server
