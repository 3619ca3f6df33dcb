"""The scripting section of scripts/bench (--only scripting): EVALSHA of the two scripts web
frameworks send most, run like the string commands (strings.run_throughput)."""

import hashlib

from .common import Case, Resp, Section

# The scripts web frameworks send most: a read by EVALSHA, and a lock release (GET, compare, DEL
# when the token matches; here it never matches, so the key stays for the next call).
SCRIPT_GET = "return redis.call('get', KEYS[1])"
SCRIPT_RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                  "return redis.call('del', KEYS[1]) else return 0 end")


def sha1_hex(text):
    return hashlib.sha1(text.encode()).hexdigest()


def scripting_section(n):
    def prepare(srv):
        c = Resp(srv.port)
        for script in (SCRIPT_GET, SCRIPT_RELEASE):
            c.call("SCRIPT", "LOAD", script)
        c.call("SET", "lock:bench", "token")
        c.close()
    common = ["-r", "1000000"]
    cases = []
    for pipeline in (1, 16):
        cases.append(Case(label="EVALSHA get", pipeline=pipeline, clients=50, requests=n,
                          command=["EVALSHA", sha1_hex(SCRIPT_GET), "1", "key:__rand_int__"],
                          extra=common))
        cases.append(Case(label="EVALSHA lock release", pipeline=pipeline, clients=50,
                          requests=n, command=["EVALSHA", sha1_hex(SCRIPT_RELEASE), "1",
                                               "lock:bench", "other-token"]))
    return Section("Scripting (-c 50; EVALSHA of loaded scripts)", cases, prepare=prepare)
