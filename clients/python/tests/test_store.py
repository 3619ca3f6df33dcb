"""KVStore and SyncKVStore against a real dkv-server: typed values and metadata, options of
set(), batches, patterns (the client's matcher agrees with the server's), namespaces isolated,
CAS races between two asyncio tasks, TTL expiry, tree/export/import, errors with the server's
text, key checks, connection options."""

import asyncio
import datetime as dt
import os
import time
import unittest

import redis.exceptions
import support
from dataknobs_kv import (InvalidKeyError, InvalidPatternError, InvalidValueError,
                          KVConnectionError, KVResponseError, KVStore, SyncKVStore, ValueType,
                          compile_pattern, literal_prefix, matches, validate_key)


def setUpModule():
    support.dkv_url()


def tearDownModule():
    support.stop_all()


class StoreTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        support.flush(support.dkv_url())
        self.store = KVStore()

    async def asyncTearDown(self):
        await self.store.close()

    async def test_types_round_trip(self):
        s = self.store
        cases = [
            ("t.str", "héllo", ValueType.STRING),
            ("t.int", 42, ValueType.NUMBER),
            ("t.neg", -7, ValueType.NUMBER),
            ("t.float", 2.5, ValueType.NUMBER),
            ("t.true", True, ValueType.BOOLEAN),
            ("t.false", False, ValueType.BOOLEAN),
            ("t.obj", {"b": [1, 2, {"c": None}], "a": "x"}, ValueType.JSON),
            ("t.list", [1, "two", 3.0], ValueType.JSON),
            ("t.null", None, ValueType.JSON),
            ("t.bin", bytes(range(256)), ValueType.BINARY),
        ]
        for key, value, vtype in cases:
            self.assertTrue(await s.set(key, value))
        for key, value, vtype in cases:
            v = await s.get(key)
            self.assertEqual(v.type, vtype, key)
            self.assertEqual(v.data, value, key)
            self.assertEqual(type(v.data), type(value), key)
        # Explicit types: the server validates them.
        self.assertTrue(await s.set("t.doc", b"%PDF-1.7", value_type="document"))
        self.assertEqual((await s.get("t.doc")).type, ValueType.DOCUMENT)
        self.assertEqual((await s.get("t.doc")).data, b"%PDF-1.7")
        self.assertTrue(await s.set("t.numstr", "12", value_type=ValueType.NUMBER))
        self.assertEqual((await s.get("t.numstr")).data, 12)
        with self.assertRaises(KVResponseError) as cm:
            await s.set("t.bad", "twelve", value_type="number")
        self.assertEqual(str(cm.exception), "invalid value for type number: value is not a number")
        with self.assertRaises(KVResponseError) as cm:
            await s.set("t.bad", b"{", value_type="json")
        self.assertIn("invalid value for type json", str(cm.exception))
        with self.assertRaises(InvalidValueError):
            await s.set("t.bad", {1, 2})
        # A Redis-written value reads as a string; one that is not UTF-8 as bytes.
        await s.redis.set("t.raw", b"\xff\xfe")
        self.assertEqual((await s.get("t.raw")).data, b"\xff\xfe")
        self.assertIsNone(await s.get("t.missing"))
        # A key name that is not UTF-8 round-trips as a str with surrogate escapes.
        await s.redis.set(b"t.k\xff", b"v")
        [name] = await s.keys("t.k*")
        self.assertEqual(name, "t.k\udcff")
        self.assertEqual((await s.get_pattern("t.k*"))[name].data, "v")
        self.assertTrue(await s.delete(name))

    async def test_metadata(self):
        s = self.store
        await s.set("m.k", "v", metadata={"owner": "ops", "tags": ["a", "b"], "level": 3,
                                          "content_type": "text/plain", "type": "stop-word"})
        v = await s.get("m.k")
        self.assertEqual(v.metadata, {"owner": "ops", "tags": ["a", "b"], "level": "3",
                                      "type": "stop-word"})
        self.assertEqual(v.info.content_type, "text/plain")
        self.assertEqual(v.info.version, 1)
        self.assertEqual(v.info.size, 1)
        self.assertIsInstance(v.info.created_at, dt.datetime)
        self.assertEqual(await s.get_metadata("m.k"), v.metadata)
        self.assertTrue(await s.set_metadata("m.k", {"owner": "dba", "extra": {"x": 1}}))
        meta = await s.get_metadata("m.k")
        self.assertEqual(meta["owner"], "dba")
        self.assertEqual(meta["extra"], {"x": 1})
        self.assertEqual(await s.delete_metadata("m.k", "extra", "nope"), 1)
        self.assertNotIn("extra", await s.get_metadata("m.k"))
        self.assertFalse(await s.set_metadata("m.missing", {"a": "b"}))
        self.assertIsNone(await s.get_metadata("m.missing"))
        info = await s.info("m.k")
        self.assertEqual(info.type, ValueType.STRING)
        self.assertEqual(info.checksum, v.checksum)
        # The version counts value changes only.
        await s.set("m.k", "w")
        self.assertEqual((await s.info("m.k")).version, 2)

    async def test_set_options(self):
        s = self.store
        self.assertTrue(await s.set("o.k", 1, nx=True))
        self.assertFalse(await s.set("o.k", 2, nx=True))
        self.assertFalse(await s.set("o.other", 2, xx=True))
        self.assertTrue(await s.set("o.k", 3, if_version=1))
        self.assertFalse(await s.set("o.k", 4, if_version=1))
        self.assertEqual((await s.get("o.k")).data, 3)
        self.assertTrue(await s.set("o.new", 1, if_version=0))

    async def test_batches(self):
        s = self.store
        self.assertEqual(await s.set_many({"b.a": 1, "b.b": "two", "b.c": [3]}),
                         {"b.a": True, "b.b": True, "b.c": True})
        got = await s.get_many(["b.a", "b.b", "b.c", "b.missing"])
        self.assertEqual({k: v.data for k, v in got.items()}, {"b.a": 1, "b.b": "two", "b.c": [3]})
        self.assertEqual(await s.delete_many(["b.a", "b.missing"]), {"b.a": True, "b.missing": False})
        self.assertEqual(await s.get_many([]), {})
        with self.assertRaises(InvalidKeyError):
            await s.set_many({"ok.key": 1, "bad..key": 2})
        self.assertFalse(await s.exists("ok.key"))   # checked before anything is sent

    async def test_patterns_agree_with_server(self):
        s = self.store
        keys = ["app.config.debug", "app.config.database.host", "app.config.database.port",
                "app.dev.config", "app.prod.config", "App.Dev.Config", "user.7.settings",
                "user.77.settings", "user.a.settings", "a.b", "a.b.c", "x[1].y", "x.y-z"]
        await s.set_many({k: "v" for k in keys})
        patterns = ["*", "**", "app.*", "app.**", "app.config.*", "**.database.**",
                    "user.?.settings", "user.??.settings", "user.[0-9].settings",
                    "user.[!0-9].settings", "user.[^a].settings", "app.{dev,prod}.config",
                    "app.{d*,p?od}.config", "a.b.**", "a.b*", "x\\[1\\].*", "x.y-?", "*.*",
                    "**.config", "app.*.*.host"]
        for p in patterns:
            server = await s.keys(p)
            client = sorted(k for k in keys if matches(p, k))
            self.assertEqual(server, client, p)
            self.assertEqual(await s.count(p), len(server), p)
        self.assertEqual(await s.keys("app.dev.*", nocase=True),
                         ["App.Dev.Config", "app.dev.config"])
        self.assertEqual(await s.keys("app.**", limit=2),
                         ["app.config.database.host", "app.config.database.port"])
        self.assertEqual(literal_prefix("app.config.*"), "app.config.")
        self.assertEqual(literal_prefix("app.{a,b}"), "app.")
        with self.assertRaises(InvalidPatternError):
            compile_pattern("a.[b")
        with self.assertRaises(KVResponseError) as cm:
            await s.keys("a.[b")
        self.assertTrue(str(cm.exception).startswith("invalid pattern:"), str(cm.exception))
        # delete_pattern: a subtree, then a pattern.
        self.assertEqual(await s.delete_pattern("app.config.**"), 3)
        self.assertEqual(await s.delete_pattern("user.*.settings"), 3)
        self.assertEqual(await s.count("**"), len(keys) - 6)

    async def test_namespaces_isolated(self):
        a = KVStore(namespace="tenant_a")
        b = KVStore(namespace="tenant_b")
        try:
            await a.set("shared.key", "from a", metadata={"who": "a"})
            await b.set("shared.key", "from b")
            await b.set("shared.only_b", 1)
            self.assertEqual((await a.get("shared.key")).data, "from a")
            self.assertEqual((await b.get("shared.key")).data, "from b")
            self.assertEqual(await a.keys("shared.*"), ["shared.key"])
            self.assertEqual(await b.keys("shared.*"), ["shared.key", "shared.only_b"])
            self.assertIsNone(await self.store.get("shared.key"))
            self.assertEqual(await b.delete_pattern("shared.**"), 2)
            self.assertEqual((await a.get("shared.key")).data, "from a")
            self.assertEqual(await a.export_json(), {"shared": {"key": "from a"}})
            ns = await self.store.namespaces()
            self.assertEqual(ns["tenant_a"], 1)
            self.assertEqual(ns["tenant_b"], 0)
            # The URL may name the namespace, as dkv-migrate's dkv://host:port/namespace.
            by_url = KVStore(support.dkv_url() + "/tenant_a")
            self.assertEqual(by_url.namespace, "tenant_a")
            self.assertEqual((await by_url.get("shared.key")).data, "from a")
            await by_url.close()
            # A database number works too.
            n3 = KVStore(namespace=3)
            await n3.set("k", 1)
            self.assertEqual(await n3.keys("*"), ["k"])
            self.assertIsNone(await a.get("k"))
            await n3.close()
        finally:
            await a.close()
            await b.close()

    async def test_cas_race_between_two_tasks(self):
        s = self.store
        await s.set("race.counter", 0)
        rounds = 200

        async def worker(store):
            swaps = retries = 0
            while swaps < rounds:
                current = (await store.get("race.counter")).data
                if await store.compare_and_swap("race.counter", current, current + 1):
                    swaps += 1
                else:
                    retries += 1
            return swaps, retries

        other = KVStore()
        try:
            (s1, r1), (s2, r2) = await asyncio.gather(worker(s), worker(other))
        finally:
            await other.close()
        self.assertEqual(s1 + s2, 2 * rounds)
        self.assertEqual((await s.get("race.counter")).data, 2 * rounds)
        self.assertEqual((await s.info("race.counter")).version, 2 * rounds + 1)
        # Interleaved tasks on two connections do collide; every collision was a refused swap.
        self.assertGreater(r1 + r2, 0)
        self.assertFalse(await s.compare_and_swap("race.missing", 0, 1))

    async def test_ttl_expiry(self):
        s = self.store
        await s.set("ttl.short", "x", ttl=0.3)
        await s.set("ttl.td", "y", ttl=dt.timedelta(seconds=60))
        await s.set("ttl.none", "z")
        self.assertTrue(await s.exists("ttl.short"))
        left = await s.ttl("ttl.short")
        self.assertTrue(0 < left <= 0.3, left)
        self.assertTrue(59 < await s.ttl("ttl.td") <= 60)
        self.assertIsNone(await s.ttl("ttl.none"))
        self.assertIsNone((await s.get("ttl.none")).ttl)
        await asyncio.sleep(0.5)
        self.assertFalse(await s.exists("ttl.short"))
        self.assertIsNone(await s.get("ttl.short"))
        # cleanup_expired removes what expired and was not collected yet.
        await s.set_many({"ttl.many.a": 1, "ttl.many.b": 2}, ttl=0.2)
        await asyncio.sleep(0.4)
        removed = await s.cleanup_expired()
        self.assertGreaterEqual(removed, 0)
        self.assertEqual(await s.keys("ttl.many.*"), [])
        self.assertTrue(await s.expire("ttl.none", 0.2))
        await asyncio.sleep(0.4)
        self.assertFalse(await s.exists("ttl.none"))

    async def test_increment_and_append(self):
        s = self.store
        self.assertEqual(await s.increment("n.views"), 1)
        self.assertEqual(await s.increment("n.views", delta=10), 11)
        self.assertEqual(await s.increment("n.views", delta=-1), 10)
        self.assertEqual(await s.increment("n.f", 0.5), 0.5)
        self.assertEqual((await s.get("n.views")).data, 10)
        self.assertEqual(await s.append("n.log", "a"), "a")
        self.assertEqual(await s.append("n.log", "bc"), "abc")
        await s.set("n.text", "abc")
        with self.assertRaises(KVResponseError) as cm:
            await s.increment("n.text")
        self.assertEqual(str(cm.exception), "value is not an integer or out of range")
        await s.redis.hset("n.hash", "f", "v")
        with self.assertRaises(KVResponseError) as cm:
            await s.append("n.hash", "x")
        self.assertTrue(str(cm.exception).startswith("WRONGTYPE"), str(cm.exception))

    async def test_tree_export_import(self):
        s = self.store
        n = await s.import_json("cfg", {"db": {"host": "db1", "port": 5432, "tls": True},
                                        "replicas": ["r1", "r2"], "name": "svc"})
        self.assertEqual(n, 5)
        self.assertEqual((await s.get("cfg.db.port")).data, 5432)
        self.assertEqual((await s.get("cfg.db.tls")).type, ValueType.BOOLEAN)
        self.assertEqual((await s.get("cfg.replicas")).data, ["r1", "r2"])
        tree = await s.tree("cfg")
        self.assertEqual([(t.path, t.keys, t.has_value) for t in tree],
                         [("cfg.db", 3, False), ("cfg.name", 1, True), ("cfg.replicas", 1, True)])
        deep = await s.tree("cfg", depth=2)
        self.assertIn("cfg.db.host", [t.path for t in deep])
        exported = await s.export_json("cfg.**")
        self.assertEqual(exported, {"cfg": {"db": {"host": "db1", "port": 5432, "tls": True},
                                            "replicas": ["r1", "r2"], "name": "svc"}})
        # Round trip into another prefix.
        self.assertEqual(await s.import_json("copy", exported["cfg"]), 5)
        self.assertEqual(await s.export_json("copy.**"), {"copy": exported["cfg"]})
        with self.assertRaises(KVResponseError) as cm:
            await s.import_json("bad", "{not json")
        self.assertEqual(str(cm.exception), "KV.IMPORT: the document is not valid JSON")
        self.assertEqual(await s.import_json("exp", {"a": 1}, ttl=60), 1)
        self.assertTrue(0 < await s.ttl("exp.a") <= 60)

    async def test_key_checks(self):
        for bad in ("", ".a", "a.", "a..b"):
            with self.assertRaises(InvalidKeyError) as cm:
                await self.store.set(bad, 1)
            # The client's text is the server's.
            with self.assertRaises(redis.exceptions.ResponseError) as server:
                await self.store.redis.execute_command("KV.SET", bad, "1")
            self.assertEqual(str(cm.exception), str(server.exception), bad)
        with self.assertRaises(InvalidKeyError):
            await self.store.import_json("a..b", {"x": 1})
        self.assertEqual(validate_key("a.b"), "a.b")
        colon = KVStore(separator=":")
        with self.assertRaises(InvalidKeyError):
            await colon.set("a::b", 1)
        await colon.close()

    async def test_connection_options(self):
        port = support.dkv_fixture.free_port()
        dead = KVStore(f"redis://127.0.0.1:{port}", connect_timeout=0.5, retries=1)
        with self.assertRaises(KVConnectionError):
            await dead.get("a")
        await dead.close()
        pooled = KVStore(socket_timeout=5, max_connections=4, backend="postgres")
        self.assertTrue(await pooled.ping())
        self.assertEqual(pooled.backend, "postgres")
        await asyncio.gather(*(pooled.set(f"p.k{i}", i) for i in range(20)))
        self.assertEqual(await pooled.count("p.*"), 20)
        await pooled.close()
        with self.assertRaises(ValueError):
            KVStore(backend="cassandra")
        async with KVStore() as ctx:
            self.assertTrue(await ctx.ping())


