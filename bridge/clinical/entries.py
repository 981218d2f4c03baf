"""Reading FileMan entries for clinical extraction: one bulk read per entry, fields by number.

The layout (node;piece of each field, set codes, global roots) comes from the data dictionary
in the store, through the FileMan filer's :class:`~globals_map.fileman.filer.Dictionary`, so the
same code reads the demo VistA and a real one.  Pointer targets' .01 values are cached per
reader (they are reference data: states, vital types, providers).

The hot path (a FHIR search decodes every patient it returns) reads the dictionary once per
file, not once per field: :class:`Layout` holds a file's rules and parsed global root, and a
:class:`DecodePlan` turns the fields a builder wants into (node, piece) steps, so an entry is
decoded by splitting each node once.  Pointer ``Ref`` and set-of-codes ``Coded`` values are
immutable, so one instance per target (or code) is shared.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bridge.clinical.models import Coded, Ref
from bridge.errors import NotFoundError
from globals_map.fileman.filer_rules import Dictionary, FileRules, parse_root, take_piece
from globals_map.store import GlobalStore
from parsers.errors import ParseError

_FILE_NAMES = {"2": "patient", "200": "provider", "44": "location"}


def fm_datetime(value: str | None) -> datetime | None:
    """A FileMan date/time as a datetime (None when empty or imprecise)."""
    if not value:
        return None
    day, _, time = value.partition(".")
    if len(day) != 7 or not day.isdigit():
        return None
    time = time.ljust(6, "0")
    try:
        hour = int(time[:2])
        stamp = datetime(
            1700 + int(day[:3]),
            int(day[3:5]),
            int(day[5:7]),
            min(hour, 23),
            int(time[2:4]),
            int(time[4:6]),
        )
    except ValueError:
        return None
    return stamp


def fm_date(value: str | None) -> date | None:
    """A FileMan date (time ignored) as a date; None when empty or imprecise (month/day 00)."""
    if not value:
        return None
    day = value.partition(".")[0]
    if len(day) != 7 or not day.isdigit():
        return None
    try:
        return date(1700 + int(day[:3]), int(day[3:5]), int(day[5:7]))
    except ValueError:
        return None


class Entry:
    """One entry's nodes, with field access by field number (internal values)."""

    __slots__ = ("file", "ien", "nodes", "rules")

    def __init__(self, rules: FileRules, ien: str, nodes: dict[str, str]) -> None:
        self.rules = rules
        self.file = rules.number
        self.ien = ien
        self.nodes = nodes

    def opt(self, number: str) -> str | None:
        """The field's internal value, or None when empty (or the field is unknown here)."""
        rule = self.rules.fields.get(number)
        if rule is None:
            return None
        value = take_piece(self.nodes.get(rule.node, ""), rule)
        return value or None

    def get(self, number: str) -> str:
        """The field's internal value, or "" when empty."""
        return self.opt(number) or ""


@dataclass(frozen=True, slots=True)
class Layout:
    """A top-level file's rules and its global root, parsed once (``^DPT(`` -> DPT, ())."""

    rules: FileRules
    name: str
    subs: tuple[str, ...]


