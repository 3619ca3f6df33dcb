#!/usr/bin/python3
"""Sets through redis-py against a real server: a set of 200,000 members (SCARD, SISMEMBER,
SSCAN that returns every member, SPOP with a count until the key is gone), SINTER of a big and a
small set, the Redis 7.2 encodings (intset, listpack, hashtable) and their options, SRANDMEMBER's
distribution, sets in Lua (redis.call) and MULTI/WATCH on a set key.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. Everything but the listpack encoding checks (Redis 7.0 has no
listpack sets) also passes against Debian's redis-server:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_sets.py
"""

import collections
import os
import sys
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, server_binary  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

BIG = 200_000


class SetTestCase(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        for name, value in (("set-max-intset-entries", "512"),
                            ("set-max-listpack-entries", "128"),
                            ("set-max-listpack-value", "64")):
            try:
                self.r.config_set(name, value)
            except redis.ResponseError:
                pass  # Redis 7.0 has no listpack options

    def is_redis_70(self):
        return self.r.info("server")["redis_version"].startswith("7.0")

    def fill(self, key, members, batch=5000):
        for i in range(0, len(members), batch):
            self.r.sadd(key, *members[i:i + batch])


class BigSet(SetTestCase):
    def test_two_hundred_thousand_members(self):
        members = [f"member:{i}" for i in range(BIG)]
        self.fill("big", members)
        self.assertEqual(self.r.scard("big"), BIG)
        self.assertEqual(self.r.object("encoding", "big"), b"hashtable")
        for i in (0, 1, 99_999, BIG - 1):
            self.assertTrue(self.r.sismember("big", f"member:{i}"))
        self.assertFalse(self.r.sismember("big", f"member:{BIG}"))
        self.assertEqual(self.r.smismember("big", ["member:5", "nope"]), [1, 0])

        # SSCAN: every member at least once, nothing else; bounded number of calls.
        seen = set()
        cursor, calls = 0, 0
        while True:
            cursor, batch = self.r.sscan("big", cursor, count=1000)
            seen.update(batch)
            calls += 1
            self.assertLess(calls, BIG)
            if cursor == 0:
                break
        self.assertEqual(seen, {m.encode() for m in members})

        # SSCAN with MATCH returns only matching members.
        matched = set()
        cursor = 0
        for _ in range(BIG):
            cursor, batch = self.r.sscan("big", cursor, match="member:1234*", count=5000)
            matched.update(batch)
            if cursor == 0:
                break
        self.assertEqual(matched, {f"member:{i}".encode() for i in range(BIG)
                                   if f"member:{i}".startswith("member:1234")})

        # SPOP with a count until the key is gone: every member exactly once.
        popped = []
        for _ in range(100):
            got = self.r.spop("big", 7_000)
            if not got:
                break
            popped.extend(got)
        self.assertEqual(len(popped), BIG)
        self.assertEqual(set(popped), {m.encode() for m in members})
        self.assertEqual(self.r.exists("big"), 0)
        self.assertEqual(self.r.scard("big"), 0)
        self.assertIsNone(self.r.spop("big"))

    def test_sinter_big_and_small(self):
        self.fill("big", [str(i) for i in range(BIG)] + [f"x{i}" for i in range(1000)])
        self.r.sadd("small", "5", "150000", "x7", "not-there", str(BIG + 1))
        self.assertEqual(set(self.r.sinter("big", "small")), {b"5", b"150000", b"x7"})
        self.assertEqual(set(self.r.sinter("small", "big")), {b"5", b"150000", b"x7"})
        self.assertEqual(self.r.sintercard(2, ["big", "small"]), 3)
        self.assertEqual(self.r.sintercard(2, ["big", "small"], limit=2), 2)
        self.assertEqual(self.r.sinterstore("dst", ["big", "small"]), 3)
        self.assertEqual(self.r.scard("dst"), 3)
        self.assertEqual(self.r.sdiffstore("dst", ["small", "big"]), 2)
        self.assertEqual(set(self.r.smembers("dst")), {b"not-there", str(BIG + 1).encode()})
        self.assertEqual(self.r.sunionstore("dst", ["big", "small"]), BIG + 1000 + 2)

    def test_srandmember_big(self):
        self.fill("big", [str(i) for i in range(20_000)] + ["x"])
        got = self.r.srandmember("big", 100)
        self.assertEqual(len(got), 100)
        self.assertEqual(len(set(got)), 100)
        got = self.r.srandmember("big", 15_000)
        self.assertEqual(len(set(got)), 15_000)
        self.assertEqual(len(self.r.srandmember("big", -30_000)), 30_000)
        self.assertEqual(len(self.r.srandmember("big", 10**15)), 20_001)


class Encodings(SetTestCase):
    def enc(self, key):
        return self.r.object("encoding", key).decode()

    def test_intset_to_hashtable(self):
        self.r.config_set("set-max-intset-entries", "4")
        self.r.sadd("s", 1, 2, 3, 4)
        self.assertEqual(self.enc("s"), "intset")
        self.r.sadd("s", 5)
        self.assertEqual(self.enc("s"), "hashtable")
        self.r.srem("s", 1, 2, 3, 4)
        self.assertEqual(self.enc("s"), "hashtable")  # never back

    def test_listpack_rules_of_redis_72(self):
        if self.is_redis_70():
            self.skipTest("Redis 7.0 has no listpack sets")
        self.r.sadd("s", "a", "b")
        self.assertEqual(self.enc("s"), "listpack")
        # An intset takes a non-integer by becoming a listpack when it still fits.
        self.r.sadd("i", 1, 2, 3)
        self.assertEqual(self.enc("i"), "intset")
        self.r.sadd("i", "a")
        self.assertEqual(self.enc("i"), "listpack")
        self.assertEqual(self.r.scard("i"), 4)
        self.assertTrue(self.r.sismember("i", "2"))
        # Past set-max-listpack-value: a hashtable.
        self.r.sadd("i", "v" * 65)
        self.assertEqual(self.enc("i"), "hashtable")
        # Past set-max-listpack-entries.
        self.r.config_set("set-max-listpack-entries", "3")
        self.r.sadd("l", "a", "b", "c")
        self.assertEqual(self.enc("l"), "listpack")
        self.r.sadd("l", "d")
        self.assertEqual(self.enc("l"), "hashtable")
        # A new set larger than the limits starts as a hashtable.
        self.r.sadd("n", "a", "b", "c", "d", "e")
        self.assertEqual(self.enc("n"), "hashtable")
        # An intset too long for a listpack goes to the hashtable with its first non-integer.
        self.r.sadd("j", 1, 2, 3, 4)
        self.r.sadd("j", "x")
        self.assertEqual(self.enc("j"), "hashtable")
        # A new set of more integers than set-max-intset-entries starts as a listpack (7.0: a
        # hashtable); an intset taking a non-integer becomes a listpack (7.0: a hashtable).
        self.r.config_set("set-max-listpack-entries", "128")
        self.r.config_set("set-max-intset-entries", "4")
        self.r.sadd("f", 1, 2, 3, 4, 5, 6)
        self.assertEqual(self.enc("f"), "listpack")
        self.r.sadd("f", 7)
        self.assertEqual(self.enc("f"), "listpack")
        self.r.config_set("set-max-intset-entries", "512")
        self.r.sadd("t", 1, 2)
        self.r.sadd("u", "hello")
        self.assertTrue(self.r.smove("u", "t", "hello"))
        self.assertEqual(self.enc("t"), "listpack")
        # The STORE forms build their result by the same rules.
        self.r.config_set("set-max-listpack-entries", "128")
        self.r.sadd("p", "a", "b", "1")
        self.r.sunionstore("d", ["p"])
        self.assertEqual(self.enc("d"), "listpack")
        self.r.sadd("q", 7, 8)
        self.r.sunionstore("d", ["q"])
        self.assertEqual(self.enc("d"), "intset")

    def test_listpack_set_operations(self):
        self.r.sadd("a", "x", "y", "z", "1")
        self.r.sadd("b", "y", "z", "2")
        self.assertEqual(set(self.r.sinter("a", "b")), {b"y", b"z"})
        self.assertEqual(set(self.r.sunion("a", "b")), {b"x", b"y", b"z", b"1", b"2"})
        self.assertEqual(set(self.r.sdiff("a", "b")), {b"x", b"1"})
        self.assertTrue(self.r.smove("a", "b", "x"))
        self.assertEqual(self.r.scard("b"), 4)
        self.assertEqual(self.r.srem("a", "y", "z", "1"), 3)
        self.assertEqual(self.r.exists("a"), 0)


class Distribution(SetTestCase):
    def chi_square(self, samples, population):
        counts = collections.Counter(samples)
        expected = len(samples) / population
        return sum((counts.get(k, 0) - expected) ** 2 / expected for k in range(population))

    def check(self, key, members):
        # Positive counts: no repeats, every member equally likely.
        for size in (8, 2, 5):
            samples = []
            for _ in range(2000 // size):
                got = self.r.srandmember(key, size)
                self.assertEqual(len(set(got)), size)
                samples.extend(members.index(m) for m in got)
            # 9 degrees of freedom: 40 is a 0.00001 probability.
            self.assertLess(self.chi_square(samples, len(members)), 40)
        samples = [members.index(m) for m in self.r.srandmember(key, -2000)]
        self.assertLess(self.chi_square(samples, len(members)), 40)
        samples = [members.index(self.r.srandmember(key)) for _ in range(1000)]
        self.assertLess(self.chi_square(samples, len(members)), 40)

    def test_intset(self):
        members = [str(i).encode() for i in range(10)]
        self.r.sadd("s", *members)
        self.check("s", members)

    def test_listpack_or_small_hashtable(self):
        members = [f"m{i}".encode() for i in range(10)]
        self.r.sadd("s", *members)
        self.check("s", members)

    def test_hashtable(self):
        self.r.config_set("set-max-intset-entries", "1")
        try:
            self.r.config_set("set-max-listpack-entries", "1")
        except redis.ResponseError:
            pass
        members = [f"m{i}".encode() for i in range(10)]
        self.r.sadd("s", *members)
        self.assertEqual(self.r.object("encoding", "s"), b"hashtable")
        self.check("s", members)


class Scripts(SetTestCase):
    def test_redis_call_on_sets(self):
        script = """
            redis.call('SADD', KEYS[1], 'a', 'b', 'c')
            local n = redis.call('SCARD', KEYS[1])
            local m = redis.call('SISMEMBER', KEYS[1], 'b')
            redis.call('SREM', KEYS[1], 'b')
            local members = redis.call('SMEMBERS', KEYS[1])
            table.sort(members)
            return {n, m, members, redis.call('SPOP', KEYS[1], 0)}
        """
        self.assertEqual(self.r.eval(script, 1, "s"), [3, 1, [b"a", b"c"], []])
        with self.assertRaises(redis.ResponseError) as err:
            self.r.eval("redis.call('SET', KEYS[1], 'x'); return redis.call('SADD', KEYS[1], 'a')",
                        1, "str")
        self.assertIn("WRONGTYPE", str(err.exception))
        self.assertEqual(self.r.eval(
            "return redis.pcall('SCARD', KEYS[1])['err'] ~= nil", 1, "str"), 1)
        self.r.sadd("t", "a", "z")
        self.assertEqual(self.r.eval(
            "return redis.call('SINTERSTORE', KEYS[1], KEYS[2], KEYS[3])", 3, "d", "s", "t"), 1)
        self.assertEqual(self.r.smembers("d"), {b"a"})


class Transactions(SetTestCase):
    def test_multi_exec_on_a_set(self):
        p = self.r.pipeline(transaction=True)
        p.sadd("s", "a", "b").scard("s").srem("s", "a").smembers("s").spop("s", 5).exists("s")
        self.assertEqual(p.execute(), [2, 2, 1, {b"b"}, [b"b"], 0])

    def test_watch_aborts_on_a_set_write(self):
        self.r.sadd("s", "a")
        other = redis.Redis(host="127.0.0.1", port=self.server.port)
        try:
            for write in (lambda: other.sadd("s", "b"), lambda: other.srem("s", "b"),
                          lambda: other.smove("s", "t", "a"),
                          lambda: other.sunionstore("s", ["t"])):
                p = self.r.pipeline(transaction=True)
                p.watch("s")
                write()
                p.multi()
                p.scard("s")
                with self.assertRaises(redis.WatchError):
                    p.execute()
                p.reset()
        finally:
            other.close()

    def test_watch_holds_without_a_change(self):
        self.r.sadd("s", "a")
        other = redis.Redis(host="127.0.0.1", port=self.server.port)
        try:
            p = self.r.pipeline(transaction=True)
            p.watch("s")
            other.sadd("s", "a")        # already a member
            other.srem("s", "zzz")      # not a member
            other.spop("s", 0)
            other.smove("s", "t", "q")  # not a member
            p.multi()
            p.scard("s")
            self.assertEqual(p.execute(), [1])
        finally:
            other.close()


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
