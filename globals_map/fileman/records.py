"""What the decoder returns: a :class:`Record` of :class:`FieldValue` per field.

Each value carries both forms FileMan knows: ``internal`` (what is stored, as GETS^DIQ with
flag ``I`` gives it) and ``external`` (what GETS^DIQ with ``E`` prints), plus ``value``, a
Python value for APIs (int/Decimal for numbers, ISO 8601 text for dates, the IEN for
pointers).  A field that could not be decoded keeps its internal value and an ``error``
naming file, IEN and field; the other fields of the record are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from globals_map.errors import FileManError
from parsers.dd_spec import FieldType

__all__ = ["FieldValue", "LazyValues", "Record", "Scalar"]

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


class LazyValues(Protocol):
    """What a lazily decoded :class:`Record` asks for its fields (the decoder implements it).

    The decoder validates every field when it decodes an entry (so :attr:`Record.errors` is
    known at once and pointer targets are read at decode time), but builds the
    :class:`FieldValue` objects only when they are asked for: most callers read a few fields.
    """

    def field(self, number: str) -> FieldValue:
        """One field's value (KeyError when the record does not hold it)."""
        ...

    def has(self, number: str) -> bool: ...

    def materialize(self) -> dict[str, FieldValue]:
        """Every field, in the record's field order."""
        ...

    def errors(self) -> list[FileManError]:
        """The per-field errors, in field order, subentries' errors after their multiple."""
        ...


class Record:
    """One entry: ``iens`` is FileMan's IENS (``"3,"`` or ``"2,3,"`` for a subentry).

    ``values`` maps field numbers to :class:`FieldValue` in the decoder's field order.  A
    record from the decoder fills ``values`` on first use; ``record[number]`` builds only the
    field asked for.
    """

    __slots__ = ("_lazy", "_values", "file", "ien", "iens")

    def __init__(
        self,
        file: str,
        ien: str,
        iens: str,
        values: dict[str, FieldValue] | None = None,
        *,
        lazy: LazyValues | None = None,
    ) -> None:
        self.file = file
        self.ien = ien
        self.iens = iens
        self._values: dict[str, FieldValue] = {} if values is None else values
        self._lazy = lazy

    @property
    def values(self) -> dict[str, FieldValue]:
        lazy = self._lazy
        if lazy is not None:
            self._values = lazy.materialize()
            self._lazy = None
        return self._values

    @values.setter
    def values(self, values: dict[str, FieldValue]) -> None:
        self._values = values
        self._lazy = None

    def __getitem__(self, number: str) -> FieldValue:
        lazy = self._lazy
        if lazy is not None:
            return lazy.field(number)
        return self._values[number]

    def __contains__(self, number: object) -> bool:
        lazy = self._lazy
        if lazy is not None:
            return isinstance(number, str) and lazy.has(number)
        return number in self._values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.file, self.ien, self.iens, self.values) == (
            other.file,
            other.ien,
            other.iens,
            other.values,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return (
            f"Record(file={self.file!r}, ien={self.ien!r}, iens={self.iens!r}, "
            f"values={self.values!r})"
        )

    def internal(self, number: str) -> str | None:
        return self[number].internal

    def external(self, number: str) -> str | None:
        return self[number].external

    @property
    def errors(self) -> list[FileManError]:
        """Every per-field error in this entry and its subentries."""
        lazy = self._lazy
        if lazy is not None:
            return lazy.errors()
        out: list[FileManError] = []
        for fv in self._values.values():
            if fv.error is not None:
                out.append(fv.error)
            for sub in fv.records or ():
                out.extend(sub.errors)
        return out
