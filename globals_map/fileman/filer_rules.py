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
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from globals_map.errors import FileManError
from globals_map.store import GlobalStore

_SUBFILE_SPEC = re.compile(r"^(\d*\.?\d+)")
_POINTER = re.compile(r"P(\d*\.?\d+)")
_NUMERIC = re.compile(r"J(\d+)(?:,(\d+))?")
_LEN_MAX = re.compile(r"\$L\(X\)>(\d+)")
_LEN_MIN = re.compile(r"\$L\(X\)<(\d+)")
_NUM_MAX = re.compile(r"X>(-?\d*\.?\d+)")
_NUM_MIN = re.compile(r"X<(-?\d*\.?\d+)")


def parse_root(root: str) -> tuple[str, tuple[str, ...]]:
    """``^GMR(120.5,`` -> ("GMR", ("120.5",)); ``^DPT(`` -> ("DPT", ())."""
    text = root[1:] if root.startswith("^") else root
    name, _, rest = text.partition("(")
    subs = tuple(s.strip('"') for s in rest.rstrip(",").split(",") if s) if rest else ()
    return name, subs


def to_fm_date(value: date | datetime) -> str:
    """A Python date/datetime as a FileMan internal date (year - 1700, canonical time)."""
    fm = f"{value.year - 1700:03d}{value.month:02d}{value.day:02d}"
    if isinstance(value, datetime):
        time = f"{value.hour:02d}{value.minute:02d}{value.second:02d}".rstrip("0")
        if time:
            fm += "." + time
    return fm


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
    """Field rules read lazily from ``^DD`` and ``^DIC`` of a store, cached per file."""

    def __init__(self, store: GlobalStore) -> None:
        self.store = store
        self._files: dict[str, FileRules] = {}

    def rules(self, file: str | float) -> FileRules:
        number = _fileno(file)
        cached = self._files.get(number)
        if cached is None:
            cached = self._read(number)
            self._files[number] = cached
        return cached

    def _read(self, number: str) -> FileRules:
        header = self.store.get("DD", (number, "0"))
        if header is None:
            raise FileManError("no data dictionary: ^DD(file,0) is missing", file=number)
        parent = self.store.get("DD", (number, "0", "UP"))
        name = self.store.get("DD", (number, "0", "NM")) or ""
        for subs, _ in self.store.read_subtree("DD", (number, "0", "NM"), limit=1):
            name = subs[-1]
        fields: dict[str, FieldRule] = {}
        skipped: list[str] = []
        for subs, value in self.store.read_subtree("DD", (number,)):
            if len(subs) == 3 and subs[2] == "0" and subs[1] != "0":
                fields[subs[1]] = self._field(number, subs[1], value, skipped)
        if parent is not None:
            return FileRules(number, name, "", "", fields, parent, None, skipped)
        dic0 = self.store.get("DIC", (number, "0")) or ""
        root = self.store.get("DIC", (number, "0", "GL"))
        if root is None:
            raise FileManError('no global root: ^DIC(file,0,"GL") is missing', file=number)
        spec = dic0.split("^")[1] if "^" in dic0 else number
        return FileRules(
            number, name or dic0.split("^")[0], root, spec, fields, None, None, skipped
        )

    def _field(self, file: str, number: str, zero: str, skipped: list[str]) -> FieldRule:
        pieces = zero.split("^")
        pieces += [""] * (5 - len(pieces))
        label, spec, third, location = pieces[0], pieces[1], pieces[2], pieces[3]
        transform = "^".join(pieces[4:])
        node, _, where = location.partition(";")
        piece: int | None = None
        extract: tuple[int, int] | None = None
        if where.startswith("E"):
            lo, _, hi = where[1:].partition(",")
            extract = (int(lo), int(hi))
        elif where.isdigit() and where != "0":
            piece = int(where)
        kind, extras = _kind(self.store, spec, third)
        xrefs: list[tuple[str, str]] = []
        for subs, value in self.store.read_subtree("DD", (file, number, "1")):
            if len(subs) == 5 and subs[4] == "0" and subs[3] != "0":
                xf, _, rest = value.partition("^")
                xname, _, xtype = rest.partition("^")
                if xtype:
                    skipped.append(f"{number}:{xname}")
                else:
                    xrefs.append((xf, xname))
        vp_roots: dict[str, str] = {}
        if kind == "V":
            for subs, value in self.store.read_subtree("DD", (file, number, "V")):
                if len(subs) == 5 and subs[4] == "0":
                    vp = value.split("^")
                    vp_roots[self._root_of(vp[0])] = vp[0]
        return FieldRule(
            file=file,
            number=number,
            label=label,
            kind=kind,
            required="R" in spec.lstrip("0123456789."),
            node=node,
            piece=piece,
            extract=extract,
            spec=spec,
            xrefs=tuple(xrefs),
            vp_roots=vp_roots,
            **extras,  # type: ignore[arg-type]
            **_limits(kind, transform),  # type: ignore[arg-type]
        )

    def _root_of(self, file: str) -> str:
        root = self.store.get("DIC", (file, "0", "GL"))
        return (root or "").lstrip("^")


def _fileno(file: str | float) -> str:
    text = str(file)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FileManError("file number must be numeric", file=text) from None
    out = format(number.normalize(), "f")
    return out[1:] if out.startswith("0.") else out


def _kind(store: GlobalStore, spec: str, third: str) -> tuple[str, dict[str, object]]:
    sub = _SUBFILE_SPEC.match(spec)
    if sub is not None:
        subfile = sub.group(1)
        sub01 = store.get("DD", (subfile, ".01", "0")) or ""
        sub_spec = sub01.split("^")[1] if "^" in sub01 else ""
        kind = "W" if "W" in sub_spec else "M"
        return kind, {"subfile": subfile}
    pointer = _POINTER.search(spec)
    if pointer is not None:
        return "P", {"target_file": pointer.group(1), "target_root": third}
    for letter in "VCSDNFWK":
        if letter in spec:
            if letter == "S":
                codes = dict(c.split(":", 1) for c in third.split(";") if ":" in c)
                return "S", {"codes": codes}
            if letter == "N":
                m = _NUMERIC.search(spec)
                width = int(m.group(1)) if m else None
                dec = int(m.group(2)) if m and m.group(2) else 0
                return "N", {"width": width, "decimals": dec}
            return letter, {}
    return "F", {}


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
