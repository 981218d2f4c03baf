"""The FileMan Delphi Components' RPCs: DDR LISTER (LISTC^DDR), DDR GETS ENTRY DATA
(GETSC^DDR2), DDR FIND1 (FIND1C^DDR2), DDR FINDER (FINDC^DDR0) and DDR FILER (FILEC^DDR3).

Each takes one list parameter (DDR("FILE"), DDR("IENS"), ...) and formats what the FileMan
call returned the way its DDR routine does: ``[Data]`` rows, ``[BEGIN_diDATA]`` blocks,
``[Misc]``/``MORE`` and ``[BEGIN_diERRORS]``.  LISTER and FINDER answer as global arrays
(^TMP("DILIST",$J) in $QUERY order); the version-1 (XWBAPVER) formats are followed.
"""

from __future__ import annotations

from decimal import Decimal

from bridge.simulator import dbs
from bridge.simulator.context import Ctx
from bridge.simulator.dbs import DbsError, DiErr
from bridge.simulator.mview import piece
from bridge.simulator.signon import text_param
from globals_map.fileman import FileManError
from globals_map.fileman.filer import Filer
from parsers.collation import node_key
from rpc.simulator import CallResult, ListParam, Param

Node = tuple[str, ...]


def _args(params: tuple[Param, ...], i: int = 0) -> dict[str, str]:
    """The DDR array: single-subscript entries by name (DDR("FILE")...)."""
    p = params[i] if i < len(params) else None
    if not isinstance(p, ListParam):
        return {}
    return {subs[0]: value for subs, value in p.items.items() if len(subs) == 1}


def _from_ien(params: tuple[Param, ...]) -> str:
    p = params[0] if params else None
    return p.get("FROM", "IEN") if isinstance(p, ListParam) else ""


def error_lines(errors: list[DiErr]) -> list[str]:
    """ERROR^DDR2 (and DDR, DDR0, DDR3): the DIERR array as text."""
    out = ["[BEGIN_diERRORS]"]
    for err in errors:
        names = {"FILE": "", "IENS": "", "FIELD": ""}
        params = []
        for name, value in err.params.items():
            if name in names:
                names[name] = value
            params.append(f"{name}^{value}")
        count = str(len(params)) if err.params else ""
        textcount = str(len(err.text)) if err.text else ""
        out.append(
            f"{err.number}^{textcount}^{names['FILE']}^{names['IENS']}^{names['FIELD']}^{count}"
        )
        out += params
        out += err.text
    out.append("[END_diERRORS]")
    return out


# -- DDR GETS ENTRY DATA ---------------------------------------------------------------------
def gets(ctx: Ctx, *params: Param) -> CallResult:
    """GETSC^DDR2: GETS^DIQ, then "[Data]" rows file^ien^field^I^E (words processing as
    "[WORD PROCESSING]" ... "$$END$$"), or with OPTIONS U the unpacked diDATA block."""
    ddr = _args(params)
    file, iens = ddr.get("FILE", ""), ddr.get("IENS", "")
    flags, options = ddr.get("FLAGS", ""), ddr.get("OPTIONS")
    try:
        result, wp = dbs.gets(ctx, file, iens, ddr.get("FIELDS", ""), flags)
        errors: list[DiErr] = []
    except DbsError as exc:
        result, wp, errors = {}, set(), exc.errors
    if options is None:
        if result and not errors:
            return CallResult(["[Data]", *_packed_gets(result, wp)])
        return CallResult(["[ERROR]"] if errors else [])
    out: list[str] = []
    if "U" in options:
        out += _unpacked_gets(result, wp, file, iens, flags)
        if errors:
            out += error_lines(errors)
    return CallResult(out)


def _sorted_gets(result: dbs.Gets) -> list[tuple[str, str, str]]:
    keys = {(f, i, fld) for f, i, fld, _ in result}
    return sorted(keys, key=lambda k: (Decimal(k[0]), node_key((k[1],)), Decimal(k[2])))


def _packed_gets(result: dbs.Gets, wp: set[str]) -> list[str]:
    out = []
    for file, iens, fld in _sorted_gets(result):
        head = f"{file}^{iens[:-1]}^{fld}^"
        if f"{file}^{fld}" in wp:
            out.append(head + "[WORD PROCESSING]")
            out += _wp_lines(result, file, iens, fld)
            out.append("$$END$$")
        else:
            internal = result.get((file, iens, fld, "I"), "")
            external = result.get((file, iens, fld, "E"), "")
            out.append(f"{head}{internal}^{external}")
    return out


def _wp_lines(result: dbs.Gets, file: str, iens: str, fld: str) -> list[str]:
    lines = [
        (int(k[3]), v) for k, v in result.items() if k[:3] == (file, iens, fld) and k[3].isdigit()
    ]
    return [v for _, v in sorted(lines)]


