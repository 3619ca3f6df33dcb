"""The store's operations, without I/O: each one is a generator that yields the request it
needs (one command, or one pipeline) and receives its reply, so the asyncio KVStore and the
synchronous SyncKVStore run the same code. A Cmd's error is thrown into the generator as a
KVResponseError; a Pipe's replies come back as a list in which a failed command is its
exception.
"""

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Generator, List, Mapping, Optional, Sequence, Tuple, Union

from .exceptions import KVResponseError
from .keys import validate_key
from .patterns import compile_pattern
from .values import (KeyInfo, TreeNode, Value, ValueType, encode_metadata, encode_value,
                     parse_info, parse_tree, parse_value)

Arg = Union[str, bytes, int, float]


@dataclass
class Cmd:
    args: Tuple[Arg, ...]


@dataclass
class Pipe:
    cmds: List[Tuple[Arg, ...]]
    transaction: bool


Request = Union[Cmd, Pipe]
Op = Generator[Request, Any, Any]
TTL = Union[int, float, _dt.timedelta, None]

# Words KV.SET reads as options: user fields with these names go through KV.SETMETA.
_STOP_WORDS = {"type", "meta", "ex", "px", "exat", "pxat", "keepttl", "nx", "xx", "ifversion"}


def _key(k: Union[bytes, str]) -> str:
    return k.decode("utf-8", "surrogateescape") if isinstance(k, bytes) else k


def _ttl_args(ttl: TTL) -> Tuple[Arg, ...]:
    if ttl is None:
        return ()
    seconds = ttl.total_seconds() if isinstance(ttl, _dt.timedelta) else ttl
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return ("EX", seconds)
    return ("PX", max(1, int(round(float(seconds) * 1000))))


