"""scripts/bench --only http: GET/SET throughput of dkv with the HTTP listener on and /metrics
scraped every second, against dkv without it."""

import os
import statistics
import time

from .common import (Case, Resp, Server, fmt, free_port, load_hierarchy, log, print_table, ratio,
                     run_case)


class MetricsPoller:
    """GET /metrics once a second from a thread, as Prometheus (or the page) would."""

    def __init__(self, port, interval_s=1.0):
        import threading
        self.port = port
        self.interval_s = interval_s
        self.scrapes = 0
        self.failures = 0
        self.bytes = 0
        self.slowest_ms = 0.0
        self.paused = False  # while the server without HTTP is measured: no CPU taken from it
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        import http.client
        while not self.stop_event.is_set():
            t0 = time.monotonic()
            if self.paused:
                self.stop_event.wait(0.05)
                continue
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/metrics")
                body = conn.getresponse().read()
                conn.close()
                self.scrapes += 1
                self.bytes = len(body)
                self.slowest_ms = max(self.slowest_ms, (time.monotonic() - t0) * 1000)
            except OSError:
                self.failures += 1
            self.stop_event.wait(max(0.0, self.interval_s - (time.monotonic() - t0)))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=10)


def http_report(args, dkv_path, tmp):
    """GET/SET throughput of dkv with the HTTP listener on and /metrics scraped every second,
    against dkv without it: the cost of observability, on a 200,000-key hierarchical keyspace
    (so that every scrape also sizes subtrees)."""
    n = args.requests
    http_port = free_port()
    servers = []
    for name, extra in (("dkv-off", []), ("dkv-http", ["--http-port", str(http_port)])):
        wd = os.path.join(tmp, name)
        os.mkdir(wd)
        srv = Server(name=name, binary=dkv_path, workdir=wd, extra=extra)
        servers.append(srv)
    tenants, users = (20, 1000) if args.quick else (200, 1000)
    value = b"x" * 64
    cases = [Case(label=t.upper(), test=t, pipeline=p, clients=50, requests=n,
                  extra=["-r", "1000000", "-d", "64"])
             for p in (1, 16) for t in ("set", "get")]
    samples = {}
    try:
        for srv in servers:
            if not srv.start():
                return 1
            c = Resp(srv.port)
            load_hierarchy(c, tenants, users, value)
            c.close()
        with MetricsPoller(http_port) as poller:
            for rnd in range(args.rounds):
                order = servers if rnd % 2 == 0 else servers[::-1]
                for case in cases:
                    for srv in order:
                        poller.paused = srv.name == "dkv-off"
                        s = run_case(srv, case, args.run_timeout)
                        if s is not None:
                            samples.setdefault((case.label, case.pipeline, srv.name), []).append(s)
                            log(f"  round {rnd + 1}/{args.rounds} {case.label} P{case.pipeline:<2} "
                                f"{srv.name:<8} {s.rps:>11.0f} rps  p99 {s.p99_ms:6.3f} ms")
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for srv in servers:
            srv.stop()
    print()
    title = (f"HTTP listener on, /metrics scraped every second ({tenants * users} keys), "
             f"against it off (-c 50 -r 1000000 -d 64, {n} requests, median of {args.rounds})")
    print(f"**{title}**" if args.markdown else title)
    print()
    rows = []
    for case in cases:
        off = samples.get((case.label, case.pipeline, "dkv-off"), [])
        on = samples.get((case.label, case.pipeline, "dkv-http"), [])
        rps_off = statistics.median(x.rps for x in off) if off else None
        rps_on = statistics.median(x.rps for x in on) if on else None
        p99_off = statistics.median(x.p99_ms for x in off) if off else None
        p99_on = statistics.median(x.p99_ms for x in on) if on else None
        rows.append((f"{case.label} P{case.pipeline}", fmt(rps_off, 0), fmt(rps_on, 0),
                     fmt(ratio(rps_on, rps_off), 2), fmt(ratio(p99_on, p99_off), 2)))
    print_table(args, ("test", "rps, HTTP off", "rps, HTTP on + scrapes", "rps on/off",
                       "p99 on/off"), rows, (8, 10, 10, 8, 11),
                plain_header=("test", "rps off", "rps on", "on/off", "p99 on/off"))
    print()
    print(f"scrapes: {poller.scrapes} ok, {poller.failures} failed; last body {poller.bytes} "
          f"bytes; slowest scrape {poller.slowest_ms:.1f} ms")
    return 0
