"""``YottaDBStore``: the GlobalStore contract on YottaDB through the official ``yottadb`` package.

An optional extra (``pip install vista-bridge[yottadb]``), imported only when a YottaDB store is
opened.  It shares everything above the engine with :class:`~globals_map.gtm.GtmStore` (one
engine thread per process, transactions with an undo log, per-thread lock table, bulk reads in
chunks, name validation) and only swaps the engine calls: :class:`YdbCalls` answers the same
operations as our M routine, from ``yottadb.get``, ``data``, ``subscript_next``, ``node_next``,
``lock_incr`` and friends.  The ``yottadb`` module wraps YottaDB's non-threaded Simple API, so
it too is called from the single engine thread only.

YottaDB cannot be installed on our CI image, so these paths run only where it is installed
(the contract suite then runs on it); elsewhere its tests skip.
"""

from __future__ import annotations

import os
from typing import Any

from globals_map.errors import StoreError
from globals_map.gtm.environment import DatabaseMissingError, check_gbldir
from globals_map.gtm.packing import (
    ESCAPED,
    encode_read,
    pack_subscripts_bytes,
    unpack_set_packet,
    unpack_subscripts_bytes,
)
from globals_map.gtm.runtime import get_runtime
from globals_map.gtm.store import GtmStore

_ENV_GBLDIR = "ydb_gbldir"
_ENV_CHSET = "ydb_chset"


class YottaDBNotFoundError(StoreError):
    """The ``yottadb`` package (or the YottaDB it needs) is not installed or not set up."""


def _import_yottadb() -> Any:
    try:
        import yottadb
    except Exception as exc:  # ImportError, or libyottadb.so not found
        raise YottaDBNotFoundError(
            f"YottaDB is not usable here ({exc}): install YottaDB, source ydb_env_set, then "
            "pip install 'vista-bridge[yottadb]'"
        ) from None
    return yottadb


