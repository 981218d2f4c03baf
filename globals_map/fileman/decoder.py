"""Decode FileMan entries the way FileMan shows them, from one bulk read per entry.

:meth:`Decoder.decode` reads the entry's whole subtree with one ``read_subtree`` call and turns
every field into a :class:`FieldValue` with FileMan's internal and external forms (GETS^DIQ
flags ``I`` and ``E``): set codes become their labels, pointers the target's .01 (cached),
variable pointers (``ien;GLOBAL(``) the target's .01, dates FMTE^DILIBF's text (and ISO in
``value``), multiples nested records, word processing its lines.  Computed fields are marked
not evaluated: no M code runs.  A value that does not fit its field gets a per-field
:class:`FieldValueError` (file, IEN, field) and the rest of the entry still decodes; with
``strict=True`` the first such error is raised instead.

Speed: each file gets a plan once (its fields, and the fields that can be wrong grouped by
node).  Decoding an entry splits each such node once and checks each value with one dict
lookup when it is already known good (a set code, a converted date, a resolved pointer);
pointer externals are read and kept at decode time, so :attr:`Record.errors` is known at once.
The :class:`FieldValue` objects themselves are built when asked for (``record[n]``,
``record.values``): most callers read a few fields.  Strict mode builds every field at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from globals_map.fileman.errors import (
    DictionaryError,
    FieldValueError,
    FileManError,
    NoSuchEntryError,
    NoSuchFileError,
)
from globals_map.fileman.external import NUMBER, ExternalFormatter, Formatted
from globals_map.fileman.records import FieldValue, Record
from globals_map.fileman.schema import FieldDef, FileDef, Schema, file_number
from globals_map.fileman.steps import (
    K_COMPUTED,
    K_DATE,
    K_MULTIPLE,
    K_NOSTORE,
    K_NUMBER,
    K_NUMERIC,
    K_PLAIN,
    K_POINTER,
    K_SET,
    K_VPOINTER,
    K_WP,
    Step,
    compile_step,
    is_entry_key,
)
from globals_map.store import NodeItem
from parsers.canonical import is_canonical_number

__all__ = ["Decoder", "entry_location", "parse_iens"]

Items = list[tuple[tuple[str, ...], str]]
#: A subscript that sorts after every subscript a FileMan entry node uses under one IEN
#: (resume point "after this whole entry" for bulk reads).
AFTER_ALL_TEXT = "\U0010ffff"
#: field selections remembered per decoder (None = every field, plus the lists callers pass)
_PLAN_CACHE_MAX = 256
#: pieces beyond this are checked the slow way (a short node is padded up to the pieces its
#: quick checks read; a malformed ^DD could name any piece)
_MAX_PAD = 250


def parse_iens(iens: str | int) -> list[str]:
    """FileMan IENS (``"2,3,"``: subentry 2 of entry 3) into IENs, lowest level first."""
    text = str(iens)
    parts = [p for p in text.split(",")]
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or any(not is_canonical_number(p) or p.startswith("-") or p == "0" for p in parts):
        raise FileManError(f"not an IENS of positive entry numbers: {text!r}")
    return parts


def entry_location(schema: Schema, file: str, iens: str | int) -> tuple[str, tuple[str, ...]]:
    """The global name and subscripts of an entry (top-level file or subfile)."""
    chain: list[FileDef] = []
    cur = schema.file(file)
    while True:
        chain.append(cur)
        if cur.parent is None:
            break
        if len(chain) > 20:
            raise DictionaryError("subfile chain too deep or looping", file=file)
        cur = schema.file(cur.parent)
    iens_list = parse_iens(iens)
    if len(iens_list) != len(chain):
        raise FileManError(
            f"IENS has {len(iens_list)} level(s), file needs {len(chain)}", file=file
        )
    top = chain[-1]
    if top.global_root is None:
        raise DictionaryError('file has no global root (^DIC(file,0,"GL"))', file=top.number)
    subs = [*top.global_root.subscripts, iens_list[-1]]
    for level in range(len(chain) - 2, -1, -1):
        sub = chain[level]
        parent = chain[level + 1]
        pf = sub.parent_field
        fdef = parent.fields.get(pf) if pf else None
        if fdef is None or fdef.storage is None:
            raise DictionaryError("subfile is not held by a field of its parent", file=sub.number)
        subs += [fdef.storage.node, iens_list[level]]
    return top.global_root.name, tuple(subs)


class Decoder:
    """Decodes entries of any file the schema knows.  Pointer externals are cached per
    (file, IEN); call :meth:`clear_cache` after writes."""

    def __init__(self, schema: Schema, *, strict: bool = False) -> None:
        self.schema = schema
        self.strict = strict
        self.formatter = ExternalFormatter(schema)
        self._plans: dict[tuple[str, int, tuple[str, ...] | None], _Plan] = {}
        self._building: set[str] = set()  # subfiles whose plan is being compiled
        self._roots: dict[str, tuple[str, tuple[str, ...], FileDef]] = {}

    # ---- public API --------------------------------------------------------------
    def exists(self, file: str | float, iens: str | int) -> bool:
        """True when the entry has any node ($DATA of the entry is not 0)."""
        name, subs = entry_location(self.schema, file_number(file), iens)
        return self.schema.store.data(name, subs) != 0

    def decode(
        self,
        file: str | float,
        iens: str | int,
        fields: Sequence[str] | None = None,
        *,
        multiples: bool = True,
    ) -> Record:
        """Decode one entry with one bulk read.

        ``fields`` limits the fields (numbers, in the order given); None means every field.
        ``multiples=False`` skips multiples (GETS^DIQ's ``*`` as opposed to ``**``).
        Raises :class:`NoSuchEntryError` (601) when the entry does not exist and
        :class:`NoSuchFileError` when the file has no dictionary.
        """
        fnum = file if isinstance(file, str) and file in self._roots else file_number(file)
        root = self._roots.get(fnum)
        text = str(iens)
        if text.endswith(",") and text.count(",") == 1:
            text = text[:-1]
        if root is not None and text.isdigit() and text[0] != "0":
            name, subs, fdef = root[0], (*root[1], text), root[2]  # top-level: root + IEN
        else:
            name, subs = entry_location(self.schema, fnum, iens)
            fdef = self.schema.file(fnum)
            if fdef.parent is None and fdef.global_root is not None:
                self._roots[fnum] = (fdef.global_root.name, fdef.global_root.subscripts, fdef)
        nodes = self.schema.store.read_subtree(name, subs)
        if not nodes:
            raise NoSuchEntryError("The entry does not exist.", file=fnum, ien=str(iens))
        full = str(iens)
        return self._decode_items(
            fdef, full if full.endswith(",") else full + ",", nodes, fields, multiples, len(subs)
        )

    def decode_nodes(
        self,
        file: str,
        iens: str | int,
        nodes: Iterable[NodeItem],
        *,
        base: int,
        fields: Sequence[str] | None = None,
        multiples: bool = True,
    ) -> Record:
        """Decode an entry from nodes the caller already read (``base`` = the number of
        subscripts of the entry node itself), e.g. from a bulk read over many entries."""
        text = str(iens)
        iens_text = text if text.endswith(",") else text + ","
        items = [item for item in nodes if len(item[0]) > base]  # below the entry node only
        return self._decode_items(self.schema.file(file), iens_text, items, fields, multiples, base)

    def external(self, file: str | float, field: str | float, internal: str) -> str:
        """FileMan's external form of one internal value ($$EXTERNAL^DILFD); raises
        :class:`FieldValueError` when the value does not fit the field."""
        fdef = self.schema.field(file_number(file), file_number(field))
        return self.formatter.external(fdef, internal, ien=None)[0]

    def clear_cache(self) -> None:
        self.formatter.clear_cache()

    def iter_file(
        self,
        file: str | float,
        *,
        after: str | None = None,
        chunk: int = 5000,
        fields: Sequence[str] | None = None,
        multiples: bool = True,
    ) -> Iterator[Record]:
        """Every entry of a top-level file in IEN order (after ``after``), read with bulk
        reads of ``chunk`` nodes over the whole file rather than one read per entry: the
        fast path for exports and listings.  Index nodes (string subscripts) end the walk."""
        if chunk < 1:
            raise FileManError("chunk must be >= 1", file=str(file))
        fnum = file_number(file)
        fdef = self.schema.file(fnum)
        if fdef.parent is not None or fdef.global_root is None:
            raise FileManError("iter_file walks top-level files only", file=fnum)
        name, root = fdef.global_root.name, fdef.global_root.subscripts
        base = len(root) + 1
        at = base - 1  # where the IEN sits in a node's subscripts
        store = self.schema.store
        resume: tuple[str, ...] | None = (*root, after, AFTER_ALL_TEXT) if after else None
        if after is None:
            resume = (*root, "0", AFTER_ALL_TEXT)  # skip the header node ^ROOT(0)
        pending: Items = []  # the nodes of ``current`` read so far
        current: str | None = None
        while True:
            nodes = store.read_subtree(name, root, after=resume, limit=chunk)
            start = 0  # where ``current`` begins in this chunk
            for i, (subs, _value) in enumerate(nodes):
                ien = subs[at]
                if ien == current:
                    continue
                if current is not None:
                    pending += nodes[start:i]
                    yield self._decode_items(fdef, current + ",", pending, fields, multiples, base)
                    pending, current = [], None
                if not is_entry_key(ien):
                    return  # past the entries: indexes and other string subscripts
                current, start = ien, i
            if current is not None:
                pending += nodes[start:]
            if len(nodes) < chunk:
                break
            resume = nodes[-1][0]
        if pending and current is not None:
            yield self._decode_items(fdef, current + ",", pending, fields, multiples, base)

    # ---- decoding ----------------------------------------------------------------
    def _plan(self, fdef: FileDef, fields: Sequence[str] | None) -> _Plan:
        """The compiled plan for a file's fields (cached per file and field selection)."""
        key = (fdef.number, id(fdef), None if fields is None else tuple(fields))
        plan = self._plans.get(key)
        if plan is None:
            if fields is None:
                steps = [compile_step(f) for f in fdef.fields.values()]
            else:
                steps = [compile_step(fdef.field(f)) for f in fields]
            if len(self._plans) >= _PLAN_CACHE_MAX:
                self._plans.clear()
            plan = _Plan(fdef, steps, self.formatter, self._multiple_may_fail)
            self._plans[key] = plan
        return plan

    def _multiple_may_fail(self, fld: FieldDef) -> bool:
        """True when a multiple's subentries can hold a field error (or the multiple itself
        is malformed): those are decoded when the entry is; the rest only when asked for."""
        if fld.subfile is None or fld.storage is None:
            return True
        if fld.subfile in self._building:
            return True  # a subfile that contains itself: let the decode itself decide
        try:
            sub = self.schema.file(fld.subfile)
        except NoSuchFileError:
            return True
        self._building.add(fld.subfile)
        try:
            return self._plan(sub, None).may_fail
        finally:
            self._building.discard(fld.subfile)

    def _decode_items(
        self,
        fdef: FileDef,
        iens: str,
        items: Items,
        fields: Sequence[str] | None,
        multiples: bool,
        base: int = 0,
    ) -> Record:
        """Decode one entry from its nodes; ``items`` hold subscripts from ``base`` on.

        Strict mode builds every field at once (the first error raises, in field order);
        otherwise every field is checked now and its :class:`FieldValue` built on demand."""
        ien = iens[: iens.find(",")]
        entry = _Entry(self, self._plan(fdef, fields), ien, iens, items, base, multiples)
        if self.strict:
            return Record(fdef.number, ien, iens, entry.materialize())
        entry.check()
        return Record(fdef.number, ien, iens, lazy=entry)

    def _fail(self, fv: FieldValue, message: str, iens: str) -> None:
        err = FieldValueError(message, file=fv.file, ien=iens, field=fv.field)
        if self.strict:
            raise err
        fv.error = err

    def _unstored(self, fld: FieldDef, kind: int, ien: str, iens: str) -> FieldValue:
        fv = FieldValue(fld.file, fld.number, fld.label, fld.type)
        if kind == K_COMPUTED:
            fv.evaluated = False
        elif kind == K_NUMBER:  # NUMBER: the IEN itself (DIQG: I DIQGDRN=.001 S Y=DA)
            fv.internal = fv.external = ien
            fv.value = int(ien) if ien.isdigit() else Decimal(ien)
        else:
            self._fail(fv, "field has no storage in the dictionary", iens)
        return fv

    def _formatted(self, fld: FieldDef, internal: str, iens: str) -> FieldValue:
        """The general path: EXTERNAL^DIDU's rules through the formatter (fills its caches)."""
        try:
            formatted = self.formatter.external(fld, internal, ien=iens)
        except FieldValueError as exc:
            fv = FieldValue(fld.file, fld.number, fld.label, fld.type, internal)
            err = FieldValueError(
                exc.message, file=fld.file, ien=iens, field=fld.number, code=exc.code
            )
            if self.strict:
                raise err from None
            fv.error = err
            return fv
        return _from_formatted(fld, internal, formatted)

    def _word_processing(self, fld: FieldDef, deep: dict[str, Items]) -> FieldValue:
        fv = FieldValue(fld.file, fld.number, fld.label, fld.type, lines=[])
        assert fv.lines is not None
        node = fld.storage.node if fld.storage else None
        for rel, value in deep.get(node, ()) if node is not None else ():
            if len(rel) == 2 and rel[1] == "0" and rel[0] != "0" and is_entry_key(rel[0]):
                fv.lines.append(value)
        return fv

    def _multiple(self, fld: FieldDef, iens: str, deep: dict[str, Items]) -> FieldValue:
        fv = FieldValue(fld.file, fld.number, fld.label, fld.type, records=[])
        assert fv.records is not None
        if fld.subfile is None or fld.storage is None:
            self._fail(fv, "multiple without a subfile or storage", iens)
            return fv
        try:
            sub = self.schema.file(fld.subfile)
        except NoSuchFileError:
            self._fail(fv, f"subfile {fld.subfile} has no dictionary", iens)
            return fv
        groups: dict[str, Items] = {}
        order: list[str] = []
        for rel, value in deep.get(fld.storage.node, ()):
            key = rel[0]
            if not is_entry_key(key):
                continue  # the subfile header and its cross-references
            grp = groups.get(key)
            if grp is None:
                groups[key] = grp = []
                order.append(key)
            grp.append((rel[1:], value))
        for key in order:
            fv.records.append(self._decode_items(sub, f"{key},{iens}", groups[key], None, True))
        return fv


def _from_formatted(fld: FieldDef, internal: str, formatted: Formatted) -> FieldValue:
    ext, value, exact, target = formatted
    fv = FieldValue(fld.file, fld.number, fld.label, fld.type, internal, ext, value)
    fv.exact = exact
    if target is not None:
        fv.target_file, fv.target_ien = target
    return fv


#: The checks of one node (fields stored in its pieces), in two groups.  Values known good
#: when a dict holds them (set codes; the formatter's caches of dates, of a pointed-to file's
#: entries, of a variable pointer's values) as (piece, dict, step index, keep: the hit is
#: what the pointer showed at decode time); the rest (numbers, extracts, fields with output
#: transforms) as (piece, extract, step index, kind).  A node with fewer pieces than the
#: checks read is padded with empty pieces first (:data:`_PAD`).
NodeChecks = tuple[
    list[tuple[int, "Mapping[str, object]", int, bool]],
    list[tuple[int, "tuple[int, int] | None", int, int]],
]


class _Plan:
    """How to decode one file's entries, decided once: the steps in field order, and the
    fields whose value can be wrong grouped by node, so an entry's check splits each node
    once and skips free text (which is never wrong)."""

    __slots__ = ("always", "checks", "fdef", "index", "may_fail", "multiples", "pieces", "steps")

    checks: dict[str, NodeChecks]

    def __init__(
        self,
        fdef: FileDef,
        steps: list[Step],
        formatter: ExternalFormatter,
        multiple_may_fail: Callable[[FieldDef], bool],
    ) -> None:
        self.fdef = fdef
        self.steps = steps
        self.index = {step[8]: i for i, step in enumerate(steps)}
        by_node: dict[str, NodeChecks] = {}
        self.always: list[int] = []  # fields that fail whatever the data (no storage)
        self.multiples: list[int] = []  # multiples whose subentries can fail
        for i, (fld, kind, node, piece, extract, codes, target, *_rest) in enumerate(steps):
            if kind == K_MULTIPLE:
                if multiple_may_fail(fld):
                    self.multiples.append(i)
                continue
            if kind == K_NOSTORE:
                self.always.append(i)
                continue
            if kind >= K_COMPUTED or kind == K_PLAIN:
                continue  # never wrong: computed, .001, word processing, free text
            checks = by_node.get(node)
            if checks is None:
                checks = by_node[node] = ([], [])
            quick = extract is None and piece < _MAX_PAD
            if quick and kind == K_SET and codes is not None:
                checks[0].append((piece, codes, i, False))
            elif quick and kind == K_DATE:
                checks[0].append((piece, formatter.date_cache, i, False))
            elif quick and kind == K_POINTER and target is not None:
                checks[0].append((piece, formatter.pointer_cache(target), i, True))
            elif quick and kind == K_VPOINTER:
                checks[0].append((piece, formatter.vp_cache(fld), i, True))
            else:
                checks[1].append((piece, extract, i, kind))
        self.checks = by_node
        #: per node: how many pieces its checks read
        self.pieces = {
            node: 1 + max([c[0] for c in known] + [0]) for node, (known, _) in by_node.items()
        }
        self.may_fail = bool(self.checks or self.always or self.multiples)


class _Entry:
    """One decoded entry: its nodes, the pointer externals read when it was decoded, and
    the :class:`FieldValue` objects built so far (the :class:`LazyValues` of its record)."""

    __slots__ = (
        "base",
        "dec",
        "deep",
        "done",
        "flagged",
        "ien",
        "iens",
        "items",
        "multiples",
        "plan",
        "snap",
        "top",
    )

    def __init__(
        self,
        dec: Decoder,
        plan: _Plan,
        ien: str,
        iens: str,
        items: Items,
        base: int,
        multiples: bool,
    ) -> None:
        self.dec = dec
        self.plan = plan
        self.ien = ien
        self.iens = iens
        self.items = items
        self.base = base
        self.multiples = multiples
        self.top: dict[str, str] | None = None
        self.deep: dict[str, Items] | None = None
        #: pointer and general-path results read at decode time, by step index
        #: (external, exact) of a pointer cache hit, or the formatter's whole answer
        self.snap: dict[int, Any] = {}
        self.done: dict[int, FieldValue] | None = None  # built so far (made when needed)
        #: step indices (in field order) whose FieldValue holds or contains errors
        self.flagged: list[int] | None = None

    # ---- nodes ---------------------------------------------------------------------
    def _top(self) -> dict[str, str]:
        top = self.top
        if top is None:
            base = self.base
            first = base + 1
            top = self.top = {subs[base]: value for subs, value in self.items if len(subs) == first}
        return top

    def _deep(self) -> dict[str, Items]:
        deep = self.deep
        if deep is None:
            deep = self.deep = {}
            base = self.base
            first = base + 1
            for subs, value in self.items:
                if len(subs) > first:
                    key = subs[base]
                    lst = deep.get(key)
                    if lst is None:
                        deep[key] = lst = []
                    lst.append((subs[first:], value))
        return deep

    # ---- the check made when the entry is decoded ----------------------------------
    def check(self) -> None:
        """Check every field that can be wrong (sets, dates, numbers, pointers, ...) and
        read pointer externals now; a field that fails is built at once with its error.
        Each node is split once; a value already known good (a cached date or pointer, a
        set code) costs one lookup."""
        plan = self.plan
        by_node = plan.checks
        if by_node:
            snap = self.snap
            slow = self._slow
            pieces = plan.pieces
            base = self.base
            first = base + 1
            items = self.items
            if items and len(items[0][0]) <= base:  # the entry's own node (first in order)
                items = items[1:]
            for subs, raw in items:
                checks = by_node.get(subs[base])
                if checks is None or len(subs) != first:
                    continue
                known, rest = checks
                parts = raw.split("^")
                short = pieces[subs[base]] - len(parts)
                if short > 0:
                    parts += [""] * short
                for piece, good, idx, keep in known:
                    v = parts[piece]
                    if v:
                        hit = good.get(v)
                        if hit is None:
                            slow(idx, v)
                        elif keep:
                            snap[idx] = hit
                if rest:
                    for piece, extract, idx, kind in rest:
                        if extract is None:
                            v = parts[piece] if piece < len(parts) else ""
                        else:
                            v = raw[extract[0] - 1 : extract[1]]
                            if v.strip(" ") == "":  # spaces are null
                                continue
                        if v and (kind != K_NUMERIC or not NUMBER.match(v)):
                            slow(idx, v)
        if plan.always:
            for idx in plan.always:
                self._keep(idx, self._build(idx, plan.steps[idx]))
        if plan.multiples and self.multiples:
            for idx in plan.multiples:
                self._keep(idx, self._build(idx, plan.steps[idx]))
        if self.flagged is not None and len(self.flagged) > 1:
            self.flagged.sort()

    def _keep(self, idx: int, fv: FieldValue, *, flag: bool = True) -> None:
        """Remember a built field (flagged: it holds or may contain errors)."""
        if self.done is None:
            self.done = {}
        self.done[idx] = fv
        if flag:
            if self.flagged is None:
                self.flagged = []
            self.flagged.append(idx)

    def _slow(self, idx: int, internal: str) -> None:
        """The general path for one value (EXTERNAL^DIDU through the formatter, which fills
        its caches); the result is kept for pointers, a failure built with its error."""
        step = self.plan.steps[idx]
        fld, kind = step[0], step[1]
        dec = self.dec
        try:
            if kind == K_DATE:  # no output transform: the date itself (fills the date cache)
                dec.formatter.date(internal)
                return
            formatted = dec.formatter.external(fld, internal, ien=self.iens)
        except FieldValueError:
            self._keep(idx, dec._formatted(fld, internal, self.iens))
            return
        if kind >= K_POINTER and kind != K_NUMERIC:  # what the target held at decode time
            self.snap[idx] = formatted

    # ---- LazyValues ----------------------------------------------------------------
    def has(self, number: str) -> bool:
        idx = self.plan.index.get(number)
        if idx is None:
            return False
        return self.multiples or self.plan.steps[idx][1] != K_MULTIPLE

    def field(self, number: str) -> FieldValue:
        idx = self.plan.index[number]
        step = self.plan.steps[idx]
        if step[1] == K_MULTIPLE and not self.multiples:
            raise KeyError(number)
        fv = self.done.get(idx) if self.done is not None else None
        if fv is None:
            fv = self._build(idx, step)
            self._keep(idx, fv, flag=False)
        return fv

    def materialize(self) -> dict[str, FieldValue]:
        values: dict[str, FieldValue] = {}
        done = self.done or {}
        splits: dict[str, list[str]] = {}
        multiples = self.multiples
        top = self._top()
        dates = self.dec.formatter.date_cache
        snap = self.snap
        for idx, step in enumerate(self.plan.steps):
            kind = step[1]
            if kind == K_MULTIPLE and not multiples:
                continue
            fv = done.get(idx)
            if fv is None:
                if kind <= K_NUMERIC and step[4] is None:  # the common kinds, inline
                    node = step[2]
                    parts = splits.get(node)
                    if parts is None:
                        raw = top.get(node)
                        parts = splits[node] = raw.split("^") if raw is not None else []
                    piece = step[3]
                    text = parts[piece] if piece < len(parts) else ""
                    ftype = step[0].type
                    if not text:
                        fv = FieldValue(step[7], step[8], step[9], ftype, "", "")
                    elif kind == K_PLAIN:  # free text: the piece as it is
                        fv = FieldValue(step[7], step[8], step[9], ftype, text, text, text)
                    elif kind == K_SET and step[5] is not None and text in step[5]:
                        label = step[5][text]
                        fv = FieldValue(step[7], step[8], step[9], ftype, text, label, text)
                    elif kind == K_DATE and (shown := dates.get(text)) is not None:
                        fv = FieldValue(step[7], step[8], step[9], ftype, text, *shown)
                    elif (
                        kind == K_POINTER and text.isdigit() and len(got := snap.get(idx, ())) == 2
                    ):
                        fv = FieldValue(step[7], step[8], step[9], ftype, text, got[0], int(text))
                        fv.exact, fv.target_file, fv.target_ien = got[1], step[6], text
                    elif kind == K_NUMERIC and text.isdigit():
                        fv = FieldValue(step[7], step[8], step[9], ftype, text, text, int(text))
                    else:
                        fv = self._build(idx, step, splits)
                else:
                    fv = self._build(idx, step, splits)
            values[step[8]] = fv
        return values

    def errors(self) -> list[FileManError]:
        out: list[FileManError] = []
        flagged, done = self.flagged, self.done
        if flagged is None or done is None:
            return out
        for idx in flagged:
            fv = done[idx]
            if fv.error is not None:
                out.append(fv.error)
            for sub in fv.records or ():
                out.extend(sub.errors)
        return out

    # ---- building one field (REAL^DIQG for the internal value, then EXTERNAL^DIDU) --
    def _build(
        self, idx: int, step: Step, splits: dict[str, list[str]] | None = None
    ) -> FieldValue:
        fld, kind, node, piece, extract, codes, target, fnum, num, label = step
        dec = self.dec
        if kind >= K_COMPUTED:  # not read from a piece
            if kind == K_MULTIPLE:
                return dec._multiple(fld, self.iens, self._deep())
            if kind == K_WP:
                return dec._word_processing(fld, self._deep())
            return dec._unstored(fld, kind, self.ien, self.iens)
        top = self._top()
        if extract is None:
            parts = splits.get(node) if splits is not None else None
            if parts is None:
                raw = top.get(node)
                parts = raw.split("^") if raw is not None else []
                if splits is not None:
                    splits[node] = parts
            internal = parts[piece] if piece < len(parts) else ""
        else:
            raw = top.get(node)
            internal = raw[extract[0] - 1 : extract[1]] if raw is not None else ""
            if internal.strip(" ") == "":  # spaces are null
                internal = ""
        ftype = fld.type
        if internal == "":
            return FieldValue(fnum, num, label, ftype, "", "")
        if kind == K_PLAIN:
            return FieldValue(fnum, num, label, ftype, internal, internal, internal)
        if kind == K_SET:
            assert codes is not None
            ext = codes.get(internal)
            if ext is not None:
                return FieldValue(fnum, num, label, ftype, internal, ext, internal)
        elif kind == K_DATE:
            hit = dec.formatter.date_cache.get(internal)
            if hit is not None:
                return FieldValue(fnum, num, label, ftype, internal, hit[0], hit[1])
        elif kind == K_NUMERIC:
            if internal.isdigit():
                return FieldValue(fnum, num, label, ftype, internal, internal, int(internal))
        elif kind >= K_POINTER:
            got = self.snap.get(idx)
            if got is not None:
                if len(got) == 2:  # a pointer cache hit: (external, exact), a valid IEN
                    value = int(internal) if internal.isdigit() else Decimal(internal)
                    fv = FieldValue(fnum, num, label, ftype, internal, got[0], value)
                    fv.exact, fv.target_file, fv.target_ien = got[1], target, internal
                    return fv
                return _from_formatted(fld, internal, got)
        return dec._formatted(fld, internal, self.iens)
