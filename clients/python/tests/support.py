"""Servers for the client's tests: a dkv-server (DKV_SERVER, else the build tree) and, for the
watch tests, Debian's redis-server, both started by tests/pylib/dkv_fixture.py of the
repository on free loopback ports and stopped by PID. DATAKNOBS_KV_URL points KVStore() at the
dkv-server, so the design plan's examples run unchanged."""

import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.realpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
import dkv_fixture  # noqa: E402

_servers = {}


def dkv_url():
    """The URL of the shared dkv-server, started on first use."""
    if "dkv" not in _servers:
        binary = dkv_fixture.server_binary()
        if binary is None:
            raise RuntimeError("set DKV_SERVER to the dkv-server binary")
        _servers["dkv"] = dkv_fixture.suite_server(binary, prefix="dkv-pyclient-").start()
    url = f"redis://{dkv_fixture.LOOPBACK}:{_servers['dkv'].port}"
    os.environ["DATAKNOBS_KV_URL"] = url
    return url


def redis_url():
    """The URL of a Debian redis-server (for the tracking tests); SkipTest without one."""
    if "redis" not in _servers:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            raise unittest.SkipTest("no redis-server (Debian package redis-server)")
        _servers["redis"] = dkv_fixture.Server(binary, prefix="dkv-pyclient-redis-").start()
    return f"redis://{dkv_fixture.LOOPBACK}:{_servers['redis'].port}"


def stop_all():
    for s in _servers.values():
        s.cleanup()
    _servers.clear()


def flush(url):
    import redis
    r = redis.Redis.from_url(url)
    try:
        r.flushall()
    finally:
        r.close()
