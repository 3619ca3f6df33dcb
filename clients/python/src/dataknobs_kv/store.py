"""KVStore: the asyncio client of DataKnobs KV (dkv), on redis-py's asyncio client.

Every method is one KV.* or Redis command (or one pipeline/MULTI of them), run by the shared
operations in _ops.py. sync.py is the synchronous twin, generated from this file by
scripts/gen_sync.py (the same methods without async/await); edit this file, then regenerate.
"""

import datetime as _dt
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import redis.asyncio as _redis
import redis.asyncio.retry as _retry
import redis.backoff as _backoff

from . import _conn
from ._ops import TTL, Cmd, Op, Ops, Request
from .exceptions import translate
from .values import KeyInfo, TreeNode, Value, ValueType
from .watch import AsyncWatch as _Watch


class KVStore:
    """A key/value store in a dkv server: hierarchical keys ("app.config.database.host"),
    typed values with metadata, patterns, TTLs, compare-and-swap, namespaces.

    url:        the server, redis://[user:password@]host:port[/db or /namespace] (rediss://
                for TLS); default $DATAKNOBS_KV_URL, else redis://127.0.0.1:6379.
    namespace:  a named namespace ("user_data") or a database number; every connection
                SELECTs it, so two stores in different namespaces never see each other's keys.
    separator:  the server's key separator (`key-separator`, "." by default), for key checks.
    backend:    accepted for the design plan's KVStore(backend="postgres"); where values are
                stored is the server's configuration (persistence.backend), not the client's.
    socket_timeout, connect_timeout (seconds), retries (on connection errors and timeouts,
    exponential backoff), max_connections (a bound on the pool: commands beyond it wait for a
    free connection), and any other redis-py connection
    option (redis_options) go to redis-py's connection pool.
    """

    def __init__(self, url: Optional[str] = None, namespace: Union[str, int, None] = None,
                 separator: str = ".", *, backend: Optional[str] = None,
                 socket_timeout: Optional[float] = None, connect_timeout: Optional[float] = None,
                 retries: int = 0, max_connections: Optional[int] = None,
                 **redis_options: Any) -> None:
        self.url = _conn.resolve_url(url)
        pool_url, url_namespace = _conn.split_namespace(self.url)
        if namespace is None:
            namespace = url_namespace
        self.namespace = namespace
        self.separator = separator
        self.backend = _conn.check_backend(backend)
        kw = _conn.pool_kwargs(socket_timeout, connect_timeout, retries, max_connections,
                               _retry, _backoff, redis_options)
        # With a bound, a command waits for a free connection instead of failing.
        pool_class = (_redis.BlockingConnectionPool if max_connections is not None
                      else _redis.ConnectionPool)
        self._pool = pool_class.from_url(pool_url, **kw)
        _conn.apply_namespace(self._pool.connection_kwargs, namespace)
        self._redis = _redis.Redis(connection_pool=self._pool)
        self._ops = Ops(separator)

    @property
    def redis(self) -> Any:
        """The underlying redis-py client, for commands this class does not wrap."""
        return self._redis

    async def _execute(self, request: Request) -> Any:
        if isinstance(request, Cmd):
            return await self._redis.execute_command(*request.args)
        pipe = self._redis.pipeline(transaction=request.transaction)
        for args in request.cmds:
            pipe.execute_command(*args)
        replies = await pipe.execute(raise_on_error=False)
        return [(translate(r) or r) if isinstance(r, Exception) else r for r in replies]

    async def _run(self, op: Op) -> Any:
        try:
            request = next(op)
            while True:
                try:
                    reply = await self._execute(request)
                except Exception as e:
                    kv = translate(e)
                    if kv is None:
                        raise
                    request = op.throw(kv)
                else:
                    request = op.send(reply)
        except StopIteration as stop:
            return stop.value

    async def close(self) -> None:
        """Closes the pool's connections."""
        await self._pool.disconnect()

    async def __aenter__(self) -> "KVStore":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def ping(self) -> bool:
        return bool(await self._run(self._ping()))

    @staticmethod
    def _ping() -> Op:
        return (yield Cmd(("PING",)))

    # --- basic operations ---

    async def get(self, key: str) -> Optional[Value]:
        """The value with its type and metadata (KV.GET), or None."""
        result: Optional[Value] = await self._run(self._ops.get(key))
        return result

    async def set(self, key: str, value: Any, metadata: Optional[Mapping[str, Any]] = None,
                  ttl: TTL = None, value_type: Union[ValueType, str, None] = None, *,
                  nx: bool = False, xx: bool = False, if_version: Optional[int] = None) -> bool:
        """Writes a value (KV.SET ... TYPE t [META ...] [EX|PX] [NX|XX] [IFVERSION v]); the type
        is inferred unless given; ttl in seconds (int: EX, float or timedelta: PX). False when
        NX, XX or IFVERSION kept it from being written."""
        result: bool = await self._run(
            self._ops.set(key, value, metadata, ttl, value_type, nx, xx, if_version))
        return result

    async def delete(self, key: str) -> bool:
        """Deletes a key (DEL); True when it existed."""
        result: bool = await self._run(self._ops.delete(key))
        return result

    async def exists(self, key: str) -> bool:
        """True when the key exists and has not expired (EXISTS)."""
        result: bool = await self._run(self._ops.exists(key))
        return result

    # --- batch operations ---

    async def get_many(self, keys: Sequence[str]) -> Dict[str, Value]:
        """The keys that exist, with their values (one pipeline of KV.GET)."""
        result: Dict[str, Value] = await self._run(self._ops.get_many(keys))
        return result

    async def set_many(self, items: Mapping[str, Any], ttl: TTL = None) -> Dict[str, bool]:
        """Writes every item in one MULTI/EXEC transaction; key -> written."""
        result: Dict[str, bool] = await self._run(self._ops.set_many(items, ttl))
        return result

    async def delete_many(self, keys: Sequence[str]) -> Dict[str, bool]:
        """Deletes the keys in one MULTI/EXEC transaction; key -> existed."""
        result: Dict[str, bool] = await self._run(self._ops.delete_many(keys))
        return result

    # --- pattern operations ---

    async def keys(self, pattern: str = "*", *, nocase: bool = False,
                   limit: Optional[int] = None) -> List[str]:
        """The keys matching a hierarchical pattern, in byte order (KV.KEYS)."""
        result: List[str] = await self._run(self._ops.keys(pattern, nocase, limit))
        return result

    async def count(self, pattern: str = "**", *, nocase: bool = False) -> int:
        """How many keys match (KV.COUNT)."""
        result: int = await self._run(self._ops.count(pattern, nocase))
        return result

    async def get_pattern(self, pattern: str, *, nocase: bool = False,
                          limit: Optional[int] = None) -> Dict[str, Value]:
        """The matching keys with their values (KV.KEYS, then one pipeline of KV.GET)."""
        result: Dict[str, Value] = await self._run(self._ops.get_pattern(pattern, nocase, limit))
        return result

    async def delete_pattern(self, pattern: str, *, nocase: bool = False) -> int:
        """Deletes the matching keys (KV.DEL; a subtree "prefix.**" goes atomically)."""
        result: int = await self._run(self._ops.delete_pattern(pattern, nocase))
        return result

    # --- metadata ---

    async def get_metadata(self, key: str) -> Optional[Dict[str, Any]]:
        """The key's user metadata (KV.META), or None for a missing key."""
        result: Optional[Dict[str, Any]] = await self._run(self._ops.get_metadata(key))
        return result

    async def set_metadata(self, key: str, metadata: Mapping[str, Any]) -> bool:
        """Sets user metadata fields (KV.SETMETA; "content_type" sets the content type);
        False for a missing key."""
        result: bool = await self._run(self._ops.set_metadata(key, metadata))
        return result

    async def delete_metadata(self, key: str, *fields: str) -> int:
        """Removes user metadata fields (KV.DELMETA); how many were there."""
        result: int = await self._run(self._ops.delete_metadata(key, *fields))
        return result

    async def info(self, key: str) -> Optional[KeyInfo]:
        """The key's system and user metadata without its value (KV.META), or None."""
        result: Optional[KeyInfo] = await self._run(self._ops.info(key))
        return result

    # --- atomic operations ---

    async def compare_and_swap(self, key: str, old_value: Any, new_value: Any,
                               ttl: TTL = None) -> bool:
        """Replaces the value only if it is old_value (KV.CAS, compared as stored bytes)."""
        result: bool = await self._run(self._ops.compare_and_swap(key, old_value, new_value, ttl))
        return result

    async def increment(self, key: str, delta: Union[int, float] = 1) -> Union[int, float]:
        """Adds delta to a number (INCRBY, or INCRBYFLOAT for a float); the new value."""
        result: Union[int, float] = await self._run(self._ops.increment(key, delta))
        return result

    async def append(self, key: str, value: str) -> str:
        """Appends to a string (APPEND and GET in one MULTI); the new string."""
        result: str = await self._run(self._ops.append(key, value))
        return result

    async def ttl(self, key: str) -> Optional[float]:
        """Seconds left to live (PTTL), None without a TTL or for a missing key."""
        result: Optional[float] = await self._run(self._ops.ttl(key))
        return result

    async def expire(self, key: str, ttl: Union[int, float, _dt.timedelta]) -> bool:
        """Sets a TTL on an existing key (EXPIRE or PEXPIRE)."""
        result: bool = await self._run(self._ops.expire(key, ttl))
        return result

    async def cleanup_expired(self) -> int:
        """Removes every key whose TTL has passed, now (KV.CLEANUP); how many."""
        result: int = await self._run(self._ops.cleanup_expired())
        return result

    # --- tree, export, import, namespaces ---

    async def tree(self, prefix: str = "", depth: Optional[int] = None) -> List[TreeNode]:
        """The child paths of a path with their key counts (KV.TREE)."""
        result: List[TreeNode] = await self._run(self._ops.tree(prefix, depth))
        return result

    async def export_json(self, pattern: str = "**") -> Any:
        """The matching keys as one nested JSON document, parsed (KV.EXPORT)."""
        return await self._run(self._ops.export_json(pattern))

    async def import_json(self, prefix: str, document: Union[Mapping[str, Any], str, bytes],
                          ttl: Optional[int] = None) -> int:
        """Writes a JSON object as dotted keys under prefix, all or nothing (KV.IMPORT); the
        number of keys written."""
        result: int = await self._run(self._ops.import_json(prefix, document, ttl))
        return result

    async def namespaces(self) -> Dict[str, int]:
        """The namespaces with their key counts (KV.NAMESPACES)."""
        result: Dict[str, int] = await self._run(self._ops.namespaces())
        return result

    def watch(self, pattern: str = "**", *, noloop: bool = False) -> _Watch:
        """Invalidations for the keys matching pattern, over client tracking (watch.py); use
        as a context manager."""
        return _Watch(self._pool, pattern, self.separator, noloop)
