#!/usr/bin/python3
"""The snapshot file through a real server: SAVE, BGSAVE, LASTSAVE, the save schedule,
SHUTDOWN SAVE|NOSAVE, SIGTERM, restarts, kill -9 during BGSAVE, damaged files and
dkv-check-snapshot, hashes and sets.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py; dkv-check-snapshot is taken from the same directory.

    /usr/bin/python3 tests/integration/test_persistence.py build/release/src/dkv-server -v
"""

import os
import re
import random
import subprocess
import sys
import time
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import Server, server_binary, wait_for  # noqa: E402

dkv_fixture.exit_77_without_test_backend()

SNAPSHOT = "dump.dkv"


class PersistentServer(Server):
    """A server whose directory (and snapshot) survives restarts; extra options per start."""

    def __init__(self, binary, options=()):
        super().__init__(binary, options, test_backend=True, prefix="dkv-test-")

    @property
    def options(self):
        return self.args

    @options.setter
    def options(self, value):
        self.args = list(value)

    @property
    def snapshot(self):
        return os.path.join(self.dir, SNAPSHOT)

    def client(self, **kw):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30, **kw)
        # The status text itself is under test: no redis-py conversion to True.
        for name in ("BGSAVE", "SAVE"):
            c.response_callbacks.pop(name, None)
        return c

    def start_expect_failure(self, timeout=30):
        """Starts the server expecting it to exit at once: (exit status, log text)."""
        return self.start_expect_exit(timeout)


def info(client, section="persistence"):
    return client.info(section)




def wait_bgsave_done(client, timeout=60.0):
    assert wait_for(lambda: info(client)["rdb_bgsave_in_progress"] == 0, timeout), \
        "the background save did not finish"


def check_tool():
    return os.path.join(os.path.dirname(os.path.realpath(server_binary())), "dkv-check-snapshot")


class PersistenceTest(unittest.TestCase):
    options = ["--save", ""]

    def setUp(self):
        self.server = PersistentServer(server_binary(), self.options)
        self.server.start()
        self.r = self.server.client()

    def tearDown(self):
        self.r.close()
        if self.server.proc is not None and self.server.proc.poll() is None:
            pass
        self.server.cleanup()

    def restart(self, kill=True, options=None):
        """Stops the server (kill -9 by default: nothing is saved on the way out) and starts it
        again on the same directory."""
        self.r.close()
        if kill:
            self.server.kill9()
        else:
            self.server.stop()
        if options is not None:
            self.server.options = options
        self.server.start()
        self.r = self.server.client()


