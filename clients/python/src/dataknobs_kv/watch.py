"""watch(pattern): invalidation messages for the keys under a pattern, through client tracking.

A watch holds two dedicated connections (not from the store's pool): a subscriber, which asks
its CLIENT ID and SUBSCRIBEs to __redis__:invalidate, and a tracking connection, which runs
CLIENT TRACKING ON REDIRECT <id> BCAST [PREFIX <the pattern's literal prefix>] (Redis' RESP2
tracking protocol; redis-py 4.3 has no RESP3). Every write under the prefix then sends the key
names to the subscriber; the watch yields the ones the pattern matches, dkv's prefix
invalidations (one message `message __redis__:invalidate <null> [prefix**, ...]` for a deleted
subtree) as Invalidation(keys=[], prefixes=[...]), and Invalidation(keys=None) for a flush. Closing the watch closes both connections, which ends the tracking.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

from ._ops import invalidation_filter
from .exceptions import translate
from .patterns import literal_prefix

CHANNEL = "__redis__:invalidate"


@dataclass
class Invalidation:
    """Keys changed under a watched pattern. `keys`: the changed key names, or None when
    everything may have changed (a flush). `prefixes`: dkv's subtree invalidations, each a
    pattern `prefix**` under which every key may have changed (one message for a `KV.DEL` of a
    subtree; docs/client-tracking.md); `keys` is then []."""

    keys: Optional[List[str]]
    prefixes: List[str] = field(default_factory=list)


def tracking_args(client_id: int, pattern: str, noloop: bool) -> List[Any]:
    args: List[Any] = ["CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST"]
    prefix = literal_prefix(pattern)
    if prefix:
        args += ["PREFIX", prefix]
    if noloop:
        args.append("NOLOOP")
    return args


def parse_message(msg: Any, keep: Callable[[str], bool]) -> Optional[Invalidation]:
    """An Invalidation from a pub/sub message, or None when it concerns no watched key."""
    if not isinstance(msg, list) or len(msg) < 3 or msg[0] != b"message":
        return None
    data = msg[2]
    if data is None:
        # dkv's prefix invalidation: a null key list (what a flush sends, so other clients
        # drop everything) followed by the prefixes as `prefix**`.
        if len(msg) >= 4 and isinstance(msg[3], list) and msg[3]:
            return Invalidation(keys=[], prefixes=_names(msg[3]))
        return Invalidation(keys=None)
    kept = [k for k in _names(data if isinstance(data, list) else [data]) if keep(k)]
    return Invalidation(keys=kept) if kept else None


def _names(items: List[Any]) -> List[str]:
    return [n.decode("utf-8", "surrogateescape") if isinstance(n, bytes) else str(n)
            for n in items]


class AsyncWatch:
    """An asyncio watch: `async with store.watch("app.config.**") as w:` then `async for inv in
    w` or `await w.get(timeout=1.0)` (None when nothing came in time)."""

    def __init__(self, pool: Any, pattern: str, separator: str, noloop: bool = False) -> None:
        self._pool = pool
        self.pattern = pattern
        self._keep = invalidation_filter(pattern, separator)
        self._noloop = noloop
        self._sub: Any = None
        self._trk: Any = None

    def _connection(self) -> Any:
        kw = dict(self._pool.connection_kwargs, socket_timeout=None)
        return self._pool.connection_class(**kw)

    async def start(self) -> "AsyncWatch":
        try:
            self._sub = self._connection()
            await self._sub.connect()
            await self._sub.send_command("CLIENT", "ID")
            client_id = int(await self._sub.read_response())
            await self._sub.send_command("SUBSCRIBE", CHANNEL)
            await self._sub.read_response()
            self._trk = self._connection()
            await self._trk.connect()
            await self._trk.send_command(*tracking_args(client_id, self.pattern, self._noloop))
            await self._trk.read_response()
        except Exception as e:
            await self.close()
            kv = translate(e)
            if kv is None:
                raise
            raise kv from None
        return self

    async def get(self, timeout: Optional[float] = None) -> Optional[Invalidation]:
        """The next invalidation; None when `timeout` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            while True:
                if deadline is not None:
                    remaining = deadline - loop.time()
                    if remaining <= 0 or not await self._sub.can_read(remaining):
                        return None
                inv = parse_message(await self._sub.read_response(), self._keep)
                if inv is not None:
                    return inv
        except Exception as e:
            kv = translate(e)
            if kv is None:
                raise
            raise kv from None

    async def close(self) -> None:
        for c in (self._trk, self._sub):
            if c is not None:
                await c.disconnect()
        self._trk = self._sub = None

    async def __aenter__(self) -> "AsyncWatch":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __aiter__(self) -> "AsyncWatch":
        return self

    async def __anext__(self) -> Invalidation:
        inv = await self.get()
        assert inv is not None
        return inv


class Watch:
    """The synchronous watch: `with store.watch("app.**") as w:` then `for inv in w` or
    `w.get(timeout=1.0)`."""

    def __init__(self, pool: Any, pattern: str, separator: str, noloop: bool = False) -> None:
        self._pool = pool
        self.pattern = pattern
        self._keep = invalidation_filter(pattern, separator)
        self._noloop = noloop
        self._sub: Any = None
        self._trk: Any = None

    def _connection(self) -> Any:
        kw = dict(self._pool.connection_kwargs, socket_timeout=None)
        return self._pool.connection_class(**kw)

    def start(self) -> "Watch":
        try:
            self._sub = self._connection()
            self._sub.connect()
            self._sub.send_command("CLIENT", "ID")
            client_id = int(self._sub.read_response())
            self._sub.send_command("SUBSCRIBE", CHANNEL)
            self._sub.read_response()
            self._trk = self._connection()
            self._trk.connect()
            self._trk.send_command(*tracking_args(client_id, self.pattern, self._noloop))
            self._trk.read_response()
        except Exception as e:
            self.close()
            kv = translate(e)
            if kv is None:
                raise
            raise kv from None
        return self

    def get(self, timeout: Optional[float] = None) -> Optional[Invalidation]:
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._sub.can_read(timeout=remaining):
                        return None
                inv = parse_message(self._sub.read_response(), self._keep)
                if inv is not None:
                    return inv
        except Exception as e:
            kv = translate(e)
            if kv is None:
                raise
            raise kv from None

    def close(self) -> None:
        for c in (self._trk, self._sub):
            if c is not None:
                c.disconnect()
        self._trk = self._sub = None

    def __enter__(self) -> "Watch":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> "Watch":
        return self

    def __next__(self) -> Invalidation:
        inv = self.get()
        assert inv is not None
        return inv
