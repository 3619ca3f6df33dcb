"""What every report of scripts/bench shares: the servers (tests/pylib/dkv_fixture.py's Server,
with a name, restart counting and bench's signal handling), redis-benchmark runs (Case, Sample,
Section, run_case, run_sections), a small pipelining RESP client, the table printer.

Each report module (strings, scripting, hierarchical, cache, persistence, postgres,
http_listener) owns its measurements and its table; cli.py parses the options and picks them.
"""

import contextlib
import csv
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import free_port  # noqa: E402,F401  (the reports take it from here)

DEFAULT_DKV = os.path.join(REPO_ROOT, "build", "release", "src", "dkv-server")
CLK_TCK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_S = 20.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Interrupts:
    """Ctrl-C, SIGTERM and SIGHUP raise KeyboardInterrupt, except inside
    `with Interrupts.held():`, where they wait until the block ends. Starting a
    child is such a block: an interrupt between fork and the Popen object
    reaching us would leave a server nobody stops."""
    depth = 0
    pending = False

    @classmethod
    def install(cls):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, cls._handler)

    @classmethod
    def _handler(cls, signum, frame):
        if cls.depth:
            cls.pending = True
            return
        raise KeyboardInterrupt

    @classmethod
    @contextlib.contextmanager
    def held(cls):
        cls.depth += 1
        try:
            yield
        finally:
            cls.depth -= 1
            if cls.depth == 0 and cls.pending:
                cls.pending = False
                raise KeyboardInterrupt


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def ping(port, timeout=0.5):
    """True when the server on port answers PING with +PONG."""
    return dkv_fixture.ping(port, timeout=timeout)[0]


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds.

    Fields 14 and 15 of /proc/PID/stat, counted after the ')' that closes the
    command name, since the name itself may hold spaces.
    """
    with open(f"/proc/{pid}/stat", "rb") as f:
        raw = f.read().decode("ascii", "replace")
    rest = raw[raw.rindex(")") + 2:].split()
    # rest[0] is field 3 (state), so field N is rest[N - 3].
    return (int(rest[14 - 3]) + int(rest[15 - 3])) / CLK_TCK


class Server(dkv_fixture.Server):
    """One server process on a free loopback port, in `workdir` (log <name>.log there), with no
    scheduled snapshot writes: persistence cost is measured on its own (--only persistence), not
    inside the throughput runs. `extra` holds more server options (changeable between starts)."""

    def __init__(self, name, binary, workdir, cpu=-1, extra=()):
        super().__init__(binary, extra, dir=workdir, log_name=f"{name}.log", save_off=True,
                         cpu=cpu, start_timeout=START_TIMEOUT_S)
        self.name = name
        self.restarts = 0
        self.dead = False        # gave up on this server
        self.warned = False      # redis-benchmark stderr note already shown
        self.spawn_guard = Interrupts.held   # no interrupt between fork and the Popen object

    @property
    def extra(self):
        return self.args

    @extra.setter
    def extra(self, value):
        self.args = list(value)

    def start(self, poll_s=0.05):
        """Start the server and wait for PING; False (with log tail) on failure."""
        try:
            super().start(poll_s=poll_s)
            return True
        except RuntimeError:
            status = self.exit_status
        log(f"error: {self.name} ({self.binary}) did not answer PING on port "
            f"{self.port} within {START_TIMEOUT_S:.0f}s"
            + (f" (exit status {status})" if status is not None else ""))
        log(self.log_tail())
        return False

    def ensure_running(self):
        """Restart once per crash; after a failed restart the server is skipped."""
        if self.dead:
            return False
        if self.alive() and ping(self.port, timeout=2.0):
            return True
        log(f"warning: {self.name} is not answering (exit status "
            f"{self.proc.poll() if self.proc else None}); restarting it")
        log(self.log_tail())
        self.stop()
        self.restarts += 1
        if not self.start():
            self.dead = True
            return False
        return True

    def log_tail(self, lines=15):
        tail = self.log_lines(lines)
        if tail is None:
            return "(no log)"
        return "\n".join(f"  {self.name}| {l}" for l in tail)


def version_of(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
        return out.splitlines()[0] if out else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------

@dataclass
class Case:
    """One redis-benchmark invocation shape."""
    label: str                       # name in the report
    pipeline: int
    clients: int
    requests: int
    test: str = None                 # redis-benchmark -t name ...
    command: list = None             # ... or a literal command (argv)
    extra: list = field(default_factory=list)   # e.g. ["-r", "1000000", "-d", "64"]
    servers: tuple = ("redis", "dkv")

    def argv(self, port):
        args = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "--csv",
                "-c", str(self.clients), "-n", str(self.requests),
                "-P", str(self.pipeline)] + list(self.extra)
        if self.command:
            args += list(self.command)
        else:
            args += ["-t", self.test]
        return args


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_req: float
    wall_s: float


@dataclass
class Section:
    title: str
    cases: list
    prepare: object = None    # optional callable(Server), once per server per round


def load_with_benchmark(server, command, requests, keyspace, clients=50, pipeline=16,
                        timeout_s=300):
    """Fill a server by running one redis-benchmark command line quietly,
    e.g. ["SET", "app.t__rand_int__.cfg", "v"] with -r keyspace. True on success."""
    if not server.ensure_running():
        return False
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-q",
            "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
            "-r", str(keyspace)] + list(command)
    with Interrupts.held():
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        _, err = p.communicate(timeout=timeout_s)
    except BaseException:
        p.kill()
        p.wait()
        if isinstance(sys.exc_info()[1], subprocess.TimeoutExpired):
            log(f"warning: loading {server.name} did not finish in {timeout_s}s")
            return False
        raise
    if p.returncode != 0:
        log(f"warning: loading {server.name} failed: {err.strip()[:200]}")
        return False
    return True


def parse_csv(text):
    """rows of redis-benchmark --csv, as dicts keyed by the header line."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if len(r) == len(header)]