class SaveAndRestart(PersistenceTest):
    def test_every_value_type_metadata_ttl_and_namespace_survives_a_restart(self):
        r = self.r
        binary = bytes(range(256)) * 3
        r.set("plain", "v")
        r.set("counter", 10)
        r.incrby("counter", 5)
        r.append("appended", "ab")
        r.append("appended", "cd")
        r.set("bin\x00key", binary)
        r.set("unicode.ключ.鍵", "значение")
        r.set("empty", "")
        r.set("ttl.ex", "x", ex=1000)
        r.set("ttl.px", "y", px=900000)
        r.execute_command("KV.SET", "app.config.db", '{"host":"h","port":5432}', "TYPE", "json",
                          "META", "owner", "ops", "content_type", "application/json")
        r.execute_command("KV.SET", "app.flags.beta", "true", "TYPE", "boolean")
        r.execute_command("KV.SET", "app.limit", "12.5", "TYPE", "number")
        r.setbit("bits", 100, 1)
        r.execute_command("BITFIELD", "bitfield", "SET", "i16", "#1", "-2")
        r.set("versioned", "1")
        r.set("versioned", "2")
        r.set("versioned", "3")
        r3 = self.server.client(db=3)
        r3.set("in.db3", "three")
        rt = self.server.client()
        rt.execute_command("SELECT", "tenant-a")
        rt.set("tenant.key", "isolated")
        meta_before = r.execute_command("KV.META", "app.config.db")
        ver_before = r.execute_command("KV.META", "versioned")
        self.assertEqual(r.save(), b"OK")
        for c in (r3, rt):
            c.close()
        self.restart()
        r = self.r
        self.assertEqual(r.get("plain"), b"v")
        self.assertEqual(r.get("counter"), b"15")
        self.assertEqual(r.get("appended"), b"abcd")
        self.assertEqual(r.object("encoding", "appended"), b"raw")
        self.assertEqual(r.get("bin\x00key"), binary)
        self.assertEqual(r.get("unicode.ключ.鍵").decode(), "значение")
        self.assertEqual(r.get("empty"), b"")
        self.assertTrue(990 <= r.ttl("ttl.ex") <= 1000)
        self.assertTrue(890000 <= r.pttl("ttl.px") <= 900000)
        self.assertEqual(r.ttl("plain"), -1)
        self.assertEqual(r.execute_command("KV.META", "app.config.db"), meta_before)
        self.assertEqual(r.execute_command("KV.META", "versioned"), ver_before)
        self.assertEqual(r.get("app.flags.beta"), b"true")
        self.assertEqual(r.execute_command("KV.META", "app.flags.beta")[1], b"boolean")
        self.assertIn(b"application/json", meta_before)
        self.assertEqual(self.server.client(db=3).get("in.db3"), b"three")
        rt = self.server.client()
        rt.execute_command("SELECT", "tenant-a")
        self.assertEqual(rt.get("tenant.key"), b"isolated")
        self.assertIsNone(r.get("tenant.key"))
        self.assertEqual(r.getbit("bits", 100), 1)
        self.assertEqual(r.bitcount("bits"), 1)
        self.assertEqual(r.strlen("bits"), 13)
        self.assertEqual(r.execute_command("BITFIELD_RO", "bitfield", "GET", "i16", "#1"), [-2])
        self.assertEqual(r.dbsize(), 14)
        p = info(r)
        self.assertEqual(p["rdb_last_load_keys_loaded"], 16)

    def test_a_key_whose_ttl_passed_while_down_is_gone(self):
        self.r.set("short", "x", px=700)
        self.r.set("long", "y", ex=100)
        self.r.save()
        self.r.close()
        self.server.kill9()
        time.sleep(1.0)
        self.server.start()
        self.r = self.server.client()
        self.assertIsNone(self.r.get("short"))
        self.assertEqual(self.r.get("long"), b"y")
        self.assertEqual(info(self.r)["rdb_last_load_keys_expired"], 1)

    def test_lastsave_changes_and_info_counts_changes(self):
        before = self.r.lastsave()
        self.r.mset({"a": 1, "b": 2, "c": 3})
        self.assertEqual(info(self.r)["rdb_changes_since_last_save"], 3)
        time.sleep(1.1)
        self.r.save()
        p = info(self.r)
        self.assertEqual(p["rdb_changes_since_last_save"], 0)
        self.assertGreater(self.r.lastsave(), before)
        self.assertEqual(p["rdb_last_bgsave_status"], "ok")
        self.assertGreaterEqual(p["rdb_saves"], 1)

    def test_flushall_without_schedule_keeps_the_old_snapshot(self):
        self.r.set("k", "v")
        self.r.save()
        self.r.flushall()
        self.restart()
        self.assertEqual(self.r.get("k"), b"v")

    def test_check_tool_reports_a_good_file_and_a_damaged_one(self):
        for i in range(500):
            self.r.set(f"app.item{i}", f"value-{i}")
        self.r.save()
        out = subprocess.run([check_tool(), self.server.snapshot], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("500 keys", out.stdout)
        self.assertIn("Snapshot looks OK", out.stdout)
        with open(self.server.snapshot, "r+b") as f:
            f.seek(os.path.getsize(self.server.snapshot) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0x10]))
        out = subprocess.run([check_tool(), self.server.snapshot], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 1)
        self.assertIn("SNAPSHOT ERROR", out.stdout)
        self.assertIn("offset", out.stdout)


