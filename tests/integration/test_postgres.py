#!/usr/bin/python3
"""The PostgreSQL backend through a real server and a real PostgreSQL: round trips through
restarts, 100,000 acknowledged writes surviving kill -9 under sync durability, async commits at
shutdown, an outage in the middle of a run, an unreachable PostgreSQL at start, range deletes.

Needs DKV_PG_DSN (a libpq connection string) and DKV_PG_DIR (the cluster directory of
scripts/pg-cluster, to stop and start PostgreSQL mid-run); scripts/test sets both. Without them
the suite exits 77, which ctest reports as skipped.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import (REPO_ROOT, Server, assert_promtool_accepts, free_port,  # noqa: E402
                         server_binary)
from dkv_fixture import wait_for as shared_wait_for  # noqa: E402

DSN = os.environ.get("DKV_PG_DSN", "")
PG_DIR = os.environ.get("DKV_PG_DIR", "")
PG_CLUSTER = os.path.join(REPO_ROOT, "scripts", "pg-cluster")


def psql(sql):
    out = subprocess.run(["psql", DSN, "-At", "-c", sql], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def wait_for(predicate, timeout=30.0, step=0.05):
    return shared_wait_for(predicate, timeout, step)


# The backends that wait for a lock another session holds.
LOCK_WAITERS = "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"


@contextlib.contextmanager
def table_locked(table):
    """Holds ACCESS EXCLUSIVE on `table` (reads and writes of it wait) until the block ends."""
    locker = subprocess.Popen(["psql", DSN, "-Atq"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        locker.stdin.write(f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; "
                           "SELECT 'locked';\n")
        locker.stdin.flush()
        if locker.stdout.readline().strip() != "locked":
            raise RuntimeError(f"could not lock {table}")
        yield
        locker.stdin.write("COMMIT;\n")
        locker.stdin.close()
        locker.wait(timeout=30)
    finally:
        if locker.poll() is None:
            locker.kill()
            locker.wait(timeout=30)
        locker.stdout.close()


class PgServer(Server):
    """dkv-server on the PostgreSQL backend, table `table`, no save schedule; `options` after
    (change them between restarts)."""

    def __init__(self, binary, table, options=()):
        super().__init__(binary, save_off=True, prefix="dkv-test-")
        self.table = table
        self.options = options

    @property
    def options(self):
        return self.args[6:]

    @options.setter
    def options(self, value):
        self.args = ["--persistence.backend", "postgres", "--postgres.dsn", DSN,
                     "--postgres.table", self.table] + list(value)


class PostgresBackend(unittest.TestCase):
    def start(self, table, *options):
        self.server = PgServer(server_binary(), table, options)
        self.server.start()
        self.r = self.client()
        return self.r

    def restart(self, kill=True, options=None):
        self.r.close()
        if kill:
            self.server.kill9()
        else:
            self.server.stop()
        if options is not None:
            self.server.options = list(options)
        self.server.start()
        self.r = self.client()

    def client(self):
        """A new connection to the server under test."""
        return redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=60)

    def info(self):
        return self.r.info("persistence")

    def log(self):
        """The server's log so far (every start of this test)."""
        with open(self.server.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def tearDown(self):
        if getattr(self, "r", None) is not None:
            self.r.close()
        if getattr(self, "server", None) is not None:
            self.server.cleanup()

    def test_values_metadata_ttls_and_namespaces_survive_kill_9_under_sync(self):
        psql("DROP TABLE IF EXISTS t_roundtrip")
        r = self.start("t_roundtrip", "--postgres.durability", "sync")
        binary = bytes(range(256))
        r.set("plain", "v")
        r.set(b"bin\x00\xffkey", binary)
        r.set("ttl", "x", ex=1000)
        r.incrby("counter", 41)
        r.incr("counter")
        r.execute_command("KV.SET", "app.config.db", '{"host":"h"}', "TYPE", "json", "META",
                          "owner", "ops", "content_type", "application/json")
        r.set("nulmeta", "v")
        r.execute_command("KV.SETMETA", "nulmeta", "f", "a\x00b")   # jsonb holds no NUL
        r.append("appended", "ab")
        r.append("appended", "cd")
        r3 = redis.Redis(host="127.0.0.1", port=self.server.port, db=3)
        r3.set("in.db3", "three")
        r3.close()
        meta = r.execute_command("KV.META", "app.config.db")
        self.assertEqual(psql("SELECT count(*) FROM t_roundtrip"), "8")
        self.restart()
        r = self.r
        self.assertEqual(r.get("plain"), b"v")
        self.assertEqual(r.get(b"bin\x00\xffkey"), binary)
        self.assertTrue(990 <= r.ttl("ttl") <= 1000)
        self.assertEqual(r.get("counter"), b"42")
        self.assertEqual(r.execute_command("KV.META", "app.config.db"), meta)
        self.assertEqual(r.object("encoding", "appended"), b"raw")
        self.assertEqual(redis.Redis(host="127.0.0.1", port=self.server.port, db=3)
                         .get("in.db3"), b"three")
        self.assertEqual(self.info()["pg_keys_loaded"], 8)
        # The NUL became U+FFFD (documented); the row did not block the batches.
        self.assertEqual(r.execute_command("KV.META", "nulmeta")[-1], [b"f", "a\ufffdb".encode()])
        # Prefix ranges are byte ranges on the primary key.
        self.assertEqual(psql("SELECT count(*) FROM t_roundtrip WHERE ns = '0' AND "
                              "key >= 'app.'::bytea AND key < 'app/'::bytea"), "1")

    def test_100000_acknowledged_writes_survive_kill_9_under_sync(self):
        psql("DROP TABLE IF EXISTS t_sync")
        r = self.start("t_sync", "--postgres.durability", "sync")
        n = 100000
        for start in range(0, n, 5000):
            pipe = r.pipeline(transaction=False)
            for i in range(start, start + 5000):
                pipe.set(f"k:{i}", f"value-{i}")
            self.assertTrue(all(pipe.execute()))   # every write acknowledged
        self.restart()   # kill -9 right after the last acknowledgement
        self.assertEqual(self.r.dbsize(), n)
        for start in range(0, n, 10000):
            keys = [f"k:{i}" for i in range(start, start + 10000)]
            values = self.r.mget(keys)
            self.assertEqual(values, [f"value-{i}".encode() for i in range(start, start + 10000)])

    def test_rows_stream_in_while_clients_get_loading(self):
        psql("DROP TABLE IF EXISTS t_load")
        self.start("t_load")  # creates the schema
        self.r.close()
        self.server.stop()
        n = 400000
        psql("INSERT INTO t_load (ns, key, value, value_type, meta, version, created_at, "
             "updated_at) SELECT '0', convert_to('load:' || g, 'UTF8'), convert_to('v' || g, "
             f"'UTF8'), 0, '{{}}', 1, now(), now() FROM generate_series(1, {n}) g")
        # Start without waiting for PING: the port opens before the rows are in.
        self.server.spawn()
        replies = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
                    s.sendall(b"GET load:7\r\nINFO persistence\r\n")
                    data = b""
                    while data.count(b"\r\n") < 3:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    replies.append(data)
                    if data.startswith(b"$2\r\nv7"):
                        break
            except OSError:
                time.sleep(0.01)
        self.assertTrue(replies, "the port never opened")
        self.assertTrue(replies[-1].startswith(b"$2\r\nv7"), replies[-1][:80])
        loading = [r for r in replies if r.startswith(b"-LOADING")]
        # Each answer is either -LOADING or the loaded value: never a miss of a partial keyspace.
        self.assertEqual(len(loading) + 1, len(replies), [r[:40] for r in replies])
        self.assertTrue(loading, "no client saw -LOADING (the load finished before the port "
                        "opened?)")
        self.r = self.client()
        self.assertEqual(self.r.dbsize(), n)
        info = self.info()
        self.assertEqual(info["loading"], 0)
        self.assertEqual(info["pg_keys_loaded"], n)
        self.r.set("after.load", "x")  # writes work once loaded
        self.assertTrue(wait_for(lambda: psql(
            "SELECT count(*) FROM t_load WHERE key = 'after.load'::bytea") == "1"))

    def test_async_commits_everything_queued_at_shutdown(self):
        psql("DROP TABLE IF EXISTS t_async")
        r = self.start("t_async", "--postgres.durability", "async",
                       "--postgres.flush-interval", "60000", "--postgres.batch-size", "1000000")
        r.mset({f"a:{i}": i for i in range(2000)})
        self.assertEqual(psql("SELECT count(*) FROM t_async"), "0")   # not yet: 60 s interval
        self.assertGreaterEqual(self.info()["pg_queue_keys"], 2000)
        self.restart(kill=False)   # SIGTERM: the queue is committed before the exit
        self.assertEqual(self.r.dbsize(), 2000)
        self.assertEqual(psql("SELECT count(*) FROM t_async"), "2000")

    def test_a_save_schedule_waits_while_values_are_in_postgres_only_and_never_holds_up_exit(self):
        # A `save` schedule (a snapshot as a backup) with the cache tier: a snapshot would miss
        # the values that are in PostgreSQL only, so the schedule skips its saves (logged once,
        # not at every tick; writes go on), and SIGTERM or SHUTDOWN exits without the final one:
        # PostgreSQL holds the data.
        psql("DROP TABLE IF EXISTS t_sched; DROP TABLE IF EXISTS t_sched_schema")
        r = self.start("t_sched", "--postgres.durability", "sync", "--save", "1 1",
                       "--maxmemory", "12mb", "--maxmemory-policy", "allkeys-lru")
        pipe = r.pipeline(transaction=False)
        for i in range(20000):
            pipe.set(f"s.{i}", b"v" * 1000)
            if i % 500 == 499:
                pipe.execute()   # sync: each 500 committed before the next
        self.assertTrue(wait_for(lambda: self.info()["pg_cold_values"] > 1000))

        saves = self.log().count("Saving...")
        time.sleep(2.5)   # the schedule (1 change in 1 s) is due at every tick of this
        self.assertEqual(self.log().count("Saving..."), saves)
        self.assertEqual(self.log().count("The save schedule is skipped"), 1)
        self.assertEqual(self.info()["rdb_last_bgsave_status"], "ok")
        self.assertTrue(r.set("after", "1"))   # no -MISCONF
        with self.assertRaisesRegex(redis.ResponseError, "Errors trying to SHUTDOWN"):
            r.shutdown(save=True)   # asked for by name: it fails, and the log says why
        proc = self.server.proc
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        self.assertIn("Not saving the final snapshot", self.log())
        self.restart(kill=False)
        self.assertEqual(self.r.get("after"), b"1")
        self.assertEqual(self.r.dbsize(), 20001)
        # After a start the values are in PostgreSQL only: SHUTDOWN exits at once too.
        self.assertGreater(self.info()["pg_cold_values"], 1000)
        proc = self.server.proc
        self.r.shutdown()
        self.assertEqual(proc.wait(timeout=30), 0)

    def test_a_large_value_leaves_no_postgres_buffers_behind(self):
        # libpq keeps a connection's buffers at the largest transfer, and they count in
        # used_memory: a connection that carried a large value (written, or read back) is opened
        # again, so that maxmemory does not lose that much to them for good.
        psql("DROP TABLE IF EXISTS t_bigval; DROP TABLE IF EXISTS t_bigval_schema")
        r = self.start("t_bigval", "--postgres.durability", "sync")
        size = 32 << 20

        def used():
            return r.info("memory")["used_memory"]

        base = used()
        r.set("big", b"x" * size)
        r.delete("big")
        self.assertTrue(wait_for(lambda: used() < base + (4 << 20)), used() - base)
        # Read back: the value is dropped under a maxmemory it does not fit in, then read.
        r.set("big", b"z" * size)
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("maxmemory", str(base + (8 << 20)))
        self.assertTrue(r.set("tick", "1"))
        self.assertTrue(wait_for(lambda: self.info()["pg_cold_values"] == 1))
        self.assertEqual(r.get("big"), b"z" * size)
        self.assertGreaterEqual(self.info()["pg_values_read"], 1)
        # Once it is dropped again, memory is back under maxmemory and writes go on.
        def settled():
            try:
                r.set("tick", "2")
            except redis.ResponseError:   # -OOM while the buffers are held
                return False
            return used() < base + (8 << 20)

        self.assertTrue(wait_for(settled), used() - base)
        self.assertEqual(psql("SELECT octet_length(value) FROM t_bigval WHERE key = 'big'"),
                         str(size))

    def test_an_exit_never_drops_acknowledged_writes_that_postgres_could_not_take(self):
        # SHUTDOWN and SIGTERM commit every queued write first (async durability too). With
        # PostgreSQL down they cannot: the server stays up and serving (SHUTDOWN answers an
        # error), as when a final snapshot fails; it exits once the queue is in, or at a second
        # SIGTERM, which the log says loses them.
        psql("DROP TABLE IF EXISTS t_exit; DROP TABLE IF EXISTS t_exit_schema")
        r = self.start("t_exit", "--postgres.durability", "async",
                       "--postgres.response-timeout", "1000")
        r.set("before", "1")
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0))

        proc = self.server.proc
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            r.set("acked", "1")   # async: acknowledged while PostgreSQL is down
            with self.assertRaisesRegex(redis.ResponseError, "Errors trying to SHUTDOWN"):
                r.shutdown()
            proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(lambda: "received but not exiting" in self.log()))
            self.assertIsNone(proc.poll())
            self.assertEqual(r.get("acked"), b"1")   # still serving
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)
        # PostgreSQL is back: the queue drains, and SHUTDOWN exits.
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0, timeout=60))
        r.shutdown()
        self.assertEqual(proc.wait(timeout=60), 0)
        self.assertEqual(psql("SELECT count(*) FROM t_exit WHERE key IN ('before', 'acked')"),
                         "2")
        # A second SIGTERM exits at once, and says what is lost.
        self.restart(kill=False)
        proc = self.server.proc
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            self.r.set("dropped", "1")
            proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(lambda: self.log().count("received but not exiting") == 2))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
            self.assertIn("1 changes are lost", self.log())
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)

    def _raw_shutdown(self, *options):
        """Sends SHUTDOWN on a connection of its own, whose reply is read by _reply_within."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        words = [b"SHUTDOWN"] + [o.encode() for o in options]
        sock.sendall(b"*%d\r\n" % len(words) +
                     b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words))
        return sock

    @staticmethod
    def _reply_within(sock, seconds):
        """What the server sent within `seconds` (b"" when it closed), or None if nothing."""
        sock.settimeout(seconds)
        try:
            return sock.recv(4096)
        except socket.timeout:
            return None

    def _assert_served_quickly(self, other):
        """PING and GET answer at once on another connection while an exit waits."""
        for call, expected in ((other.ping, True), (lambda: other.get("acked"), b"1")):
            started = time.monotonic()
            self.assertEqual(call(), expected)
            self.assertLess(time.monotonic() - started, 2.0)

    def test_an_exit_waiting_for_postgres_keeps_serving_other_clients(self):
        # SHUTDOWN or SIGTERM during an outage waits for the queue without blocking the loop:
        # other clients are served (writes refused, so the queue only shrinks), SHUTDOWN's own
        # reply waits for the outcome. Before: the loop was blocked for postgres.response-timeout.
        psql("DROP TABLE IF EXISTS t_exitwait")
        r = self.start("t_exitwait", "--postgres.durability", "async",
                       "--postgres.response-timeout", "20000")
        r.mset({f"k{i}": i for i in range(10)})
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0))
        proc = self.server.proc
        other = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=5)
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            r.set("acked", "1")   # async: acknowledged, queued while PostgreSQL is down
            shut = self._raw_shutdown()
            self.assertIsNone(self._reply_within(shut, 1.0))   # no reply while it waits
            self._assert_served_quickly(other)
            with self.assertRaisesRegex(redis.ResponseError, "the server is shutting down"):
                other.set("during", "1")
            self.assertIsNone(other.get("during"))
            self.assertTrue(wait_for(
                lambda: "Waiting for PostgreSQL to commit 1 queued changes" in self.log()))
            self.assertIsNone(proc.poll())
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)
        # PostgreSQL is back: the queue commits, the SHUTDOWN connection closes, exit status 0.
        self.assertEqual(self._reply_within(shut, 60), b"")
        shut.close()
        other.close()
        self.assertEqual(proc.wait(timeout=60), 0)
        self.assertEqual(psql("SELECT count(*) FROM t_exitwait"), "11")

        # SIGTERM: the log says the exit waits; clients are served; it exits once PostgreSQL
        # is back.
        self.restart(kill=False)
        proc = self.server.proc
        other = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=5)
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            self.r.set("acked", "1")
            self.r.set("by_sigterm", "1")
            proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(
                lambda: "Waiting for PostgreSQL to commit 2 queued changes" in self.log()))
            self._assert_served_quickly(other)
            self.assertIsNone(proc.poll())
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)
        self.assertEqual(proc.wait(timeout=60), 0)
        other.close()
        self.assertEqual(psql("SELECT count(*) FROM t_exitwait WHERE key = 'by_sigterm'"), "1")

    def test_an_exit_that_postgres_cannot_take_answers_an_error_or_is_aborted(self):
        # Nothing commits for postgres.response-timeout: SHUTDOWN answers Redis' error and the
        # server goes on serving (writes too). A second SHUTDOWN joins a pending one; SHUTDOWN
        # ABORT ends the wait, and the waiting SHUTDOWNs get the error.
        psql("DROP TABLE IF EXISTS t_exitfail")
        r = self.start("t_exitfail", "--postgres.durability", "async",
                       "--postgres.response-timeout", "3000")
        r.set("before", "1")
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0))
        proc = self.server.proc
        other = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=5)
        error = b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            r.set("acked", "1")
            started = time.monotonic()
            shut = self._raw_shutdown()
            self.assertIsNone(self._reply_within(shut, 1.0))
            self._assert_served_quickly(other)
            self.assertEqual(self._reply_within(shut, 60), error)
            self.assertGreaterEqual(time.monotonic() - started, 2.5)
            # The connection goes on; the server runs and takes writes again.
            shut.sendall(b"*1\r\n$4\r\nPING\r\n")
            self.assertEqual(self._reply_within(shut, 5), b"+PONG\r\n")
            self.assertIsNone(proc.poll())
            self.assertTrue(other.set("after_error", "1"))
            # Two SHUTDOWNs wait together; SHUTDOWN ABORT ends the wait for both.
            first, second = self._raw_shutdown(), self._raw_shutdown("NOSAVE")
            self.assertIsNone(self._reply_within(first, 0.5))
            self.assertIsNone(self._reply_within(second, 0.1))
            self.assertTrue(other.execute_command("SHUTDOWN", "ABORT"))
            self.assertEqual(self._reply_within(first, 5), error)
            self.assertEqual(self._reply_within(second, 5), error)
            with self.assertRaisesRegex(redis.ResponseError, "No shutdown in progress"):
                other.execute_command("SHUTDOWN", "ABORT")
            self.assertTrue(other.set("after_abort", "1"))
            self.assertIn("Shutdown manually aborted", self.log())
            for sock in (shut, first, second):
                sock.close()
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)
        # PostgreSQL is back: SHUTDOWN commits what was acknowledged, then exits.
        other.shutdown()
        other.close()
        self.assertEqual(proc.wait(timeout=60), 0)
        self.assertEqual(psql("SELECT count(*) FROM t_exitfail WHERE key IN "
                              "('before', 'acked', 'after_error', 'after_abort')"), "4")
        # A SHUTDOWN joins a SIGTERM's wait; a second SIGTERM exits at once, and says what is
        # lost.
        self.restart(kill=False)
        proc = self.server.proc
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            self.r.set("lost", "1")
            waits = self.log().count("Waiting for PostgreSQL to commit")
            proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(
                lambda: self.log().count("Waiting for PostgreSQL to commit") == waits + 1))
            shut = self._raw_shutdown()
            self.assertIsNone(self._reply_within(shut, 0.5))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
            self.assertEqual(self._reply_within(shut, 5), b"")
            shut.close()
            self.assertIn("1 changes are lost", self.log())
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)

    def test_an_outage_queues_writes_up_to_the_bound_and_drains_when_postgres_returns(self):
        psql("DROP TABLE IF EXISTS t_outage")
        r = self.start("t_outage", "--postgres.durability", "async", "--postgres.queue-bound", "50")
        r.set("before", "1")
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0))
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            r.set("during", "1")   # queued
            self.assertTrue(wait_for(lambda: self.info()["pg_connected"] == 0))
            self.assertEqual(r.get("before"), b"1")   # reads are served from memory
            r.mset({f"o:{i}": i for i in range(49)})   # 50 queued: the bound
            with self.assertRaisesRegex(redis.ResponseError, "PostgreSQL write queue is full"):
                r.set("refused", "1")
            self.assertIsNone(r.get("refused"))   # a refused write changed nothing
            self.assertNotEqual(self.info()["pg_last_error"], "")
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)
        self.assertTrue(wait_for(lambda: self.info()["pg_connected"] == 1, timeout=60))
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0, timeout=60))
        # The log has each connection's loss and its reconnection (each on its own backoff), not
        # every failed retry.
        self.assertTrue(wait_for(lambda: "PostgreSQL connection w1 ready" in self.log()))
        self.assertIn("PostgreSQL connection w1: ", self.log())
        self.assertLessEqual(self.log().count("PostgreSQL connection w1"), 3)
        self.assertGreaterEqual(self.info()["pg_errors"], self.info()["pg_pool_size"])
        r.set("after", "1")
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0))
        self.restart()
        self.assertEqual(self.r.mget("before", "during", "o:0", "o:47", "after", "refused"),
                         [b"1", b"1", b"0", b"47", b"1", None])

    def test_failed_batches_are_retried_and_sync_writers_wait_for_them(self):
        # A role that may not write the table makes every batch fail (the transaction rolls
        # back); granting the rights back lets the retried batch commit.
        psql("DROP TABLE IF EXISTS t_retry; DROP TABLE IF EXISTS t_retry_schema; "
             "DROP ROLE IF EXISTS dkv_retry; CREATE ROLE dkv_retry LOGIN; "
             "CREATE TABLE t_retry_schema (version integer NOT NULL); "
             "INSERT INTO t_retry_schema VALUES (2); "
             "CREATE TABLE t_retry (ns text COLLATE \"C\" NOT NULL, key bytea NOT NULL, "
             "value bytea NOT NULL, value_type smallint NOT NULL, meta jsonb NOT NULL DEFAULT "
             "'{}', version bigint NOT NULL, expires_at timestamptz, created_at timestamptz NOT "
             "NULL, updated_at timestamptz NOT NULL, kind smallint NOT NULL DEFAULT 0, "
             "PRIMARY KEY (ns, key)); "
             "GRANT ALL ON t_retry, t_retry_schema TO dkv_retry")
        dsn = DSN.replace("user=postgres", "user=dkv_retry")
        self.server = PgServer(server_binary(), "t_retry",
                               ["--postgres.durability", "sync", "--postgres.dsn", dsn])
        self.server.start()
        r = self.r = self.client()
        r.set("ok.before", "1")
        psql("REVOKE INSERT, UPDATE, DELETE ON t_retry FROM dkv_retry")
        writer = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=0.5)
        with self.assertRaises(redis.TimeoutError):
            writer.set("held", "1")   # sync: no reply while the batch cannot commit
        writer.close()
        self.assertTrue(wait_for(lambda: self.info()["pg_errors"] >= 1))
        self.assertIn("permission denied", self.info()["pg_last_error"])
        self.assertEqual(r.get("held"), b"1")   # in memory, not acknowledged
        self.assertEqual(psql("SELECT count(*) FROM t_retry"), "1")
        psql("GRANT INSERT, UPDATE, DELETE ON t_retry TO dkv_retry")
        self.assertTrue(wait_for(lambda: self.info()["pg_queue_keys"] == 0, timeout=60))
        self.assertEqual(r.set("after", "1"), True)   # acknowledged once committed
        self.assertEqual(psql("SELECT string_agg(convert_from(key, 'UTF8'), ',' ORDER BY key) "
                              "FROM t_retry"), "after,held,ok.before")

    def test_a_stalled_batch_is_ended_on_the_server_before_its_keys_are_written_again(self):
        # A batch waiting on a lock gets no answer within postgres.response-timeout: its
        # connection is dropped, but its backend would still commit the older state once the
        # lock goes. dkv ends that backend (pg_terminate_backend) and writes nothing until it
        # is gone; the newer state is what the table holds in the end.
        psql("DROP TABLE IF EXISTS t_stall; DROP TABLE IF EXISTS t_stall_schema")
        r = self.start("t_stall", "--postgres.durability", "sync",
                       "--postgres.response-timeout", "1000")
        r.set("k", "v0")
        replies = {}

        def write(value):
            c = self.client()
            replies[value] = c.set("k", value)
            c.close()

        first = threading.Thread(target=write, args=("v1",))
        second = threading.Thread(target=write, args=("v2",))
        with table_locked("t_stall"):
            first.start()
            self.assertTrue(wait_for(lambda: psql(LOCK_WAITERS) != ""))
            stalled = psql(LOCK_WAITERS)
            # The stalled backend is ended while the lock is still held.
            self.assertTrue(wait_for(lambda: psql(
                f"SELECT count(*) FROM pg_stat_activity WHERE pid = {stalled}") == "0"))
            self.assertGreaterEqual(self.info()["pg_errors"], 1)
            self.assertIn("postgres.response-timeout", self.info()["pg_last_error"])
            second.start()
            self.assertTrue(wait_for(lambda: r.get("k") == b"v2"))
            self.assertEqual(replies, {})   # sync: neither write is acknowledged yet
        first.join(timeout=60)
        second.join(timeout=60)
        self.assertEqual(replies, {"v1": True, "v2": True})
        self.assertTrue(wait_for(lambda: self.info()["pg_stalled_backends"] == 0))
        self.assertEqual(psql("SELECT convert_from(value, 'UTF8') FROM t_stall WHERE key = 'k'"),
                         "v2")
        self.restart()
        self.assertEqual(self.r.get("k"), b"v2")

    def test_deletes_subtrees_flushes_and_expiry_reach_postgres(self):
        psql("DROP TABLE IF EXISTS t_deletes")
        r = self.start("t_deletes", "--postgres.durability", "sync")
        r.mset({"app.a.x": 1, "app.a.y": 2, "app.b.x": 3, "other": 4, "gone": 5})
        r.set("short", "s", px=300)
        self.assertEqual(r.execute_command("KV.DEL", "app.a.**"), 2)
        r.delete("gone")
        r.execute_command("SWAPDB", "0", "1")
        r.execute_command("SWAPDB", "0", "1")
        r1 = redis.Redis(host="127.0.0.1", port=self.server.port, db=2)
        r1.set("db2key", "v")
        r1.flushdb()
        r1.close()
        self.assertEqual(psql("SELECT string_agg(convert_from(key, 'UTF8'), ',' ORDER BY key) "
                              "FROM t_deletes"), "app.b.x,other,short")
        time.sleep(0.5)   # "short" expires; expiry deletes its row
        self.assertTrue(wait_for(lambda: r.get("short") is None and
                                 psql("SELECT count(*) FROM t_deletes WHERE key = 'short'") == "0"))
        self.restart()
        self.assertEqual(sorted(self.r.keys("*")), [b"app.b.x", b"other"])

    def test_read_through_with_maxmemory_far_below_the_data_and_pipelined_gets(self):
        # 40 MB of values under a 12 MB maxmemory: the cache tier drops the values of committed
        # keys and reads them back, in order, for pipelined clients.
        psql("DROP TABLE IF EXISTS t_tier")
        http_port = free_port()
        r = self.start("t_tier", "--postgres.durability", "sync", "--maxmemory", "12mb",
                       "--maxmemory-policy", "allkeys-lru", "--http-port", str(http_port))
        n, size = 40000, 1000

        def value(i):
            return (f"{i:08d}" * (size // 8)).encode()

        pipe = r.pipeline(transaction=False)
        for i in range(n):
            pipe.set(f"tier.{i % 40}.{i}", value(i))
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        info = self.info()
        self.assertGreater(info["pg_cold_values"], n // 2)
        self.assertGreater(info["pg_values_dropped"], n // 2)
        self.assertLessEqual(r.info("memory")["used_memory"], 13 * 1024 * 1024)
        self.assertEqual(r.dbsize(), n)
        self.assertEqual(psql("SELECT count(*) FROM t_tier"), str(n))
        # /metrics shows the tier (and passes promtool on this backend too).
        import urllib.request
        body = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=30).read()
        metrics = dict(line.rsplit(" ", 1) for line in body.decode().splitlines()
                       if line.startswith("dkv_postgres_"))
        self.assertGreater(int(metrics["dkv_postgres_cold_values"]), n // 2)
        self.assertGreater(int(metrics["dkv_postgres_values_dropped_total"]), n // 2)
        self.assertEqual(metrics["dkv_postgres_connections_ready"], "4")
        assert_promtool_accepts(self, body)

        # Pipelined GETs of cold, warm and missing keys, from several clients at once: every
        # reply is the right value, in order.
        import random
        import threading
        rng = random.Random(7)
        batches = [[rng.randrange(n + n // 10) for _ in range(500)] for _ in range(12)]
        errors = []

        def client(batch_list):
            c = self.client()
            try:
                for batch in batch_list:
                    p = c.pipeline(transaction=False)
                    for i in batch:
                        p.get(f"tier.{i % 40}.{i}")
                    got = p.execute()
                    for i, v in zip(batch, got):
                        want = value(i) if i < n else None
                        if v != want:
                            errors.append((i, v[:16] if v else v))
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(batches[k::4],)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        info = self.info()
        self.assertGreater(info["pg_values_read"], 1000)
        self.assertEqual(info["pg_value_read_errors"], 0)

        def cold_key():
            for i in range(n):
                k = f"tier.{i % 40}.{i}"
                if self._is_cold(k):
                    return i, k
            self.fail("no cold key")

        # Commands that read or change a cold value read it back first.
        i, k = cold_key()
        self.assertEqual(r.strlen(k), size)
        i, k = cold_key()
        self.assertEqual(r.append(k, "+"), size + 1)
        self.assertEqual(r.get(k), value(i) + b"+")
        i, k = cold_key()
        self.assertEqual(r.getrange(k, 0, 7), f"{i:08d}".encode())
        i, k = cold_key()
        self.assertEqual(r.execute_command("KV.GET", k)[1], value(i))
        i, k = cold_key()
        self.assertEqual(r.eval("return redis.call('GET', KEYS[1])", 1, k), value(i))
        i, k = cold_key()
        with self.assertRaisesRegex(redis.ResponseError, "stored in PostgreSQL only"):
            r.eval(f"return redis.call('GET', '{k}')", 0)
        i, k = cold_key()
        tx = r.pipeline(transaction=True)
        tx.get(k)
        tx.incr("tier.counter")
        self.assertEqual(tx.execute(), [value(i), 1])
        # A pattern read (no key arguments) is run again once the values are in; MONITOR shows
        # it once and its statistics count one call.
        calls = r.info("commandstats").get("cmdstat_kv.mget", {}).get("calls", 0)
        reads = self.info()["pg_value_reads"]
        monitor = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        monitor.sendall(b"MONITOR\r\n")
        seen = monitor.recv(5)
        mget = {}

        def pattern_read():
            c = self.client()
            mget["reply"] = c.execute_command("KV.MGET", "tier.7.*")
            c.close()

        reader = threading.Thread(target=pattern_read)

        def write_others():
            c = self.client()
            p = c.pipeline(transaction=False)
            for i in range(2000):
                p.set(f"other.{i}", value(i))
            p.execute()
            c.close()

        writer = threading.Thread(target=write_others)
        # While the read of its cold values waits (the table is locked), other clients' writes
        # push memory over maxmemory and values are dropped; the ones it found warm stay.
        dropped = self.info()["pg_values_dropped"]
        with table_locked("t_tier"):
            reader.start()
            self.assertTrue(wait_for(lambda: psql(LOCK_WAITERS) != ""))
            writer.start()
            self.assertTrue(wait_for(lambda: self.info()["pg_values_dropped"] >= dropped + 1000))
        reader.join(timeout=60)
        writer.join(timeout=60)
        got = mget["reply"]
        r.ping()
        while b"ping" not in seen.lower():
            seen += monitor.recv(65536)
        monitor.close()
        self.assertEqual(seen.count(b'"KV.MGET" "tier.7.*"'), 1)
        self.assertEqual(r.info("commandstats")["cmdstat_kv.mget"]["calls"], calls + 1)
        # It waited for values, once: the values it had read warm stay for the second run.
        self.assertEqual(self.info()["pg_value_reads"], reads + 1)
        pairs = dict(zip(got[::2], got[1::2])) if isinstance(got, list) else got
        self.assertEqual(len(pairs), n // 40)
        for key, v in pairs.items():
            self.assertEqual(v, value(int(key.split(b".")[2])))
        self.assertEqual(r.execute_command("KV.DEL", "other.**"), 2000)
        # Commands that need no value do not wait for one: existence, access time, memory, a
        # whole new value.
        reads = self.info()["pg_value_reads"]
        i, k = cold_key()
        version = int(psql(f"SELECT version FROM t_tier WHERE key = '{k}'::bytea"))
        self.assertFalse(r.setnx(k, "x"))
        self.assertFalse(r.msetnx({k: "x", "tier.fresh": "y"}))
        self.assertGreaterEqual(r.object("idletime", k), 0)
        self.assertLess(r.memory_usage(k), size)   # the value is not in memory
        self.assertEqual(r.execute_command("KV.SET", k, "new", "TYPE", "string"), b"OK")
        self.assertEqual(self.info()["pg_value_reads"], reads)
        self.assertEqual(r.get(k), b"new")
        meta = r.execute_command("KV.META", k)
        self.assertEqual(meta[meta.index(b"version") + 1], version + 1)
        # Nothing is lost by what needs no value: DEL and EXPIRE of cold keys reach the table.
        i, k = cold_key()
        self.assertEqual(r.delete(k), 1)
        j, k2 = cold_key()
        self.assertTrue(r.expire(k2, 3600))
        self.assertEqual(psql(f"SELECT count(*) FROM t_tier WHERE key = '{k}'::bytea"), "0")
        self.assertEqual(psql(f"SELECT expires_at IS NOT NULL AND octet_length(value) = {size} "
                              f"FROM t_tier WHERE key = '{k2}'::bytea"), "t")
        # A snapshot would miss the dropped values: SAVE says so.
        with self.assertRaisesRegex(redis.ResponseError, "only in PostgreSQL"):
            r.save()

        # After kill -9 only keys and metadata come back into memory; values on demand.
        self.restart()
        info = self.info()
        self.assertEqual(self.r.dbsize(), n)   # n - 1 deleted + the counter
        self.assertGreaterEqual(info["pg_cold_values"], n - 1)
        self.assertGreater(self.r.ttl(k2), 3000)
        self.assertEqual(self.r.get(k2), value(j))
        self.assertIsNone(self.r.get(k))
        sample = rng.sample(range(n), 300)
        p = self.r.pipeline(transaction=False)
        for s in sample:
            p.get(f"tier.{s % 40}.{s}")
        for s, v in zip(sample, p.execute()):
            if s not in (i, j):
                self.assertTrue(v in (value(s), value(s) + b"+"), s)

    def test_swapdb_and_metadata_changes_of_values_in_postgres_only(self):
        psql("DROP TABLE IF EXISTS t_swap")
        r = self.start("t_swap", "--postgres.durability", "sync", "--maxmemory", "3mb",
                       "--maxmemory-policy", "allkeys-lru")
        r1 = redis.Redis(host="127.0.0.1", port=self.server.port, db=1, socket_timeout=60)
        for db, c in ((0, r), (1, r1)):
            p = c.pipeline(transaction=False)
            for i in range(2000):
                p.set(f"s.{i}", f"db{db}-{i}-" + "x" * 1000)
                if i % 100 == 99:   # the pipeline waits in the query buffer, which counts
                    p.execute()
            p.execute()
        self.assertGreater(self.info()["pg_cold_values"], 1000)
        r.execute_command("SWAPDB", "0", "1")
        r.set("s.0", "new-in-0")   # written after the swap: belongs to namespace 0
        r1.expire("s.1", 3600)     # a metadata change of a value in PostgreSQL only
        r1.execute_command("KV.SETMETA", "s.2", "owner", "ops")
        for db, c, origin in ((0, r, 1), (1, r1, 0)):
            got = c.mget([f"s.{i}" for i in range(0, 2000, 7)])
            for i, v in zip(range(0, 2000, 7), got):
                want = b"new-in-0" if (db, i) == (0, 0) else \
                    f"db{origin}-{i}-".encode() + b"x" * 1000
                self.assertEqual(v, want, (db, i))
        # A transaction that SELECTs another namespace has that namespace's values read back
        # before EXEC: APPEND extends the real value, not an empty one.
        cold1 = next(f"s.{i}" for i in range(3, 2000) if self._is_cold(f"s.{i}", db=1))
        tx_client = self.client()
        tx = tx_client.pipeline(transaction=True)
        tx.execute_command("SELECT", "1")
        tx.append(cold1, "+")
        tx.get(cold1)
        want = f"db0-{cold1[2:]}-".encode() + b"x" * 1000 + b"+"
        self.assertEqual(tx.execute(), [True, len(want), want])
        tx_client.close()
        r1.close()
        self.restart()
        c0 = self.r
        c1 = redis.Redis(host="127.0.0.1", port=self.server.port, db=1, socket_timeout=60)
        try:
            self.assertEqual(c0.get("s.0"), b"new-in-0")
            self.assertEqual(c0.get("s.5"), b"db1-5-" + b"x" * 1000)
            self.assertEqual(c1.get("s.5"), b"db0-5-" + b"x" * 1000)
            self.assertGreater(c1.ttl("s.1"), 3000)
            self.assertEqual(c1.get("s.1"), b"db0-1-" + b"x" * 1000)
            meta = c1.execute_command("KV.META", "s.2")
            self.assertEqual(meta[meta.index(b"user") + 1], [b"owner", b"ops"])
            self.assertEqual(c0.dbsize(), 2000)
            self.assertEqual(c1.dbsize(), 2000)
        finally:
            c1.close()

    def test_values_in_postgres_only_during_an_outage_get_a_clear_error(self):
        psql("DROP TABLE IF EXISTS t_tier_outage")
        r = self.start("t_tier_outage", "--postgres.durability", "sync", "--maxmemory", "4mb",
                       "--maxmemory-policy", "allkeys-lru")
        p = r.pipeline(transaction=False)
        for i in range(4000):
            p.set(f"o.{i}", f"{i}-" + "y" * 1000)
            if i % 100 == 99:
                p.execute()
        p.execute()
        cold = [f"o.{i}" for i in range(4000) if self._is_cold(f"o.{i}")]
        warm = [f"o.{i}" for i in range(4000) if not self._is_cold(f"o.{i}")]
        self.assertTrue(cold and warm)
        subprocess.run([PG_CLUSTER, "down", PG_DIR], check=True, timeout=120)
        try:
            self.assertTrue(wait_for(lambda: self.info()["pg_connected"] == 0))
            key = warm[-1]
            self.assertEqual(r.get(key), f"{key[2:]}-".encode() + b"y" * 1000)
            start = time.monotonic()
            with self.assertRaisesRegex(redis.ResponseError,
                                        "stored in PostgreSQL and could not be read"):
                r.get(cold[0])
            self.assertLess(time.monotonic() - start, 15)
            # A pattern read that meets values in PostgreSQL only ends with the error too.
            start = time.monotonic()
            with self.assertRaisesRegex(redis.ResponseError, "could not be read"):
                r.execute_command("KV.MGET", "o.*")
            self.assertLess(time.monotonic() - start, 15)
            self.assertEqual(r.ping(), True)   # the server and the connection are fine
        finally:
            subprocess.run([PG_CLUSTER, "up", PG_DIR], check=True, timeout=120)
        self.assertTrue(wait_for(lambda: self.info()["pg_connected"] == 1, timeout=60))
        self.assertTrue(wait_for(lambda: self._get_or_none(cold[0]) is not None, timeout=60))
        self.assertEqual(r.get(cold[1]), f"{cold[1][2:]}-".encode() + b"y" * 1000)

    def _get_or_none(self, key):
        try:
            return self.r.get(key)
        except redis.ResponseError:
            return None

    def _assert_pool_commits_through(self, dsn, table, pool_size):
        # Every connection of the pool comes up through `dsn`, and a sync write commits.
        psql(f"DROP TABLE IF EXISTS {table}")
        r = self.start(table, "--postgres.durability", "sync", "--postgres.dsn", dsn,
                       "--postgres.pool-size", str(pool_size))
        self.assertTrue(wait_for(lambda: self.info()["pg_connections_ready"] == pool_size))
        self.assertTrue(r.set("written", "1"))
        self.assertEqual(psql(f"SELECT count(*) FROM {table}"), "1")

    def test_the_pool_connects_through_a_host_name_resolved_off_the_loop(self):
        # "localhost" is looked up on libuv's thread pool and every address is tried (::1 may
        # refuse: the cluster listens on 127.0.0.1).
        dsn = DSN.replace("host=127.0.0.1", "host=localhost")
        self.assertIn("host=localhost", dsn)
        self._assert_pool_commits_through(dsn, "t_dns", 3)

    def test_a_host_list_keeps_each_host_with_its_port_once_names_are_resolved(self):
        # host=127.0.0.1,localhost port=1,<port>: the address refuses (port 1); "localhost" is
        # looked up off the loop and replaced by its addresses, each still paired with <port>.
        port = next(p.split("=")[1] for p in DSN.split() if p.startswith("port="))
        dsn = DSN.replace("host=127.0.0.1", "host=127.0.0.1,localhost").replace(
            f"port={port}", f"port=1,{port}")
        self.assertIn("port=1,", dsn)
        self._assert_pool_commits_through(dsn, "t_hosts", 2)

    def test_keys_deleted_and_written_again_or_renamed_over_reach_the_table(self):
        # A key deleted and written again in one transaction, and a key renamed over another,
        # coalesce into one row write each: the table ends as memory is.
        psql("DROP TABLE IF EXISTS t_reinsert")
        r = self.start("t_reinsert", "--postgres.durability", "sync")
        r.mset({"a": "1", "b": "1", "c": "1"})
        tx = r.pipeline(transaction=True)
        tx.delete("a")
        tx.set("a", "2")
        tx.execute()
        r.set("x", "3")
        self.assertTrue(r.rename("x", "b"))
        self.assertEqual(psql("SELECT string_agg(convert_from(key, 'UTF8') || '=' || "
                              "convert_from(value, 'UTF8'), ',' ORDER BY key) FROM t_reinsert"),
                         "a=2,b=3,c=1")
        self.assertEqual(self.info()["pg_errors"], 0)
        self.restart()
        self.assertEqual(self.r.mget("a", "b", "c", "x"), [b"2", b"3", b"1", None])

    def _is_cold(self, key, db=0):
        c = self.r if db == 0 else redis.Redis(host="127.0.0.1", port=self.server.port, db=db)
        try:
            return b"cold:1" in c.execute_command("DEBUG", "OBJECT", key)
        except redis.ResponseError:   # no such key
            return False
        finally:
            if c is not self.r:
                c.close()

    def test_a_table_without_a_unique_key_on_ns_and_key_is_refused_at_start(self):
        # Made by hand with the right columns but no primary key: every upsert (ON CONFLICT
        # (ns, key)) would fail and writes would wait for ever. The start says so instead.
        psql("DROP TABLE IF EXISTS t_nokey; DROP TABLE IF EXISTS t_nokey_schema; "
             "CREATE TABLE t_nokey (ns text COLLATE \"C\" NOT NULL, key bytea NOT NULL, "
             "value bytea NOT NULL, value_type smallint NOT NULL, meta jsonb NOT NULL DEFAULT "
             "'{}', version bigint NOT NULL, expires_at timestamptz, created_at timestamptz "
             "NOT NULL, updated_at timestamptz NOT NULL)")
        scratch = PgServer(server_binary(), "t_nokey")
        try:
            status, out = scratch.start_expect_exit(timeout=60)
        finally:
            scratch.cleanup()
        self.assertNotEqual(status, 0)
        self.assertIn("has no primary key or unique index on (ns, key)", out)
        # With the key added, it starts.
        psql("ALTER TABLE t_nokey ADD PRIMARY KEY (ns, key)")
        r = self.start("t_nokey")
        self.assertTrue(r.set("k", "v"))

    def test_an_unreachable_postgres_at_start_is_a_clear_error(self):
        port = free_port()
        server = Server(server_binary(), [
            "--persistence.backend", "postgres", "--postgres.dsn",
            f"host=127.0.0.1 port={port} password=s3cret connect_timeout=2"], save_off=True)
        try:
            status, out = server.start_expect_exit(timeout=60)
        finally:
            server.cleanup()
        self.assertNotEqual(status, 0)
        self.assertIn("cannot connect to PostgreSQL", out)
        # The log names the DSN, without its password.
        self.assertIn("password=***", out)
        self.assertIn(f"port={port}", out)
        self.assertNotIn("s3cret", out)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if not DSN or not PG_DIR:
        print("DKV_PG_DSN and DKV_PG_DIR are not set (scripts/test sets them): skipped")
        sys.exit(77)
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
