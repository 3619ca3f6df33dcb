#!/usr/bin/python3
"""Differential test: run the same command scripts against redis-server and
dkv-server and compare the raw RESP reply bytes.

Usage:
    difftest.py --dkv PATH_TO_DKV_SERVER [--redis /usr/bin/redis-server]
                [--cases DIR] [--timeout SECONDS] [--max-seconds S] [-v]

Both servers are started on free loopback ports with their own temporary
directory (by tests/pylib/dkv_fixture.py, the launcher every Python test and
tool shares), every case file (cases/*.txt, in sorted order) is run against
both, and every reply from dkv-server is compared byte for byte with the
reply from redis-server.  The last line printed is

    difftest: N passed, M failed

and the exit status is non-zero when M > 0, when a server died, or when the
dkv-server log holds a sanitizer report.

Case file format (see README.md next to this file)
--------------------------------------------------
One command per line.  Blank lines and lines whose first non-blank
character is '#' are ignored.  A command line is split into arguments with
shlex (POSIX mode): quotes group words, a backslash outside quotes escapes
the next character.

Binary data.  After shlex splitting, every argument is decoded once more:
    \\xNN  -> the byte 0xNN (two hex digits)
    \\r \\n \\t \\0  -> CR, LF, TAB, NUL
    \\\\    -> one backslash
Any other backslash sequence (for example the glob escape \\* or \\?) is
kept as written.  shlex removes backslashes outside quotes, so write these
escapes inside SINGLE quotes, where shlex leaves them alone:
    SET 'a\\x00b' 'line1\\r\\nline2'
Characters outside ASCII are sent as UTF-8.

Large values.  Inside an argument, {{TEXT*N}} expands to TEXT repeated N
times (N <= 16777216), before the escape decoding, so {{x*100000}} is a
100000-byte argument and {{\\x00*3}} is three NUL bytes.

Directives (a line starting with '@'):
    @conn N        switch to client connection N (opened lazily, the same N
                   on both servers; every file starts on connection 1)
    @sleep MS      sleep MS milliseconds (both servers live through it)
    @type          compare only the RESP type byte of the next reply, plus
                   the element count for aggregates (timing-dependent
                   replies: PTTL, TIME, INFO, ...)
    @skip          send the next command to both, compare nothing
    @sorted        sort the elements of the next (aggregate) reply before
                   comparing (KEYS with several matches; a map's pairs are
                   sorted as pairs)
    @sortedscan    the next reply is [cursor, [keys...]]: compare the
                   cursor as is and the keys sorted
A modifier directive (@type, @skip, @sorted, @sortedscan) may also be
followed by the command on the same line:  @type PTTL k

Every file starts with fresh connections and a FLUSHALL that the harness
sends to each server itself.  Connections are closed at the end of each file,
so RESP3 mode, SELECTed database, MULTI and WATCH state do not leak from one
file to the next; configuration changed by CONFIG SET does.
"""

import argparse
import glob
import os
import re
import shlex
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "pylib"))
from dkv_fixture import Server  # noqa: E402

START_WAIT_SECONDS = 10.0
MAX_REPEAT = 16 * 1024 * 1024
SHOW_BYTES = 300
MAX_TIMEOUTS_IN_A_ROW = 5
START_ATTEMPTS = 3
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "WARNING: ThreadSanitizer", "runtime error:")

MODIFIERS = ("@type", "@skip", "@sorted", "@sortedscan")


# --------------------------------------------------------------------------
# Case file parsing
# --------------------------------------------------------------------------

class CaseError(Exception):
    pass


_REPEAT_RE = re.compile(r"\{\{(.+?)\*(\d+)\}\}", re.S)
_ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{2}|[rnt0\\])")
_SIMPLE_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}


def expand_repeats(text):
    def repl(m):
        count = int(m.group(2))
        if count > MAX_REPEAT:
            raise CaseError("repeat count too large: %d" % count)
        return m.group(1) * count
    return _REPEAT_RE.sub(repl, text)


