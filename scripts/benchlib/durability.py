"""scripts/bench --only durability: the append-only log. SET throughput (-c 50 -P 1) of dkv and
Redis side by side with appendonly yes under appendfsync always and everysec (and with the log off,
the cost of turning it on), each server in its own directory, rounds alternating which server goes first; then the time each takes to load a
log of the same SETs at start (from the start of the process until PING answers and INFO's
loading is 0)."""

import os
import shutil
import statistics
import time

from .common import Case, Resp, Server, fmt, info_field, log, print_table, run_case


def _servers(args, dkv_path, tmp, tag, extra):
    out = []
    for kind, binary in (("redis", args.redis), ("dkv", dkv_path)):
        wd = os.path.join(tmp, f"dur-{tag}-{kind}")
        os.makedirs(wd, exist_ok=True)
        out.append(Server(name=kind, binary=binary, workdir=wd, extra=extra))
    return out


def _time_to_ready(srv, timeout_s=300):
    """Seconds from spawning the server until PING answers and INFO persistence's loading is
    0; None on failure."""
    t0 = time.monotonic()
    if not srv.start(poll_s=0.005):
        return None
    client = Resp(srv.port)
    deadline = t0 + timeout_s
    while str(info_field(client, "persistence", "loading") or "0") != "0":
        if time.monotonic() > deadline:
            client.close()
            return None
        time.sleep(0.005)
    elapsed = time.monotonic() - t0
    client.close()
    return elapsed


def durability_report(args, dkv_path, tmp):
    n = 20000 if args.quick else 100000
    results = {}
    policies = ("off", "always", "everysec")
    for policy in policies:
        extra = (["--appendonly", "no"] if policy == "off" else
                 ["--appendonly", "yes", "--appendfsync", policy])
        servers = _servers(args, dkv_path, tmp, policy, extra)
        for s in servers:
            if not s.start():
                for t in servers:
                    t.stop()
                return 1
        samples = {"redis": [], "dkv": []}
        try:
            case = Case(label="SET", test="set", pipeline=1, clients=50, requests=n,
                        extra=["-r", "1000000", "-d", "64"])
            for rnd in range(args.rounds):
                order = servers if rnd % 2 == 0 else list(reversed(servers))
                for s in order:
                    sample = run_case(s, case, args.run_timeout)
                    if sample is not None:
                        samples[s.name].append(sample.rps)
        finally:
            for s in servers:
                s.stop()
        results[policy] = samples

    # Loading: the same log of `load_n` SETs (distinct keys) in each server's own format.
    load_n = 100000 if args.quick else 1000000
    # No automatic rewrite: both load a log of commands only (no base).
    extra = ["--appendonly", "yes", "--appendfsync", "everysec", "--auto-aof-rewrite-percentage",
             "0"]
    servers = _servers(args, dkv_path, tmp, "load", extra)
    load_times = {"redis": [], "dkv": []}
    sizes = {}
    try:
        for s in servers:
            if not s.start():
                return 1
            fill = Case(label="fill", test="set", pipeline=16, clients=50, requests=load_n,
                        extra=["-r", str(load_n * 10), "-d", "64"])
            run_case(s, fill, max(args.run_timeout, 600))
            client = Resp(s.port)
            sizes[s.name] = (info_field(client, "keyspace", "db0"),
                             info_field(client, "persistence", "aof_current_size"))
            client.close()
            s.stop()
        for rnd in range(args.rounds):
            order = servers if rnd % 2 == 0 else list(reversed(servers))
            for s in order:
                t = _time_to_ready(s)
                if t is not None:
                    load_times[s.name].append(t)
                s.stop()
    finally:
        for s in servers:
            s.stop()

    def med(xs):
        return statistics.median(xs) if xs else None

    print()
    title = "Append-only log: SET throughput and load time"
    print(f"**{title}**" if args.markdown else title)
    print(f"(SET -c 50 -P 1 -r 1000000 -d 64, {n} requests, median of {args.rounds} round(s); "
          f"each server in its own directory with appendonly yes)")
    print()
    rows = []
    for policy in policies:
        r = med(results[policy]["redis"])
        d = med(results[policy]["dkv"])
        rows.append(("appendonly no" if policy == "off" else f"appendfsync {policy}", fmt(r, 0), fmt(d, 0),
                     f"{d / r:.2f}" if r and d else "-",
                     " ".join(f"{x:.0f}" for x in results[policy]["redis"]),
                     " ".join(f"{x:.0f}" for x in results[policy]["dkv"])))
    print_table(args, ("policy", "redis rps", "dkv rps", "dkv/redis", "redis runs", "dkv runs"),
                rows, (22, 10, 10, 10, 24, 24))
    print()
    r = med(load_times["redis"])
    d = med(load_times["dkv"])
    print(f"Load of a log of {load_n} SETs (-P 16 fill; keys/size: redis {sizes.get('redis')}, "
          f"dkv {sizes.get('dkv')}), seconds until PING answers and loading is 0, median of "
          f"{args.rounds}:")
    rows = [("load time s", fmt(r, 3), fmt(d, 3), f"{r / d:.2f}" if r and d else "-",
             " ".join(f"{x:.3f}" for x in load_times["redis"]),
             " ".join(f"{x:.3f}" for x in load_times["dkv"]))]
    print_table(args, ("", "redis", "dkv", "redis/dkv", "redis runs", "dkv runs"), rows,
                (22, 10, 10, 10, 24, 24))
    for s in servers:
        shutil.rmtree(s.dir, ignore_errors=True)
    return 0
