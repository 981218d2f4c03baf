"""What the decoder returns: a :class:`Record` of :class:`FieldValue` per field.

Each value carries both forms FileMan knows: ``internal`` (what is stored, as GETS^DIQ with
flag ``I`` gives it) and ``external`` (what GETS^DIQ with ``E`` prints), plus ``value``, a
Python value for APIs (int/Decimal for numbers, ISO 8601 text for dates, the IEN for
pointers).  A field that could not be decoded keeps its internal value and an ``error``
naming file, IEN and field; the other fields of the record are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from globals_map.errors import FileManError
from parsers.dd_spec import FieldType

__all__ = ["FieldValue", "Record", "Scalar"]

#: The Python value of a field: str, int, Decimal or None.
Scalar = str | int | Decimal | None


@dataclass(slots=True)
class FieldValue:
    """One field of one entry.

    - ``internal``/``external``: None for word processing, multiples and computed fields.
    - ``lines``: the text of a word-processing field (``[]`` when empty).
    - ``records``: the subentries of a multiple, in IEN order.
    - ``evaluated``: False for a computed field (FileMan would run M code; we never do).
    - ``exact``: False when the field has an output transform we do not know, so
      ``external`` is the untransformed value.
    - ``target_file``/``target_ien``: where a pointer or variable pointer points.
    """

    file: str
    field: str
    label: str
    type: FieldType
    internal: str | None = None
    external: str | None = None
    value: Scalar = None
    lines: list[str] | None = None
    records: list[Record] | None = None
    evaluated: bool = True
    exact: bool = True
    target_file: str | None = None
    target_ien: str | None = None
    error: FileManError | None = None

    @property
    def text(self) -> str | None:
        """A word-processing field's text joined by newlines (None for other types)."""
        return None if self.lines is None else "\n".join(self.lines)

    @property
    def is_empty(self) -> bool:
        if self.lines is not None:
            return not self.lines
        if self.records is not None:
            return not self.records
        return not self.internal


@dataclass(slots=True)
class Record:
    """One entry: ``iens`` is FileMan's IENS (``"3,"`` or ``"2,3,"`` for a subentry)."""

    file: str
    ien: str
    iens: str
    values: dict[str, FieldValue] = field(default_factory=dict)

    def __getitem__(self, number: str) -> FieldValue:
        return self.values[number]

    def __contains__(self, number: object) -> bool:
        return number in self.values

    def internal(self, number: str) -> str | None:
        return self.values[number].internal

    def external(self, number: str) -> str | None:
        return self.values[number].external

    @property
    def errors(self) -> list[FileManError]:
        """Every per-field error in this entry and its subentries."""
        out: list[FileManError] = []
        for fv in self.values.values():
            if fv.error is not None:
                out.append(fv.error)
            for sub in fv.records or ():
                out.extend(sub.errors)
        return out
