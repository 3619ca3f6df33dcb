#!/usr/bin/python3
"""Hashes and sets on the PostgreSQL backend: one row per container (its portable form, kind 1
or 2), small and of 100,000+ elements, with TTLs and user metadata, through kill -9 restarts; a
schema version 1 table upgraded at start with its rows kept as strings; and the cache tier, with
maxmemory small enough that containers go cold: HGETALL, HSET, SADD, HDEL, SREM on cold ones
read the value back first and lose nothing.

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


def fill_hash(r, key, n, prefix="f", value_size=8):
    pipe = r.pipeline(transaction=False)
    for start in range(0, n, 1000):
        mapping = {f"{prefix}{i}": f"{i:0{value_size}d}" for i in range(start, min(n, start + 1000))}
        pipe.hset(key, mapping=mapping)
    pipe.execute()


def fill_set(r, key, members):
    pipe = r.pipeline(transaction=False)
    for start in range(0, len(members), 1000):
        pipe.sadd(key, *members[start:start + 1000])
    pipe.execute()


def meta_of(r, key):
    """KV.META without accessed_at, which PostgreSQL does not keep (reads are not written)."""
    meta = r.execute_command("KV.META", key)
    return [(k, v) for k, v in zip(meta[0::2], meta[1::2]) if k != b"accessed_at"]


class PostgresContainers(unittest.TestCase):
    def start(self, table, *options):
        self.server = pg.PgServer(server_binary(), table, options)
        self.server.start()
        self.r = self.client()
        return self.r

    def restart(self, options=None):
        self.r.close()
        self.server.kill9()
        if options is not None:
            self.server.options = list(options)
        self.server.start()
        self.r = self.client()

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=120)

    def tearDown(self):
        if getattr(self, "r", None) is not None:
            self.r.close()
        if getattr(self, "server", None) is not None:
            self.server.cleanup()

    def snapshot_of(self, r, keys):
        """What each key holds, as a client sees it."""
        out = {}
        for key in keys:
            kind = r.type(key)
            if kind == b"hash":
                out[key] = ("hash", r.hgetall(key))
            elif kind == b"set":
                out[key] = ("set", r.smembers(key))
            else:
                out[key] = (kind, r.get(key))
        return out

    def test_hashes_and_sets_survive_kill_9_as_one_row_each(self):
        psql("DROP TABLE IF EXISTS t_containers; DROP TABLE IF EXISTS t_containers_schema")
        r = self.start("t_containers", "--postgres.durability", "sync")
        r.hset("h.small", mapping={"name": "ada", "lang": "en", "bin\x00f": b"\xff\x00"})
        fill_hash(r, "h.big", BIG)
        r.sadd("s.ints", 1, -70000, 9000000000)
        r.sadd("s.small", "x", "y", "z")
        fill_set(r, "s.big", [f"member:{i}" for i in range(BIG)])
        fill_set(r, "s.bigints", [str(i * 3 - 50000) for i in range(BIG)])
        r.set("str", "plain")
        r.expire("h.small", 3600)
        r.pexpire("s.big", 7_200_000)
        r.execute_command("KV.SETMETA", "h.big", "owner", "team-a", "content_type",
                          "application/x-profile")
        keys = ["h.small", "h.big", "s.ints", "s.small", "s.big", "s.bigints", "str"]
        before = self.snapshot_of(r, keys)
        meta_before = meta_of(r, "h.big")
        self.assertEqual(len(before["h.big"][1]), BIG)
        # One row per key; kind 1 for hashes, 2 for sets, 0 for the string.
        self.assertEqual(psql("SELECT string_agg(convert_from(key, 'UTF8') || '=' || kind, ',' "
                              "ORDER BY key) FROM t_containers"),
                         "h.big=1,h.small=1,s.big=2,s.bigints=2,s.ints=2,s.small=2,str=0")
        self.restart()
        r = self.r
        self.assertEqual(self.snapshot_of(r, keys), before)
        self.assertEqual(meta_of(r, "h.big"), meta_before)
        self.assertTrue(3590 <= r.ttl("h.small") <= 3600)
        self.assertTrue(7_100_000 <= r.pttl("s.big") <= 7_200_000)
        self.assertEqual(r.object("encoding", "s.ints"), b"intset")
        self.assertEqual(r.object("encoding", "h.big"), b"hashtable")
        # Changes after the load are written back too.
        r.hdel("h.big", "f0", "f1")
        r.hset("h.big", "new", "field")
        r.srem("s.small", "x")
        r.sadd("s.ints", "notanint")
        popped = r.spop("s.bigints")
        r.delete("s.big")
        after = self.snapshot_of(r, keys)
        self.restart()
        self.assertEqual(self.snapshot_of(self.r, keys), after)
        self.assertNotIn(popped, self.r.smembers("s.bigints"))
        self.assertEqual(self.r.hlen("h.big"), BIG - 1)
        self.assertEqual(psql("SELECT count(*) FROM t_containers WHERE key = 's.big'"), "0")

    def test_big_rows_are_built_in_slices_and_hold_one_state_of_the_key(self):
        # Past 32,768 elements a container's row is built over several loop iterations; a key
        # written meanwhile starts over (after three restarts it is built in one go), so the
        # row PostgreSQL gets is always one state of the key, field times included.
        psql("DROP TABLE IF EXISTS t_slices; DROP TABLE IF EXISTS t_slices_schema")
        r = self.start("t_slices", "--postgres.durability", "sync")
        fill_hash(r, "h.big", 60_000)
        r.execute_command("HEXPIRE", "h.big", 3600, "FIELDS", 2, "f1", "f59999")
        fill_set(r, "s.big", [f"m{i}" for i in range(50_000)])
        built = r.info("persistence")["pg_rows_built_in_slices"]
        self.assertGreater(built, 0)
        # Writes pipelined onto the big keys while their rows are being built: each is
        # acknowledged only once committed (sync), whichever way its row was built.
        pipe = r.pipeline(transaction=False)
        for i in range(40):
            pipe.hset("h.big", f"extra{i}", i)
            pipe.sadd("s.big", f"extra{i}")
            pipe.get("absent")
        pipe.execute()
        info = r.info("persistence")
        self.assertGreater(info["pg_rows_built_in_slices"], built)
        before = (r.hgetall("h.big"), r.smembers("s.big"))
        self.assertEqual(len(before[0]), 60_040)
        self.restart()
        r = self.r
        self.assertEqual((r.hgetall("h.big"), r.smembers("s.big")), before)
        ttl = r.execute_command("HTTL", "h.big", "FIELDS", 2, "f1", "f2")
        self.assertTrue(3000 <= ttl[0] <= 3600 and ttl[1] == -1, ttl)

    def test_a_schema_version_1_table_is_upgraded_and_its_rows_stay_strings(self):
        psql("DROP TABLE IF EXISTS t_v1; DROP TABLE IF EXISTS t_v1_schema; "
             "CREATE TABLE t_v1_schema (version integer NOT NULL); "
             "INSERT INTO t_v1_schema VALUES (1); "
             "CREATE TABLE t_v1 (ns text COLLATE \"C\" NOT NULL, key bytea NOT NULL, "
             "value bytea NOT NULL, value_type smallint NOT NULL, meta jsonb NOT NULL DEFAULT "
             "'{}', version bigint NOT NULL, expires_at timestamptz, created_at timestamptz NOT "
             "NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (ns, key)); "
             "INSERT INTO t_v1 VALUES ('0', 'old', '\\x0102', 0, '{}', 3, NULL, now(), now())")
        r = self.start("t_v1", "--postgres.durability", "sync")
        self.assertEqual(r.get("old"), b"\x01\x02")
        self.assertEqual(psql("SELECT version FROM t_v1_schema"), "2")
        self.assertEqual(psql("SELECT kind FROM t_v1 WHERE key = 'old'"), "0")
        r.hset("h", "f", "v")
        self.restart()
        self.assertEqual(self.r.hgetall("h"), {b"f": b"v"})
        self.assertEqual(self.r.get("old"), b"\x01\x02")

    def test_a_damaged_container_row_stops_the_start_naming_the_key(self):
        psql("DROP TABLE IF EXISTS t_damaged; DROP TABLE IF EXISTS t_damaged_schema")
        r = self.start("t_damaged", "--postgres.durability", "sync")
        r.hset("h", mapping={"a": "1", "b": "2"})
        self.r.close()
        self.r = None
        self.server.kill9()
        # The hash's portable form with its last byte cut off.
        psql("UPDATE t_damaged SET value = substring(value from 1 for octet_length(value) - 1) "
             "WHERE key = 'h'")
        status, out = self.server.start_expect_exit(timeout=60)
        self.assertNotEqual(status, 0)
        self.assertIn("the row of key 'h' in namespace '0' holds a damaged hash", out)

    def test_cold_containers_are_read_back_before_commands_that_change_them(self):
        psql("DROP TABLE IF EXISTS t_cold; DROP TABLE IF EXISTS t_cold_schema")
        r = self.start("t_cold", "--postgres.durability", "sync", "--maxmemory", "4mb",
                       "--maxmemory-policy", "allkeys-lru")
        n_hashes, fields = 120, 200
        expected = {}
        for h in range(n_hashes):
            key = f"h:{h}"
            mapping = {f"f{i}": f"{h}-{i}-" + "x" * 90 for i in range(fields)}
            r.hset(key, mapping=mapping)
            expected[key] = {k.encode(): v.encode() for k, v in mapping.items()}
        sets = {}
        for s in range(40):
            key = f"s:{s}"
            members = [f"{s}-member-{i}-" + "y" * 60 for i in range(300)]
            fill_set(r, key, members)
            sets[key] = {m.encode() for m in members}
        # Strings written last push the containers' values out (least recently used); one at
        # a time, so that each commits (sync) and what came before can be dropped.
        for i in range(5000):
            r.set(f"filler:{i}", "z" * 1000)
        info = r.info("persistence")
        self.assertGreater(info["pg_cold_values"], 20)

        def cold(key):
            return b"cold:1" in r.execute_command("DEBUG", "OBJECT", key)

        cold_hashes = [k for k in expected if cold(k)]
        cold_sets = [k for k in sets if cold(k)]
        self.assertGreater(len(cold_hashes), 10)
        self.assertGreater(len(cold_sets), 3)
        # Writes that change a cold container in place: each first reads it back.
        for key in cold_hashes[:10]:
            self.assertEqual(r.hset(key, "added", "1"), 1)
            expected[key][b"added"] = b"1"
            self.assertEqual(r.hdel(key, "f0"), 1)
            del expected[key][b"f0"]
        for key in cold_hashes[10:]:
            self.assertEqual(r.hlen(key), fields)
        for key in cold_sets[:3]:
            self.assertEqual(r.sadd(key, "extra"), 1)
            sets[key].add(b"extra")
            first = sorted(sets[key])[0]
            self.assertEqual(r.srem(key, first), 1)
            sets[key].discard(first)
        for key, want in expected.items():
            self.assertEqual(r.hgetall(key), want, key)
        for key, want in sets.items():
            self.assertEqual(r.smembers(key), want, key)
        # And PostgreSQL holds the same.
        self.restart()
        r = self.r
        for key, want in expected.items():
            self.assertEqual(r.hgetall(key), want, key)
        for key, want in sets.items():
            self.assertEqual(r.smembers(key), want, key)
        self.assertTrue(wait_for(lambda: r.info("persistence")["pg_cold_values"] > 0))


if __name__ == "__main__":
    dkv_fixture.take_server_argument()
    if not pg.DSN or not pg.PG_DIR:
        print("DKV_PG_DSN and DKV_PG_DIR are not set (scripts/test sets them): skipped")
        sys.exit(77)
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
