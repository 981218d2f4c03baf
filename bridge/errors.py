"""Errors of the bridge facade, clinical extraction and demo generator.

They say what went wrong and what to do, and never carry patient data: a missing entry is named
by file number and IEN only.
"""

from __future__ import annotations

from parsers.errors import BridgeError


class BridgeFacadeError(BridgeError):
    """Root of the bridge package's own errors."""


class ConfigurationError(BridgeFacadeError):
    """The configured source cannot be opened (no store, backend not installed...)."""


class NotFoundError(BridgeFacadeError):
    """An entry the caller asked for is not there (``file`` and ``ien`` say which)."""

    def __init__(self, message: str, *, file: str, ien: str) -> None:
        self.file = file
        self.ien = ien
        super().__init__(message)


class BadQueryError(BridgeFacadeError, ValueError):
    """A search or paging argument is malformed (bad cursor, bad date, limit out of range)."""
