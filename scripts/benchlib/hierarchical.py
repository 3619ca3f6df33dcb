"""scripts/bench --only hierarchical: the same 1M-key hierarchy in both servers; KEYS, KV.KEYS,
KV.COUNT, SCAN and subtree deletes side by side, and KV.DEL's effect on a concurrent client."""

import os
import statistics
import time

from .common import (Case, Resp, Server, fmt, load_hierarchy, print_table, run_case,
                     used_memory)


def timed(fn, repeat):
    """Median wall time in ms of fn() over `repeat` runs, and fn's last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def server_usec_per_call(client, command, fn, repeat):
    """The server's own time per call of `command` (INFO commandstats usec_per_call) over
    `repeat` runs of fn: what the command costs the server, without the client's parsing."""
    client.call("CONFIG", "RESETSTAT")
    for _ in range(repeat):
        fn()
    info = client.call("INFO", "commandstats").decode()
    for line in info.split("\r\n"):
        if line.startswith(f"cmdstat_{command}:"):
            for field in line.split(":", 1)[1].split(","):
                k, v = field.split("=")
                if k == "usec_per_call":
                    return float(v)
    return None


def full_scan(client, match):
    keys, cursor = 0, b"0"
    while True:
        cursor, batch = client.call("SCAN", cursor, "MATCH", match)
        keys += len(batch)
        if cursor == b"0":
            return keys


def scan_and_delete(client, match):
    deleted, cursor = 0, b"0"
    while True:
        cursor, batch = client.call("SCAN", cursor, "MATCH", match, "COUNT", 1000)
        if batch:
            deleted += client.call("DEL", *batch)
        if cursor == b"0":
            return deleted


def delete_latency_probe(port, subtree_keys, value):
    """Loads `subtree_keys` keys under big., then KV.DELs the subtree while a second client pings
    in a loop: returns (KV.DEL reply ms, worst ping round trip ms, pings, keys deleted)."""
    import threading
    c = Resp(port)
    c.pipeline_batched(("SET", f"big.node{i % 1000}.leaf{i}", value) for i in range(subtree_keys))
    probe = Resp(port)
    worst, pings, stop = [0.0], [0], threading.Event()

    def ping_loop():
        end = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < end:
            t0 = time.perf_counter()
            probe.call("PING")
            worst[0] = max(worst[0], (time.perf_counter() - t0) * 1000)
            pings[0] += 1

    th = threading.Thread(target=ping_loop)
    th.start()
    time.sleep(0.3)
    worst[0] = 0.0
    t0 = time.perf_counter()
    deleted = c.call("KV.DEL", "big.**")
    del_ms = (time.perf_counter() - t0) * 1000
    time.sleep(1.5)        # the reaper frees the subtree meanwhile
    stop.set()
    th.join()
    c.close()
    probe.close()
    return del_ms, worst[0], pings[0], deleted


