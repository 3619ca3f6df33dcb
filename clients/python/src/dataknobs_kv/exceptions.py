"""Exceptions of dataknobs_kv.

Every error the server answers becomes a KVResponseError carrying the server's text (as redis-py
reports it: a leading "ERR " is dropped, other codes such as "WRONGTYPE" are kept). Problems the
client sees before sending anything (a key with an empty segment, a malformed pattern, a value
that does not fit its type) raise the ValueError subclasses below, with the server's wording.
"""

from typing import Optional


class KVError(Exception):
    """Base class of every exception dataknobs_kv raises."""


class KVResponseError(KVError):
    """The server refused a command; str(e) is its error text."""


class KVConnectionError(KVError, ConnectionError):
    """The server could not be reached, or the connection broke."""


class KVTimeoutError(KVError, TimeoutError):
    """The server did not answer within the socket timeout."""


class InvalidKeyError(KVError, ValueError):
    """A key the server would refuse (an empty segment: "", "a..b", ".a", "a.")."""


class InvalidPatternError(KVError, ValueError):
    """A malformed hierarchical pattern (an unclosed "[" or "{")."""


class InvalidValueError(KVError, ValueError):
    """A Python value that cannot be written with the requested type."""


def translate(exc: BaseException) -> Optional[KVError]:
    """The dataknobs_kv exception for a redis-py exception, or None for any other one."""
    import redis.exceptions as rex

    if isinstance(exc, KVError):
        return exc
    if isinstance(exc, rex.TimeoutError):
        return KVTimeoutError(str(exc))
    if isinstance(exc, rex.ConnectionError):
        return KVConnectionError(str(exc))
    if isinstance(exc, rex.ResponseError):
        return KVResponseError(str(exc))
    if isinstance(exc, rex.RedisError):
        return KVError(str(exc))
    return None
