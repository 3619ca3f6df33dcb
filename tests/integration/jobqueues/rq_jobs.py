"""Job functions for tests/integration/test_rq.py (imported by the RQ worker process)."""

import os

import redis


def _r():
    return redis.Redis.from_url(os.environ["DKV_JOBS_URL"])


def record(name, n):
    """Appends name=n to a list and counts per name; returns n * 2."""
    r = _r()
    r.rpush("rq:test:results", f"{name}={n}")
    r.hincrby("rq:test:counts", name, 1)
    return n * 2


def total():
    """Runs after its dependencies: the sum of the counts so far."""
    return sum(int(v) for v in _r().hvals("rq:test:counts"))


def fail():
    raise ValueError("this job fails on purpose")
