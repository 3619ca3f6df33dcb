"""scripts/bench --only persistence: SAVE time, file size, load time and BGSAVE under a concurrent
write load (worst PING, peak RSS and PSS, fork time), for the same 1M keys in both servers."""

import os
import signal
import statistics
import time

from .common import Resp, Server, fmt, info_field, print_table


def persistence_values(n):
    """Deterministic, varied values of 40-70 bytes (JSON-like profile records)."""
    return [b'{"id":%d,"name":"user%d","plan":"%s","visits":%d}'
            % (i, i, (b"free", b"pro", b"team")[i % 3], (i * 7919) % 100000) for i in range(n)]


def persistence_keys(tenants, users):
    return [f"app.tenant{t}.user{u}.profile" for u in range(users) for t in range(tenants)]


def load_keys(port, keys, values, ttl_every=10):
    """SET every key (every ttl_every-th with EX 86400), pipelined."""
    c = Resp(port)
    c.pipeline_batched(("SET", k, values[i], "EX", 86400) if ttl_every and i % ttl_every == 0
                       else ("SET", k, values[i]) for i, k in enumerate(keys))
    c.close()


def write_load(port, keys, seconds, seed):
    """Overwrites random existing keys with same-size values, pipelined, for `seconds`
    (run in a separate process so the probe's timing does not share the GIL)."""
    import random
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # terminate() ends it quietly
    rng = random.Random(seed)
    c = Resp(port)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        batch = []
        for _ in range(100):
            i = rng.randrange(len(keys))
            batch.append(("SET", keys[i], b"%050d" % (n + i)))
        c.pipeline(batch)
        n += 100
    c.close()


def process_memory_kb(pid):
    """(RSS of pid, PSS of pid and its children) in kB; PSS counts a page shared by the parent and
    a forked child half to each, so the sum is the physical memory the save costs."""
    def field(path, name):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(name):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0
    rss = field(f"/proc/{pid}/status", "VmRSS:")
    pss = field(f"/proc/{pid}/smaps_rollup", "Pss:")
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            for child in f.read().split():
                pss += field(f"/proc/{child}/smaps_rollup", "Pss:")
    except OSError:
        pass
    return rss, pss


def bgsave_under_writes(srv, keys, saves=3, max_s=120):
    """`saves` BGSAVEs, one after the other, while another process overwrites keys. Returns a dict
    of lists, one entry per save: worst PING ms during the save, worst PING ms in the second
    before it, peak server RSS MB, peak server+child PSS MB, save seconds, fork microseconds."""
    import multiprocessing
    import threading
    writer = multiprocessing.get_context("fork").Process(
        target=write_load, args=(srv.port, keys, max_s, 7), daemon=True)
    writer.start()
    probe, ctl = Resp(srv.port), Resp(srv.port)
    worst, stop, phase = {"before": 0.0, "during": 0.0}, threading.Event(), ["idle"]
    peak = {"rss": 0, "pss": 0}
    out = {k: [] for k in ("during", "before", "rss", "pss", "seconds", "fork_us")}

    def ping_loop():
        end = time.monotonic() + max_s
        while not stop.is_set() and time.monotonic() < end:
            t0 = time.perf_counter()
            probe.call("PING")
            ms = (time.perf_counter() - t0) * 1000
            if phase[0] in worst:
                worst[phase[0]] = max(worst[phase[0]], ms)
            time.sleep(0.001)

    def memory_loop():
        end = time.monotonic() + max_s
        while not stop.is_set() and time.monotonic() < end:
            rss, pss = process_memory_kb(srv.proc.pid)
            if phase[0] == "during":
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
            time.sleep(0.02)

    threads = [threading.Thread(target=ping_loop), threading.Thread(target=memory_loop)]
    try:
        time.sleep(1.0)         # the writes reach full speed
        for t in threads:
            t.start()
        for _ in range(saves):
            worst["before"] = worst["during"] = 0.0
            peak["rss"] = peak["pss"] = 0
            phase[0] = "before"
            time.sleep(1.0)
            phase[0] = "during"
            t0 = time.monotonic()
            ctl.call("BGSAVE")
            time.sleep(0.05)
            while info_field(ctl, "persistence", "rdb_bgsave_in_progress") == "1":
                if time.monotonic() - t0 > max_s:
                    break
                time.sleep(0.02)
            out["seconds"].append(time.monotonic() - t0)
            time.sleep(0.2)
            phase[0] = "idle"
            out["during"].append(worst["during"])
            out["before"].append(worst["before"])
            out["rss"].append(peak["rss"] / 1024)
            out["pss"].append(peak["pss"] / 1024)
            out["fork_us"].append(int(info_field(ctl, "stats", "latest_fork_usec") or 0))
    finally:
        stop.set()
        for t in threads:
            if t.is_alive():
                t.join()
        writer.terminate()
        writer.join()
        probe.close()
        ctl.close()
    return out


