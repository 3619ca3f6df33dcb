"""scripts/bench's options and its order of reports: the throughput tables (strings, latency,
scripting) first, then, on a full run, the hierarchical, cache, persistence, postgres, http,
types, pubsub and tracking reports; --only runs one of them."""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

from . import (cache, durability, hierarchical, http_listener, persistence, postgres, pubsub,
               scripting, strings, tracking, types)
from .common import DEFAULT_DKV, REPO_ROOT, Interrupts, log

def ensure_dkv_built(path):
    """Build the release binary when the default path is missing."""
    if os.path.exists(path):
        return True
    log(f"{path} is missing: building the release tree")
    cmds = [["cmake", "-S", ".", "-B", "build/release", "-DCMAKE_BUILD_TYPE=Release"],
            ["cmake", "--build", "build/release", "-j2"]]
    for c in cmds:
        log("+ " + " ".join(c))
        if subprocess.run(c, cwd=REPO_ROOT).returncode != 0:
            return False
    return os.path.exists(path)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/bench", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick: 1)")
    p.add_argument("--quick", action="store_true", help="1 round, -n 20000")
    p.add_argument("-n", "--requests", type=int, default=None,
                   help="requests per run (default 200000; --quick: 20000)")
    p.add_argument("--latency-requests", type=int, default=None,
                   help="requests for the -c 1 latency run (default: requests / 4)")
    p.add_argument("--dkv", default=None, help=f"dkv-server binary (default {DEFAULT_DKV})")
    p.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server",
                   help="redis-server binary (default from PATH)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--json", metavar="FILE", help="also write every sample to FILE as JSON")
    p.add_argument("--pin", action="store_true",
                   help="pin the servers to CPU 0 and redis-benchmark to CPU 1")
    p.add_argument("--run-timeout", type=float, default=180.0,
                   help="seconds before one redis-benchmark run is abandoned (default 180)")
    p.add_argument("--only", choices=("strings", "scripting", "hierarchical", "cache",
                                      "persistence", "postgres", "http", "types", "pubsub",
                                      "tracking", "durability"),
                   default=None, help="run one part only (default: all)")
    p.add_argument("--max-minutes", type=float, default=30.0,
                   help="overall time budget; remaining runs are skipped after it (default 30)")
    a = p.parse_args(argv)
    if a.rounds is None:
        a.rounds = 1 if a.quick else 3
    if a.requests is None:
        a.requests = 20000 if a.quick else 200000
    if a.latency_requests is None:
        a.latency_requests = max(1000, a.requests // 4)
    if a.rounds < 1 or a.requests < 1 or a.latency_requests < 1:
        p.error("--rounds and request counts must be positive")
    return a


DESCRIPTION = "Throughput, latency and CPU cost of dkv-server next to redis-server."

# The reports after the throughput tables, in the order of a full run.
REPORTS = {"hierarchical": hierarchical.hierarchical_report, "cache": cache.cache_report,
           "persistence": persistence.persistence_report, "postgres": postgres.postgres_report,
           "http": http_listener.http_report, "types": types.types_report,
           "pubsub": pubsub.pubsub_report,
           "tracking": tracking.tracking_report, "durability": durability.durability_report}


def main(argv):
    args = parse_args(argv)
    if not shutil.which("redis-benchmark"):
        log("error: redis-benchmark not found (Debian package redis-tools)")
        return 2
    dkv_path = args.dkv or DEFAULT_DKV
    if args.dkv is None and not ensure_dkv_built(dkv_path):
        log(f"error: could not build {dkv_path}")
        return 2
    for b in (args.redis, dkv_path):
        if not os.access(b, os.X_OK):
            log(f"error: {b} is not an executable file")
            return 2

    # SIGTERM/SIGHUP take the same way out as Ctrl-C, so that finally runs.
    Interrupts.install()

    ncpu = len(os.sched_getaffinity(0))
    pin = args.pin and ncpu >= 2
    sections = strings.build_sections(args.requests, args.latency_requests)
    if args.only == "scripting":
        sections = [scripting.scripting_section(args.requests)]
    elif args.only == "strings":
        sections = sections[:2]
    tmp = tempfile.mkdtemp(prefix="dkv-bench-")
    if args.only in REPORTS:
        try:
            return REPORTS[args.only](args, dkv_path, tmp)
        except KeyboardInterrupt:
            log("interrupted")
            return 130
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    t_start = time.monotonic()
    try:
        status, results, elapsed = strings.run_throughput(args, dkv_path, tmp, sections, ncpu,
                                                          pin)
        if status is not None:
            return status
        if args.only is None:
            for report in REPORTS.values():
                report(args, dkv_path, tmp)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Total time: {time.monotonic() - t_start:.0f}s")
    if args.json:
        strings.write_json(args.json, sections, results, {
            "redis": args.redis, "dkv": dkv_path, "rounds": args.rounds,
            "requests": args.requests, "latency_requests": args.latency_requests,
            "ncpu": ncpu, "pinned": pin, "elapsed_s": elapsed})
    return 0
