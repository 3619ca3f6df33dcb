#!/usr/bin/python3
"""Pub/Sub against a real server (docs/pubsub.md) through redis-py's PubSub object (subscribe,
psubscribe, ssubscribe, get_message, listen, a handler thread) and raw sockets for the RESP3
pushes: delivery order (channel subscribers, then patterns), several subscribers, a client
disconnecting (its subscriptions go), the RESP2 subscribed mode, tenants (namespaces) that never
hear each other, ACL channel rules, and a slow subscriber closed at client-output-buffer-limit
pubsub's hard limit while the server keeps answering others (bounded in bytes and time).

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py. It passes against Debian's redis-server 7.0 as well, but for the
namespace test (dkv's named namespaces):

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_pubsub.py
"""

import os
import socket
import sys
import threading
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, encode_command, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


def read_exactly_reply(sock, expected, timeout=5.0):
    """Reads from `sock` until `expected` bytes came (or the timeout); returns what came."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.time() + timeout
    while len(data) < len(expected) and time.time() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class PubSubTestCase(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.closers = []

    def tearDown(self):
        for c in self.closers:
            c.close()

    def pubsub(self, **kw):
        client = redis.Redis(host="127.0.0.1", port=self.server.port, **kw)
        p = client.pubsub(ignore_subscribe_messages=True)
        self.closers.append(p)
        self.closers.append(client)
        return p

    def next_message(self, p, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = p.get_message(timeout=0.2)
            if m is not None:
                return m
        return None

    def is_dkv(self):
        return "dkv_version" in self.r.info("server") or not self.r.info(
            "server")["redis_version"].startswith("7.0")

    def test_subscribe_and_psubscribe_order(self):
        p = self.pubsub()
        p.subscribe("news.tech")
        p.psubscribe("news.*")
        self.assertTrue(wait_for(lambda: self.r.pubsub_numpat() == 1))
        self.assertEqual(self.r.publish("news.tech", "hello"), 2)
        m1 = self.next_message(p)
        m2 = self.next_message(p)
        self.assertEqual((m1["type"], m1["channel"], m1["data"]), ("message", b"news.tech", b"hello"))
        self.assertEqual((m2["type"], m2["pattern"], m2["channel"]),
                         ("pmessage", b"news.*", b"news.tech"))
        self.assertEqual(self.r.pubsub_numsub("news.tech"), [(b"news.tech", 1)])
        self.assertEqual(self.r.pubsub_channels(), [b"news.tech"])
        info = self.r.info()
        self.assertEqual(info["pubsub_channels"], 1)
        self.assertEqual(info["pubsub_patterns"], 1)
        clients = [c for c in self.r.client_list() if "P" in c["flags"]]
        self.assertEqual(len(clients), 1)
        self.assertEqual((clients[0]["sub"], clients[0]["psub"]), ("1", "1"))
        self.assertEqual(len(self.r.client_list(_type="pubsub")), 1)

    def test_many_subscribers_and_listen(self):
        subs = [self.pubsub() for _ in range(10)]
        for p in subs:
            p.subscribe("fan")
        self.assertTrue(wait_for(lambda: self.r.pubsub_numsub("fan")[0][1] == 10))
        for i in range(20):
            self.assertEqual(self.r.publish("fan", "m%d" % i), 10)
        for p in subs:
            got = []
            for m in p.listen():
                if m["type"] == "message":
                    got.append(m["data"])
                if len(got) == 20:
                    break
            self.assertEqual(got, [b"m%d" % i for i in range(20)])

    def test_handler_thread_and_unsubscribe(self):
        received = []
        p = self.pubsub()
        p.subscribe(**{"events": lambda m: received.append(m["data"])})
        thread = p.run_in_thread(sleep_time=0.05, daemon=True)
        try:
            self.assertTrue(wait_for(lambda: self.r.pubsub_numsub("events")[0][1] == 1))
            self.r.publish("events", "a")
            self.r.publish("events", "b")
            self.assertTrue(wait_for(lambda: len(received) == 2, timeout=5))
            self.assertEqual(received, [b"a", b"b"])
        finally:
            thread.stop()
            thread.join(timeout=5)
        p.unsubscribe()
        p.close()
        self.assertTrue(wait_for(lambda: self.r.pubsub_numsub("events")[0][1] == 0))

    def test_shard_channels(self):
        # (Debian's redis-py has no PubSub.ssubscribe: a raw socket.)
        s = socket.create_connection(("127.0.0.1", self.server.port))
        self.closers.append(s)
        s.sendall(encode_command("SSUBSCRIBE", "orders"))
        want = b"*3\r\n$10\r\nssubscribe\r\n$6\r\norders\r\n:1\r\n"
        self.assertEqual(read_exactly_reply(s, want), want)
        self.assertEqual(self.r.execute_command("PUBSUB", "SHARDNUMSUB", "orders"), [b"orders", 1])
        self.assertEqual(self.r.execute_command("SPUBLISH", "orders", "o1"), 1)
        self.assertEqual(self.r.publish("orders", "o1"), 0)
        want = b"*3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$2\r\no1\r\n"
        self.assertEqual(read_exactly_reply(s, want), want)

    def test_disconnect_forgets(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.sendall(encode_command("SUBSCRIBE", "gone") + encode_command("PSUBSCRIBE", "g*"))
        read_exactly_reply(s, b"*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:1\r\n"
                              b"*3\r\n$10\r\npsubscribe\r\n$2\r\ng*\r\n:2\r\n")
        self.assertEqual(self.r.publish("gone", "x"), 2)
        s.close()
        self.assertTrue(wait_for(lambda: self.r.publish("gone", "x") == 0))
        self.assertEqual(self.r.pubsub_numpat(), 0)

    def test_resp2_subscribed_mode_and_resp3_push(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        self.closers.append(s)
        s.sendall(encode_command("SUBSCRIBE", "c") + encode_command("GET", "k") +
                  encode_command("PING"))
        want = (b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
                b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT"
                b" / RESET are allowed in this context\r\n"
                b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        self.assertEqual(read_exactly_reply(s, want), want)
        s3 = socket.create_connection(("127.0.0.1", self.server.port))
        self.closers.append(s3)
        s3.sendall(encode_command("HELLO", "3"))
        time.sleep(0.2)
        s3.recv(65536)
        s3.sendall(encode_command("SUBSCRIBE", "c") + encode_command("SET", "k", "v"))
        want3 = b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n+OK\r\n"
        self.assertEqual(read_exactly_reply(s3, want3), want3)
        self.assertEqual(self.r.publish("c", "hi"), 2)
        push = b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"
        self.assertEqual(read_exactly_reply(s3, push), push)

    def test_tenants_never_hear_each_other(self):
        if not self.is_dkv():
            self.skipTest("named namespaces are dkv's")
        # db= makes redis-py SELECT the namespace on every connection, the PubSub's too.
        a = redis.Redis(host="127.0.0.1", port=self.server.port, db="tenant_a")
        b = redis.Redis(host="127.0.0.1", port=self.server.port, db="tenant_b")
        self.closers += [a, b]
        pa = a.pubsub(ignore_subscribe_messages=True)
        pb = b.pubsub(ignore_subscribe_messages=True)
        self.closers += [pa, pb]
        pa.subscribe("jobs")
        pb.psubscribe("*")
        self.assertTrue(wait_for(lambda: a.execute_command("PUBSUB", "NUMSUB", "jobs")[1] == 1))
        self.assertEqual(a.publish("jobs", "for-a"), 1)
        self.assertEqual(b.publish("jobs", "for-b"), 1)
        self.assertEqual(self.r.publish("jobs", "nobody"), 0)
        self.assertEqual(self.next_message(pa)["data"], b"for-a")
        self.assertEqual(self.next_message(pb)["data"], b"for-b")
        self.assertIsNone(pa.get_message(timeout=0.3))
        self.assertIsNone(pb.get_message(timeout=0.3))
        self.assertEqual(self.r.pubsub_numpat(), 0)

    def test_acl_channels(self):
        self.r.execute_command("ACL", "SETUSER", "chan", "on", "nopass", "+@all", "~*",
                               "resetchannels", "&feed.*")
        try:
            c = redis.Redis(host="127.0.0.1", port=self.server.port, username="chan", password="x")
            self.closers.append(c)
            self.assertEqual(c.publish("feed.1", "x"), 0)
            with self.assertRaises(redis.exceptions.NoPermissionError):
                c.publish("other", "x")
            self.assertIn(b"user chan on nopass ~* resetchannels &feed.* +@all",
                          self.r.execute_command("ACL", "LIST"))
            # A subscriber whose channel is revoked is closed.
            s = socket.create_connection(("127.0.0.1", self.server.port))
            self.closers.append(s)
            s.sendall(encode_command("AUTH", "chan", "x") + encode_command("SUBSCRIBE", "feed.1"))
            want = b"+OK\r\n*3\r\n$9\r\nsubscribe\r\n$6\r\nfeed.1\r\n:1\r\n"
            self.assertEqual(read_exactly_reply(s, want), want)
            self.r.execute_command("ACL", "SETUSER", "chan", "resetchannels", "&other")
            s.settimeout(5)
            self.assertEqual(s.recv(100), b"")
        finally:
            self.r.acl_deluser("chan")

    def test_slow_subscriber_closed_at_hard_limit(self):
        old = self.r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
        self.r.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
        try:
            s = socket.create_connection(("127.0.0.1", self.server.port))
            self.closers.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(encode_command("SUBSCRIBE", "firehose"))
            read_exactly_reply(s, b"*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n")
            before = self.r.info("stats").get("client_output_buffer_limit_disconnections", 0)
            payload = "x" * 16384
            start = time.time()
            receivers = 1
            sent = 0
            pipe = self.r.pipeline(transaction=False)
            # At most 16 MB (16x the limit) and 20 s: the subscriber never reads.
            while receivers and sent < 1024 and time.time() - start < 20:
                for _ in range(32):
                    pipe.publish("firehose", payload)
                receivers = sum(pipe.execute())
                sent += 32
            self.assertTrue(wait_for(lambda: self.r.pubsub_numsub("firehose")[0][1] == 0,
                                     timeout=10))
            self.assertLess(sent, 1024)
            self.assertEqual(self.r.ping(), True)
            if "client_output_buffer_limit_disconnections" in self.r.info("stats"):  # not 7.0
                self.assertGreater(
                    self.r.info("stats")["client_output_buffer_limit_disconnections"], before)
        finally:
            self.r.config_set("client-output-buffer-limit", old)


if __name__ == "__main__":
    unittest.main(verbosity=2)
