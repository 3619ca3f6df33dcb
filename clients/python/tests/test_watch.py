"""watch(pattern): invalidations over client tracking (RESP2: CLIENT TRACKING ON REDIRECT <id>
BCAST PREFIX <prefix>, messages on __redis__:invalidate). Runs against Debian's redis-server,
which has tracking; against dkv when DKV_TEST_TRACKING=1 (once dkv's CLIENT TRACKING is merged:
issue 22), where a subtree delete also arrives as one message."""

import os
import unittest

import redis
import support
from dataknobs_kv import Invalidation, KVStore, SyncKVStore
from dataknobs_kv._ops import invalidation_filter
from dataknobs_kv.watch import parse_message


def tearDownModule():
    support.stop_all()


class WatchMixin:
    url = None

    def writer(self):
        return redis.Redis.from_url(self.url)

    async def test_async_watch(self):
        r = self.writer()
        r.flushall()
        store = KVStore(self.url)
        async with store.watch("app.config.*") as w:
            r.set("app.config.a", "1")
            inv = await w.get(timeout=5)
            self.assertEqual(inv, Invalidation(keys=["app.config.a"]))
            r.set("app.config.deep.b", "2")     # under the prefix, not matched by the pattern
            r.set("other.key", "3")             # outside the prefix
            self.assertIsNone(await w.get(timeout=0.3))
            r.delete("app.config.a")
            self.assertEqual((await w.get(timeout=5)).keys, ["app.config.a"])
            r.set("app.config.b", "x", px=50)   # expiry invalidates too
            self.assertEqual((await w.get(timeout=5)).keys, ["app.config.b"])
            self.assertEqual((await w.get(timeout=5)).keys, ["app.config.b"])
            r.flushall()
            self.assertEqual((await w.get(timeout=5)).keys, None)
            # async iteration
            r.set("app.config.c", "1")
            async for inv in w:
                self.assertEqual(inv.keys, ["app.config.c"])
                break
        await store.close()
        r.close()

    def test_sync_watch(self):
        r = self.writer()
        r.flushall()
        with SyncKVStore(self.url) as store, store.watch("**") as w:
            r.set("x.y", "1")
            self.assertEqual(w.get(timeout=5).keys, ["x.y"])
            self.assertIsNone(w.get(timeout=0.2))
            r.mset({"k1": "1"})
            self.assertEqual(next(iter(w)).keys, ["k1"])
        r.close()


class Messages(unittest.TestCase):
    """The RESP2 message shapes, as redis-py's parser returns them."""

    def test_shapes(self):
        keep = invalidation_filter("app.config.*", ".")
        msg = [b"message", b"__redis__:invalidate"]
        self.assertEqual(parse_message(msg + [[b"app.config.a", b"app.config.x.y"]], keep),
                         Invalidation(keys=["app.config.a"]))
        self.assertIsNone(parse_message(msg + [[b"app.config.x.y"]], keep))
        self.assertEqual(parse_message(msg + [None], keep), Invalidation(keys=None))
        # dkv's prefix invalidation (docs/client-tracking.md): a null, then the prefixes.
        self.assertEqual(parse_message(msg + [None, [b"app.config.**"]], keep),
                         Invalidation(keys=[], prefixes=["app.config.**"]))
        self.assertIsNone(parse_message([b"subscribe", b"__redis__:invalidate", 1], keep))


class WatchRedis(WatchMixin, unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = support.redis_url()


@unittest.skipUnless(os.environ.get("DKV_TEST_TRACKING"),
                     "dkv's CLIENT TRACKING: set DKV_TEST_TRACKING=1 once issue 22's tracking "
                     "is merged")
class WatchDkv(WatchMixin, unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = support.dkv_url()

    async def test_subtree_delete_is_one_message(self):
        store = KVStore(self.url)
        await store.redis.flushall()
        await store.set_many({f"app.t7.k{i}": i for i in range(100)})
        async with store.watch("app.t7.**") as w:
            self.assertEqual(await store.delete_pattern("app.t7.**"), 100)
            inv = await w.get(timeout=5)
            self.assertEqual(inv, Invalidation(keys=[], prefixes=["app.t7.**"]))
            self.assertIsNone(await w.get(timeout=0.3))
        await store.close()


if __name__ == "__main__":
    unittest.main()
