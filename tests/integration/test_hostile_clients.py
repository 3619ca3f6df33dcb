#!/usr/bin/env python3
"""Hostile clients against a real dkv-server (issue 24): an HTTP request sent to the RESP port
is refused before any line of it runs, and requests announcing huge bulks they never send cost no
memory and no stall. Each test failed on the server before the fix."""

import os
import socket
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

# A SET announcing a 512 MB value; one byte of it follows in a later packet (the read that
# brings it is where the old server made room for the whole announced length).
HUGE_BULK_HEADER = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n"


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def read_until_closed(sock, timeout=10.0):
    """Everything the server sends until it closes the connection (b"" if it sends nothing)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:  # closed with our bytes unread
            return data
        if not chunk:
            return data
        data += chunk


class CrossProtocol(ServerTestCase):
    def connect(self):
        return socket.create_connection(("127.0.0.1", self.server.port), timeout=10)

    def attacks(self):
        return int(self.r.info("stats")["cross_protocol_attacks"])

    def test_http_post_with_commands_in_its_body_runs_nothing(self):
        before = self.attacks()
        with self.connect() as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\n"
                      b"Content-Type: text/plain\r\nContent-Length: 35\r\n\r\n"
                      b"SET xproto.post pwned\r\nFLUSHALL\r\n")
            self.assertEqual(read_until_closed(s), b"")
        self.r.set("xproto.canary", "1")
        self.assertIsNone(self.r.get("xproto.post"))
        self.assertEqual(self.r.get("xproto.canary"), b"1")  # FLUSHALL did not run either
        self.assertEqual(self.attacks(), before + 1)
        self.assertTrue(wait_for(lambda: "Possible SECURITY ATTACK" in self.server.log_tail(50),
                                 timeout=5), self.server.log_tail())

    def test_host_header_after_a_get_line_closes_the_connection(self):
        # A GET request line is a wrong-arity GET; the Host: line that follows ends it all.
        before = self.attacks()
        with self.connect() as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nhOsT: evil.example\r\n\r\n"
                      b"SET xproto.host pwned\r\n")
            reply = read_until_closed(s)
        self.assertNotIn(b"+OK", reply)
        self.assertIsNone(self.r.get("xproto.host"))
        self.assertEqual(self.attacks(), before + 1)

    def test_post_as_a_multibulk_command_is_refused_too(self):
        with self.connect() as s:
            s.sendall(b"*1\r\n$4\r\npost\r\n*3\r\n$3\r\nSET\r\n$10\r\nxproto.mbk\r\n$1\r\nv\r\n")
            self.assertEqual(read_until_closed(s), b"")
        self.assertIsNone(self.r.get("xproto.mbk"))

    def test_replies_pending_with_the_prelude_are_dropped_and_other_clients_go_on(self):
        # As in Redis, a connection closed for the attack gets none of its pending replies.
        with self.connect() as s:
            s.sendall(b"SET xproto.before 1\r\nPOST / HTTP/1.1\r\nSET xproto.after 1\r\n")
            self.assertEqual(read_until_closed(s), b"")
        self.assertEqual(self.r.get("xproto.before"), b"1")
        self.assertIsNone(self.r.get("xproto.after"))
        self.assertTrue(self.r.ping())


class AnnouncedHugeBulks(ServerTestCase):
    def test_announced_bulks_never_sent_cost_no_memory(self):
        pid = self.server.proc.pid
        self.assertTrue(self.r.ping())
        base = rss_bytes(pid)
        socks = []
        try:
            for _ in range(4):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                s.sendall(HUGE_BULK_HEADER)
                socks.append(s)
            time.sleep(0.1)
            for s in socks:
                s.sendall(b"x")
            # Every client's bytes have been read once another client's PING is answered after
            # theirs; then the server has done all it will do for them.
            for _ in range(20):
                self.assertTrue(self.r.ping())
            time.sleep(0.3)
            self.assertTrue(self.r.ping())
            grown = rss_bytes(pid) - base
            # Before the fix each announced bulk was zero-filled: 512 MB of RSS per client.
            self.assertLess(grown, 64 * 2**20, "RSS grew by %d bytes" % grown)
            info = self.r.info("clients")
            self.assertGreaterEqual(int(info["connected_clients"]), 5)
        finally:
            for s in socks:
                s.close()

    def test_a_large_value_sent_in_pieces_arrives_whole(self):
        # The buffer grows as the bytes come: a 24 MB value in 1 MB writes, with pauses.
        value = bytes(range(256)) * (24 * 4096)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$8\r\nhuge.val\r\n$%d\r\n" % len(value))
            for i in range(0, len(value), 1 << 20):
                s.sendall(value[i:i + (1 << 20)])
                if i % (8 << 20) == 0:
                    time.sleep(0.05)
            s.sendall(b"\r\n")
            self.assertEqual(s.recv(16), b"+OK\r\n")
        got = self.r.get("huge.val")
        self.assertEqual(len(got), len(value))
        self.assertEqual(got, value)
        self.r.delete("huge.val")

    def test_the_query_buffer_limit_still_closes_a_client_that_sends_too_much(self):
        old = self.r.config_get("client-query-buffer-limit")["client-query-buffer-limit"]
        self.r.config_set("client-query-buffer-limit", str(2 * 2**20))
        try:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
                s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$%d\r\n" % (8 * 2**20))
                try:
                    for _ in range(8):
                        s.sendall(b"y" * 2**20)
                except OSError:
                    pass  # closed by the server: what this test expects
                self.assertEqual(read_until_closed(s, timeout=30), b"")
            self.assertIsNone(self.r.get("q"))
        finally:
            self.r.config_set("client-query-buffer-limit", old)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main()
