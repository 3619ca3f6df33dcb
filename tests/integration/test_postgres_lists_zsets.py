#!/usr/bin/python3
"""Lists and sorted sets on the PostgreSQL backend: one row per key (its portable form, kind 3 or
4), both encodings, 100,000 elements, TTLs and user metadata, through kill -9 restarts; a damaged
row stops the start naming the key; and the cache tier, with maxmemory small enough that lists
and sorted sets go cold: LRANGE, RPUSH, LPOP, LSET, ZADD, ZREM, ZRANGE, ZSCORE on cold ones read
the value back first and lose nothing.

Needs DKV_PG_DSN and DKV_PG_DIR (scripts/test sets them); exits 77 (skipped) without them.
"""

import os
import sys
import unittest

import redis

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import server_binary  # noqa: E402
import test_postgres as pg  # noqa: E402  (its helpers; its test cases are not collected here)
from test_postgres import psql, wait_for  # noqa: E402

BIG = 100_000


def meta_of(r, key):
    """KV.META without accessed_at, which PostgreSQL does not keep (reads are not written)."""
    meta = r.execute_command("KV.META", key)
    return [(k, v) for k, v in zip(meta[0::2], meta[1::2]) if k != b"accessed_at"]


def contents(r, key):
    kind = r.type(key)
    if kind == b"list":
        return kind, r.lrange(key, 0, -1), r.object("encoding", key)
    if kind == b"zset":
        return kind, r.zrange(key, 0, -1, withscores=True), r.object("encoding", key)
    return kind, r.get(key)