def decode_token(text):
    """Turn one shlex token into the bytes that are sent."""
    text = expand_repeats(text)
    out = []
    pos = 0
    for m in _ESCAPE_RE.finditer(text):
        out.append(text[pos:m.start()].encode("utf-8"))
        esc = m.group(1)
        if esc[0] == "x":
            out.append(bytes([int(esc[1:], 16)]))
        else:
            out.append(_SIMPLE_ESCAPES[esc])
        pos = m.end()
    out.append(text[pos:].encode("utf-8"))
    return b"".join(out)


class Step:
    """One thing to do: a command, a connection switch or a sleep."""

    def __init__(self, kind, lineno, text, args=None, mode="exact", value=0):
        self.kind = kind          # "cmd", "conn", "sleep"
        self.lineno = lineno
        self.text = text
        self.args = args
        self.mode = mode          # exact, type, skip, sorted, sortedscan
        self.value = value


def parse_case_file(path):
    steps = []
    pending = None
    with open(path, "r", encoding="utf-8") as f:
        lines = f.read().split("\n")
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        mode = None
        if line.startswith("@"):
            word, _, rest = line.partition(" ")
            rest = rest.strip()
            if word == "@conn":
                if not rest.isdigit():
                    raise CaseError("%s:%d: @conn needs a number" % (path, lineno))
                steps.append(Step("conn", lineno, line, value=int(rest)))
                continue
            if word == "@sleep":
                if not rest.isdigit() or int(rest) > 60000:
                    raise CaseError("%s:%d: @sleep needs 0..60000 ms" % (path, lineno))
                steps.append(Step("sleep", lineno, line, value=int(rest)))
                continue
            if word not in MODIFIERS:
                raise CaseError("%s:%d: unknown directive %s" % (path, lineno, word))
            if pending is not None:
                raise CaseError("%s:%d: two modifiers in a row" % (path, lineno))
            mode = word[1:]
            if not rest:
                pending = mode
                continue
            line = rest
        else:
            mode = pending or "exact"
        pending = None
        try:
            tokens = shlex.split(line, comments=False, posix=True)
        except ValueError as e:
            raise CaseError("%s:%d: cannot split line: %s" % (path, lineno, e))
        try:
            args = [decode_token(t) for t in tokens]
        except CaseError as e:
            raise CaseError("%s:%d: %s" % (path, lineno, e))
        if not args:
            raise CaseError("%s:%d: empty command" % (path, lineno))
        steps.append(Step("cmd", lineno, line, args=args, mode=mode))
    if pending is not None:
        raise CaseError("%s: modifier @%s at end of file" % (path, pending))
    return steps


# --------------------------------------------------------------------------
# RESP encoding and reading
# --------------------------------------------------------------------------