def persistence_report(args, dkv_path, tmp):
    """Both servers get the same 1M hierarchical keys (one in ten with a TTL); SAVE time, file
    size, load time (process start to first PONG) and BGSAVE under a concurrent write load."""
    tenants, users = (100, 10000) if not args.quick else (100, 1000)
    keys = persistence_keys(tenants, users)
    values = persistence_values(len(keys))
    res = {}
    for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
        wd = os.path.join(tmp, "persist-" + name)
        os.mkdir(wd)
        srv = Server(name=name, binary=binary, workdir=wd)
        if not srv.start():
            return 1
        try:
            load_keys(srv.port, keys, values)
            c = Resp(srv.port, timeout=300)
            t0 = time.perf_counter()
            c.call("SAVE")
            save_s = time.perf_counter() - t0
            c.close()
            fname = "dump.rdb" if name == "redis" else "dump.dkv"
            size = os.path.getsize(os.path.join(wd, fname))
            srv.stop()
            # Load: from process start to the first +PONG (both load before they answer it).
            t0 = time.monotonic()
            if not srv.start(poll_s=0.005):
                return 1
            load_s = time.monotonic() - t0
            c = Resp(srv.port)
            loaded = c.call("DBSIZE")
            c.close()
            rss_mb = process_memory_kb(srv.proc.pid)[0] / 1024
            bg = bgsave_under_writes(srv, keys)
            med = statistics.median
            res[name] = {"save": save_s, "size": size, "load": load_s, "loaded": loaded,
                         "rss": rss_mb, "during": med(bg["during"]),
                         "during_max": max(bg["during"]), "before": med(bg["before"]),
                         "peak_rss": max(bg["rss"]), "peak_pss": max(bg["pss"]),
                         "bg": med(bg["seconds"]), "fork": med(bg["fork_us"])}
        finally:
            srv.stop()
    R, D = res["redis"], res["dkv"]

    def r(a, b, digits=2):
        return f"{a / b:.{digits}f}" if b else "-"
    rows = [
        (f"{len(keys)} hierarchical keys (1 in 10 with a TTL): SAVE, seconds",
         fmt(R["save"], 3), fmt(D["save"], 3), r(D["save"], R["save"])),
        ("  snapshot file size, MB", fmt(R["size"] / 1e6, 1), fmt(D["size"] / 1e6, 1),
         r(D["size"], R["size"])),
        ("  load: process start to first PONG, seconds", fmt(R["load"], 3), fmt(D["load"], 3),
         r(D["load"], R["load"])),
        ("  keys after the load (DBSIZE)", str(R["loaded"]), str(D["loaded"]), ""),
        ("  server RSS after the load, MB", fmt(R["rss"], 0), fmt(D["rss"], 0),
         r(D["rss"], R["rss"])),
        ("3 BGSAVEs under a concurrent SET load: seconds (median)", fmt(R["bg"], 2),
         fmt(D["bg"], 2), r(D["bg"], R["bg"])),
        ("  fork, microseconds (median of latest_fork_usec)", str(R["fork"]), str(D["fork"]),
         r(D["fork"], R["fork"])),
        ("  worst PING round trip during a save, ms (median of the 3)", fmt(R["during"], 2),
         fmt(D["during"], 2), r(D["during"], R["during"])),
        ("  worst PING round trip during a save, ms (max of the 3)", fmt(R["during_max"], 2),
         fmt(D["during_max"], 2), r(D["during_max"], R["during_max"])),
        ("  worst PING round trip in the second before a save, ms (median)",
         fmt(R["before"], 2), fmt(D["before"], 2), ""),
        ("  peak RSS of the server process, MB", fmt(R["peak_rss"], 0), fmt(D["peak_rss"], 0),
         r(D["peak_rss"], R["peak_rss"])),
        ("  peak PSS of server + saving child, MB", fmt(R["peak_pss"], 0),
         fmt(D["peak_pss"], 0), r(D["peak_pss"], R["peak_pss"])),
    ]
    print()
    print("**Persistence**" if args.markdown else "Persistence")
    print()
    print_table(args, ("measure", "redis", "dkv", "dkv / redis"), rows, (75, 10, 10, 12))
    return 0