def _unpacked_gets(result: dbs.Gets, wp: set[str], file: str, iens: str, flags: str) -> list[str]:
    """11^DDR2: only the requested file and IENS; B when both I and E were asked for."""
    out = ["[BEGIN_diDATA]"]
    head = f"{file}^{iens[:-1]}"
    i, e = "I" in flags, "E" in flags
    kind = "B" if i and e else "I" if i else "E"
    for f, ien_s, fld in _sorted_gets(result):
        if (f, ien_s) != (file, iens):
            continue
        if f"{f}^{fld}" in wp:
            lines = _wp_lines(result, f, ien_s, fld)
            out.append(f"{head}^{fld}^W^{len(lines)}")
            out += lines
            continue
        out.append(f"{head}^{fld}^{kind}")
        if i and e:
            out += [result.get((f, ien_s, fld, "E"), ""), result.get((f, ien_s, fld, "I"), "")]
        elif e:
            out.append(result.get((f, ien_s, fld, "E"), ""))
        elif i:
            out.append(result.get((f, ien_s, fld, "I"), ""))
    out.append("[END_diDATA]")
    return out


# -- DDR FIND1 -----------------------------------------------------------------------------
def find1(ctx: Ctx, *params: Param) -> CallResult:
    """FIND1C^DDR2: the IEN ("" after an error, then the errors)."""
    ddr = _args(params)
    try:
        ien = dbs.find1(
            ctx,
            ddr.get("FILE", ""),
            ddr.get("IENS", ""),
            ddr.get("FLAGS", ""),
            ddr.get("VALUE", ""),
            ddr.get("XREF", ""),
            ddr.get("SCREEN", ""),
        )
    except DbsError as exc:
        return CallResult(["", *error_lines(exc.errors)])
    return CallResult([ien])


# -- DDR LISTER / DDR FINDER ---------------------------------------------------------------
def lister(ctx: Ctx, *params: Param) -> CallResult:
    """LISTC^DDR, version 1 (V1): LIST^DIC into ^TMP("DILIST",$J) as a global array."""
    ddr = _args(params)
    flags = ddr.get("FLAGS", "")
    if "P" in flags:
        flags += "S"  # V1: only P is sent by the client for version 1
    tmp: dict[Node, str] = {}
    try:
        listing = dbs.list_dic(
            ctx,
            ddr.get("FILE", ""),
            ddr.get("IENS", ""),
            ddr.get("FIELDS", ""),
            flags,
            ddr.get("MAX", "*"),
            ddr.get("FROM", ""),
            _from_ien(params),
            ddr.get("PART", "").replace("\r\n", ""),
            ddr.get("XREF", ""),
            ddr.get("SCREEN", ""),
            ddr.get("ID", ""),
        )
    except DbsError as exc:
        _errors_into(tmp, exc.errors)
        return CallResult(_global_array(tmp))
    if listing.more:  # 11^DDR: FROM was moved on, so there is more
        tmp[(".1",)] = "[Misc]"
        tmp[(".2",)] = f"MORE^{listing.next_from}^{listing.next_from_ien}"
    return _rows_result(tmp, listing, flags, ddr)


def finder(ctx: Ctx, *params: Param) -> CallResult:
    """FINDC^DDR0: FIND^DIC into ^TMP("DILIST",$J); "[Misc]" and "MORE" when more exist."""
    ddr = _args(params)
    flags = ddr.get("FLAGS", "")
    tmp: dict[Node, str] = {}
    try:
        listing = dbs.find_dic(
            ctx,
            ddr.get("FILE", ""),
            ddr.get("IENS", ""),
            ddr.get("FIELDS", ""),
            flags,
            ddr.get("VALUE", ""),
            ddr.get("MAX", "*"),
            ddr.get("XREF", ""),
            ddr.get("SCREEN", ""),
            ddr.get("ID", ""),
        )
    except DbsError as exc:
        _errors_into(tmp, exc.errors)
        return CallResult(_global_array(tmp))
    if not listing.rows:  # FINDC: Q:'COUNT leaves only the zero node
        tmp[("0",)] = f"0^{listing.maximum}^0"
        return CallResult(_global_array(tmp))
    if listing.more:
        tmp[(".1",)] = "[Misc]"
        tmp[(".2",)] = "MORE"
    return _rows_result(tmp, listing, flags, ddr)


def _rows_result(
    tmp: dict[Node, str], listing: dbs.Listing, flags: str, ddr: dict[str, str]
) -> CallResult:
    """LISTC^DDR and FINDC^DDR0 end alike: the rows packed (flag P) or unpacked, as the array."""
    if "P" in flags:
        _packed_into(tmp, listing)
    else:
        _unpacked_into(tmp, listing, ddr.get("FIELDS", ""), ddr.get("OPTIONS", ""))
    return CallResult(_global_array(tmp))


