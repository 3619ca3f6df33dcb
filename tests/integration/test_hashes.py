#!/usr/bin/python3
"""Hashes through redis-py against a real server: what applications rely on. A hash of 200,000
fields (HLEN, HGET, HMGET, a full HSCAN that returns every field at least once while the hash
changes size, HDEL of everything and the key gone), both encodings and the switch between them,
HINCRBY/HINCRBYFLOAT, HRANDFIELD, scripts (redis.call HSET / HGETALL), MULTI/EXEC and WATCH on a
hash key (RESP3 shapes are in tests/differential/cases/80_hashes.txt), and field expiration
(Redis 7.4 / 8.0; skipped against Debian's redis-server 7.0, which lacks it): fields that go by
themselves, the active cycle reclaiming them without any access, HGETEX/HSETEX/HGETDEL, RENAME and
COPY carrying the times.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. The same suite passes against Debian's redis-server:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_hashes.py
"""

import os
import sys
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

BIG = 200_000


class HashTestCase(ServerTestCase):
    def setUp(self):
        self._clients = []
        self.r = self.new_client()
        self.r.flushall()

    def tearDown(self):
        self.r.config_set("hash-max-listpack-entries", 128)
        self.r.config_set("hash-max-listpack-value", 64)
        for c in self._clients:
            c.close()

    def require_generic_types(self):
        """TYPE, OBJECT ENCODING and the string commands' WRONGTYPE for containers are issue
        20's generic part, developed beside the hash commands."""
        self.r.hset("probe", "f", "v")
        known = self.r.type("probe") == b"hash"
        self.r.delete("probe")
        if not known:
            self.skipTest("TYPE / OBJECT ENCODING do not know hashes in this build")

    def new_client(self, **kw):
        c = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=60, **kw)
        self._clients.append(c)
        return c


class Basics(HashTestCase):
    def test_set_get_delete_and_key_disappears(self):
        r = self.r
        self.assertEqual(r.hset("user:1", mapping={"name": "ada", "age": "36"}), 2)
        self.assertEqual(r.hset("user:1", "age", "37"), 0)
        self.assertEqual(r.hget("user:1", "age"), b"37")
        self.assertEqual(r.hgetall("user:1"), {b"name": b"ada", b"age": b"37"})
        self.assertEqual(r.hmget("user:1", ["name", "nope"]), [b"ada", None])
        self.assertTrue(r.hexists("user:1", "name"))
        self.assertEqual(r.hstrlen("user:1", "name"), 3)
        self.assertEqual(r.hdel("user:1", "name", "age", "nope"), 2)
        self.assertEqual(r.exists("user:1"), 0)
        self.assertEqual(r.hgetall("user:1"), {})

    def test_counters(self):
        r = self.r
        self.assertEqual(r.hincrby("c", "hits", 5), 5)
        self.assertEqual(r.hincrby("c", "hits", -2), 3)
        self.assertAlmostEqual(r.hincrbyfloat("c", "t", 0.5), 0.5)
        self.assertAlmostEqual(r.hincrbyfloat("c", "t", 1.25), 1.75)
        r.hset("c", "s", "x")
        with self.assertRaisesRegex(redis.ResponseError, "hash value is not an integer"):
            r.hincrby("c", "s", 1)
        with self.assertRaisesRegex(redis.ResponseError, "hash value is not a float"):
            r.hincrbyfloat("c", "s", 1)
        r.hset("c", "max", str(2**63 - 1))
        with self.assertRaisesRegex(redis.ResponseError, "would overflow"):
            r.hincrby("c", "max", 1)

    def test_wrong_type(self):
        self.require_generic_types()
        self.r.set("s", "v")
        with self.assertRaisesRegex(redis.ResponseError, "^WRONGTYPE"):
            self.r.hset("s", "f", "v")
        self.r.hset("h", "f", "v")
        with self.assertRaisesRegex(redis.ResponseError, "^WRONGTYPE"):
            self.r.get("h")

    def test_encoding_switch_keeps_contents(self):
        self.require_generic_types()
        r = self.r
        r.hset("t", "f", "v")
        self.assertEqual(r.type("t"), b"hash")
        r.config_set("hash-max-listpack-entries", 10)
        r.config_set("hash-max-listpack-value", 16)
        r.hset("e", mapping={f"f{i}": str(i) for i in range(10)})
        self.assertEqual(r.object("encoding", "e"), b"listpack")
        r.hset("e", "f10", "10")
        self.assertEqual(r.object("encoding", "e"), b"hashtable")
        self.assertEqual(r.hgetall("e"), {f"f{i}".encode(): str(i).encode() for i in range(11)})
        r.hset("v", "f", "x" * 16)
        self.assertEqual(r.object("encoding", "v"), b"listpack")
        r.hset("v", "g", "x" * 17)
        self.assertEqual(r.object("encoding", "v"), b"hashtable")

    def test_hrandfield(self):
        r = self.r
        fields = {f"f{i}": str(i) for i in range(300)}
        r.hset("h", mapping=fields)
        picked = r.hrandfield("h", 50)
        self.assertEqual(len(picked), 50)
        self.assertEqual(len(set(picked)), 50)
        self.assertEqual(len(r.hrandfield("h", -1000)), 1000)
        pairs = r.hrandfield("h", -20, withvalues=True)
        self.assertEqual(len(pairs), 40)
        for f, v in zip(pairs[::2], pairs[1::2]):
            self.assertEqual(fields[f.decode()], v.decode())
        self.assertEqual(len(r.hrandfield("h", 1000)), 300)
        self.assertIn(r.hrandfield("h").decode(), fields)


