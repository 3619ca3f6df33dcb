#!/usr/bin/python3
"""Streams through redis-py against a real server (docs/streams.md): XADD with automatic and
explicit IDs and trimming, XRANGE/XREVRANGE, XDEL, XTRIM, XLEN, XSETID, XREAD, and XREAD BLOCK
served by an XADD from a second client ("$" resolved when the client blocked, not when it is
served; a deleted stream and a key of another type keep it waiting; timeouts; MULTI/EXEC
delivering several entries at once), keyspace notifications of the stream events, COPY and
MEMORY USAGE of a stream, and approximate trimming by whole nodes. Every wait is bounded.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. It also passes against Debian's redis-server 7.0 except the XREAD
"+" check (Redis 7.4):

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_streams.py
"""

import os
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


class StreamsTestCase(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.disconnect()
        self.r.config_set("stream-node-max-entries", 100)

    def client(self):
        """A deferring client: send_command now, read_response later."""
        c = redis.Connection(host="127.0.0.1", port=self.server.port, socket_timeout=10)
        c.connect()
        self.conns.append(c)
        return c

    def wait_blocked(self, n):
        ok = wait_for(lambda: self.r.info("clients")["blocked_clients"] == n, timeout=10)
        self.assertTrue(ok, self.r.info("clients")["blocked_clients"])

    def is_redis_70(self):
        return self.r.info("server")["redis_version"].startswith("7.0")

    def test_add_range_delete(self):
        first = self.r.xadd("s", {"a": "1"})
        ms, seq = (int(x) for x in first.decode().split("-"))
        self.assertLess(abs(ms - time.time() * 1000), 60000)
        second = self.r.xadd("s", {"b": "2", "c": "3"})
        self.assertGreater(tuple(int(x) for x in second.decode().split("-")), (ms, seq))
        self.assertEqual(self.r.xlen("s"), 2)
        rows = self.r.xrange("s")
        self.assertEqual(rows, [(first, {b"a": b"1"}), (second, {b"b": b"2", b"c": b"3"})])
        self.assertEqual(self.r.xrevrange("s", count=1), [(second, {b"b": b"2", b"c": b"3"})])
        self.assertEqual(self.r.xdel("s", first), 1)
        self.assertEqual(self.r.xlen("s"), 1)
        self.assertEqual(self.r.type("s"), b"stream")
        self.assertEqual(self.r.object("encoding", "s"), b"stream")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.xadd("s", {"x": "y"}, id="1-1")
        self.assertIn("equal or smaller", str(e.exception))
        with self.assertRaises(redis.ResponseError):
            self.r.lpush("s", "x")

    def test_trimming_and_nodes(self):
        self.r.config_set("stream-node-max-entries", 100)
        for i in range(1, 1001):
            self.r.xadd("t", {"xitem": i}, id=f"{i}-0", maxlen=555, approximate=True)
        self.assertEqual(self.r.xlen("t"), 600)  # whole nodes of 100 go
        self.assertEqual(self.r.xtrim("t", maxlen=555, approximate=False), 45)
        self.assertEqual(self.r.xrange("t", count=1)[0][0], b"446-0")
        self.assertEqual(self.r.xtrim("t", minid="900", approximate=False), 454)
        self.assertEqual(self.r.xlen("t"), 101)
        self.assertGreater(self.r.memory_usage("t"), 1000)
        self.r.copy("t", "t2")
        self.r.xadd("t2", {"new": 1}, id="2000-0")
        self.assertEqual(self.r.xlen("t"), 101)
        self.assertEqual(self.r.xlen("t2"), 102)
        self.r.execute_command("XSETID", "t2", "3000-0")
        self.assertEqual(self.r.xadd("t2", {"a": 1}, id="3000-*"), b"3000-1")

    def test_xread_nonblocking(self):
        self.r.xadd("a", {"f": "1"}, id="1-0")
        self.r.xadd("a", {"f": "2"}, id="2-0")
        self.r.xadd("b", {"f": "3"}, id="3-0")
        self.assertEqual(self.r.xread({"a": 0, "b": "$"}),
                         [[b"a", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]]])
        self.assertEqual(self.r.xread({"a": "1-0"}, count=5),
                         [[b"a", [(b"2-0", {b"f": b"2"})]]])
        self.assertEqual(self.r.xread({"a": "2-0", "b": "3-0"}), [])
        if not self.is_redis_70():
            self.assertEqual(self.r.xread({"a": "+"}), [[b"a", [(b"2-0", {b"f": b"2"})]]])

    def test_xread_block_served_by_xadd(self):
        self.r.xadd("s", {"old": "x"}, id="5-0")
        c = self.client()
        c.send_command("XREAD", "BLOCK", "10000", "STREAMS", "s", "other", "$", "$")
        self.wait_blocked(1)
        # "$" was resolved when the client blocked: an entry added now is what it gets.
        self.r.xadd("s", {"new": "y"}, id="6-0")
        self.assertEqual(c.read_response(), [[b"s", [[b"6-0", [b"new", b"y"]]]]])
        self.wait_blocked(0)

    def test_xread_block_delete_and_other_type_keep_waiting(self):
        self.r.xadd("s", {"f": "v"}, id="666-0")
        c = self.client()
        c.send_command("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        self.wait_blocked(1)
        self.r.delete("s")
        self.r.set("s", "string")
        self.r.delete("s")
        p = self.r.pipeline(transaction=True)
        p.xadd("s", {"old": "x"}, id="1-0")
        p.delete("s")
        p.lpush("s", "x")
        p.execute()
        self.assertEqual(self.r.info("clients")["blocked_clients"], 1)
        self.r.delete("s")
        self.r.xadd("s", {"f": "v"}, id="667-0")
        self.assertEqual(c.read_response(), [[b"s", [[b"667-0", [b"f", b"v"]]]]])

    def test_xread_block_timeout_and_multi(self):
        c = self.client()
        start = time.monotonic()
        c.send_command("XREAD", "BLOCK", "200", "STREAMS", "nothing", "0")
        self.assertIsNone(c.read_response())
        self.assertGreaterEqual(time.monotonic() - start, 0.15)
        self.r.xadd("m", {"old": "x"}, id="1-0")
        c.send_command("XREAD", "BLOCK", "10000", "STREAMS", "m", "$")
        self.wait_blocked(1)
        p = self.r.pipeline(transaction=True)
        for i in range(2, 5):
            p.xadd("m", {"n": i}, id=f"{i}-0")
        p.execute()
        reply = c.read_response()
        self.assertEqual([e[0] for e in reply[0][1]], [b"2-0", b"3-0", b"4-0"])

    def test_notifications(self):
        try:
            self.r.execute_command("PUBSUB", "NUMPAT")
        except redis.ResponseError:
            self.skipTest("no pub/sub in this build")
        self.r.config_set("notify-keyspace-events", "Et")
        ps = self.r.pubsub()
        try:
            ps.psubscribe("__keyevent@0__:*")
            self.assertTrue(wait_for(lambda: ps.get_message(timeout=0.1) is not None, timeout=5))
            self.r.xadd("n", {"f": "v"}, id="1-0")
            self.r.xadd("n", {"f": "v"}, id="2-0", maxlen=1, approximate=False)
            self.r.xdel("n", "2-0")
            self.r.xadd("n", {"f": "v"}, id="3-0")
            self.r.xtrim("n", maxlen=0, approximate=False)
            self.r.execute_command("XSETID", "n", "5-0")
            events = []
            deadline = time.monotonic() + 5
            while len(events) < 7 and time.monotonic() < deadline:
                m = ps.get_message(timeout=0.2)
                if m and m["type"] == "pmessage":
                    events.append(m["channel"].decode().split(":", 1)[1])
            self.assertEqual(events, ["xadd", "xadd", "xtrim", "xdel", "xadd", "xtrim", "xsetid"])
        finally:
            ps.close()
            self.r.config_set("notify-keyspace-events", "")


if __name__ == "__main__":
    unittest.main()
