"""The throughput part of scripts/bench (--only strings, and the first part of a full run): both
servers side by side, redis-benchmark against one then the other, alternating which goes first
from round to round; string commands at -P 1 and 16, a -c 1 latency run, and the scripting
section when asked. The table of medians, its Markdown form, the legend and the JSON file."""

import os
import time

from .common import (CLK_TCK, Case, Interrupts, Section, Server, fmt, log, median_of, ratio,
                     run_sections, version_of)
from .scripting import scripting_section

def core_section(n):
    common = ["-r", "1000000", "-d", "64"]
    cases = []
    for pipeline in (1, 16):
        for test in ("SET", "GET", "INCR", "MSET"):
            cases.append(Case(label=test, test=test.lower(), pipeline=pipeline,
                              clients=50, requests=n, extra=common))
    return Section("String commands (-c 50 -r 1000000 -d 64)", cases)


def latency_section(n):
    # One client, no pipelining: each request is a full round trip, so the
    # figures are per-request latency rather than throughput.
    return Section("Latency (-c 1)", [
        Case(label="GET", test="get", pipeline=1, clients=1, requests=n,
             extra=["-r", "1000000", "-d", "64"])])


def build_sections(n, latency_n):
    return [core_section(n), latency_section(latency_n), scripting_section(n)]


def run_throughput(args, dkv_path, tmp, sections, ncpu, pin):
    """Both servers side by side through `sections`, then the table: (exit status or None,
    results, seconds spent). The servers are stopped, by PID, before the table is printed."""
    server_cpu, bench_cpu = (0, 1) if pin else (-1, -1)
    servers = []
    t_start = time.monotonic()
    try:
        for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
            wd = os.path.join(tmp, name)
            os.mkdir(wd)
            srv = Server(name=name, binary=binary, workdir=wd, cpu=server_cpu)
            servers.append(srv)     # before start(): finally must see it
            if not srv.start():
                return 1, None, None
        log(f"redis: {args.redis} port {servers[0].port} pid {servers[0].proc.pid}")
        log(f"dkv:   {dkv_path} port {servers[1].port} pid {servers[1].proc.pid}")
        log(f"rounds {args.rounds}, -n {args.requests}, load average "
            f"{os.getloadavg()[0]:.2f}, {ncpu} CPU(s){', pinned' if pin else ''}")
        deadline = t_start + args.max_minutes * 60
        results = run_sections(sections, servers, args.rounds, args.run_timeout,
                               deadline, bench_cpu)
    finally:
        Interrupts.depth += 1       # a second Ctrl-C must not cut the cleanup short
        for srv in servers:
            srv.stop()
    elapsed = time.monotonic() - t_start

    rows = table_rows(sections, results)
    print(f"redis: {args.redis} ({version_of(args.redis)})")
    print(f"dkv:   {dkv_path} ({version_of(dkv_path)})")
    print()
    print(render_markdown(rows) if args.markdown else render_text(rows))
    print(LEGEND.format(rounds=args.rounds, n=args.requests, latency_n=args.latency_requests,
                        tck=CLK_TCK, ncpu=ncpu, res=1e6 / CLK_TCK / args.requests,
                        lres=1e6 / CLK_TCK / args.latency_requests))
    for srv in servers:
        if srv.restarts or srv.dead:
            print(f"NOTE: {srv.name} was restarted {srv.restarts} time(s)"
                  + ("; it was given up on" if srv.dead else ""))
    return None, results, elapsed


COLUMNS = ["test", "pipeline", "clients", "redis rps", "dkv rps", "dkv/redis",
           "redis p99 ms", "dkv p99 ms", "redis CPU us/req", "dkv CPU us/req",
           "CPU dkv/redis"]


def table_rows(sections, results):
    out = []
    for sec in sections:
        rows = []
        for i, case in enumerate(sec.cases):
            r = results.get((sec.title, i, "redis"), [])
            d = results.get((sec.title, i, "dkv"), [])
            r_rps, d_rps = median_of(r, "rps"), median_of(d, "rps")
            r_cpu, d_cpu = median_of(r, "cpu_us_per_req"), median_of(d, "cpu_us_per_req")
            rows.append([case.label, str(case.pipeline), str(case.clients),
                         fmt(r_rps, 0), fmt(d_rps, 0), fmt(ratio(d_rps, r_rps), 2),
                         fmt(median_of(r, "p99_ms"), 3), fmt(median_of(d, "p99_ms"), 3),
                         fmt(r_cpu, 2), fmt(d_cpu, 2), fmt(ratio(d_cpu, r_cpu), 2)])
        out.append((sec.title, rows))
    return out


def render_text(sections_rows):
    lines = []
    for title, rows in sections_rows:
        widths = [max(len(c), *(len(r[j]) for r in rows)) for j, c in enumerate(COLUMNS)]
        lines.append(title)
        lines.append("  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths)))
        lines.append("  ".join("-" * w for w in widths))
        for r in rows:
            lines.append("  ".join(v.rjust(w) for v, w in zip(r, widths)))
        lines.append("")
    return "\n".join(lines)


def render_markdown(sections_rows):
    lines = []
    for title, rows in sections_rows:
        lines.append(f"**{title}**")
        lines.append("")
        lines.append("| " + " | ".join(COLUMNS) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|")
        for r in rows:
            lines.append("| " + " | ".join(r) + " |")
        lines.append("")
    return "\n".join(lines)


LEGEND = """\
Medians over {rounds} round(s); requests per run: {n} ({latency_n} for the -c 1 latency run).
dkv/redis on rps: >= 1.0 is better for dkv. CPU dkv/redis: <= 1.0 is better for dkv.
CPU us/req is the server's own utime+stime (/proc/PID/stat, {tck} ticks/s) per request;
MSET counts one request per MSET of 10 keys. redis-benchmark shares the machine's {ncpu}
CPU(s) with the server, so rps is bounded by the client too; CPU us/req is not.
CPU resolution: one tick per run, i.e. {res:.2f} us/req at -n {n} ({lres:.2f} for the latency run)."""


def write_json(path, sections, results, meta):
    import json
    doc = {"meta": meta, "results": []}
    for sec in sections:
        for i, case in enumerate(sec.cases):
            for name in case.servers:
                for s in results.get((sec.title, i, name), []):
                    doc["results"].append({
                        "section": sec.title, "test": case.label, "pipeline": case.pipeline,
                        "clients": case.clients, "requests": case.requests, "server": name,
                        "rps": s.rps, "p50_ms": s.p50_ms, "p99_ms": s.p99_ms,
                        "cpu_us_per_req": s.cpu_us_per_req, "wall_s": s.wall_s})
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