class BackgroundSave(PersistenceTest):
    def fill(self, n, prefix="k"):
        pipe = self.r.pipeline(transaction=False)
        for i in range(n):
            pipe.set(f"{prefix}{i}", f"v{i}")
        pipe.execute()

    def test_bgsave_replies_and_errors_as_redis(self):
        self.fill(2000)
        self.r.config_set("rdb-key-save-delay", "500")   # about 1 s
        self.assertEqual(self.r.execute_command("BGSAVE"), b"Background saving started")
        self.assertEqual(info(self.r)["rdb_bgsave_in_progress"], 1)
        for cmd in (("BGSAVE",), ("BGSAVE", "SCHEDULE"), ("SAVE",)):
            with self.assertRaisesRegex(redis.ResponseError, "^Background save already in progress$"):
                self.r.execute_command(*cmd)
        with self.assertRaisesRegex(redis.ResponseError, "^syntax error$"):
            self.r.execute_command("BGSAVE", "NOW")
        wait_bgsave_done(self.r)
        self.r.config_set("rdb-key-save-delay", "0")
        p = info(self.r)
        self.assertEqual(p["rdb_last_bgsave_status"], "ok")
        self.assertGreaterEqual(p["rdb_last_bgsave_time_sec"], 0)
        self.assertGreaterEqual(self.r.info("stats")["total_forks"], 1)
        # Inside a transaction BGSAVE is scheduled, then runs.
        pipe = self.r.pipeline(transaction=True)
        pipe.execute_command("BGSAVE")
        self.assertEqual(pipe.execute(), [b"Background saving scheduled"])
        saves = p["rdb_saves"]
        self.assertTrue(wait_for(lambda: info(self.r)["rdb_saves"] > saves))
        # SAVE is refused inside a transaction.
        pipe = self.r.pipeline(transaction=True)
        pipe.execute_command("SAVE")
        with self.assertRaises(redis.ResponseError):
            pipe.execute()

    def test_a_client_killed_during_bgsave_is_disconnected(self):
        import socket
        self.fill(3000)
        self.r.config_set("rdb-key-save-delay", "300")   # about 1 s
        victim = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        victim.sendall(b"CLIENT ID\r\n")
        victim_id = int(victim.recv(100).strip()[1:])
        self.assertEqual(self.r.execute_command("BGSAVE"), b"Background saving started")
        self.r.client_kill_filter(_id=victim_id)
        # The saving child must not hold the victim's socket open: it sees the end at once.
        t0 = time.monotonic()
        self.assertEqual(victim.recv(100), b"")
        self.assertLess(time.monotonic() - t0, 0.5)
        victim.close()
        self.assertEqual(info(self.r)["rdb_bgsave_in_progress"], 1)
        wait_bgsave_done(self.r)

    def test_writes_during_bgsave_are_in_memory_and_in_the_next_snapshot_only(self):
        self.fill(3000)
        self.r.config_set("rdb-key-save-delay", "300")
        self.r.execute_command("BGSAVE")
        self.r.set("k1", "changed during the save")
        self.r.set("new.during", "x")
        self.r.delete("k2")
        self.assertEqual(self.r.get("k1"), b"changed during the save")
        self.assertEqual(info(self.r)["rdb_bgsave_in_progress"], 1)
        wait_bgsave_done(self.r)
        self.assertEqual(info(self.r)["rdb_changes_since_last_save"], 3)
        self.restart()   # kill -9: only what the snapshot holds comes back
        self.assertEqual(self.r.get("k1"), b"v1")
        self.assertIsNone(self.r.get("new.during"))
        self.assertEqual(self.r.get("k2"), b"v2")
        self.r.set("k1", "changed during the save")
        self.r.set("new.during", "x")
        self.r.delete("k2")
        self.r.config_set("rdb-key-save-delay", "0")
        self.r.execute_command("BGSAVE")
        wait_bgsave_done(self.r)
        self.restart()
        self.assertEqual(self.r.get("k1"), b"changed during the save")
        self.assertEqual(self.r.get("new.during"), b"x")
        self.assertIsNone(self.r.get("k2"))

    def test_kill_9_during_bgsave_leaves_a_loadable_snapshot_20_times_out_of_20(self):
        n = 5000
        self.fill(n)
        self.r.set("generation", 0)
        self.r.save()
        rng = random.Random(20261126)
        for i in range(1, 21):
            with self.subTest(round=i):
                self.r.set("generation", i)
                self.r.config_set("rdb-key-save-delay", "100")   # about half a second
                self.r.execute_command("BGSAVE")
                time.sleep(rng.uniform(0.0, 0.6))
                self.restart()   # kill -9 of the server; its child dies with it
                self.assertEqual(self.r.dbsize(), n + 1)
                self.assertIn(int(self.r.get("generation")), (i - 1, i))
                self.assertEqual(self.r.get(f"k{n - 1}"), f"v{n - 1}".encode())
                leftovers = [f for f in os.listdir(self.server.dir) if ".tmp-" in f]
                self.assertEqual(leftovers, [])
                # The next round starts from the state on disk.
                self.r.set("generation", i)
                self.r.save()


