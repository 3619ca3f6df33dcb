#!/usr/bin/python3
"""Redis 7 functions through a real server: FUNCTION LOAD, FCALL/FCALL_RO, LIST, DUMP/RESTORE,
STATS, KILL and the libraries' persistence in the snapshot across a restart.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py.

    /usr/bin/python3 tests/integration/test_functions.py build/asan/src/dkv-server -v
"""

import os
import sys
import threading
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import Server, server_binary, wait_for  # noqa: E402

dkv_fixture.take_server_argument()

LIB = """#!lua name=mylib
local function incr(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end
redis.register_function('my_incr', incr)
redis.register_function{function_name='my_get', callback=function(keys)
  return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}
"""

SPIN = """#!lua name=spin
redis.register_function{function_name='spin', callback=function()
  local a = 1 while true do a = a + 1 end end, flags={'no-writes'}}
"""


class FunctionsTest(unittest.TestCase):
    def setUp(self):
        binary = server_binary()
        if binary is None:
            raise RuntimeError("set DKV_SERVER to the dkv-server binary")
        self.server = Server(binary, ["--save", "3600 1"], prefix="dkv-functions-")
        self.server.start()
        self.r = self.client()

    def tearDown(self):
        self.r.close()
        self.server.cleanup()

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=30)

    def test_load_call_list(self):
        self.assertEqual(self.r.function_load(LIB), b"mylib")
        self.assertEqual(self.r.fcall("my_incr", 1, "n", 5), 5)
        self.assertEqual(self.r.fcall_ro("my_get", 1, "n"), b"5")
        with self.assertRaisesRegex(redis.ResponseError, r"\*_ro command"):
            self.r.fcall_ro("my_incr", 1, "n", 1)
        with self.assertRaisesRegex(redis.ResponseError, "already exists"):
            self.r.function_load(LIB)
        libs = self.r.execute_command("FUNCTION", "LIST", "WITHCODE")
        self.assertEqual(len(libs), 1)
        entry = dict(zip(libs[0][::2], libs[0][1::2]))
        self.assertEqual(entry[b"library_name"], b"mylib")
        self.assertEqual(entry[b"engine"], b"LUA")
        self.assertEqual(entry[b"library_code"], LIB.encode())
        functions = {f[1]: f for f in entry[b"functions"]}
        self.assertEqual(functions[b"my_get"][3], b"reads")
        self.assertEqual(functions[b"my_get"][5], [b"no-writes"])

    def test_dump_and_restore(self):
        self.r.function_load(LIB)
        payload = self.r.function_dump()
        self.r.function_flush()
        self.assertEqual(self.r.execute_command("FUNCTION", "LIST"), [])
        self.assertTrue(self.r.function_restore(payload))
        self.assertEqual(self.r.fcall("my_incr", 1, "n", 2), 2)
        with self.assertRaisesRegex(redis.ResponseError, "Library mylib already exists"):
            self.r.function_restore(payload)
        damaged = payload[:-1] + bytes([payload[-1] ^ 1])
        with self.assertRaisesRegex(redis.ResponseError, "checksum"):
            self.r.function_restore(damaged, "FLUSH")
        self.assertEqual(self.r.fcall("my_incr", 1, "n", 2), 4)

    def test_libraries_survive_a_restart(self):
        self.r.function_load(LIB)
        self.assertTrue(self.r.save())
        self.r.close()
        self.server.stop()
        self.server.start()
        self.r = self.client()
        self.assertEqual(self.r.fcall("my_incr", 1, "n", 3), 3)
        stats = self.r.execute_command("FUNCTION", "STATS")
        self.assertEqual(stats[3], [b"LUA", [b"libraries_count", 1, b"functions_count", 2]])
        # A flush is saved too: the next start has no libraries.
        self.r.function_flush()
        self.assertTrue(self.r.save())
        self.r.close()
        self.server.stop()
        self.server.start()
        self.r = self.client()
        self.assertEqual(self.r.execute_command("FUNCTION", "LIST"), [])

    def test_function_kill_and_busy(self):
        self.r.config_set("busy-reply-threshold", 50)
        self.r.function_load(SPIN)
        errors = []

        def run():
            c = self.client()
            try:
                c.fcall("spin", 0)
            except redis.ResponseError as e:
                errors.append(str(e))
            finally:
                c.close()

        t = threading.Thread(target=run)
        t.start()
        try:
            def busy():
                try:
                    self.r.ping()
                    return False
                except redis.exceptions.BusyLoadingError:
                    return False
                except redis.ResponseError as e:
                    return "FUNCTION KILL" in str(e)
            self.assertTrue(wait_for(busy, timeout=10))
            running = self.r.execute_command("FUNCTION", "STATS")[1]
            self.assertEqual(running[1], b"spin")
            with self.assertRaisesRegex(redis.ResponseError, "^BUSY|FUNCTION KILL"):
                self.r.execute_command("SCRIPT", "KILL")
            self.assertTrue(self.r.execute_command("FUNCTION", "KILL"))
        finally:
            t.join(30)
        self.assertTrue(self.r.ping())
        self.assertEqual(len(errors), 1)
        self.assertIn("Script killed by user", errors[0])


if __name__ == "__main__":
    unittest.main()
