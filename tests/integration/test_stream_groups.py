#!/usr/bin/python3
"""Stream consumer groups through redis-py against a real server (docs/stream-groups.md): a
producer and two consumers of one group share the work (each entry delivered once), acknowledge
it, see what is pending, and a consumer claims (XCLAIM, XAUTOCLAIM) what another left idle; a
consumer blocked in XREADGROUP is served by an XADD from another client, and a blocked one
answers NOGROUP when its group is destroyed; XINFO GROUPS and CONSUMERS follow. Bounded: a
few hundred entries, every wait with a timeout.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. It also passes against Debian's redis-server 7.0 but for the checks
marked as 7.2 behaviour:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_stream_groups.py
"""

import os
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, server_binary, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

ENTRIES = 300


class StreamGroupsTestCase(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.disconnect()

    def client(self):
        """A deferring client: send_command now, read_response later."""
        c = redis.Connection(host="127.0.0.1", port=self.server.port, socket_timeout=10)
        c.connect()
        self.conns.append(c)
        return c

    def wait_blocked(self, n):
        blocked = lambda: self.r.info("clients")["blocked_clients"]  # noqa: E731
        self.assertTrue(wait_for(lambda: blocked() == n, timeout=10), blocked())

    def test_two_consumers_share_the_work(self):
        producer = redis.Redis(host="127.0.0.1", port=self.server.port)
        self.r.xgroup_create("jobs", "workers", id="0", mkstream=True)
        for i in range(ENTRIES):
            producer.xadd("jobs", {"n": str(i)}, id=f"{i + 1}-0")
        a = redis.Redis(host="127.0.0.1", port=self.server.port, decode_responses=True)
        b = redis.Redis(host="127.0.0.1", port=self.server.port, decode_responses=True)
        seen = {"alice": [], "bob": []}
        # Alternate reads of 7 until both come back empty (bounded by the entry count).
        for _ in range(ENTRIES):
            got = 0
            for name, c in (("alice", a), ("bob", b)):
                reply = c.xreadgroup("workers", name, {"jobs": ">"}, count=7)
                for _, entries in reply:
                    ids = [eid for eid, _ in entries]
                    seen[name].extend(ids)
                    got += len(ids)
                    # Alice acknowledges what she reads; Bob leaves his pending.
                    if name == "alice" and ids:
                        self.assertEqual(c.xack("jobs", "workers", *ids), len(ids))
            if got == 0:
                break
        everything = seen["alice"] + seen["bob"]
        self.assertEqual(len(everything), ENTRIES)
        self.assertEqual(len(set(everything)), ENTRIES)
        summary = self.r.xpending("jobs", "workers")
        self.assertEqual(summary["pending"], len(seen["bob"]))
        self.assertEqual(summary["consumers"], [{"name": b"bob", "pending": len(seen["bob"])}])
        groups = self.r.xinfo_groups("jobs")
        self.assertEqual(groups[0]["lag"], 0)
        self.assertEqual(groups[0]["entries-read"], ENTRIES)
        self.assertEqual(groups[0]["pending"], len(seen["bob"]))
        # Bob's history: what he was given, again, with a delivery count of 2.
        history = b.xreadgroup("workers", "bob", {"jobs": "0"}, count=3)
        self.assertEqual([eid for eid, _ in history[0][1]], seen["bob"][:3])
        detail = self.r.xpending_range("jobs", "workers", "-", "+", 3, "bob")
        self.assertEqual([d["times_delivered"] for d in detail], [2, 2, 2])
        producer.close()
        a.close()
        b.close()

    def test_claim_after_idle(self):
        self.r.xgroup_create("s", "g", id="0", mkstream=True)
        for i in range(1, 6):
            self.r.xadd("s", {"f": "v"}, id=f"{i}-0")
        self.r.xreadgroup("g", "alice", {"s": ">"})
        # Nothing is idle for a minute yet.
        self.assertEqual(self.r.xclaim("s", "g", "bob", 60000, ["1-0"]), [])
        time.sleep(0.2)
        claimed = self.r.xclaim("s", "g", "bob", 100, ["1-0", "2-0"], justid=True)
        self.assertEqual(claimed, [b"1-0", b"2-0"])
        pending = self.r.xpending_range("s", "g", "-", "+", 10, "bob")
        self.assertEqual([p["message_id"] for p in pending], [b"1-0", b"2-0"])
        self.r.xdel("s", "4-0")
        time.sleep(0.2)
        cursor, entries, deleted = self.r.execute_command("XAUTOCLAIM", "s", "g", "carol", 100,
                                                          "0", "COUNT", 10)
        self.assertEqual(cursor, b"0-0")
        self.assertEqual([e[0] for e in entries], [b"1-0", b"2-0", b"3-0", b"5-0"])
        self.assertEqual(deleted, [b"4-0"])
        consumers = {c["name"]: c["pending"] for c in self.r.xinfo_consumers("s", "g")}
        self.assertEqual(consumers, {b"alice": 0, b"bob": 0, b"carol": 4})
        self.assertEqual(self.r.xgroup_delconsumer("s", "g", "carol"), 4)
        self.assertEqual(self.r.xpending("s", "g")["pending"], 0)

    def test_blocked_reader_served_by_xadd(self):
        self.r.xgroup_create("s", "g", id="$", mkstream=True)
        c = self.client()
        c.send_command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        self.wait_blocked(1)
        self.r.xadd("s", {"job": "1"}, id="7-0")
        reply = c.read_response()
        self.assertEqual(reply, [[b"s", [[b"7-0", [b"job", b"1"]]]]])
        self.wait_blocked(0)
        self.assertEqual(self.r.xpending("s", "g")["pending"], 1)
        # A timeout answers a null.
        c.send_command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "50", "STREAMS", "s", ">")
        self.assertIsNone(c.read_response())

    def test_blocked_reader_gets_nogroup(self):
        self.r.xgroup_create("s", "g", id="$", mkstream=True)
        c = self.client()
        c.send_command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        self.wait_blocked(1)
        self.r.xgroup_destroy("s", "g")
        with self.assertRaises(redis.ResponseError) as err:
            c.read_response()
        self.assertIn("NOGROUP", str(err.exception))
        self.wait_blocked(0)

    def test_blocked_reader_key_deleted(self):
        """Redis 7.2: the re-run command answers NOGROUP (7.0 answered UNBLOCKED)."""
        self.r.xgroup_create("s", "g", id="$", mkstream=True)
        c = self.client()
        c.send_command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        self.wait_blocked(1)
        self.r.delete("s")
        with self.assertRaises(redis.ResponseError) as err:
            c.read_response()
        if not self.r.info("server")["redis_version"].startswith("7.0"):
            self.assertIn("NOGROUP", str(err.exception))
        self.wait_blocked(0)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