class Schedule(PersistenceTest):
    options = ["--save", "1 3"]

    def test_the_schedule_saves_after_enough_changes(self):
        saves = info(self.r)["rdb_saves"]
        self.r.set("a", 1)
        time.sleep(1.5)
        self.assertEqual(info(self.r)["rdb_saves"], saves)   # 1 change < 3
        self.r.mset({"b": 2, "c": 3})
        self.assertTrue(wait_for(lambda: info(self.r)["rdb_saves"] > saves, timeout=10))
        self.assertEqual(self.r.config_get("save"), {"save": "1 3"})
        self.restart()
        self.assertEqual(self.r.mget("a", "b", "c"), [b"1", b"2", b"3"])

    def test_config_set_save_validates_and_empty_turns_it_off(self):
        for bad in ("1 x", "1 2 3", "-1 5", "  5   6  "):
            with self.assertRaisesRegex(redis.ResponseError, "Invalid save parameters"):
                self.r.config_set("save", bad)
        self.r.config_set("save", "")
        self.assertEqual(self.r.config_get("save"), {"save": ""})
        saves = info(self.r)["rdb_saves"]
        self.r.mset({f"k{i}": i for i in range(10)})
        time.sleep(1.5)
        self.assertEqual(info(self.r)["rdb_saves"], saves)
        for name in ("dir", "dbfilename"):
            with self.assertRaisesRegex(redis.ResponseError, "can't set protected config"):
                self.r.config_set(name, "/tmp")

    def test_sigterm_with_a_schedule_saves(self):
        self.r.set("before.sigterm", "kept")
        self.restart(kill=False)   # SIGTERM
        self.assertEqual(self.r.get("before.sigterm"), b"kept")

    def test_flushall_with_a_schedule_saves_the_empty_keyspace(self):
        self.r.set("k", "v")
        self.r.save()
        self.r.flushall()
        self.restart()
        self.assertEqual(self.r.dbsize(), 0)

    def test_failed_bgsave_refuses_writes_until_a_save_succeeds(self):
        self.r.set("k", "v")
        # A directory where the snapshot goes: the rename fails (for root too).
        os.makedirs(os.path.join(self.server.snapshot, "blocker"))
        self.r.execute_command("BGSAVE")
        self.assertTrue(wait_for(lambda: info(self.r)["rdb_last_bgsave_status"] == "err"))
        self.assertIn("rdb_last_bgsave_status", info(self.r))
        with self.assertRaisesRegex(redis.ResponseError, "^MISCONF"):
            self.r.set("k2", "v")
        with self.assertRaisesRegex(redis.ResponseError, "^MISCONF"):
            self.r.ping()
        self.assertEqual(self.r.get("k"), b"v")   # reads still work
        with self.assertRaisesRegex(redis.ResponseError, "rename"):
            self.r.save()
        self.r.config_set("stop-writes-on-bgsave-error", "no")
        self.r.set("k2", "v")
        self.r.config_set("stop-writes-on-bgsave-error", "yes")
        with self.assertRaisesRegex(redis.ResponseError, "^MISCONF"):
            self.r.set("k3", "v")
        os.rmdir(os.path.join(self.server.snapshot, "blocker"))
        os.rmdir(self.server.snapshot)
        self.r.save()
        self.r.set("k3", "v")
        self.assertEqual(info(self.r)["rdb_last_bgsave_status"], "ok")


