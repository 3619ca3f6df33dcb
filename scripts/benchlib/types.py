"""scripts/bench --only types: hashes, sets, lists and sorted sets side by side. Throughput of
redis-benchmark's HSET, SADD and SPOP (fields and members drawn from -r 1000000, so the hash and
the set grow into their large encodings) and of LPUSH, RPUSH, LPOP, RPOP, LRANGE_100,
LRANGE_600, ZADD and ZPOPMIN, and of XADD and XREADGROUP on one stream (COUNT 1, one group), all
at -P 16; and memory per element (INFO used_memory delta) of
five shapes: one 1,000,000-field hash, one 1,000,000-member set, 100,000 small hashes of 10
fields (the shape of Rails sessions and Sidekiq jobs), one 1,000,000-element list and one
1,000,000-member sorted set."""

import os
import statistics
import time

from .common import Case, Resp, Server, fmt, log, print_table, run_case, used_memory

# A small hash as web frameworks write them: short field names, short values.
# redis-benchmark tests, in its own order; the hash and set tests draw their fields and members
# from -r 1000000 (ZADD too: its members are random), the list tests use one key.
TESTS = ("hset", "sadd", "spop", "lpush", "rpush", "lpop", "rpop", "lrange_100", "lrange_600",
         "zadd", "zpopmin")
RANDOM_KEYS = ("hset", "sadd", "spop", "zadd", "zpopmin")
# Streams, as literal commands on one key: XADD appends the requests' entries, then one group
# reads them one XREADGROUP at a time (COUNT 1: each call delivers one new entry and grows the
# group's PEL by one, so the XADDs before it leave exactly enough).
STREAM_KEY = "bench:stream"
STREAM_TESTS = (("xadd", ("XADD", STREAM_KEY, "*", "field", "value")),
                ("xreadgroup", ("XREADGROUP", "GROUP", "grp", "consumer", "COUNT", "1",
                                "STREAMS", STREAM_KEY, ">")))

SMALL_FIELDS = ("class", "queue", "jid", "created_at", "enqueued_at", "retry", "args",
                "user_id", "status", "attempts")


def settled_memory(client):
    """used_memory once the server has finished freeing: dkv frees a large hash or set in
    background slices after FLUSHALL, so a reading taken at once would still hold it."""
    last = used_memory(client)
    for _ in range(200):
        time.sleep(0.05)
        now = used_memory(client)
        if now == last:
            return now
        last = now
    return last


def memory_shapes(client, quick):
    """Bytes per element of each shape, measured one after the other on an empty server."""
    n = 1000000 if not quick else 100000
    small = 100000 if not quick else 10000
    out = {}
    client.call("FLUSHALL")
    before = settled_memory(client)
    client.pipeline_batched(
        (("HSET", "big:hash") + sum(((f"field:{j}", f"value:{j}") for j in range(i, i + 100)), ())
         for i in range(0, n, 100)), size=100)
    out["hash"] = (used_memory(client) - before) / n
    client.call("FLUSHALL")
    before = settled_memory(client)
    client.pipeline_batched(
        (("SADD", "big:set") + tuple(f"member:{j}" for j in range(i, i + 100))
         for i in range(0, n, 100)), size=100)
    out["set"] = (used_memory(client) - before) / n
    client.call("FLUSHALL")
    before = settled_memory(client)
    client.pipeline_batched(
        (("HSET", f"job:{i}") + sum(((f, f"{f}-{i % 997}") for f in SMALL_FIELDS), ())
         for i in range(small)), size=500)
    out["small"] = (used_memory(client) - before) / (small * len(SMALL_FIELDS))
    out["small_key"] = (used_memory(client) - before) / small
    client.call("FLUSHALL")
    before = settled_memory(client)
    client.pipeline_batched(
        (("RPUSH", "big:list") + tuple(f"element:{j}" for j in range(i, i + 100))
         for i in range(0, n, 100)), size=100)
    out["list"] = (used_memory(client) - before) / n
    client.call("FLUSHALL")
    before = settled_memory(client)
    client.pipeline_batched(
        (("ZADD", "big:zset") + sum(((str(j * 7 % 1000003), f"member:{j}")
                                     for j in range(i, i + 100)), ())
         for i in range(0, n, 100)), size=100)
    out["zset"] = (used_memory(client) - before) / n
    out["check_big"] = (client.call("ZCARD", "big:zset"), client.call("TYPE", "big:zset"))
    # Spot checks that both servers hold what was written.
    out["check"] = (client.call("HLEN", f"job:{small - 1}"), client.call("TYPE", "job:0"))
    client.call("FLUSHALL")
    return out, n, small