class PostgresListsZsets(unittest.TestCase):
    def start(self, table, *options):
        self.server = pg.PgServer(server_binary(), table, options)
        self.server.start()
        self.r = self.client()
        return self.r

    def restart(self):
        self.r.close()
        self.server.kill9()
        self.server.start()
        self.r = self.client()

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=120)

    def tearDown(self):
        if getattr(self, "r", None) is not None:
            self.r.close()
        if getattr(self, "server", None) is not None:
            self.server.cleanup()

    def test_lists_and_zsets_survive_kill_9_as_one_row_each(self):
        psql("DROP TABLE IF EXISTS t_lz; DROP TABLE IF EXISTS t_lz_schema")
        r = self.start("t_lz", "--postgres.durability", "sync")
        r.rpush("l.small", "b", "a", "b", b"\x00\xff", -12, "")
        r.zadd("z.small", {"x": 1.5, "low": float("-inf"), "high": float("inf"), "zero": 0})
        pipe = r.pipeline(transaction=False)
        for start in range(0, BIG, 1000):
            pipe.rpush("l.big", *[f"e{i}" for i in range(start, start + 1000)])
            pipe.zadd("z.big", {f"m{i}": i / 8 for i in range(start, start + 1000)})
        pipe.execute()
        r.expire("l.small", 3600)
        r.pexpire("z.big", 7_200_000)
        r.execute_command("KV.SETMETA", "l.big", "owner", "team-a")
        keys = ["l.small", "l.big", "z.small", "z.big"]
        before = {k: contents(r, k) for k in keys}
        meta_before = meta_of(r, "l.big")
        self.assertEqual(before["l.big"][2], b"quicklist")
        self.assertEqual(before["z.big"][2], b"skiplist")
        self.assertEqual(psql("SELECT string_agg(convert_from(key, 'UTF8') || '=' || kind, ',' "
                              "ORDER BY key) FROM t_lz"), "l.big=3,l.small=3,z.big=4,z.small=4")
        self.restart()
        r = self.r
        self.assertEqual({k: contents(r, k) for k in keys}, before)
        self.assertEqual(meta_of(r, "l.big"), meta_before)
        self.assertTrue(3590 <= r.ttl("l.small") <= 3600)
        self.assertTrue(7_100_000 <= r.pttl("z.big") <= 7_200_000)
        # Changes after the load are written back too.
        r.lpop("l.big", 2)
        r.rpush("l.big", "new")
        r.lset("l.small", 0, "first")
        r.zadd("z.big", {"m0": -1, "extra": 5})
        r.zrem("z.small", "x")
        after = {k: contents(r, k) for k in keys}
        self.restart()
        self.assertEqual({k: contents(self.r, k) for k in keys}, after)
        self.r.delete("z.small")
        self.assertTrue(wait_for(lambda: psql("SELECT count(*) FROM t_lz WHERE key = 'z.small'")
                                 == "0"))

    def test_a_damaged_list_row_stops_the_start_naming_the_key(self):
        psql("DROP TABLE IF EXISTS t_lz_damaged; DROP TABLE IF EXISTS t_lz_damaged_schema")
        r = self.start("t_lz_damaged", "--postgres.durability", "sync")
        r.rpush("l", "a", "b")
        r.zadd("z", {"a": 1})
        self.r.close()
        self.r = None
        self.server.kill9()
        psql("UPDATE t_lz_damaged SET value = substring(value from 1 for octet_length(value) - 1) "
             "WHERE key = 'l'")
        status, out = self.server.start_expect_exit(timeout=60)
        self.assertNotEqual(status, 0)
        self.assertIn("the row of key 'l' in namespace '0' holds a damaged list", out)

    def test_cold_lists_and_zsets_are_read_back_before_commands(self):
        psql("DROP TABLE IF EXISTS t_lz_cold; DROP TABLE IF EXISTS t_lz_cold_schema")
        r = self.start("t_lz_cold", "--postgres.durability", "sync", "--maxmemory", "4mb",
                       "--maxmemory-policy", "allkeys-lru")
        lists, zsets = {}, {}
        for n in range(60):
            key = f"l:{n}"
            elements = [f"{n}-{i}-" + "x" * 90 for i in range(200)]
            r.rpush(key, *elements)
            lists[key] = [e.encode() for e in elements]
        for n in range(60):
            key = f"z:{n}"
            members = {f"{n}-member-{i}-" + "y" * 60: i / 4 for i in range(200)}
            r.zadd(key, members)
            zsets[key] = sorted(((m.encode(), s) for m, s in members.items()),
                                key=lambda p: (p[1], p[0]))
        for i in range(5000):
            r.set(f"filler:{i}", "z" * 1000)
        self.assertGreater(r.info("persistence")["pg_cold_values"], 20)

        def cold(key):
            return b"cold:1" in r.execute_command("DEBUG", "OBJECT", key)

        cold_lists = [k for k in lists if cold(k)]
        cold_zsets = [k for k in zsets if cold(k)]
        self.assertGreater(len(cold_lists), 6)
        self.assertGreater(len(cold_zsets), 6)
        for key in cold_lists[:3]:
            self.assertEqual(r.rpush(key, "added"), 201)
            lists[key].append(b"added")
        for key in cold_lists[3:5]:
            self.assertEqual(r.lpop(key), lists[key].pop(0))
        r.lset(cold_lists[5], 1, "set")
        lists[cold_lists[5]][1] = b"set"
        self.assertEqual(r.llen(cold_lists[6]), 200)
        for key in cold_zsets[:3]:
            self.assertEqual(r.zadd(key, {"new": -1}), 1)
            zsets[key].insert(0, (b"new", -1.0))
        for key in cold_zsets[3:5]:
            first = zsets[key].pop(0)[0]
            self.assertEqual(r.zrem(key, first), 1)
        self.assertEqual(r.zscore(cold_zsets[5], zsets[cold_zsets[5]][0][0]),
                         zsets[cold_zsets[5]][0][1])
        for key, want in lists.items():
            self.assertEqual(r.lrange(key, 0, -1), want, key)
        for key, want in zsets.items():
            self.assertEqual(r.zrange(key, 0, -1, withscores=True), want, key)
        self.restart()
        r = self.r
        for key, want in lists.items():
            self.assertEqual(r.lrange(key, 0, -1), want, key)
        for key, want in zsets.items():
            self.assertEqual(r.zrange(key, 0, -1, withscores=True), want, key)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()
    if not pg.DSN or not pg.PG_DIR:
        print("DKV_PG_DSN and DKV_PG_DIR are not set (scripts/test sets them): skipped")
        sys.exit(77)
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
