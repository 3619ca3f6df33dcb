#!/usr/bin/python3
"""The cache tier against a real dkv-server: for every maxmemory-policy, fill well past
maxmemory and check after every write that INFO used_memory stays within 5% of maxmemory (and
that noeviction refuses writes with Redis' OOM error instead). DKV_SERVER names the binary."""

import os
import sys
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import suite_server  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

MAXMEMORY = 4 * 1024 * 1024
VALUE = b"x" * 1024


def evicting_server(policy):
    return suite_server(args=["--maxmemory", str(MAXMEMORY), "--maxmemory-policy", policy])


class Eviction(unittest.TestCase):
    def fill(self, policy):
        server = evicting_server(policy)
        server.start()
        try:
            r = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)
            worst, refused = 0, 0
            for i in range(12000):  # about 12 MB of values into a 4 MB budget
                try:
                    if policy.startswith("volatile") and i % 10 == 0:
                        r.set(f"cache.k{i}", VALUE)  # persistent: volatile-* must keep it
                    else:
                        r.set(f"cache.k{i}", VALUE, ex=3600)
                except redis.ResponseError as e:
                    self.assertEqual(str(e), "OOM command not allowed when used memory > "
                                             "'maxmemory'.")
                    refused += 1
                # After every write: used_memory within 5% of maxmemory.
                worst = max(worst, int(r.info("memory")["used_memory"]))
            info = r.info()
            persistent_kept = all(r.exists(f"cache.k{i}") for i in range(0, 12000, 10))
            r.close()
            return worst, refused, info, persistent_kept
        finally:
            server.cleanup()

    def check_policy(self, policy):
        worst, refused, info, persistent_kept = self.fill(policy)
        self.assertLessEqual(worst, MAXMEMORY * 1.05, f"{policy}: used_memory {worst}")
        if policy.startswith("volatile"):
            self.assertTrue(persistent_kept, f"{policy} evicted a key without a TTL")
        self.assertEqual(refused, 0, policy)
        self.assertGreater(info["evicted_keys"], 5000, policy)
        self.assertGreater(info["db0"]["keys"], 1000, policy)

    def test_allkeys_lru(self):
        self.check_policy("allkeys-lru")

    def test_allkeys_lfu(self):
        self.check_policy("allkeys-lfu")

    def test_allkeys_random(self):
        self.check_policy("allkeys-random")

    def test_volatile_lru(self):
        self.check_policy("volatile-lru")

    def test_volatile_lfu(self):
        self.check_policy("volatile-lfu")

    def test_volatile_random(self):
        self.check_policy("volatile-random")

    def test_volatile_ttl(self):
        self.check_policy("volatile-ttl")

    def test_noeviction_refuses_writes(self):
        worst, refused, info, _ = self.fill("noeviction")
        self.assertGreater(refused, 5000)
        self.assertEqual(info["evicted_keys"], 0)
        self.assertLessEqual(worst, MAXMEMORY * 1.05)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main()