class Shutdown(PersistenceTest):
    def test_shutdown_nosave_and_save(self):
        self.r.set("saved", "1")
        self.r.save()
        self.r.set("unsaved", "1")
        self.r.shutdown(nosave=True)   # redis-py returns when the connection drops
        self.server.proc.wait(timeout=10)
        self.server.start()
        self.r = self.server.client()
        self.assertEqual(self.r.get("saved"), b"1")
        self.assertIsNone(self.r.get("unsaved"))
        self.r.set("unsaved", "1")   # no schedule: SHUTDOWN SAVE saves anyway
        self.r.shutdown(save=True)
        self.server.proc.wait(timeout=10)
        self.server.start()
        self.r = self.server.client()
        self.assertEqual(self.r.get("unsaved"), b"1")
        with self.assertRaisesRegex(redis.ResponseError, "syntax error"):
            self.r.execute_command("SHUTDOWN", "NOSAVE", "SAVE")

    def test_sigterm_without_a_schedule_does_not_save(self):
        self.r.set("k", "v")
        self.restart(kill=False)
        self.assertIsNone(self.r.get("k"))

    def test_shutdown_refuses_when_the_save_fails_unless_forced(self):
        self.r.set("k", "v")
        os.makedirs(os.path.join(self.server.snapshot, "blocker"))
        with self.assertRaisesRegex(redis.ResponseError, "Errors trying to SHUTDOWN"):
            self.r.shutdown(save=True)
        self.assertTrue(self.r.ping())
        self.r.shutdown(save=True, force=True)
        self.server.proc.wait(timeout=10)


