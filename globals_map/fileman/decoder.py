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

from collections.abc import Iterable, Sequence
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
from globals_map.store import NodeItem
from parsers.canonical import is_canonical_number
from parsers.dd_spec import FieldType

__all__ = ["Decoder", "entry_location", "parse_iens"]

Items = list[tuple[tuple[str, ...], str]]


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
        fnum = file_number(file)
        name, subs = entry_location(self.schema, fnum, iens)
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
        items: Items = [(s[base:], v) for s, v in nodes]
        text = str(iens)
        iens_text = text if text.endswith(",") else text + ","
        return self._decode_items(self.schema.file(file), iens_text, items, fields, multiples)

    def external(self, file: str | float, field: str | float, internal: str) -> str:
        """FileMan's external form of one internal value ($$EXTERNAL^DILFD); raises
        :class:`FieldValueError` when the value does not fit the field."""
        fdef = self.schema.field(file_number(file), file_number(field))
        return self.formatter.external(fdef, internal, ien=None)[0]

    def clear_cache(self) -> None:
        self.formatter.clear_cache()

    # ---- decoding ----------------------------------------------------------------
    def _decode_items(
        self,
        fdef: FileDef,
        iens: str,
        items: Items,
        fields: Sequence[str] | None,
        multiples: bool,
    ) -> Record:
        ien = iens.split(",", 1)[0]
        top: dict[str, str] = {}
        deep: dict[str, Items] = {}
        for rel, value in items:
            n = len(rel)
            if n == 1:
                top[rel[0]] = value
            elif n > 1:
                lst = deep.get(rel[0])
                if lst is None:
                    deep[rel[0]] = lst = []
                lst.append((rel[1:], value))
        record = Record(fdef.number, ien, iens)
        if fields is None:
            selected: Iterable[FieldDef] = fdef.fields.values()
        else:
            selected = [fdef.field(f) for f in fields]
        for fld in selected:
            if fld.type is FieldType.MULTIPLE:
                if not multiples:
                    continue
                record.values[fld.number] = self._multiple(fld, iens, deep)
            elif fld.type is FieldType.WORD_PROCESSING:
                record.values[fld.number] = self._word_processing(fld, deep)
            else:
                record.values[fld.number] = self._scalar(fld, ien, iens, top)
        return record

    def _fail(self, fv: FieldValue, message: str, iens: str) -> None:
        err = FieldValueError(message, file=fv.file, ien=iens, field=fv.field)
        if self.strict:
            raise err
        fv.error = err

    def _scalar(self, fld: FieldDef, ien: str, iens: str, top: dict[str, str]) -> FieldValue:
        fv = FieldValue(fld.file, fld.number, fld.label, fld.type)
        st = fld.storage
        if fld.type is FieldType.COMPUTED:
            fv.evaluated = False
            return fv
        if st is None:
            if fld.number == ".001":  # NUMBER: the IEN itself (DIQG: I DIQGDRN=.001 S Y=DA)
                fv.internal = fv.external = ien
                fv.value = int(ien) if ien.isdigit() else Decimal(ien)
                return fv
            self._fail(fv, "field has no storage in the dictionary", iens)
            return fv
        node = top.get(st.node)
        if node is None:
            internal = ""
        elif st.extract is not None:
            internal = node[st.extract[0] - 1 : st.extract[1]]
            if internal.strip(" ") == "":  # REAL^DIQG: spaces are null
                internal = ""
        else:
            piece = st.piece or 1
            internal = node.split("^")[piece - 1] if node.count("^") >= piece - 1 else ""
        fv.internal = internal
        if internal == "":
            fv.external = ""
            return fv
        try:
            ext, value, exact, target = self.formatter.external(fld, internal, ien=iens)
        except FieldValueError as exc:
            if self.strict:
                raise FieldValueError(
                    exc.message, file=fld.file, ien=iens, field=fld.number, code=exc.code
                ) from None
            fv.error = FieldValueError(
                exc.message, file=fld.file, ien=iens, field=fld.number, code=exc.code
            )
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
            if len(rel) == 2 and rel[1] == "0" and rel[0] != "0" and is_canonical_number(rel[0]):
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
            if key == "0" or not is_canonical_number(key) or Decimal(key) <= 0:
                continue  # the subfile header and its cross-references
            grp = groups.get(key)
            if grp is None:
                groups[key] = grp = []
                order.append(key)
            grp.append((rel[1:], value))
        for key in order:
            fv.records.append(self._decode_items(sub, f"{key},{iens}", groups[key], None, True))
        return fv
