"""What the job-queue tests (test_celery.py, test_rq.py) share: skipping without the framework,
and DKV_JOBS_MONITOR=<file>, which records every command the server receives during the test
(`redis-cli -p P MONITOR`, appended to the file) so one can list what a framework sends."""

import os
import shutil
import subprocess
import sys


def skip_or_fail(package):
    if os.environ.get("DKV_REQUIRE_JOB_QUEUES"):
        print(f"{package} is not installed (scripts/setup --test installs it)")
        sys.exit(1)
    print(f"skipped: {package} is not installed (scripts/setup --test installs it)")
    sys.exit(77)


class Monitor:
    """redis-cli MONITOR into $DKV_JOBS_MONITOR while a test runs (nothing without it)."""

    def __init__(self, port):
        self.proc = None
        path = os.environ.get("DKV_JOBS_MONITOR")
        cli = shutil.which("redis-cli")
        if path and cli:
            self.out = open(path, "a")
            self.proc = subprocess.Popen([cli, "-h", "127.0.0.1", "-p", str(port), "monitor"],
                                         stdout=self.out, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.out.close()
            self.proc = None
