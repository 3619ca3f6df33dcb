"""What the asyncio and synchronous stores share about connecting: the URL, the namespace (a
SELECT on every new connection), timeouts, retries and the pool size, as redis-py takes them."""

import os
import urllib.parse
from typing import Any, Dict, Optional, Tuple, Union

DEFAULT_URL = "redis://127.0.0.1:6379"
URL_ENV = "DATAKNOBS_KV_URL"
# What `backend` may say. The storage backend is the server's configuration (dkv keeps every
# key in memory and persists to snapshots or PostgreSQL as its `persistence.backend` says);
# a client accepts the name for compatibility with the design plan and does not act on it.
BACKENDS = ("memory", "file", "postgres", "redis", "dkv", "server")


def resolve_url(url: Optional[str]) -> str:
    """The URL given, else $DATAKNOBS_KV_URL, else redis://127.0.0.1:6379."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def split_namespace(url: str) -> Tuple[str, Optional[str]]:
    """A URL whose path names a namespace (redis://host:6379/user_data, as dkv-migrate's
    dkv://host:port/namespace) without that path, and the name; a numbered database stays in
    the URL for redis-py."""
    parts = urllib.parse.urlsplit(url)
    name = urllib.parse.unquote(parts.path.lstrip("/"))
    if name and not name.isdigit():
        return urllib.parse.urlunsplit(parts._replace(path="")), name
    return url, None


def check_backend(backend: Optional[str]) -> Optional[str]:
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)}); the "
                         f"storage backend is the server's configuration")
    return backend


def pool_kwargs(socket_timeout: Optional[float], connect_timeout: Optional[float],
                retries: int, max_connections: Optional[int], retry_module: Any,
                backoff_module: Any, extra: Dict[str, Any]) -> Dict[str, Any]:
    kw: Dict[str, Any] = dict(extra)
    # Key names that are not UTF-8 come back as str with surrogate escapes (PEP 383) and go
    # out again as the same bytes.
    kw.setdefault("encoding_errors", "surrogateescape")
    if socket_timeout is not None:
        kw["socket_timeout"] = socket_timeout
    if connect_timeout is not None:
        kw["socket_connect_timeout"] = connect_timeout
    if max_connections is not None:
        kw["max_connections"] = max_connections
    if retries > 0:
        import redis.exceptions as rex
        kw["retry"] = retry_module.Retry(backoff_module.ExponentialBackoff(cap=1.0, base=0.05), retries)
        kw["retry_on_error"] = [rex.ConnectionError, rex.TimeoutError]
    return kw


def apply_namespace(connection_kwargs: Dict[str, Any],
                    namespace: Union[str, int, None]) -> None:
    """Every connection of the pool SELECTs the namespace when it connects (redis-py sends
    SELECT for a `db`); a named namespace is created by the server on first use."""
    if namespace is not None:
        connection_kwargs["db"] = namespace
