"""Nested transactions kept as an undo log: the mark stack both our stores share.

Writes inside :meth:`UndoLog.transaction` apply at once while the store logs what they
replaced; each nesting level pushes a mark (the log's length when it began), so an inner block
that raises rolls back alone, and an outer block that raises also undoes the inner blocks it
committed.  The store's re-entrant mutex is held for the whole block, so other threads of the
process wait until it ends.  Each backend supplies only what a record holds and how one record
is undone (:meth:`UndoLog._undo_step`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from globals_map.errors import TransactionError

R = TypeVar("R")


class UndoLog(Generic[R]):
    """The ``transaction()`` of a store that logs undo records of type ``R``.

    The store sets ``_mutex`` (re-entrant), ``_undo = None`` and ``_marks = []``, appends a
    record to ``_undo`` before each write while it is not None, and implements
    :meth:`_undo_step`."""

    _mutex: threading.RLock
    _undo: list[R] | None
    _marks: list[int]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit when the block ends; undo this block's writes when it raises.

        Other threads of this process wait until the block ends; other processes are not
        isolated from it by this alone (see the backend's notes)."""
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
        """Undo the records after ``mark``, newest first (the mutex is held)."""
        undo = self._undo
        if undo is None:
            raise TransactionError("rollback outside a transaction")
        self._undo = None  # undoing must not log
        try:
            while len(undo) > mark:
                self._undo_step(undo.pop())
        finally:
            self._undo = undo

    def _undo_step(self, record: R) -> None:
        """Put back what ``record`` says a write replaced."""
        raise NotImplementedError
