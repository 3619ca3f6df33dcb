"""Typed values and their metadata.

The server stores every value as bytes with a type tag (KV.SET ... TYPE t validates it) and
system metadata (version, times, size, checksum, content type) plus user fields, which are
strings. This module turns Python values into (bytes, type) for writing and KV.GET / KV.META
replies back into Value and KeyInfo objects.
"""

import datetime as _dt
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from .exceptions import InvalidValueError


class ValueType(str, Enum):
    """The server's value types. HASH, SET, LIST and ZSET are Redis containers, read as JSON."""

    STRING = "string"
    JSON = "json"
    BINARY = "binary"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DOCUMENT = "document"
    IMAGE = "image"
    CUSTOM = "custom"
    HASH = "hash"
    SET = "set"
    LIST = "list"
    ZSET = "zset"


_BYTES_TYPES = (ValueType.BINARY, ValueType.DOCUMENT, ValueType.IMAGE, ValueType.CUSTOM)
_CONTAINERS = (ValueType.HASH, ValueType.SET, ValueType.LIST, ValueType.ZSET)
BytesLike = (bytes, bytearray, memoryview)


def _dumps(value: Any) -> str:
    # Sorted members, no spaces: equal objects give equal bytes (KV.CAS compares bytes).
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidValueError(f"value is not JSON-serialisable: {e}") from None


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidValueError(f"a number value must be an int or a float, not "
                                f"{type(value).__name__}")
    return value if isinstance(value, str) else repr(value)


def infer_type(value: Any) -> ValueType:
    """The type a value is stored with when set() is not given one."""
    if isinstance(value, bool):
        return ValueType.BOOLEAN
    if isinstance(value, (int, float)):
        return ValueType.NUMBER
    if isinstance(value, str):
        return ValueType.STRING
    if isinstance(value, BytesLike):
        return ValueType.BINARY
    return ValueType.JSON


def encode_value(value: Any, value_type: Union[ValueType, str, None] = None
                 ) -> Tuple[bytes, ValueType]:
    """(the bytes to store, the type) for a Python value, the type inferred when not given:
    bool -> boolean, int/float -> number, str -> string, bytes -> binary, anything else (dict,
    list, None, ...) -> json. With value_type json, bytes are taken as JSON text; with number,
    a str as the number's text."""
    t = infer_type(value) if value_type is None else ValueType(value_type)
    if t in _CONTAINERS:
        raise InvalidValueError(f"type {t.value} is written by Redis' own commands, not set()")
    if t == ValueType.BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidValueError("a boolean value must be True or False")
        return (b"true" if value else b"false"), t
    if t == ValueType.NUMBER:
        return _number(value).encode(), t
    if t == ValueType.JSON:
        if isinstance(value, BytesLike):
            return bytes(value), t      # JSON text as it is; the server validates it
        return _dumps(value).encode("utf-8"), t
    if isinstance(value, BytesLike):
        return bytes(value), t
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape"), t
    if t == ValueType.STRING:
        raise InvalidValueError(f"a string value must be a str or bytes, not "
                                f"{type(value).__name__}")
    raise InvalidValueError(f"a {t.value} value must be bytes or a str, not "
                            f"{type(value).__name__}")