class SyncStoreTest(unittest.TestCase):
    def setUp(self):
        support.flush(support.dkv_url())

    def test_same_api(self):
        with SyncKVStore(namespace="sync_ns") as s:
            self.assertTrue(s.set("app.config.database.host", "localhost"))
            s.set("app.config.database.port", 5432, metadata={"owner": "ops"})
            self.assertEqual(s.get("app.config.database.port").data, 5432)
            self.assertEqual(s.get_metadata("app.config.database.port"), {"owner": "ops"})
            self.assertEqual(sorted(s.get_pattern("app.config.database.*")),
                             ["app.config.database.host", "app.config.database.port"])
            self.assertTrue(s.compare_and_swap("app.config.database.port", 5432, 5433))
            self.assertEqual(s.increment("views"), 1)
            self.assertEqual(s.append("log", "x"), "x")
            self.assertEqual(s.set_many({"a.b": 1}), {"a.b": True})
            self.assertEqual(s.delete_pattern("app.**"), 2)
            self.assertEqual(s.keys("**"), ["a.b", "log", "views"])
            with self.assertRaises(InvalidKeyError):
                s.set("a.", 1)
        with SyncKVStore() as default:
            self.assertEqual(default.keys("**"), [])


class SyncGenerated(unittest.TestCase):
    def test_sync_module_is_current(self):
        import subprocess
        import sys
        script = os.path.join(support.HERE, "..", "scripts", "gen_sync.py")
        p = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
