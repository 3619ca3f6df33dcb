#!/usr/bin/python3
"""DUMP and RESTORE of hashes and sets between Debian's redis-server (7.0.15) and dkv-server: Redis'
payloads in every encoding it writes (listpack and hashtable hashes, intset and hashtable sets,
listpack strings of every length class) restore into dkv with the same contents; dkv's DUMP of a
listpack hash or an intset is Redis' payload body byte for byte (Redis 7.0 writes RDB version 10,
dkv 11 as Redis 7.2: only the version and the CRC differ; compared with rdbcompression no, since
dkv never LZF-compresses); and Redis 7.0 restores dkv's payloads once their version says 10.
"""

import os
import shutil
import sys
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import server_binary, suite_server  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def crc64(data):
    """CRC-64/Jones as RDB uses it (reflected, initial 0)."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x95AC9329AC4BC9B5 if c & 1 else c >> 1
        table.append(c)
    crc = 0
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def with_version(payload, version):
    body = payload[:-10] + bytes([version & 0xFF, version >> 8])
    return body + crc64(body).to_bytes(8, "little")


INTEGERS = ["0", "127", "128", "-1", "4095", "-4096", "4096", "-4097", "32767", "-32768", "32768",
            "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
            "9223372036854775807", "-9223372036854775808", "007", "-0", "+1", "1.5", ""]


class DumpTypes(unittest.TestCase):
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
        """TYPE and contents; the type is asked of Redis (the same key holds the same type)."""
        kind = self.redis.type(key)
        return client.type(key), client.hgetall(key) if kind == b"hash" else client.smembers(key)

    def test_every_redis_encoding_restores_with_its_contents(self):
        r = self.redis
        r.config_set("hash-max-listpack-value", "10000")
        r.hset("lp", mapping={f"i{n}": v for n, v in enumerate(INTEGERS)})
        r.hset("lp:long", mapping={"s63": "a" * 63, "s64": "b" * 64, "s4095": "c" * 4095,
                                   "s4096": "d" * 4096, "s9000": "e" * 9000})
        r.hset("lp:bin", mapping={b"\x00\xff": b"\r\n\x00", "ü": "✓"})
        r.config_set("hash-max-listpack-entries", "2")
        r.hset("ht", mapping={f"f{n}": v for n, v in enumerate(INTEGERS)})
        r.hset("ht:big", mapping={f"f{n}": "v" * (n % 50) for n in range(3000)})
        r.sadd("is16", 5, -3, 1000)
        r.sadd("is32", 5, 70000, -70000)
        r.sadd("is64", 5, 1 << 40, -(1 << 62))
        r.sadd("st", "x", "y", "12", "-40000", b"\xff")
        r.sadd("st:ints", *range(1000))   # past set-max-intset-entries: a hashtable of integers
        r.config_set("hash-max-listpack-entries", "128")
        r.config_set("rdbcompression", "yes")
        r.hset("lzf", mapping={f"field{n}": f"value{n}" for n in range(30)})   # compressed
        expect = {"lp": "listpack", "lp:long": "listpack", "ht": "hashtable", "ht:big": "hashtable",
                  "is16": "intset", "is64": "intset", "st": "hashtable", "st:ints": "hashtable"}
        for key, encoding in expect.items():
            self.assertEqual(r.object("encoding", key).decode(), encoding, key)
        # dkv's limits: the long values stay packed only when it allows them too.
        self.dkv.config_set("hash-max-listpack-value", "10000")
        for key in r.scan_iter(count=1000):
            self.assertTrue(self.dkv.restore(key, 0, r.dump(key)), key)
            self.assertEqual(self.contents(self.dkv, key), self.contents(r, key), key)
        self.assertEqual(self.dkv.object("encoding", "lp:long"), b"listpack")
        self.assertEqual(self.dkv.object("encoding", "is64"), b"intset")
        self.assertEqual(self.dkv.object("encoding", "st:ints"), b"hashtable")
        self.assertEqual(self.dkv.object("encoding", "ht:big"), b"hashtable")
        # With a TTL, absolute or relative, and REPLACE over another type.
        self.dkv.set("k", "string")
        self.assertTrue(self.dkv.restore("k", 100000, r.dump("is16"), replace=True))
        self.assertEqual(self.dkv.type("k"), b"set")
        self.assertGreater(self.dkv.pttl("k"), 90000)

    def test_dkv_dump_is_redis_body_byte_for_byte(self):
        for client in (self.redis, self.dkv):
            client.config_set("hash-max-listpack-value", "10000")
            client.hset("h", mapping={f"i{n}": v for n, v in enumerate(INTEGERS)})
            client.hset("h", mapping={"s63": "a" * 63, "s64": "b" * 64, "s4096": "d" * 4096})
            client.hset("h", "i3", "changed")   # in place, as Redis' listpack
            client.hset("small", "a", "1")
            client.sadd("is16", 5, -3, 1000)
            client.sadd("is32", 70000, 1)
            client.sadd("is64", 1 << 40, -7)
        for key in ("h", "small", "is16", "is32", "is64"):
            theirs, ours = self.redis.dump(key), self.dkv.dump(key)
            encodings = [c.object("encoding", key) for c in (self.redis, self.dkv)]
            self.assertEqual(encodings[0], encodings[1], key)
            self.assertEqual(ours[:-10], theirs[:-10], key)
            self.assertEqual(theirs[-10:-8], b"\x0a\x00")   # Redis 7.0: RDB 10
            self.assertEqual(ours[-10:-8], b"\x0b\x00")     # dkv: RDB 11, as Redis 7.2
            self.assertEqual(with_version(theirs, 11), ours, key)
        # A hash of at most 20 bytes is never compressed: the same with Redis' default.
        self.redis.config_set("rdbcompression", "yes")
        self.assertEqual(with_version(self.redis.dump("small"), 11), self.dkv.dump("small"))

    def test_redis_restores_dkv_payloads(self):
        d = self.dkv
        d.hset("lp", mapping={"a": "1", "b": "-70000", "c": "text"})
        d.config_set("hash-max-listpack-entries", "1")
        d.hset("ht", mapping={f"f{n}": n for n in range(200)})
        d.sadd("is", 1, 2, 1 << 33)
        d.config_set("set-max-intset-entries", "2")
        d.config_set("set-max-listpack-entries", "2")
        d.sadd("st", *range(100))
        for key, rdb_type in (("lp", 16), ("ht", 4), ("is", 11), ("st", 2)):
            payload = d.dump(key)
            self.assertEqual(payload[0], rdb_type, key)
            # Redis 7.0 knows RDB 10: the body is the same in 11.
            self.assertTrue(self.redis.restore(key, 0, with_version(payload, 10)), key)
            self.assertEqual(self.contents(self.redis, key), self.contents(d, key), key)
            with self.assertRaisesRegex(redis.ResponseError, "version or checksum"):
                self.redis.restore(key + "x", 0, payload)
        d.config_set("set-max-intset-entries", "512")
        d.config_set("set-max-listpack-entries", "128")
        d.sadd("lps", "a", "b", 7)
        payload = d.dump("lps")
        self.assertEqual(payload[0], 20)   # SET_LISTPACK, new in Redis 7.2
        self.assertTrue(d.restore("lps2", 0, payload))
        self.assertEqual(d.smembers("lps2"), {b"a", b"b", b"7"})


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
