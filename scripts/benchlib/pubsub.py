"""scripts/bench --only pubsub: PUBLISH fan-out side by side. For 1, 10 and 100 subscribers of
one channel, redis-benchmark publishes a 64-byte message (-c 10 -P 16) while a drain process
reads every subscriber's socket; the figure is messages delivered per second, end to end: the
publishes times the subscribers, over the time from the first message received until the last
subscriber has every message. The number of publishes shrinks as subscribers grow (at most 2,000,000
deliveries per run; --quick 400,000), and client-output-buffer-limit's pubsub class is lifted
on both servers for the run, so a drain that falls behind is measured, not disconnected. Each
run is bounded by --run-timeout."""

import os
import statistics
import subprocess
import sys
import time

from .common import Interrupts, Resp, Server, fmt, log, print_table

CHANNEL = "bench:fanout"
PAYLOAD = "m" * 64
SUBSCRIBERS = (1, 10, 100)

# The drain: subscribes N sockets, says "ready", then reads until `expected` bytes came on
# every one (or its deadline), and prints the seconds from the first byte to the last.
DRAIN = r"""
import selectors, socket, sys, time
port, n, expected, deadline = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
channel = sys.argv[5].encode()
sub = b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(channel), channel)
confirm = len(b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel), channel))
sel = selectors.DefaultSelector()
left = {}
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.sendall(sub)
    got = b""
    while len(got) < confirm:
        got += s.recv(confirm - len(got))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    left[s] = expected
print("ready", flush=True)
buf = bytearray(1 << 20)
first = None
last = time.monotonic()
pending = n if expected > 0 else 0
while pending and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        try:
            k = s.recv_into(buf)
        except BlockingIOError:
            continue
        if k == 0:
            sel.unregister(s)
            pending -= 1
            continue
        left[s] -= k
        last = time.monotonic()
        if first is None:
            first = last
        if left[s] <= 0:
            sel.unregister(s)
            pending -= 1
print("done %.6f %d" % (last - (first or last), pending), flush=True)
"""


def message_bytes():
    c, p = CHANNEL.encode(), PAYLOAD.encode()
    return len(b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(c), c, len(p), p))


def fanout_run(srv, subscribers, publishes, timeout_s):
    """Messages delivered per second, or None (reason logged)."""
    expected = publishes * message_bytes()
    deadline = time.monotonic() + timeout_s
    with Interrupts.held():
        drain = subprocess.Popen([sys.executable, "-c", DRAIN, str(srv.port), str(subscribers),
                                  str(expected), str(deadline), CHANNEL],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if drain.stdout.readline().strip() != "ready":
            log(f"warning: the drain did not subscribe on {srv.name}: {drain.stderr.read()[:200]}")
            return None
        argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-q", "-c", "10",
                "-P", "16", "-n", str(publishes), "PUBLISH", CHANNEL, PAYLOAD]
        with Interrupts.held():
            bench = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        try:
            bench.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            bench.kill()
            bench.communicate()
            log(f"warning: PUBLISH x{subscribers} on {srv.name} did not finish in time")
            return None
        out, _ = drain.communicate(timeout=max(1.0, deadline - time.monotonic() + 5))
        words = out.split()
        if len(words) != 3 or words[0] != "done" or words[2] != "0":
            log(f"warning: {srv.name}: {subscribers - int(words[2]) if len(words) == 3 else '?'}"
                f" of {subscribers} subscribers got every message")
            return None
        elapsed = float(words[1])
        return publishes * subscribers / elapsed if elapsed > 0 else None
    finally:
        if drain.poll() is None:
            drain.kill()
            drain.communicate()


def pubsub_report(args, dkv_path, tmp):
    budget = 400000 if args.quick else 2000000
    servers = []
    rates = {}
    try:
        for name, binary in (("redis", args.redis), ("dkv", dkv_path)):
            wd = os.path.join(tmp, "pubsub-" + name)
            os.mkdir(wd)
            srv = Server(name=name, binary=binary, workdir=wd)
            servers.append(srv)
            if not srv.start():
                return 1
            c = Resp(srv.port)
            c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 0 0")
            c.close()
        for rnd in range(args.rounds):
            order = servers if rnd % 2 == 0 else servers[::-1]
            for subs in SUBSCRIBERS:
                publishes = max(1000, min(args.requests, budget // subs))
                for srv in order:
                    rate = fanout_run(srv, subs, publishes, args.run_timeout)
                    if rate is not None:
                        rates.setdefault((subs, srv.name), []).append(rate)
                        log(f"  round {rnd + 1}/{args.rounds} PUBLISH x{subs:<3} {srv.name:<5} "
                            f"{rate:>12.0f} messages/s")
    finally:
        for srv in servers:
            srv.stop()

    def med(subs, name):
        v = rates.get((subs, name))
        return statistics.median(v) if v else None

    rows = []
    for subs in SUBSCRIBERS:
        r, d = med(subs, "redis"), med(subs, "dkv")
        rows.append((f"PUBLISH to {subs} subscriber{'s' if subs > 1 else ''} (messages/s)",
                     fmt(r, 0), fmt(d, 0), f"{d / r:.2f}" if r and d else "-"))
    print()
    print("**Pub/Sub fan-out**" if args.markdown else "Pub/Sub fan-out")
    print()
    print_table(args, ("measure", "redis", "dkv", "dkv / redis"), rows, (50, 12, 12, 12))
    print("Messages delivered per second, end to end (medians of the rounds; higher is better): "
          "redis-benchmark -c 10 -P 16 PUBLISH of a 64-byte message to one channel, every "
          "subscriber's socket read by one drain process.")
    return 0 if all(med(s, n) for s in SUBSCRIBERS for n in ("redis", "dkv")) else 1
