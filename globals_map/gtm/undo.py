"""Transactions on an engine that cannot hold a TSTART across call-ins: an undo log.

GT.M refuses a ``TSTART`` left open when a call-in returns (``%GTM-E-TPQUIT``), so a Python
block cannot run inside a GT.M transaction.  Writes inside :meth:`transaction` apply at once
and the store logs what they replaced (a node's old value, or a killed subtree's nodes);
rolling back replays the log backwards.  Nesting keeps a mark per level, so an inner block
rolls back alone and an outer rollback also undoes committed inner blocks.  The store's mutex
(the runtime's, shared by every store of the process) keeps other threads out meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from globals_map.errors import TransactionError
from globals_map.gtm.calls import EngineCalls
from globals_map.gtm.jobs import kill_job, set_job, set_many_job
from globals_map.gtm.packing import pack_set

T = TypeVar("T")
#: One undo record: ("value", g, pk, old value or None) or ("tree", g, pk, saved nodes).
Undo = tuple[str, bytes, bytes, "bytes | list[tuple[bytes, bytes, bytes]] | None"]
#: Restored subtrees go back in set_many packets up to this size.
RESTORE_PACKET_BYTES = 256 * 1024


class UndoTransactions:
    """The ``transaction()`` of the engine stores (mixed into GtmStore)."""

    _mutex: threading.RLock
    _undo: list[Undo] | None
    _marks: list[int]

    def _run(self, fn: Callable[[EngineCalls], T]) -> T:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit when the block ends; undo this block's writes when it raises.

        Other threads of this process wait until the block ends; other processes are not
        isolated from it: use ``lock()`` around the block when they may write the same nodes,
        or ``apply_atomically()`` for a batch that must be all-or-nothing for everyone.
        """
        with self._mutex:
            if self._undo is None:
                self._undo = []
            self._marks.append(len(self._undo))
            try:
                yield
            except BaseException:
                self._rollback_to(self._marks.pop())
                raise
            else:
                self._marks.pop()
            finally:
                if not self._marks:
                    self._undo = None

    def _rollback_to(self, mark: int) -> None:
        undo = self._undo
        if undo is None:
            raise TransactionError("rollback outside a transaction")
        self._undo = None  # restoring must not log
        try:
            while len(undo) > mark:
                kind, g, pk, old = undo.pop()
                if kind == "tree":
                    assert isinstance(old, list)
                    self._run(kill_job(g, pk, False))
                    self._restore(old)
                elif old is None:
                    self._run(kill_job(g, pk, True))
                else:
                    assert isinstance(old, bytes)
                    self._run(set_job(g, pk, old))
        finally:
            self._undo = undo

    def _restore(self, nodes: list[tuple[bytes, bytes, bytes]]) -> None:
        packet: list[bytes] = []
        size = 0
        for node in nodes:
            rec = pack_set(*node)
            if len(rec) > RESTORE_PACKET_BYTES:
                self._run(set_job(*node))
                continue
            packet.append(rec)
            size += len(rec)
            if size >= RESTORE_PACKET_BYTES:
                self._run(set_many_job(b"".join(packet)))
                packet, size = [], 0
        if packet:
            self._run(set_many_job(b"".join(packet)))