def run_case(server, case, timeout_s, cpu=-1):
    """Run one case against one server; a Sample, or None (reason logged)."""
    if not server.ensure_running():
        return None
    pid = server.proc.pid
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu >= 0 else None
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    with Interrupts.held():
        bench = subprocess.Popen(case.argv(server.port), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 preexec_fn=preexec)
    try:
        out, err = bench.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        bench.kill()
        bench.communicate()
        log(f"warning: {case.label} on {server.name} did not finish in {timeout_s:.0f}s")
        return None
    except BaseException:
        # Ctrl-C or SIGTERM: take the client down with us, and reap it.
        bench.kill()
        bench.wait()
        raise
    res = subprocess.CompletedProcess(bench.args, bench.returncode, out, err)
    wall = time.monotonic() - t0
    try:
        cpu1 = cpu_seconds(pid)
    except OSError:
        log(f"warning: {server.name} exited during {case.label}")
        return None
    rows = parse_csv(res.stdout)
    if res.returncode != 0 or not rows:
        err = (res.stderr or res.stdout).strip().splitlines()[-3:]
        log(f"warning: {case.label} on {server.name}: redis-benchmark exit status "
            f"{res.returncode}: {' / '.join(err)}")
        return None
    err_lines = res.stderr.strip().splitlines()
    if any("error" in l.lower() for l in err_lines):
        # e.g. "Error from server: ERR unknown command": the rps would lie.
        log(f"warning: {case.label} on {server.name}: {err_lines[0]}")
        return None
    if err_lines and not server.warned:
        # e.g. "WARNING: Could not fetch server CONFIG": harmless, said once.
        log(f"note: redis-benchmark against {server.name}: {err_lines[0]}")
        server.warned = True
    # One row per test; LRANGE_* first prints the LPUSH that fills its list: the last row is the
    # test asked for.
    row = rows[-1]
    try:
        return Sample(rps=float(row["rps"]), p50_ms=float(row["p50_latency_ms"]),
                      p99_ms=float(row["p99_latency_ms"]),
                      cpu_us_per_req=(cpu1 - cpu0) * 1e6 / case.requests, wall_s=wall)
    except (KeyError, ValueError) as e:
        log(f"warning: unexpected CSV from redis-benchmark ({e}): {res.stdout[:200]!r}")
        return None


