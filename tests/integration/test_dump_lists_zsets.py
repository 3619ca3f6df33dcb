#!/usr/bin/python3
"""DUMP and RESTORE of lists and sorted sets between Debian's redis-server (7.0.15) and dkv-server,
both ways: Redis' payloads of every encoding it writes (a QUICKLIST_2 of one listpack node or of
many, PLAIN nodes for big elements, ZSET_LISTPACK and ZSET_2) restore into dkv with the same
contents; dkv's DUMP of a packed list, a quicklist filled by appending and a listpack sorted set
is Redis' body byte for byte (Redis 7.0 writes RDB version 10, dkv 11 as Redis 7.2: only the
version and the CRC differ; compared with rdbcompression no, since dkv never LZF-compresses; an
element over 8 KiB is a PLAIN node in dkv as in Redis 7.2, packed in 7.0, so not compared);
and Redis 7.0 restores every dkv payload once its version says 10.
"""

import os
import shutil
import sys
import unittest

import redis

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import server_binary, suite_server  # noqa: E402
from test_dump_types import with_version  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

ELEMENTS = ["0", "127", "128", "-1", "4095", "-4096", "4096", "32767", "-32768", "8388607",
            "2147483648", "9223372036854775807", "-9223372036854775808", "007", "-0", "+1",
            "1.5", "", "a" * 63, "b" * 64, "c" * 4095, "d" * 4096, b"\x00\xff\r\n", "ü✓"]
SCORES = [0, 1, -1, 1.5, -2.25, 0.1, 1e20, 123456789012, 2 ** 53, -(2 ** 62), 1e-7,
          float("inf"), float("-inf"), 3.141592653589793]


