#!/usr/bin/python3
"""Celery (Debian's python3-celery 5.2, kombu's Redis transport) with the Redis broker and the
Redis result backend against a real server: a worker process (`celery worker -c 2`, prefork)
runs 20 `add` tasks sent with delay(), a group, a chord (the backend's chord counter), a task
with an ETA 2 s ahead, a task that retries once, and one that raises; the producer waits for
every result through the result backend (which subscribes to each task's result channel),
checks values, states and the exception, then the worker stops on SIGTERM by its PID.
Bounded: 30 tasks, 60 s per wait.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py; it passes against Debian's redis-server:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_celery.py

DKV_JOBS_MONITOR=<file> records the commands the server receives. Without python3-celery the
test reports skipped (exit 77), unless DKV_REQUIRE_JOB_QUEUES is set.
"""

import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, os.path.join(HERE, "jobqueues"))
import dkv_fixture  # noqa: E402
import jobqueue_support  # noqa: E402
from dkv_fixture import LOOPBACK, ServerTestCase, wait_for  # noqa: E402

dkv_fixture.take_server_argument()
try:
    import celery  # noqa: F401
except ImportError:
    jobqueue_support.skip_or_fail("python3-celery")

TASKS = 20
WAIT_S = 60


class Celery(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.url = f"redis://{LOOPBACK}:{self.server.port}/0"
        os.environ["DKV_JOBS_URL"] = self.url
        self.env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "jobqueues"))
        self.log = tempfile.NamedTemporaryFile(prefix="dkv-celery-", suffix=".log", delete=False)
        self.monitor = jobqueue_support.Monitor(self.server.port)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # The worker's own process group (start_new_session): it and its pool children.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.monitor.stop()
        self.log.close()
        os.unlink(self.log.name)

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()[-6000:]

    def start_worker(self):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "celery", "-A", "celery_app", "worker", "-c", "2",
             "-l", "INFO", "--without-gossip", "--without-mingle", "-n", "dkv-test@%h"],
            env=self.env, cwd=os.path.join(HERE, "jobqueues"), stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def test_worker_runs_tasks_and_results_come_back(self):
        import celery_app
        from celery import chord, group
        from celery.result import AsyncResult

        results = [celery_app.add.delay(i, i) for i in range(TASKS)]
        eta = celery_app.add.apply_async((100, 1), countdown=2)
        sent_at = time.time()
        retried = celery_app.flaky.delay("job")
        failing = celery_app.boom.delay()
        grouped = group(celery_app.add.s(i, 1) for i in range(4)).apply_async()
        chorded = chord(celery_app.add.s(i, 10) for i in range(3))(celery_app.tsum.s())
        # Queued in the broker (a list named after the queue) before any worker runs.
        self.assertGreaterEqual(self.r.llen("celery"), TASKS)

        self.start_worker()
        try:
            self.assertEqual([r.get(timeout=WAIT_S) for r in results],
                             [2 * i for i in range(TASKS)])
            self.assertEqual(grouped.get(timeout=WAIT_S), [1, 2, 3, 4])
            self.assertEqual(chorded.get(timeout=WAIT_S), 10 + 11 + 12)
            self.assertEqual(eta.get(timeout=WAIT_S), 101)
            self.assertGreaterEqual(time.time() - sent_at, 1.9)
            self.assertEqual(retried.get(timeout=WAIT_S), "job after 2 attempts")
            with self.assertRaises(ValueError) as cm:
                failing.get(timeout=WAIT_S)
            self.assertIn("this task fails on purpose", str(cm.exception))
        except Exception:
            print(self.log_text())
            raise
        self.assertEqual(failing.state, "FAILURE")
        self.assertEqual(AsyncResult(results[0].id, app=celery_app.app).state, "SUCCESS")
        self.assertEqual(int(self.r.hget("celery:test:counts", "add")), TASKS + 1 + 4 + 3)
        # Results live in the backend as celery-task-meta-<id> keys with a TTL.
        self.assertGreater(self.r.ttl(f"celery-task-meta-{results[0].id}"), 0)
        self.assertTrue(wait_for(lambda: self.r.llen("celery") == 0, timeout=10))

        # A clean stop: the worker leaves on SIGTERM (warm shutdown).
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=30), 0, self.log_text())
        errors = [line for line in self.log_text().splitlines()
                  if "ERROR/" in line and "celery_app.boom" not in line]
        self.assertEqual(errors, [], self.log_text())
        # Let go of the results while the server is up: a pending one unsubscribes on release.
        del results, eta, retried, failing, grouped, chorded
        gc.collect()
        celery_app.app.close()


if __name__ == "__main__":
    unittest.main()
