"""The YottaDB adapter answers exactly as our M routine does (differential test).

YottaDB is not installable here, so :class:`globals_map.ydb.YdbCalls` runs over a stand-in
for the ``yottadb`` module that implements its documented calls (``get``, ``data``,
``subscript_next``, ``node_next``, ``delete_tree``, ``tp``...) on a MemoryStore.  Every engine
operation, including the bulk-read answers it builds in Python, must then be byte-equal to
what ``VBRIDGE.m`` answers on real GT.M for the same data.  Where YottaDB is installed, the
whole contract suite runs on the real thing (tests/globals_map/engines.py).
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/globals_map/engines.py)
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from globals_map import MemoryStore
from globals_map.gtm import GtmStore
from globals_map.gtm.calls import EngineCalls
from globals_map.gtm.packing import pack_set, pack_subscripts
from globals_map.ydb import YdbCalls
from parsers.collation import decode_m, encode_m
from tests.globals_map.engines import gtm_store  # noqa: F401


class YDBNodeEnd(Exception):
    pass


class YDBTimeoutError(Exception):
    pass


class MemoryYottaDB:
    """The calls of the ``yottadb`` module that YdbCalls uses, over a MemoryStore."""

    YDB_OK = 0
    YDBNodeEnd = YDBNodeEnd
    YDBTimeoutError = YDBTimeoutError

    def __init__(self) -> None:
        self.m = MemoryStore()

    @staticmethod
    def _n(name: bytes | str) -> str:
        return (name.decode() if isinstance(name, bytes) else name).lstrip("^")

    @staticmethod
    def _s(subs: tuple[bytes, ...] | list[bytes]) -> tuple[str, ...]:
        return tuple(decode_m(s) for s in subs)

    def get(self, name: bytes, subs: tuple[bytes, ...] = ()) -> bytes | None:
        v = self.m.get(self._n(name), self._s(subs))
        return None if v is None else encode_m(v)

    def set(self, name: bytes, subs: tuple[bytes, ...] = (), value: bytes = b"") -> None:
        self.m.set(self._n(name), self._s(subs), decode_m(value))

    def data(self, name: bytes, subs: tuple[bytes, ...] = ()) -> int:
        return self.m.data(self._n(name), self._s(subs))

    def delete_node(self, name: bytes, subs: tuple[bytes, ...] = ()) -> None:
        self.m.kill_node(self._n(name), self._s(subs))

    def delete_tree(self, name: bytes, subs: tuple[bytes, ...] = ()) -> None:
        self.m.kill(self._n(name), self._s(subs))

    def _step(self, name: bytes, subs: tuple[bytes, ...], forward: bool) -> bytes:
        if not subs:  # variable level: the next global name
            names = self.m.global_names()
            cur = self._n(name)
            later = [n for n in names if (n.encode() > cur.encode()) == forward and n != cur]
            if not later:
                raise YDBNodeEnd
            return ("^" + (later[0] if forward else later[-1])).encode()
        *parent, last = self._s(subs)
        step = self.m.next_subscript if forward else self.m.prev_subscript
        found = step(self._n(name), tuple(parent), last or None)
        if found is None:
            raise YDBNodeEnd
        return encode_m(found)

    def subscript_next(self, name: bytes, subs: tuple[bytes, ...] = ()) -> bytes:
        return self._step(name, subs, True)

    def subscript_previous(self, name: bytes, subs: tuple[bytes, ...] = ()) -> bytes:
        return self._step(name, subs, False)

    def node_next(self, name: bytes, subs: tuple[bytes, ...] = ()) -> tuple[bytes, ...]:
        nxt = self.m.next_node(self._n(name), self._s(subs))
        if nxt is None:
            raise YDBNodeEnd
        return tuple(encode_m(s) for s in nxt)

    def lock_incr(self, name: bytes, subs: tuple[bytes, ...] = (), timeout_nsec: int = 0) -> None:
        return None

    def lock_decr(self, name: bytes, subs: tuple[bytes, ...] = ()) -> None:
        return None

    def tp(self, callback: Callable[[], int], *args: Any) -> int:
        with self.m.transaction():
            return callback()


@pytest.fixture
def ydb_calls() -> YdbCalls:
    calls = YdbCalls.__new__(YdbCalls)
    calls.y = MemoryYottaDB()
    calls._end = YDBNodeEnd
    calls._timeouts = (YDBTimeoutError,)
    return calls


NODES = [
    ((), "root"),
    (("1",), "one"),
    (("1", "a"), "x\x00y"),
    (("1", "a", "deep"), ""),
    (("1", "b\x01"), "v"),
    (("2",), "two"),
    (("2", "-1"), "m"),
    (("A",), "B" * 3000),
    (('q"', "x"), "quote\x02"),
]


def set_many(ci: EngineCalls, packet: bytes) -> int:
    return ci.set_many(packet)


def both(gtm: GtmStore, ydb: YdbCalls) -> None:
    """The same nodes in two globals, written through each engine's set_many."""
    for name in ("ZZY", "ZZZ"):
        packet = b"".join(
            pack_set(b"^" + name.encode(), pack_subscripts(s), encode_m(v)) for s, v in NODES
        )
        assert gtm.runtime.call(partial(set_many, packet=packet)) == len(NODES)
        assert ydb.set_many(packet) == len(NODES)


