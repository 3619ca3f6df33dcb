#!/usr/bin/env python3
"""Transactions, scripts and client commands against a real dkv-server (issue 19).

Every command of the server's own table is sent inside MULTI ... EXEC and inside a script's
redis.pcall, each time on a fresh connection, and after each one the server must still answer
PING: no command may stop the server except SHUTDOWN outside MULTI (Redis refuses SHUTDOWN, SAVE
and the other no-multi commands inside MULTI and aborts the EXEC; scripts refuse the noscript
ones). Then what needs a real network: CLIENT PAUSE holding commands without blocking the loop and
releasing them in order, CLIENT REPLY, MONITOR's order for MULTI/EXEC and scripts, CLIENT LIST's
fields and CLIENT KILL's filters."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import ServerTestCase, encode_command, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()


class Closed(Exception):
    """The server closed the connection."""


class Resp:
    """A raw RESP2/RESP3 connection: sends commands, reads whole replies of any type (errors are
    returned as Error values, not raised), so that any reply the server sends can be read."""

    class Error(str):
        pass

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(encode_command(*args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise Closed()
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"("):
            return rest.decode(errors="replace")
        if kind == b"-":
            return Resp.Error(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b",":
            return float(rest) if rest not in (b"inf", b"-inf", b"nan") else rest.decode()
        if kind == b"#":
            return rest == b"t"
        if kind == b"_":
            return None
        if kind in (b"$", b"=", b"!"):
            n = int(rest)
            if n < 0:
                return None
            data = self._bytes(n)
            return Resp.Error(data.decode(errors="replace")) if kind == b"!" else data
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if kind == b"%" or kind == b"|":
            n = int(rest)
            items = [(self.read(), self.read()) for _ in range(n)]
            return None if kind == b"|" else dict((repr(k), v) for k, v in items)
        raise AssertionError("unexpected reply line %r" % line)


def all_commands(port):
    """Every row of the server's table, by full name ("client|list"), with its arity: from
    COMMAND, whose entries list their subcommands."""
    c = Resp(port)
    try:
        reply = c.call("COMMAND")
    finally:
        c.close()
    out = {}

    def walk(entry):
        name = entry[0].decode()
        out[name] = entry[1]
        for sub in (entry[9] if len(entry) > 9 else []) or []:
            walk(sub)
    for entry in reply:
        walk(entry)
    return out


# Arguments that make a command do something real but harmless; the others get generic ones.
PLAUSIBLE = {
    "client|pause": ["20", "WRITE"],
    "client|kill": ["ID", "999999"],
    "client|unblock": ["999999"],
    "client|reply": ["ON"],
    "client|setname": ["t"],
    "client|setinfo": ["LIB-NAME", "x"],
    "client|no-evict": ["on"],
    "client|no-touch": ["off"],
    "client|list": [],
    "config|set": ["slowlog-max-len", "128"],
    "config|get": ["maxmemory"],
    "debug": ["HELP"],
    "hello": ["2"],
    "select": ["1"],
    "swapdb": ["0", "1"],
    "move": ["k", "1"],
    "copy": ["k", "k2"],
    "eval": ["return 1", "0"],
    "eval_ro": ["return 1", "0"],
    "evalsha": ["e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    "evalsha_ro": ["e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    "script|load": ["return 1"],
    "set": ["k", "v"],
    "expire": ["k", "100"],
    "getex": ["k", "PERSIST"],
    "shutdown": ["NOSAVE"],
    "acl|cat": [],
    "command|getkeys": ["get", "k"],
    "command|getkeysandflags": ["get", "k"],
    "memory|usage": ["k"],
    "object|encoding": ["k"],
    "lolwut": [],
}
# Never sent, even inside MULTI or a script: they stop or crash a server by design when they
# are allowed to run (a DEBUG subcommand row, if one exists, other than the listed ones).
SAFE_DEBUG = {"debug|help", "debug|sleep", "debug|object", "debug|set-active-expire",
              "debug|jmap", "debug|change-repl-id", "debug|stringmatch-len", "debug|listpack",
              "debug|quicklist-packed-threshold", "debug|protocol", "debug|replybuffer"}


def plausible_args(name, arity):
    if name in PLAUSIBLE:
        return PLAUSIBLE[name]
    words = name.split("|")
    wanted = (arity if arity > 0 else -arity) - len(words)
    return ["k"] * max(wanted, 0)


def command_words(name):
    return name.split("|")


class EveryCommand(ServerTestCase):
    """No command inside MULTI or a script makes the server exit."""

    def assert_alive(self, what):
        c = None
        try:
            c = Resp(self.server.port, timeout=10)
            self.assertEqual(c.call("PING"), "PONG", what)
        except (OSError, Closed) as e:
            self.fail("server gone after %s: %s\n%s" % (what, e, self.server.log_tail()))
        finally:
            if c is not None:
                c.close()

    def commands(self):
        names = all_commands(self.server.port)
        self.assertGreater(len(names), 100)
        for name in sorted(names):
            if name.startswith("debug|") and name not in SAFE_DEBUG:
                continue
            if "|" not in name and any(n.startswith(name + "|") for n in names):
                # A container: its subcommands are sent; the container alone is an arity error.
                continue
            yield name, command_words(name) + plausible_args(name, names[name])

    def test_every_command_inside_multi_exec(self):
        sent = 0
        for name, argv in self.commands():
            c = Resp(self.server.port)
            try:
                self.assertEqual(c.call("MULTI"), "OK")
                c.call(*argv)  # QUEUED, an error, or (QUIT, RESET, ...) its own reply
                try:
                    c.call("EXEC")
                except Closed:
                    pass  # QUIT inside MULTI closes at once, as Redis
            except Closed:
                pass
            finally:
                c.close()
            self.assert_alive("MULTI %s EXEC" % " ".join(argv))
            sent += 1
        self.assertGreater(sent, 100)

    def test_every_command_inside_a_script(self):
        sent = 0
        for name, argv in self.commands():
            c = Resp(self.server.port)
            try:
                # Any reply will do (pcall hands the call's error back as the script's result).
                c.call("EVAL", "return redis.pcall(unpack(ARGV))", "0", *argv)
            except Closed:
                self.fail("EVAL of %s closed the connection" % name)
            finally:
                c.close()
            self.assert_alive("EVAL redis.pcall(%s)" % " ".join(argv))
            sent += 1
        self.assertGreater(sent, 100)

    def test_no_multi_commands_abort_the_transaction(self):
        for argv in (["SHUTDOWN"], ["SHUTDOWN", "NOSAVE"], ["SAVE"]):
            c = Resp(self.server.port)
            try:
                self.assertEqual(c.call("SET", "survivor", "1"), "OK")
                self.assertEqual(c.call("MULTI"), "OK")
                self.assertEqual(c.call(*argv),
                                 "ERR Command not allowed inside a transaction")
                self.assertEqual(c.call("SET", "survivor", "2"), "QUEUED")
                self.assertEqual(c.call("EXEC"),
                                 "EXECABORT Transaction discarded because of previous errors.")
                self.assertEqual(c.call("GET", "survivor"), b"1")
            finally:
                c.close()
            self.assert_alive(" ".join(argv) + " inside MULTI")

    def test_shutdown_inside_a_script_is_refused(self):
        c = Resp(self.server.port)
        try:
            reply = c.call("EVAL", "return redis.pcall('shutdown', 'nosave')", "0")
            self.assertEqual(reply, "ERR This Redis command is not allowed from script")
            reply = c.call("EVAL", "return redis.call('shutdown')", "0")
            self.assertIsInstance(reply, Resp.Error)
            self.assertIn("This Redis command is not allowed from script", reply)
        finally:
            c.close()
        self.assert_alive("SHUTDOWN inside a script")

    def test_transaction_commands_inside_multi(self):
        c = Resp(self.server.port)
        try:
            self.assertEqual(c.call("MULTI"), "OK")
            self.assertEqual(c.call("MULTI"), "ERR MULTI calls can not be nested")
            self.assertEqual(c.call("WATCH", "x"), "ERR WATCH inside MULTI is not allowed")
            self.assertEqual(c.call("UNWATCH"), "QUEUED")
            self.assertEqual(c.call("PING"), "QUEUED")
            # The errors above ran at once (they were not queued): the EXEC still runs.
            self.assertEqual(c.call("EXEC"), ["OK", "PONG"])
        finally:
            c.close()


class ClientCommands(ServerTestCase):
    def connect(self):
        return Resp(self.server.port)

    def setUp(self):
        self.r.execute_command("CLIENT", "UNPAUSE")
        self.r.flushall()

    def test_pause_write_holds_writes_not_reads_and_releases_in_order(self):
        a, b, admin = self.connect(), self.connect(), self.connect()
        try:
            self.assertEqual(admin.call("CLIENT", "PAUSE", "100000", "WRITE"), "OK")
            a.send("SET", "order", "a")
            time.sleep(0.05)
            b.send("APPEND", "order", "b")
            time.sleep(0.05)
            # Reads are served meanwhile, and the loop is not blocked.
            self.assertEqual(admin.call("GET", "order"), None)
            self.assertEqual(admin.call("PING"), "PONG")
            flags = admin.call("CLIENT", "LIST").decode()
            self.assertEqual(flags.count("flags=b"), 2, flags)
            a.sock.settimeout(0.2)
            with self.assertRaises(socket.timeout):
                a.sock.recv(1)
            a.sock.settimeout(10)
            self.assertEqual(admin.call("CLIENT", "UNPAUSE"), "OK")
            self.assertEqual(a.read(), "OK")
            self.assertEqual(b.read(), 2)
            self.assertEqual(admin.call("GET", "order"), b"ab")
        finally:
            for c in (a, b, admin):
                c.close()

    def test_pause_write_holds_scripts_and_exec_with_writes(self):
        c, admin = self.connect(), self.connect()
        try:
            self.assertEqual(admin.call("CLIENT", "PAUSE", "100000", "WRITE"), "OK")
            self.assertEqual(c.call("EVAL_RO", "return 1", "0"), 1)
            self.assertEqual(c.call("MULTI"), "OK")
            self.assertEqual(c.call("GET", "x"), "QUEUED")
            self.assertEqual(c.call("EXEC"), [None])
            c.send("EVAL", "return redis.call('set', 'x', 1)", "0")
            time.sleep(0.1)
            self.assertEqual(admin.call("EXISTS", "x"), 0)
            self.assertEqual(admin.call("CLIENT", "UNPAUSE"), "OK")
            self.assertEqual(c.read(), "OK")
        finally:
            c.close()
            admin.close()

    def test_pause_all_ends_by_itself(self):
        c, admin = self.connect(), self.connect()
        try:
            self.assertEqual(admin.call("CLIENT", "PAUSE", "300"), "OK")
            start = time.monotonic()
            self.assertEqual(c.call("PING"), "PONG")
            self.assertGreater(time.monotonic() - start, 0.2)
        finally:
            c.close()
            admin.close()

    def test_paused_keys_do_not_expire(self):
        c = self.connect()
        try:
            before = int(self.r.info("stats")["expired_keys"])
            self.assertEqual(c.call("SET", "soon", "1", "PX", "20"), "OK")
            self.assertEqual(c.call("CLIENT", "PAUSE", "100000", "WRITE"), "OK")
            time.sleep(0.3)
            self.assertIsNone(c.call("GET", "soon"))
            self.assertEqual(int(self.r.info("stats")["expired_keys"]), before)
            self.assertEqual(c.call("CLIENT", "UNPAUSE"), "OK")
            self.assertTrue(wait_for(
                lambda: int(self.r.info("stats")["expired_keys"]) == before + 1, timeout=5))
        finally:
            c.close()

    def test_ttl_type_exists_leave_the_access_time_alone(self):
        # As Redis (OBJECT IDLETIME): looking at a key's TTL, type or existence is no access.
        c = self.connect()
        try:
            c.call("SET", "idle-key", "v")
            time.sleep(2.2)
            for command in ("TTL", "TYPE", "EXISTS"):
                c.call(command, "idle-key")
            self.assertGreaterEqual(c.call("OBJECT", "IDLETIME", "idle-key"), 2)
            c.call("GET", "idle-key")
            self.assertEqual(c.call("OBJECT", "IDLETIME", "idle-key"), 0)
        finally:
            c.close()

    def test_client_reply_off_skip_on(self):
        c = self.connect()
        try:
            c.send("CLIENT", "REPLY", "OFF")
            c.send("SET", "a", "1")
            c.send("CLIENT", "REPLY", "ON")
            self.assertEqual(c.read(), "OK")  # only ON's own reply
            c.send("CLIENT", "REPLY", "SKIP")
            c.send("SET", "b", "2")
            c.send("GET", "a")
            self.assertEqual(c.read(), b"1")
            self.assertEqual(c.call("GET", "b"), b"2")
        finally:
            c.close()

    def test_monitor_shows_multi_exec_and_scripts_in_order(self):
        mon, c = self.connect(), self.connect()
        try:
            self.assertEqual(mon.call("MONITOR"), "OK")
            c.call("MULTI")
            c.call("SET", "foo", "bar")
            c.call("EXEC")
            c.call("EVAL", "redis.call('set', KEYS[1], 'x') return 1", "1", "bar")
            c.call("FUNCTION", "LOAD", "REPLACE",
                   "#!lua name=monlib\nredis.register_function('monfn', function(keys)"
                   " return redis.call('set', keys[1], 'y') end)")
            c.call("FCALL", "monfn", "1", "baz")
            lines = [mon.read().lower() for _ in range(8)]
            self.assertIn('"multi"', lines[0])
            self.assertIn('"set" "foo" "bar"', lines[1])
            self.assertIn('"exec"', lines[2])
            self.assertIn('"eval"', lines[3])
            self.assertIn('[0 lua] "set" "bar" "x"', lines[4])
            self.assertNotIn("lua", lines[3])
            # A function call too: FCALL, then its commands (Redis' order), each shown once.
            self.assertIn('"function" "load"', lines[5])
            self.assertIn('"fcall" "monfn" "1" "baz"', lines[6])
            self.assertIn('[0 lua] "set" "baz" "y"', lines[7])
        finally:
            mon.close()
            c.close()

    def test_client_list_fields(self):
        c = self.connect()
        try:
            line = c.call("CLIENT", "INFO").decode().strip()
            fields = [f.split("=", 1)[0] for f in line.split(" ")]
            self.assertEqual(fields, [
                "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp",
                "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp",
                "lib-name", "lib-ver"])
            self.assertIn(" cmd=client|info ", line)
            self.assertIn(" qbuf=26 ", line)
            self.assertIn(" multi=-1 ", line)
            self.assertIn(" events=r ", line)
            c.call("MULTI")
            c.call("SET", "k", "v")
            c.call("GET", "k")
            other = self.connect()
            try:
                mine = c.call("CLIENT", "ID")  # queued
                self.assertEqual(mine, "QUEUED")
                listing = other.call("CLIENT", "LIST").decode()
                me = [ln for ln in listing.splitlines() if " cmd=client|id " in ln]
                self.assertEqual(len(me), 1, listing)
                self.assertIn(" flags=x ", me[0])
                self.assertIn(" multi=3 ", me[0])
            finally:
                other.close()
            c.call("DISCARD")
        finally:
            c.close()

    def test_client_kill_filters(self):
        victim, killer = self.connect(), self.connect()
        try:
            victim_id = victim.call("CLIENT", "ID")
            self.assertEqual(killer.call("CLIENT", "KILL", "ID", str(victim_id)), 1)
            with self.assertRaises(Closed):
                victim.call("PING")
            self.assertEqual(killer.call("CLIENT", "KILL", "ID", "0"),
                             "ERR client-id should be greater than 0")
            self.assertEqual(killer.call("CLIENT", "KILL", "USER", "nobody"),
                             "ERR No such user 'nobody'")
            self.assertEqual(killer.call("CLIENT", "KILL", "1.2.3.4:5"), "ERR No such client")
            # SKIPME yes (the default) spares the caller.
            mine = killer.call("CLIENT", "INFO").decode()
            addr = mine.split(" addr=", 1)[1].split(" ", 1)[0]
            self.assertEqual(killer.call("CLIENT", "KILL", "ADDR", addr), 0)
            self.assertEqual(killer.call("PING"), "PONG")
        finally:
            victim.close()
            killer.close()


if __name__ == "__main__":
    dkv_fixture.take_server_argument()
    unittest.main()
