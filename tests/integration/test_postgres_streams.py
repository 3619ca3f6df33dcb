#!/usr/bin/python3
"""Streams on the PostgreSQL backend: one row per stream (its portable form, kind 5) with its
consumer groups, PELs and consumers, through kill -9 restarts (DUMP before and after equal); an
empty stream (XGROUP CREATE ... MKSTREAM) too; a damaged stream row stops the start naming the
key. The streams are Redis 7.0.15's own (DUMPed by Debian's redis-server, RESTOREd into dkv).

Needs DKV_PG_DSN and DKV_PG_DIR (scripts/test sets them); exits 77 (skipped) without them.
"""

import os
import shutil
import sys
import unittest

import redis

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
from dkv_fixture import Server, server_binary  # noqa: E402
import test_postgres as pg  # noqa: E402  (its helpers; its test cases are not collected here)
from test_postgres import psql, wait_for  # noqa: E402

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_payloads():
    """DUMP payloads of streams built in a throwaway redis-server."""
    source = Server(REDIS_SERVER, save_off=True, prefix="dkv-test-redis-")
    source.start()
    try:
        r = redis.Redis(port=source.port, socket_timeout=60)
        p = r.pipeline(transaction=False)
        for i in range(20000):
            p.xadd("big", {"sensor": i % 13, "reading": f"r{i}", "blob": b"\x00\xff" * (i % 5)},
                   id=f"{1000 + i}-{i % 4}")
        p.execute()
        r.xgroup_create("big", "workers", id="0")
        r.xreadgroup("workers", "w1", {"big": ">"}, count=300)
        r.xreadgroup("workers", "w2", {"big": ">"}, count=200)
        r.xack("big", "workers", *[f"{1000 + i}-{i % 4}" for i in range(0, 300, 3)])
        r.xgroup_create("big", "late", id="$")
        r.xdel("big", "1005-1", "1006-2")
        r.xadd("small", {"a": "1"}, id="1-1")
        r.xgroup_create("empty", "g", id="$", mkstream=True)
        return {k: r.dump(k) for k in ("big", "small", "empty")}
    finally:
        source.cleanup()


class PostgresStreams(unittest.TestCase):
    def start(self, table, *options):
        self.server = pg.PgServer(server_binary(), table, options)
        self.server.start()
        self.r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=120)
        return self.r

    def tearDown(self):
        if getattr(self, "r", None) is not None:
            self.r.close()
        if getattr(self, "server", None) is not None:
            self.server.cleanup()

    def test_streams_with_groups_survive_kill_9_as_one_row_each(self):
        psql("DROP TABLE IF EXISTS t_streams; DROP TABLE IF EXISTS t_streams_schema")
        r = self.start("t_streams", "--postgres.durability", "sync")
        for key, payload in redis_payloads().items():
            r.restore(key, 0, payload)
        r.expire("small", 3600)
        before = {k: r.dump(k) for k in ("big", "small", "empty")}
        self.assertEqual(psql("SELECT string_agg(convert_from(key, 'UTF8') || '=' || kind, ',' "
                              "ORDER BY key) FROM t_streams"), "big=5,empty=5,small=5")
        self.r.close()
        self.server.kill9()
        self.server.start()
        self.r = r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=120)
        self.assertEqual({k: r.dump(k) for k in ("big", "small", "empty")}, before)
        self.assertEqual(r.type("empty"), b"stream")
        self.assertTrue(3590 <= r.ttl("small") <= 3600)
        # A change is written back too (a RESTORE REPLACE is one write of the whole row).
        r.restore("small", 0, before["big"], replace=True)
        self.r.close()
        self.server.kill9()
        self.server.start()
        self.r = r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=120)
        self.assertEqual(r.dump("small"), before["big"])
        r.delete("empty")
        self.assertTrue(wait_for(lambda: psql("SELECT count(*) FROM t_streams WHERE key = "
                                              "'empty'") == "0"))

    def test_a_damaged_stream_row_stops_the_start_naming_the_key(self):
        psql("DROP TABLE IF EXISTS t_streams_bad; DROP TABLE IF EXISTS t_streams_bad_schema")
        r = self.start("t_streams_bad", "--postgres.durability", "sync")
        r.restore("s", 0, redis_payloads()["small"])
        self.r.close()
        self.r = None
        self.server.kill9()
        psql("UPDATE t_streams_bad SET value = substring(value from 1 for octet_length(value) - 1) "
             "WHERE key = 's'")
        status, out = self.server.start_expect_exit(timeout=60)
        self.assertNotEqual(status, 0)
        self.assertIn("the row of key 's' in namespace '0' holds a damaged stream", out)


if __name__ == "__main__":
    if not os.environ.get("DKV_PG_DSN") or not os.environ.get("DKV_PG_DIR"):
        print("DKV_PG_DSN and DKV_PG_DIR are not set (scripts/test sets them): skipped")
        sys.exit(77)
    unittest.main()