class DecodePlan:
    """The fields one builder reads from a file, as per-node steps made once.

    ``values(entry)`` gives each field's internal value (None when empty), exactly what
    :meth:`Entry.opt` gives field by field, but each node is looked up and split on "^" once
    for all the fields it holds."""

    __slots__ = ("extracts", "pieces", "rules", "size", "wholes")

    def __init__(self, rules: FileRules, numbers: Sequence[str]) -> None:
        self.rules = rules
        self.size = len(numbers)
        pieces: dict[str, list[tuple[int, int]]] = {}
        #: (node, [(slot, piece index)], how many pieces the split must have)
        self.pieces: tuple[tuple[str, tuple[tuple[int, int], ...], int], ...]
        self.extracts: tuple[tuple[int, str, int, int], ...]  # slot, node, $E from, to
        self.wholes: tuple[tuple[int, str], ...]  # slot, node (a field that is the node)
        extracts: list[tuple[int, str, int, int]] = []
        wholes: list[tuple[int, str]] = []
        for slot, number in enumerate(numbers):
            rule = rules.fields.get(number)
            if rule is None:
                continue  # a field this dictionary lacks: always None
            if rule.extract is not None:
                extracts.append((slot, rule.node, *rule.extract))
            elif rule.piece is None:
                wholes.append((slot, rule.node))
            else:
                pieces.setdefault(rule.node, []).append((slot, rule.piece - 1))
        self.pieces = tuple(
            (node, tuple(steps), max(p for _, p in steps) + 1) for node, steps in pieces.items()
        )
        self.extracts = tuple(extracts)
        self.wholes = tuple(wholes)

    def values(self, entry: Entry) -> list[str | None]:
        nodes = entry.nodes
        out: list[str | None] = [None] * self.size
        for node, steps, width in self.pieces:
            raw = nodes.get(node)
            if not raw:
                continue
            parts = raw.split("^")
            if len(parts) < width:
                parts += [""] * (width - len(parts))
            for slot, piece in steps:
                out[slot] = parts[piece] or None
        for slot, node, lo, hi in self.extracts:
            out[slot] = nodes.get(node, "")[lo - 1 : hi].rstrip() or None
        for slot, node in self.wholes:
            out[slot] = nodes.get(node) or None
        return out


