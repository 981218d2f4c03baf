"""The byte formats between Python and ``VBRIDGE.m``: caller data travels as data.

Subscripts go to M packed as ``len,bytes`` repeated (lengths in bytes; M mode counts bytes),
which the routine unpacks into a local array: a quote, a parenthesis, ``@`` or a NUL inside a
subscript is just a byte.  Bulk reads come back as records ``subs \\0 value \\0`` with the
subscripts joined by ``\\1``; a field that holds ``\\0``, ``\\1`` or ``\\2`` is escaped as
``\\2`` + ``"0"``, ``"1"`` or ``"2"``, and a value field that is ``\\2`` alone stands for a value
too large to share a call with others (the store fetches it with ``get``).
"""

from __future__ import annotations

import gc
import operator
from collections.abc import Iterable
from functools import lru_cache

from globals_map.store import normalize_name
from parsers.collation import decode_m, encode_m

Subs = tuple[str, ...]

#: The value placeholder for "too large for this bulk call, GET it".
OVERSIZE = "\x02"


def packed_name(name: str) -> bytes:
    """The validated global name with its caret, as the routine takes it."""
    if type(name) is not str:
        normalize_name(name)  # raises the typed error
    return _caret_name(name)


@lru_cache(maxsize=4096)
def _caret_name(name: str) -> bytes:
    return b"^" + normalize_name(name).encode("ascii")


def pack_subscripts(subs: Iterable[str]) -> bytes:
    """``len,bytes`` for each subscript, concatenated."""
    out = []
    for s in subs:
        b = encode_m(s)
        out.append(b"%d,%b" % (len(b), b))
    return b"".join(out)


def unpack_subscripts(data: bytes) -> Subs:
    """Inverse of :func:`pack_subscripts` (used for ``$QUERY`` answers)."""
    return tuple(map(decode_m, unpack_subscripts_bytes(data)))


def pack_set(g: bytes, pk: bytes, value: bytes) -> bytes:
    """One record of a ``set_many`` packet."""
    return b"%d,%b%d,%b%d,%b" % (len(g), g, len(pk), pk, len(value), value)


_split_subs = operator.methodcaller("split", "\x01")


def _unescape(field: str) -> str:
    if "\x02" not in field:
        return field
    return field.replace("\x020", "\x00").replace("\x021", "\x01").replace("\x022", "\x02")


_NEXT_MODE = {b"0": 0, b"1": 2, b"2": 1}


#: Added to a bulk read's ``mode``: every field escaped (the retry of an unescaped chunk
#: whose separators did not add up).
ESCAPED = 3


def read_header(raw: bytes) -> tuple[int, bytes, int]:
    """The head of a bulk-read answer: (how to go on, packed subscripts of the node to go on
    from, where the records start).  How to go on: 0 done, 2 read again AT that node, 1 read
    again AFTER it (the ``mode`` the next call takes)."""
    more = _NEXT_MODE[raw[:1]]
    comma = raw.index(b",", 1)
    cont_end = comma + 1 + int(raw[1:comma])
    return more, raw[comma + 1 : cont_end], raw.index(b";", cont_end) + 1


def separators_agree(raw: bytes, count: int) -> bool:
    """Whether an answer's separator bytes are exactly those its ``count`` records put there.

    An unescaped answer (the routine's fast first try) carries ``e1,e2``: how many ``\\1`` and
    ``\\2`` its records hold as separators and placeholders (``\\0``: two per record).  A
    field that held one of these bytes makes the counts differ, and the chunk must be read
    again escaped (``mode + ESCAPED``).  An escaped answer (empty check field) always agrees.
    The counting is three ``bytes.count`` scans, far cheaper here than in M."""
    comma = raw.index(b",", 1)
    check_at = comma + 1 + int(raw[1:comma])
    end = raw.index(b";", check_at)
    if end == check_at:
        return True
    e1, e2 = (int(x) for x in raw[check_at:end].split(b","))
    body = end + 1
    return (
        raw.count(b"\x00", body) == 2 * count
        and raw.count(b"\x01", body) == e1
        and raw.count(b"\x02", body) == e2
    )


