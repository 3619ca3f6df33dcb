#!/usr/bin/python3
"""Blocking pops through redis-py against a real server (docs/blocking.md): BLPOP, BRPOP,
BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP park the client until a key gets a
value. Checked here: first come first served; service in the same loop iteration as the write
(the writer's next pipelined command already sees the key empty), also after MULTI/EXEC and a
script; float timeouts and their errors; CLIENT UNBLOCK; a disconnecting blocked client; the
pipelined commands of a blocked client waiting behind it; WRONGTYPE; BLMOVE chains; namespaces;
RENAME/MOVE/SWAPDB/COPY waking; CLIENT PAUSE; INFO and CLIENT LIST; and 2,000 idle blocked
clients costing no CPU (utime+stime of /proc/<pid>/stat over a few seconds).

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. It also passes against Debian's redis-server 7.0 but for the few
checks marked as 7.2 behaviour:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_blocking.py
"""

import os
import resource
import socket
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, server_binary, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


class BlockingTestCase(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.disconnect()

    def client(self, db=0):
        """A deferring client: send_command now, read_response later."""
        c = redis.Connection(host="127.0.0.1", port=self.server.port, db=db)
        c.connect()
        self.conns.append(c)
        return c

    def blocked(self):
        return self.r.info("clients")["blocked_clients"]

    def wait_blocked(self, n):
        self.assertTrue(wait_for(lambda: self.blocked() == n, timeout=10), self.blocked())

    def is_redis_70(self):
        """Debian's redis-server 7.0: a few 7.2 behaviours are checked only on other servers."""
        return self.r.info("server")["redis_version"].startswith("7.0")

    def blocking_keys(self):
        return self.r.info("clients").get("total_blocking_keys")  # Redis 7.2's field


class Basics(BlockingTestCase):
    def test_immediate_when_a_key_has_values(self):
        self.r.rpush("b", "x", "y")
        self.assertEqual(self.r.blpop(["a", "b"], 0), (b"b", b"x"))
        self.assertEqual(self.r.brpop(["a", "b"], 0), (b"b", b"y"))
        self.assertEqual(self.r.exists("b"), 0)
        self.r.zadd("z", {"m1": 1, "m2": 2, "m3": 3})
        self.assertEqual(self.r.bzpopmin("z", 0), (b"z", b"m1", 1.0))
        self.assertEqual(self.r.bzpopmax("z", 0), (b"z", b"m3", 3.0))
        self.r.rpush("l", "1", "2", "3")
        self.assertEqual(self.r.execute_command("BLMPOP", 0, 2, "x", "l", "RIGHT", "COUNT", 2),
                         [b"l", [b"3", b"2"]])
        self.assertEqual(self.r.execute_command("BLMOVE", "l", "d", "LEFT", "RIGHT", 0), b"1")
        self.assertEqual(self.r.lrange("d", 0, -1), [b"1"])
        self.assertEqual(self.r.brpoplpush("d", "d2", 0), b"1")

    def test_fifo_order(self):
        clients = []
        for i in range(3):
            c = self.client()
            c.send_command("BLPOP", "k", 0)
            self.wait_blocked(i + 1)
            clients.append(c)
        self.r.rpush("k", "a", "b", "c", "d")
        self.assertEqual([c.read_response() for c in clients],
                         [[b"k", b"a"], [b"k", b"b"], [b"k", b"c"]])
        self.assertEqual(self.r.lrange("k", 0, -1), [b"d"])
        self.assertEqual(self.blocked(), 0)

    def test_served_before_the_writers_next_command(self):
        c = self.client()
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        p = self.r.pipeline(transaction=False)
        p.rpush("k", "a")
        p.llen("k")
        self.assertEqual(p.execute(), [1, 0])
        self.assertEqual(c.read_response(), [b"k", b"a"])

    def test_served_after_exec_not_inside(self):
        c = self.client()
        c.send_command("BRPOP", "k", 0)
        self.wait_blocked(1)
        p = self.r.pipeline(transaction=True)
        p.rpush("k", "a", "b")
        p.llen("k")
        p.lpush("k", "c")
        self.assertEqual(p.execute(), [2, 2, 3])
        self.assertEqual(self.r.lrange("k", 0, -1), [b"c", b"a"])
        self.assertEqual(c.read_response(), [b"k", b"b"])

    def test_served_after_a_script(self):
        c = self.client()
        c.send_command("BZPOPMAX", "z", 0)
        self.wait_blocked(1)
        n = self.r.eval("redis.call('zadd', KEYS[1], 1, 'a', 2, 'b') "
                        "return redis.call('zcard', KEYS[1])", 1, "z")
        self.assertEqual(n, 2)
        self.assertEqual(self.r.zcard("z"), 1)
        self.assertEqual(c.read_response(), [b"z", b"b", b"2"])

    def test_no_blocking_inside_multi_and_scripts(self):
        p = self.r.pipeline(transaction=True)
        p.blpop("k", 0)
        p.execute_command("BLMOVE", "k", "d", "LEFT", "LEFT", 0)
        p.brpoplpush("k", "d", 0)
        p.bzpopmin("z", 0)
        p.execute_command("BZMPOP", 0, 1, "z", "MIN")
        p.execute_command("BLMPOP", 0, 1, "k", "LEFT")
        self.assertEqual(p.execute(), [None] * 6)
        if self.is_redis_70():
            return  # 7.0 refuses blocking commands in scripts; 7.2 runs them without blocking
        self.assertIsNone(self.r.eval("return redis.call('blpop', KEYS[1], 0)", 1, "k"))
        self.assertIsNone(self.r.eval("return redis.call('bzpopmin', KEYS[1], 0)", 1, "z"))
        self.assertEqual(self.blocked(), 0)

    def test_pipelined_commands_wait_behind_the_blocked_one(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        try:
            s.sendall(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")
            self.wait_blocked(1)
            s.settimeout(0.3)
            with self.assertRaises(socket.timeout):
                s.recv(100)
            self.r.rpush("k", "v")
            s.settimeout(5)
            want = b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n+PONG\r\n"
            got = b""
            while len(got) < len(want):
                chunk = s.recv(100)
                if not chunk:
                    break
                got += chunk
            self.assertEqual(got, want)
        finally:
            s.close()


class Timeouts(BlockingTestCase):
    def test_float_timeout(self):
        for cmd in (["BLPOP", "k", "0.1"], ["BZPOPMIN", "z", "0.1"],
                    ["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"], ["BRPOPLPUSH", "k", "d", "0.1"],
                    ["BLMPOP", "0.1", "1", "k", "LEFT"], ["BZMPOP", "0.1", "1", "z", "MAX"]):
            start = time.monotonic()
            self.assertIsNone(self.r.execute_command(*cmd), cmd)
            took = time.monotonic() - start
            self.assertGreaterEqual(took, 0.09, cmd)
            self.assertLess(took, 2.0, cmd)
        self.assertEqual(self.blocked(), 0)

    def test_timeout_reply_is_a_null_array(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        try:
            s.settimeout(5)
            s.sendall(b"BRPOPLPUSH k d 0.01\r\nHELLO 3\r\n")
            self.assertEqual(s.recv(5), b"*-1\r\n")
            got = b""
            while not got.endswith(b"\r\n") or b"modules" not in got:
                got += s.recv(4096)
            s.sendall(b"BZPOPMIN z 0.01\r\n")
            self.assertEqual(s.recv(10), b"_\r\n")
        finally:
            s.close()

    def test_timeout_errors(self):
        cases = {"-1": "timeout is negative",
                 "abc": "timeout is not a float or out of range",
                 "1 ": "timeout is not a float or out of range",
                 "nan": "timeout is not a float or out of range",
                 "0x7FFFFFFFFFFFFF": "timeout is out of range",
                 "inf": "timeout is out of range"}
        if self.is_redis_70():  # 7.0 overflows to a negative timeout
            cases["0x7FFFFFFFFFFFFF"] = cases["inf"] = "timeout is negative"
        for arg, error in cases.items():
            for cmd in (["BLPOP", "k", arg], ["BZPOPMAX", "k", arg],
                        ["BLMPOP", arg, "1", "k", "LEFT"]):
                with self.assertRaises(redis.ResponseError) as e:
                    self.r.execute_command(*cmd)
                self.assertIn(error, str(e.exception), cmd)

    def test_zero_blocks_until_served(self):
        c = self.client()
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        time.sleep(0.3)
        self.assertEqual(self.blocked(), 1)
        self.r.lpush("k", "x")
        self.assertEqual(c.read_response(), [b"k", b"x"])


class Unblocking(BlockingTestCase):
    def test_client_unblock(self):
        c = self.client()
        c.send_command("CLIENT", "ID")
        cid = c.read_response()
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        flags = [x for x in self.r.client_list() if x["id"] == str(cid)][0]["flags"]
        self.assertEqual(flags, "b")
        self.assertIn(self.blocking_keys(), (1, None))
        self.assertEqual(self.r.client_unblock(cid), True)
        self.assertIsNone(c.read_response())
        self.assertEqual(self.r.client_unblock(cid), False)
        c.send_command("BZPOPMIN", "z", 0)
        self.wait_blocked(1)
        self.assertEqual(self.r.client_unblock(cid, error=True), True)
        with self.assertRaises(redis.ResponseError) as e:
            c.read_response()
        self.assertEqual(str(e.exception), "UNBLOCKED client unblocked via CLIENT UNBLOCK")
        # The client goes on.
        c.send_command("PING")
        self.assertEqual(c.read_response(), b"PONG")

    def test_disconnect_forgets_the_client(self):
        c = self.client()
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        c.disconnect()
        self.wait_blocked(0)
        self.assertIn(self.blocking_keys(), (0, None))
        self.r.rpush("k", "v")
        self.assertEqual(self.r.llen("k"), 1)


class Types(BlockingTestCase):
    def test_wrongtype(self):
        self.r.set("s", "x")
        for cmd in (["BLPOP", "nokey", "s", "0"], ["BZPOPMIN", "s", "0"],
                    ["BLMOVE", "s", "d", "LEFT", "LEFT", "0"]):
            with self.assertRaises(redis.ResponseError) as e:
                self.r.execute_command(*cmd)
            self.assertIn("WRONGTYPE", str(e.exception))
        # A key of another type does not serve: the client keeps waiting.
        c = self.client()
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        self.r.set("k", "string")
        self.r.zadd("k2", {"a": 1})
        self.r.rename("k2", "k")
        time.sleep(0.1)
        self.assertEqual(self.blocked(), 1)
        self.r.delete("k")
        self.r.rpush("k", "v")
        self.assertEqual(c.read_response(), [b"k", b"v"])

    def test_brpoplpush_wrong_destination(self):
        c = self.client()
        c.send_command("BRPOPLPUSH", "k", "dst", 0)
        self.wait_blocked(1)
        self.r.set("dst", "x")
        self.r.rpush("k", "v")
        with self.assertRaises(redis.ResponseError) as e:
            c.read_response()
        self.assertIn("WRONGTYPE", str(e.exception))
        self.assertEqual(self.r.lrange("k", 0, -1), [b"v"])

    def test_blmove_chain(self):
        a = self.client()
        a.send_command("BLMOVE", "l1", "l2", "LEFT", "RIGHT", 0)
        self.wait_blocked(1)
        b = self.client()
        b.send_command("BLPOP", "l2", 0)
        self.wait_blocked(2)
        p = self.r.pipeline(transaction=False)
        p.rpush("l1", "x")
        p.exists("l1", "l2")
        self.assertEqual(p.execute(), [1, 0])
        self.assertEqual(a.read_response(), b"x")
        self.assertEqual(b.read_response(), [b"l2", b"x"])

    def test_bzmpop_and_blmpop_served(self):
        z = self.client()
        z.send_command("BZMPOP", 0, 2, "z1", "z2", "MIN", "COUNT", 5)
        l = self.client()
        l.send_command("BLMPOP", 0, 2, "l1", "l2", "RIGHT", "COUNT", 2)
        self.wait_blocked(2)
        self.r.zadd("z2", {"a": 1, "b": 2})
        self.r.rpush("l2", "1", "2", "3")
        self.assertEqual(z.read_response(), [b"z2", [[b"a", b"1"], [b"b", b"2"]]])
        self.assertEqual(l.read_response(), [b"l2", [b"3", b"2"]])


class Keyspace(BlockingTestCase):
    def test_namespaces_are_separate(self):
        c = self.client(db=1)
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        self.r.rpush("k", "db0")
        time.sleep(0.1)
        self.assertEqual(self.blocked(), 1)
        r1 = redis.Redis(host="127.0.0.1", port=self.server.port, db=1)
        try:
            r1.rpush("k", "db1")
            self.assertEqual(c.read_response(), [b"k", b"db1"])
        finally:
            r1.close()
        self.assertEqual(self.r.lrange("k", 0, -1), [b"db0"])

    def test_rename_move_swapdb_copy_wake(self):
        def served_by(action, key="k"):
            c = self.client()
            c.send_command("BLPOP", key, 0)
            self.wait_blocked(1)
            action()
            return c.read_response()

        self.r.rpush("src", "a")
        self.assertEqual(served_by(lambda: self.r.rename("src", "k")), [b"k", b"a"])
        r1 = redis.Redis(host="127.0.0.1", port=self.server.port, db=1)
        try:
            r1.rpush("k", "b")
            self.assertEqual(served_by(lambda: r1.move("k", 0)), [b"k", b"b"])
            r1.rpush("k", "c")
            self.assertEqual(served_by(lambda: self.r.swapdb(0, 1)), [b"k", b"c"])
            self.r.swapdb(0, 1)
        finally:
            r1.close()
        self.r.rpush("tmp", "d")
        self.assertEqual(served_by(lambda: self.r.copy("tmp", "k")), [b"k", b"d"])
        # RESTORE of a list payload: DUMP/RESTORE of lists is the persistence part of issue 21,
        # not in this branch; RESTORE writes through Database like RENAME and COPY.
        self.assertEqual(self.r.lrange("tmp", 0, -1), [b"d"])


class Pause(BlockingTestCase):
    def test_a_write_pause_holds_the_service(self):
        if self.is_redis_70():
            self.skipTest("Redis 7.0 serves during a pause; 7.2 runs the command again, held")
        c = self.client()
        c.send_command("BLPOP", "k", 0)
        self.wait_blocked(1)
        p = self.r.pipeline(transaction=True)
        p.rpush("k", "v")
        p.execute_command("CLIENT", "PAUSE", 400, "WRITE")
        start = time.monotonic()
        p.execute()
        self.assertEqual(c.read_response(), [b"k", b"v"])
        self.assertGreaterEqual(time.monotonic() - start, 0.3)


class ManyIdleClients(BlockingTestCase):
    N = 2000

    def cpu_seconds(self):
        with open(f"/proc/{self.server.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def test_idle_blocked_clients_cost_no_cpu(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < self.N + 100:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, self.N + 200), hard))
        socks = []
        try:
            for i in range(self.N):
                s = socket.create_connection(("127.0.0.1", self.server.port))
                timeout = b"0" if i % 2 == 0 else b"3600"
                s.sendall(b"*3\r\n$5\r\nBLPOP\r\n$6\r\nbusy:%d\r\n$%d\r\n%s\r\n"
                          % (i % 10, len(timeout), timeout))
                socks.append(s)
            self.wait_blocked(self.N)
            self.assertIn(self.blocking_keys(), (10, None))
            before = self.cpu_seconds()
            time.sleep(3)
            used = self.cpu_seconds() - before
            self.assertLess(used, 0.15, f"{used:.3f} s of CPU for {self.N} idle blocked clients")
            for k in range(10):
                self.r.rpush(f"busy:{k}", *range(self.N // 10))
            self.wait_blocked(0)
            for k in range(10):
                self.assertEqual(self.r.exists(f"busy:{k}"), 0)
            for s in socks[:20]:
                s.settimeout(5)
                self.assertTrue(s.recv(100).startswith(b"*2\r\n"))
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
