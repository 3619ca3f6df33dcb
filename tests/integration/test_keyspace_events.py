#!/usr/bin/python3
"""Keyspace notifications over Pub/Sub with redis-py (docs/keyspace-events.md): CONFIG SET
notify-keyspace-events, the __keyspace@<db>__:<key> and __keyevent@<db>__:<event> channels, the
events of each family in Redis' order, expired, evicted, new and keymiss, numbered databases and
(dkv only) named namespaces, which a subscriber of another namespace never hears.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py; the same checks pass against Debian's redis-server, which is how
they were validated:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_keyspace_events.py

A server without SUBSCRIBE (a build before Pub/Sub) makes the test report skipped (exit 77).
"""

import os
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, server_binary  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


class KeyspaceEventsTest(ServerTestCase):
    def setUp(self):
        self.r.config_set("maxmemory", 0)
        self.r.flushall()
        self.r.config_set("notify-keyspace-events", "KEA")
        self.subs = []

    def tearDown(self):
        for p in self.subs:
            p.close()
        self.r.config_set("notify-keyspace-events", "")
        self.r.config_set("maxmemory", 0)

    def is_redis(self):
        return dkv_fixture.is_redis(server_binary())

    def subscribe(self, *patterns, db=None):
        """A pubsub connection psubscribed to `patterns` (in database/namespace `db`)."""
        client = redis.Redis(host="127.0.0.1", port=self.server.port)
        p = client.pubsub(ignore_subscribe_messages=True)
        if db is not None:
            p.execute_command("SELECT", db)  # before subscribing: the namespace is the session's
            p.parse_response()
        p.psubscribe(*patterns)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            m = p.get_message(ignore_subscribe_messages=False, timeout=0.5)
            if m and m["type"] == "psubscribe" and m["data"] == len(patterns):
                break
        self.subs.append(p)
        return p

    def drain(self, p, quiet=0.3, limit=1000):
        """(channel, data) pairs until none arrives for `quiet` seconds, at most `limit`."""
        out = []
        while len(out) < limit:
            m = p.get_message(timeout=quiet)
            if m is None:
                break
            if m["type"] == "pmessage":
                out.append((m["channel"].decode(), m["data"].decode()))
        return out

    def events(self, p):
        """The keyevent channel's events, as "event key"."""
        return [ch.split("__:", 1)[1] + " " + data for ch, data in self.drain(p)
                if ch.startswith("__keyevent@")]

    def test_config_set_and_get(self):
        self.assertEqual(self.r.config_get("notify-keyspace-events")["notify-keyspace-events"],
                         "AKE")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.config_set("notify-keyspace-events", "KEQ")
        self.assertIn("Invalid event class character", str(e.exception))
        self.r.config_set("notify-keyspace-events", "Elg")
        self.assertEqual(self.r.config_get("notify-keyspace-events")["notify-keyspace-events"],
                         "glE")

    def test_both_channels(self):
        p = self.subscribe("__keyspace@0__:*", "__keyevent@0__:*")
        self.r.set("foo", "bar")
        self.assertEqual(self.drain(p), [("__keyspace@0__:foo", "set"),
                                         ("__keyevent@0__:set", "foo")])

    def test_only_keyspace_or_only_keyevent(self):
        p = self.subscribe("__key*__:*")
        self.r.config_set("notify-keyspace-events", "Kl")
        self.r.set("s", "1")
        self.r.lpush("l", "a")
        self.assertEqual(self.drain(p), [("__keyspace@0__:l", "lpush")])
        self.r.config_set("notify-keyspace-events", "E$")
        self.r.set("s", "2")
        self.r.lpush("l", "b")
        self.assertEqual(self.drain(p), [("__keyevent@0__:set", "s")])

    def test_strings_and_generic_in_order(self):
        p = self.subscribe("__keyevent@0__:*")
        self.r.set("a", "1", ex=100)
        self.r.incr("n")
        self.r.append("a", "x")
        self.r.rename("a", "b")
        self.r.expire("b", 100)
        self.r.persist("b")
        self.r.delete("b", "missing")
        self.assertEqual(self.events(p), [
            "set a", "expire a", "incrby n", "append a", "rename_from a", "rename_to b",
            "expire b", "persist b", "del b"])

    def test_containers_and_their_last_element(self):
        p = self.subscribe("__keyevent@0__:*")
        self.r.rpush("l", "a", "b")
        self.r.lmove("l", "m", "LEFT", "RIGHT")
        self.r.rpop("l")
        self.r.hset("h", mapping={"f": "1"})
        self.r.hdel("h", "f")
        self.r.sadd("s", "x")
        self.r.srem("s", "x")
        self.r.zadd("z", {"a": 1, "b": 2})
        self.r.zincrby("z", 1, "a")
        self.r.zpopmin("z", 2)
        self.assertEqual(self.events(p), [
            "rpush l", "rpush m", "lpop l", "rpop l", "del l", "hset h", "hdel h", "del h",
            "sadd s", "srem s", "del s", "zadd z", "zincr z", "zpopmin z", "del z"])

    def test_stores(self):
        p = self.subscribe("__keyevent@0__:*")
        self.r.sadd("s", "a")
        self.r.sunionstore("u", ["s"])
        self.r.sinterstore("u", ["s", "none"])
        self.r.rpush("l", "2", "1")
        self.r.sort("l", store="sorted")
        self.assertEqual(self.events(p), [
            "sadd s", "sunionstore u", "del u", "rpush l", "sortstore sorted"])

    def test_expired(self):
        p = self.subscribe("__keyevent@0__:expired")
        self.r.set("e", "v", px=50)
        # Active expiry or a lookup deletes it; either publishes "expired".
        time.sleep(0.2)
        self.r.get("e")
        self.assertEqual(self.events(p), ["expired e"])

    def test_evicted(self):
        self.r.config_set("notify-keyspace-events", "KEe")
        for i in range(5):
            self.r.set(f"ev{i}", "v" * 100)
        p = self.subscribe("__keyevent@0__:evicted")
        self.r.config_set("maxmemory-policy", "allkeys-random")
        self.r.config_set("maxmemory", 1)
        try:
            self.r.set("more", "v")
        except redis.ResponseError:
            pass                            # everything is evicted, and still over: -OOM
        finally:
            self.r.config_set("maxmemory", 0)
            self.r.config_set("maxmemory-policy", "noeviction")
        got = self.events(p)
        self.assertEqual(sorted(got), [f"evicted ev{i}" for i in range(5)])

    def test_new_and_keymiss(self):
        p = self.subscribe("__keyevent@0__:*")
        self.r.config_set("notify-keyspace-events", "KEnm$")
        self.r.set("k", "v")
        self.r.set("k", "w")
        self.r.get("nothere")
        self.r.get("k")
        self.assertEqual(self.events(p), ["new k", "set k", "set k", "keymiss nothere"])

    def test_numbered_database(self):
        p = self.subscribe("__keyevent@3__:*", db=3)
        c = redis.Redis(host="127.0.0.1", port=self.server.port, db=3)
        c.set("k", "v")
        c.move("k", 0)
        c.close()
        self.assertEqual(self.events(p), ["set k", "move_from k"])

    def test_named_namespace(self):
        if self.is_redis():
            self.skipTest("named namespaces are dkv's")
        theirs = self.subscribe("__key*__:*")               # namespace 0
        ours = self.subscribe("__key*__:*", db="tenant7")
        c = redis.Redis(host="127.0.0.1", port=self.server.port)
        c.execute_command("SELECT", "tenant7")
        c.set("k", "v")
        c.close()
        self.assertEqual(self.drain(ours), [("__keyspace@tenant7__:k", "set"),
                                            ("__keyevent@tenant7__:set", "k")])
        self.assertEqual(self.drain(theirs), [])


def server_has_pubsub():
    server = dkv_fixture.suite_server(server_binary())
    try:
        server.start()
        c = redis.Redis(host="127.0.0.1", port=server.port)
        try:
            c.execute_command("PUBLISH", "x", "y")
            return True
        except redis.ResponseError:
            return False
        finally:
            c.close()
    finally:
        server.cleanup()


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    if not server_has_pubsub():
        print("skipped: this server has no Pub/Sub yet")
        sys.exit(77)
    unittest.main()
