"""scripts/bench --only postgres: SET and GET throughput of dkv on PostgreSQL (async, sync) beside
dkv on the snapshot file and Redis with an append-only file, on one throwaway cluster
(scripts/pg-cluster); then GET with the cache tier when most values are read back."""

import os
import statistics
import subprocess
import tempfile
import time

from .common import (REPO_ROOT, Case, Resp, Server, fmt, info_field, log, print_table,
                     run_case)


def postgres_report(args, dkv_path, tmp):
    """SET and GET throughput of dkv on PostgreSQL (async, sync) beside dkv on the snapshot file
    and Redis with an append-only file (appendfsync everysec, always), on one throwaway cluster."""
    # Directly under /tmp: the cluster runs as the postgres user, who cannot enter tmp (0700).
    pg_dir = tempfile.mkdtemp(prefix="dkv-bench-pg-")
    cluster = os.path.join(REPO_ROOT, "scripts", "pg-cluster")
    out = subprocess.run([cluster, "start", pg_dir], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        log(f"error: could not start PostgreSQL: {out.stderr.strip()}")
        return 1
    dsn = out.stdout.strip()
    n = 20000 if args.quick else 100000
    configs = [
        ("redis", args.redis, "redis appendfsync always",
         ["--appendonly", "yes", "--appendfsync", "always"]),
        ("redis", args.redis, "redis appendfsync everysec",
         ["--appendonly", "yes", "--appendfsync", "everysec"]),
        ("dkv", dkv_path, "dkv snapshot backend", []),
        ("dkv", dkv_path, "dkv postgres async",
         ["--persistence.backend", "postgres", "--postgres.dsn", dsn, "--postgres.table",
          "bench_async", "--postgres.durability", "async"]),
        ("dkv", dkv_path, "dkv postgres sync",
         ["--persistence.backend", "postgres", "--postgres.dsn", dsn, "--postgres.table",
          "bench_sync", "--postgres.durability", "sync"]),
    ]
    results = {}
    tier = None
    try:
        for i, (kind, binary, label, extra) in enumerate(configs):
            wd = os.path.join(tmp, f"pgbench-{i}")
            os.mkdir(wd)
            srv = Server(name=kind, binary=binary, workdir=wd, extra=extra)
            if not srv.start():
                return 1
            try:
                row = {}
                for test in ("set", "get"):
                    case = Case(label=test.upper(), test=test, pipeline=1, clients=50,
                                requests=n, extra=["-r", "1000000", "-d", "64"])
                    samples = [run_case(srv, case, args.run_timeout) for _ in range(args.rounds)]
                    samples = [s for s in samples if s is not None]
                    row[test] = statistics.median(s.rps for s in samples) if samples else None
                results[label] = row
            finally:
                srv.stop()
        tier = cache_tier_report(args, dkv_path, tmp, dsn)
    finally:
        subprocess.run([cluster, "stop", pg_dir], capture_output=True, timeout=300)

    def rps(label, test):
        return results.get(label, {}).get(test)

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"
    print()
    print("**PostgreSQL backend**" if args.markdown else "PostgreSQL backend")
    print(f"(-c 50 -P 1 -r 1000000 -d 64, {n} requests, median of {args.rounds} round(s))")
    print()
    rows = [(label, fmt(rps(label, "set"), 0), fmt(rps(label, "get"), 0))
            for _, _, label, _ in configs]
    print_table(args, ("server", "SET rps", "GET rps"), rows, (32, 10, 10))
    print()
    print(f"SET: postgres sync / redis appendfsync always = "
          f"{ratio(rps('dkv postgres sync', 'set'), rps('redis appendfsync always', 'set'))}; "
          f"postgres async / dkv snapshot = "
          f"{ratio(rps('dkv postgres async', 'set'), rps('dkv snapshot backend', 'set'))}")
    print_cache_tier(args, tier)
    return 0


def cache_tier_report(args, dkv_path, tmp, dsn):
    """GET throughput and p99 with the cache tier over PostgreSQL when about 90% of the values
    must be read back (maxmemory holds about a tenth of them), beside the same keyspace held
    wholly in memory."""
    n = 20000 if args.quick else 100000
    size = 512
    requests = n if args.quick else 2 * n
    wd = os.path.join(tmp, "pgtier")
    os.mkdir(wd)
    base = ["--persistence.backend", "postgres", "--postgres.dsn", dsn, "--postgres.table",
            "bench_tier", "--postgres.durability", "async"]
    srv = Server(name="dkv", binary=dkv_path, workdir=wd, extra=base)
    if not srv.start():
        return None
    def number(client, section, name):
        return int(info_field(client, section, name) or 0)

    try:
        # The keys redis-benchmark's -r n draws (key:000000000000 ...).
        client = Resp(srv.port)
        value = b"v" * size
        for start in range(0, n, 1000):
            client.pipeline([("SET", f"key:{i:012d}", value)
                             for i in range(start, min(n, start + 1000))])
        deadline = time.monotonic() + 120
        while number(client, "persistence", "pg_queue_keys") > 0 and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        client.close()
        case = Case(label="GET", test="get", pipeline=1, clients=50, requests=requests,
                    extra=["-r", str(n)])
        warm = [run_case(srv, case, args.run_timeout) for _ in range(args.rounds)]
        srv.stop()
        # Restarted with the cache tier: the keys come back without values; maxmemory then
        # holds the index and about a tenth of the values.
        srv.extra = base + ["--maxmemory-policy", "allkeys-lru"]
        srv.extra += ["--maxmemory", str(1 << 40)]
        if not srv.start():
            return None
        client = Resp(srv.port)
        deadline = time.monotonic() + 120
        while number(client, "persistence", "loading") == 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        index_bytes = number(client, "memory", "used_memory")
        per_value = 600   # the value and the larger allocation that holds it
        client.call("CONFIG", "SET", "maxmemory", str(index_bytes + n // 10 * per_value))
        run_case(srv, case, args.run_timeout)   # reach the steady state: a tenth warm
        cold = []
        for _ in range(args.rounds):
            reads0 = number(client, "persistence", "pg_values_read")
            sample = run_case(srv, case, args.run_timeout)
            reads1 = number(client, "persistence", "pg_values_read")
            if sample is not None:
                cold.append((sample, (reads1 - reads0) / requests))
        client.close()
    finally:
        srv.stop()
    warm = [w for w in warm if w is not None]
    if not warm or not cold:
        return None
    return {
        "n": n, "size": size, "requests": requests,
        "warm_rps": statistics.median(w.rps for w in warm),
        "warm_p99": statistics.median(w.p99_ms for w in warm),
        "cold_rps": statistics.median(c[0].rps for c in cold),
        "cold_p99": statistics.median(c[0].p99_ms for c in cold),
        "miss": statistics.median(c[1] for c in cold),
    }


def print_cache_tier(args, t):
    print()
    title = "Cache tier over PostgreSQL: GET when most values are read back"
    print(f"**{title}**" if args.markdown else title)
    if t is None:
        print("(not measured: see the log)")
        return
    print(f"({t['n']} keys of {t['size']} bytes, -c 50 -P 1 -r {t['n']}, {t['requests']} "
          f"requests, median of {args.rounds} round(s); values read back from PostgreSQL: "
          f"{t['miss'] * 100:.0f}% of GETs)")
    rows = [("all values in memory", fmt(t["warm_rps"], 0), fmt(t["warm_p99"], 3)),
            ("maxmemory holds ~10% of the values", fmt(t["cold_rps"], 0),
             fmt(t["cold_p99"], 3))]
    print_table(args, ("dkv postgres", "GET rps", "p99 ms"), rows, (36, 10, 10))
    print(f"GET rps with ~90% read back / all in memory = {t['cold_rps'] / t['warm_rps']:.2f}; "
          f"p99 ratio = {t['cold_p99'] / t['warm_p99']:.2f}")