def types_report(args, dkv_path, tmp):
    rounds = args.rounds
    servers = []
    try:
        for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
            wd = os.path.join(tmp, "types-" + name)
            os.mkdir(wd)
            srv = Server(name=name, binary=binary, workdir=wd)
            servers.append(srv)
            if not srv.start():
                return 1
        mem = {}
        for srv in servers:
            c = Resp(srv.port)
            mem[srv.name], n, small = memory_shapes(c, args.quick)
            c.close()
            log(f"  memory {srv.name}: {mem[srv.name]}")
        rps = {}
        cpu = {}  # server CPU seconds per request (us): what the server spends, whatever the client
        for rnd in range(rounds):
            order = servers if rnd % 2 == 0 else servers[::-1]
            for test in TESTS:
                for srv in order:
                    # The list and sorted-set tests start from an empty server: the pops and
                    # LRANGE find what the pushes before them left, as in redis-benchmark's
                    # own sequence.
                    if test == "lpush":
                        c = Resp(srv.port)
                        c.call("FLUSHALL")
                        c.close()
                    extra = ["-r", "1000000"] if test in RANDOM_KEYS else []
                    case = Case(label=test.upper(), pipeline=16, clients=50,
                                requests=args.requests, test=test, extra=extra)
                    s = run_case(srv, case, args.run_timeout, -1)
                    if s is not None:
                        rps.setdefault((test, srv.name), []).append(s.rps)
                        cpu.setdefault((test, srv.name), []).append(s.cpu_us_per_req)
                        log(f"  round {rnd + 1}/{rounds} {test:<5} {srv.name:<5} {s.rps:>11.0f} rps")
            for test, command in STREAM_TESTS:
                for srv in order:
                    c = Resp(srv.port)
                    if test == "xadd":
                        c.call("DEL", STREAM_KEY)
                    else:
                        c.call("XGROUP", "CREATE", STREAM_KEY, "grp", "0")
                    c.close()
                    case = Case(label=test.upper(), pipeline=16, clients=50,
                                requests=args.requests, command=list(command))
                    s = run_case(srv, case, args.run_timeout, -1)
                    if s is not None:
                        rps.setdefault((test, srv.name), []).append(s.rps)
                        cpu.setdefault((test, srv.name), []).append(s.cpu_us_per_req)
                        log(f"  round {rnd + 1}/{rounds} {test:<5} {srv.name:<5} {s.rps:>11.0f} rps")
    finally:
        for srv in servers:
            srv.stop()

    def med(test, name, table=None):
        v = (rps if table is None else table).get((test, name))
        return statistics.median(v) if v else None

    rows = []
    for test in TESTS:
        r, d = med(test, "redis"), med(test, "dkv")
        shape = "-P 16 -c 50 -r 1000000" if test in RANDOM_KEYS else "-P 16 -c 50"
        rows.append((f"{test.upper()} {shape} (rps)", fmt(r, 0), fmt(d, 0),
                     f"{d / r:.2f}" if r and d else "-"))
    for test, command in STREAM_TESTS:
        r, d = med(test, "redis"), med(test, "dkv")
        rows.append((f"{' '.join(command[:2])} ... -P 16 -c 50 (rps)", fmt(r, 0), fmt(d, 0),
                     f"{d / r:.2f}" if r and d else "-"))
    for test in TESTS + tuple(t for t, _ in STREAM_TESTS):
        r, d = med(test, "redis", cpu), med(test, "dkv", cpu)
        rows.append((f"{test.upper()} server CPU per request (us)", fmt(r, 2), fmt(d, 2),
                     f"{d / r:.2f}" if r and d else "-"))
    R, D = mem["redis"], mem["dkv"]
    for key, label in (("hash", f"one {n}-field hash, bytes per field"),
                       ("set", f"one {n}-member set, bytes per member"),
                       ("small", f"{small} hashes of 10 fields, bytes per field"),
                       ("small_key", f"{small} hashes of 10 fields, bytes per hash"),
                       ("list", f"one {n}-element list, bytes per element"),
                       ("zset", f"one {n}-member sorted set, bytes per member")):
        rows.append((label, f"{R[key]:.1f}", f"{D[key]:.1f}", f"{D[key] / R[key]:.2f}"))
    print()
    print("**Hashes, sets, lists and sorted sets**" if args.markdown
          else "Hashes, sets, lists and sorted sets")
    print()
    print_table(args, ("measure", "redis", "dkv", "dkv / redis"), rows, (50, 12, 12, 12))
    print("Throughput: medians of the rounds (higher is better); server CPU per request: the "
          "server process' CPU time over the run divided by its requests (lower is better; at "
          "-P 16 on 2 cores redis-benchmark's own core often bounds throughput, so this is the "
          "steadier comparison); memory: INFO used_memory "
          "delta per element (lower is better). Fields are field:<i> with values value:<i>, set "
          "members member:<i>; the small hashes have 10 fields such as class, queue, jid; list "
          "elements element:<i>; sorted-set members member:<i> with integer scores. The list "
          "tests run in redis-benchmark's order on one key (LPOP and RPOP pop what the pushes "
          "left; LRANGE_* fill their own list first).")
    if R["check_big"] != D["check_big"]:
        log(f"warning: the servers disagree on the sorted set: {R['check_big']} vs "
            f"{D['check_big']}")
        return 1
    if R["check"] != D["check"]:
        log(f"warning: the servers disagree on the small hashes: {R['check']} vs {D['check']}")
        return 1
    return 0