class Big(HashTestCase):
    def test_200k_fields(self):
        r = self.r
        pipe = r.pipeline(transaction=False)
        for start in range(0, BIG, 1000):
            pipe.hset("big", mapping={f"field:{i}": f"value:{i}" for i in range(start, start + 1000)})
        pipe.execute()
        self.assertEqual(r.hlen("big"), BIG)
        self.assertEqual(r.hget("big", "field:123456"), b"value:123456")
        self.assertEqual(r.hmget("big", "field:0", f"field:{BIG - 1}", "field:x"),
                         [b"value:0", f"value:{BIG - 1}".encode(), None])
        # A full HSCAN returns every field present for the whole iteration at least once, even
        # though the table grows (and rehashes) and shrinks while it runs.
        seen = set()
        cursor = 0
        calls = 0
        added = 0
        removed = set()
        while True:
            cursor, page = r.hscan("big", cursor, count=500)
            for f, v in page.items():
                self.assertEqual(v, f.replace(b"field", b"value"))
                seen.add(f)
            calls += 1
            if calls == 20:  # grow by half while the scan runs
                for start in range(BIG, BIG + BIG // 2, 1000):
                    pipe.hset("big", mapping={f"field:{i}": f"value:{i}"
                                              for i in range(start, start + 1000)})
                pipe.execute()
                added = BIG // 2
            if calls == 200:  # then shrink below the original size
                victims = [f"field:{i}" for i in range(BIG, BIG + added)]
                victims += [f"field:{i}" for i in range(0, BIG, 3)]
                for start in range(0, len(victims), 1000):
                    pipe.hdel("big", *victims[start:start + 1000])
                pipe.execute()
                removed = {v.encode() for v in victims}
            if cursor == 0:
                break
            self.assertLess(calls, 100_000)
        expected = {f"field:{i}".encode() for i in range(BIG)} - removed
        self.assertEqual(expected - seen, set())
        # NOVALUES (Redis 7.4; not in Debian's 7.0): only fields.
        if not dkv_fixture.is_redis(self.server.binary):
            conn = r.connection_pool.get_connection("HSCAN")
            try:
                conn.send_command("HSCAN", "big", 0, "COUNT", 100, "NOVALUES")
                cursor, page = conn.read_response()
            finally:
                r.connection_pool.release(conn)
            self.assertGreater(len(page), 0)
            for f in page:
                self.assertTrue(f.startswith(b"field:"))
        # HDEL everything: the key goes.
        keys = r.hkeys("big")
        self.assertEqual(len(keys), r.hlen("big"))
        for start in range(0, len(keys), 5000):
            pipe.hdel("big", *keys[start:start + 5000])
        pipe.execute()
        self.assertEqual(r.exists("big"), 0)


class ScriptsAndTransactions(HashTestCase):
    def test_lua(self):
        r = self.r
        got = r.eval("redis.call('HSET', KEYS[1], 'a', '1', 'b', '2');"
                     "return redis.call('HGETALL', KEYS[1])", 1, "lua")
        self.assertEqual(got, [b"a", b"1", b"b", b"2"])
        self.assertEqual(r.eval("return redis.call('HINCRBY', KEYS[1], 'a', 41)", 1, "lua"), 42)
        self.assertIsNone(r.eval("return redis.call('HGET', KEYS[1], 'zz')", 1, "lua"))
        with self.assertRaisesRegex(redis.ResponseError, "WRONGTYPE"):
            r.set("str", "x")
            r.eval("return redis.call('HGET', KEYS[1], 'a')", 1, "str")

    def test_multi_and_watch(self):
        r = self.r
        r.hset("acct", mapping={"balance": "10"})
        pipe = r.pipeline()
        pipe.watch("acct")
        other = self.new_client()
        other.hincrby("acct", "balance", 5)
        pipe.multi()
        pipe.hincrby("acct", "balance", -1)
        with self.assertRaises(redis.WatchError):
            pipe.execute()
        self.assertEqual(r.hget("acct", "balance"), b"15")
        # A no-op on the hash (HSETNX of an existing field, HDEL of a missing one) does not
        # touch the WATCH.
        pipe = r.pipeline()
        pipe.watch("acct")
        other.hsetnx("acct", "balance", "0")
        other.hdel("acct", "nope")
        pipe.multi()
        pipe.hincrby("acct", "balance", -1)
        self.assertEqual(pipe.execute(), [14])
        with r.pipeline() as p:
            p.hset("t", "a", "1").hgetall("t").hdel("t", "a").exists("t")
            self.assertEqual(p.execute(), [1, {b"a": b"1"}, 1, 0])


class FieldExpiry(HashTestCase):
    """Redis 7.4 / 8.0 field expiration (Debian's redis-server 7.0 has none of it: skipped)."""

    def setUp(self):
        super().setUp()
        if dkv_fixture.is_redis(self.server.binary):
            self.skipTest("redis-server 7.0 has no hash field expiration")

    def call(self, *args):
        return self.r.execute_command(*args)

    def test_fields_expire_and_the_key_goes_last(self):
        r = self.r
        r.hset("session", mapping={"user": "ada", "csrf": "t0k", "cart": "3"})
        self.assertEqual(self.call("HPEXPIRE", "session", 150, "FIELDS", 2, "csrf", "nope"), [1, -2])
        ttl = self.call("HPTTL", "session", "FIELDS", 3, "csrf", "user", "nope")
        self.assertTrue(0 < ttl[0] <= 150)
        self.assertEqual(ttl[1:], [-1, -2])
        dkv_fixture.wait_for(lambda: r.hget("session", "csrf") is None, timeout=10)
        self.assertEqual(r.hgetall("session"), {b"user": b"ada", b"cart": b"3"})
        self.assertEqual(self.call("HPEXPIRE", "session", 100, "FIELDS", 2, "user", "cart"), [1, 1])
        dkv_fixture.wait_for(lambda: r.exists("session") == 0, timeout=10)

    def test_active_reclaim_without_access(self):
        r = self.r
        pipe = r.pipeline(transaction=False)
        r.hset("h", mapping={f"f{i}": "v" for i in range(5000)})
        r.hset("h", "keep", "v")
        for start in range(0, 5000, 500):
            pipe.execute_command("HPEXPIRE", "h", 100, "FIELDS", 500,
                                 *[f"f{i}" for i in range(start, start + 500)])
        pipe.execute()
        r.hset("gone", "a", "1")
        self.call("HPEXPIRE", "gone", 100, "FIELDS", 1, "a")
        # No command touches the hashes: the server's cycle must delete the fields. DBSIZE and
        # SCAN do not look into hashes, so the key count tells when "gone" went.
        dkv_fixture.wait_for(lambda: r.dbsize() == 1, timeout=20)
        self.assertEqual(r.hlen("h"), 1)

    def test_hgetex_hsetex_hgetdel(self):
        r = self.r
        self.assertEqual(self.call("HSETEX", "c", "FNX", "PX", 5000, "FIELDS", 2, "a", "1", "b", "2"), 1)
        self.assertEqual(self.call("HSETEX", "c", "FNX", "FIELDS", 1, "a", "9"), 0)
        self.assertEqual(self.call("HGETEX", "c", "PERSIST", "FIELDS", 2, "a", "x"), [b"1", None])
        self.assertEqual(self.call("HTTL", "c", "FIELDS", 2, "a", "b")[0], -1)
        self.assertEqual(self.call("HGETDEL", "c", "FIELDS", 2, "a", "b"), [b"1", b"2"])
        self.assertEqual(r.exists("c"), 0)

    def test_times_survive_rename_and_copy(self):
        r = self.r
        r.hset("src", mapping={"a": "1", "b": "2"})
        self.call("HEXPIRE", "src", 1000, "FIELDS", 1, "a")
        r.copy("src", "dup")
        r.rename("src", "moved")
        for key in ("dup", "moved"):
            ttl = self.call("HTTL", key, "FIELDS", 2, "a", "b")
            self.assertTrue(990 <= ttl[0] <= 1000, ttl)
            self.assertEqual(ttl[1], -1)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()
    unittest.main()
