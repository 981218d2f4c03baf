"""What a store needs from its engine thread: the operations of ``VBRIDGE.m``, engine-neutral.

GT.M provides them through call-ins (:class:`globals_map.gtm.binding.CallIns`); YottaDB through
its Python API (:class:`globals_map.ydb.YdbCalls`).  Arguments and results are bytes in the
formats of :mod:`globals_map.gtm.packing`: a global name with its caret, packed subscripts.
Every method runs on the engine's single thread.
"""

from __future__ import annotations

from typing import Protocol


class EngineCalls(Protocol):
    """The engine operations a :class:`~globals_map.gtm.store.GtmStore` is built from."""

    def get(self, g: bytes, pk: bytes) -> tuple[int, bytes]:
        """($DATA, value or b"")."""
        ...

    def data(self, g: bytes, pk: bytes) -> int: ...

    def set(self, g: bytes, pk: bytes, value: bytes) -> None: ...

    def kill(self, g: bytes, pk: bytes, node_only: bool) -> None: ...

    def order(self, g: bytes, pk: bytes, start: bytes, direction: int) -> bytes | None: ...

    def query(self, g: bytes, pk: bytes) -> bytes | None:
        """The next node's subscripts, packed; None at the end of the global."""
        ...

    def set_many(self, packet: bytes) -> int: ...

    def atomic(self, packet: bytes) -> int:
        """Apply op-tagged records (b"S", b"K", b"Z" + a set record) as one TP transaction."""
        ...

    def read(
        self, g: bytes, pk: bytes, start: bytes, mode: int, limit: int, cap: int
    ) -> tuple[int, bytes]:
        """A bulk-read chunk: (node count, answer in the format of packing.split_read)."""
        ...

    def names(self, after: bytes) -> list[bytes]: ...

    def lock(self, g: bytes, pk: bytes, timeout_ms: int, increment: bool) -> bool: ...

    def set_gbldir(self, gbldir: bytes) -> None: ...

    def nop(self) -> int: ...

    def exit(self) -> None: ...
