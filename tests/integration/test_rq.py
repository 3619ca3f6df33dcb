#!/usr/bin/python3
"""RQ (Debian's python3-rq 1.13) against a real server: a producer enqueues jobs on two queues
(one with a dependency, one that raises, one scheduled 2 s ahead with enqueue_in), then a burst
worker (`rq worker --burst --with-scheduler`) runs them all and exits. Checked from the producer:
every job's status and return value (RQ 1.13 keeps results in a stream per job: XADD with
MAXLEN, read back with XREVRANGE), the failed job in the FailedJobRegistry with its traceback,
the dependent job run after its dependencies, the scheduled one not before its time, the
worker's registrations removed at exit. Bounded: 20 jobs, a 60 s limit on the worker.

The server comes from DKV_SERVER (or the first argument, or the build tree), as in
tests/pylib/dkv_fixture.py; it passes against Debian's redis-server:

    DKV_SERVER=/usr/bin/redis-server /usr/bin/python3 tests/integration/test_rq.py

DKV_JOBS_MONITOR=<file> records the commands the server receives (redis-cli MONITOR), to see
what a framework sends. Without python3-rq the test reports skipped (exit 77), unless
DKV_REQUIRE_JOB_QUEUES is set.
"""

import datetime
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, os.path.join(HERE, "jobqueues"))
import dkv_fixture  # noqa: E402
import jobqueue_support  # noqa: E402
from dkv_fixture import LOOPBACK, ServerTestCase  # noqa: E402

dkv_fixture.take_server_argument()
try:
    import rq
    from rq.registry import FailedJobRegistry, FinishedJobRegistry
except ImportError:
    jobqueue_support.skip_or_fail("python3-rq")

JOBS = 20


class RQ(ServerTestCase):
    def setUp(self):
        self.r.flushall()
        self.url = f"redis://{LOOPBACK}:{self.server.port}/0"
        self.env = dict(os.environ, DKV_JOBS_URL=self.url,
                        PYTHONPATH=os.path.join(HERE, "jobqueues"))
        os.environ["DKV_JOBS_URL"] = self.url
        self.monitor = jobqueue_support.Monitor(self.server.port)

    def tearDown(self):
        self.monitor.stop()

    def test_burst_worker_runs_every_job(self):
        import redis
        import rq_jobs
        conn = redis.Redis.from_url(self.url)
        default = rq.Queue("default", connection=conn)
        high = rq.Queue("high", connection=conn)
        jobs = [default.enqueue(rq_jobs.record, f"job{i % 4}", i) for i in range(JOBS - 2)]
        jobs += [high.enqueue(rq_jobs.record, "urgent", i) for i in range(2)]
        after = default.enqueue(rq_jobs.total, depends_on=jobs[:3])
        failing = default.enqueue(rq_jobs.fail)
        enqueued_at = time.time()
        scheduled = default.enqueue_in(datetime.timedelta(seconds=2),
                                       rq_jobs.record, "scheduled", 99)
        self.assertEqual(len(default), JOBS - 2 + 1)   # the dependent job waits, deferred
        self.assertEqual(len(high), 2)
        self.assertEqual(after.get_status(), "deferred")
        self.assertEqual(scheduled.get_status(), "scheduled")

        # A burst worker on both queues (high first) with the scheduler: it runs what is
        # queued, waits for nothing, but picks up the scheduled job once it is due because we
        # start it only then.
        while time.time() < enqueued_at + 2.2:
            time.sleep(0.1)
        p = subprocess.run(["/usr/bin/python3", "-m", "rq.cli", "worker", "--burst",
                            "--with-scheduler", "--url", self.url, "high", "default"],
                           env=self.env, capture_output=True, text=True, timeout=60)
        log = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, log)

        for j in jobs:
            j.refresh()
            self.assertEqual(j.get_status(), "finished", log)
        self.assertEqual([j.return_value() for j in jobs],
                         [i * 2 for i in range(JOBS - 2)] + [0, 2])
        # RQ 1.13 reads results back from the job's stream.
        self.assertEqual(jobs[0].latest_result().return_value, 0)
        self.assertEqual(len(jobs[0].results()), 1)
        after.refresh()
        self.assertEqual(after.get_status(), "finished", log)
        self.assertGreaterEqual(after.return_value(), 3)
        failing.refresh()
        self.assertEqual(failing.get_status(), "failed")
        self.assertIn("this job fails on purpose", failing.latest_result().exc_string)
        self.assertIn(failing.id, FailedJobRegistry(queue=default).get_job_ids())
        self.assertEqual(len(FinishedJobRegistry(queue=default).get_job_ids()), JOBS - 2 + 2)
        scheduled.refresh()
        self.assertEqual(scheduled.get_status(), "finished", log)
        self.assertEqual(scheduled.return_value(), 198)
        counts = {k.decode(): int(v) for k, v in self.r.hgetall("rq:test:counts").items()}
        self.assertEqual(counts, {"job0": 5, "job1": 5, "job2": 4, "job3": 4, "urgent": 2,
                                  "scheduled": 1})
        self.assertEqual(len(default), 0)
        self.assertEqual(len(high), 0)
        # The worker deregistered itself when it left.
        self.assertEqual(rq.Worker.count(connection=conn), 0)
        conn.close()


if __name__ == "__main__":
    unittest.main()