class DamagedSnapshot(PersistenceTest):
    def make_snapshot(self):
        for i in range(3000):
            self.r.set(f"app.k{i}", "x" * 100 + str(i))
        self.r.save()
        self.r.close()
        self.server.kill9()
        with open(self.server.snapshot, "rb") as f:
            return f.read()

    def test_a_corrupt_file_is_refused_with_file_and_offset_unless_partial_load_is_set(self):
        good = self.make_snapshot()
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0x01
        with open(self.server.snapshot, "wb") as f:
            f.write(bad)
        status, log = self.server.start_expect_failure()
        self.assertNotEqual(status, 0)
        self.assertIn(f"snapshot {SNAPSHOT}: offset ", log)
        self.assertIn("checksum mismatch", log)
        self.assertIn("snapshot-load-partial", log)
        self.server.options = ["--save", "", "--snapshot-load-partial", "yes"]
        self.server.start()
        self.r = self.server.client()
        self.assertLess(self.r.dbsize(), 3000)
        self.assertEqual(self.r.ping(), True)

    def test_a_truncated_file_and_a_foreign_file_are_refused(self):
        good = self.make_snapshot()
        with open(self.server.snapshot, "wb") as f:
            f.write(good[: len(good) - 5])
        status, log = self.server.start_expect_failure()
        self.assertNotEqual(status, 0)
        self.assertIn("truncated", log)
        with open(self.server.snapshot, "wb") as f:
            f.write(b"REDIS0011\xfa\x09redis-ver\x057.0.15" + b"\0" * 64)
        status, log = self.server.start_expect_failure()
        self.assertNotEqual(status, 0)
        self.assertIn("not a dkv snapshot", log)
        os.remove(self.server.snapshot)
        self.server.start()   # no file: an empty keyspace
        self.r = self.server.client()
        self.assertEqual(self.r.dbsize(), 0)

    def test_the_server_and_the_check_tool_report_the_same_damage(self):
        # A small file, two namespaces: header, records and end marker within a few hundred
        # bytes. Both go through one reader; the texts after "offset" must be the same.
        for key in ("dup.alpha", "dup.bravo", "dup.charlie"):
            self.r.set(key, "v-" + key)
        self.r.expire("dup.charlie", 600)
        self.r.execute_command("SELECT", "3")
        self.r.set("other", "v4")
        self.r.save()
        self.r.close()
        self.server.kill9()
        with open(self.server.snapshot, "rb") as f:
            good = f.read()
        cases = [good[:n] for n in (0, 10, 16, 20, 40, len(good) // 2, len(good) - 9,
                                    len(good) - 1)]
        for pos in (12, 20, 30, len(good) // 2, len(good) - 12, len(good) - 3):
            bad = bytearray(good)
            bad[pos] ^= 0x04
            cases.append(bytes(bad))
        for data in cases:
            with open(self.server.snapshot, "wb") as f:
                f.write(data)
            out = subprocess.run([check_tool(), self.server.snapshot], capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(out.returncode, 1, out.stdout)
            checker = re.search(r"offset \d+: .*", out.stdout).group(0)
            open(self.server.log_path, "wb").close()
            status, log = self.server.start_expect_failure()
            self.assertNotEqual(status, 0)
            self.assertIn(f"snapshot {SNAPSHOT}: {checker}. Refusing", log)



class Containers(PersistenceTest):
    """Hashes and sets in the snapshot (format 2): every encoding, 100,000+ elements, TTLs and
    user metadata, through SAVE and BGSAVE (the forked child) and restarts; the check tool
    counts them by type."""

    BIG = 100_000

    def fill(self):
        r = self.r
        r.hset("h.small", mapping={"name": "ada", "lang": "en", "bin\x00f": b"\xff\x00"})
        pipe = r.pipeline(transaction=False)
        for start in range(0, self.BIG, 1000):
            pipe.hset("h.big", mapping={f"f{i}": f"v{i * 7}"
                                        for i in range(start, start + 1000)})
            pipe.sadd("s.big", *[f"member:{i}" for i in range(start, start + 1000)])
            pipe.sadd("s.bigints", *[i * 3 - 50000 for i in range(start, start + 1000)])
        pipe.execute()
        r.sadd("s.ints", 1, -70000, 9000000000)
        r.sadd("s.small", "x", "y", "z")
        r.set("str", "plain")
        r.expire("h.small", 3600)
        r.pexpire("s.big", 7_200_000)
        r.execute_command("KV.SETMETA", "h.big", "owner", "team-a", "content_type",
                          "application/x-profile")
        r.sadd("s.gone", "a")
        r.pexpire("s.gone", 1)

    def state(self):
        r = self.r
        out = {}
        for key in (b"h.small", b"h.big", b"s.ints", b"s.small", b"s.big", b"s.bigints", b"str"):
            kind = r.type(key)
            value = (r.hgetall(key) if kind == b"hash" else
                     r.smembers(key) if kind == b"set" else r.get(key))
            out[key] = (kind, value, r.object("encoding", key))
        meta = r.execute_command("KV.META", "h.big")
        # Reads move accessed_at (these reads too): the rest of the metadata must be equal.
        out["meta"] = [(k, v) for k, v in zip(meta[0::2], meta[1::2]) if k != b"accessed_at"]
        return out

    def test_hashes_and_sets_survive_save_and_bgsave_exactly(self):
        self.fill()
        time.sleep(0.01)  # s.gone expires: not in the file
        before = self.state()
        self.assertEqual(len(before[b"h.big"][1]), self.BIG)
        self.assertEqual(before[b"s.ints"][2], b"intset")
        self.assertEqual(before[b"h.small"][2], b"listpack")
        for save in ("save", "bgsave"):
            with self.subTest(save=save):
                if save == "save":
                    self.assertEqual(self.r.save(), b"OK")
                else:
                    self.assertEqual(self.r.bgsave(), b"Background saving started")
                    wait_bgsave_done(self.r)
                    self.assertEqual(info(self.r)["rdb_last_bgsave_status"], "ok")
                self.restart()
                self.assertEqual(self.state(), before)
                self.assertTrue(3500 <= self.r.ttl("h.small") <= 3600)
                self.assertTrue(7_000_000 <= self.r.pttl("s.big") <= 7_200_000)
                self.assertEqual(self.r.exists("s.gone"), 0)
        out = subprocess.run([check_tool(), self.server.snapshot], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("format version 2", out.stdout)
        self.assertIn("value types: hash 2, set 4, string 1", out.stdout)
        self.assertIn(f"hash elements: {self.BIG + 3}", out.stdout)
        self.assertIn(f"set elements: {2 * self.BIG + 6}", out.stdout)


class ListsAndZsets(PersistenceTest):
    """Lists and sorted sets in the snapshot: both encodings of each, 100,000 elements, TTLs and
    user metadata, through SAVE and BGSAVE and restarts, with the server's limits at the load;
    the check tool counts them."""

    BIG = 100_000

    def fill(self):
        r = self.r
        r.rpush("l.small", "b", "a", "b", b"\x00\xff", -12, "")
        r.zadd("z.small", {"x": 1.5, "low": float("-inf"), "high": float("inf"), "zero": 0})
        pipe = r.pipeline(transaction=False)
        for start in range(0, self.BIG, 1000):
            pipe.rpush("l.big", *[f"e{i}" if i % 5 else i for i in range(start, start + 1000)])
            pipe.zadd("z.big", {f"member:{i}": (i / 8 if i % 3 == 0 else -i)
                                for i in range(start, start + 1000)})
        pipe.execute()
        r.rpush("l.plain", "x", "y" * 30000)
        r.expire("l.small", 3600)
        r.pexpire("z.big", 7_200_000)
        r.execute_command("KV.SETMETA", "l.big", "owner", "team-a")
        r.rpush("l.gone", "a")
        r.pexpire("l.gone", 1)

    def state(self):
        r = self.r
        out = {}
        for key in (b"l.small", b"l.big", b"l.plain", b"z.small", b"z.big"):
            kind = r.type(key)
            value = (r.lrange(key, 0, -1) if kind == b"list" else
                     r.zrange(key, 0, -1, withscores=True))
            out[key] = (kind, value, r.object("encoding", key))
        meta = r.execute_command("KV.META", "l.big")
        out["meta"] = [(k, v) for k, v in zip(meta[0::2], meta[1::2]) if k != b"accessed_at"]
        return out

    def test_lists_and_zsets_survive_save_and_bgsave_exactly(self):
        self.fill()
        time.sleep(0.01)
        before = self.state()
        self.assertEqual(len(before[b"l.big"][1]), self.BIG)
        self.assertEqual(before[b"l.big"][2], b"quicklist")
        self.assertEqual(before[b"z.big"][2], b"skiplist")
        self.assertEqual(before[b"z.small"][2], b"listpack")
        for save in ("save", "bgsave"):
            with self.subTest(save=save):
                if save == "save":
                    self.assertEqual(self.r.save(), b"OK")
                else:
                    self.assertEqual(self.r.bgsave(), b"Background saving started")
                    wait_bgsave_done(self.r)
                    self.assertEqual(info(self.r)["rdb_last_bgsave_status"], "ok")
                self.restart()
                self.assertEqual(self.state(), before)
                self.assertTrue(3500 <= self.r.ttl("l.small") <= 3600)
                self.assertTrue(7_000_000 <= self.r.pttl("z.big") <= 7_200_000)
                self.assertEqual(self.r.exists("l.gone"), 0)
        out = subprocess.run([check_tool(), self.server.snapshot], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("value types: list 3, zset 2", out.stdout)
        self.assertIn(f"list elements: {self.BIG + 8}", out.stdout)
        self.assertIn(f"zset elements: {self.BIG + 4}", out.stdout)


class DbfilenameIsAName(unittest.TestCase):
    """dbfilename names a file inside dir: a path, on the command line or in the file, stops the
    server at start with Redis' error, and nothing is written outside dir."""

    def test_a_path_is_refused_at_start(self):
        server = PersistentServer(server_binary())
        outside = os.path.join(os.path.dirname(server.dir), os.path.basename(server.dir) + ".out")
        conf = os.path.join(server.dir, "dkv.yaml")
        with open(conf, "w") as f:
            f.write(f'dbfilename: "{outside}"\n')
        try:
            for options, argv0 in ((["--dbfilename", "../" + os.path.basename(outside)], None),
                                   (["--dbfilename", "sub/dump.dkv"], None),
                                   ([], conf)):
                with self.subTest(options=options, conf=argv0):
                    server.options = options
                    server.conf = argv0   # the file first, then --port, --bind, --dir
                    status, log = server.start_expect_failure()
                    self.assertNotEqual(status, 0)
                    self.assertIn("dbfilename can't be a path, just a filename", log)
            self.assertFalse(os.path.exists(outside))
            # A plain name still works, and the snapshot lands in dir.
            server.conf = None
            server.options = ["--dbfilename", "other.dkv", "--save", ""]
            server.start()
            c = server.client()
            c.set("k", "v")
            self.assertEqual(c.save(), b"OK")
            c.close()
            self.assertTrue(os.path.exists(os.path.join(server.dir, "other.dkv")))
        finally:
            server.cleanup()
            if os.path.exists(outside):
                os.remove(outside)


if __name__ == "__main__":
    dkv_fixture.take_server_argument()   # a server path as the first argument
    if server_binary() is None:
        sys.exit("no dkv-server binary: set DKV_SERVER or build first")
    unittest.main()
