"""Typed rows from the text some RPCs answer: allergies (ORQQAL LIST), the patient list (ORWPT
LIST ALL) and FileMan's DBS RPCs (DDR GETS ENTRY DATA, DDR LISTER, DDR FIND1, DDR FINDER).

Formats, as the routines write them:

- LIST^ORQQAL: ``ien^allergen^severity[^sign; sign...]`` per allergy, or one line
  ``^No Allergy Assessment`` / ``^No Known Allergies`` / ``^No allergies found.``.
- LISTALL^ORWPT: ``DFN^index name^^^^name`` (the "B" index entry and the zero node's name).
- GETSC^DDR2 packed: ``[Data]`` then ``file^iens^field^internal^external``; a word-processing
  field is ``file^iens^field^[WORD PROCESSING]``, its lines, then ``$$END$$``; on error only
  ``[ERROR]``.  Unpacked (OPTIONS ``U``, label 11): ``[BEGIN_diDATA]``, per field a header
  ``file^iens^field^B|I|E`` and its value lines (B: external then internal) or
  ``file^iens^field^W^count`` and the text, ``[END_diDATA]``.
- V1^DDR (LISTER) and FINDC^DDR0 (FINDER), packed: optional ``[Misc]`` with ``MORE^from^ien``
  (LISTER) or ``MORE`` (FINDER), then ``[BEGIN_diDATA]``, ``ien^values...`` rows, ``[END_diDATA]``.
- FIND1C^DDR2: the IEN (``0`` none, empty on error).
- ERROR^DDR2 (and DDR, DDR0): ``[BEGIN_diERRORS]``, per error ``code^text count^file^iens^
  field^param count``, the ``name^value`` params, the text lines, ``[END_diERRORS]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from rpc.errors import FileManDBSError, ProtocolError

# ---------------------------------------------------------------------------------------------
# Allergies and patients
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllergyRow:
    ien: str
    allergen: str
    severity: str
    reactions: tuple[str, ...]


@dataclass(frozen=True)
class AllergyList:
    """``status``: ``allergies``, ``not_assessed``, ``no_known_allergies`` or ``none_found``."""

    status: str
    rows: tuple[AllergyRow, ...]


_ALLERGY_STATUS = {
    "No Allergy Assessment": "not_assessed",
    "No Known Allergies": "no_known_allergies",
    "No allergies found.": "none_found",
}


def parse_allergies(lines: Sequence[str]) -> AllergyList:
    """ORQQAL LIST's lines as typed rows."""
    if len(lines) == 1 and lines[0].startswith("^"):
        status = _ALLERGY_STATUS.get(lines[0][1:])
        if status is None:
            raise ProtocolError(f"ORQQAL LIST: unknown status line {lines[0][:40]!r}")
        return AllergyList(status, ())
    rows = []
    for number, line in enumerate(lines, 1):
        pieces = line.split("^")
        if len(pieces) < 3 or not pieces[0]:
            raise ProtocolError(f"ORQQAL LIST: row {number} is not ien^allergen^severity")
        reactions = tuple(r for r in "^".join(pieces[3:]).split("; ") if r)
        rows.append(AllergyRow(pieces[0], pieces[1], pieces[2], reactions))
    return AllergyList("allergies", tuple(rows))


@dataclass(frozen=True)
class PatientRow:
    dfn: str
    index_name: str
    name: str


def parse_patient_list(lines: Sequence[str]) -> list[PatientRow]:
    """ORWPT LIST ALL's lines (LISTALL^ORWPT)."""
    out = []
    for number, line in enumerate(lines, 1):
        pieces = line.split("^")
        if len(pieces) < 2 or not pieces[0].isdigit():
            raise ProtocolError(f"ORWPT LIST ALL: row {number} is not DFN^name")
        out.append(PatientRow(pieces[0], pieces[1], pieces[5] if len(pieces) > 5 else ""))
    return out


# ---------------------------------------------------------------------------------------------
# FileMan DBS
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileManMessage:
    """One entry of FileMan's error list (a DIALOG number, its text and parameters)."""

    code: int
    text: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)
    file: str = ""
    iens: str = ""
    field: str = ""


