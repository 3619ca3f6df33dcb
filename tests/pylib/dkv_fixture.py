"""The one server launcher of dkv's Python tests and tools.

The integration tests (tests/integration/test_*.py), the differential test
(tests/differential/difftest.py), scripts/bench (scripts/benchlib) and scripts/soak all start
their dkv-server or redis-server through Server: a free loopback port, the server's own
directory (a temporary one unless given) holding its log, a bounded wait for PING (with AUTH
when the server has a password), and a stop by PID: SIGTERM, then SIGKILL after a bounded wait.
Each Server owns the one process it started and, when it made it, its directory; nothing else
is ever signalled. The C++ fixture (tests/integration/server_fixture.*) is separate.

Scripts import it from their own location:
    sys.path.insert(0, os.path.join(<repository root>, "tests", "pylib"))

The last part holds what only the unittest suites share: the binary under test
(server_binary()), the PostgreSQL test backend (DKV_TEST_BACKEND=postgres with DKV_PG_DSN and
DKV_PG_TABLE; DKV_SERVER_ARGS adds options), ServerTestCase, wait_for and the promtool check.
"""

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0


def free_port(avoid=()):
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0), not in `avoid`."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


def port_answers(port, timeout=0.5):
    """True when something accepts a connection on the port."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def encode_command(*args):
    """One RESP2 request (an array of bulk strings) from str/int/bytes arguments."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def ping(port, password=None, username=None, timeout=0.5):
    """(True, None) when the server on the port answers PING with +PONG (after AUTH when a
    password is given), else (False, why)."""
    request = b""
    if password is not None:
        request += (encode_command("AUTH", username, password) if username
                    else encode_command("AUTH", password))
    request += encode_command("PING")
    want = 2 if password is not None else 1
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(request)
            data = b""
            while data.count(b"\r\n") < want and len(data) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        return False, f"{type(e).__name__}: {e}"
    lines = data.split(b"\r\n")
    if len(lines) > want and lines[want - 1] == b"+PONG":
        return True, None
    return False, "replied " + repr(data[:120])


def is_redis(binary):
    return os.path.basename(binary) == "redis-server"


class Server:
    """One dkv-server or redis-server on a free loopback port.

    argv: [binary] [conf] --port P --bind 127.0.0.1 --dir DIR, then for redis-server --save ""
    --appendonly no --daemonize no (no files from a reference run), for dkv-server --save "" when
    save_off, the PostgreSQL test backend's options when test_backend (see suite_backend_args()),
    and last `args` (a list; change it between restarts). The port is picked again at every
    start unless `port` is given; the directory (and the log, appended to) stays for restarts.
    """

    def __init__(self, binary, args=(), *, conf=None, password=None, username=None, port=None,
                 dir=None, prefix="dkv-server-", log_name="server.log", save_off=False,
                 test_backend=False, cpu=-1, start_timeout=START_TIMEOUT_S, poll_s=0.05,
                 attempts=1, settle_s=0.0):
        # A relative path is taken from here, not from the server's directory (its cwd).
        self.binary = os.path.abspath(binary) if os.sep in binary else binary
        self.args = list(args)
        self.conf = conf
        self.password = password          # the start probe authenticates
        self.username = username
        self.fixed_port = port
        self.port = port
        self.host = LOOPBACK
        self.owns_dir = dir is None
        self.dir = tempfile.mkdtemp(prefix=prefix) if dir is None else dir
        self.log_path = os.path.join(self.dir, log_name)
        self.save_off = save_off
        self.test_backend = test_backend
        self.cpu = cpu                    # pin the server to this CPU; -1: no pinning
        self.start_timeout = start_timeout
        self.poll_s = poll_s
        self.attempts = attempts          # starts tried when the process exits during start-up
        self.settle_s = settle_s          # after the PONG, the process must live this long
        self.spawn_guard = contextlib.nullcontext   # e.g. holds off signals around the fork
        self.proc = None
        self.last_probe_error = None
        self.exit_status = None           # of a process that exited during start()

    @property
    def tmpdir(self):
        return self.dir

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def argv(self):
        args = [self.binary] + ([self.conf] if self.conf else [])
        args += ["--port", str(self.port), "--bind", LOOPBACK, "--dir", self.dir]
        # DEBUG (SLEEP, OBJECT, ...) is refused unless enabled at start, in both servers.
        args += ["--enable-debug-command", "local"]
        if is_redis(self.binary):
            args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        else:
            if self.save_off:
                args += ["--save", ""]
            if self.test_backend:
                args += suite_backend_args()
        return args + list(self.args)

    def spawn(self, argv=None, avoid_ports=()):
        """Starts the process without waiting for it (on a new port unless fixed); the Popen."""
        if self.fixed_port is None:
            self.port = free_port(avoid_ports)
            while port_answers(self.port):
                self.port = free_port(avoid_ports)
        cpu = self.cpu
        preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu >= 0 else None
        with open(self.log_path, "ab") as log, self.spawn_guard():
            self.proc = subprocess.Popen(argv or self.argv(), cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=preexec)
        return self.proc

    def wait_ready(self, timeout=None, poll_s=None):
        """Waits for +PONG; True, or False once the process exited or the time is up."""
        deadline = time.monotonic() + (self.start_timeout if timeout is None else timeout)
        poll_s = self.poll_s if poll_s is None else poll_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            ok, self.last_probe_error = ping(self.port, self.password, self.username, 1.0)
            if ok:
                if self.settle_s:
                    time.sleep(self.settle_s)
                return self.proc.poll() is None
            time.sleep(poll_s)
        return False

    def start(self, argv=None, avoid_ports=(), poll_s=None):
        """Starts the server and waits until it answers PING; RuntimeError (with the tail of
        its log) when it exits first or does not answer within start_timeout."""
        for attempt in range(self.attempts):
            self.spawn(argv, avoid_ports)
            if self.wait_ready(poll_s=poll_s):
                return self
            status = self.proc.poll()
            if status is None or attempt + 1 == self.attempts:
                break
            self.proc = None           # exited: perhaps its port was taken; another one
        status = self.exit_status = self.proc.poll()
        shown = argv or self.argv()
        self.stop()
        why = (f"exited with status {status}" if status is not None else
               f"did not answer PING within {self.start_timeout:.0f}s"
               f" (last: {self.last_probe_error})")
        raise RuntimeError(f"{' '.join(map(str, shown))}: {why}\n{self.log_tail()}")

    def start_expect_exit(self, timeout=30, argv=None):
        """Starts the server expecting it to exit at once: (exit status, the whole log)."""
        p = self.spawn(argv)
        self.proc = None
        try:
            status = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError("the server started instead of refusing to")
        return status, self.log_text()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, then SIGKILL after `timeout` seconds; only our own child, by PID."""
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=STOP_TIMEOUT_S)
        except ProcessLookupError:
            pass

    def kill9(self):
        """SIGKILL, by PID: a crash, nothing written on the way out."""
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    def cleanup(self):
        """Stops the server and removes its directory when this Server made it."""
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return None

    def log_lines(self, lines=20):
        """The last lines of the log, or None when there is none."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read()[-8192:].decode("utf-8", "replace")
        except OSError:
            return None
        return text.splitlines()[-lines:]

    def log_tail(self, lines=20):
        tail = self.log_lines(lines)
        return "(no server log)" if tail is None else "server log (tail):\n" + "\n".join(tail)


