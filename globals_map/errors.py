"""Errors of the global-storage and FileMan layers."""

from __future__ import annotations

from parsers.errors import BridgeError


class StoreError(BridgeError):
    """A global store could not do what was asked (engine missing, database unreadable...)."""


class InvalidNameError(StoreError, ValueError):
    """A global name is not a valid M global name; refused before it reaches any engine."""


class InvalidSubscriptError(StoreError, ValueError):
    """A subscript is not acceptable (empty string, not a string, too long...)."""


class TransactionError(StoreError):
    """A transaction could not commit or was used wrongly."""


class EngineError(StoreError):
    """The M engine reported an error; ``status`` and the engine's message are kept."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class FileManError(BridgeError):
    """A FileMan-level problem, naming the file, entry (IEN/IENS) and field where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | float | None = None,
        ien: str | None = None,
        field: str | float | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.ien = ien
        self.field = None if field is None else str(field)
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if ien is not None:
            where.append(f"entry {ien}")
        if self.field is not None:
            where.append(f"field {self.field}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