@dataclass(frozen=True)
class FieldValue:
    file: str
    iens: str
    field: str
    internal: str | None
    external: str | None
    word_processing: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GetsResult:
    """DDR GETS ENTRY DATA: field values; ``errors`` (unpacked) or ``failed`` (packed [ERROR])."""

    fields: tuple[FieldValue, ...]
    errors: tuple[FileManMessage, ...] = ()
    failed: bool = False

    def value(self, field_number: str) -> FieldValue:
        for item in self.fields:
            if item.field == field_number:
                return item
        raise KeyError(field_number)

    def raise_for_errors(self, rpc: str = "DDR GETS ENTRY DATA") -> None:
        _raise_for(self.errors, self.failed, rpc)


@dataclass(frozen=True)
class ListRow:
    ien: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ListResult:
    """DDR LISTER / DDR FINDER (packed): rows; ``more`` is set when FileMan stopped at MAX
    (LISTER: ``(from value, from IEN)`` to continue from; FINDER: ``("", "")``)."""

    rows: tuple[ListRow, ...]
    more: tuple[str, str] | None = None
    errors: tuple[FileManMessage, ...] = ()

    def raise_for_errors(self, rpc: str = "DDR LISTER") -> None:
        _raise_for(self.errors, False, rpc)


@dataclass(frozen=True)
class Find1Result:
    """DDR FIND1: the IEN found, ``None`` for no match (0) or on error."""

    ien: str | None
    errors: tuple[FileManMessage, ...] = ()

    def raise_for_errors(self, rpc: str = "DDR FIND1") -> None:
        _raise_for(self.errors, False, rpc)


def _raise_for(errors: tuple[FileManMessage, ...], failed: bool, rpc: str) -> None:
    if errors:
        text = " / ".join(" ".join(e.text) for e in errors)
        raise FileManDBSError(text, rpc=rpc, codes=tuple(e.code for e in errors))
    if failed:
        raise FileManDBSError("FileMan reported an error ([ERROR])", rpc=rpc)


class _Lines:
    """A cursor over response lines that names the line number in errors."""

    def __init__(self, rpc: str, lines: Sequence[str]) -> None:
        self.rpc, self.lines, self.pos = rpc, lines, 0

    def peek(self) -> str | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def take(self) -> str:
        if self.pos >= len(self.lines):
            self.fail("the answer ends too early")
        line = self.lines[self.pos]
        self.pos += 1
        return line

    def take_until(self, end: str) -> Iterator[str]:
        while True:
            line = self.take()
            if line == end:
                return
            yield line

    def fail(self, message: str) -> NoReturn:
        raise ProtocolError(f"{self.rpc}: line {self.pos + 1}: {message}")


def _errors(cur: _Lines) -> tuple[FileManMessage, ...]:
    """ERROR^DDR2: the block after ``[BEGIN_diERRORS]`` (already taken)."""
    out: list[FileManMessage] = []
    while True:
        head = cur.take()
        if head == "[END_diERRORS]":
            return tuple(out)
        pieces = head.split("^") + [""] * 6
        code, ntext, nparam = _number(pieces[0]), _number(pieces[1] or "0"), pieces[5]
        if code is None or ntext is None:
            cur.fail("an error header is not code^text count^...")
        params: dict[str, str] = {}
        for _ in range(_number(nparam or "0") or 0):
            name, _sep, value = cur.take().partition("^")
            params[name] = value
        text = tuple(cur.take() for _ in range(ntext or 0))
        out.append(FileManMessage(code or 0, text, params, pieces[2], pieces[3], pieces[4]))


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def parse_gets(lines: Sequence[str]) -> GetsResult:
    """DDR GETS ENTRY DATA's lines, packed or unpacked (OPTIONS U)."""
    cur = _Lines("DDR GETS ENTRY DATA", lines)
    fields: list[FieldValue] = []
    errors: tuple[FileManMessage, ...] = ()
    failed = False
    while (line := cur.peek()) is not None:
        cur.take()
        if line == "[Data]":
            fields += _packed_fields(cur)
        elif line == "[BEGIN_diDATA]":
            fields += _unpacked_fields(cur)
        elif line == "[BEGIN_diERRORS]":
            errors += _errors(cur)
        elif line == "[ERROR]":
            failed = True
        else:
            cur.fail("unexpected line outside a section")
    return GetsResult(tuple(fields), errors, failed)


