#!/usr/bin/env python3
"""Security of a real dkv-server: users from the configuration file (AUTH, HELLO AUTH, ACL),
tenants bound to namespaces that cannot read, write, list, count or flush another tenant's keys
by any command, read-only users, AUTH backoff, limits before authentication, the output buffer
limit against a client that does not read, the HTTP listener with users, and options that cannot
change at run time."""

import base64
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import (Server, ServerTestCase, free_port, server_binary,  # noqa: E402
                         suite_backend_args)

dkv_fixture.exit_77_without_test_backend()

ADMIN_PW = "admin-secret"
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "reporter": "reporter-pw"}


def hash_password(binary, password):
    out = subprocess.run([binary, "--hash-password"], input=password.encode(),
                         capture_output=True, check=True, timeout=30)
    return out.stdout.decode().strip()


class SecureServer(Server):
    """dkv-server started from a YAML file with users (and an HTTP port)."""

    def __init__(self, binary, extra=()):
        super().__init__(binary, extra, password=ADMIN_PW, test_backend=True, prefix="dkv-test-")
        self.http_port = free_port()
        conf = os.path.join(self.dir, "dkv.yaml")
        h = {name: hash_password(binary, pw) for name, pw in PASSWORDS.items()}
        with open(conf, "w") as f:
            f.write(f"""save: ""
requirepass: "{ADMIN_PW}"
http-port: {self.http_port}
http-show-values: yes
users:
  - name: alice
    password: "{h['alice']}"
    namespaces: [tenant-a]
  - name: bob
    password: "{h['bob']}"
    namespaces: [tenant-b, "5"]
  - name: reporter
    password: "{h['reporter']}"
    read-only: yes
    commands: "+@read +@connection -keys +acl|whoami"
  - name: retired
    nopass: yes
    enabled: no
""")
        self.conf = conf   # the file first, then --port, --bind, --dir


def connect(server, user=None, password=None, **kw):
    return redis.Redis(host="127.0.0.1", port=server.port, username=user,
                       password=password if password is not None else
                       (PASSWORDS.get(user) if user else ADMIN_PW), **kw)


class SecureServerTestCase(unittest.TestCase):
    """One SecureServer for the whole test class, started before its first test and stopped, by
    PID, after its last."""

    @classmethod
    def setUpClass(cls):
        cls.server = SecureServer(server_binary())
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()


