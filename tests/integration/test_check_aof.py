#!/usr/bin/python3
"""dkv-check-aof on append-only logs this test writes itself: a valid log (manifest, base,
incremental files, annotations), the directory or the manifest or one file as argument, a
truncated last file and --fix, truncation in a file that is not the last, damage in the middle
(never fixed), a missing file, a bad manifest, a damaged base, --help and usage errors.

The base file is a real snapshot made by a dkv-server (SAVE). dkv-check-aof is taken from the
directory of DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py.

    /usr/bin/python3 tests/integration/test_check_aof.py build/asan/src/dkv-server -v
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import Server, server_binary  # noqa: E402

NAME = "appendonly.aof"


def tool():
    return os.path.join(os.path.dirname(os.path.realpath(server_binary())), "dkv-check-aof")


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def run(*args):
    p = subprocess.run([tool()] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


BASE_SNAPSHOT = None  # bytes of a snapshot with 3 keys, made once


def make_base():
    global BASE_SNAPSHOT
    if BASE_SNAPSHOT is None:
        server = Server(server_binary(), ["--save", ""], prefix="dkv-check-aof-")
        try:
            server.start()
            c = redis.Redis(host="127.0.0.1", port=server.port)
            c.set("a", "1")
            c.hset("h", "f", "v")
            c.rpush("l", "x", "y")
            c.save()
            with open(os.path.join(server.dir, "dump.dkv"), "rb") as f:
                BASE_SNAPSHOT = f.read()
        finally:
            server.stop()
            server.cleanup()
    return BASE_SNAPSHOT


class CheckAofTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dkv-check-aof-")
        self.incr1 = cmd("SELECT", 0) + b"#TS:1733650000\r\n" + cmd("SET", "k", "v") + \
            cmd("INCR", "n")
        self.incr2 = cmd("MULTI") + cmd("HSET", "h", "g", "w" * 1000) + cmd("EXEC")
        self.write_log(self.incr1, self.incr2)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)

    def write_log(self, incr1, incr2, base=True):
        lines = []
        if base:
            self.write(NAME + ".1.base.dkv", make_base())
            lines.append("file %s.1.base.dkv seq 1 type b\n" % NAME)
        lines.append("file %s.1.incr.aof seq 1 type h\n" % NAME)  # history: not checked
        lines.append("file %s.2.incr.aof seq 2 type i\n" % NAME)
        lines.append("file %s.3.incr.aof seq 3 type i\n" % NAME)
        self.write(NAME + ".2.incr.aof", incr1)
        self.write(NAME + ".3.incr.aof", incr2)
        self.write(NAME + ".manifest", "".join(lines).encode())

    def test_valid_log(self):
        for target in (self.dir, self.dir + "/", self.path(NAME + ".manifest")):
            code, out = run(target)
            self.assertEqual(code, 0, out)
            self.assertIn("%s.1.base.dkv (base): ok, 3 keys" % NAME, out)
            self.assertIn("%s.2.incr.aof (incremental): ok, 3 commands" % NAME, out)
            self.assertIn("%s.3.incr.aof (incremental): ok, 3 commands" % NAME, out)
            self.assertIn("1 history files not checked", out)
            self.assertIn("The append-only log is valid.", out)
        # One file alone: an incremental file, and the base (a snapshot).
        code, out = run(self.path(NAME + ".2.incr.aof"))
        self.assertEqual(code, 0, out)
        self.assertIn("ok, 3 commands", out)
        code, out = run(self.path(NAME + ".1.base.dkv"))
        self.assertEqual(code, 0, out)
        self.assertIn("ok, 3 keys", out)
        # No base is fine (a log started without one); an empty incremental file too.
        os.remove(self.path(NAME + ".1.base.dkv"))
        self.write_log(self.incr1, b"", base=False)
        code, out = run(self.dir)
        self.assertEqual(code, 0, out)
        self.assertIn("no base file", out)
        self.assertIn("3.incr.aof (incremental): ok, 0 commands", out)

    def test_truncated_last_file_and_fix(self):
        cut = len(self.incr2) - 7
        self.write_log(self.incr1, self.incr2[:cut])
        valid = len(cmd("MULTI") + cmd("HSET", "h", "g", "w" * 1000))
        code, out = run(self.dir)
        self.assertEqual(code, 1, out)
        self.assertIn("3.incr.aof (incremental): truncated", out)
        self.assertIn("2 whole commands, up to offset %d of %d bytes" % (valid, cut), out)
        self.assertIn("run with --fix to cut it at offset %d" % valid, out)
        self.assertEqual(os.path.getsize(self.path(NAME + ".3.incr.aof")), cut)  # untouched
        code, out = run("--fix", self.dir)
        self.assertEqual(code, 0, out)
        self.assertIn("fixed: cut %s.3.incr.aof from %d to %d bytes" % (NAME, cut, valid), out)
        self.assertEqual(os.path.getsize(self.path(NAME + ".3.incr.aof")), valid)
        code, out = run(self.dir)
        self.assertEqual(code, 0, out)
        self.assertIn("3.incr.aof (incremental): ok, 2 commands", out)
        # A single file with --fix, cut inside an annotation.
        self.write("one.aof", cmd("SET", "a", "b") + b"#TS:12")
        code, out = run("--fix", self.path("one.aof"))
        self.assertEqual(code, 0, out)
        self.assertEqual(os.path.getsize(self.path("one.aof")), len(cmd("SET", "a", "b")))

    def test_truncated_file_that_is_not_the_last(self):
        self.write_log(self.incr1[:-3], self.incr2)
        code, out = run("--fix", self.dir)
        self.assertEqual(code, 1, out)
        self.assertIn("2.incr.aof (incremental): truncated", out)
        self.assertIn("not the last file of the log", out)
        self.assertEqual(os.path.getsize(self.path(NAME + ".2.incr.aof")), len(self.incr1) - 3)
        self.assertIn("3.incr.aof (incremental): ok", out)
        self.assertIn("NOT VALID", out)

    def test_damaged_middle_is_not_fixed(self):
        first = cmd("SET", "k", "v")
        damaged = first + b"x" + cmd("SET", "k2", "v2")
        self.write_log(self.incr1, damaged)
        for args in ((self.dir,), ("--fix", self.dir)):
            code, out = run(*args)
            self.assertEqual(code, 1, out)
            self.assertIn("unexpected byte 'x' at offset %d, expected '*'" % len(first), out)
            self.assertIn("1 whole commands before it", out)
            self.assertIn("is not fixed", out)
        with open(self.path(NAME + ".3.incr.aof"), "rb") as f:
            self.assertEqual(f.read(), damaged)

    def test_missing_file_bad_manifest_damaged_base(self):
        os.remove(self.path(NAME + ".2.incr.aof"))
        code, out = run(self.dir)
        self.assertEqual(code, 1, out)
        self.assertIn("2.incr.aof (incremental): missing", out)
        self.write_log(self.incr1, self.incr2)
        self.write(NAME + ".manifest", b"file x seq 1 type b\nfile y seq 2 type z\n")
        code, out = run(self.dir)
        self.assertEqual(code, 1, out)
        self.assertIn("line 2: unknown file type 'z'", out)
        self.write_log(self.incr1, self.incr2)
        base = bytearray(make_base())
        base[len(base) // 2] ^= 0xFF
        self.write(NAME + ".1.base.dkv", bytes(base))
        code, out = run(self.dir)
        self.assertEqual(code, 1, out)
        self.assertIn("1.base.dkv (base): damaged", out)
        self.assertIn("offset", out)
        # An empty directory: no manifest.
        empty = tempfile.mkdtemp(prefix="dkv-check-aof-empty-", dir=self.dir)
        code, out = run(empty)
        self.assertEqual(code, 1, out)
        self.assertIn("no manifest", out)

    def test_help_and_usage(self):
        code, out = run("--help")
        self.assertEqual(code, 0)
        self.assertIn("Usage: dkv-check-aof [--fix]", out)
        self.assertIn("--fix", out)
        self.assertEqual(run()[0], 2)
        self.assertEqual(run("--bogus", self.dir)[0], 2)
        self.assertEqual(run(self.dir, self.dir)[0], 2)
        code, out = run(self.path("nothing-here"))
        self.assertEqual(code, 1)
        self.assertIn("can't open", out)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()
    unittest.main()
