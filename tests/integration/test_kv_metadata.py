#!/usr/bin/python3
"""KV.* values with metadata against a real dkv-server through redis-py: KV.CAS under
concurrency, and lossless JSON round trips through KV.IMPORT and KV.EXPORT (a 10,000-key nested
document among them). Uses the server fixture of tests/pylib/dkv_fixture.py; DKV_SERVER names the
binary."""

import json
import os
import random
import sys
import threading
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


class KvMetadata(ServerTestCase):
    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=30,
                           decode_responses=True)

    def setUp(self):
        self.r = self.client()
        self.r.flushall()

    def tearDown(self):
        self.r.close()

    def meta(self, key):
        flat = self.r.execute_command("KV.META", key)
        return dict(zip(flat[::2], flat[1::2]))

    def test_cas_increments_from_many_clients(self):
        self.r.execute_command("KV.SET", "counter", "0", "TYPE", "number")
        successes = [0]
        lock = threading.Lock()

        def worker():
            c = self.client()
            mine = 0
            for _ in range(150):  # bounded: each attempt is one GET and one CAS
                current = c.get("counter")
                if c.execute_command("KV.CAS", "counter", current, str(int(current) + 1)) == 1:
                    mine += 1
            c.close()
            with lock:
                successes[0] += mine

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertGreater(successes[0], 0)
        self.assertEqual(int(self.r.get("counter")), successes[0])
        # Every successful swap changed the value once: version = 1 + swaps.
        self.assertEqual(int(self.meta("counter")["version"]), 1 + successes[0])

    def round_trip(self, doc, prefix="doc"):
        written = self.r.execute_command("KV.IMPORT", prefix, json.dumps(doc))
        exported = json.loads(self.r.execute_command("KV.EXPORT", prefix + ".**"))
        self.assertEqual(exported, {prefix: doc})
        return written

    def test_json_round_trip_types(self):
        doc = {
            "name": "Zoë — 東京 🚀", "count": 42, "ratio": 0.1, "big": 12345678901234567,
            "neg": -3.5e-7, "on": True, "off": False, "nothing": None,
            "list": [1, "two", {"three": 3}, [], None], "empty": {}, "nested": {"deep": {"x": "y"}},
            "quote": "a \"quoted\" \\ string\n",
        }
        self.assertEqual(self.round_trip(doc), 12)
        self.assertEqual(self.r.get("doc.count"), "42")
        self.assertEqual(self.meta("doc.count")["type"], "number")
        self.assertEqual(self.meta("doc.on")["type"], "boolean")
        self.assertEqual(self.meta("doc.list")["type"], "json")

    def test_json_round_trip_ten_thousand_keys(self):
        rng = random.Random(7)
        doc = {}
        for region in range(10):
            doc[f"region{region}"] = {
                f"host{h}": {
                    "ip": f"10.{region}.{h // 256}.{h % 256}",
                    "port": rng.randrange(1, 65536),
                    "weight": round(rng.random(), 6),
                    "up": rng.random() < 0.5,
                    "note": rng.choice(["", "ünïcödé", None, "plain"]),
                } for h in range(200)}
        self.assertEqual(self.round_trip(doc, "fleet"), 10000)
        self.assertEqual(self.r.execute_command("KV.COUNT", "fleet.**"), 10000)

    def test_leaf_and_parent_export_is_lossless(self):
        self.r.set("cfg.db", "primary")
        self.r.set("cfg.db.host", "h1")
        exported = self.r.execute_command("KV.EXPORT", "cfg.**")
        self.assertEqual(json.loads(exported), {"cfg": {"db": {"": "primary", "host": "h1"}}})
        self.r.flushall()
        self.r.execute_command("KV.IMPORT", "", exported)
        self.assertEqual(self.r.get("cfg.db"), "primary")
        self.assertEqual(self.r.get("cfg.db.host"), "h1")

    def test_import_is_all_or_nothing(self):
        with self.assertRaises(redis.ResponseError):
            self.r.execute_command("KV.IMPORT", "x", '{"a": 1, "b": {"c.d": 2}}')
        with self.assertRaises(redis.ResponseError):
            self.r.execute_command("KV.IMPORT", "x", '{"a": 1, ')
        self.assertEqual(self.r.dbsize(), 0)

    def test_versions_and_timestamps_follow_writes(self):
        self.r.set("k", "a")
        m1 = self.meta("k")
        self.assertEqual(m1["version"], 1)
        self.r.append("k", "b")
        self.r.expire("k", 100)            # TTL changes do not bump the version
        self.r.execute_command("KV.SETMETA", "k", "owner", "ops")  # nor do metadata changes
        m2 = self.meta("k")
        self.assertEqual(m2["version"], 2)
        self.assertEqual(m2["size"], 2)
        self.assertEqual(m2["user"], ["owner", "ops"])  # a map: flat in RESP2
        self.assertGreaterEqual(int(m2["updated_at"]), int(m1["updated_at"]))
        self.assertEqual(m2["checksum"], self.r.execute_command("DIGEST", "k"))


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main()
