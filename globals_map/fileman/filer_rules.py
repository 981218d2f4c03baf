"""The filer's view of a data dictionary: field rules read from ``^DD``/``^DIC`` in a store.

A :class:`FieldRule` holds what filing needs of one field (type, node;piece or $E range, set
codes, pointer target and root, numeric width/decimals, the length and range limits written in
the input transform, regular cross-references, variable-pointer roots).  Input transforms and
cross-reference logic are M code: they are read for their limits and names, never run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from globals_map.errors import FileManError
from globals_map.fileman.errors import NoSuchFileError
from globals_map.fileman.schema import FieldDef, FieldType, Schema
from globals_map.store import GlobalStore
from parsers.dd_spec import parse_global_root
from parsers.fmdate import FMDate

_LEN_MAX = re.compile(r"\$L\(X\)>(\d+)")
_LEN_MIN = re.compile(r"\$L\(X\)<(\d+)")
_NUM_MAX = re.compile(r"X>(-?\d*\.?\d+)")
_NUM_MIN = re.compile(r"X<(-?\d*\.?\d+)")


def parse_root(root: str) -> tuple[str, tuple[str, ...]]:
    """``^GMR(120.5,`` -> ("GMR", ("120.5",)); ``^DPT(`` -> ("DPT", ()).

    Parsed by :func:`parsers.dd_spec.parse_global_root` (literal subscripts only); a root that
    is not one raises :class:`parsers.errors.ParseError`.
    """
    parsed = parse_global_root(root)
    return parsed.name, parsed.subscripts


def to_fm_date(value: date | datetime) -> str:
    """A Python date/datetime as a FileMan internal date (year - 1700, canonical time).

    A datetime at 00:00:00 is filed as its date alone (no time), as FileMan's date-only
    fields hold it.
    """
    if isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    return FMDate.from_python(value).to_internal()


@dataclass(frozen=True)
class FieldRule:
    """What the filer needs to know of one field (read from ``^DD(file,field,0)``)."""

    file: str
    number: str
    label: str
    kind: str  # F N D S P V W M C K
    required: bool
    node: str
    piece: int | None = None
    extract: tuple[int, int] | None = None
    codes: Mapping[str, str] = field(default_factory=dict)
    target_file: str | None = None
    target_root: str | None = None
    width: int | None = None
    decimals: int | None = None
    min_len: int | None = None
    max_len: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    subfile: str | None = None
    spec: str = ""
    xrefs: tuple[tuple[str, str], ...] = ()
    vp_roots: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FileRules:
    """One file's (or subfile's) dictionary as the filer uses it."""

    number: str
    name: str
    root: str  # "^DPT(" for a top file; "" for a subfile
    spec: str  # ^DIC(file,0) piece 2, or the multiple field's specifier
    fields: dict[str, FieldRule]
    parent: str | None = None
    parent_node: str | None = None
    skipped_xrefs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        #: Fields FileMan will not add an entry without: .01 and every "R" field.
        self.required = tuple(n for n, r in self.fields.items() if r.required or n == ".01")


class Dictionary:
    """Field rules taken from the store's :class:`Schema` (one reading of ``^DD``), cached per
    file in the shape the filer uses."""

    def __init__(self, store: GlobalStore, schema: Schema | None = None) -> None:
        self.store = store
        self.schema = schema if schema is not None else Schema(store)
        self._files: dict[str, FileRules] = {}

    def rules(self, file: str | float) -> FileRules:
        number = _fileno(file)
        cached = self._files.get(number)
        if cached is None:
            cached = self._read(number)
            self._files[number] = cached
        return cached

    def _read(self, number: str) -> FileRules:
        try:
            fdef = self.schema.file(number)
        except NoSuchFileError:
            raise FileManError("no data dictionary: ^DD(file,0) is missing", file=number) from None
        skipped: list[str] = []
        fields = {num: _rule(fd, skipped) for num, fd in fdef.fields.items()}
        if fdef.parent is not None:
            return FileRules(number, fdef.name, "", "", fields, fdef.parent, None, skipped)
        if fdef.global_root is None:
            raise FileManError('no global root: ^DIC(file,0,"GL") is missing', file=number)
        dic0 = self.store.get("DIC", (number, "0")) or ""
        spec = dic0.split("^")[1] if "^" in dic0 else number
        return FileRules(
            number, fdef.name, str(fdef.global_root), spec, fields, None, None, skipped
        )


def _rule(fd: FieldDef, skipped: list[str]) -> FieldRule:
    """What the filer needs of one field, taken from the schema's :class:`FieldDef`."""
    kind = fd.type.value
    storage = fd.storage
    xrefs: list[tuple[str, str]] = []
    for xref in fd.xrefs:
        if xref.kind:  # MUMPS, trigger...: M code, never run here
            skipped.append(f"{fd.number}:{xref.name}")
        else:
            xrefs.append((xref.file, xref.name))
    extras: dict[str, object] = {}
    if fd.type is FieldType.SET:
        extras["codes"] = dict(fd.codes)
    elif fd.type is FieldType.POINTER:
        extras["target_file"] = fd.pointer_file
        extras["target_root"] = "" if fd.pointer_root is None else str(fd.pointer_root)
    elif fd.type is FieldType.NUMERIC:
        extras["width"] = fd.spec.width
        extras["decimals"] = fd.spec.decimals or 0
    elif fd.type is FieldType.VARIABLE_POINTER:
        extras["vp_roots"] = {
            str(t.global_root).lstrip("^"): t.file
            for t in fd.vp_targets
            if t.global_root is not None
        }
    if fd.subfile is not None and fd.type in (FieldType.MULTIPLE, FieldType.WORD_PROCESSING):
        extras["subfile"] = fd.subfile
    return FieldRule(
        file=fd.file,
        number=fd.number,
        label=fd.label,
        kind=kind,
        required=fd.required,
        node="" if storage is None else storage.node,
        piece=None if storage is None or not storage.piece else storage.piece,
        extract=None if storage is None else storage.extract,
        spec=fd.spec.text,
        xrefs=tuple(xrefs),
        **extras,  # type: ignore[arg-type]
        **_limits(kind, fd.input_transform),  # type: ignore[arg-type]
    )


def _fileno(file: str | float) -> str:
    text = str(file)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FileManError("file number must be numeric", file=text) from None
    out = format(number.normalize(), "f")
    return out[1:] if out.startswith("0.") else out


def _limits(kind: str, transform: str) -> dict[str, object]:
    out: dict[str, object] = {}
    if kind == "F":
        hi, lo = _LEN_MAX.search(transform), _LEN_MIN.search(transform)
        out["max_len"] = int(hi.group(1)) if hi else 245
        out["min_len"] = int(lo.group(1)) if lo else 1
    elif kind == "N":
        hi, lo = _NUM_MAX.search(transform), _NUM_MIN.search(transform)
        out["max_value"] = Decimal(hi.group(1)) if hi else None
        out["min_value"] = Decimal(lo.group(1)) if lo else None
    return out


def take_piece(node: str, rule: FieldRule) -> str:
    """The field's value in its node ($PIECE or $EXTRACT, as FileMan reads it)."""
    if rule.extract is not None:
        return node[rule.extract[0] - 1 : rule.extract[1]].rstrip()
    if rule.piece is None:
        return node
    parts = node.split("^")
    return parts[rule.piece - 1] if rule.piece <= len(parts) else ""


def place_piece(node: str, rule: FieldRule, value: str) -> str:
    """The node with the field's value put in its piece or $E range."""
    if rule.extract is not None:
        lo, hi = rule.extract
        padded = node.ljust(lo - 1)
        return (padded[: lo - 1] + value[: hi - lo + 1] + padded[hi:]).rstrip()
    parts = node.split("^") if node else []
    piece = rule.piece or 1
    if len(parts) < piece:
        parts += [""] * (piece - len(parts))
    parts[piece - 1] = value
    return "^".join(parts)