# --------------------------------------------------------------------------
# What the unittest suites share
# --------------------------------------------------------------------------

_server_arg = None


def take_server_argument():
    """A suite run as `test_x.py PATH [unittest options]`: takes PATH off sys.argv (unittest
    must not see it) when it names an executable file."""
    global _server_arg
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-") and os.path.isfile(sys.argv[1]) \
            and os.access(sys.argv[1], os.X_OK):
        _server_arg = sys.argv.pop(1)


def server_binary():
    """DKV_SERVER, else the argument take_server_argument() took, else a binary in the build
    tree (release, then debug), else None."""
    explicit = os.environ.get("DKV_SERVER") or _server_arg
    if explicit:
        return explicit
    for build in ("release", "debug"):
        candidate = os.path.join(REPO_ROOT, "build", build, "src", "dkv-server")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def exit_77_without_test_backend():
    """DKV_TEST_BACKEND=postgres runs a suite on the PostgreSQL backend (ctest does, for the
    suites labelled pg); without DKV_PG_DSN the suite reports skipped (exit 77)."""
    if os.environ.get("DKV_TEST_BACKEND") == "postgres" and not os.environ.get("DKV_PG_DSN"):
        print("skipped: DKV_TEST_BACKEND=postgres needs DKV_PG_DSN (scripts/test sets it)")
        sys.exit(77)


def suite_backend_args():
    """DKV_SERVER_ARGS, plus with DKV_TEST_BACKEND=postgres the cluster of DKV_PG_DSN, table
    DKV_PG_TABLE (default dkv_test), sync durability."""
    args = shlex.split(os.environ.get("DKV_SERVER_ARGS", ""))
    if os.environ.get("DKV_TEST_BACKEND") == "postgres":
        args += ["--persistence.backend", "postgres", "--postgres.dsn", os.environ["DKV_PG_DSN"],
                 "--postgres.table", os.environ.get("DKV_PG_TABLE", "dkv_test"),
                 "--postgres.durability", "sync"]
    return args


def suite_server(binary=None, args=(), **kw):
    """A Server for a suite: server_binary() unless given, with the test backend's options."""
    kw.setdefault("prefix", "dkv-test-")
    return Server(binary or server_binary(), args, test_backend=True, **kw)


def wait_for(predicate, timeout=20.0, step=0.02):
    """True as soon as predicate() is, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def assert_promtool_accepts(test, body):
    """`promtool check metrics` on an exposition body (Debian's prometheus package); skipped
    when promtool is missing, unless DKV_REQUIRE_PROMTOOL is set (scripts/test sets it)."""
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           timeout=60)
        test.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
    elif os.environ.get("DKV_REQUIRE_PROMTOOL"):
        test.fail("promtool not found (Debian package prometheus)")



class ServerTestCase(unittest.TestCase):
    """One server for the whole test class: suite_server(), started before the first test and
    stopped, by PID, after the last; `cls.r` is a redis-py client of it. A class that needs
    another kind of server overrides new_server()."""

    @classmethod
    def new_server(cls, binary):
        return suite_server(binary)

    @classmethod
    def setUpClass(cls):
        import redis
        binary = server_binary()
        if binary is None:
            raise RuntimeError("set DKV_SERVER to the dkv-server binary")
        cls.server = cls.new_server(binary)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()    # tearDownClass does not run after a failed setUpClass
            raise
        cls.r = redis.Redis(host=LOOPBACK, port=cls.server.port)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.server.cleanup()
