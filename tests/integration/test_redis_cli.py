#!/usr/bin/python3
"""redis-cli (Debian's redis-tools) against a real dkv-server: one-shot commands, --pipe mass
insertion, --scan with a pattern, RESP3 (-3), and COMMAND DOCS, which interactive redis-cli reads
for its hints. Uses the server fixture of tests/pylib/dkv_fixture.py; DKV_SERVER names the
binary."""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

REDIS_CLI = shutil.which("redis-cli")


@unittest.skipIf(REDIS_CLI is None, "redis-cli is not installed (scripts/setup installs it)")
class RedisCli(ServerTestCase):
    def cli(self, *args, stdin=None):
        out = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.server.port), *args],
                             input=stdin, capture_output=True, timeout=30, check=True)
        return out.stdout.decode()

    def setUp(self):
        self.cli("FLUSHALL")

    def test_one_shot_commands(self):
        self.assertEqual(self.cli("SET", "app.config.database.host", "db1", "EX", "100"), "OK\n")
        self.assertEqual(self.cli("GET", "app.config.database.host"), "db1\n")
        self.assertEqual(self.cli("INCRBY", "hits", "41"), "41\n")
        self.assertEqual(self.cli("INCR", "hits"), "42\n")
        self.assertEqual(self.cli("--no-raw", "GET", "missing"), "(nil)\n")
        self.assertIn("ERR unknown command 'NOPE'", self.cli("NOPE"))

    def test_pipe_mass_insertion(self):
        commands = "".join(f"SET key:{i} value:{i}\r\n" for i in range(5000)).encode()
        out = self.cli("--pipe", stdin=commands)
        self.assertIn("errors: 0, replies: 5000", out)
        self.assertEqual(self.cli("DBSIZE"), "5000\n")

    def test_scan_with_pattern(self):
        for i in range(300):
            self.cli("SET", f"app.tenant{i % 3}.user{i}", "x")
        keys = set(self.cli("--scan", "--pattern", "app.tenant1.*").split())
        self.assertEqual(keys, {f"app.tenant1.user{i}" for i in range(1, 300, 3)})

    def test_resp3_replies(self):
        out = self.cli("-3", "HELLO", "3")
        self.assertIn("proto", out)
        self.assertEqual(self.cli("-3", "--no-raw", "GET", "missing"), "(nil)\n")

    def test_command_docs_for_interactive_hints(self):
        out = self.cli("COMMAND", "DOCS", "set")
        lines = out.split("\n")
        self.assertEqual(lines[0], "set")
        self.assertIn("summary", lines)
        self.assertEqual(lines[lines.index("group") + 1], "string")


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    unittest.main()
