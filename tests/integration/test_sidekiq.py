#!/usr/bin/python3
"""Sidekiq (Debian's ruby-sidekiq 6.4) against a real dkv-server: a Ruby client pushes jobs
(LPUSH of JSON payloads, SADD queues, a bulk push, ZADD to the schedule set), a Sidekiq process
(`sidekiq -r ./worker.rb -c 2`) fetches them with BRPOP and performs them (RPUSH, HINCRBY, SADD,
INCR, SET), moves the scheduled job in when it is due (its poller's Lua ZRANGEBYSCORE + ZREM),
retries a job that raises once (the "retry" sorted set, a 1 s delay), keeps its heartbeat
(HSET, EXPIRE, SADD processes) and its counters; then Sidekiq's own API reads the stats back.
Everything is bounded in time; the Sidekiq process is stopped by its PID.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py; it also passes against Debian's redis-server:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_sidekiq.py

Without the sidekiq command the test reports skipped (exit 77), unless DKV_REQUIRE_SIDEKIQ is set
(scripts/test sets it: scripts/setup --test installs ruby-sidekiq).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
import dkv_fixture  # noqa: E402
from dkv_fixture import LOOPBACK, ServerTestCase, wait_for  # noqa: E402

dkv_fixture.take_server_argument()
dkv_fixture.exit_77_without_test_backend()

HERE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "sidekiq")
SIDEKIQ = shutil.which("sidekiq")
RUBY = shutil.which("ruby")
JOBS = 20  # RecordJobs pushed one by one (plus 2 in a bulk push)

if SIDEKIQ is None or RUBY is None:
    if os.environ.get("DKV_REQUIRE_SIDEKIQ"):
        print("sidekiq or ruby not found (Debian package ruby-sidekiq; scripts/setup --test)")
        sys.exit(1)
    print("skipped: no sidekiq command (Debian package ruby-sidekiq)")
    sys.exit(77)


class Sidekiq(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.env = dict(os.environ, REDIS_URL=f"redis://{LOOPBACK}:{self.server.port}/0")
        self.log = tempfile.NamedTemporaryFile(prefix="dkv-sidekiq-", suffix=".log", delete=False)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # Sidekiq shuts down within its -t timeout
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        os.unlink(self.log.name)

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()[-6000:]

    def client(self, *args):
        p = subprocess.run([RUBY, os.path.join(HERE, "client.rb"), *args], env=self.env,
                           cwd=HERE, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return json.loads(p.stdout.strip().splitlines()[-1])

    def start_sidekiq(self):
        self.proc = subprocess.Popen(
            [SIDEKIQ, "-r", os.path.join(HERE, "worker.rb"), "-c", "2", "-q", "critical",
             "-q", "default", "-t", "2"],
            env=self.env, cwd=HERE, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def test_jobs_scheduled_jobs_and_a_retry(self):
        pushed = self.client("enqueue", str(JOBS))
        self.assertEqual(pushed, {"enqueued": JOBS + 4, "scheduled": 1})
        # Before Sidekiq runs: the queue is a list of JSON jobs, the schedule a sorted set.
        self.assertEqual(self.r.llen("queue:default"), JOBS + 3)
        self.assertEqual(self.r.smembers("queues"), {b"default"})
        self.assertEqual(self.r.zcard("schedule"), 1)
        job = json.loads(self.r.lindex("queue:default", -1))
        self.assertEqual(job["class"], "RecordJob")
        self.assertEqual(job["args"], ["job0", 0])

        started = time.monotonic()
        self.start_sidekiq()
        done = wait_for(lambda: self.r.llen("sk:results") == JOBS + 2
                        and self.r.get("sk:done:flaky") is not None
                        and self.r.get("sk:scheduled") is not None, timeout=60, step=0.2)
        self.assertTrue(done, "jobs did not all run; sidekiq log:\n" + self.log_text())
        elapsed = time.monotonic() - started

        results = [x.decode() for x in self.r.lrange("sk:results", 0, -1)]
        expected = [f"job{i % 5}={i}" for i in range(JOBS)] + ["bulk=1", "bulk=2"]
        self.assertEqual(sorted(results), sorted(expected))
        counts = {k.decode(): int(v) for k, v in self.r.hgetall("sk:counts").items()}
        self.assertEqual(counts, {"job0": 4, "job1": 4, "job2": 4, "job3": 4, "job4": 4,
                                  "bulk": 2})
        self.assertEqual(self.r.scard("sk:names"), 6)
        # The flaky job failed once and succeeded on its retry.
        self.assertEqual(self.r.get("sk:attempts:flaky"), b"2")
        self.assertEqual(self.r.get("sk:done:flaky"), b"2")
        # The scheduled job ran about 3 s after it was enqueued, not before.
        enqueued_at, ran_at = (float(x) for x in self.r.get("sk:scheduled").split())
        self.assertGreaterEqual(ran_at - enqueued_at, 2.9)
        self.assertLess(elapsed, 60)

        # Sidekiq's API: counters, empty queue, retry and schedule sets, the live process.
        self.assertTrue(wait_for(lambda: self.client("stats")["processed"] >= JOBS + 4,
                                 timeout=15, step=0.5), self.log_text())
        stats = self.client("stats")
        self.assertEqual(stats["failed"], 1, stats)
        self.assertEqual(stats["enqueued"], 0, stats)
        self.assertEqual(stats["retry_size"], 0, stats)
        self.assertEqual(stats["scheduled_size"], 0, stats)
        self.assertEqual(stats["dead_size"], 0, stats)
        self.assertEqual(stats["processes"], 1, stats)

        # A clean stop: Sidekiq leaves within its 2 s shutdown timeout and removes its process
        # entry from the "processes" set.
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=20), 0, self.log_text())
        self.assertEqual(self.r.scard("processes"), 0)
        log = self.log_text()
        self.assertNotIn("ERR", log.replace("ERROR", ""), log)


if __name__ == "__main__":
    unittest.main()
