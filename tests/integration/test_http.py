#!/usr/bin/env python3
"""The HTTP listener of a real dkv-server (http-port): /metrics checked by promtool (Debian's
prometheus package) and by a strict parser, the page and its JSON API, basic auth, the
http-show-values switch, and hostile input (huge headers, malformed requests, bodies, slowloris
connections, the connection limit) that must leave both the HTTP and the RESP side responsive."""

import base64
import http.client
import json
import os
import re
import socket
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import (Server, ServerTestCase, assert_promtool_accepts, free_port,  # noqa: E402
                         server_binary, wait_for)

dkv_fixture.exit_77_without_test_backend()


class HttpServerProcess(Server):
    """A dkv-server with the HTTP listener on a free port, plus `extra` arguments."""

    def __init__(self, binary, extra=(), password=None):
        http_port = free_port()
        super().__init__(binary, ["--save", "", "--http-port", str(http_port)] + list(extra)
                         + (["--requirepass", password] if password else []),
                         password=password, test_backend=True, prefix="dkv-test-")
        self.http_port = http_port


def get(port, path, headers=None, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def read_until_close(s, timeout=5.0):
    """Everything the server sends until it closes (or the timeout, or a reset)."""
    s.settimeout(timeout)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        out += chunk
    return out


def raw_exchange(port, data, timeout=5.0, half_close=False):
    """Sends raw bytes (then shuts down writing, if asked); returns what came back."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        return read_until_close(s, timeout)
    finally:
        s.close()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? '
                    r'(-?[0-9.e+-]+|\+Inf|-Inf|NaN)$')


def parse_metrics(text):
    """A strict reading of the text format: HELP and TYPE before each family's contiguous
    samples, counters named *_total. Returns {(name, labels-string): value}."""
    samples, types, done, current = {}, {}, set(), None
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line.split(" ")[2]
            if name != current:
                assert name not in done, "family declared twice: " + name
                if current:
                    done.add(current)
                current = name
            if line.startswith("# TYPE "):
                types[name] = line.split(" ")[3]
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if types.get(
            re.sub(r"_(bucket|sum|count)$", "", name)) == "histogram" else name
        assert family == current, "sample outside its family: " + line
        samples[(name, m.group(2) or "")] = float(m.group(3))
    assert text.endswith("\n")
    for name, kind in types.items():
        assert (kind == "counter") == name.endswith("_total"), name
    return samples


class HttpTest(ServerTestCase):
    @classmethod
    def new_server(cls, binary):
        return HttpServerProcess(binary, ["--http-max-connections", "8"])

    def setUp(self):
        self.r.flushall()
        self.r.config_set("http-show-values", "no")
        self.r.config_set("http-show-keys", "no")
        self.port = self.server.http_port

    def assert_responsive(self):
        self.assertTrue(self.r.ping())
        status, _, _ = get(self.port, "/metrics")
        self.assertEqual(status, 200)

    def test_metrics_pass_promtool_and_follow_the_server(self):
        self.r.config_set("http-show-keys", "yes")  # no password: subtree labels need it
        pipe = self.r.pipeline(transaction=False)
        for i in range(300):
            pipe.set("app.users.%d" % i, "x" * 50)
        for i in range(20):
            pipe.set("cache.page.%d" % i, "y", ex=100)
        pipe.set(b"odd\xff\"root\\.k", b"binary")  # a label that needs escaping and %XX
        pipe.execute()
        self.r.get("app.users.1")
        self.r.get("missing")
        status, headers, body = get(self.port, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode("utf-8")
        assert_promtool_accepts(self, body)
        m = parse_metrics(text)
        info = self.r.info("all")
        self.assertEqual(m[("dkv_keys", '{namespace="0"}')], 321)
        self.assertEqual(m[("dkv_keys_with_expiry", '{namespace="0"}')], 20)
        self.assertGreaterEqual(m[("dkv_keyspace_hits_total", "")], 1)
        self.assertGreaterEqual(m[("dkv_keyspace_misses_total", "")], 1)
        self.assertEqual(m[("dkv_connected_clients", "")], info["connected_clients"])
        self.assertGreater(m[("dkv_memory_used_bytes", "")], 0)
        self.assertGreaterEqual(m[('dkv_command_calls_total', '{command="set"}')], 321)
        self.assertEqual(m[('dkv_command_duration_seconds_bucket', '{command="get",le="+Inf"}')],
                         m[('dkv_command_duration_seconds_count', '{command="get"}')])
        # The sizing pass runs after the first scrape; the next scrapes carry subtree figures.
        def sized():
            _, _, b = get(self.port, "/metrics")
            return ('dkv_subtree_keys', '{namespace="0",subtree="app"}') in parse_metrics(
                b.decode())
        self.assertTrue(wait_for(sized, timeout=10))
        _, _, body = get(self.port, "/metrics")
        m = parse_metrics(body.decode())
        self.assertEqual(m[('dkv_subtree_keys', '{namespace="0",subtree="app"}')], 300)
        self.assertEqual(m[('dkv_subtree_keys', '{namespace="0",subtree="cache"}')], 20)
        self.assertEqual(m[('dkv_subtree_keys', '{namespace="0",subtree="odd%FF\\"root\\\\"}')], 1)
        app_bytes = m[('dkv_subtree_bytes', '{namespace="0",subtree="app"}')]
        usage = sum(self.r.memory_usage("app.users.%d" % i) for i in range(300))
        self.assertEqual(app_bytes, usage)
        before = m[("dkv_commands_processed_total", "")]
        for _ in range(10):
            self.r.ping()
        _, _, body = get(self.port, "/metrics")
        self.assertGreaterEqual(parse_metrics(body.decode())[("dkv_commands_processed_total", "")],
                                before + 10)

    def test_page_assets_and_json_api(self):
        status, headers, body = get(self.port, "/")
        self.assertEqual(status, 200)
        self.assertIn(b'<script src="/app.js"', body)
        self.assertIn("default-src 'self'", headers["Content-Security-Policy"])
        for asset, kind in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
            status, headers, body = get(self.port, asset)
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith(kind))
            self.assertGreater(len(body), 500)
        status, headers, body = get(self.port, "/", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertGreater(int(headers["Content-Length"]), 500)
        self.r.config_set("http-show-keys", "yes")  # no password: the browser needs it
        self.r.execute_command("KV.SET", "app.config.db.host", "db1", "META", "owner", "ops",
                               "EX", "120")
        self.r.set("app.config.db.port", "5432")
        tree = json.loads(get(self.port, "/api/tree?ns=0&prefix=app.config")[2])
        self.assertEqual([(c["path"], c["keys"]) for c in tree["children"]],
                         [("app.config.db", 2)])
        key = json.loads(get(self.port, "/api/key?ns=0&key=app.config.db.host")[2])
        self.assertEqual((key["type"], key["user"], key["value_shown"]),
                         ("string", {"owner": "ops"}, False))
        self.assertNotIn("value", key)
        self.assertTrue(110000 < key["ttl_ms"] <= 120000)
        self.r.config_set("http-show-values", "yes")
        key = json.loads(get(self.port, "/api/key?ns=0&key=app.config.db.host")[2])
        self.assertEqual(key["value"], "db1")
        stats = json.loads(get(self.port, "/api/stats")[2])
        self.assertEqual(stats["keys"], 2)
        self.r.config_set("slowlog-log-slower-than", "0")
        self.r.set("slow.one", "secret-value")
        self.r.config_set("requirepass", "pw-not-for-logs")
        self.r.config_set("requirepass", "")
        log = json.loads(get(self.port, "/api/slowlog")[2])
        self.r.config_set("slowlog-log-slower-than", "10000")
        self.assertIn(["SET", "slow.one", "secret-value"], [e["args"] for e in log["entries"]])
        self.assertNotIn("pw-not-for-logs", json.dumps(log))  # CONFIG SET requirepass: redacted
        # Without http-show-values the slow log shows commands, not their keys and values.
        self.r.config_set("http-show-values", "no")
        log = json.loads(get(self.port, "/api/slowlog")[2])
        self.assertIn(["SET", "(2 arguments hidden)"], [e["args"] for e in log["entries"]])
        self.assertNotIn("secret-value", json.dumps(log))

    def test_hashes_and_sets_show_as_json(self):
        # Needs HSET and SADD (issue 20's hash and set commands).
        try:
            self.r.hset("app.user", mapping={"name": "ann", "age": "7"})
            self.r.sadd("app.tags", "red", "blue")
        except redis.ResponseError as e:
            self.skipTest("no HSET/SADD in this build: %s" % e)
        self.r.config_set("http-show-keys", "yes")
        self.r.config_set("http-show-values", "yes")
        key = json.loads(get(self.port, "/api/key?ns=0&key=app.user")[2])
        self.assertEqual((key["type"], key["size"], key["value_truncated"]), ("hash", 2, False))
        self.assertEqual(json.loads(key["value"]), {"age": "7", "name": "ann"})
        self.assertEqual(key["memory_bytes"], self.r.memory_usage("app.user"))
        key = json.loads(get(self.port, "/api/key?ns=0&key=app.tags")[2])
        self.assertEqual((key["type"], key["size"], key["value"]), ("set", 2, '["blue","red"]'))
        # A large one is cut at 4 KiB, as a long string is.
        self.r.sadd("app.big", *["member-%05d" % i for i in range(1000)])
        key = json.loads(get(self.port, "/api/key?ns=0&key=app.big")[2])
        self.assertEqual((key["size"], key["value_truncated"]), (1000, True))
        self.assertTrue(key["value"].startswith('["member-00000","member-00001",'))
        self.r.config_set("http-show-values", "no")
        key = json.loads(get(self.port, "/api/key?ns=0&key=app.tags")[2])
        self.assertNotIn("value", key)

    def test_key_names_hidden_without_a_password(self):
        # No requirepass: any local process, or a web page whose DNS name is rebound to
        # 127.0.0.1 (/metrics answers any Host), may read the listener. Figures only.
        pipe = self.r.pipeline(transaction=False)
        for i in range(30):
            pipe.set("patients.%d.record" % i, "x" * 20)
        for i in range(5):
            pipe.set("payroll.%d" % i, "y")
        pipe.execute()
        self.r.config_set("http-show-values", "yes")
        self.r.config_set("slowlog-log-slower-than", "0")
        self.r.set("slow.secretkey", "v")
        self.r.config_set("slowlog-log-slower-than", "10000")

        def scrape():
            _, _, b = get(self.port, "/metrics", headers={"Host": "rebound.example:9121"})
            return b

        def sized():  # a pass that saw these 35 keys and slow.secretkey (earlier ones did not)
            m = parse_metrics(scrape().decode())
            return sum(v for (name, _), v in m.items()
                       if name in ("dkv_subtree_keys", "dkv_subtree_other_keys")) == 36
        self.assertTrue(wait_for(sized, timeout=10))
        body = scrape()
        assert_promtool_accepts(self, body)
        m = parse_metrics(body.decode())
        self.assertEqual([k for k in m if "subtree=" in k[1]], [])
        for name in (b"patients", b"payroll", b"secretkey"):
            self.assertNotIn(name, body)
        # The figures still add up: every key is in the "other" series.
        self.assertEqual(m[("dkv_subtree_other_keys", '{namespace="0"}')], 36)
        self.assertEqual(m[("dkv_subtree_other_bytes", '{namespace="0"}')],
                         m[("dkv_namespace_bytes", '{namespace="0"}')])
        for path in ("/api/tree?ns=0&prefix=", "/api/tree?ns=0&prefix=patients",
                     "/api/key?ns=0&key=payroll.1"):
            status, _, text = get(self.port, path)
            self.assertEqual(status, 403, path)
            self.assertIn(b"key names are hidden", text)
            self.assertIn(b"http-show-keys yes", text)
            self.assertNotIn(b"payroll", text)
        log = get(self.port, "/api/slowlog")[2]
        self.assertIn(["SET", "(2 arguments hidden)"],
                      [e["args"] for e in json.loads(log)["entries"]])
        self.assertNotIn(b"secretkey", log)
        self.assertTrue(json.loads(get(self.port, "/api/stats")[2])["keys_hidden"])
        # The operator may choose to show them, at run time.
        self.r.config_set("http-show-keys", "yes")
        m = parse_metrics(scrape().decode())
        self.assertEqual(m[('dkv_subtree_keys', '{namespace="0",subtree="patients"}')], 30)
        self.assertEqual(m[("dkv_subtree_other_keys", '{namespace="0"}')], 0)
        status, _, text = get(self.port, "/api/tree?ns=0&prefix=")
        self.assertEqual(status, 200)
        self.assertIn("payroll", [c["name"] for c in json.loads(text)["children"]])
        self.assertEqual(get(self.port, "/api/key?ns=0&key=payroll.1")[0], 200)
        self.assertIn(["SET", "slow.secretkey", "v"],
                      [e["args"] for e in json.loads(get(self.port, "/api/slowlog")[2])["entries"]])
        self.assertFalse(json.loads(get(self.port, "/api/stats")[2])["keys_hidden"])

    def test_nothing_changes_data(self):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, headers, _ = get(self.port, "/api/key?ns=0&key=a", method=method, body=b"x")
            self.assertEqual(status, 405)
            self.assertEqual(headers["Allow"], "GET, HEAD")
        status, _, _ = get(self.port, "/metrics", method="GET", body=b"payload",
                           headers={"Content-Length": "7"})
        self.assertEqual(status, 413)
        self.assert_responsive()

    def test_hostile_input_is_refused_and_the_server_stays_up(self):
        # Headers past 16 KiB: 431, connection closed.
        out = raw_exchange(self.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " +
                           b"a" * 40000 + b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 431 "), out[:100])
        # Garbage: 400.
        out = raw_exchange(self.port, b"\x00\x01\x02 not http at all\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out[:100])
        # Two requests in one write: two answers, in order.
        out = raw_exchange(self.port, b"GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                           b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertEqual(re.findall(rb"HTTP/1.1 (\d+)", out), [b"200", b"404"])
        # A read full of pipelined requests: answered in order, one at a time.
        many = b"GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 300
        out = raw_exchange(self.port, many + b"GET /nope HTTP/1.1\r\nHost: 1\r\n"
                           b"Connection: close\r\n\r\n", timeout=20)
        self.assertEqual(re.findall(rb"HTTP/1.1 (\d+)", out), [b"200"] * 300 + [b"404"])
        # An upgrade is answered and the connection closed (what follows is not HTTP).
        out = raw_exchange(self.port, b"GET /metrics HTTP/1.1\r\nHost: 1\r\nConnection: Upgrade"
                           b"\r\nUpgrade: websocket\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n")
        self.assertEqual(len(re.findall(rb"HTTP/1.1 (\d+)", out)), 1)
        # A client that half-closes right after its request still gets the answer.
        out = raw_exchange(self.port, b"GET /api/stats HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                           half_close=True)
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out[:100])
        self.assertIn(b'"ops_per_sec"', out)
        # Foreign Host header on the API without a password (DNS rebinding).
        status, _, _ = get(self.port, "/api/stats", headers={"Host": "evil.example"})
        self.assertEqual(status, 403)
        self.assert_responsive()

    def test_slowloris_and_connection_limit(self):
        # One connection that pipelines many requests and never reads the answers, and seven
        # that send half a request and stop: eight, the limit.
        stall = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        stall.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stall.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 2000)
        hold = []
        for _ in range(7):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            hold.append(s)
        time.sleep(0.3)
        # A ninth is closed at once; the RESP side does not notice any of it.
        extra = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        extra.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            self.assertEqual(extra.recv(100), b"")
        except ConnectionResetError:
            pass
        extra.close()
        for i in range(100):
            self.r.set("during.%d" % i, i)
        self.assertTrue(self.r.ping())
        # Past the request timeout (10 s) the half-sent requests are answered 408 and closed.
        start = time.monotonic()
        for s in hold:
            data = read_until_close(s, timeout=20)
            self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data[:80])
            s.close()
        self.assertLess(time.monotonic() - start, 15)
        # The non-reader was closed too once its answer sat unread for the timeout (read
        # nothing from it: reading would let the write go on). Only the scrape itself is left.
        def only_the_scrape():
            try:
                _, _, body = get(self.port, "/metrics")
            except ConnectionError:
                return False
            return parse_metrics(body.decode())[("dkv_http_connections", "")] == 1
        self.assertTrue(wait_for(only_the_scrape, timeout=10))
        stall.close()

        def served():
            try:
                return get(self.port, "/metrics")[0] == 200
            except ConnectionError:  # a slot not yet released: the server closes at accept
                return False
        self.assertTrue(wait_for(served, timeout=5))
        self.assert_responsive()


class HttpAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HttpServerProcess(server_binary(), password="s3cret")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_basic_auth_against_requirepass(self):
        port = self.server.http_port
        status, headers, _ = get(port, "/metrics")
        self.assertEqual(status, 401)
        self.assertIn('Basic realm="dkv"', headers["WWW-Authenticate"])
        for creds, want in (("default:wrong", 401), ("default:s3cret", 200), ("someone:s3cret", 401)):
            token = base64.b64encode(creds.encode()).decode()
            status, _, _ = get(port, "/metrics", headers={"Authorization": "Basic " + token})
            self.assertEqual(status, want, creds)
        token = base64.b64encode(b"default:s3cret").decode()
        status, _, body = get(port, "/api/stats", headers={"Authorization": "Basic " + token,
                                                           "Host": "dkv.example"})
        self.assertEqual(status, 200)  # with a password, any Host may use the API
        self.assertEqual(get(port, "/", headers={})[0], 401)

    def test_key_names_shown_with_a_password(self):
        # With requirepass the listener needs credentials: key names are shown as before,
        # whatever http-show-keys says (it is off here).
        port = self.server.http_port
        r = redis.Redis(host="127.0.0.1", port=self.server.port, password="s3cret",
                        socket_timeout=10)
        self.addCleanup(r.close)
        r.set("billing.invoice.1", "x")
        auth = {"Authorization": "Basic " + base64.b64encode(b"default:s3cret").decode()}

        def labelled():
            _, _, b = get(port, "/metrics", headers=auth)
            return ('dkv_subtree_keys', '{namespace="0",subtree="billing"}') in parse_metrics(
                b.decode())
        self.assertTrue(wait_for(labelled, timeout=10))
        status, _, text = get(port, "/api/tree?ns=0&prefix=billing", headers=auth)
        self.assertEqual(status, 200)
        self.assertEqual([c["path"] for c in json.loads(text)["children"]], ["billing.invoice"])
        self.assertEqual(get(port, "/api/key?ns=0&key=billing.invoice.1", headers=auth)[0], 200)
        self.assertFalse(json.loads(get(port, "/api/stats", headers=auth)[2])["keys_hidden"])


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main(verbosity=2)
