"""Which thread of this process holds which M LOCK: the part of LOCK that GT.M cannot see.

GT.M's LOCK belongs to the process, so two threads of one process would both "hold" the same
lock.  This table gives each thread its own incremental locks (a node conflicts with its
ancestors and descendants, as in M) before the store asks GT.M, which then keeps other
processes out.  Targets are (global name, packed subscripts): packing is self-delimiting, so
a byte prefix of a packed key is an ancestor.
"""

from __future__ import annotations

import threading
import time

from globals_map.memory import LockTimeoutError

Target = tuple[bytes, bytes]


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
