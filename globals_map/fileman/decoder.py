"""Decode FileMan entries the way FileMan shows them, from one bulk read per entry.

:meth:`Decoder.decode` reads the entry's whole subtree with one ``read_subtree`` call and turns
every field into a :class:`FieldValue` with FileMan's internal and external forms (GETS^DIQ
flags ``I`` and ``E``): set codes become their labels, pointers the target's .01 (cached),
variable pointers (``ien;GLOBAL(``) the target's .01, dates FMTE^DILIBF's text (and ISO in
``value``), multiples nested records, word processing its lines.  Computed fields are marked
not evaluated: no M code runs.  A value that does not fit its field gets a per-field
:class:`FieldValueError` (file, IEN, field) and the rest of the entry still decodes; with
``strict=True`` the first such error is raised instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from globals_map.fileman.errors import (
    DictionaryError,
    FieldValueError,
    FileManError,
    NoSuchEntryError,
    NoSuchFileError,
)
from globals_map.fileman.external import ExternalFormatter
from globals_map.fileman.records import FieldValue, Record
from globals_map.fileman.schema import FieldDef, FileDef, Schema, file_number
from globals_map.fileman.steps import (
    K_COMPUTED,
    K_DATE,
    K_MULTIPLE,
    K_NUMBER,
    K_NUMERIC,
    K_PLAIN,
    K_POINTER,
    K_SET,
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
        self._plans: dict[tuple[str, int], list[Step]] = {}
        self._roots: dict[str, tuple[str, tuple[str, ...]]] = {}

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
            name, subs = root[0], (*root[1], text)  # a top-level entry: root + IEN
        else:
            name, subs = entry_location(self.schema, fnum, iens)
            fdef = self.schema.file(fnum)
            if fdef.parent is None and fdef.global_root is not None:
                self._roots[fnum] = (fdef.global_root.name, fdef.global_root.subscripts)
        nodes = self.schema.store.read_subtree(name, subs)
        if not nodes:
            raise NoSuchEntryError("The entry does not exist.", file=fnum, ien=str(iens))
        return self.decode_nodes(
            fnum, iens, nodes, base=len(subs), fields=fields, multiples=multiples
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
        items = nodes if isinstance(nodes, list) else list(nodes)
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
        store = self.schema.store
        resume: tuple[str, ...] | None = (*root, after, AFTER_ALL_TEXT) if after else None
        if after is None:
            resume = (*root, "0", AFTER_ALL_TEXT)  # skip the header node ^ROOT(0)
        pending: list[NodeItem] = []
        current: str | None = None
        while True:
            nodes = store.read_subtree(name, root, after=resume, limit=chunk)
            for subs, value in nodes:
                ien = subs[base - 1]
                if not is_entry_key(ien):
                    nodes = []  # past the entries: indexes and other string subscripts
                    break
                if ien != current:
                    if pending and current is not None:
                        yield self._decode_items(
                            fdef, current + ",", pending, fields, multiples, base
                        )
                    pending, current = [], ien
                pending.append((subs, value))
            else:
                if len(nodes) == chunk:
                    resume = nodes[-1][0]
                    continue
            break
        if pending and current is not None:
            yield self._decode_items(fdef, current + ",", pending, fields, multiples, base)

    # ---- decoding ----------------------------------------------------------------
    def _plan(self, fdef: FileDef, fields: Sequence[str] | None) -> list[Step]:
        """The compiled steps for a file's fields (cached for "all fields")."""
        if fields is None:
            key = (fdef.number, id(fdef))
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = [compile_step(f) for f in fdef.fields.values()]
            return plan
        return [compile_step(fdef.field(f)) for f in fields]

    def _decode_items(
        self,
        fdef: FileDef,
        iens: str,
        items: Items,
        fields: Sequence[str] | None,
        multiples: bool,
        base: int = 0,
    ) -> Record:
        """Decode one entry from its nodes; ``items`` hold subscripts from ``base`` on."""
        ien = iens.split(",", 1)[0]
        top: dict[str, str] = {}
        deep: dict[str, Items] = {}
        first = base + 1
        for subs, value in items:
            n = len(subs) - base
            if n == 1:
                top[subs[base]] = value
            elif n > 1:
                key = subs[base]
                lst = deep.get(key)
                if lst is None:
                    deep[key] = lst = []
                lst.append((subs[first:], value))
        record = Record(fdef.number, ien, iens)
        values = record.values
        splits: dict[str, list[str]] = {}
        fmt = self.formatter
        dates = fmt._date_cache
        pointers = fmt._pointer_cache
        for fld, kind, node, piece, extract, codes, target, fnum, num, label in self._plan(
            fdef, fields
        ):
            if kind >= K_COMPUTED:  # not read from a piece
                if kind == K_MULTIPLE:
                    if multiples:
                        values[fld.number] = self._multiple(fld, iens, deep)
                elif kind == K_WP:
                    values[fld.number] = self._word_processing(fld, deep)
                else:
                    values[fld.number] = self._unstored(fld, kind, ien, iens)
                continue
            # the internal value: piece or extract of its node (REAL^DIQG)
            if extract is None:
                parts = splits.get(node)
                if parts is None:
                    raw = top.get(node)
                    parts = splits[node] = raw.split("^") if raw is not None else []
                internal = parts[piece] if piece < len(parts) else ""
            else:
                raw = top.get(node)
                internal = raw[extract[0] - 1 : extract[1]] if raw is not None else ""
                if internal.strip(" ") == "":  # spaces are null
                    internal = ""
            ftype = fld.type
            if internal == "":
                values[num] = FieldValue(fnum, num, label, ftype, "", "")
                continue
            if kind == K_PLAIN:
                values[num] = FieldValue(fnum, num, label, ftype, internal, internal, internal)
                continue
            if kind == K_SET:
                assert codes is not None
                ext = codes.get(internal)
                if ext is not None:
                    values[num] = FieldValue(fnum, num, label, ftype, internal, ext, internal)
                    continue
            elif kind == K_DATE:
                hit = dates.get(internal)
                if hit is not None:
                    values[num] = FieldValue(fnum, num, label, ftype, internal, hit[0], hit[1])
                    continue
            elif kind == K_NUMERIC:
                if internal.isdigit():
                    values[num] = FieldValue(
                        fnum, num, label, ftype, internal, internal, int(internal)
                    )
                    continue
            elif kind == K_POINTER:
                assert target is not None
                phit = pointers.get((target, internal))
                if phit is not None and internal.isdigit():
                    fv = FieldValue(fnum, num, label, ftype, internal, phit[0], int(internal))
                    fv.exact, fv.target_file, fv.target_ien = phit[1], target, internal
                    values[num] = fv
                    continue
            values[num] = self._formatted(fld, internal, iens)
        return record

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
        fv = FieldValue(fld.file, fld.number, fld.label, fld.type, internal)
        try:
            ext, value, exact, target = self.formatter.external(fld, internal, ien=iens)
        except FieldValueError as exc:
            err = FieldValueError(
                exc.message, file=fld.file, ien=iens, field=fld.number, code=exc.code
            )
            if self.strict:
                raise err from None
            fv.error = err
            return fv
        fv.external, fv.value, fv.exact = ext, value, exact
        if target is not None:
            fv.target_file, fv.target_ien = target
        return fv

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