def hierarchical_report(args, dkv_path, tmp):
    """Both servers get the same 1M-key hierarchy; prints a side-by-side table."""
    tenants, users = (100, 10000) if not args.quick else (100, 1000)
    nkeys = tenants * users
    value = b"v" * 64
    repeat = 5 if not args.quick else 2
    rows, probe = [], None
    servers = []
    try:
        for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
            wd = os.path.join(tmp, "hier-" + name)
            os.mkdir(wd)
            srv = Server(name=name, binary=binary, workdir=wd)
            servers.append(srv)
            if not srv.start():
                return 1
        res = {}
        for srv in servers:
            c = Resp(srv.port)
            before = used_memory(c)
            t0 = time.perf_counter()
            load_hierarchy(c, tenants, users, value)
            load_s = time.perf_counter() - t0
            r = {"bytes_per_key": (used_memory(c) - before) / nkeys, "load_s": load_s}
            r["keys_ms"], n = timed(lambda: len(c.call("KEYS", "app.tenant7.*")), repeat)
            r["keys_n"] = n
            r["keys_us"] = server_usec_per_call(
                c, "keys", lambda: c.call("KEYS", "app.tenant7.*"), repeat)
            r["scan_ms"], r["scan_n"] = timed(lambda: full_scan(c, "app.tenant7.*"),
                                              1 if srv.name == "redis" else repeat)
            if srv.name == "dkv":
                r["kvkeys_ms"], r["kvkeys_n"] = timed(
                    lambda: len(c.call("KV.KEYS", "app.tenant7.**")), repeat)
                r["kvkeys_us"] = server_usec_per_call(
                    c, "kv.keys", lambda: c.call("KV.KEYS", "app.tenant7.**"), repeat)
                r["kvcount_us"] = server_usec_per_call(
                    c, "kv.count", lambda: c.call("KV.COUNT", "app.tenant7.**"), 20)
                r["kvcount_ms"], r["kvcount_n"] = timed(
                    lambda: c.call("KV.COUNT", "app.tenant7.**"), max(repeat, 20))
                r["del_ms"], r["del_n"] = timed(lambda: c.call("KV.DEL", "app.tenant8.**"), 1)
            else:
                r["del_ms"], r["del_n"] = timed(lambda: scan_and_delete(c, "app.tenant8.*"), 1)
            c.close()
            rps = {}
            for test in ("SET", "GET"):
                case = Case(label=test, pipeline=16, clients=50, requests=args.requests,
                            test=test.lower(), extra=["-r", "1000000", "-d", "64"])
                sample = run_case(srv, case, args.run_timeout, -1)
                rps[test] = sample.rps if sample else None
            r["set_rps"], r["get_rps"] = rps["SET"], rps["GET"]
            res[srv.name] = r
        probe = delete_latency_probe(servers[1].port, 1000000 if not args.quick else 100000,
                                     value)
    finally:
        for srv in servers:
            srv.stop()
    R, D = res["redis"], res["dkv"]

    def speedup(a, b):
        return f"{a / b:.0f}x" if a and b else "-"
    rows = [
        ("keys loaded", f"{nkeys}", f"{nkeys}", ""),
        ("bytes per key (used_memory delta / keys)", f"{R['bytes_per_key']:.1f}",
         f"{D['bytes_per_key']:.1f}", f"{D['bytes_per_key'] / R['bytes_per_key']:.2f}"),
        (f"KEYS app.tenant7.* server us/call ({R['keys_n']} keys)", f"{R['keys_us']:.0f}",
         f"{D['keys_us']:.0f}", speedup(R["keys_us"], D["keys_us"]) + " faster"),
        ("KV.KEYS app.tenant7.** (dkv) vs KEYS (redis), server us/call", f"{R['keys_us']:.0f}",
         f"{D['kvkeys_us']:.0f}", speedup(R["keys_us"], D["kvkeys_us"]) + " faster"),
        ("KEYS app.tenant7.* client wall ms", f"{R['keys_ms']:.2f}", f"{D['keys_ms']:.2f}",
         speedup(R["keys_ms"], D["keys_ms"]) + " faster"),
        ("KV.KEYS app.tenant7.** (dkv) vs KEYS (redis), client wall ms", f"{R['keys_ms']:.2f}",
         f"{D['kvkeys_ms']:.2f}", speedup(R["keys_ms"], D["kvkeys_ms"]) + " faster"),
        ("KV.COUNT app.tenant7.** client wall ms / server us (dkv)", "-",
         f"{D['kvcount_ms']:.3f} / {D['kvcount_us']:.1f}", f"answer {D['kvcount_n']}"),
        ("full SCAN MATCH app.tenant7.* ms", f"{R['scan_ms']:.0f}", f"{D['scan_ms']:.1f}",
         speedup(R["scan_ms"], D["scan_ms"]) + " faster"),
        ("delete tenant8: SCAN+DEL (redis) vs KV.DEL (dkv) ms", f"{R['del_ms']:.1f}",
         f"{D['del_ms']:.2f}", speedup(R["del_ms"], D["del_ms"]) + " faster"),
        ("SET -P 16 rps at this size", fmt(R["set_rps"], 0), fmt(D["set_rps"], 0),
         f"{D['set_rps'] / R['set_rps']:.2f}" if D["set_rps"] and R["set_rps"] else "-"),
        ("GET -P 16 rps at this size", fmt(R["get_rps"], 0), fmt(D["get_rps"], 0),
         f"{D['get_rps'] / R['get_rps']:.2f}" if D["get_rps"] and R["get_rps"] else "-"),
    ]
    print()
    print(f"**Hierarchical keyspace** ({tenants} tenants x {users} users, "
          f"app.tenant<t>.user<u>.profile, 64-byte values)" if args.markdown else
          f"Hierarchical keyspace ({tenants} tenants x {users} users, 64-byte values)")
    print()
    print_table(args, ("measure", "redis", "dkv", "dkv vs redis"), rows, (55, 12, 12, 14))
    if probe:
        del_ms, worst, pings, deleted = probe
        print()
        print(f"KV.DEL of a {deleted}-key subtree (big.**): reply in {del_ms:.2f} ms; worst "
              f"round trip of a concurrent PING client over the delete and the following 1.5 s "
              f"of background freeing: {worst:.2f} ms ({pings} pings).")
    print("Client wall times are medians measured by this script (its Python RESP parser adds "
          "about 1.5 us per key returned to both servers); server us/call come from each "
          "server's INFO commandstats. SCAN iterations use the server's default COUNT (10), "
          "as client libraries do.")
    return 0