def gtm_answer(gtm: GtmStore, fn: Callable[[EngineCalls], Any]) -> Any:
    return gtm.runtime.call(fn)


@pytest.mark.parametrize(
    "op",
    [
        lambda c: c.get(b"^ZZY", pack_subscripts(("1", "a"))),
        lambda c: c.get(b"^ZZY", b""),
        lambda c: c.get(b"^ZZY", pack_subscripts(("9",))),
        lambda c: [c.data(b"^ZZY", pack_subscripts(s)) for s, _v in NODES] + [c.data(b"^NO", b"")],
        lambda c: c.order(b"^ZZY", b"", b"", 1),
        lambda c: c.order(b"^ZZY", b"", b"2", 1),
        lambda c: c.order(b"^ZZY", b"", b"", -1),
        lambda c: c.order(b"^ZZY", pack_subscripts(("1",)), b"a", 1),
        lambda c: c.order(b"^ZZY", pack_subscripts(("1",)), b"zzz", 1),
        lambda c: c.query(b"^ZZY", b""),
        lambda c: c.query(b"^ZZY", pack_subscripts(("1", "a", "deep"))),
        lambda c: c.query(b"^ZZY", pack_subscripts(('q"', "x"))),
        lambda c: c.names(b""),
        lambda c: c.names(b"ZZY"),
        lambda c: c.read(b"^ZZY", b"", b"", 0, 0, 65536),
        lambda c: c.read(b"^ZZY", pack_subscripts(("1",)), b"", 0, 0, 65536),
        lambda c: c.read(b"^ZZY", b"", pack_subscripts(("1", "a")), 1, 0, 65536),
        lambda c: c.read(b"^ZZY", b"", pack_subscripts(("1", "a")), 2, 3, 65536),
        lambda c: c.read(b"^ZZY", b"", b"", 0, 0, 1000),
    ],
)
def test_ydb_calls_answer_like_our_m_routine(
    gtm_store: GtmStore, ydb_calls: YdbCalls, op: Callable[[EngineCalls], Any]
) -> None:
    both(gtm_store, ydb_calls)
    assert op(ydb_calls) == gtm_answer(gtm_store, op)


def test_ydb_calls_write_like_our_m_routine(gtm_store: GtmStore, ydb_calls: YdbCalls) -> None:
    both(gtm_store, ydb_calls)
    ops: list[Callable[[EngineCalls], Any]] = [
        lambda c: c.kill(b"^ZZY", pack_subscripts(("1",)), True),
        lambda c: c.kill(b"^ZZY", pack_subscripts(("2",)), False),
        lambda c: c.set(b"^ZZY", pack_subscripts(("3", "n\x00")), b"new"),
        lambda c: c.atomic(
            b"S"
            + pack_set(b"^ZZZ", pack_subscripts(("7",)), b"seven")
            + b"K"
            + pack_set(b"^ZZZ", pack_subscripts(("1",)), b"")
        ),
    ]
    for op in ops:
        assert op(ydb_calls) == gtm_answer(gtm_store, op)

    def read(c: EngineCalls) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        return c.read(b"^ZZY", b"", b"", 0, 0, 65536), c.read(b"^ZZZ", b"", b"", 0, 0, 65536)

    assert read(ydb_calls) == gtm_answer(gtm_store, read)
