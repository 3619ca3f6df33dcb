#!/usr/bin/python3
"""dkv-migrate against Debian's redis-server and a real dkv-server: a mixed live keyspace (strings
with binary, unicode and integer values, TTLs, hashes, lists, sets, sorted sets, a stream with a
consumer group) copied
with --separator ':' and --verify, every key checked from Python; hashes, sets, lists and sorted
sets copied as themselves (small and large, binary, with TTLs; live and from dump.rdb), hashes as
before with --flatten-hashes; the collision report; an interrupted migration resumed from its state file; a
JSON document in and out.

dkv-migrate is taken from the directory of DKV_SERVER (or the build tree), as dkv-check-snapshot is.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import server_binary, suite_server  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def migrate_tool():
    return os.path.join(os.path.dirname(os.path.realpath(server_binary())), "dkv-migrate")


class Migrate(unittest.TestCase):
    def setUp(self):
        self.source = suite_server(REDIS_SERVER)
        self.source.start()
        self.dest = suite_server()
        self.dest.start()
        self.src = redis.Redis(port=self.source.port, socket_timeout=30)
        self.dst = redis.Redis(port=self.dest.port, socket_timeout=30)
        self.tmp = tempfile.mkdtemp(prefix="dkv-migrate-test-")

    def tearDown(self):
        self.src.close()
        self.dst.close()
        self.source.cleanup()
        self.dest.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_tool(self, *args, timeout=300):
        return subprocess.run([migrate_tool(), *args], capture_output=True, text=True,
                              timeout=timeout)

    def urls(self):
        return ["--from", f"redis://127.0.0.1:{self.source.port}",
                "--to", f"dkv://127.0.0.1:{self.dest.port}"]

    def fill(self, n=4000):
        p = self.src.pipeline(transaction=False)
        for i in range(n):
            p.set(f"user:{i}:name", f"name-{i}")
            if i % 5 == 0:
                p.set(f"session:{i}", f"s{i}", ex=3600)
            if i % 10 == 0:
                p.set(f"bin:{i}", bytes([i % 256, 0, 255, 10, 13]))
                p.set(f"count:{i}", i * 1000)
                p.set(f"ключ:{i}", "значение ✓")
            if i % 8 == 0:
                p.hset(f"profile:{i}", mapping={"email": f"u{i}@x", "age": i % 90,
                                                 "city": "Köln"})
                if i % 16 == 0:
                    p.expire(f"profile:{i}", 7200)
            if i % 20 == 0:
                p.rpush(f"queue:{i}", "c", "a", "b", "a")
                p.sadd(f"tags:{i}", "x", "y", "z")
                p.zadd(f"rank:{i}", {"alice": 3, "bob": 1.5, "carol": -2})
        p.execute()
        self.src.xadd("events", {"k": "v"})
        self.src.xadd("events", {"k": "w", "n": 7})
        self.src.xgroup_create("events", "workers", id="0")
        self.src.xreadgroup("workers", "w1", {"events": ">"}, count=1)
        self.src.xgroup_createconsumer("events", "workers", "idle")

    def fill_large_collections(self):
        # Past the listpack/intset limits: hashtable, quicklist and skiplist encodings.
        p = self.src.pipeline(transaction=False)
        p.hset("big:hash", mapping={f"f{i}": f"v{i}" * 3 for i in range(300)})
        p.rpush("big:list", *[f"e{i}" for i in range(3000)])
        p.sadd("big:intset", *range(100))
        p.sadd("big:hashset", *range(1000))
        p.sadd("big:strset", *[f"m{i}" for i in range(300)])
        p.zadd("big:zset", {f"z{i}": i / 3 for i in range(400)})
        p.set("big:string", "x" * 5000)   # LZF-compressed in the RDB file
        p.rpush("big:plain", "y" * 20000)  # a plain quicklist node
        p.execute()

    def check_copy(self, flatten=False):
        """Every source key against its dkv keys, by the documented mappings."""
        src, dst = self.src, self.dst
        checked = 0
        for key in src.scan_iter(count=1000):
            kind = src.type(key).decode()
            target = key.replace(b":", b".")
            ttl = src.pttl(key)
            if kind == "string":
                self.assertEqual(dst.get(target), src.get(key), key)
                dttl = dst.pttl(target)
                if ttl > 0:
                    self.assertLessEqual(abs(dttl - ttl), 1000, key)
                else:
                    self.assertEqual(dttl, -1, key)
            elif kind == "hash" and not flatten:
                self.assertEqual(dst.type(target), b"hash", key)
                self.assertEqual(dst.hgetall(target), src.hgetall(key), key)
            elif kind == "hash":
                for field, value in src.hgetall(key).items():
                    self.assertEqual(dst.get(target + b"." + field), value, (key, field))
                    if ttl > 0:
                        self.assertLessEqual(abs(dst.pttl(target + b"." + field) - ttl), 1000)
            elif kind == "list":
                self.assertEqual(dst.type(target), b"list", key)
                self.assertEqual(dst.lrange(target, 0, -1), src.lrange(key, 0, -1), key)
            elif kind == "set":
                self.assertEqual(dst.type(target), b"set", key)
                self.assertEqual(dst.smembers(target), src.smembers(key), key)
            elif kind == "zset":
                self.assertEqual(dst.type(target), b"zset", key)
                self.assertEqual(dst.zrange(target, 0, -1, withscores=True),
                                 src.zrange(key, 0, -1, withscores=True), key)
            elif kind == "stream":
                self.assertEqual(dst.type(target), b"stream", key)
                self.assertEqual(dst.xrange(target), src.xrange(key), key)
                self.assertEqual(dst.xinfo_groups(target), src.xinfo_groups(key), key)
                for group in src.xinfo_groups(key):
                    name = group["name"]
                    self.assertEqual(dst.xpending(target, name), src.xpending(key, name), key)
                    self.assertEqual([c["name"] for c in dst.xinfo_consumers(target, name)],
                                     [c["name"] for c in src.xinfo_consumers(key, name)], key)
            if kind in ("list", "set", "zset", "stream") or (kind == "hash" and not flatten):
                dttl = dst.pttl(target)
                if ttl > 0:
                    self.assertLessEqual(abs(dttl - ttl), 1000, key)
                else:
                    self.assertEqual(dttl, -1, key)
            checked += 1
        return checked

    def test_an_rdb_file_is_copied_with_the_same_mappings(self):
        self.fill()
        self.fill_large_collections()
        self.src.set("gone:soon", "x", px=1)
        time.sleep(0.01)
        self.src.save()
        rdb = os.path.join(self.source.dir, "dump.rdb")
        out = self.run_tool("--from-rdb", rdb, "--to", f"dkv://127.0.0.1:{self.dest.port}",
                            "--separator", ":")
        # Exit status 1: the one key skipped is the one that expired in the file; the stream is
        # copied like the rest.
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("skipped 1: expired in the file", out.stdout)
        self.assertNotIn("not migrated", out.stdout)
        self.assertGreater(self.check_copy(), 5000)
        self.assertEqual(self.dst.hlen("big.hash"), 300)
        # A damaged file is refused with the offset.
        with open(rdb, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        bad = os.path.join(self.tmp, "bad.rdb")
        with open(bad, "wb") as f:
            f.write(data)
        out = self.run_tool("--from-rdb", bad, "--to", f"dkv://127.0.0.1:{self.dest.port}")
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("offset", out.stderr)

    def test_mixed_keyspace_is_copied_and_verified(self):
        self.fill()
        self.fill_large_collections()
        out = self.run_tool(*self.urls(), "--separator", ":", "--verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)   # the stream too
        self.assertNotIn("not migrated", out.stdout)
        self.assertIn("verify: 0 differences", out.stdout)
        self.assertGreater(self.check_copy(), 5000)
        # The copied keys form a tree dkv can count.
        self.assertEqual(self.dst.execute_command("KV.COUNT", "user.*.name"), 4000)

    def fill_hashes_and_sets(self):
        """Hashes and sets in every encoding Redis 7.0 has, some with TTLs, binary contents."""
        p = self.src.pipeline(transaction=False)
        for i in range(50):
            p.hset(f"h:small:{i}", mapping={"name": f"n{i}", "n": i, "neg": -i * 1000,
                                             b"\x00bin\xff": bytes([i, 0, 255])})
            p.sadd(f"s:ints:{i}", *range(i, i + 20))
            p.sadd(f"s:strs:{i}", "a", "b", f"m{i}", b"\xff\x00")
            if i % 3 == 0:
                for key in (f"h:small:{i}", f"s:ints:{i}", f"s:strs:{i}"):
                    p.pexpire(key, 3600000 + i)
        p.hset("h:large", mapping={f"f{i}": f"v{i}" * 30 for i in range(2000)})   # hashtable
        p.hset("h:longvalue", mapping={"a": "x" * 5000, "b": "1"})                # hashtable
        p.sadd("s:largeints", *range(-300, 10000, 7))                            # hashtable
        p.sadd("s:largestrs", *[f"member-{i}" for i in range(3000)])
        p.sadd("s:wide", 1 << 40, -(1 << 62), 5)                                  # intset, 64-bit
        p.pexpire("h:large", 7200000)
        p.pexpire("s:largestrs", 7200000)
        p.execute()
        self.assertEqual(self.src.object("encoding", "h:large"), b"hashtable")
        self.assertEqual(self.src.object("encoding", "s:ints:0"), b"intset")
        self.assertEqual(self.src.object("encoding", "s:largeints"), b"hashtable")

    def test_hashes_and_sets_are_copied_as_hashes_and_sets(self):
        self.fill_hashes_and_sets()
        out = self.run_tool(*self.urls(), "--separator", ":", "--verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("verify: 0 differences", out.stdout)
        self.assertEqual(self.check_copy(), self.src.dbsize())
        self.assertEqual(self.dst.hget("h.large", "f1999"), b"v1999" * 30)
        self.assertEqual(self.dst.object("encoding", "h.large"), b"hashtable")
        self.assertEqual(self.dst.object("encoding", "s.ints.0"), b"intset")
        self.assertEqual(self.dst.object("encoding", "h.small.0"), b"listpack")
        # From the source's dump.rdb: the same contents, absolute expiry times.
        self.src.save()
        self.dst.flushall()
        out = self.run_tool("--from-rdb", os.path.join(self.source.dir, "dump.rdb"),
                            "--to", f"dkv://127.0.0.1:{self.dest.port}", "--separator", ":")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.check_copy(), self.src.dbsize())
        self.assertEqual(self.dst.dbsize(), self.src.dbsize())
        # A key already in dkv is replaced, as SET replaces a string.
        self.dst.delete("h.small.1")
        self.dst.set("h.small.1", "a string")
        out = self.run_tool(*self.urls(), "--separator", ":", "--match", "h:small:1")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.dst.hgetall("h.small.1"), self.src.hgetall("h:small:1"))

    def fill_lists_and_zsets(self):
        """Lists and sorted sets in every encoding Redis 7.0 has, with TTLs, binary contents."""
        p = self.src.pipeline(transaction=False)
        for i in range(50):
            p.rpush(f"l:small:{i}", "a", i, -i * 1000, b"\x00\xff", "a", "")
            p.zadd(f"z:small:{i}", {"a": i, "b": -1.5, "c": float("inf"), b"\xff\x00": 0.1})
            if i % 3 == 0:
                p.pexpire(f"l:small:{i}", 3600000 + i)
                p.pexpire(f"z:small:{i}", 3600000 + i)
        p.rpush("l:large", *[f"element-{i}" for i in range(20000)])           # many nodes
        p.rpush("l:plain", "x", "y" * 30000, "z")                              # a PLAIN node
        p.zadd("z:large", {f"member-{i}": i / 3 for i in range(5000)})         # skiplist
        p.zadd("z:long", {"m" * 200: 1, "n": -(2 ** 60)})                       # skiplist
        p.pexpire("l:large", 7200000)
        p.pexpire("z:large", 7200000)
        p.execute()
        self.assertEqual(self.src.object("encoding", "z:large"), b"skiplist")
        self.assertEqual(self.src.object("encoding", "z:small:0"), b"listpack")

    def test_lists_and_zsets_are_copied_as_lists_and_zsets(self):
        self.fill_lists_and_zsets()
        out = self.run_tool(*self.urls(), "--separator", ":", "--verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("verify: 0 differences", out.stdout)
        self.assertEqual(self.check_copy(), self.src.dbsize())
        self.assertEqual(self.dst.object("encoding", "l.large"), b"quicklist")
        self.assertEqual(self.dst.object("encoding", "z.large"), b"skiplist")
        self.assertEqual(self.dst.object("encoding", "z.small.0"), b"listpack")
        self.assertEqual(self.dst.lindex("l.plain", 1), b"y" * 30000)
        # From the source's dump.rdb: the same contents, absolute expiry times.
        self.src.save()
        self.dst.flushall()
        out = self.run_tool("--from-rdb", os.path.join(self.source.dir, "dump.rdb"),
                            "--to", f"dkv://127.0.0.1:{self.dest.port}", "--separator", ":")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.check_copy(), self.src.dbsize())
        self.assertEqual(self.dst.dbsize(), self.src.dbsize())
        # A changed source key is copied over the old copy (REPLACE).
        self.src.rpush("l:small:1", "more")
        out = self.run_tool(*self.urls(), "--separator", ":", "--match", "l:small:1", "--verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.dst.lrange("l.small.1", -1, -1), [b"more"])

    def test_flatten_hashes_keeps_the_old_shape(self):
        self.fill(400)
        self.src.hset("big:hash", mapping={f"f{i}": f"v{i}" for i in range(300)})
        out = self.run_tool(*self.urls(), "--separator", ":", "--flatten-hashes", "--verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("verify: 0 differences", out.stdout)
        self.check_copy(flatten=True)
        self.assertEqual(self.dst.execute_command("KV.COUNT", "big.hash.*"), 300)
        self.assertEqual(self.dst.get("profile.8.email"), b"u8@x")
        self.assertEqual(self.dst.type("tags.20"), b"set")

    def test_100000_mixed_keys_live_and_from_rdb_with_zero_differences(self):
        p = self.src.pipeline(transaction=False)
        for i in range(80000):
            key = f"ключ:{i}" if i % 13 == 0 else f"s:{i}"
            value = i if i % 7 == 0 else bytes([i % 256, 0, 255]) if i % 11 == 0 else f"v{i}"
            if i % 5 == 0:
                p.set(key, value, px=3600000 + i)
            else:
                p.set(key, value)
        for i in range(10000):
            p.hset(f"h:{i}", mapping={"a": i, "b": f"x{i}", "c": "ü"})
        for i in range(4000):
            p.rpush(f"l:{i}", i, i + 1, "z")
            if i % 4 == 0:
                p.expire(f"l:{i}", 7200)
        for i in range(3000):
            p.sadd(f"t:{i}", "a", "b", i)
        for i in range(3000):
            p.zadd(f"z:{i}", {"m": i, "n": -i})
        p.execute()
        self.assertEqual(self.src.dbsize(), 100000)
        out = self.run_tool(*self.urls(), "--separator", ":", "--verify", timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("100000 keys scanned, 100000 copied", out.stdout)
        self.assertIn("verify: 0 differences", out.stdout)
        print("\n  live: " + out.stdout.splitlines()[0], file=sys.stderr)
        self.src.save()
        rdb = os.path.join(self.source.dir, "dump.rdb")
        self.dst.flushall()
        out = self.run_tool("--from-rdb", rdb, "--to", f"dkv://127.0.0.1:{self.dest.port}",
                            "--separator", ":", timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("100000 keys scanned, 100000 copied", out.stdout)
        print("  rdb:  " + out.stdout.splitlines()[0], file=sys.stderr)
        self.assertEqual(self.dst.dbsize(), 100000)
        self.assertEqual(self.check_copy(), 100000)

    def test_restore_of_redis_payloads(self):
        src, dst = self.src, self.dst
        src.set("s", "x" * 100)   # LZF
        src.rpush("l", *[f"e{i}" for i in range(200)])
        src.sadd("t", "b", "a", "c")
        src.zadd("z", {f"m{i}": i / 2 for i in range(300)})   # skiplist: written highest first
        src.hset("h", "f", "v")
        src.xadd("x", {"k": "v"})
        for key in ("s", "l", "t", "z"):
            self.assertTrue(dst.restore(key, 0, src.dump(key)), key)
        self.assertEqual(dst.get("s"), b"x" * 100)
        self.assertEqual(dst.lrange("l", 0, -1), [f"e{i}".encode() for i in range(200)])
        self.assertEqual(dst.smembers("t"), {b"a", b"b", b"c"})
        self.assertEqual(dst.zrange("z", 0, -1, withscores=True),
                         [(f"m{i}".encode(), i / 2) for i in range(300)])
        self.assertEqual(dst.object("encoding", "z"), b"skiplist")
        self.assertTrue(dst.restore("h", 0, src.dump("h")))
        self.assertEqual(dst.hgetall("h"), {b"f": b"v"})
        self.assertTrue(dst.restore("x", 0, src.dump("x")))   # a stream, natively
        self.assertEqual(dst.xrange("x"), src.xrange("x"))
        # And back: dkv's DUMP of a string restores into Redis.
        src.restore("from:dkv", 0, dst.dump("s"))
        self.assertEqual(src.get("from:dkv"), b"x" * 100)

    def test_collisions_are_reported_and_never_overwritten(self):
        self.src.set("a:b", "from colon")
        self.src.set("a.b", "from dot")
        out = self.run_tool(*self.urls(), "--separator", ":")
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("collides with", out.stdout)
        self.assertIn(self.dst.get("a.b"), (b"from colon", b"from dot"))
        self.assertEqual(self.dst.dbsize(), 1)

    def test_dry_run_writes_nothing(self):
        self.fill(200)
        out = self.run_tool(*self.urls(), "--dry-run")
        self.assertIn("dry run:", out.stdout)
        self.assertEqual(self.dst.dbsize(), 0)

    def test_an_interrupted_migration_resumes(self):
        p = self.src.pipeline(transaction=False)
        for i in range(30000):
            p.set(f"k:{i}", i)
        p.execute()
        state = os.path.join(self.tmp, "state")
        proc = subprocess.Popen([migrate_tool(), *self.urls(), "--count", "10", "--state", state],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while self.dst.dbsize() < 2000 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = self.dst.dbsize()
        self.assertLess(partial, 30000)
        self.assertTrue(os.path.exists(state))
        out = self.run_tool(*self.urls(), "--count", "500", "--state", state, "--resume",
                            "--verify")
        self.assertIn("resuming at SCAN cursor", out.stderr)
        self.assertEqual(self.dst.dbsize(), 30000, out.stdout + out.stderr)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_json_in_and_out(self):
        doc = {"database": {"host": "db1", "port": 5432, "replicas": ["a", "b"]},
               "debug": False, "name": "ünïcode", "ratio": 0.5, "nothing": None}
        path = os.path.join(self.tmp, "config.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = self.run_tool("--from-json", path, "--prefix", "app.config",
                            "--to", f"dkv://127.0.0.1:{self.dest.port}")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.dst.get("app.config.database.host"), b"db1")
        back = os.path.join(self.tmp, "back.json")
        out = self.run_tool("--to-json", back, "--prefix", "app.config",
                            "--from", f"dkv://127.0.0.1:{self.dest.port}")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        with open(back) as f:
            self.assertEqual(json.load(f), doc)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
