#!/usr/bin/python3
"""Lua scripting through redis-py against a real server: redis-py's Lock (acquire, extend,
reacquire, release, contention) and register_script, which run unchanged on EVALSHA with the
NOSCRIPT fallback; a script that loops forever, -BUSY for the others, SCRIPT KILL from a new
connection, UNKILLABLE after a write, SHUTDOWN NOSAVE; the sandbox.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. The same suite passes against Debian's redis-server:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_scripting.py
"""

import os
import socket
import sys
import threading
import time
import unittest

import redis
from redis.exceptions import LockError, LockNotOwnedError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, server_binary, suite_server  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


class ScriptTestCase(ServerTestCase):
    """One server per class; each test starts from FLUSHALL and an empty script cache."""

    def setUp(self):
        self._clients = []
        self.r = self.new_client()
        self.r.flushall()
        self.r.script_flush()

    def tearDown(self):
        for c in self._clients:
            c.close()

    def new_client(self):
        c = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=10)
        self._clients.append(c)
        return c


class Locks(ScriptTestCase):
    def test_redis_py_lock_acquire_extend_reacquire_release(self):
        lock = self.r.lock("lock:report", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        self.assertTrue(lock.owned())
        self.assertTrue(lock.locked())
        self.assertTrue(lock.extend(20))                       # additional time
        self.assertGreater(self.r.pttl("lock:report"), 25000)
        self.assertTrue(lock.extend(5, replace_ttl=True))      # new TTL
        self.assertLessEqual(self.r.pttl("lock:report"), 5000)
        self.assertTrue(lock.reacquire())
        self.assertGreater(self.r.pttl("lock:report"), 9000)
        lock.release()
        self.assertFalse(lock.locked())
        self.assertIsNone(self.r.get("lock:report"))

    def test_only_the_holder_releases_or_extends(self):
        a = self.r.lock("lock:shared", timeout=10)
        b = self.r.lock("lock:shared", timeout=10)
        self.assertTrue(a.acquire(blocking=False))
        self.assertFalse(b.acquire(blocking=False))
        with self.assertRaises(LockError):
            b.release()                    # never acquired: no token
        b.local.token = b"not-the-token"
        with self.assertRaises(LockNotOwnedError):
            b.release()                    # the release script compares tokens
        b.local.token = b"not-the-token"   # release() dropped it
        with self.assertRaises(LockNotOwnedError):
            b.extend(5)                    # the extend script compares tokens too
        self.assertTrue(a.owned())
        a.release()
        self.assertTrue(b.acquire(blocking=False))
        b.release()

    def test_lock_contention_between_threads(self):
        counter = {"n": 0, "inside": 0, "overlap": False}

        def worker():
            client = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=10)
            try:
                for _ in range(20):
                    with client.lock("lock:counter", timeout=5, blocking_timeout=10):
                        counter["inside"] += 1
                        if counter["inside"] > 1:
                            counter["overlap"] = True
                        v = int(client.get("counter") or 0)
                        client.set("counter", v + 1)
                        counter["inside"] -= 1
            finally:
                client.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertFalse(counter["overlap"])
        self.assertEqual(self.r.get("counter"), b"80")

    def test_lock_expires_without_release(self):
        lock = self.r.lock("lock:short", timeout=0.2)
        self.assertTrue(lock.acquire(blocking=False))
        time.sleep(0.4)
        other = self.r.lock("lock:short", timeout=5)
        self.assertTrue(other.acquire(blocking=False))
        with self.assertRaises(LockNotOwnedError):
            lock.release()
        other.release()


