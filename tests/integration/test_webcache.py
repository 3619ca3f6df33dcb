#!/usr/bin/python3
"""A web-cache session driven through redis-py against a real server.

The server binary comes from the environment variable DKV_SERVER, or else from
the first command-line argument (when it names an executable file), or else
from build/release/src/dkv-server or build/debug/src/dkv-server in this
repository. The same suite passes against Debian's redis-server, which is how
it is checked:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_webcache.py
    /usr/bin/python3 tests/integration/test_webcache.py build/debug/src/dkv-server -v

One server is started for the whole suite on a free loopback port, with its
own temporary directory; each test starts from FLUSHDB. If the server dies
during a test, that test fails with the tail of the server's log and the
server is started again for the next test.
"""

import inspect
import os
import socket
import sys
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import server_binary, suite_server  # noqa: E402

SOCKET_TIMEOUT_S = 10.0

dkv_fixture.exit_77_without_test_backend()


def redis_py_has_resp3():
    return "protocol" in inspect.signature(redis.Redis.__init__).parameters


class WebCacheSession(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        binary = server_binary()
        if not binary:
            raise RuntimeError("no server binary: set DKV_SERVER or pass the path as the first "
                               "argument (none found under build/release or build/debug either)")
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise RuntimeError(f"server binary {binary!r} is not an executable file")
        cls.server = suite_server(binary, prefix="dkv-webcache-")
        try:
            cls.server.start()
        except BaseException:
            # tearDownClass does not run after a failed setUpClass.
            cls.server.cleanup()
            cls.server = None
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.cleanup()

    def setUp(self):
        if not self.server.alive():
            self.server.start()
        self._clients = []
        self.r = self.client()
        self.r.flushdb()

    def tearDown(self):
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        if not self.server.alive():
            died = f"server died during the test (exit status {self.server.proc.poll()})"
            log = self.server.log_tail()
            self.server.proc = None
            self.fail(f"{died}\n{log}")

    def client(self, **kw):
        kw.setdefault("socket_timeout", SOCKET_TIMEOUT_S)
        kw.setdefault("socket_connect_timeout", SOCKET_TIMEOUT_S)
        c = redis.Redis(host="127.0.0.1", port=self.server.port, **kw)
        self._clients.append(c)
        return c

    def assertTtlIn(self, ttl, upper):
        self.assertGreater(ttl, 0)
        self.assertLessEqual(ttl, upper)

    # -- page and fragment caching -----------------------------------------

    def test_set_with_ex_then_get(self):
        html = b"<html><body>home</body></html>"
        self.assertTrue(self.r.set("page:/home", html, ex=60))
        self.assertEqual(self.r.get("page:/home"), html)
        self.assertTtlIn(self.r.ttl("page:/home"), 60)
        self.assertTrue(self.r.set("page:/home", b"v2", px=90000))
        self.assertEqual(self.r.get("page:/home"), b"v2")
        self.assertTtlIn(self.r.pttl("page:/home"), 90000)
        self.assertIsNone(self.r.get("page:/missing"))

    def test_mget_with_missing_keys(self):
        self.r.set("frag:header", "H")
        self.r.set("frag:footer", "F")
        self.assertEqual(self.r.mget("frag:header", "frag:nav", "frag:footer", "frag:side"),
                         [b"H", None, b"F", None])
        self.assertEqual(self.r.mget(["frag:none"]), [None])

    def test_counters_incr_incrby(self):
        self.assertEqual(self.r.incr("stats:hits"), 1)
        self.assertEqual(self.r.incr("stats:hits"), 2)
        self.assertEqual(self.r.incrby("stats:hits", 10), 12)
        self.assertEqual(self.r.incr("stats:hits", 3), 15)
        self.assertEqual(self.r.decr("stats:hits"), 14)
        self.assertEqual(self.r.incrby("stats:hits", -20), -6)
        self.assertEqual(self.r.get("stats:hits"), b"-6")
        self.r.set("stats:name", "not a number")
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.incr("stats:name")
        self.assertIn("not an integer", str(cm.exception))

    def test_rate_limit_counter_with_expire(self):
        key = "rate:1.2.3.4"
        self.assertEqual(self.r.incr(key), 1)
        self.assertTrue(self.r.expire(key, 60))
        self.assertEqual(self.r.incr(key), 2)          # INCR keeps the TTL
        self.assertTtlIn(self.r.ttl(key), 60)
        self.assertEqual(self.r.ttl("rate:nobody"), -2)
        self.r.set("rate:forever", 1)
        self.assertEqual(self.r.ttl("rate:forever"), -1)
        self.assertFalse(self.r.expire("rate:nobody", 10))

    def test_session_getex_and_persist(self):
        key = "sess:abc"
        self.assertTrue(self.r.set(key, '{"user":42}', ex=30))
        self.assertTtlIn(self.r.ttl(key), 30)
        # Sliding expiration: each read pushes the deadline out.
        self.assertEqual(self.r.getex(key, ex=1800), b'{"user":42}')
        ttl = self.r.ttl(key)
        self.assertGreater(ttl, 30)
        self.assertLessEqual(ttl, 1800)
        # "Remember me": drop the deadline.
        self.assertEqual(self.r.getex(key, persist=True), b'{"user":42}')
        self.assertEqual(self.r.ttl(key), -1)
        self.assertTrue(self.r.expire(key, 100))
        self.assertTrue(self.r.persist(key))
        self.assertEqual(self.r.ttl(key), -1)
        self.assertFalse(self.r.persist(key))          # nothing left to remove
        self.assertIsNone(self.r.getex("sess:gone", ex=10))

    def test_scan_match_among_noise(self):
        wanted_sess = {b"sess:abc", b"sess:def", b"sess:x.y.z"}
        wanted_page = {b"page:/home", b"page:/about", b"page:/a/b?c=1"}
        noise = [b"sessx", b"xsess:abc", b"Sess:abc", b"rate:1.2.3.4", b"rate:10.0.0.1"]
        with self.r.pipeline(transaction=False) as p:
            for k in wanted_sess | wanted_page:
                p.set(k, b"1")
            for k in noise:
                p.set(k, b"n")
            for i in range(300):
                p.set(f"noise:{i}", i)
            p.execute()
        self.assertEqual(set(self.r.scan_iter(match="sess:*", count=20)), wanted_sess)
        self.assertEqual(set(self.r.scan_iter(match="page:/*")), wanted_page)
        # Redis glob: '*' crosses '.' and the dots are plain characters.
        self.assertEqual(set(self.r.scan_iter(match="rate:1.2.*")), {b"rate:1.2.3.4"})
        self.assertEqual(set(self.r.scan_iter(match="rate:*")),
                         {b"rate:1.2.3.4", b"rate:10.0.0.1"})
        self.assertEqual(set(self.r.scan_iter(match="nothing:*")), set())
        everything = list(self.r.scan_iter(count=50))
        self.assertEqual(len(set(everything)), len(wanted_sess) + len(wanted_page) + len(noise) + 300)
        self.assertEqual(self.r.dbsize(), len(set(everything)))

    # -- pipelines and transactions ------------------------------------------

    def test_pipeline_without_transaction(self):
        with self.r.pipeline(transaction=False) as p:
            p.set("page:/a", "A", ex=60).get("page:/a").incr("stats:views")
            p.mget("page:/a", "page:/b").delete("page:/a").exists("page:/a")
            results = p.execute()
        self.assertEqual(results, [True, b"A", 1, [b"A", None], 1, 0])

    def test_pipeline_with_multi_exec(self):
        self.r.set("stats:views", 10)
        with self.r.pipeline(transaction=True) as p:
            p.incr("stats:views").set("page:/t", "T").get("page:/t").ttl("page:/t")
            results = p.execute()
        self.assertEqual(results, [11, True, b"T", -1])
        # An error inside EXEC is reported for that command only.
        self.r.set("page:/s", "text")
        with self.r.pipeline(transaction=True) as p:
            p.incr("page:/s").set("page:/u", "U")
            results = p.execute(raise_on_error=False)
        self.assertIsInstance(results[0], redis.ResponseError)
        self.assertEqual(results[1], True)
        self.assertEqual(self.r.get("page:/u"), b"U")

    def test_watch_optimistic_lock_retries(self):
        self.r.set("cart:7:total", 100)
        other = self.client()
        attempts = 0
        with self.r.pipeline() as p:
            for attempt in range(5):               # bounded retries
                attempts += 1
                try:
                    p.watch("cart:7:total")
                    total = int(p.get("cart:7:total"))
                    if attempt == 0:
                        # A concurrent writer changes the key after our read.
                        other.incrby("cart:7:total", 5)
                    p.multi()
                    p.set("cart:7:total", total + 20)
                    p.execute()
                    break
                except redis.WatchError:
                    if attempt > 0:
                        raise
                    continue
        self.assertEqual(attempts, 2)
        self.assertEqual(self.r.get("cart:7:total"), b"125")

    def test_transaction_helper_watch_error_then_success(self):
        self.r.set("inv:sku1", 3)
        other = self.client()
        calls = []

        def reserve(pipe):
            stock = int(pipe.get("inv:sku1"))
            calls.append(stock)
            if len(calls) == 1:
                other.decr("inv:sku1")
            pipe.multi()
            pipe.set("inv:sku1", stock - 1)

        self.r.transaction(reserve, "inv:sku1")
        self.assertEqual(calls, [3, 2])
        self.assertEqual(self.r.get("inv:sku1"), b"1")

    # -- locks --------------------------------------------------------------

    def test_lock_set_nx_px_and_release(self):
        holder, rival = self.client(), self.client()
        self.assertTrue(holder.set("lock:report", "token-A", nx=True, px=30000))
        self.assertIsNone(rival.set("lock:report", "token-B", nx=True, px=30000))
        self.assertTtlIn(rival.pttl("lock:report"), 30000)
        self.assertEqual(rival.get("lock:report"), b"token-A")
        # Release: take the value and delete in one step, then compare.
        self.assertEqual(holder.getdel("lock:report"), b"token-A")
        self.assertEqual(holder.exists("lock:report"), 0)
        self.assertIsNone(holder.getdel("lock:report"))
        self.assertTrue(rival.set("lock:report", "token-B", nx=True, px=30000))
        # A holder whose token no longer matches must not release: compare first.
        self.assertNotEqual(holder.get("lock:report"), b"token-A")
        self.assertEqual(rival.get("lock:report"), b"token-B")
        # SET ... XX only updates an existing key.
        self.assertIsNone(holder.set("lock:none", "t", xx=True))
        self.assertTrue(rival.set("lock:report", "token-B2", xx=True, px=30000))

    # -- clients and protocols ------------------------------------------------

    def test_decode_responses_client(self):
        s = self.client(decode_responses=True)
        self.assertTrue(s.set("page:/café", "naïve ✓", ex=60))
        self.assertEqual(s.get("page:/café"), "naïve ✓")
        self.assertEqual(s.mget("page:/café", "page:/none"), ["naïve ✓", None])
        self.assertEqual(s.incr("stats:n"), 1)
        self.assertEqual(s.get("stats:n"), "1")
        self.assertEqual(sorted(s.scan_iter(match="page:*")), ["page:/café"])
        self.assertEqual(self.r.get("page:/café"), "naïve ✓".encode())

    @unittest.skipUnless(redis_py_has_resp3(),
                         f"installed redis-py {redis.__version__} has no RESP3 support "
                         "(redis.Redis(protocol=3) needs redis-py >= 5.0); "
                         "RESP3 is still checked by test_resp3_hello_raw_socket")
    def test_resp3_client(self):
        c = self.client(protocol=3)
        self.assertTrue(c.set("sess:r3", "v", ex=60))
        self.assertEqual(c.get("sess:r3"), b"v")
        self.assertIsNone(c.get("sess:none"))
        self.assertEqual(c.mget("sess:r3", "sess:none"), [b"v", None])
        self.assertEqual(c.incr("stats:r3"), 1)
        self.assertTtlIn(c.ttl("sess:r3"), 60)
        self.assertIn("redis_version", c.info())

    def test_resp3_hello_raw_socket(self):
        """HELLO 3 by hand, for redis-py versions that cannot speak RESP3."""
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      timeout=SOCKET_TIMEOUT_S) as s:
            f = s.makefile("rb")
            s.sendall(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
            reply = self._read_resp3(f)
            self.assertIsInstance(reply, dict, "HELLO 3 must answer a RESP3 map")
            for field in (b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"):
                self.assertIn(field, reply)
            self.assertEqual(reply[b"proto"], 3)
            # After HELLO 3 a missing key is the RESP3 null, not $-1.
            s.sendall(b"*2\r\n$3\r\nGET\r\n$12\r\nsess:missing\r\n")
            self.assertEqual(f.readline(), b"_\r\n")

    def _read_resp3(self, f, depth=0):
        self.assertLess(depth, 8)
        line = f.readline()
        self.assertTrue(line.endswith(b"\r\n"), f"truncated reply line {line!r}")
        t, body = line[:1], line[1:-2]
        if t in (b"+",):
            return body
        if t == b":":
            return int(body)
        if t == b"$":
            n = int(body)
            if n < 0:
                return None
            data = f.read(n + 2)
            return data[:-2]
        if t == b"_":
            return None
        if t in (b"*", b"~"):
            return [self._read_resp3(f, depth + 1) for _ in range(int(body))]
        if t == b"%":
            n = int(body)
            out = {}
            for _ in range(n):
                k = self._read_resp3(f, depth + 1)
                out[k] = self._read_resp3(f, depth + 1)
            return out
        self.fail(f"unexpected RESP3 reply line {line!r}")

    def test_info_fields_clients_rely_on(self):
        info = self.r.info()
        self.assertIn("redis_version", info)
        self.assertRegex(str(info["redis_version"]), r"^\d+\.\d+")
        self.assertIn("loading", info)
        self.assertEqual(int(info["loading"]), 0)
        self.r.set("page:/x", "1", ex=100)
        self.r.set("page:/y", "2")
        keyspace = self.r.info("keyspace")
        self.assertEqual(keyspace["db0"]["keys"], 2)
        self.assertEqual(keyspace["db0"]["expires"], 1)

    def test_config_get_databases(self):
        conf = self.r.config_get("databases")
        self.assertIn("databases", conf)
        self.assertGreaterEqual(int(conf["databases"]), 1)

    def test_client_setname_getname(self):
        c = self.client(single_connection_client=True, decode_responses=True)
        self.assertIsNone(c.client_getname())
        self.assertTrue(c.client_setname("webcache-worker-1"))
        self.assertEqual(c.client_getname(), "webcache-worker-1")
        with self.assertRaises(redis.ResponseError):
            c.client_setname("has space")

    # -- invalidation -------------------------------------------------------

    def test_delete_several_keys(self):
        self.r.mset({"page:/a": 1, "page:/b": 2, "page:/c": 3})
        self.assertEqual(self.r.delete("page:/a", "page:/b", "page:/missing"), 2)
        self.assertEqual(self.r.mget("page:/a", "page:/b", "page:/c"), [None, None, b"3"])
        self.assertEqual(self.r.exists("page:/a", "page:/c", "page:/c"), 2)
        self.assertEqual(self.r.delete("page:/missing"), 0)

    def test_flushdb(self):
        self.r.mset({f"page:/{i}": i for i in range(50)})
        self.r.set("sess:abc", "s", ex=60)
        self.assertEqual(self.r.dbsize(), 51)
        self.assertTrue(self.r.flushdb())
        self.assertEqual(self.r.dbsize(), 0)
        self.assertIsNone(self.r.get("sess:abc"))
        self.assertEqual(list(self.r.scan_iter()), [])

    def test_binary_values_roundtrip(self):
        blob = b"\x00\xff\x00GIF89a\r\n\xff\xfe" + bytes(range(256))
        self.assertTrue(self.r.set("img:logo", blob, ex=60))
        self.assertEqual(self.r.get("img:logo"), blob)
        self.assertEqual(self.r.strlen("img:logo"), len(blob))
        key = b"bin:\x00\xff\r\nkey"
        self.assertTrue(self.r.set(key, b"\xff\x00"))
        self.assertEqual(self.r.get(key), b"\xff\x00")
        self.assertEqual(self.r.mget(key, "img:logo"), [b"\xff\x00", blob])
        big = bytes(range(256)) * 4096           # 1 MiB, split across many reads
        self.assertTrue(self.r.set("img:big", big))
        self.assertEqual(self.r.get("img:big"), big)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main()
