"""FileMan's database server calls as the DDR RPCs use them: GETS^DIQ, LIST^DIC, FIND^DIC,
$$FIND1^DIC and FILE^DIE / UPDATE^DIE, over the FileMan layer (globals_map.fileman).

Results keep FileMan's shapes (the DDRRSLT array, ^TMP("DILIST",$J), the DIERR array) so the
DDR routines' formatting can be followed line by line in :mod:`bridge.simulator.ddr`.  Error
texts are the DIALOG file's (BLD^DIALOG), with FileMan's parameters filled in.  Screens and
anything else that FileMan would XECUTE are refused (error 202), never run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bridge.simulator.context import Ctx
from bridge.simulator.dialog import fill
from bridge.simulator.mview import piece
from globals_map.fileman import (
    AmbiguousMatchError,
    FieldType,
    FileManError,
    NoSuchEntryError,
    NoSuchFieldError,
    NoSuchFileError,
    Schema,
)
from globals_map.fileman.decoder import Decoder, parse_iens
from globals_map.fileman.finders import Finder, ListEntry
from globals_map.fileman.records import FieldValue, Record
from globals_map.fileman.schema import file_number


@dataclass
class DiErr:
    """One entry of the DIERR array: number, parameters (in $O order), text lines."""

    number: str
    params: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)


class DbsError(Exception):
    """A FileMan DBS call failed; ``errors`` is what it left in DIERR."""

    def __init__(self, *errors: DiErr) -> None:
        self.errors = list(errors)
        super().__init__(", ".join(e.number for e in errors))


def dierr(ctx: Ctx, number: str, **params: str) -> DiErr:
    """BLD^DIALOG: the error's text lines from ^DI(.84,number,2), parameters filled."""
    m = ctx.m
    zero = m.get("DI", ".84", number, 0)
    lines = [
        m.get("DI", ".84", number, 2, i, 0) for i in m.numeric_children("DI", ".84", number, 2)
    ]
    if "y" in piece(zero, 3):
        lines = [fill(line, params) for line in lines]
    ordered = {k: params[k] for k in sorted(params, key=_param_key)}
    return DiErr(number, ordered if "y" in piece(zero, 3) else {}, lines)


def _param_key(name: str) -> tuple[int, Decimal | str]:
    try:
        return (0, Decimal(name))
    except InvalidOperation:
        return (1, name)


def _from_layer(ctx: Ctx, exc: FileManError, file: str) -> DbsError:
    code = str(getattr(exc, "code", 0) or 0)
    if isinstance(exc, NoSuchFileError) or code == "401":
        return DbsError(dierr(ctx, "401", FILE=file))
    if isinstance(exc, NoSuchFieldError) or code == "501":
        fld = exc.field or ""
        return DbsError(dierr(ctx, "501", **{"1": fld, "FILE": exc.file or file, "FIELD": fld}))
    if isinstance(exc, NoSuchEntryError) or code == "601":
        return DbsError(dierr(ctx, "601", FILE=file, IENS=exc.ien or ""))
    if code == "299":
        return DbsError(dierr(ctx, "299", **{"1": getattr(exc, "value", ""), "FILE": file}))
    if code in ("330", "701"):
        return DbsError(dierr(ctx, "701", **{"1": exc.field or "", "2": file, "3": ""}))
    return DbsError(dierr(ctx, "202", **{"1": "FileMan request"}))


def _schema(ctx: Ctx, file: str) -> Schema:
    schema = ctx.fileman()
    if not file or not schema.has_file(file):
        raise DbsError(dierr(ctx, "401", FILE=file))
    return schema


def _refuse_code(ctx: Ctx, what: str, text: str) -> None:
    """FileMan XECUTEs screens and identifiers; the simulator refuses them (202)."""
    if text:
        raise DbsError(dierr(ctx, "202", **{"1": what}))


# -- GETS^DIQ ----------------------------------------------------------------------------
#: DDRRSLT(file,iens,field,...) -> value; the last subscript is "I", "E" or a line number.
Gets = dict[tuple[str, str, str, str], str]


