"""Hierarchical glob patterns, as the server's KV.* commands read them (docs/commands.md,
"Hierarchical keys"): `*` matches within one segment, `**` across segments, `?` one character
other than the separator, `[abc]`, `[a-z]`, `[!a-c]`/`[^a-c]` one character (never the
separator), `{dev,prod}` alternatives (which may hold other tokens), `\\x` a literal `x`.

The server does the matching for every store operation; the client needs it only to filter the
invalidations a `watch(pattern)` receives for the pattern's literal prefix, and to compute that
prefix.
"""

import re
from typing import List, Pattern, Tuple

from .exceptions import InvalidPatternError

MAX_PATTERN_BYTES = 16 * 1024
_SPECIAL = "*?[{\\"


def literal_prefix(pattern: str) -> str:
    """The part of a pattern before its first wildcard: "app.config.*" -> "app.config."."""
    for i, c in enumerate(pattern):
        if c in _SPECIAL:
            return pattern[:i]
    return pattern


def _split_alternatives(body: str) -> List[str]:
    """Splits the inside of {...} at its top-level commas."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def _closing(pattern: str, i: int, open_c: str, close_c: str) -> int:
    """The index of the bracket closing the one at `i`, honouring escapes and nesting."""
    depth, j = 0, i
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if open_c == "[" and j > i + 1 and c == "]" and not (j == i + 2 and pattern[i + 1] in "!^"):
            return j
        if open_c == "{":
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return j
        j += 1
    raise InvalidPatternError(f"invalid pattern: unclosed '{open_c}'")


def _class(body: str, sep: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    items: List[Tuple[str, str]] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            i += 1
            c = body[i]
        if i + 2 < len(body) and body[i + 1] == "-":
            hi = body[i + 2]
            if hi == "\\" and i + 3 < len(body):
                hi = body[i + 3]
                i += 1
            items.append((c, hi))
            i += 3
        else:
            items.append((c, c))
            i += 1
    ranges = "".join(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}"
                     for lo, hi in items)
    if negate:
        return f"[^{ranges}{re.escape(sep)}]"
    return f"(?:(?!{re.escape(sep)})[{ranges}])" if ranges else "(?!)"


def _translate(pattern: str, sep: str) -> str:
    out, i = [], 0
    not_sep = f"[^{re.escape(sep)}]"
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "*":
            if pattern.startswith("**", i):
                while i < len(pattern) and pattern[i] == "*":
                    i += 1
                out.append(".*")
            else:
                out.append(not_sep + "*")
                i += 1
        elif c == "?":
            out.append(not_sep)
            i += 1
        elif c == "[":
            j = _closing(pattern, i, "[", "]")
            out.append(_class(pattern[i + 1:j], sep))
            i = j + 1
        elif c == "{":
            j = _closing(pattern, i, "{", "}")
            alts = [_translate(a, sep) for a in _split_alternatives(pattern[i + 1:j])]
            out.append("(?:" + "|".join(alts) + ")")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def compile_pattern(pattern: str, separator: str = ".", nocase: bool = False) -> "Pattern[str]":
    """A compiled regular expression that matches exactly the keys the pattern matches."""
    if len(pattern.encode("utf-8", "surrogateescape")) > MAX_PATTERN_BYTES:
        raise InvalidPatternError("invalid pattern: longer than 16 KiB")
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(_translate(pattern, separator), flags)


def matches(pattern: str, key: str, separator: str = ".", nocase: bool = False) -> bool:
    """True when `key` matches the hierarchical `pattern`."""
    return compile_pattern(pattern, separator, nocase).fullmatch(key) is not None
