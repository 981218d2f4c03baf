"""Filing entries with FileMan's semantics, for the embedded store and the demo generator.

FileMan files data through its own routines (``FILE^DIE``, ``UPDATE^DIE``): each value is
validated against the field's data dictionary, stored at its node;piece, the file's traditional
cross-references are set, and the file header ``^ROOT(0)`` keeps the last IEN (piece 3) and the
entry count (piece 4).  This module does the same in Python for the stores we write ourselves
(memory, a fresh GT.M database): it reads the dictionary from ``^DD``/``^DIC`` in the store,
never runs M code from the dictionary (input transforms are read only for their length and range
limits), and maintains only *regular* cross-references (``^DD(file,field,1,n,0)="file^NAME"``);
MUMPS cross-references are reported in :attr:`FileRules.skipped_xrefs`.  Writing to a live VistA
goes through the broker (DDR FILER) instead, so VistA's own transforms and triggers run.

Values are internal FileMan values (codes, IENs, ``YYYMMDD.HHMMSS`` dates); ``date`` and
``datetime`` objects and numbers are converted.  Errors never echo the rejected value (it may be
patient data): they name file, entry and field, and say what was expected.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from globals_map.errors import FileManError
from globals_map.fileman.filer_rules import (
    Dictionary,
    FieldRule,
    FileRules,
    parse_root,
    place_piece,
    take_piece,
    to_fm_date,
)
from globals_map.store import GlobalStore
from parsers.canonical import is_canonical_number

Value = str | int | float | Decimal | date | datetime | None
#: A multiple's sub-entries: a list of field->value mappings; a WP field: a list of lines.
FieldValue = Value | Sequence["Mapping[str, FieldValue]"] | Sequence[str]

_FMDATE = re.compile(r"^(\d{3})(\d{2})(\d{2})(?:\.(\d{1,6}))?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FLUSH_EVERY = 20_000

__all__ = [
    "Dictionary",
    "FieldRule",
    "FieldValue",
    "FileRules",
    "Filer",
    "Value",
    "parse_root",
    "to_fm_date",
]


@functools.lru_cache(maxsize=65536)
def _fm_day_ok(day_part: str) -> bool:
    year, month, day = 1700 + int(day_part[:3]), int(day_part[3:5]), int(day_part[5:7])
    if month > 12 or (month == 0 and day != 0):
        return False
    return not (day and day > calendar.monthrange(year, month)[1])


def _fm_date_ok(text: str) -> bool:
    m = _FMDATE.match(text)
    if m is None or not _fm_day_ok(text[:7]):
        return False
    time = (m.group(4) or "").ljust(6, "0")
    hh, mm, ss = int(time[:2]), int(time[2:4]), int(time[4:])
    return hh <= 24 and mm <= 59 and ss <= 59 and (hh < 24 or mm == ss == 0)


def _canonical_fm_date(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _rejected(rule: FieldRule, ien: str, expected: str) -> FileManError:
    """The error for a value the field refuses (never quoting the value: it may be PHI)."""
    return FileManError(
        f"value rejected: expected {expected}", file=rule.file, ien=ien, field=rule.number
    )


class Filer:
    """Adds and edits entries the way FileMan does (validate, place, cross-reference, count).

    Use :meth:`batch` around bulk loads: writes are buffered and sent with ``set_many`` and
    the file headers are written once at the end.
    """

    def __init__(self, store: GlobalStore, *, today: date | None = None) -> None:
        self.store = store
        self.dd = Dictionary(store)
        self.today = today or date.today()
        self._buffer: list[tuple[str, tuple[str, ...], str]] | None = None
        self._headers: dict[str, list[str]] = {}
        self._known: dict[str, set[str]] = {}
        self._tops: dict[str, int] = {}

    # -- public API -----------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Buffer writes; flush them (and the file headers) when the block ends."""
        if self._buffer is not None:
            yield
            return
        self._buffer = []
        try:
            yield
        finally:
            self._flush()
            self._buffer = None
            self._write_headers()

    def add(
        self, file: str | float, values: Mapping[str, FieldValue], *, ien: int | str | None = None
    ) -> str:
        """File a new entry; returns its IEN.  ``ien`` forces one (FileMan's DINUM)."""
        rules = self.dd.rules(file)
        if rules.parent is not None:
            raise FileManError("entries of a subfile are added through their parent", file=file)
        name, subs = parse_root(rules.root)
        new = self._assign_ien(rules, name, subs, ien)
        self._check_required(rules, values, new)
        self._file_entry(rules, (name, (*subs, new)), values, new, top=(name, subs, new))
        header = self._header(rules, name, subs)
        header[2] = str(max(int(header[2] or 0), int(new)))
        header[3] = str(int(header[3] or 0) + 1)
        self._known.setdefault(rules.number, set()).add(new)
        if self._buffer is None:
            self._write_headers()
        return new

    def update(self, file: str | float, ien: str, values: Mapping[str, Value]) -> None:
        """Edit fields of an existing top-level entry, keeping its cross-references right."""
        rules = self.dd.rules(file)
        name, subs = parse_root(rules.root)
        if self.store.data(name, (*subs, ien)) == 0:
            raise FileManError("entry does not exist", file=rules.number, ien=ien)
        for number, raw in values.items():
            rule = self._rule(rules, number, ien)
            node_subs = (*subs, ien, rule.node)
            old_node = self.store.get(name, node_subs) or ""
            old = take_piece(old_node, rule)
            new = "" if raw is None or raw == "" else self._simple(rule, raw, ien)
            if rule.required and new == "":
                raise FileManError(
                    "a required field cannot be deleted", file=file, ien=ien, field=number
                )
            self._put(name, node_subs, place_piece(old_node, rule, new))
            for xfile, xname in rule.xrefs:
                if old:
                    self.store.kill(name, (*subs, xname, old[:30], ien))
                if new:
                    self._put(name, (*subs, xname, new[:30], ien), "")
                del xfile
        self._flush_if_unbuffered()

    # -- entry filing ---------------------------------------------------------------------
    def _file_entry(
        self,
        rules: FileRules,
        at: tuple[str, tuple[str, ...]],
        values: Mapping[str, FieldValue],
        ien: str,
        *,
        top: tuple[str, tuple[str, ...], str],
        parent_ien: str | None = None,
        mult_node: str | None = None,
    ) -> None:
        name, base = at
        pieces: dict[str, list[str]] = {}
        extracts: dict[str, str] = {}
        fields = rules.fields
        for number, raw in values.items():
            if raw is None or raw == "":
                continue
            rule = fields.get(number) or self._rule(rules, number, ien)
            kind = rule.kind
            if kind == "M":
                self._file_multiple(rule, (name, (*base, rule.node)), raw, top)
                continue
            if kind == "W":
                self._file_wp(rule, (name, (*base, rule.node)), raw, ien)
                continue
            value = self._simple(rule, raw, ien)  # type: ignore[arg-type]
            if rule.piece is not None:
                parts = pieces.setdefault(rule.node, [])
                if len(parts) < rule.piece:
                    parts.extend([""] * (rule.piece - len(parts)))
                parts[rule.piece - 1] = value
            else:
                extracts[rule.node] = place_piece(extracts.get(rule.node, ""), rule, value)
            if rule.xrefs:
                self._index(rules, rule, value, top, ien, parent_ien, mult_node)
        for node, parts in pieces.items():
            text = "^".join(parts)
            if node in extracts:  # a node holding both pieces and $E ranges: rare
                text = extracts.pop(node) if not text.strip("^") else text
            self._put(name, (*base, node), text)
        for node, text in extracts.items():
            self._put(name, (*base, node), text)

    def _file_multiple(
        self,
        rule: FieldRule,
        at: tuple[str, tuple[str, ...]],
        raw: FieldValue,
        top: tuple[str, tuple[str, ...], str],
    ) -> None:
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise FileManError(
                "a multiple takes a list of sub-entries", file=rule.file, field=rule.number
            )
        sub_rules = self.dd.rules(rule.subfile or "")
        name, base = at
        count = 0
        for count, item in enumerate(raw, start=1):
            if not isinstance(item, Mapping):
                raise FileManError(
                    "each sub-entry must be a mapping of fields", file=rule.file, field=rule.number
                )
            self._check_required(sub_rules, item, str(count))
            self._file_entry(
                sub_rules,
                (name, (*base, str(count))),
                item,
                str(count),
                top=top,
                parent_ien=top[2],
                mult_node=rule.node,
            )
        if count:
            self._put(name, (*base, "0"), f"^{rule.spec}^{count}^{count}")

    def _file_wp(
        self, rule: FieldRule, at: tuple[str, tuple[str, ...]], raw: FieldValue, ien: str
    ) -> None:
        lines = raw.splitlines() if isinstance(raw, str) else raw
        if not isinstance(lines, Sequence) or not all(isinstance(x, str) for x in lines):
            raise FileManError(
                "word processing takes text or a list of lines",
                file=rule.file,
                ien=ien,
                field=rule.number,
            )
        name, base = at
        n = len(lines)
        self._put(name, (*base, "0"), f"^^{n}^{n}^{to_fm_date(self.today)}^")
        for i, line in enumerate(lines, start=1):
            self._put(name, (*base, str(i), "0"), str(line))

    def _index(
        self,
        rules: FileRules,
        rule: FieldRule,
        value: str,
        top: tuple[str, tuple[str, ...], str],
        ien: str,
        parent_ien: str | None,
        mult_node: str | None,
    ) -> None:
        # Regular cross-references, as FileMan's generated set logic writes them (see
        # ^DD(file,field,1,n,1): S ^ROOT("NAME",$E(X,1,30),DA)="").
        name, top_subs, top_ien = top
        for xfile, xname in rule.xrefs:
            key = value[:30]
            if parent_ien is None:
                self._put(name, (*top_subs, xname, key, ien), "")
            elif xfile == rules.number:
                self._put(name, (*top_subs, top_ien, mult_node or "", xname, key, ien), "")
            else:
                self._put(name, (*top_subs, xname, key, top_ien, ien), "")

    # -- validation -----------------------------------------------------------------------
    def _rule(self, rules: FileRules, number: str, ien: str) -> FieldRule:
        rule = rules.fields.get(number)
        if rule is None:
            raise FileManError(
                "no such field in the data dictionary", file=rules.number, ien=ien, field=number
            )
        return rule

    def _check_required(self, rules: FileRules, values: Mapping[str, FieldValue], ien: str) -> None:
        for number in rules.required:
            if values.get(number) in (None, ""):
                raise FileManError(
                    "required field has no value", file=rules.number, ien=ien, field=number
                )

    def _simple(self, rule: FieldRule, raw: Value, ien: str) -> str:
        bad = functools.partial(_rejected, rule, ien)
        if rule.kind in {"C", "K"}:
            raise bad("no value (computed and MUMPS fields are not filed from input)")
        if type(raw) is str:
            text = raw
        elif isinstance(raw, datetime | date):
            text = to_fm_date(raw)
        elif isinstance(raw, bool):
            raise bad("a string or number, not a boolean")
        elif isinstance(raw, int | float | Decimal):
            text = (
                format(Decimal(str(raw)).normalize(), "f") if not isinstance(raw, int) else str(raw)
            )
        elif isinstance(raw, str):
            text = raw
        else:
            raise bad("a string, number or date")
        if "^" in text or _CONTROL.search(text):
            raise bad("text without '^' or control characters")
        kind = rule.kind
        if kind == "F":
            if not (rule.min_len or 1) <= len(text) <= (rule.max_len or 245):
                raise bad(f"{rule.min_len}-{rule.max_len} characters")
        elif kind == "N":
            text = self._numeric(rule, text, bad)
        elif kind == "D":
            text = _canonical_fm_date(text)
            if not _fm_date_ok(text):
                raise bad("a FileMan date YYYMMDD[.HHMMSS]")
        elif kind == "S":
            if text not in rule.codes:
                raise bad("one of the codes " + ",".join(rule.codes))
        elif kind == "P":
            if not text.isdigit() or text.startswith("0"):
                raise bad(f"the IEN of an entry of file {rule.target_file}")
            if not self._exists(rule.target_file or "", rule.target_root or "", text):
                raise bad(f"an existing entry of file {rule.target_file} (dangling pointer)")
        elif kind == "V":
            target, _, root = text.partition(";")
            vfile = rule.vp_roots.get(root)
            if vfile is None or not target.isdigit():
                raise bad("a variable pointer 'IEN;ROOT(' to one of " + ",".join(rule.vp_roots))
            if not self._exists(vfile, root, target):
                raise bad(f"an existing entry of file {vfile} (dangling pointer)")
        return text

    @staticmethod
    def _numeric(rule: FieldRule, text: str, err: Callable[[str], FileManError]) -> str:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise err(f"a number of at most {rule.width} characters") from None
        canonical = format(number.normalize(), "f")
        if "." in canonical:
            canonical = canonical.rstrip("0").rstrip(".")
        if canonical.startswith("0."):
            canonical = canonical[1:]
        elif canonical.startswith("-0."):
            canonical = "-" + canonical[2:]
        decimals = len(canonical.partition(".")[2])
        if rule.decimals is not None and decimals > rule.decimals:
            raise err(f"at most {rule.decimals} decimal digits")
        if rule.width is not None and len(canonical) > rule.width:
            raise err(f"at most {rule.width} characters")
        if (rule.max_value is not None and number > rule.max_value) or (
            rule.min_value is not None and number < rule.min_value
        ):
            raise err(f"a number from {rule.min_value} to {rule.max_value}")
        return canonical

    def _exists(self, file: str, root: str, ien: str) -> bool:
        known = self._known.setdefault(file, set())
        if ien in known:
            return True
        name, subs = parse_root(root)
        if self.store.data(name, (*subs, ien)) > 0:
            known.add(ien)
            return True
        return False

    # -- storage --------------------------------------------------------------------------
    def _assign_ien(
        self, rules: FileRules, name: str, subs: tuple[str, ...], ien: int | str | None
    ) -> str:
        if ien is not None:
            text = str(ien)
            if not text.isdigit() or text.startswith("0"):
                raise FileManError(
                    "a forced IEN must be a positive whole number", file=rules.number
                )
            if self._taken(rules, name, subs, int(text)):
                raise FileManError(
                    "an entry with this IEN already exists", file=rules.number, ien=text
                )
            return text
        header = self._header(rules, name, subs)
        candidate = int(header[2] or 0) + 1
        while self._taken(rules, name, subs, candidate):
            candidate += 1
        return str(candidate)

    def _taken(self, rules: FileRules, name: str, subs: tuple[str, ...], ien: int) -> bool:
        """Whether an IEN is in use: filed in this session, or present in the store.  IENs
        above the file's highest numeric subscript ($O(^ROOT(" "),-1), as VistA finds it)
        need no store call."""
        if str(ien) in self._known.get(rules.number, ()):
            return True
        top = self._tops.get(rules.number)
        if top is None:
            last = self.store.prev_subscript(name, subs, " ")
            top = int(Decimal(last)) if last is not None and is_canonical_number(last) else 0
            self._tops[rules.number] = top
        return ien <= top and self.store.data(name, (*subs, str(ien))) > 0

    def _header(self, rules: FileRules, name: str, subs: tuple[str, ...]) -> list[str]:
        header = self._headers.get(rules.number)
        if header is None:
            text = self.store.get(name, (*subs, "0")) or f"{rules.name}^{rules.spec}^^"
            header = [*text.split("^"), "", "", "", ""][:4]
            header[0] = header[0] or rules.name
            header[1] = header[1] or rules.spec
            self._headers[rules.number] = header
        return header

    def _write_headers(self) -> None:
        for number, header in self._headers.items():
            name, subs = parse_root(self.dd.rules(number).root)
            self.store.set(name, (*subs, "0"), "^".join(header))
        self._headers.clear()
        self._tops.clear()

    def _put(self, name: str, subs: tuple[str, ...], value: str) -> None:
        if self._buffer is None:
            self.store.set(name, subs, value)
            return
        self._buffer.append((name, subs, value))
        if len(self._buffer) >= FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self.store.set_many(self._buffer)
            self._buffer.clear()

    def _flush_if_unbuffered(self) -> None:
        if self._buffer is None:
            self._write_headers()