def encode_command(args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n" % len(a))
        parts.append(a)
        parts.append(b"\r\n")
    return b"".join(parts)


class ProtocolError(Exception):
    pass


class ConnectionClosed(Exception):
    pass


class SocketSource:
    """Buffered reads from a socket (readline up to CRLF, read exactly n)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed("connection closed by server")
        self.buf += chunk

    def readline(self):
        limit = 0
        while True:
            i = self.buf.find(b"\r\n", limit)
            if i >= 0:
                line = bytes(self.buf[:i + 2])
                del self.buf[:i + 2]
                return line
            limit = max(0, len(self.buf) - 1)
            if len(self.buf) > 64 * 1024 * 1024:
                raise ProtocolError("line longer than 64 MiB")
            self._fill()

    def read(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data


class BytesSource:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def readline(self):
        i = self.data.find(b"\r\n", self.pos)
        if i < 0:
            raise ProtocolError("truncated reply")
        line = self.data[self.pos:i + 2]
        self.pos = i + 2
        return line

    def read(self, n):
        if self.pos + n > len(self.data):
            raise ProtocolError("truncated reply")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


SIMPLE_TYPES = b"+-:_#,("
BULK_TYPES = b"$!="
AGGREGATE_TYPES = b"*~>"
PAIR_TYPES = b"%|"


def read_reply(src):
    """Read one complete RESP2/RESP3 reply and return its raw bytes.

    An attribute (|) is returned together with the value that follows it.
    Streamed strings ($?) and streamed aggregates (*?, ~?, %?) are read up
    to their terminator."""
    out = []
    pending = 1          # values still to read
    streams = []         # stack: counts pending at the start of a *? stream
    guard = 0
    while pending > 0 or streams:
        guard += 1
        if guard > 50_000_000:
            raise ProtocolError("reply too large")
        line = src.readline()
        out.append(line)
        t = line[:1]
        body = line[1:-2]
        if not t:
            raise ProtocolError("empty line")
        if t == b"." and streams and body == b"":
            # end of a streamed aggregate
            pending = streams.pop() - 1
            continue
        if t in SIMPLE_TYPES:
            pending -= 1
        elif t in BULK_TYPES:
            if body == b"?":
                # streamed string: ;N chunks until ;0
                for _ in range(10_000_000):
                    cl = src.readline()
                    out.append(cl)
                    if cl[:1] != b";":
                        raise ProtocolError("bad stream chunk %r" % cl)
                    n = _int(cl[1:-2])
                    if n == 0:
                        break
                    out.append(src.read(n + 2))
                pending -= 1
            else:
                n = _int(body)
                if n >= 0:
                    out.append(src.read(n + 2))
                pending -= 1
        elif t in AGGREGATE_TYPES or t in PAIR_TYPES:
            if body == b"?":
                streams.append(pending)
                pending = 10 ** 12     # until the "." terminator
                continue
            n = _int(body)
            pending -= 1
            if n > 0:
                pending += n * (2 if t in PAIR_TYPES else 1)
            if t == b"|":
                pending += 1           # the attributed value itself
            if t == b">" and n < 0:
                raise ProtocolError("negative push length")
        else:
            raise ProtocolError("unknown RESP type byte %r in %r" % (t, line))
    return b"".join(out)


def _int(b):
    try:
        return int(b)
    except ValueError:
        raise ProtocolError("bad length %r" % b)


def split_aggregate(raw):
    """Return (header_line, [raw elements]) of an aggregate reply, or
    (None, None) when raw is not an aggregate."""
    t = raw[:1]
    if not (t in AGGREGATE_TYPES or t in PAIR_TYPES) or t == b"|":
        return None, None
    src = BytesSource(raw)
    header = src.readline()
    n = _int(header[1:-2])
    if n < 0:
        return header, []
    count = n * (2 if t in PAIR_TYPES else 1)
    elems = [read_reply(src) for _ in range(count)]
    if t in PAIR_TYPES:
        elems = [elems[i] + elems[i + 1] for i in range(0, len(elems), 2)]
    return header, elems


def sorted_reply(raw):
    header, elems = split_aggregate(raw)
    if header is None:
        return raw
    return header + b"".join(sorted(elems))


def sortedscan_reply(raw):
    header, elems = split_aggregate(raw)
    if header is None or len(elems) != 2:
        return raw
    return header + elems[0] + sorted_reply(elems[1])


def type_of_reply(raw):
    t = raw[:1]
    if t in AGGREGATE_TYPES or t in PAIR_TYPES:
        return raw[:raw.find(b"\r\n") + 2]
    return t


def normalize(raw, mode):
    if mode == "sorted":
        return sorted_reply(raw)
    if mode == "sortedscan":
        return sortedscan_reply(raw)
    if mode == "type":
        return type_of_reply(raw)
    return raw


# --------------------------------------------------------------------------
# Servers and connections
# --------------------------------------------------------------------------

class DiffServer(Server):
    """A server of tests/pylib/dkv_fixture.py, no snapshot files, named in the report. A port
    found free can be taken before the server binds it: the process must still run 0.2 s after
    its PONG, and a start whose process exited is tried again on another port (3 attempts)."""

    def __init__(self, name, binary):
        super().__init__(binary, prefix="difftest-%s-" % name, save_off=True,
                         start_timeout=START_WAIT_SECONDS, attempts=START_ATTEMPTS,
                         settle_s=0.2)
        self.name = name

    def last_lines(self, n=30):
        return "\n".join(self.log_lines(n) or [])

    def sanitizer_report(self, n=60):
        """Lines from the first sanitizer report in the log, or ''."""
        lines = (self.log_text() or "").splitlines()
        for i, line in enumerate(lines):
            if any(m in line for m in SANITIZER_MARKERS):
                return "\n".join(lines[i:i + n])
        return ""


class Connection:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.src = SocketSource(self.sock)

    def command(self, args):
        self.sock.sendall(encode_command(args))
        reply = read_reply(self.src)
        # RESP3 pushes that arrive with the reply (client tracking's invalidations for the
        # client's own writes follow its reply in the same write) are compared with it.
        while self.src.buf[:1] == b">":
            reply += read_reply(self.src)
        if self.src.buf:
            extra = bytes(self.src.buf[:80])
            raise ProtocolError("unexpected bytes after the reply %r: %r"
                                % (reply[:80], extra))
        return reply

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Side:
    """One server plus its client connections for the current file."""

    def __init__(self, server, timeout):
        self.server = server
        self.timeout = timeout
        self.conns = {}
        self.timeouts_in_a_row = 0

    def conn(self, n):
        c = self.conns.get(n)
        if c is None:
            c = Connection(self.server.port, self.timeout)
            self.conns[n] = c
        return c

    def run(self, n, args):
        """Send args on connection n; return (raw_reply, problem)."""
        try:
            c = self.conn(n)
            reply = c.command(args)
            self.timeouts_in_a_row = 0
            return reply, None
        except socket.timeout:
            self.timeouts_in_a_row += 1
            problem = "<no reply within %.1f s>" % self.timeout
        except ConnectionClosed:
            problem = "<connection closed>"
        except ProtocolError as e:
            problem = "<protocol error: %s>" % e
        except OSError as e:
            problem = "<socket error: %s>" % e
        # the connection is out of step now: drop it, the next use reopens
        c = self.conns.pop(n, None)
        if c is not None:
            c.close()
        return None, problem

    def close_all(self):
        for c in self.conns.values():
            c.close()
        self.conns = {}


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

def show(raw):
    if raw is None:
        return "(none)"
    r = repr(raw)
    if len(r) > SHOW_BYTES:
        r = r[:SHOW_BYTES] + "... (%d bytes)" % len(raw)
    return r


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.fatal = None


def run_file(path, redis, dkv, result, verbose, deadline, max_seconds):
    name = os.path.basename(path)
    steps = parse_case_file(path)
    cur = 1
    try:
        for side in (redis, dkv):
            reply, problem = side.run(1, [b"FLUSHALL"])
            if reply != b"+OK\r\n":
                print("%s: harness FLUSHALL on %s answered %s"
                      % (name, side.server.name, problem or show(reply)))
                result.failed += 1
        for st in steps:
            if st.kind == "conn":
                cur = st.value
                continue
            if st.kind == "sleep":
                time.sleep(st.value / 1000.0)
                continue
            exp, exp_problem = redis.run(cur, st.args)
            got, got_problem = dkv.run(cur, st.args)
            where = "%s:%d" % (name, st.lineno)
            if exp_problem is not None:
                print("%s: redis-server gave no reply to %s: %s"
                      % (where, st.text, exp_problem))
            if got_problem is not None or exp_problem is not None:
                # a closed connection may be a server on its way out
                for _ in range(50):
                    if not (redis.server.alive() and dkv.server.alive()):
                        break
                    time.sleep(0.02)
            if not redis.server.alive():
                result.fatal = "redis-server died at %s (%s)" % (where, st.text)
                result.failed += 1
                return
            if not dkv.server.alive():
                result.fatal = "dkv-server died at %s (%s)" % (where, st.text)
                print("DIFF %s: %s\n  expected: %s\n  got:      %s"
                      % (where, st.text, show(exp), got_problem or show(got)))
                result.failed += 1
                return
            if dkv.timeouts_in_a_row >= MAX_TIMEOUTS_IN_A_ROW:
                result.fatal = ("dkv-server gave no reply to %d commands in a row "
                                "(last at %s)" % (dkv.timeouts_in_a_row, where))
                result.failed += 1
                return
            if redis.timeouts_in_a_row >= MAX_TIMEOUTS_IN_A_ROW:
                result.fatal = "redis-server stopped answering (at %s)" % where
                result.failed += 1
                return
            if time.monotonic() > deadline:
                result.fatal = "run exceeded %.0f s (at %s)" % (max_seconds, where)
                result.failed += 1
                return
            if st.mode == "skip":
                result.skipped += 1
                if verbose:
                    print("%s: %s [skip]\n  redis: %s\n  dkv:   %s"
                          % (where, st.text, exp_problem or show(exp),
                             got_problem or show(got)))
                continue
            ok = (exp is not None and got is not None and
                  normalize(exp, st.mode) == normalize(got, st.mode))
            if ok:
                result.passed += 1
                if verbose:
                    tag = "" if st.mode == "exact" else " [%s]" % st.mode
                    print("%s: %s%s\n  ok: %s" % (where, st.text, tag, show(exp)))
            else:
                result.failed += 1
                tag = "" if st.mode == "exact" else " [%s]" % st.mode
                print("DIFF %s: %s%s\n  expected: %s\n  got:      %s"
                      % (where, st.text, tag, exp_problem or show(exp),
                         got_problem or show(got)))
    finally:
        redis.close_all()
        dkv.close_all()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare dkv-server replies with redis-server's.")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--dkv", required=True, help="path to the dkv-server binary")
    ap.add_argument("--redis", default="/usr/bin/redis-server", help="path to redis-server")
    ap.add_argument("--cases", default=os.path.join(here, "cases"),
                    help="directory of *.txt case files")
    ap.add_argument("--timeout", type=float, default=5.0, help="reply timeout in seconds")
    ap.add_argument("--max-seconds", type=float, default=900.0,
                    help="give up when the whole run takes longer than this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every command and reply")
    opts = ap.parse_args(argv)

    files = sorted(glob.glob(os.path.join(opts.cases, "*.txt")))
    if not files:
        print("difftest: no case files in %s" % opts.cases)
        print("difftest: 0 passed, 1 failed")
        return 2
    try:
        for f in files:
            parse_case_file(f)          # fail early on a malformed file
    except CaseError as e:
        print("difftest: %s" % e)
        print("difftest: 0 passed, 1 failed")
        return 2

    redis_srv = DiffServer("redis", opts.redis)
    dkv_srv = DiffServer("dkv", opts.dkv)
    result = Result()
    try:
        try:
            redis_srv.start()
            dkv_srv.start(avoid_ports=(redis_srv.port,))
        except (RuntimeError, OSError) as e:
            result.fatal = str(e)
        if result.fatal is None:
            deadline = time.monotonic() + opts.max_seconds
            redis = Side(redis_srv, opts.timeout)
            dkv = Side(dkv_srv, opts.timeout)
            for f in files:
                run_file(f, redis, dkv, result, opts.verbose, deadline,
                         opts.max_seconds)
                if result.fatal:
                    break
            if result.fatal is None and not dkv_srv.alive():
                result.fatal = "dkv-server died"
            if result.fatal is None and not redis_srv.alive():
                result.fatal = "redis-server died"
    except KeyboardInterrupt:
        result.fatal = "interrupted"
    finally:
        redis_srv.stop()
        dkv_srv.stop()
        sanitizer = dkv_srv.sanitizer_report()
        if sanitizer:
            print("---- sanitizer report in the dkv-server log ----\n%s" % sanitizer)
            if result.fatal is None:
                result.fatal = "dkv-server log has a sanitizer report"
        if result.fatal:
            shown = [dkv_srv]
            if "redis" in result.fatal:
                shown.insert(0, redis_srv)
            for srv in shown:
                tail = srv.last_lines()
                if tail:
                    print("---- last lines of %s log ----\n%s" % (srv.name, tail))
        redis_srv.cleanup()
        dkv_srv.cleanup()

    if result.fatal:
        print("difftest: FATAL: %s" % result.fatal)
    if result.skipped:
        print("difftest: %d skipped (@skip)" % result.skipped)
    print("difftest: %d passed, %d failed" % (result.passed, result.failed))
    return 1 if (result.failed or result.fatal) else 0


if __name__ == "__main__":
    sys.exit(main())