def _packed_into(tmp: dict[Node, str], listing: dbs.Listing) -> None:
    """V1^DDR / FINDC^DDR0 packed: .5 "[BEGIN_diDATA]", rows IEN^values, "[END_diDATA]"."""
    tmp[(".5",)] = "[BEGIN_diDATA]"
    for n, (entry, values) in enumerate(zip(listing.rows, listing.values, strict=True), 1):
        tmp[(str(n),)] = "^".join([entry.ien, *values])
    tmp[(str(len(listing.rows) + 1),)] = "[END_diDATA]"


def _unpacked_into(tmp: dict[Node, str], listing: dbs.Listing, fields: str, options: str) -> None:
    """UNPACKED^DDR: the IENs block, the ID values block (field numbers ; and count)."""
    count = len(listing.rows)
    if not count:
        return
    tmp[(".5",)] = "[BEGIN_diDATA]"
    if "IX" in options:
        tmp[("1", ".1")] = "BEGIN_IXVALUES"
        tmp[("1", ".2")] = "1"
        for n, entry in enumerate(listing.rows, 1):
            tmp[("1", str(n))] = entry.value
        tmp[("1", str(count + 1))] = "END_IXVALUES"
    tmp[("2", ".1")] = "BEGIN_IENs"
    for n, entry in enumerate(listing.rows, 1):
        tmp[("2", str(n))] = entry.ien
    tmp[("2", str(count + 1))] = "END_IENs"
    ids = [(i, f) for i, (f, _internal) in enumerate(listing.fields) if f != "IX"]
    if fields and ids:
        tmp[("ID", "0")] = "BEGIN_IDVALUES"
        tmp[("ID", ".1")] = "".join(f + ";" for _, f in ids) + f"^{len(ids)}"
        for n, values in enumerate(listing.values, 1):
            for i, f in ids:
                tmp[("ID", str(n), f)] = values[i]
        tmp[("ID", str(count + 1))] = "END_IDVALUES"
    tmp[("IDZ",)] = "[END_diDATA]"


def _errors_into(tmp: dict[Node, str], errors: list[DiErr]) -> None:
    """ERROR^DDR: the error lines under ^TMP("DILIST",$J,"ZERR",n)."""
    for n, line in enumerate(error_lines(errors), 1):
        tmp[("ZERR", str(n))] = line


def _global_array(tmp: dict[Node, str]) -> list[str]:
    """SNDDATA^XWBRW type 4: every node's value in $QUERY order."""
    return [tmp[k] for k in sorted(tmp, key=node_key)]


# -- DDR FILER -----------------------------------------------------------------------------
def filer(ctx: Ctx, *params: Param) -> CallResult:
    """FILEC^DDR3(DDRDATA,DDRMODE,DDRROOT,DDRFLAGS,DDRIENS): validated writes of
    ``file^field^iens^value`` rows through the FileMan layer's filer; ADD mode adds entries
    for ``+n`` IENS placeholders and answers ``+n,^ien``."""
    mode = text_param(params, 0)
    root = params[1] if len(params) > 1 and isinstance(params[1], ListParam) else None
    rows: dict[tuple[str, str], dict[str, str]] = {}
    order: list[tuple[str, str]] = []
    for subs, row in root.items.items() if root else []:
        if len(subs) != 1 or not subs[0].isdigit():
            continue
        file, fld, iens = piece(row, 1), piece(row, 2), piece(row, 3)
        value = "^".join(row.split("^")[3:])
        iens = iens if iens.endswith(",") else iens + ","
        key = (file, iens)
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key][fld] = value
    out = ["[Data]"]
    errors: list[DiErr] = []
    schema = ctx.fileman()
    filer_ = Filer(ctx.store, today=ctx.now.date())
    for file, iens in order:
        values = rows[(file, iens)]
        try:
            if not schema.has_file(file):
                raise DbsError(dbs.dierr(ctx, "401", FILE=file))
            ien = iens[:-1]
            if ien.startswith("+"):
                if mode != "ADD":
                    raise DbsError(dbs.dierr(ctx, "202", **{"1": "IENS"}))
                new = filer_.add(file, values)
                out.append(f"{ien},^{new}")
            else:
                filer_.update(file, ien, values)
        except DbsError as exc:
            errors += exc.errors
        except FileManError as exc:
            errors.append(_filer_error(ctx, exc, file, iens, values))
    if errors:
        out += error_lines(errors)
    return CallResult(out)


def _filer_error(
    ctx: Ctx, exc: FileManError, file: str, iens: str, values: dict[str, str]
) -> DiErr:
    """A refusal as FILE^DIE / UPDATE^DIE reports it: 601 for a missing entry, 311 for a
    missing required field, 701 for a value that is not valid for its field."""
    fld = exc.field or ""
    if "does not exist" in str(exc):
        return dbs.dierr(ctx, "601", FILE=file, IENS=iens)
    if "required" in str(exc):
        return dbs.dierr(ctx, "311", FILE=file, IENS=iens, FIELD=fld, **{"1": fld})
    value = values.get(fld, "")
    return dbs.dierr(
        ctx, "701", FILE=file, IENS=iens, FIELD=fld, **{"1": fld, "2": file, "3": value}
    )
