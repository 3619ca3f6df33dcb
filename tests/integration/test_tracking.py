"""Client-side caching on a real server (docs/client-tracking.md): a raw-socket RESP3 client
with HELLO 3 gets invalidation pushes for keys it read (others' writes, its own after the reply,
BCAST prefixes, FLUSHALL), python3-redis drives RESP2 with REDIRECT to a client subscribed to
__redis__:invalidate, and dkv's prefix invalidation: one message for a KV.DEL of a 2,000-key
subtree and for a pattern read. Runs against Debian's redis-server too (DKV_SERVER pointing at
it), where the dkv-only tests are skipped: that checks the harness."""

import os
import socket
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from dkv_fixture import ServerTestCase, encode_command, is_redis, take_server_argument  # noqa


class Resp3:
    """A minimal RESP3 client: commands, their replies, and pushes (returned as ('push', [...]))."""

    def __init__(self, port, hello=3):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        if hello:
            self.call("HELLO", str(hello))

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, body = line[:1], line[1:]
        if t in (b"+", b"-"):
            return body.decode() if t == b"+" else RuntimeError(body.decode())
        if t in (b":",):
            return int(body)
        if t == b"_":
            return None
        if t == b"$":
            n = int(body)
            return None if n < 0 else self._exact(n).decode()
        if t in (b"*", b"~", b">"):
            n = int(body)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return ("push", items) if t == b">" else items
        if t == b"%":
            return {self.read(): self.read() for _ in range(int(body))}
        if t == b"#":
            return body == b"t"
        raise ValueError("unexpected %r" % line)

    def call(self, *args):
        """Sends a command; returns its reply, skipping (and keeping) pushes before it."""
        self.sock.sendall(encode_command(*args))
        while True:
            r = self.read()
            if isinstance(r, tuple):
                self.pushes.append(r[1])
                continue
            return r

    pushes = None

    def push(self, timeout=5.0):
        """The next push (from before a reply, or read now)."""
        if self.pushes:
            return self.pushes.pop(0)
        self.sock.settimeout(timeout)
        try:
            r = self.read()
        finally:
            self.sock.settimeout(5)
        assert isinstance(r, tuple), r
        return r[1]

    def no_push(self, wait=0.3):
        if self.pushes:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return self.buf == b""
        finally:
            self.sock.settimeout(5)
        self.buf += chunk
        return False


class Tracking(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.dkv = not is_redis(self.server.binary)
        self.port = self.server.port
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()

    def resp3(self, hello=3):
        c = Resp3(self.port, hello)
        c.pushes = []
        self.clients.append(c)
        return c

    def test_default_mode_others_and_own_writes(self):
        c = self.resp3()
        self.assertEqual(c.call("CLIENT", "TRACKING", "ON"), "OK")
        self.r.set("k", "1")
        self.assertEqual(c.call("GET", "k"), "1")
        self.r.set("k", "2")
        self.assertEqual(c.push(), ["invalidate", ["k"]])
        self.r.set("k", "3")        # forgotten until read again
        self.assertTrue(c.no_push())
        # Its own write: the reply first, then the push.
        c.call("GET", "k")
        c.sock.sendall(encode_command("SET", "k", "4"))
        self.assertEqual(c.read(), "OK")
        self.assertEqual(c.read(), ("push", ["invalidate", ["k"]]))
        # FLUSHALL: a null ("everything").
        c.call("GET", "k")
        self.r.flushall()
        self.assertEqual(c.push(), ["invalidate", None])
        info = self.r.info()
        self.assertEqual(info["tracking_clients"], 1)
        self.assertTrue(any("t" in x["flags"] for x in self.r.client_list()))

    def test_bcast_prefixes_and_noloop(self):
        c = self.resp3()
        self.assertEqual(c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:",
                                "NOLOOP"), "OK")
        self.r.mset({"a:1": "x", "a:2": "y", "b:1": "z"})
        self.assertEqual(c.push(), ["invalidate", ["a:1", "a:2"]])
        c.call("SET", "a:3", "mine")   # NOLOOP: nothing for its own write
        self.assertTrue(c.no_push())
        info = c.call("CLIENT", "TRACKINGINFO")
        self.assertEqual(info["flags"], ["on", "bcast", "noloop"])
        self.assertEqual(info["prefixes"], ["a:"])

    def test_resp2_redirect_to_subscribed_client(self):
        sub = self.resp3(hello=None)
        sub_id = sub.call("CLIENT", "ID")
        reply = sub.call("SUBSCRIBE", "__redis__:invalidate")
        if isinstance(reply, RuntimeError):
            self.skipTest("SUBSCRIBE not available: %s" % reply)
        tracked = redis.Redis(host="127.0.0.1", port=self.port)
        tracked.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", sub_id)
        self.r.set("r2", "1")
        tracked.get("r2")
        self.r.set("r2", "2")
        self.assertEqual(sub.read(), ["message", "__redis__:invalidate", ["r2"]])
        self.assertEqual(tracked.execute_command("CLIENT", "GETREDIR"), sub_id)
        tracked.close()

    def test_broken_redirect(self):
        target = self.resp3()
        target_id = target.call("CLIENT", "ID")
        c = self.resp3()
        c.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(target_id))
        c.call("GET", "x")
        target.call("QUIT")
        time.sleep(0.1)
        self.r.set("x", "1")
        self.assertEqual(c.push(), ["tracking-redir-broken", target_id])
        self.assertIn("broken_redirect", c.call("CLIENT", "TRACKINGINFO")["flags"])

    def test_subtree_delete_is_one_prefix_message(self):
        if not self.dkv:
            self.skipTest("dkv's prefix invalidation")
        c = self.resp3()
        c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "app.tenant7.")
        pipe = self.r.pipeline(transaction=False)
        for i in range(2000):
            pipe.set("app.tenant7.user%d" % i, "v")
        pipe.execute()
        # The writes' invalidations (coalesced per loop iteration); drain them.
        while not c.no_push(0.3):
            c.push()
        self.assertEqual(self.r.execute_command("KV.DEL", "app.tenant7.**"), 2000)
        self.assertEqual(c.push(), ["invalidate", None, ["app.tenant7.**"]])
        self.assertTrue(c.no_push())
        # A default-mode client that read keys under it, and one that ran a pattern read.
        d = self.resp3()
        d.call("CLIENT", "TRACKING", "ON")
        self.r.mset({"app.t8.a": "1", "app.t8.b": "2"})
        d.call("MGET", "app.t8.a", "app.t8.b")
        d.call("KV.KEYS", "app.t9.**")
        self.r.execute_command("KV.DEL", "app.t8.**")
        self.assertEqual(d.push(), ["invalidate", None, ["app.t8.**"]])
        self.r.execute_command("KV.IMPORT", "app.t9", '{"a": 1, "b": {"c": 2}}')
        self.assertEqual(d.push(), ["invalidate", None, ["app.t9.**"]])
        self.assertTrue(d.no_push())

    def test_table_bound(self):
        c = self.resp3()
        c.call("CLIENT", "TRACKING", "ON")
        c.call("MGET", "m1", "m2", "m3")
        self.assertEqual(self.r.info()["tracking_total_keys"], 3)
        self.r.config_set("tracking-table-max-keys", 1)
        try:
            got = [c.push(), c.push()]
            self.assertEqual(len(got), 2)
            self.assertEqual(self.r.info()["tracking_total_keys"], 1)
        finally:
            self.r.config_set("tracking-table-max-keys", 1000000)


if __name__ == "__main__":
    take_server_argument()
    unittest.main()