class RegisterScript(ScriptTestCase):
    def test_register_script_survives_script_flush(self):
        incr_by_if_exists = self.r.register_script(
            "if redis.call('EXISTS', KEYS[1]) == 1 then "
            "return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false")
        self.assertIsNone(incr_by_if_exists(keys=["hits"], args=[3]))
        self.r.set("hits", 10)
        self.assertEqual(incr_by_if_exists(keys=["hits"], args=[3]), 13)
        self.assertEqual(self.r.script_exists(incr_by_if_exists.sha), [True])
        self.r.script_flush()
        self.assertEqual(self.r.script_exists(incr_by_if_exists.sha), [False])
        # EVALSHA answers NOSCRIPT; redis-py loads the script again and retries.
        self.assertEqual(incr_by_if_exists(keys=["hits"], args=[2]), 15)
        pipe = self.r.pipeline()
        incr_by_if_exists(keys=["hits"], args=[1], client=pipe)
        incr_by_if_exists(keys=["hits"], args=[1], client=pipe)
        self.assertEqual(pipe.execute(), [16, 17])

    def test_sliding_window_rate_limiter(self):
        limiter = self.r.register_script(
            "local hits = redis.call('INCR', KEYS[1]) "
            "local ttl = redis.call('PTTL', KEYS[1]) "
            "if ttl <= 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end "
            "return {hits, ttl}")
        replies = [limiter(keys=["rl:client"], args=[300]) for _ in range(5)]
        self.assertEqual([h for h, _ in replies], [1, 2, 3, 4, 5])
        self.assertTrue(all(0 < ttl <= 300 for _, ttl in replies))
        time.sleep(0.45)
        self.assertEqual(limiter(keys=["rl:client"], args=[300])[0], 1)   # a new window

    def test_conversions_and_errors_reach_redis_py(self):
        self.assertEqual(self.r.eval("return {1, 'two', 3.9, true, false, {ok='fine'}}", 0),
                         [1, b"two", 3, 1, None, b"fine"])
        with self.assertRaisesRegex(redis.ResponseError, "^MYCODE my message"):
            self.r.eval("return redis.error_reply('MYCODE my message')", 0)
        with self.assertRaisesRegex(redis.ResponseError,
                                    "nonexistent global variable 'os'"):
            self.r.eval("return os.time()", 0)
        with self.assertRaisesRegex(redis.ResponseError, "readonly table"):
            self.r.eval("leaked = 1", 0)
        with self.assertRaisesRegex(redis.ResponseError, "not allowed from read-only scripts"):
            self.r.eval_ro("return redis.call('set', KEYS[1], 'x')", 1, "k")
        self.assertEqual(self.r.eval_ro("return redis.call('get', KEYS[1])", 1, "k"), None)
        if os.path.basename(server_binary()) != "redis-server":   # dkv's own commands
            self.assertEqual(self.r.eval(
                "return redis.call('KV.SET', KEYS[1], '{}', 'TYPE', 'json')", 1, "app.cfg"), b"OK")
            self.assertEqual(self.r.eval("return redis.call('KV.COUNT', 'app.**')", 0), 1)


    def test_crashing_library_calls_answer_errors_and_the_server_stays_up(self):
        # unpack ranges that overflow (CVE-2025-46817) and malformed long strings (CVE-2025-46819)
        # crashed or misread in an unpatched Lua 5.1; each answers an error and the next command
        # is served.
        for script in ("return unpack({}, -1, 2147483646)",
                       "return unpack({}, -2147483648, 2147483647)"):
            with self.assertRaisesRegex(redis.ResponseError,
                                        "user_script:1: too many results to unpack"):
                self.r.eval(script, 0)
            with self.assertRaisesRegex(redis.ResponseError, "too many results to unpack"):
                self.r.eval_ro(script, 0)
            self.assertTrue(self.r.ping())
        for script in ("return [=[ abc", "return [=="):
            with self.assertRaisesRegex(redis.ResponseError, "Error compiling script"):
                self.r.eval(script, 0)
            self.assertTrue(self.r.ping())

    def test_one_scripts_settings_do_not_reach_another_connection(self):
        if os.path.basename(server_binary()) == "redis-server":
            self.skipTest("Redis 7.0 keeps cjson settings and the random seed across scripts")
        other = self.new_client()
        self.assertEqual(self.r.eval("cjson.encode_number_precision(1) cjson.encode_max_depth(1) "
                                     "math.randomseed(7) return cjson.encode({1.23456789})", 0),
                         b"[1]")
        self.assertEqual(other.eval("return cjson.encode({1.23456789, {2}})", 0),
                         b"[1.23456789,[2]]")
        # Seeded, math.random gives Redis' sequence; the next script does not continue it.
        self.assertEqual(self.r.eval("math.randomseed(7) return math.random(1000000)", 0), 266445)
        self.assertNotEqual(other.eval("return math.random(1000000)", 0), 682036)
        with self.assertRaisesRegex(redis.ResponseError, "resulting string too large"):
            other.eval("return string.rep('x', 2147483647)", 0)
        self.assertTrue(other.ping())


class BusyScripts(unittest.TestCase):
    def setUp(self):
        self.server = suite_server(args=["--busy-reply-threshold", "100"])
        self.server.start()
        self.r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=10)

    def tearDown(self):
        self.r.close()
        self.server.cleanup()

    def run_in_thread(self, script):
        result = {}

        def run():
            c = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=30)
            try:
                result["reply"] = c.eval(script, 0)
            except redis.RedisError as e:
                result["error"] = str(e)
            finally:
                c.close()

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.4)   # past busy-reply-threshold
        return t, result

    def test_an_endless_script_is_killed_and_the_others_get_busy_meanwhile(self):
        self.r.set("k", "v")
        t, result = self.run_in_thread("while true do end")
        with self.assertRaisesRegex(redis.ResponseError, "^BUSY Redis is busy running a script"):
            self.r.get("k")
        # A brand-new connection is accepted while the script runs and may kill it.
        killer = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=5)
        self.assertTrue(killer.script_kill())
        killer.close()
        t.join(10)
        self.assertIn("Script killed by user with SCRIPT KILL", result.get("error", ""))
        self.assertEqual(self.r.get("k"), b"v")
        with self.assertRaisesRegex(redis.ResponseError, "^NOTBUSY"):
            self.r.script_kill()

    def test_a_script_that_wrote_cannot_be_killed_but_shutdown_nosave_stops_it(self):
        t, result = self.run_in_thread("redis.call('set', 'w', '1') while true do end")
        with self.assertRaisesRegex(redis.ResponseError, "^UNKILLABLE"):
            self.r.script_kill()
        with self.assertRaisesRegex(redis.ResponseError, "^BUSY"):
            self.r.shutdown()          # SHUTDOWN without NOSAVE is refused
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        raw.sendall(b"SHUTDOWN NOSAVE\r\n")
        self.server.proc.wait(timeout=10)
        raw.close()
        t.join(10)
        self.assertFalse(t.is_alive())

    def test_pcall_cannot_swallow_a_kill(self):
        t, result = self.run_in_thread(
            "while true do pcall(function() while true do end end) end")
        self.assertTrue(self.r.script_kill())
        t.join(10)
        self.assertIn("Script killed", result.get("error", ""))


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
