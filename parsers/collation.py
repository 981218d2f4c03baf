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


# -- byte keys ---------------------------------------------------------------------------------
# The same order as ``node_key``, as one ``bytes`` per node (compared by memcmp: faster to sort
# and bisect, and smaller, than tuples of tuples; the memory store keys its trees with them).
# Each subscript is encoded prefix-free, so concatenation keeps tuple order: a parent's key is a
# prefix of its children's keys and ``key + BYTES_AFTER_ALL`` bounds its subtree from above.
#   0x01 exp' digits' 0xFE   negative number (exponent and digits inverted: bigger |x| first)
#   0x02                     zero
#   0x03 exp  digits  0x00   positive number: exp = 64 + E for 0.d1d2... x 10**E, one byte
#                            per significant digit (0x10 + d), trailing zeros dropped
#   0x04 bytes 0x00          a string: its UTF-8 bytes with 0x00 -> 01 01 and 0x01 -> 01 02
BYTES_AFTER_ALL = b"\xff"
_POS_DIGITS = bytes.maketrans(b"0123456789", bytes(range(0x10, 0x1A)))
_NEG_DIGITS = bytes.maketrans(b"0123456789", bytes(range(0x1F, 0x15, -1)))


def _number_bytes(s: str) -> bytes:
    """Byte key of a canonical number (|x| in [1E-43, 1E47), at most 18 digits)."""
    if s == "0":
        return b"\x02"
    negative = s[0] == "-"
    whole, _dot, frac = (s[1:] if negative else s).partition(".")
    if whole:
        exponent = len(whole)
        digits = (whole + frac).rstrip("0")
    else:
        digits = frac.lstrip("0")
        exponent = len(digits) - len(frac)
    if negative:
        return b"\x01" + bytes((191 - exponent,)) + digits.encode().translate(_NEG_DIGITS) + b"\xfe"
    return b"\x03" + bytes((64 + exponent,)) + digits.encode().translate(_POS_DIGITS) + b"\x00"


@lru_cache(maxsize=1 << 17)
def subscript_bytes(s: str) -> bytes:
    """The byte key of one subscript; byte order equals :func:`subscript_key` order.

    Raises ``TypeError`` for anything but a ``str``.
    """
    if _SMALL_INT.match(s) or (s and s[0] in _NUMBER_START and is_canonical_number(s)):
        return _number_bytes(s)
    raw = encode_m(s)
    if b"\x00" in raw or b"\x01" in raw:
        raw = raw.replace(b"\x01", b"\x01\x02").replace(b"\x00", b"\x01\x01")
    return b"\x04" + raw + b"\x00"


def node_bytes(subscripts: tuple[str, ...]) -> bytes:
    """The byte key of a node's subscripts (same order as :func:`node_key`)."""
    return b"".join(map(subscript_bytes, subscripts))
