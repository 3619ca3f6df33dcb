#!/usr/bin/python3
"""The append-only log (appendonly yes) through a real server: restarts keep every kind of
data, kill -9 rounds under a 50-client load (appendfsync always loses no acknowledged write,
everysec about a second at most), kill -9 during a rewrite, a cut tail (aof-load-truncated),
damage in the middle, CONFIG SET appendonly at run time, BGREWRITEAOF and the automatic
rewrite, INFO persistence's aof_* fields.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py.

    /usr/bin/python3 tests/integration/test_aof.py build/asan/src/dkv-server -v
"""

import os
import re
import socket
import sys
import threading
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import Server, server_binary, wait_for  # noqa: E402

AOF_DIR = "appendonlydir"
FN = "appendonly.aof"


class AofServer(Server):
    """A server whose directory (and log) survives restarts."""

    def __init__(self, options=()):
        super().__init__(server_binary(), options, prefix="dkv-aof-", save_off=True)

    def client(self, **kw):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30, **kw)
        for name in ("BGSAVE", "BGREWRITEAOF", "SAVE"):
            c.response_callbacks.pop(name, None)
        return c

    def path(self, *parts):
        return os.path.join(self.dir, AOF_DIR, *parts)

    def manifest(self):
        with open(self.path(FN + ".manifest")) as f:
            return f.read()

    def files(self):
        try:
            return sorted(os.listdir(self.path()))
        except OSError:
            return []

    def last_incr(self):
        incrs = re.findall(r"file (\S+\.incr\.aof) seq \d+ type i", self.manifest())
        return self.path(incrs[-1])


def info(c):
    return c.info("persistence")


def wait_rewrite_done(c, timeout=60.0):
    assert wait_for(lambda: info(c)["aof_rewrite_in_progress"] == 0
                    and info(c)["aof_rewrite_scheduled"] == 0, timeout), "rewrite did not end"


class Load:
    """50 clients (threads, raw sockets) doing SET/INCR until stopped; what was acknowledged."""

    def __init__(self, port, clients=50, prefix="t"):
        self.port = port
        self.stop = threading.Event()
        self.prefix = prefix
        self.acked_incr = {}     # client -> (last acknowledged INCR value, time of ack)
        self.acked_sets = {}     # client -> [(n, time)]
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(clients)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def run(self, i):
        sets = self.acked_sets.setdefault(i, [])
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        except OSError:
            return
        f = s.makefile("rb")
        n = 0
        try:
            while not self.stop.is_set() and n < 100000:
                n += 1
                ckey = f"{self.prefix}:c:{i}"
                skey = f"{self.prefix}:s:{i}:{n}"
                s.sendall(b"*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n" % (len(ckey), ckey.encode()) +
                          b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%d\r\n"
                          % (len(skey), skey.encode(), len(str(n)), n))
                line = f.readline()
                if not line.startswith(b":"):
                    return
                self.acked_incr[i] = (int(line[1:]), time.monotonic())
                line = f.readline()
                if line != b"+OK\r\n":
                    return
                sets.append((n, time.monotonic()))
        except OSError:
            return
        finally:
            s.close()


