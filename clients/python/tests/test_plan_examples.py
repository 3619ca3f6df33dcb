"""Every example of the design plan's "API Design" section (../shared/design/SEED-PLAN.txt),
verbatim between the BEGIN/END markers, against a real dkv-server. KVStore(backend=...) takes
its server from DATAKNOBS_KV_URL (support.py sets it); the plan leaves session_data,
user_config and system_config to the reader, so each test defines them first."""

import unittest

import support
from dataknobs_kv import KVStore, Value, ValueType


def setUpModule():
    support.dkv_url()


def tearDownModule():
    support.stop_all()


class PlanExamples(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        support.flush(support.dkv_url())

    async def test_basic_usage(self):
        # BEGIN plan: Basic Usage
        from dataknobs_kv import KVStore

        # Create store with specific backend
        store = KVStore(backend="memory")  # or "file", "postgres", etc.

        # Basic operations
        await store.set("app.name", "MyApp")
        value = await store.get("app.name")
        await store.delete("app.name")

        # With metadata
        await store.set("user.123.profile",
            {"name": "John", "age": 30},
            metadata={"tags": ["vip", "active"]}
        )

        # Pattern matching
        config_keys = await store.keys("app.config.*")
        all_configs = await store.get_pattern("app.config.*")
        # END plan
        self.assertIsInstance(value, Value)
        self.assertEqual(value.data, "MyApp")
        self.assertEqual(value.type, ValueType.STRING)
        self.assertFalse(await store.exists("app.name"))
        profile = await store.get("user.123.profile")
        self.assertEqual(profile.data, {"name": "John", "age": 30})
        self.assertEqual(profile.type, ValueType.JSON)
        self.assertEqual(profile.metadata, {"tags": ["vip", "active"]})
        self.assertEqual(len(profile.checksum), 16)
        self.assertEqual(config_keys, [])
        self.assertEqual(all_configs, {})
        await store.close()

    async def test_hierarchical_operations(self):
        store = KVStore(backend="memory")
        await store.set("app.config.debug", True)
        # BEGIN plan: Hierarchical Operations
        # Set nested configuration
        await store.set("app.config.database.host", "localhost")
        await store.set("app.config.database.port", 5432)
        await store.set("app.config.database.name", "mydb")

        # Get all database config
        db_config = await store.get_pattern("app.config.database.*")

        # Delete entire subtree
        await store.delete_pattern("app.config.database.**")
        # END plan
        self.assertEqual({k: v.data for k, v in db_config.items()},
                         {"app.config.database.host": "localhost",
                          "app.config.database.port": 5432,
                          "app.config.database.name": "mydb"})
        self.assertEqual(db_config["app.config.database.port"].type, ValueType.NUMBER)
        self.assertEqual(await store.keys("app.**"), ["app.config.debug"])
        self.assertEqual(await store.keys("app.config.*"), ["app.config.debug"])
        await store.close()

    async def test_ttl_and_expiration(self):
        store = KVStore(backend="memory")
        session_data = {"user": 123, "cart": ["a", "b"]}
        # BEGIN plan: TTL and Expiration
        # Set with TTL
        await store.set("session.abc123", session_data, ttl=3600)  # 1 hour

        # Check if expired
        if await store.exists("session.abc123"):
            data = await store.get("session.abc123")

        # Cleanup expired keys
        expired_count = await store.cleanup_expired()
        # END plan
        self.assertEqual(data.data, session_data)
        self.assertGreater(data.ttl, 3590)
        self.assertLessEqual(data.ttl, 3600)
        self.assertEqual(expired_count, 0)
        await store.close()

    async def test_atomic_operations(self):
        store = KVStore(backend="memory")
        await store.set("counter", 5)
        await store.set("log.entries", "start")
        # BEGIN plan: Atomic Operations
        # Compare and swap
        success = await store.compare_and_swap(
            "counter",
            old_value=5,
            new_value=6
        )

        # Increment counter
        new_value = await store.increment("page.views", delta=1)

        # Append to string
        result = await store.append("log.entries", "\nNew entry")
        # END plan
        self.assertTrue(success)
        self.assertEqual((await store.get("counter")).data, 6)
        self.assertEqual((await store.get("counter")).type, ValueType.NUMBER)
        self.assertFalse(await store.compare_and_swap("counter", old_value=5, new_value=7))
        self.assertEqual(new_value, 1)
        self.assertEqual((await store.get("page.views")).type, ValueType.NUMBER)
        self.assertEqual(result, "start\nNew entry")
        await store.close()

    async def test_namespace_isolation(self):
        user_config = {"theme": "dark"}
        system_config = {"workers": 4}
        # BEGIN plan: Namespace Isolation
        # Create namespaced stores
        user_store = KVStore(backend="postgres", namespace="user_data")
        system_store = KVStore(backend="postgres", namespace="system")

        # Operations are isolated
        await user_store.set("config", user_config)
        await system_store.set("config", system_config)

        # Different values for same key
        user_config = await user_store.get("config")
        system_config = await system_store.get("config")
        # END plan
        self.assertEqual(user_config.data, {"theme": "dark"})
        self.assertEqual(system_config.data, {"workers": 4})
        default = KVStore(backend="memory")
        self.assertIsNone(await default.get("config"))
        namespaces = await default.namespaces()
        self.assertEqual(namespaces["user_data"], 1)
        self.assertEqual(namespaces["system"], 1)
        for s in (user_store, system_store, default):
            await s.close()

    async def test_pattern_syntax_examples(self):
        # Section 4's examples (there without await).
        store = KVStore(backend="memory")
        for k in ("app.config.debug", "app.config.database.host", "db.database.port",
                  "user.7.settings", "user.77.settings", "app.dev.config", "app.prod.config",
                  "app.test.config"):
            await store.set(k, "x")
        self.assertEqual(await store.keys("app.config.*"), ["app.config.debug"])
        self.assertEqual(await store.keys("**.database.**"),
                         ["app.config.database.host", "db.database.port"])
        self.assertEqual(await store.keys("user.?.settings"), ["user.7.settings"])
        self.assertEqual(await store.keys("app.{dev,prod}.config"),
                         ["app.dev.config", "app.prod.config"])
        await store.close()

    async def test_migration_path_examples(self):
        # "Migration Path": the new code of both examples.
        store = KVStore(backend="file")
        value = await store.get("database.host")
        self.assertIsNone(value)
        store = KVStore(backend="redis")
        await store.set("user.123.name", "John")
        name = await store.get("user.123.name")
        self.assertEqual(name.data, "John")
        await store.close()


if __name__ == "__main__":
    unittest.main()