class TenantIsolation(SecureServerTestCase):

    def setUp(self):
        admin = connect(self.server)
        admin.flushall()
        # Every tenant's data, written by the admin: the same key names in each namespace.
        for ns in ("0", "tenant-a", "tenant-b", "5"):
            admin.execute_command("SELECT", ns)
            admin.set("shared.name", "value-of-" + ns)
            admin.set("only." + ns.replace("-", ""), ns)
        admin.close()
        self.alice = connect(self.server, "alice")
        self.bob = connect(self.server, "bob")

    def tearDown(self):
        self.alice.close()
        self.bob.close()

    def assertNoPerm(self, fn, *args):
        # -NOPERM, or inside a script Redis 7.2's "-ERR ACL failure in script: ...".
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            fn(*args)
        e = cm.exception
        self.assertTrue(isinstance(e, redis.exceptions.NoPermissionError)
                        or "ACL failure in script: " in str(e), str(e))

    def test_whoami_and_first_namespace(self):
        self.assertEqual(self.alice.acl_whoami(), "alice")
        self.assertEqual(self.alice.get("shared.name"), b"value-of-tenant-a")
        self.assertEqual(self.bob.get("shared.name"), b"value-of-tenant-b")

    def test_tenant_sees_only_its_namespace(self):
        a = self.alice
        self.assertEqual(sorted(a.scan_iter("*")), [b"only.tenanta", b"shared.name"])
        self.assertEqual(a.dbsize(), 2)
        self.assertIsNone(a.get("only.tenantb"))
        self.assertIsNone(a.get("only.0"))
        self.assertEqual(a.exists("only.tenantb", "only.0", "only.5"), 0)
        self.assertEqual(a.mget("only.tenantb", "only.0"), [None, None])
        self.assertEqual(sorted(a.execute_command("KV.KEYS", "**")),
                         [b"only.tenanta", b"shared.name"])
        self.assertEqual(a.execute_command("KV.COUNT", "**"), 2)
        self.assertNotIn(b"tenantb", a.execute_command("KV.EXPORT", "**"))
        self.assertIn(a.randomkey(), (b"only.tenanta", b"shared.name"))
        self.assertEqual(a.execute_command("KV.NAMESPACES"), [b"tenant-a", 2])
        keyspace = a.info("keyspace")
        self.assertEqual(keyspace, {})  # db0 belongs to others
        self.assertIsNone(a.execute_command("KV.GET", "only.tenantb"))
        self.assertIsNone(a.execute_command("DUMP", "only.0"))

    def test_tenant_cannot_reach_other_namespaces(self):
        a = self.alice
        self.assertNoPerm(a.execute_command, "SELECT", "tenant-b")
        self.assertNoPerm(a.execute_command, "SELECT", "0")
        self.assertNoPerm(a.execute_command, "SELECT", "5")
        self.assertNoPerm(a.move, "shared.name", 0)
        self.assertNoPerm(a.execute_command, "COPY", "shared.name", "x", "DB", "0")
        self.assertNoPerm(a.swapdb, 0, 5)
        self.assertNoPerm(a.flushall)
        for cmd in (("CONFIG", "GET", "dir"), ("CONFIG", "SET", "maxmemory", "1"),
                    ("CLIENT", "LIST"), ("CLIENT", "KILL", "ID", "1"), ("SLOWLOG", "GET"),
                    ("DEBUG", "SLEEP", "0"), ("SCRIPT", "FLUSH"), ("ACL", "LIST"),
                    ("ACL", "USERS"), ("SAVE",), ("BGSAVE",), ("SHUTDOWN", "NOSAVE"),
                    ("MONITOR",)):
            with self.subTest(cmd=cmd):
                self.assertNoPerm(a.execute_command, *cmd)
        # Scripts run with the caller's permissions.
        self.assertNoPerm(a.eval, "return redis.call('select', 'tenant-b')", 0)
        self.assertNoPerm(a.eval, "return redis.call('flushall')", 0)
        self.assertNoPerm(a.eval, "redis.call('select', '0'); return redis.call('get', KEYS[1])",
                          1, "only.0")
        # SCAN cursors of another tenant are refused.
        admin = connect(self.server)
        admin.execute_command("SELECT", "tenant-a")
        for i in range(50):
            admin.set("scan.%d" % i, i)
        cursor, _ = admin.scan(0, count=5)
        self.assertNotEqual(cursor, 0)
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "invalid cursor"):
            self.bob.scan(cursor)
        admin.close()
        # MULTI: the refusal at queueing aborts the transaction.
        pipe = a.pipeline(transaction=True)
        pipe.set("x", 1)
        pipe.flushall()
        with self.assertRaises((redis.exceptions.ExecAbortError,
                                redis.exceptions.NoPermissionError)):
            pipe.execute()
        # Nothing of the others changed.
        admin = connect(self.server)
        for ns in ("0", "tenant-b", "5"):
            admin.execute_command("SELECT", ns)
            self.assertEqual(admin.get("shared.name"), ("value-of-" + ns).encode())
        admin.close()

    def test_flushdb_and_writes_stay_in_the_namespace(self):
        self.alice.set("shared.name", "changed-by-alice")
        self.alice.execute_command("KV.DEL", "**")
        self.alice.flushdb()
        self.assertEqual(self.alice.dbsize(), 0)
        self.assertEqual(self.bob.get("shared.name"), b"value-of-tenant-b")
        admin = connect(self.server)
        self.assertEqual(admin.get("shared.name"), b"value-of-0")
        admin.close()

    def test_a_user_with_two_namespaces_moves_between_them_only(self):
        b = self.bob
        b.execute_command("SELECT", "5")
        self.assertEqual(b.get("shared.name"), b"value-of-5")
        self.assertNoPerm(b.move, "only.5", 0)
        b.execute_command("SELECT", "tenant-b")
        self.assertEqual(b.get("only.tenantb"), b"tenant-b")
        self.assertEqual(sorted(b.execute_command("KV.NAMESPACES")[::2]), [b"5", b"tenant-b"])

    def test_read_only_user_and_command_rules(self):
        r = connect(self.server, "reporter")
        # A read-only user changes nothing of the server either (no way to raise its rights).
        self.assertNoPerm(r.config_set, "requirepass", "mine")
        self.assertNoPerm(r.execute_command, "SHUTDOWN", "NOSAVE")
        self.assertEqual(r.get("shared.name"), b"value-of-0")
        self.assertNoPerm(r.set, "k", "v")
        self.assertNoPerm(r.delete, "shared.name")
        self.assertNoPerm(r.keys, "*")  # -keys
        self.assertNoPerm(r.eval, "return 1", 0)  # scripting is not in its rules
        self.assertEqual(r.acl_whoami(), "reporter")
        r.close()

    def test_auth_errors_and_disabled_users(self):
        anon = redis.Redis(host="127.0.0.1", port=self.server.port)
        with self.assertRaises(redis.exceptions.AuthenticationError):
            anon.get("x")  # NOAUTH
        for user, pw in (("alice", "wrong"), ("nobody", "x"), ("retired", "anything")):
            # WRONGPASS (redis-py reports it as a plain ResponseError in some versions).
            with self.assertRaisesRegex(redis.exceptions.ResponseError, "WRONGPASS"):
                redis.Redis(host="127.0.0.1", port=self.server.port, username=user,
                            password=pw).ping()
        # HELLO 3 AUTH user pass.
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        s.sendall(b"HELLO 3 AUTH bob bob-pw\r\nACL WHOAMI\r\n")
        time.sleep(0.2)
        data = s.recv(65536)
        s.close()
        self.assertIn(b"bob", data)
        admin = connect(self.server)
        self.assertGreaterEqual(admin.info("stats")["acl_access_denied_auth"], 3)
        users = admin.acl_users()
        self.assertEqual(sorted(users), ["alice", "bob", "default", "reporter", "retired"])
        listing = "\n".join(admin.acl_list())
        self.assertIn("user alice on #sha256:", listing)   # the salted hash, as Redis shows hashes
        self.assertNotIn("alice-pw", listing)
        self.assertIn("namespaces=tenant-a", listing)
        self.assertIn("user retired off nopass", listing)
        self.assertIn(b"get", admin.execute_command("ACL", "CAT", "read"))
        admin.close()

    def test_failed_auth_is_slowed_per_connection(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        s.sendall(b"AUTH alice x\r\nAUTH alice y\r\nAUTH alice z\r\nAUTH alice alice-pw\r\n")
        data = b""
        deadline = time.monotonic() + 5
        while data.count(b"\r\n") < 4 and time.monotonic() < deadline:
            data += s.recv(4096)
        s.close()
        lines = data.split(b"\r\n")[:4]
        self.assertTrue(all(l.startswith(b"-WRONGPASS") for l in lines[:3]), lines)
        self.assertTrue(lines[3].startswith(b"-ERR too many failed AUTH attempts"), lines)

    def test_limits_before_authentication(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        s.sendall(b"*100\r\n")
        self.assertEqual(s.recv(4096),
                         b"-ERR Protocol error: unauthenticated multibulk length\r\n")
        s.close()
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        s.sendall(b"*2\r\n$4\r\nAUTH\r\n$100000\r\n")
        self.assertEqual(s.recv(4096), b"-ERR Protocol error: unauthenticated bulk length\r\n")
        s.close()

    def test_protected_options_do_not_change_at_run_time(self):
        admin = connect(self.server)
        for name, value in (("dir", "/tmp"), ("dbfilename", "x.rdb"), ("http-port", "1"),
                            ("logfile", "/tmp/x"), ("unixsocket", "/tmp/s"), ("bind", "0.0.0.0")):
            with self.subTest(name=name):
                with self.assertRaises(redis.exceptions.ResponseError):
                    admin.config_set(name, value)
        admin.close()

    def test_http_follows_the_users(self):
        port = self.server.http_port

        def get(path, user, pw):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            token = base64.b64encode(f"{user}:{pw}".encode()).decode()
            c.request("GET", path, headers={"Authorization": "Basic " + token})
            r = c.getresponse()
            body = r.read()
            c.close()
            return r.status, body
        self.assertEqual(get("/metrics", "alice", "alice-pw")[0], 403)
        self.assertEqual(get("/api/slowlog", "alice", "alice-pw")[0], 403)
        self.assertEqual(get("/metrics", "default", ADMIN_PW)[0], 200)
        self.assertEqual(get("/metrics", "alice", "wrong")[0], 401)
        status, body = get("/api/namespaces", "alice", "alice-pw")
        self.assertEqual([n["name"] for n in json.loads(body)["namespaces"]], ["tenant-a"])
        self.assertEqual(get("/api/tree?ns=tenant-b&prefix=", "alice", "alice-pw")[0], 403)
        self.assertEqual(get("/api/key?ns=0&key=only.0", "alice", "alice-pw")[0], 403)
        status, body = get("/api/key?ns=tenant-a&key=only.tenanta", "alice", "alice-pw")
        self.assertEqual(json.loads(body)["value"], "tenant-a")
        self.assertEqual(json.loads(get("/api/stats", "alice", "alice-pw")[1])["keys"], 2)
        # Each route needs the command that shows the same data: reporter's rules have @read
        # (KV.TREE) but not INFO.
        self.assertEqual(get("/api/stats", "reporter", "reporter-pw")[0], 403)
        self.assertEqual(get("/api/tree?ns=0&prefix=", "reporter", "reporter-pw")[0], 200)
        # Failed logins are limited per source address (with AUTH's): after the free ones, even
        # the right password is refused (429) until the delay passes.
        status = None
        for _ in range(30):
            status, body = get("/metrics", "default", "wrong")
            if status == 429:
                break
        self.assertEqual(status, 429, body)
        time.sleep(int(re.search(rb"retry in (\d+) ms", body).group(1)) / 1000 + 0.3)
        self.assertEqual(get("/metrics", "default", ADMIN_PW)[0], 200)


class AuthPerAddress(SecureServerTestCase):
    """A new connection per guess gains nothing: failures count per source address."""

    def auth(self, password, source="127.0.0.1"):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10,
                                     source_address=(source, 0))
        try:
            s.sendall(b"AUTH alice " + password.encode() + b"\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data
        finally:
            s.close()

    def test_fresh_connections_are_throttled_per_address(self):
        checked = refused = 0
        start = time.monotonic()
        for i in range(200):
            if time.monotonic() - start > 8:
                break
            reply = self.auth("guess-%d" % i)
            if reply.startswith(b"-WRONGPASS"):
                checked += 1
            else:
                self.assertTrue(reply.startswith(b"-ERR too many failed AUTH attempts from this "
                                                 b"address"), reply)
                refused += 1
        elapsed = time.monotonic() - start
        # 10 free failures, then delays of 100 ms doubling: at most 7 more in 8 s, whatever the
        # machine's speed. The old server checked every one of them (about 200).
        self.assertLessEqual(checked, 18, (checked, refused, elapsed))
        # The first delayed check may come 100 ms after the free ones (and the loop can end
        # soon after it on a fast machine): one, plus 1.5 a second after that.
        self.assertLessEqual(checked - 10, 1 + 1.5 * elapsed, (checked, refused, elapsed))
        self.assertGreater(refused, 0)
        # The same address is refused even with the right password; another address is not
        # (127.0.0.2 is loopback too), over AUTH and over HTTP.
        for _ in range(30):  # until the address's delay is long enough to race nothing
            reply = self.auth("guess")
            m = re.search(rb"retry in (\d+) ms", reply)
            if m and int(m.group(1)) >= 2000:
                break
            time.sleep(int(m.group(1)) / 1000 if m else 0)
        self.assertTrue(self.auth("alice-pw").startswith(b"-ERR too many failed AUTH"))
        self.assertEqual(self.auth("alice-pw", "127.0.0.2"), b"+OK\r\n")
        token = base64.b64encode(b"default:" + ADMIN_PW.encode()).decode()
        for source, expected in (("127.0.0.1", 429), ("127.0.0.2", 200)):
            c = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10,
                                           source_address=(source, 0))
            c.request("GET", "/metrics", headers={"Authorization": "Basic " + token})
            self.assertEqual(c.getresponse().status, expected, source)
            c.close()


def read_all(sock, timeout=5.0):
    """Bytes until the server closes the connection (b"" parts and resets end it)."""
    sock.settimeout(timeout)
    out = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out, True
            out += chunk
    except ConnectionResetError:
        return out, True
    except socket.timeout:
        return out, False


# Every character the old CONFIG REWRITE wrote raw between quotes: leading spaces, quotes,
# backslashes, a colon, a '#', a tab and a newline.
ODD_PASSWORD = '  lead "quoted" back\\slash: colon # hash\ttab\nsecond line'


class ConfigRewrite(unittest.TestCase):
    """CONFIG REWRITE, then a restart on the rewritten file alone: CONFIG GET * and ACL LIST
    answer exactly as before, every user (hashes, namespaces, read-only, rules, disabled) is
    back, and AUTH is still required."""

    def setUp(self):
        self.binary = server_binary()
        # One port for every start: the rewritten file keeps it.
        self.server = Server(self.binary, port=free_port(), prefix="dkv-rewrite-")
        self.dir = self.server.dir
        self.conf = os.path.join(self.dir, "dkv.yaml")
        self.port = self.server.port
        self.hashes = {name: hash_password(self.binary, pw) for name, pw in PASSWORDS.items()}

    def tearDown(self):
        self.server.cleanup()

    def client(self, password=None, user=None):
        return redis.Redis(host="127.0.0.1", port=self.port, username=user, password=password,
                           socket_timeout=10)

    def start(self, argv, password):
        """Starts `argv` as given and waits for PING after AUTH with `password`; a client."""
        self.server.password = password
        try:
            self.server.start(argv=argv)
        except RuntimeError as e:   # a server that runs but refuses the password says why
            self.fail(f"{argv!r} did not start with its password: {e}")
        c = self.client(password)
        self.assertTrue(c.ping())
        return c

    def stop(self):
        self.server.stop(timeout=20)

    @staticmethod
    def state(c):
        raw = c.execute_command("CONFIG", "GET", "*")
        return dict(zip(raw[0::2], raw[1::2])), c.execute_command("ACL", "LIST")

    def users_yaml(self, default_hash=None):
        h = self.hashes
        text = "users:\n"
        if default_hash:
            text += f'  - name: default\n    password: "{default_hash}"\n'
        return text + f"""  - name: alice
    password: "{h['alice']}"
    namespaces: [tenant-a]
  - name: bob
    password: '{h['bob']}'
    namespaces: [tenant-b, "5"]
  # a comment inside the users
  - name: reporter
    password: {h['reporter']}
    read-only: yes
    commands: "+@read +@connection -keys +acl|whoami"
  - name: retired
    nopass: yes
    enabled: no
"""

    def rewrite_and_restart(self, c, password):
        before = self.state(c)
        os.chmod(self.conf, 0o640)
        self.assertEqual(c.execute_command("CONFIG", "REWRITE"), b"OK")
        c.close()
        self.stop()
        # Atomic: the temporary file is gone, the file's mode kept.
        self.assertEqual(sorted(n for n in os.listdir(self.dir) if "yaml" in n), ["dkv.yaml"])
        self.assertEqual(os.stat(self.conf).st_mode & 0o777, 0o640)
        with open(self.conf, "rb") as f:
            text = f.read()
        c = self.start([self.binary, self.conf], password)   # the file alone
        after = self.state(c)
        self.assertEqual(after[0], before[0])
        self.assertEqual(after[1], before[1])
        with self.assertRaises(redis.exceptions.AuthenticationError):
            self.client().get("x")  # NOAUTH
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "WRONGPASS"):
            self.client("wrong").ping()
        for name, pw in PASSWORDS.items():   # the hashes came back whole, not just their salts
            u = self.client(pw, name)
            self.assertEqual(u.acl_whoami(), name)
            u.close()
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "WRONGPASS"):
            self.client("anything", "retired").ping()
        alice = self.client(PASSWORDS["alice"], "alice")
        with self.assertRaises(redis.exceptions.NoPermissionError):
            alice.execute_command("SELECT", "tenant-b")
        alice.close()
        return c, text

    def test_rewrite_keeps_users_odd_values_and_comments(self):
        with open(self.conf, "w") as f:
            f.write('# A comment the rewrite keeps.\nsave: ""\nrequirepass: "initial"\n'
                    "maxmemory: 10mb   # a trailing comment\nlua-time-limit: 900\n"
                    + self.users_yaml() + "# The last comment.\n")
        argv = [self.binary, self.conf, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--key-separator", b"\xfe",   # not UTF-8
                "--unixsocket", os.path.join(self.dir, 'u "#: x.sock')]
        if os.environ.get("DKV_TEST_BACKEND") != "postgres":
            argv += ["--postgres.dsn", "host='a b' password='x\\'y' # not a comment: \u00e9"]
        c = self.start(argv + suite_backend_args(), "initial")
        self.assertEqual(c.config_set("requirepass", ODD_PASSWORD), True)
        c.close()
        c = self.client(ODD_PASSWORD)
        for name, value in (("maxmemory-policy", "allkeys-lru"), ("save", "100 5 60 1000"),
                            ("slowlog-max-len", "7"), ("hz", "20"), ("lua-time-limit", "1234"),
                            ("client-output-buffer-limit", "normal 1mb 512kb 30"),
                            ("protected-mode", "no"), ("loglevel", "warning"),
                            ("maxmemory", "20mb"), ("http-show-values", "yes")):
            self.assertEqual(c.config_set(name, value), True, name)
        c, text = self.rewrite_and_restart(c, ODD_PASSWORD)
        options = self.state(c)[0]
        self.assertEqual(options[b"key-separator"], b"\xfe")
        self.assertEqual(options[b"requirepass"], ODD_PASSWORD.encode())
        self.assertIn(b"# A comment the rewrite keeps.\n", text)
        self.assertIn(b"# The last comment.\n", text)
        c.close()

    def test_a_default_user_under_users_still_needs_auth_after_a_rewrite(self):
        default_pw = "default-pw"
        with open(self.conf, "w") as f:
            f.write('save: ""\n' + self.users_yaml(hash_password(self.binary, default_pw)))
        argv = [self.binary, self.conf, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir]
        c = self.start(argv + suite_backend_args(), default_pw)
        self.assertEqual(c.config_set("maxmemory", "30mb"), True)
        c, _ = self.rewrite_and_restart(c, default_pw)
        self.assertTrue(any(line.startswith(b"user default on #sha256:")   # sorted, as Redis
                            for line in c.execute_command("ACL", "LIST")))
        c.close()