class YdbCalls:
    """The engine operations of :mod:`globals_map.gtm.calls` on the ``yottadb`` module."""

    def __init__(self) -> None:
        self.y = _import_yottadb()
        self._end = self.y.YDBNodeEnd
        self._timeouts = tuple(
            getattr(self.y, n)
            for n in ("YDBTimeoutError", "YDBLockTimeoutError")
            if hasattr(self.y, n)
        )

    def get(self, g: bytes, pk: bytes) -> tuple[int, bytes]:
        subs = unpack_subscripts_bytes(pk)
        d = int(self.y.data(g, subs))
        return d, (self.y.get(g, subs) or b"") if d % 2 else b""

    def data(self, g: bytes, pk: bytes) -> int:
        return int(self.y.data(g, unpack_subscripts_bytes(pk)))

    def set(self, g: bytes, pk: bytes, value: bytes) -> None:
        self.y.set(g, unpack_subscripts_bytes(pk), value)

    def kill(self, g: bytes, pk: bytes, node_only: bool) -> None:
        subs = unpack_subscripts_bytes(pk)
        if node_only:
            self.y.delete_node(g, subs)
        else:
            self.y.delete_tree(g, subs)

    def order(self, g: bytes, pk: bytes, start: bytes, direction: int) -> bytes | None:
        subs = (*unpack_subscripts_bytes(pk), start)
        step = self.y.subscript_next if direction > 0 else self.y.subscript_previous
        try:
            return bytes(step(g, subs))
        except self._end:
            return None

    def _next_node(self, g: bytes, subs: tuple[bytes, ...]) -> tuple[bytes, ...] | None:
        try:
            return tuple(bytes(s) for s in self.y.node_next(g, subs))
        except self._end:
            return None

    def query(self, g: bytes, pk: bytes) -> bytes | None:
        nxt = self._next_node(g, unpack_subscripts_bytes(pk))
        return None if nxt is None else pack_subscripts_bytes(nxt)

    def set_many(self, packet: bytes) -> int:
        records = unpack_set_packet(packet)
        for g, pk, value in records:
            self.y.set(g, unpack_subscripts_bytes(pk), value)
        return len(records)

    def atomic(self, packet: bytes) -> int:
        records: list[tuple[bytes, bytes, tuple[bytes, ...], bytes]] = []
        pos = 0
        while pos < len(packet):
            op = packet[pos : pos + 1]
            fields = []
            pos += 1
            for _ in range(3):
                comma = packet.index(b",", pos)
                length = int(packet[pos:comma])
                fields.append(packet[comma + 1 : comma + 1 + length])
                pos = comma + 1 + length
            records.append((op, fields[0], unpack_subscripts_bytes(fields[1]), fields[2]))

        def body() -> int:
            for op, g, subs, value in records:
                if op == b"S":
                    self.y.set(g, subs, value)
                elif op == b"K":
                    self.y.delete_tree(g, subs)
                else:
                    self.y.delete_node(g, subs)
            return int(self.y.YDB_OK)

        self.y.tp(body)
        return len(records)

    def read(
        self, g: bytes, pk: bytes, start: bytes, mode: int, limit: int, cap: int
    ) -> tuple[int, bytes]:
        escaped = mode >= ESCAPED  # as READ^VBRIDGE: mode + ESCAPED escapes every field
        mode -= ESCAPED if escaped else 0
        base = unpack_subscripts_bytes(pk)
        nodes: list[tuple[tuple[bytes, ...], bytes | None]] = []
        size = 0
        cur = base if mode == 0 else unpack_subscripts_bytes(start)
        pending: tuple[bytes, ...] | None = cur if mode != 1 else None
        while True:
            if pending is not None and int(self.y.data(g, pending)) % 2:
                value: bytes | None = bytes(self.y.get(g, pending))
                need = sum(len(s) + 1 for s in pending) + len(value or b"") + 2
                if need > cap:
                    value, need = None, sum(len(s) + 1 for s in pending) + 3
                if (limit > 0 and len(nodes) >= limit) or (nodes and size + need > cap):
                    return len(nodes), encode_read(True, pending, nodes, escaped=escaped)
                nodes.append((pending, value))
                size += need
            if pending is not None:
                cur = pending
            nxt = self._next_node(g, cur)
            if nxt is None or nxt[: len(base)] != base:
                return len(nodes), encode_read(False, (), nodes, escaped=escaped)
            pending = nxt

    def names(self, after: bytes) -> list[bytes]:
        out: list[bytes] = []
        cur = b"^" + after if after else b"^%"
        if not after and int(self.y.data(b"^%", ())) > 0:
            out.append(b"%")
        while len(out) < 1000:
            try:
                cur = bytes(self.y.subscript_next(cur, ()))
            except self._end:
                break
            out.append(cur.lstrip(b"^"))
        return out

    def lock(self, g: bytes, pk: bytes, timeout_ms: int, increment: bool) -> bool:
        subs = unpack_subscripts_bytes(pk)
        if not increment:
            self.y.lock_decr(g, subs)
            return True
        try:
            self.y.lock_incr(g, subs, timeout_ms * 1_000_000)
        except self._timeouts:
            return False
        return True

    def set_gbldir(self, gbldir: bytes) -> None:
        self.y.set("$ZGBLDIR", (), gbldir)

    def nop(self) -> int:
        return 0

    def exit(self) -> None:
        """YottaDB runs itself down at process exit."""


class YottaDBStore(GtmStore):
    """GlobalStore on a YottaDB database (``ydb_gbldir``, or ``gbldir=``)."""

    backend = "yottadb"

    def __init__(self, gbldir: str | os.PathLike[str] | None = None) -> None:
        text = os.fspath(gbldir) if gbldir is not None else os.environ.get(_ENV_GBLDIR, "")
        if not text:
            raise DatabaseMissingError(
                "no YottaDB global directory: pass gbldir= or set ydb_gbldir "
                "(VISTA_BRIDGE_STORE__GBLDIR in the bridge settings)"
            )
        path = os.path.abspath(os.path.expanduser(text))
        from pathlib import Path

        check_gbldir(Path(path))
        os.environ[_ENV_GBLDIR] = path
        os.environ.setdefault(_ENV_CHSET, "M")
        _import_yottadb()  # fail here, typed, rather than on the engine thread
        self.env = None  # type: ignore[assignment]
        self._setup(get_runtime(YdbCalls, path, engine="yottadb"), path)