def run_sections(sections, servers, rounds, timeout_s, deadline, bench_cpu=-1):
    """results[(section title, case index, server name)] -> [Sample, ...]."""
    results = {}
    order = list(servers)
    for rnd in range(rounds):
        # Alternate which server goes first, round by round.
        round_order = order if rnd % 2 == 0 else order[::-1]
        for sec in sections:
            if sec.prepare is not None:
                for srv in round_order:
                    if any(srv.name in c.servers for c in sec.cases):
                        sec.prepare(srv)
            for i, case in enumerate(sec.cases):
                for srv in round_order:
                    if srv.name not in case.servers:
                        continue
                    if time.monotonic() > deadline:
                        log("warning: time budget spent; skipping the remaining runs")
                        return results
                    s = run_case(srv, case, timeout_s, bench_cpu)
                    if s is not None:
                        results.setdefault((sec.title, i, srv.name), []).append(s)
                        log(f"  round {rnd + 1}/{rounds} {case.label:<6} P{case.pipeline:<2} "
                            f"c{case.clients:<2} {srv.name:<5} {s.rps:>11.0f} rps  "
                            f"p99 {s.p99_ms:6.3f} ms  cpu {s.cpu_us_per_req:6.2f} us/req  "
                            f"({s.wall_s:.1f}s)")
    return results


# --------------------------------------------------------------------------
# Report helpers
# --------------------------------------------------------------------------

def median_of(samples, attr):
    return statistics.median(getattr(s, attr) for s in samples) if samples else None


def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def print_table(args, header, rows, widths, plain_header=None):
    """Rows of strings under `header`: a markdown table with --markdown, else columns of
    `widths` (the first left-aligned, the others right-aligned), under `plain_header` if given."""
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---" + "|---:" * (len(header) - 1) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    for row in ([plain_header] if plain_header else []) + list(rows):
        print(" ".join([f"{row[0]:<{widths[0]}}"] +
                       [f"{cell:>{w}}" for cell, w in zip(row[1:], widths[1:])]))


# --------------------------------------------------------------------------
# A small RESP client
# --------------------------------------------------------------------------

class Resp:
    """A minimal pipelining RESP client over one socket (the load and the timed queries)."""

    def __init__(self, port, timeout=120.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    encode = staticmethod(dkv_fixture.encode_command)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":", b"_", b",", b"#"):
            if t == b"-":
                raise RuntimeError(rest.decode())
            return int(rest) if t == b":" else rest
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if t in (b"*", b"~", b">", b"%"):
            n = int(rest)
            if n < 0:
                return None
            return [self.reply() for _ in range(n * (2 if t == b"%" else 1))]
        raise RuntimeError(f"unexpected reply type {line[:20]!r}")

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        return self.reply()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self.encode(*c) for c in commands))
        return [self.reply() for _ in commands]

    def pipeline_batched(self, commands, size=2000):
        """Sends an iterable of commands `size` at a time (replies read, not kept)."""
        batch = []
        for command in commands:
            batch.append(command)
            if len(batch) == size:
                self.pipeline(batch)
                batch = []
        if batch:
            self.pipeline(batch)


def used_memory(client):
    info = client.call("INFO", "memory").decode()
    for line in info.split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def load_hierarchy(client, tenants, users, value, prefix="app"):
    client.pipeline_batched(("SET", f"{prefix}.tenant{t}.user{u}.profile", value)
                            for u in range(users) for t in range(tenants))


def info_field(client, section, name):
    for line in client.call("INFO", section).decode().split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None
