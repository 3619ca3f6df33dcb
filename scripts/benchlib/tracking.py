"""scripts/bench --only tracking: the invalidation traffic of deleting one tenant's subtree
(10,000 keys) as one client tracking it sees it (RESP3, CLIENT TRACKING ON BCAST PREFIX
app.tenant7.): dkv deletes it with one KV.DEL app.tenant7.**, Redis with SCAN + DEL of the same
keys. Counts the invalidation messages the client receives, the keys (or, for dkv's prefix
invalidation, the prefixes) they carry and their bytes, and times the delete and the delivery.
Bounded: 10,000 keys (plus 1,000 of another tenant), at most 60 s of reading per server."""

import os
import socket
import time

from .common import Resp, Server, fmt, print_table
from .hierarchical import scan_and_delete

KEYS = 10000
OTHER = 1000
QUIET_S = 0.5
READ_BUDGET_S = 60.0


def drain(sock, quiet_s=QUIET_S, budget_s=READ_BUDGET_S):
    """Every byte `sock` receives until it has been quiet for `quiet_s` (or `budget_s` passed):
    (bytes, seconds from the call to the last byte)."""
    data = bytearray()
    start = time.perf_counter()
    last = start
    sock.settimeout(quiet_s)
    try:
        while time.perf_counter() - start < budget_s:
            try:
                chunk = sock.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            last = time.perf_counter()
    finally:
        sock.settimeout(120.0)
    return bytes(data), last - start


def parse_pushes(data):
    """The RESP3 pushes in `data`: (messages, entries): entries counts the keys of
    ["invalidate", [keys]] and the prefixes of dkv's ["invalidate", null, [prefixes]]."""
    parser = Resp.__new__(Resp)
    parser.buf = data
    parser.sock = None
    messages, entries = 0, 0
    while parser.buf:
        m = parser.reply()
        messages += 1
        if isinstance(m, list) and len(m) >= 2:
            if isinstance(m[1], list):          # the keys
                entries += len(m[1])
            elif len(m) >= 3 and isinstance(m[2], list):   # null, then dkv's prefixes
                entries += len(m[2])
    return messages, entries


def measure(srv, is_dkv):
    loader = Resp(srv.port)
    tracker = Resp(srv.port)
    try:
        tracker.call("HELLO", "3")
        tracker.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "app.tenant7.")
        loader.pipeline_batched(("SET", f"app.tenant7.user{u}.profile", "v" * 64)
                                for u in range(KEYS))
        loader.pipeline_batched(("SET", f"app.tenant8.user{u}.profile", "v" * 64)
                                for u in range(OTHER))
        load_bytes, _ = drain(tracker.sock)   # the loading's own invalidations
        t0 = time.perf_counter()
        if is_dkv:
            deleted = loader.call("KV.DEL", "app.tenant7.**")
        else:
            deleted = scan_and_delete(loader, "app.tenant7.*")
        delete_ms = (time.perf_counter() - t0) * 1000
        data, last_s = drain(tracker.sock)
        messages, entries = parse_pushes(data)
        remaining = loader.call("DBSIZE")
        return {"deleted": deleted, "delete_ms": delete_ms, "messages": messages,
                "entries": entries, "bytes": len(data), "load_bytes": len(load_bytes),
                "last_ms": delete_ms + last_s * 1000, "remaining": remaining}
    finally:
        loader.close()
        tracker.close()


def tracking_report(args, dkv_path, tmp):
    results, servers = {}, []
    try:
        for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
            wd = os.path.join(tmp, "tracking-" + name)
            os.mkdir(wd)
            srv = Server(name=name, binary=binary, workdir=wd)
            servers.append(srv)
            if not srv.start():
                return 1
            results[name] = measure(srv, name == "dkv")
    finally:
        for srv in servers:
            srv.stop()
    r, d = results["redis"], results["dkv"]
    print()
    print(f"Invalidations of one subtree delete ({KEYS:,} keys under app.tenant7.; one RESP3 "
          "client with CLIENT TRACKING ON BCAST PREFIX app.tenant7.; Redis: SCAN MATCH "
          "app.tenant7.* COUNT 1000 + DEL, dkv: KV.DEL app.tenant7.**)")
    rows = [
        ["keys deleted", str(r["deleted"]), str(d["deleted"])],
        ["keys left (the other tenant)", str(r["remaining"]), str(d["remaining"])],
        ["delete, client time (ms)", fmt(r["delete_ms"], 1), fmt(d["delete_ms"], 2)],
        ["invalidation messages received", str(r["messages"]), str(d["messages"])],
        ["keys / prefixes they carry", str(r["entries"]), str(d["entries"])],
        ["bytes received by the tracking client", f"{r['bytes']:,}", f"{d['bytes']:,}"],
        ["last invalidation after the delete began (ms)", fmt(r["last_ms"], 1),
         fmt(d["last_ms"], 1)],
    ]
    print_table(args, ["measure", "redis", "dkv"], rows, (48, 12, 12),
                plain_header=["measure", "redis", "dkv"])
    return 0