def gets(ctx: Ctx, file: str, iens: str, fields: str, flags: str) -> tuple[Gets, set[str]]:
    """GETS^DIQ: the DDRRSLT nodes and the set of word-processing fields (file^field)."""
    schema = _schema(ctx, file)
    try:
        parse_iens(iens)
    except FileManError:
        raise DbsError(dierr(ctx, "202", **{"1": "IENS"})) from None
    decoder = ctx.decoder()
    try:
        if not decoder.exists(file, iens):
            raise DbsError(dierr(ctx, "601"))
        wanted, deep = _field_list(ctx, schema, file, fields)
        record = decoder.decode(file, iens, wanted, multiples=deep)
    except FileManError as exc:
        raise _from_layer(ctx, exc, file) from None
    out: Gets = {}
    wp: set[str] = set()
    _gets_record(record, flags, out, wp, deep)
    return out, wp


def _field_list(ctx: Ctx, schema: Schema, file: str, fields: str) -> tuple[list[str] | None, bool]:
    """GETS^DIQ's FIELDS: "*" (all but multiples), "**" (all), or numbers / ranges by ";"."""
    if fields in ("*", "**"):
        return None, fields == "**"
    fdef = schema.file(file)
    out: list[str] = []
    for part in fields.split(";"):
        if not part:
            continue
        if ":" in part:
            try:
                lo, hi = (Decimal(file_number(x)) for x in part.split(":", 1))
            except (ValueError, InvalidOperation, FileManError):
                raise DbsError(dierr(ctx, "202", **{"1": "FIELDS"})) from None
            out += [n for n in fdef.fields if lo <= Decimal(n) <= hi]
            continue
        try:
            number = file_number(part)
        except (ValueError, InvalidOperation, FileManError):
            number = part
        if number not in fdef.fields:
            raise DbsError(dierr(ctx, "501", **{"1": part, "FILE": file, "FIELD": part}))
        out.append(number)
    return out, True


def _gets_record(record: Record, flags: str, out: Gets, wp: set[str], deep: bool) -> None:
    """DDRRSLT nodes of one record; flag N leaves out fields without a value."""
    for number, fv in record.values.items():
        if "N" in flags and fv.is_empty:
            continue
        if fv.records is not None:
            if deep:
                for sub in fv.records:
                    _gets_record(sub, flags, out, wp, deep)
            continue
        key = (record.file, record.iens, number)
        if fv.lines is not None or fv.type is FieldType.WORD_PROCESSING:
            wp.add(f"{record.file}^{number}")
            out[(*key, "W")] = ""  # GETS^DIQ leaves the field's node even when empty
            for i, line in enumerate(fv.lines or [], 1):
                out[(*key, str(i))] = line
            continue
        internal, external = _values(fv)
        if "I" in flags:
            out[(*key, "I")] = internal
        if "E" in flags or "I" not in flags:
            out[(*key, "E" if "E" in flags else "")] = external


def _values(fv: FieldValue) -> tuple[str, str]:
    """Internal and external; a computed field (M code) is not evaluated: both empty."""
    return fv.internal or "", fv.external if fv.external is not None else (fv.internal or "")


# -- LIST^DIC / FIND^DIC / $$FIND1^DIC ---------------------------------------------------
@dataclass
class Listing:
    """What LIST^DIC or FIND^DIC left in ^TMP("DILIST",$J) and FROM."""

    rows: list[ListEntry]
    fields: list[tuple[str, bool]]
    values: list[list[str]]
    more: bool = False
    next_from: str = ""
    next_from_ien: str = ""
    maximum: str = "*"


def _fields_spec(
    ctx: Ctx, schema: Schema, file: str, spec: str, flags: str
) -> list[tuple[str, bool]]:
    """LIST^DIC's FIELDS: "@" drops the default .01; "IX" the index value; numbers, with an
    optional I/E suffix.  Returns (field or "IX", internal?)."""
    internal = "I" in flags
    out: list[tuple[str, bool]] = []
    parts = [p for p in spec.split(";") if p]
    if "@" not in parts:
        out.append((".01", internal))
    fdef = schema.file(file)
    for part in parts:
        if part in ("@", "WID", "FID"):
            continue
        if part == "IX":
            out.append(("IX", internal))
            continue
        suffix = part[-1] if part[-1] in "IE" else ""
        raw = part[:-1] if suffix else part
        try:
            number = file_number(raw)
        except (ValueError, InvalidOperation, FileManError):
            number = raw
        if number not in fdef.fields:
            raise DbsError(dierr(ctx, "501", **{"1": raw, "FILE": file, "FIELD": raw}))
        out.append((number, internal if not suffix else suffix == "I"))
    return out