class Ops:
    """The operations, for one key separator."""

    def __init__(self, separator: str = ".") -> None:
        self.separator = separator

    def _set_cmds(self, key: str, value: Any, metadata: Optional[Mapping[str, Any]], ttl: TTL,
                  value_type: Union[ValueType, str, None], nx: bool = False, xx: bool = False,
                  if_version: Optional[int] = None) -> List[Tuple[Arg, ...]]:
        validate_key(key, self.separator)
        raw, t = encode_value(value, value_type)
        args: List[Arg] = ["KV.SET", key, raw, "TYPE", t.value]
        late: List[Arg] = []
        if metadata:
            early: List[Arg] = []
            for name, v in metadata.items():
                (late if name.lower() in _STOP_WORDS else early).extend([name, encode_metadata(v)])
            if early:
                args += ["META", *early]
        args += _ttl_args(ttl)
        if nx:
            args.append("NX")
        if xx:
            args.append("XX")
        if if_version is not None:
            args += ["IFVERSION", if_version]
        cmds = [tuple(args)]
        if late:
            cmds.append(("KV.SETMETA", key, *late))
        return cmds

    # --- basic operations ---

    def get(self, key: str) -> Op:
        return parse_value((yield Cmd(("KV.GET", key))))

    def set(self, key: str, value: Any, metadata: Optional[Mapping[str, Any]] = None,
            ttl: TTL = None, value_type: Union[ValueType, str, None] = None, nx: bool = False,
            xx: bool = False, if_version: Optional[int] = None) -> Op:
        cmds = self._set_cmds(key, value, metadata, ttl, value_type, nx, xx, if_version)
        if len(cmds) == 1:
            return (yield Cmd(cmds[0])) is not None
        replies = yield Pipe(cmds, transaction=True)
        for r in replies:
            if isinstance(r, Exception):
                raise r
        return replies[0] is not None

    def delete(self, key: str) -> Op:
        return int((yield Cmd(("DEL", key)))) == 1

    def exists(self, key: str) -> Op:
        return int((yield Cmd(("EXISTS", key)))) == 1

    # --- batch operations ---

    def get_many(self, keys: Sequence[str]) -> Op:
        keys = list(keys)
        if not keys:
            return {}
        replies = yield Pipe([("KV.GET", k) for k in keys], transaction=False)
        out: Dict[str, Value] = {}
        for k, r in zip(keys, replies):
            if isinstance(r, Exception):
                raise r
            v = parse_value(r)
            if v is not None:
                out[k] = v
        return out

    def set_many(self, items: Mapping[str, Any], ttl: TTL = None) -> Op:
        cmds: List[Tuple[Arg, ...]] = []
        for k, v in items.items():
            cmds += self._set_cmds(k, v, None, ttl, None)
        if not cmds:
            return {}
        replies = yield Pipe(cmds, transaction=True)
        return {k: not isinstance(r, Exception) and r is not None
                for k, r in zip(items.keys(), replies)}

    def delete_many(self, keys: Sequence[str]) -> Op:
        keys = list(keys)
        if not keys:
            return {}
        replies = yield Pipe([("DEL", k) for k in keys], transaction=True)
        return {k: not isinstance(r, Exception) and int(r) == 1 for k, r in zip(keys, replies)}

    # --- pattern operations ---

    @staticmethod
    def _pattern_args(pattern: str, nocase: bool, limit: Optional[int]) -> Tuple[Arg, ...]:
        args: Tuple[Arg, ...] = (pattern,)
        if nocase:
            args += ("NOCASE",)
        if limit is not None:
            args += ("LIMIT", limit)
        return args

    def keys(self, pattern: str = "*", nocase: bool = False, limit: Optional[int] = None) -> Op:
        reply = yield Cmd(("KV.KEYS",) + self._pattern_args(pattern, nocase, limit))
        return [_key(k) for k in reply]

    def count(self, pattern: str = "**", nocase: bool = False) -> Op:
        return int((yield Cmd(("KV.COUNT",) + self._pattern_args(pattern, nocase, None))))

    def get_pattern(self, pattern: str, nocase: bool = False, limit: Optional[int] = None) -> Op:
        # KV.KEYS finds the keys, one pipeline of KV.GET reads them with their types; a key
        # deleted in between is left out.
        keys = yield from self.keys(pattern, nocase, limit)
        return (yield from self.get_many(keys))

    def get_pattern_raw(self, pattern: str, nocase: bool = False,
                        limit: Optional[int] = None) -> Op:
        reply = yield Cmd(("KV.MGET",) + self._pattern_args(pattern, nocase, limit))
        if isinstance(reply, Mapping):
            return {_key(k): v for k, v in reply.items()}
        return {_key(reply[i]): reply[i + 1] for i in range(0, len(reply), 2)}

    def delete_pattern(self, pattern: str, nocase: bool = False) -> Op:
        return int((yield Cmd(("KV.DEL",) + self._pattern_args(pattern, nocase, None))))

    # --- metadata ---

    def info(self, key: str) -> Op:
        reply = yield Cmd(("KV.META", key))
        if reply is None:
            return None
        info: KeyInfo = parse_info(reply)[0]
        return info

    def get_metadata(self, key: str) -> Op:
        info = yield from self.info(key)
        return None if info is None else info.metadata

    def set_metadata(self, key: str, metadata: Mapping[str, Any]) -> Op:
        if not metadata:
            return (yield from self.exists(key))
        args: List[Arg] = ["KV.SETMETA", key]
        for name, v in metadata.items():
            args += [name, encode_metadata(v)]
        try:
            yield Cmd(tuple(args))
        except KVResponseError as e:
            if "no such key" in str(e):
                return False
            raise
        return True

    def delete_metadata(self, key: str, *fields: str) -> Op:
        if not fields:
            return 0
        return int((yield Cmd(("KV.DELMETA", key, *fields))))

    # --- atomic operations ---

    def compare_and_swap(self, key: str, old_value: Any, new_value: Any,
                         ttl: TTL = None) -> Op:
        old, _ = encode_value(old_value)
        new, _ = encode_value(new_value)
        args: List[Arg] = ["KV.CAS", key, old, new, *_ttl_args(ttl)]
        return int((yield Cmd(tuple(args)))) == 1

    def increment(self, key: str, delta: Union[int, float] = 1) -> Op:
        if isinstance(delta, float):
            return float((yield Cmd(("INCRBYFLOAT", key, repr(delta)))))
        return int((yield Cmd(("INCRBY", key, delta))))

    def append(self, key: str, value: str) -> Op:
        # APPEND answers the new length: APPEND and GET in one MULTI give the new string.
        replies = yield Pipe([("APPEND", key, value), ("GET", key)], transaction=True)
        for r in replies:
            if isinstance(r, Exception):
                raise r
        raw = replies[1]
        return raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw

    def ttl(self, key: str) -> Op:
        ms = int((yield Cmd(("PTTL", key))))
        return None if ms < 0 else ms / 1000.0

    def expire(self, key: str, ttl: Union[int, float, _dt.timedelta]) -> Op:
        args = _ttl_args(ttl)
        cmd = "EXPIRE" if args[0] == "EX" else "PEXPIRE"
        return int((yield Cmd((cmd, key, args[1])))) == 1

    def cleanup_expired(self) -> Op:
        return int((yield Cmd(("KV.CLEANUP",))))

    # --- tree, export, import ---

    def tree(self, prefix: str = "", depth: Optional[int] = None) -> Op:
        args: Tuple[Arg, ...] = ("KV.TREE", prefix)
        if depth is not None:
            args += ("DEPTH", depth)
        result: List[TreeNode] = parse_tree((yield Cmd(args)))
        return result

    def export_json(self, pattern: str = "**") -> Op:
        return json.loads((yield Cmd(("KV.EXPORT", pattern))))

    def import_json(self, prefix: str, document: Union[Mapping[str, Any], str, bytes],
                    ttl: Optional[int] = None) -> Op:
        if prefix:
            validate_key(prefix, self.separator)
        doc = document if isinstance(document, (str, bytes)) else json.dumps(
            document, ensure_ascii=False, allow_nan=False)
        args: Tuple[Arg, ...] = ("KV.IMPORT", prefix, doc)
        if ttl is not None:
            args += ("EX", int(ttl))
        return int((yield Cmd(args)))

    def namespaces(self) -> Op:
        reply = yield Cmd(("KV.NAMESPACES",))
        pairs = reply.items() if isinstance(reply, Mapping) else zip(reply[::2], reply[1::2])
        return {_key(k): int(v) for k, v in pairs}


def invalidation_filter(pattern: str, separator: str) -> Callable[[str], bool]:
    """A predicate over invalidated key names for watch(pattern): the keys the pattern matches
    (the server sends every key under the pattern's literal prefix)."""
    rx = compile_pattern(pattern, separator)

    def keep(name: str) -> bool:
        return rx.fullmatch(name) is not None

    return keep
