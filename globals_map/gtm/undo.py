"""Transactions on an engine that cannot hold a TSTART across call-ins: an undo log.

GT.M refuses a ``TSTART`` left open when a call-in returns (``%GTM-E-TPQUIT``), so a Python
block cannot run inside a GT.M transaction.  Writes inside :meth:`transaction` apply at once
and the store logs what they replaced (a node's old value, or a killed subtree's nodes);
rolling back replays the log backwards (the nesting marks are :mod:`globals_map.undo_log`'s;
this module supplies the engine's undo step).  The store's mutex (the runtime's, shared by
every store of the process) keeps other threads out meanwhile; other processes are not
isolated from the block: use ``lock()`` around it when they may write the same nodes, or
``apply_atomically()`` for a batch that must be all-or-nothing for everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from globals_map.gtm.calls import EngineCalls
from globals_map.gtm.jobs import kill_job, set_job, set_many_job
from globals_map.gtm.packing import pack_set
from globals_map.undo_log import UndoLog

T = TypeVar("T")
#: One undo record: ("value", g, pk, old value or None) or ("tree", g, pk, saved nodes).
Undo = tuple[str, bytes, bytes, "bytes | list[tuple[bytes, bytes, bytes]] | None"]
#: Restored subtrees go back in set_many packets up to this size.
RESTORE_PACKET_BYTES = 256 * 1024


class UndoTransactions(UndoLog[Undo]):
    """The undo step of the engine stores (mixed into GtmStore)."""

    def _run(self, fn: Callable[[EngineCalls], T]) -> T:
        raise NotImplementedError

    def _undo_step(self, record: Undo) -> None:
        kind, g, pk, old = record
        if kind == "tree":
            assert isinstance(old, list)
            self._run(kill_job(g, pk, False))
            self._restore(old)
        elif old is None:
            self._run(kill_job(g, pk, True))
        else:
            assert isinstance(old, bytes)
            self._run(set_job(g, pk, old))

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