class Limits(ServerTestCase):
    """The limits of docs/security.md, each against a real server."""

    def raw(self, data, timeout=5.0):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout)
        try:
            s.sendall(data)
            return read_all(s, timeout)
        finally:
            s.close()

    def test_maxclients(self):
        self.r.config_set("maxclients", "3")
        try:
            held = [socket.create_connection(("127.0.0.1", self.server.port)) for _ in range(2)]
            for h in held:
                h.sendall(b"PING\r\n")
                self.assertEqual(h.recv(16), b"+PONG\r\n")
            out, closed = self.raw(b"PING\r\n")
            self.assertEqual(out, b"-ERR max number of clients reached\r\n")
            self.assertTrue(closed)
            for h in held:
                h.close()
        finally:
            self.r.config_set("maxclients", "10000")

    def test_query_buffer_limit(self):
        self.r.config_set("client-query-buffer-limit", "1mb")
        try:
            # A 10 MB argument is announced; past 1 MB of it unparsed, the client is dropped.
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            try:
                s.sendall(b"*2\r\n$3\r\nGET\r\n$10000000\r\n" + b"x" * (3 * 1024 * 1024))
            except (BrokenPipeError, ConnectionResetError):
                pass
            out, closed = read_all(s)
            s.close()
            self.assertTrue(closed)
            self.assertTrue(self.r.ping())
        finally:
            self.r.config_set("client-query-buffer-limit", "1gb")

    def test_bulk_length_limit(self):
        self.r.config_set("proto-max-bulk-len", "1mb")
        try:
            out, closed = self.raw(b"*2\r\n$3\r\nGET\r\n$2000000\r\n")
            self.assertEqual(out, b"-ERR Protocol error: invalid bulk length\r\n")
            self.assertTrue(closed)
        finally:
            self.r.config_set("proto-max-bulk-len", "512mb")

    def test_idle_timeout(self):
        self.r.config_set("timeout", "1")
        try:
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            s.sendall(b"PING\r\n")
            self.assertEqual(s.recv(16), b"+PONG\r\n")
            out, closed = read_all(s, timeout=5)
            s.close()
            self.assertTrue(closed)  # dropped after a second or two of silence
        finally:
            # This test's own client sat idle past the timeout too: it was dropped as well.
            self.r.connection_pool.disconnect()
            self.r.config_set("timeout", "0")

    def test_pattern_length_and_json_nesting(self):
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "longer than 16384"):
            self.r.execute_command("KV.KEYS", "a" * 20000)
        deep = "[" * 5000 + "]" * 5000
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "deeper than 512"):
            self.r.execute_command("KV.IMPORT", "x", '{"a":' + deep + "}")
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "deeper than 512"):
            self.r.execute_command("KV.SET", "x", deep, "TYPE", "json")
        self.assertTrue(self.r.ping())


class OutputBufferLimit(unittest.TestCase):
    def test_a_client_that_does_not_read_is_disconnected(self):
        server = SecureServer(server_binary(),
                              ["--client-output-buffer-limit", "normal 4mb 1mb 2"])
        server.start()
        try:
            admin = connect(server)
            admin.set("big", "x" * 100000)
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"AUTH %s\r\n" % ADMIN_PW.encode() + b"GET big\r\n" * 2000)
            # 200 MB of replies asked for; the server drops the client past 4 MB unsent.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if admin.info("stats")["client_output_buffer_limit_disconnections"] >= 1:
                    break
                time.sleep(0.1)
            self.assertGreaterEqual(admin.info("stats")["client_output_buffer_limit_disconnections"],
                                    1)
            self.assertLess(admin.info("memory")["used_memory"], 64 * 1024 * 1024)
            self.assertTrue(admin.ping())
            s.close()
            admin.close()
        finally:
            server.cleanup()


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main(verbosity=2)
