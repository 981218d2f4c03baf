"""Collation keys that order subscripts exactly as GT.M does (default M-mode collation).

Canonical numbers come first in numeric order, then every other string in byte order of its
UTF-8 encoding (``surrogateescape`` keeps arbitrary bytes round-tripping).  A node's key is the
tuple of its subscripts' keys, so Python's tuple order is ``$QUERY`` order: a parent sorts
before its children, and children before the parent's next sibling.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from parsers.canonical import is_canonical_number

SubscriptKey = tuple[int, int | Decimal | bytes]
NodeKey = tuple[SubscriptKey, ...]

#: Sorts after every subscript key: ``prefix + (AFTER_ALL,)`` bounds a subtree from above.
AFTER_ALL: SubscriptKey = (2, b"")


def encode_m(s: str) -> bytes:
    """The bytes of an M string held as a Python ``str`` (UTF-8, surrogateescape)."""
    return s.encode("utf-8", "surrogateescape")


def decode_m(b: bytes) -> str:
    """The Python ``str`` for M bytes; exact inverse of :func:`encode_m`."""
    return b.decode("utf-8", "surrogateescape")


#: Canonical integers of at most 18 digits: numbers without further checks (the common case).
_SMALL_INT = re.compile(r"-?[1-9][0-9]{0,17}\Z|0\Z")
#: Only strings starting with one of these can be canonical numbers.
_NUMBER_START = frozenset("-.123456789")


@lru_cache(maxsize=1 << 17)
def subscript_key(s: str) -> SubscriptKey:
    """The collation key of one subscript (a ``str``, as M holds it).

    Raises ``TypeError`` for anything but a ``str`` (bulk writers rely on that to fall back
    to full validation).
    """
    if _SMALL_INT.match(s):
        return (0, int(s))
    if s and s[0] in _NUMBER_START and is_canonical_number(s):
        if "." in s:
            return (0, Decimal(s))
        return (0, int(s))
    return (1, encode_m(s))


def node_key(subscripts: tuple[str, ...]) -> NodeKey:
    """The collation key of a node's subscripts (the global name is not part of it)."""
    return tuple(map(subscript_key, subscripts))


def sort_subscripts(subscripts: list[str]) -> list[str]:
    """Subscripts sorted in GT.M order (a convenience for tests and exports)."""
    return sorted(subscripts, key=subscript_key)
