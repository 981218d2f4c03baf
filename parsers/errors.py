"""The root of every error vista-bridge raises, and the parsers' own errors.

This is a leaf module (it imports nothing of ours) so that every package may derive its
exception tree from :class:`BridgeError` without breaking the one-way import rule.
Errors say what, where and what to do; they never carry PHI or passwords.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Root of all vista-bridge errors: catch this to catch ours and nothing else."""


class ParseError(BridgeError, ValueError):
    """Text from outside did not parse.

    ``source`` names the file (or ``<string>``), ``line`` and ``column`` are 1-based,
    ``text`` is the offending line (truncated) so the user can see what was wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<string>",
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.text = text
        where = source
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        shown = ""
        if text is not None:
            snippet = text if len(text) <= 120 else text[:117] + "..."
            shown = f"\n    {snippet!r}"
        super().__init__(f"{where}: {message}{shown}")