class AofTest(unittest.TestCase):
    options = ["--appendonly", "yes", "--appendfsync", "always"]

    def setUp(self):
        self.server = AofServer(self.options)
        self.server.start()
        self.c = self.server.client()

    def tearDown(self):
        self.server.cleanup()

    def restart(self, options=None, kill=False):
        if options is not None:
            self.server.args = list(options)
        if kill:
            self.server.kill9()
        else:
            self.server.stop()
        self.server.start()
        self.c = self.server.client()

    def test_files_and_info(self):
        files = self.server.files()
        self.assertIn(FN + ".manifest", files)
        self.assertIn(FN + ".1.base.dkv", files)
        self.assertIn(FN + ".1.incr.aof", files)
        i = info(self.c)
        self.assertEqual(i["aof_enabled"], 1)
        self.assertEqual(i["aof_rewrite_in_progress"], 0)
        self.assertEqual(i["aof_last_bgrewrite_status"], "ok")
        self.assertIn("aof_current_size", i)
        self.assertIn("aof_base_size", i)
        self.c.set("k", "v")
        self.assertGreater(info(self.c)["aof_current_size"], i["aof_current_size"])

    def test_restart_keeps_every_type(self):
        c = self.c
        c.set("str", "hello")
        c.incr("n")
        c.incrbyfloat("f", 1.5)
        c.append("str", " world")
        c.set("ttl", "x", ex=1000)
        c.set("px", "y", px=100)
        c.hset("h", mapping={"a": "1", "b": "2"})
        c.hdel("h", "b")
        c.sadd("s", "x", "y", "z")
        c.srem("s", "y")
        c.rpush("l", "a", "b", "c")
        c.lpop("l")
        c.zadd("z", {"a": 1, "b": 2})
        c.zincrby("z", 5, "a")
        c.xadd("st", {"f": "v"}, id="1-1")
        c.xadd("st", {"f": "w"})
        c.execute_command("SELECT", "3")
        c.set("in3", "three")
        c.execute_command("SELECT", "0")
        c.set("gone", "1")
        c.delete("gone")
        p = c.pipeline(transaction=True)
        p.set("tx1", "a")
        p.incr("tx2")
        p.execute()
        time.sleep(0.2)  # px expires
        ttl_before = c.ttl("ttl")
        self.restart()
        c = self.c
        self.assertEqual(c.get("str"), b"hello world")
        self.assertEqual(c.get("n"), b"1")
        self.assertEqual(float(c.get("f")), 1.5)
        self.assertIsNone(c.get("px"))
        self.assertTrue(0 < c.ttl("ttl") <= ttl_before)
        self.assertEqual(c.hgetall("h"), {b"a": b"1"})
        self.assertEqual(c.smembers("s"), {b"x", b"z"})
        self.assertEqual(c.lrange("l", 0, -1), [b"b", b"c"])
        self.assertEqual(c.zrange("z", 0, -1, withscores=True), [(b"b", 2.0), (b"a", 6.0)])
        self.assertEqual(c.xlen("st"), 2)
        self.assertIsNone(c.get("gone"))
        self.assertEqual(c.get("tx1"), b"a")
        self.assertEqual(c.get("tx2"), b"1")
        c.execute_command("SELECT", "3")
        self.assertEqual(c.get("in3"), b"three")
        # And again after a rewrite (the data in the base).
        c.execute_command("SELECT", "0")
        self.assertEqual(c.execute_command("BGREWRITEAOF"),
                         b"Background append only file rewriting started")
        wait_rewrite_done(c)
        self.restart(kill=True)
        self.assertEqual(self.c.get("str"), b"hello world")
        self.assertEqual(self.c.zscore("z", "a"), 6.0)
        self.c.execute_command("SELECT", "3")
        self.assertEqual(self.c.get("in3"), b"three")

    def check_acked(self, load, restart_time=None, lost_window_s=None):
        c = self.c
        for i, (value, t) in load.acked_incr.items():
            got = int(c.get(f"{load.prefix}:c:{i}") or 0)
            if lost_window_s is None:
                self.assertGreaterEqual(got, value, f"client {i}: acknowledged INCR lost")
            elif got < value:
                # Only writes acknowledged within the window before the kill may be lost.
                self.assertGreater(t, restart_time - lost_window_s,
                                   f"client {i}: INCR {value} acknowledged long before the kill")
        for i, sets in load.acked_sets.items():
            if not sets:
                continue
            keys = [f"{load.prefix}:s:{i}:{n}" for n, _ in sets]
            values = c.mget(keys)
            for (n, t), v in zip(sets, values):
                if lost_window_s is None:
                    self.assertEqual(v, str(n).encode(), f"client {i}: acknowledged SET lost")
                elif v is None:
                    self.assertGreater(t, restart_time - lost_window_s)

    def test_kill9_rounds_always(self):
        deadline = time.monotonic() + 60
        for rnd in range(20):
            if time.monotonic() > deadline:
                break
            load = Load(self.server.port, prefix=f"r{rnd}").start()
            time.sleep(0.25)
            self.server.kill9()
            load.join()
            self.server.start()
            self.c = self.server.client()
            self.check_acked(load)
            self.assertGreater(sum(len(s) for s in load.acked_sets.values()), 0)

    def test_kill9_during_rewrite(self):
        c = self.c
        p = c.pipeline(transaction=False)
        for i in range(3000):
            p.set(f"pre:{i}", i)
        p.execute()
        c.config_set("rdb-key-save-delay", "500")  # the child takes ~1.5 s
        for rnd in range(3):
            self.assertEqual(c.execute_command("BGREWRITEAOF"),
                             b"Background append only file rewriting started")
            self.assertRaisesRegex(redis.ResponseError, "already in progress",
                                   c.execute_command, "BGREWRITEAOF")
            load = Load(self.server.port, clients=10, prefix=f"w{rnd}").start()
            time.sleep(0.3 + 0.3 * rnd)
            self.assertEqual(info(c)["aof_rewrite_in_progress"], 1)
            self.server.kill9()
            load.join()
            self.server.start()
            c = self.c = self.server.client()
            self.check_acked(load)
            self.assertEqual(c.get("pre:2999"), b"2999")
            self.assertFalse([f for f in self.server.files() if f.startswith("temp-")])
            c.config_set("rdb-key-save-delay", "500")
        # A rewrite that finishes, then kill -9 right after.
        c.config_set("rdb-key-save-delay", "0")
        c.execute_command("BGREWRITEAOF")
        load = Load(self.server.port, clients=10, prefix="after").start()
        wait_rewrite_done(c)
        self.server.kill9()
        load.join()
        self.server.start()
        self.c = self.server.client()
        self.check_acked(load)
        self.assertEqual(self.c.get("pre:0"), b"0")

    def test_bgrewriteaof_shrinks_and_removes_old_files(self):
        c = self.c
        p = c.pipeline(transaction=False)
        for i in range(2000):
            p.incr("counter")
        p.execute()
        before = info(c)["aof_current_size"]
        self.assertEqual(c.execute_command("BGREWRITEAOF"),
                         b"Background append only file rewriting started")
        wait_rewrite_done(c)
        i = info(c)
        self.assertLess(i["aof_current_size"], before)
        self.assertEqual(i["aof_rewrites"], 1)
        files = self.server.files()
        self.assertNotIn(FN + ".1.base.dkv", files)
        self.assertNotIn(FN + ".1.incr.aof", files)
        self.assertIn(FN + ".2.base.dkv", files)
        self.assertIn(FN + ".2.incr.aof", files)
        self.assertNotIn("type h", self.server.manifest())
        c.incr("counter")
        self.restart()
        self.assertEqual(self.c.get("counter"), b"2001")

    def test_bgsave_and_rewrite_one_child(self):
        c = self.c
        for i in range(500):
            c.set(f"k{i}", i)
        c.config_set("rdb-key-save-delay", "2000")
        self.assertEqual(c.execute_command("BGREWRITEAOF"),
                         b"Background append only file rewriting started")
        self.assertRaisesRegex(redis.ResponseError, "Another child process is active",
                               c.execute_command, "BGSAVE")
        self.assertEqual(c.execute_command("BGSAVE", "SCHEDULE"), b"Background saving scheduled")
        c.config_set("rdb-key-save-delay", "0")
        wait_rewrite_done(c)
        c.config_set("rdb-key-save-delay", "2000")
        wait_for(lambda: info(c)["rdb_bgsave_in_progress"] == 1, 10)
        self.assertEqual(c.execute_command("BGREWRITEAOF"),
                         b"Background append only file rewriting scheduled")
        self.assertEqual(info(c)["aof_rewrite_scheduled"], 1)
        c.config_set("rdb-key-save-delay", "0")
        wait_for(lambda: info(c)["rdb_bgsave_in_progress"] == 0, 60)
        wait_rewrite_done(c)
        self.assertEqual(info(c)["aof_rewrites"], 2)

    def test_auto_rewrite(self):
        c = self.c
        # The log grows first with automatic rewrites off, so that the one the settings then
        # trigger starts after every SET (one forked mid-pipeline leaves the later SETs in the
        # new increment, and the size it records as its base makes the next one wait).
        c.config_set("auto-aof-rewrite-percentage", "0")
        p = c.pipeline(transaction=False)
        for i in range(3000):
            p.set("same", "x" * 20)
        p.execute()
        c.config_set("auto-aof-rewrite-min-size", "20000")
        c.config_set("auto-aof-rewrite-percentage", "100")
        self.assertTrue(wait_for(lambda: info(c)["aof_rewrites"] >= 1, 20),
                        "no automatic rewrite")
        wait_rewrite_done(c)
        self.assertLess(info(c)["aof_current_size"], 20000)

    def test_truncated_tail(self):
        self.c.set("a", "1")
        self.c.set("b", "2")
        self.server.stop()
        incr = self.server.last_incr()
        size = os.path.getsize(incr)
        with open(incr, "ab") as f:
            f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhel")
        # aof-load-truncated no refuses.
        self.server.args = self.options + ["--aof-load-truncated", "no"]
        status, log = self.server.start_expect_exit()
        self.assertNotEqual(status, 0)
        self.assertIn(os.path.basename(incr), log)
        self.assertIn("aof-load-truncated", log)
        # yes (the default): a warning naming the file and the offset, the file cut there.
        self.server.args = list(self.options)
        self.server.start()
        self.c = self.server.client()
        self.assertEqual(self.c.get("b"), b"2")
        self.assertIsNone(self.c.get("c"))
        self.assertEqual(os.path.getsize(incr), size)
        log = self.server.log_text()
        self.assertRegex(log, r"short read .*" + re.escape(os.path.basename(incr)) +
                         r".*offset " + str(size))
        self.c.set("c", "3")
        self.restart()
        self.assertEqual(self.c.get("c"), b"3")

    def test_damage_in_the_middle_refuses(self):
        self.c.set("a", "1")
        self.c.set("b", "2")
        self.server.stop()
        incr = self.server.last_incr()
        with open(incr, "rb") as f:
            data = f.read()
        cut = data.index(b"*3\r\n$3\r\nSET\r\n$1\r\nb")
        with open(incr, "wb") as f:
            f.write(data[:cut] + b"garbage\r\n" + data[cut:])
        status, log = self.server.start_expect_exit()
        self.assertNotEqual(status, 0)
        self.assertIn("Bad file format reading the append only file", log)
        self.assertIn(os.path.basename(incr), log)
        self.assertIn("offset " + str(cut), log)
        self.assertIn("dkv-check-aof", log)

    def test_unknown_command_refuses(self):
        self.c.set("a", "1")
        self.server.stop()
        incr = self.server.last_incr()
        with open(incr, "ab") as f:
            f.write(b"*1\r\n$7\r\nNOTACMD\r\n")
        status, log = self.server.start_expect_exit()
        self.assertNotEqual(status, 0)
        self.assertIn("unknown command 'NOTACMD'", log)


