"""dataknobs_kv: the Python client of DataKnobs KV (dkv).

    from dataknobs_kv import KVStore
    store = KVStore("redis://127.0.0.1:6379", namespace="user_data")
    await store.set("app.config.database.host", "localhost")
    (await store.get("app.config.database.host")).data      # "localhost"

KVStore is asyncio (redis.asyncio), SyncKVStore its synchronous twin with the same methods.
"""

from .exceptions import (InvalidKeyError, InvalidPatternError, InvalidValueError,
                         KVConnectionError, KVError, KVResponseError, KVTimeoutError)
from .keys import segments, validate_key
from .patterns import compile_pattern, literal_prefix, matches
from .store import KVStore
from .sync import SyncKVStore
from .values import KeyInfo, TreeNode, Value, ValueType
from .watch import AsyncWatch, Invalidation, Watch

__version__ = "0.1.0"

__all__ = [
    "KVStore", "SyncKVStore", "Value", "ValueType", "KeyInfo", "TreeNode", "Invalidation",
    "AsyncWatch", "Watch", "KVError", "KVResponseError", "KVConnectionError", "KVTimeoutError",
    "InvalidKeyError", "InvalidPatternError", "InvalidValueError", "validate_key", "segments",
    "compile_pattern", "literal_prefix", "matches", "__version__",
]