class EntryReader:
    """Entries, indexes and pointer names of top-level files, by file number."""

    def __init__(self, store: GlobalStore) -> None:
        self.store = store
        self.dd = Dictionary(store)
        self._names: dict[tuple[str, str], str | None] = {}
        self._fields: dict[tuple[str, str, str, int], str | None] = {}
        self._refs: dict[tuple[str, str], Ref] = {}
        self._codes: dict[tuple[str, str, str], Coded] = {}
        self._layouts: dict[str, Layout] = {}
        self._plans: dict[tuple[str, tuple[str, ...]], DecodePlan] = {}

    def layout(self, file: str) -> Layout:
        """The file's rules and parsed root, read from the dictionary on first use only."""
        found = self._layouts.get(file)
        if found is None:
            rules = self.dd.rules(file)
            name, subs = parse_root(rules.root)
            found = self._layouts[file] = Layout(rules, name, subs)
        return found

    def plan(self, file: str, numbers: tuple[str, ...]) -> DecodePlan:
        """The decode plan of ``numbers`` in ``file``, made once per file and field list."""
        key = (file, numbers)
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = DecodePlan(self.layout(file).rules, numbers)
        return found

    def _root(self, file: str) -> tuple[str, tuple[str, ...]]:
        lay = self.layout(file)
        return lay.name, lay.subs

    def exists(self, file: str, ien: str) -> bool:
        name, subs = self._root(file)
        return self.store.data(name, (*subs, ien)) > 0

    def count(self, file: str) -> int:
        name, subs = self._root(file)
        header = (self.store.get(name, (*subs, "0")) or "").split("^")
        return int(header[3]) if len(header) > 3 and header[3].isdigit() else 0

    def maybe_entry(self, file: str, ien: str) -> Entry | None:
        lay = self.layout(file)
        depth = len(lay.subs) + 2
        nodes = {
            s[depth - 1]: v
            for s, v in self.store.read_subtree(lay.name, (*lay.subs, ien))
            if len(s) == depth
        }
        return Entry(lay.rules, ien, nodes) if nodes else None

    def entry(self, file: str, ien: str) -> Entry:
        found = self.maybe_entry(file, ien)
        if found is None:
            what = _FILE_NAMES.get(file, f"entry of file {file}")
            raise NotFoundError(f"{what} {ien} does not exist", file=file, ien=ien)
        return found

    def iens(self, file: str, after: str | None = None) -> Iterator[str]:
        """IENs of the file in numeric order (from ``after``, exclusive)."""
        name, subs = self._root(file)
        cur = after
        while True:
            cur = self.store.next_subscript(name, subs, cur)
            if cur is None or not cur.replace(".", "").isdigit():
                return
            if cur != "0":
                yield cur

    def index_exact(self, file: str, index: str, value: str) -> list[str]:
        name, subs = self._root(file)
        out: list[str] = []
        cur: str | None = None
        while (cur := self.store.next_subscript(name, (*subs, index, value[:30]), cur)) is not None:
            out.append(cur)
        return out

    def index_prefix(self, file: str, index: str, prefix: str) -> list[str]:
        """IENs whose index value starts with ``prefix`` (the "B" index walk of ^DIC)."""
        name, subs = self._root(file)
        out: list[str] = []
        key: str | None = None
        first = prefix[:30]
        # $ORDER from just before the prefix: start at the prefix itself when present.
        if self.store.data(name, (*subs, index, first)):
            out.extend(self.index_exact(file, index, first))
        key = first
        while (key := self.store.next_subscript(name, (*subs, index), key)) is not None:
            if not key.startswith(first):
                break
            out.extend(self.index_exact(file, index, key))
        return out

    def multiple_values(self, file: str, ien: str, field: str) -> list[str]:
        """The .01 values of a multiple's sub-entries, in sub-entry order."""
        lay = self.layout(file)
        rule = lay.rules.fields.get(field)
        if rule is None:
            return []
        name, subs = lay.name, lay.subs
        base = (*subs, ien, rule.node)
        out: list[str] = []
        for s, v in self.store.read_subtree(name, base):
            if len(s) == len(base) + 2 and s[-1] == "0" and s[-2] != "0":
                out.append(v.split("^")[0])
        return out

    # -- pointers, codes --------------------------------------------------------------------
    def field_of(self, file: str, ien: str | None, node: str, piece: int) -> str | None:
        if not ien:
            return None
        name, subs = self._root(file)
        parts = (self.store.get(name, (*subs, ien, node)) or "").split("^")
        value = parts[piece - 1] if len(parts) >= piece else ""
        return value or None

    def ref_field_of(self, file: str, ien: str | None, node: str, piece: int) -> str | None:
        """:meth:`field_of` of reference data (a STATE's abbreviation, a vital type's),
        cached per reader like the pointer names."""
        if not ien:
            return None
        key = (file, ien, node, piece)
        try:
            return self._fields[key]
        except KeyError:
            found = self._fields[key] = self.field_of(file, ien, node, piece)
            return found

    def name_of(self, file: str, ien: str | None) -> str | None:
        if not ien:
            return None
        key = (file, ien)
        try:
            return self._names[key]
        except KeyError:
            found = self._names[key] = self.field_of(file, ien, "0", 1)
            return found

    def ref(self, file: str, ien: str | None) -> Ref | None:
        """The pointer as a Ref to the target's .01; one shared (frozen) instance per target."""
        if not ien:
            return None
        key = (file, ien)
        found = self._refs.get(key)
        if found is None:
            found = Ref.model_construct(file=file, ien=ien, name=self.name_of(file, ien))
            self._refs[key] = found
        return found

    def variable_ref(self, value: str | None) -> Ref | None:
        """A variable pointer ``IEN;ROOT(`` resolved to its file through ^DIC(...,"GL")."""
        if not value or ";" not in value:
            return None
        ien, _, root = value.partition(";")
        try:
            _name, subs = parse_root(root)
        except ParseError:  # data that names no valid root: unresolved, never an error page
            return Ref(file="", ien=ien, name=None)
        file: str | None = None
        if subs and self.store.get("DIC", (subs[0], "0", "GL")) == "^" + root:
            file = subs[0]
        else:
            file = self._file_of_root("^" + root)
        if file is None:
            return Ref(file="", ien=ien, name=None)
        return Ref(file=file, ien=ien, name=self.name_of(file, ien))

    def _file_of_root(self, root: str) -> str | None:
        cur: str | None = None
        while (cur := self.store.next_subscript("DIC", (), cur)) is not None:
            if self.store.get("DIC", (cur, "0", "GL")) == root:
                return cur
        return None

    def coded(self, file: str, field: str, code: str | None) -> Coded | None:
        """The set-of-codes value with its label; one shared (frozen) instance per code."""
        if not code:
            return None
        key = (file, field, code)
        found = self._codes.get(key)
        if found is None:
            rule = self.layout(file).rules.fields.get(field)
            label = rule.codes.get(code, code) if rule is not None else code
            found = self._codes[key] = Coded.model_construct(code=code, label=label)
        return found