class AofEverysecTest(AofTest):
    options = ["--appendonly", "yes", "--appendfsync", "everysec"]

    # The other tests run once (under always).
    def test_restart_keeps_every_type(self):
        pass

    def test_kill9_during_rewrite(self):
        pass

    def test_bgsave_and_rewrite_one_child(self):
        pass

    def test_auto_rewrite(self):
        pass

    def test_truncated_tail(self):
        pass

    def test_damage_in_the_middle_refuses(self):
        pass

    def test_unknown_command_refuses(self):
        pass

    def test_bgrewriteaof_shrinks_and_removes_old_files(self):
        pass

    def test_kill9_rounds_always(self):
        deadline = time.monotonic() + 30
        for rnd in range(8):
            if time.monotonic() > deadline:
                break
            load = Load(self.server.port, prefix=f"e{rnd}").start()
            time.sleep(0.3)
            killed = time.monotonic()
            self.server.kill9()
            load.join()
            self.server.start()
            self.c = self.server.client()
            # kill -9 loses no more than the writes of about the last second (the page cache
            # survives a killed process, so in practice nothing).
            self.check_acked(load, killed, lost_window_s=2.0)


class AofRuntimeTest(unittest.TestCase):
    def setUp(self):
        self.server = AofServer(["--appendonly", "no"])
        self.server.start()
        self.c = self.server.client()

    def tearDown(self):
        self.server.cleanup()

    def test_config_set_appendonly(self):
        c = self.c
        for i in range(200):
            c.set(f"k{i}", i)
        self.assertEqual(info(c)["aof_enabled"], 0)
        c.config_set("appendonly", "yes")
        self.assertEqual(info(c)["aof_enabled"], 1)
        c.set("during", "1")
        wait_rewrite_done(c)
        c.set("after", "2")
        self.assertIn(FN + ".manifest", self.server.files())
        self.server.kill9()
        self.server.args = ["--appendonly", "yes"]
        self.server.start()
        c = self.c = self.server.client()
        self.assertEqual(c.get("k199"), b"199")
        self.assertEqual(c.get("during"), b"1")
        self.assertEqual(c.get("after"), b"2")
        # Off: appends stop, the files stay.
        c.config_set("appendonly", "no")
        self.assertEqual(info(c)["aof_enabled"], 0)
        c.set("not-logged", "1")
        self.server.kill9()
        self.server.start()
        c = self.c = self.server.client()
        self.assertEqual(c.get("after"), b"2")
        self.assertIsNone(c.get("not-logged"))

    def test_snapshot_becomes_the_base(self):
        c = self.c
        c.set("from-snapshot", "1")
        c.save()
        self.server.stop()
        self.server.args = ["--appendonly", "yes"]
        self.server.start()
        c = self.c = self.server.client()
        self.assertEqual(c.get("from-snapshot"), b"1")
        self.assertIn(FN + ".1.base.dkv", self.server.files())
        c.set("logged", "1")
        self.server.kill9()
        self.server.start()
        self.c = self.server.client()
        self.assertEqual(self.c.get("from-snapshot"), b"1")
        self.assertEqual(self.c.get("logged"), b"1")


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