class DumpListsZsets(unittest.TestCase):
    def setUp(self):
        self.source = suite_server(REDIS_SERVER)
        self.source.start()
        self.dest = suite_server()
        self.dest.start()
        self.redis = redis.Redis(port=self.source.port, socket_timeout=30)
        self.dkv = redis.Redis(port=self.dest.port, socket_timeout=30)
        self.redis.config_set("rdbcompression", "no")

    def tearDown(self):
        self.redis.close()
        self.dkv.close()
        self.source.cleanup()
        self.dest.cleanup()

    def contents(self, client, key):
        kind = client.type(key)
        if kind == b"list":
            return kind, client.lrange(key, 0, -1)
        return kind, client.zrange(key, 0, -1, withscores=True)

    def fill(self, client):
        p = client.pipeline(transaction=False)
        p.rpush("l.small", *ELEMENTS[:18])
        p.rpush("l.strings", *ELEMENTS)
        p.rpush("l.big", *[f"e{i}" if i % 3 else i for i in range(5000)])
        p.rpush("l.plain", "x", "y" * 20000, "z")
        p.zadd("z.small", {f"m{i}": s for i, s in enumerate(SCORES)})
        p.zadd("z.big", {f"member-{i}": i / 7 for i in range(500)})
        p.zadd("z.long", {"a" * 100: 1, "b": 2})
        p.execute()

    def test_every_redis_encoding_restores_with_its_contents(self):
        r = self.redis
        self.fill(r)
        r.config_set("list-max-listpack-size", "5")
        r.rpush("l.count", *range(23))
        r.config_set("list-max-listpack-size", "-2")
        r.config_set("rdbcompression", "yes")
        r.rpush("l.lzf", *[f"compressible-{i}" for i in range(300)])
        r.zadd("z.lzf", {f"compressible-{i}": i for i in range(100)})
        for key, encoding in (("l.small", "quicklist"), ("l.big", "quicklist"),
                              ("z.small", "listpack"), ("z.big", "skiplist"),
                              ("z.long", "skiplist")):
            self.assertEqual(r.object("encoding", key).decode(), encoding, key)
        for key in r.scan_iter(count=1000):
            self.assertTrue(self.dkv.restore(key, 0, r.dump(key)), key)
            self.assertEqual(self.contents(self.dkv, key), self.contents(r, key), key)
        self.assertEqual(self.dkv.object("encoding", "l.small"), b"listpack")
        self.assertEqual(self.dkv.object("encoding", "l.big"), b"quicklist")
        self.assertEqual(self.dkv.object("encoding", "z.small"), b"listpack")
        self.assertEqual(self.dkv.object("encoding", "z.big"), b"skiplist")
        # TTL and REPLACE over another type.
        self.dkv.set("k", "string")
        self.assertTrue(self.dkv.restore("k", 100000, r.dump("z.small"), replace=True))
        self.assertEqual(self.dkv.type("k"), b"zset")
        self.assertGreater(self.dkv.pttl("k"), 90000)

    def compare_dumps(self, keys):
        for key in keys:
            theirs, ours = self.redis.dump(key), self.dkv.dump(key)
            encodings = [c.object("encoding", key) for c in (self.redis, self.dkv)]
            if key.startswith("l.") and encodings[0] != encodings[1]:
                # Redis 7.0 has no listpack lists: a small one is a one-node quicklist.
                self.assertEqual(encodings, [b"quicklist", b"listpack"], key)
            else:
                self.assertEqual(encodings[0], encodings[1], key)
            self.assertEqual(theirs[-10:-8], b"\x0a\x00")
            self.assertEqual(ours[-10:-8], b"\x0b\x00")
            self.assertEqual(with_version(theirs, 11), ours, key)

    def test_dkv_dump_is_redis_body_byte_for_byte(self):
        for client in (self.redis, self.dkv):
            client.rpush("l.small", *ELEMENTS[:18])
            client.rpush("l.one", "only")
            client.zadd("z.ints", {"a": 1, "b": -5, "c": 70000, "d": 0})
            client.zadd("z.frac", {"a": 1.5, "b": -2.25, "c": 1e20, "e": float("inf")})
            client.rpush("l.fill", *[f"e{i:05d}" for i in range(3000)])
        self.compare_dumps(("l.small", "l.one", "z.ints", "z.frac", "l.fill"))
        # dkv cuts a quicklist's nodes at DUMP time by the list-max-listpack-size then in force
        # (4 here, as when both built l.nodes).
        for client in (self.redis, self.dkv):
            client.config_set("list-max-listpack-size", "4")
            client.rpush("l.nodes", *range(10))
            client.config_set("zset-max-listpack-entries", "2")
            client.zadd("z.skip", {"x": 1, "y": 2.5, "z": -1})
        self.compare_dumps(("l.nodes", "z.skip"))

    def test_redis_restores_dkv_payloads(self):
        d = self.dkv
        self.fill(d)
        for key, rdb_type in (("l.small", 18), ("l.strings", 18), ("l.big", 18), ("l.plain", 18),
                              ("z.small", 17), ("z.big", 5), ("z.long", 5)):
            payload = d.dump(key)
            self.assertEqual(payload[0], rdb_type, key)
            self.assertTrue(self.redis.restore(key, 0, with_version(payload, 10)), key)
            self.assertEqual(self.contents(self.redis, key), self.contents(d, key), key)
            with self.assertRaisesRegex(redis.ResponseError, "version or checksum"):
                self.redis.restore(key + "x", 0, payload)
            # And back into dkv under another name.
            self.assertTrue(d.restore(key + ".again", 0, payload))
            self.assertEqual(self.contents(d, key + ".again"), self.contents(d, key), key)

    def test_damaged_payloads_are_refused_by_both(self):
        self.fill(self.dkv)
        payload = self.dkv.dump("l.small")
        flipped = bytearray(payload)
        flipped[10] ^= 0x40
        for client in (self.redis, self.dkv):
            with self.assertRaisesRegex(redis.ResponseError, "version or checksum"):
                client.restore("bad", 0, bytes(flipped))
        self.dkv.set("keep", "me")
        body = payload[:4] + b"\x00" + payload[5:-10]   # the listpack's total bytes damaged
        with self.assertRaisesRegex(redis.ResponseError, "Bad data format"):
            self.dkv.restore("keep", 0, with_version(body + b"\x00" * 10, 11), replace=True)
        self.assertEqual(self.dkv.get("keep"), b"me")


if __name__ == "__main__":
    dkv_fixture.take_server_argument()
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