def _row_values(
    decoder: Decoder, file: str, iens_tail: str, entry: ListEntry, fields: list[tuple[str, bool]]
) -> list[str]:
    wanted = [f for f, _ in fields if f != "IX"]
    record = decoder.decode(file, entry.ien + "," + iens_tail, wanted, multiples=False)
    out = []
    for number, internal in fields:
        if number == "IX":
            out.append(entry.value)
            continue
        fv = record.values.get(number)
        if fv is None:
            out.append("")
            continue
        i, e = _values(fv)
        out.append(i if internal else e)
    return out


def _max(ctx: Ctx, text: str) -> int | None:
    if text in ("", "*"):
        return None
    try:
        value = int(Decimal(text))
    except InvalidOperation:
        raise DbsError(dierr(ctx, "202", **{"1": "MAX"})) from None
    if value <= 0:
        raise DbsError(dierr(ctx, "202", **{"1": "MAX"}))
    return value


def _lister_setup(
    ctx: Ctx, file: str, fields: str, flags: str, maximum: str, screen: str, ident: str
) -> tuple[int | None, list[tuple[str, bool]], Finder]:
    """LIST^DIC and FIND^DIC check their arguments alike: file, no M code, MAX, FIELDS."""
    schema = _schema(ctx, file)
    _refuse_code(ctx, "SCREEN", screen)
    _refuse_code(ctx, "IDENTIFIER", ident)
    limit = _max(ctx, maximum)
    spec = _fields_spec(ctx, schema, file, fields, flags)
    return limit, spec, Finder(schema)


def list_dic(
    ctx: Ctx,
    file: str,
    iens: str,
    fields: str,
    flags: str,
    maximum: str,
    start: str,
    start_ien: str,
    part: str,
    xref: str,
    screen: str,
    ident: str,
) -> Listing:
    """LIST^DIC: entries in index order after FROM, starting with PART, at most MAX."""
    limit, spec, finder = _lister_setup(ctx, file, fields, flags, maximum, screen, ident)
    try:
        page = finder.list_entries(
            file,
            index=xref or "B",
            start=start or None,
            start_ien=start_ien or None,
            part=part,
            limit=limit,
            reverse="B" in flags,
            parent_iens=iens,
        )
        values = [_row_values(finder.decoder, file, iens, e, spec) for e in page.entries]
    except FileManError as exc:
        raise _from_layer(ctx, exc, file) from None
    return Listing(
        page.entries,
        spec,
        values,
        page.more,
        page.next_from or "",
        page.next_from_ien or "",
        maximum or "*",
    )


def find_dic(
    ctx: Ctx,
    file: str,
    iens: str,
    fields: str,
    flags: str,
    value: str,
    maximum: str,
    xref: str,
    screen: str,
    ident: str,
) -> Listing:
    """FIND^DIC: entries whose index value matches VALUE (exactly with flag X)."""
    limit, spec, finder = _lister_setup(ctx, file, fields, flags, maximum, screen, ident)
    try:
        page = finder.find(
            file, value, index=xref or "B", exact="X" in flags, limit=limit, parent_iens=iens
        )
        values = [_row_values(finder.decoder, file, iens, e, spec) for e in page.entries]
    except FileManError as exc:
        raise _from_layer(ctx, exc, file) from None
    return Listing(page.entries, spec, values, page.more, maximum=maximum or "*")


def find1(ctx: Ctx, file: str, iens: str, flags: str, value: str, xref: str, screen: str) -> str:
    """$$FIND1^DIC: the one matching IEN, 0 when none; 299 when several match."""
    schema = _schema(ctx, file)
    _refuse_code(ctx, "SCREEN", screen)
    finder = Finder(schema)
    try:
        ien = finder.find1(file, value, index=xref or "B", exact="X" in flags, parent_iens=iens)
    except AmbiguousMatchError:
        raise DbsError(dierr(ctx, "299", **{"1": value, "FILE": file})) from None
    except FileManError as exc:
        raise _from_layer(ctx, exc, file) from None
    return ien or "0"
