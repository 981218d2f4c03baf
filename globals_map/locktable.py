"""Which thread of this process holds which M LOCK: incremental locks per thread, as M has them.

MemoryStore's LOCK is this table alone.  GT.M's LOCK belongs to the process, so two threads of
one process would both "hold" the same lock: the engine stores take this table first (each
thread its own incremental locks) and then ask GT.M, which keeps other processes out.  A node
conflicts with its ancestors and descendants, as in M.  Targets are (a name ending in the
caret-prefixed global name, its subscripts as a prefix-free byte key: GT.M's packing or
:func:`parsers.collation.node_bytes`), so a byte prefix of a key is an ancestor.
"""

from __future__ import annotations

import threading
import time

from globals_map.errors import StoreError

#: (b"^NAME", or database + b"\0" + b"^NAME"; the subscripts' prefix-free byte key).
Target = tuple[bytes, bytes]


class LockTimeoutError(StoreError):
    """An M LOCK was not granted within its timeout."""


class ThreadLockTable:
    """Incremental per-thread locks with timeouts."""

    def __init__(self) -> None:
        self._held: dict[Target, tuple[int, int]] = {}
        self._cond = threading.Condition(threading.Lock())

    def acquire(self, target: Target, deadline: float, timeout: float) -> None:
        """Take ``target`` for this thread, waiting until ``deadline`` (monotonic)."""
        me = threading.get_ident()
        with self._cond:
            while self._conflicts(target, me):
                left = deadline - time.monotonic()
                if left <= 0:
                    name = target[0].rpartition(b"\0")[2].decode()
                    raise LockTimeoutError(f"LOCK on {name} not granted in {timeout}s")
                self._cond.wait(left)
            owner, count = self._held.get(target, (me, 0))
            self._held[target] = (owner, count + 1)

    def release(self, target: Target) -> None:
        with self._cond:
            owner, count = self._held[target]
            if count <= 1:
                del self._held[target]
            else:
                self._held[target] = (owner, count - 1)
            self._cond.notify_all()

    def _conflicts(self, target: Target, me: int) -> bool:
        g, pk = target
        for (lg, lpk), (owner, _count) in self._held.items():
            if owner == me or lg != g:
                continue
            if lpk.startswith(pk) or pk.startswith(lpk):
                return True
        return False
