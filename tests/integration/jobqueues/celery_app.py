"""The Celery app of tests/integration/test_celery.py: the Redis broker and result backend at
$DKV_JOBS_URL (imported by the worker process and by the test)."""

import os

import redis
from celery import Celery

URL = os.environ["DKV_JOBS_URL"]
app = Celery("dkv_jobs", broker=URL, backend=URL)
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],
    broker_connection_retry_on_startup=True, worker_prefetch_multiplier=1,
    result_expires=600, task_acks_late=True,
    broker_transport_options={"visibility_timeout": 60},
)


def _r():
    return redis.Redis.from_url(URL)


@app.task
def add(x, y):
    _r().hincrby("celery:test:counts", "add", 1)
    return x + y


@app.task
def tsum(numbers):
    return sum(numbers)


@app.task(bind=True, max_retries=3)
def flaky(self, name):
    """Fails on its first attempt, succeeds on the retry (1 s later)."""
    attempts = _r().incr(f"celery:test:attempts:{name}")
    if attempts < 2:
        raise self.retry(countdown=1, exc=RuntimeError("first attempt fails"))
    return f"{name} after {attempts} attempts"


@app.task
def boom():
    raise ValueError("this task fails on purpose")
