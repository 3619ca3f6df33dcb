"""scripts/bench --only cache: a cache-aside loop over a Zipf keyspace under maxmemory, and a
mass expiry (every key expiring at the same instant), in both servers."""

import os
import time

from .common import Resp, Server, cpu_seconds, fmt, print_table


def zipf_cum_weights(n, s=0.99):
    import itertools
    return list(itertools.accumulate(1.0 / (k ** s) for k in range(1, n + 1)))


def cache_aside(port, keys, cum, requests, value, seed, batch=50):
    """The web-app cache loop: GET a Zipf-distributed key; on a miss, SET it. Batched as a GET
    pipeline then a SET pipeline of the misses. Returns (hits, gets, seconds)."""
    import bisect
    import random as _random
    rng = _random.Random(seed)
    total = cum[-1]
    c = Resp(port)
    hits = gets = 0
    t0 = time.perf_counter()
    for _ in range(requests // batch):
        ids = [bisect.bisect_left(cum, rng.random() * total) for _ in range(batch)]
        replies = c.pipeline([("GET", f"page:{i}") for i in ids])
        misses = [i for i, r in zip(ids, replies) if r is None]
        hits += batch - len(misses)
        gets += batch
        if misses:
            c.pipeline([("SET", f"page:{i}", value) for i in misses])
    seconds = time.perf_counter() - t0
    c.close()
    return hits, gets, seconds


def mass_expiry(port, nkeys, value):
    """Loads nkeys keys that all expire at the same instant (PXAT), then measures the seconds from
    that instant until DBSIZE is 0, and the worst PING round trip of a second client meanwhile."""
    import threading
    c = Resp(port)
    deadline_ms = int(time.time() * 1000) + 6000
    c.pipeline_batched((("SET", f"session:{i}", value, "PXAT", deadline_ms) for i in range(nkeys)),
                       size=5000)
    loaded = c.call("DBSIZE")
    probe = Resp(port)
    worst, stop = [0.0], threading.Event()

    def ping_loop():
        end = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < end:
            t0 = time.perf_counter()
            probe.call("PING")
            worst[0] = max(worst[0], (time.perf_counter() - t0) * 1000)
            time.sleep(0.0005)

    wait = deadline_ms / 1000 - time.time() - 0.5
    if wait > 0:
        time.sleep(wait)
    th = threading.Thread(target=ping_loop)
    th.start()
    while time.time() * 1000 < deadline_ms:
        time.sleep(0.001)
    t0 = time.perf_counter()
    reclaimed_s = None
    while time.perf_counter() - t0 < 60:
        if c.call("DBSIZE") == 0:
            reclaimed_s = time.perf_counter() - t0
            break
        time.sleep(0.005)
    stop.set()
    th.join()
    c.close()
    probe.close()
    return loaded, reclaimed_s, worst[0]


def cache_report(args, dkv_path, tmp):
    nkeys = 1000000 if not args.quick else 100000
    maxmemory = 24 * 1024 * 1024 if not args.quick else 4 * 1024 * 1024
    requests = 400000 if not args.quick else 40000
    value = b"p" * 100
    cum = zipf_cum_weights(nkeys)
    res = {}
    for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
        wd = os.path.join(tmp, "cache-" + name)
        os.mkdir(wd)
        srv = Server(name=name, binary=binary, workdir=wd)
        if not srv.start():
            return 1
        try:
            c = Resp(srv.port)
            c.call("CONFIG", "SET", "maxmemory", maxmemory)
            c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
            c.close()
            cache_aside(srv.port, nkeys, cum, requests // 2, value, seed=1)  # warm up
            cpu0 = cpu_seconds(srv.proc.pid)
            hits, gets, secs = cache_aside(srv.port, nkeys, cum, requests, value, seed=2)
            cpu_us_per_get = (cpu_seconds(srv.proc.pid) - cpu0) * 1e6 / gets
            c = Resp(srv.port)
            keys_held = c.call("DBSIZE")
            c.call("FLUSHALL")
            c.call("CONFIG", "SET", "maxmemory", 0)
            c.close()
            loaded, reclaimed, worst = mass_expiry(srv.port, nkeys, b"s" * 32)
            res[name] = {"hit": hits / gets, "ops": gets / secs, "held": keys_held,
                         "cpu": cpu_us_per_get,
                         "loaded": loaded, "reclaimed": reclaimed, "worst": worst}
        finally:
            srv.stop()
    R, D = res["redis"], res["dkv"]
    rows = [
        (f"cache-aside Zipf(0.99) over {nkeys} keys, maxmemory {maxmemory // (1024 * 1024)} MB, "
         "allkeys-lru: hit ratio", f"{R['hit']:.3f}", f"{D['hit']:.3f}",
         f"{D['hit'] / R['hit']:.2f}"),
        ("  GETs per second (client: one Python process, pipelines of 50)", f"{R['ops']:.0f}",
         f"{D['ops']:.0f}", f"{D['ops'] / R['ops']:.2f}"),
        ("  server CPU per GET (with its share of SETs), us", f"{R['cpu']:.2f}",
         f"{D['cpu']:.2f}", f"{D['cpu'] / R['cpu']:.2f}" if R["cpu"] else "-"),
        ("  keys held at the end", f"{R['held']}", f"{D['held']}", ""),
        (f"{R['loaded']} keys expiring at the same instant: seconds until DBSIZE is 0",
         fmt(R["reclaimed"], 2), fmt(D["reclaimed"], 2),
         f"{R['reclaimed'] / D['reclaimed']:.1f}x faster" if R["reclaimed"] and D["reclaimed"]
         else "-"),
        ("  worst PING round trip meanwhile, ms", f"{R['worst']:.2f}", f"{D['worst']:.2f}", ""),
    ]
    print()
    print("**Cache tier**" if args.markdown else "Cache tier")
    print()
    print_table(args, ("measure", "redis", "dkv", "dkv vs redis"), rows, (95, 10, 10, 14))
    return 0