def split_read(raw: bytes) -> tuple[int, bytes, bytes]:
    """A bulk-read answer: (how to go on, packed subscripts of the node to go on from, the
    records); see :func:`read_header`."""
    more, cont, body_at = read_header(raw)
    return more, cont, raw[body_at:]


def parse_records(body: bytes) -> tuple[list[tuple[Subs, str]], list[int]]:
    """Decode the records of a bulk read into (subscripts, value) pairs, in order, and the
    positions of values left out as too large (:data:`OVERSIZE`).

    One ``decode`` and one ``split`` for the whole chunk, then loops that run in C.  The cyclic
    garbage collector is paused meanwhile: tens of thousands of fresh tuples would otherwise
    trigger collections that cost as much as the decoding (measured: 1.7x faster without).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_records(body)
    finally:
        if enabled:
            gc.enable()


def _parse_records(body: bytes) -> tuple[list[tuple[Subs, str]], list[int]]:
    if not body:
        return [], []
    text = body.decode("utf-8", "surrogateescape")
    parts = text.split("\x00")
    keys = parts[0:-1:2]
    values = parts[1:-1:2]
    oversize: list[int] = []
    items: list[tuple[Subs, str]]
    if "\x02" not in text and "\x01" not in text:
        # One level: every loop runs in C (zip of 1-tuples, zip with the values).
        items = list(zip(zip(keys), values, strict=True))
    elif "\x02" not in text:
        items = list(zip(map(tuple, map(_split_subs, keys)), values, strict=True))
    else:
        items = [
            (tuple(_unescape(s) for s in k.split("\x01")), _unescape(v))
            for k, v in zip(keys, values, strict=True)
        ]
        oversize = [i for i, v in enumerate(values) if v == OVERSIZE]
    if keys[0] == "":
        items[0] = ((), items[0][1])
    return items, oversize


def _escape(field: bytes) -> bytes:
    if b"\x00" not in field and b"\x01" not in field and b"\x02" not in field:
        return field
    return field.replace(b"\x02", b"\x022").replace(b"\x00", b"\x020").replace(b"\x01", b"\x021")


def encode_read(
    more: bool,
    cont: Iterable[bytes],
    nodes: Iterable[tuple[Iterable[bytes], bytes | None]],
    *,
    escaped: bool = True,
) -> bytes:
    """A bulk-read answer built in Python, as ``READ^VBRIDGE`` builds it in M (engines whose
    API is not our routine, such as YottaDB's, answer through this).  A value of None is left
    out as :data:`OVERSIZE`.  ``escaped=False`` writes the fields raw with the ``e1,e2`` check
    field, as the routine's unescaped first try does (see :func:`separators_agree`)."""
    ck = pack_subscripts_bytes(cont)
    body: list[bytes] = []
    e1 = e2 = 0
    field = _escape if escaped else bytes
    for subs, value in nodes:
        parts = [field(s) for s in subs]
        e1 += max(len(parts) - 1, 0)
        body.append(b"\x01".join(parts))
        body.append(b"\x00")
        if value is None:
            e2 += 1
            body.append(b"\x02")
        else:
            body.append(field(value))
        body.append(b"\x00")
    check = b"" if escaped else b"%d,%d" % (e1, e2)
    return b"".join([b"1" if more else b"0", b"%d," % len(ck), ck, check, b";", *body])


def pack_subscripts_bytes(subs: Iterable[bytes]) -> bytes:
    """:func:`pack_subscripts` for subscripts already in bytes."""
    return b"".join(b"%d,%b" % (len(b), b) for b in subs)


def unpack_subscripts_bytes(data: bytes) -> tuple[bytes, ...]:
    """Inverse of :func:`pack_subscripts_bytes`."""
    subs: list[bytes] = []
    pos = 0
    while pos < len(data):
        comma = data.index(b",", pos)
        length = int(data[pos:comma])
        start = comma + 1
        subs.append(data[start : start + length])
        pos = start + length
    return tuple(subs)


def unpack_set_packet(packet: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """The (name, packed subscripts, value) records of a ``set_many`` packet."""
    fields = list(unpack_subscripts_bytes(packet))
    return [(fields[i], fields[i + 1], fields[i + 2]) for i in range(0, len(fields), 3)]