def _packed_fields(cur: _Lines) -> list[FieldValue]:
    out: list[FieldValue] = []
    while (line := cur.peek()) is not None and not line.startswith("["):
        cur.take()
        pieces = line.split("^")
        if len(pieces) < 4:
            cur.fail("a [Data] row is not file^iens^field^value")
        file, iens, fld = pieces[0], pieces[1], pieces[2]
        if len(pieces) == 4 and pieces[3] == "[WORD PROCESSING]":
            text = tuple(cur.take_until("$$END$$"))
            out.append(FieldValue(file, iens, fld, None, None, text))
        else:
            out.append(FieldValue(file, iens, fld, pieces[3], "^".join(pieces[4:])))
    return out


def _unpacked_fields(cur: _Lines) -> list[FieldValue]:
    out: list[FieldValue] = []
    while True:
        head = cur.take()
        if head == "[END_diDATA]":
            return out
        pieces = head.split("^")
        if len(pieces) < 4:
            cur.fail("a [BEGIN_diDATA] header is not file^iens^field^flag")
        file, iens, fld, flag = pieces[:4]
        if flag == "W":
            count = _number(pieces[4] if len(pieces) > 4 else "")
            if count is None:
                cur.fail("a word-processing header has no line count")
            text = tuple(cur.take() for _ in range(count or 0))
            out.append(FieldValue(file, iens, fld, None, None, text))
        elif flag == "B":
            external = cur.take()
            out.append(FieldValue(file, iens, fld, cur.take(), external))
        elif flag == "I":
            out.append(FieldValue(file, iens, fld, cur.take(), None))
        elif flag == "E":
            out.append(FieldValue(file, iens, fld, None, cur.take()))
        else:
            cur.fail(f"unknown value flag {flag[:5]!r}")


def parse_list(lines: Sequence[str], rpc: str = "DDR LISTER") -> ListResult:
    """DDR LISTER / DDR FINDER (packed output, FLAGS with P)."""
    cur = _Lines(rpc, lines)
    rows: list[ListRow] = []
    more: tuple[str, str] | None = None
    errors: tuple[FileManMessage, ...] = ()
    while (line := cur.peek()) is not None:
        cur.take()
        if line == "[Misc]":
            marker = cur.take().split("^")
            if marker[0] != "MORE":
                cur.fail("[Misc] is not followed by MORE")
            more = (marker[1] if len(marker) > 1 else "", marker[2] if len(marker) > 2 else "")
        elif line == "[BEGIN_diDATA]":
            for row in cur.take_until("[END_diDATA]"):
                ien, _sep, rest = row.partition("^")
                rows.append(ListRow(ien, tuple(rest.split("^")) if rest else ()))
        elif line == "[BEGIN_diERRORS]":
            errors += _errors(cur)
        else:
            cur.fail("unexpected line outside a section (unpacked output is not parsed)")
    return ListResult(tuple(rows), more, errors)


def parse_find1(lines: Sequence[str]) -> Find1Result:
    """DDR FIND1: the first line is the IEN (0: none; empty: see the errors)."""
    cur = _Lines("DDR FIND1", lines)
    first = cur.take() if lines else ""
    errors: tuple[FileManMessage, ...] = ()
    while (line := cur.peek()) is not None:
        cur.take()
        if line != "[BEGIN_diERRORS]":
            cur.fail("unexpected line after the IEN")
        errors += _errors(cur)
    if first and not first.replace(".", "", 1).isdigit():
        cur.fail("the first line is not an IEN")
    return Find1Result(first if first not in ("", "0") else None, errors)
