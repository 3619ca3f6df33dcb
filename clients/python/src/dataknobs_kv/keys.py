"""Key validation: the rule the server applies to keys written by KV.* commands.

A key is a path of segments joined by the server's separator (`key-separator`, "." by default);
KV.SET and KV.IMPORT refuse a key with an empty segment. The client checks the same rule before
it writes, with the server's error text.
"""

from typing import List

from .exceptions import InvalidKeyError


def validate_key(key: str, separator: str = ".") -> str:
    """Returns `key` when the server would accept it for a KV.* write, else InvalidKeyError."""
    if not isinstance(key, str):
        raise InvalidKeyError(f"a key is a str, not {type(key).__name__}")
    sep = separator
    if key == "" or key.startswith(sep) or key.endswith(sep) or sep + sep in key:
        raise InvalidKeyError(
            f"invalid key '{key[:128]}': empty segment (keys are segments joined by '{sep}')")
    return key


def segments(key: str, separator: str = ".") -> List[str]:
    """The segments of a key: "app.config.port" -> ["app", "config", "port"]."""
    return key.split(separator)