def decode_data(raw: Optional[bytes], value_type: ValueType) -> Any:
    """The Python value of stored bytes by their type: json -> parsed JSON (containers too),
    number -> int or float, boolean -> bool, string -> str (bytes when not UTF-8), the binary
    types -> bytes."""
    if raw is None:
        return None
    if value_type in (ValueType.JSON,) + _CONTAINERS:
        return json.loads(raw)
    if value_type == ValueType.NUMBER:
        text = raw.decode()
        try:
            return int(text)
        except ValueError:
            return float(text)
    if value_type == ValueType.BOOLEAN:
        return raw == b"true"
    if value_type in _BYTES_TYPES:
        return bytes(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(raw)


def encode_metadata(value: Any) -> str:
    """User metadata values are strings on the server: a str is stored as it is, anything else
    as JSON (so lists and objects round-trip)."""
    return value if isinstance(value, str) else _dumps(value)


def decode_metadata(raw: bytes) -> Any:
    """A user metadata value: JSON arrays and objects are parsed back, the rest stays a str."""
    text = raw.decode("utf-8", "replace")
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _time(ms: Optional[int]) -> Optional[_dt.datetime]:
    if ms is None or ms <= 0:
        return None
    return _dt.datetime.fromtimestamp(ms / 1000.0, tz=_dt.timezone.utc)


@dataclass
class KeyInfo:
    """A key's system metadata (KV.META): its type, version (1 when created, +1 at every change
    of the value), remaining TTL in seconds (None without one), times (UTC), size in bytes (or
    elements for a container), XXH3-64 checksum (16 hex digits), content type, and user
    metadata."""

    type: ValueType
    version: int
    ttl: Optional[float]
    created_at: Optional[_dt.datetime]
    updated_at: Optional[_dt.datetime]
    accessed_at: Optional[_dt.datetime]
    size: int
    checksum: str
    content_type: Optional[str]
    metadata: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Value:
    """A value read with get(): `data` decoded by its `type`, the user `metadata`, the server's
    `checksum`, and the system metadata in `info`. `encoding` is "utf-8" for text types and
    None for bytes."""

    data: Any
    type: ValueType
    metadata: Dict[str, Any]
    checksum: Optional[str]
    info: KeyInfo = field(repr=False)
    encoding: Optional[str] = None

    @property
    def version(self) -> int:
        return self.info.version

    @property
    def ttl(self) -> Optional[float]:
        return self.info.ttl


def _pairs(flat: Any) -> Dict[str, Any]:
    """A RESP2 flat [name, value, ...] list (or a RESP3 map) as a dict with str names."""
    if isinstance(flat, Mapping):
        items = list(flat.items())
    else:
        items = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    return {(k.decode() if isinstance(k, bytes) else str(k)): v for k, v in items}


def _text(v: Any) -> Optional[str]:
    if v is None:
        return None
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def parse_info(reply: Any) -> Tuple[KeyInfo, Optional[bytes]]:
    """KeyInfo and the raw value (None for KV.META) from a KV.GET or KV.META reply."""
    m = _pairs(reply)
    user = {(_text(k) or ""): decode_metadata(v) for k, v in _pairs(m.get("user") or []).items()}
    ttl_ms = int(m.get("ttl_ms", -1))
    info = KeyInfo(
        type=ValueType(_text(m["type"])),
        version=int(m.get("version", 0)),
        ttl=None if ttl_ms < 0 else ttl_ms / 1000.0,
        created_at=_time(m.get("created_at")),
        updated_at=_time(m.get("updated_at")),
        accessed_at=_time(m.get("accessed_at")),
        size=int(m.get("size", 0)),
        checksum=_text(m.get("checksum")) or "",
        content_type=_text(m.get("content_type")),
        metadata=user,
    )
    return info, m.get("value")


def parse_value(reply: Any) -> Optional[Value]:
    """A Value from a KV.GET reply (None for a missing key)."""
    if reply is None:
        return None
    info, raw = parse_info(reply)
    data = decode_data(raw, info.type)
    encoding = None if isinstance(data, bytes) else "utf-8"
    return Value(data=data, type=info.type, metadata=info.metadata, checksum=info.checksum,
                 info=info, encoding=encoding)


@dataclass
class TreeNode:
    """One child path of KV.TREE: the path, the number of keys below it (itself included) and
    whether the path holds a value itself."""

    path: str
    keys: int
    has_value: bool


def parse_tree(reply: List[Any]) -> List[TreeNode]:
    return [TreeNode(path=_text(p) or "", keys=int(n), has_value=bool(int(v)))
            for p, n, v in reply]
