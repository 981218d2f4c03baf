"""CPRS patient RPCs over the store: ORWPT LIST ALL / SELECT / ID INFO, ORQQAL LIST,
ORQQVI VITALS and ORQQPL PROBLEM LIST, following ORWPT, ORQQAL (with GMRAOR1 and GMRADPT),
ORQQVI and ORQQPL.  Values FileMan would format through a dictionary the store lacks come out
empty, as $$EXTERNAL^DILFD and $$GET1^DIQ give "" without a ^DD.
"""

from __future__ import annotations

from bridge.simulator.context import Ctx
from bridge.simulator.derived import ANY_GLOBAL
from bridge.simulator.fileman_view import external_value, get1
from bridge.simulator.mview import m_number, piece, truthy
from bridge.simulator.signon import text_param
from rpc.simulator import CallResult, MError, Param

UNKNOWN_PATIENT = "-1^^^^^Patient is unknown to CPRS."
_MAX_LIST = 44  # LISTALL^ORWPT: CNT=44 names per call


def _dfn(text: str) -> int:
    return int(m_number(text))


# -- ORWPT -----------------------------------------------------------------------------------
def list_all(ctx: Ctx, *params: Param) -> CallResult:
    """LISTALL^ORWPT: up to 44 names from ^DPT("B") after FROM, in direction DIR."""
    m = ctx.m
    start, direction = text_param(params, 0), text_param(params, 1)
    step = int(m_number(direction))
    if step not in (1, -1):
        raise MError("LISTALL+3^ORWPT", " Illegal $ORDER direction", "150372834", "%GTM-E-ORDER2")
    reverse = step == -1
    from_ien = ""
    if piece(start, 2):
        from_ien = piece(start, 1)
        start = m.order("DPT", "B", piece(start, 2), reverse=not reverse)
    out: list[str] = []
    name = start
    while len(out) < _MAX_LIST:
        name = m.order("DPT", "B", after=name, reverse=reverse)
        if not name:
            break
        ien = from_ien or ""
        from_ien = ""
        while len(out) < _MAX_LIST:
            ien = m.order("DPT", "B", name, after=ien)
            if not ien or not truthy(ien):
                break
            if m.defined("DPT", ien, -9):  # merged stub
                continue
            out.append(f"{ien}^{name}^^^^{piece(m.get('DPT', ien, 0), 1)}")
    return CallResult(out)


def select(ctx: Ctx, *params: Param) -> CallResult:
    """SELECT^ORWPT: NAME^SEX^DOB^SSN^LOCIEN^LOCNM^RMBD^CWAD^SENSITIVE^ADMITTED^CONV^SC^SC%^
    ICN^AGE^TS^TSSVC^SIGI^PRONOUNS; records the selection in ^DISV(DUZ,"^DPT(")."""
    m = ctx.m
    dfn = _dfn(text_param(params, 0))
    if not m.defined("DPT", dfn, 0):
        return CallResult(UNKNOWN_PATIENT)
    zero = m.get("DPT", dfn, 0)
    preferred = piece(m.get("DPT", dfn, 0.24), 5)  # DEMUPD^VADPT: preferred name
    name = piece(zero, 1) + (f" ({preferred})" if preferred else "")
    ward, room = m.get("DPT", dfn, 0.1), m.get("DPT", dfn, 0.101)
    rec = [name, piece(zero, 2), piece(zero, 3), piece(zero, 9), "", ward, room]
    if ward:
        ward_ien = m.first_ien("DIC", 42, "B", ward)
        rec[4] = str(int(m_number(m.get("DIC", 42, ward_ien or "0", 44))))
    rec += [cwad(ctx, dfn), "1" if truthy(_get1(ctx, "38.1", str(dfn), "2")) else "0"]
    admission = m.get("DPT", dfn, 0.105)
    rec.append(piece(m.get("DGPM", admission, 0), 1) if truthy(admission) else "")
    rec.append("0")
    rec += _eligibility(ctx, dfn)[0].split("^")
    icn = piece(m.get("DPT", dfn, "MPI"), 1)  # $$GETICN^MPIF001
    rec.append(icn if m_number(icn) > 0 else "")
    rec.append(str(age(ctx, dfn, piece(zero, 3))))
    rec.append(str(int(m_number(m.get("DPT", dfn, 0.103)))))
    rec += ["", _get1(ctx, "2", str(dfn), ".024", "E"), ""]
    if ctx.duz > 0:
        m.set("DISV", ctx.duz, "^DPT(", str(dfn))
    return CallResult("^".join(rec))


def age(ctx: Ctx, dfn: int, dob: str) -> int:
    """AGE^ORWPT: years from the date of birth to the date of death, or to today."""
    end = str(int(m_number(ctx.m.get("DPT", dfn, 0.35)))) or ""
    if end == "0":
        end = ctx.dt
    return (
        int(m_number(end[:3]))
        - int(m_number(dob[:3]))
        - int(m_number(end[3:7]) < m_number(dob[3:7]))
    )


def cwad(ctx: Ctx, dfn: int) -> str:
    """CWAD^ORQPT2: the postings letters; here A when the patient has allergies (TIUPP3
    takes A from EN1^GMRAOR1); crisis notes, warnings and directives come from TIU, absent."""
    flag, _rows = _reactions(ctx, dfn)
    return "A" if flag == "1" else ""


def id_info(ctx: Ctx, *params: Param) -> CallResult:
    """IDINFO^ORWPT: PID^DOB^SEX^VET^SC%^WARD^RM-BED^NAME^SIGI^ATTENDING."""
    m = ctx.m
    dfn = _dfn(text_param(params, 0))
    elig, veteran = _eligibility(ctx, dfn)
    attending = piece(m.get("DPT", dfn, 0.1041), 1)
    if attending:
        attending = _get1(ctx, "200", attending, ".01", "E")
    zero = m.get("DPT", dfn, 0)
    screened = _screened(ctx, dfn)
    ssn = "*SENSITIVE*" if screened else piece(zero, 9)
    if not screened and len(ssn) == 10 and ssn[:9].isdigit() and ssn[9] == "P":
        ssn += " **Pseudo SSN**"  # SSN^DPTLK1
    dob = "*SENSITIVE*" if screened else piece(zero, 3)  # DOB^DPTLK1(DFN,2)
    rec = [ssn if dfn > 0 else "", dob if dfn > 0 else "", piece(zero, 2), veteran]
    rec += [piece(elig, 2), piece(m.get("DPT", dfn, 0.1), 1), piece(m.get("DPT", dfn, 0.101), 1)]
    rec += [piece(zero, 1), "", attending]
    return CallResult("^".join(rec))


def _screened(ctx: Ctx, dfn: int) -> bool:
    """SCREEN^DPTLK1: sensitive (^DGSL(38.1,DFN,0) piece 2); employee screening (EMPL^DGSEC4)
    needs the patient's NEW PERSON link, which the store does not carry."""
    return truthy(piece(ctx.m.get("DGSL", 38.1, dfn, 0), 2))


def _eligibility(ctx: Ctx, dfn: int) -> tuple[str, str]:
    """ELIG^VADPT: VAEL(3) = SC^SC% (^DPT(DFN,.3)) and VAEL(4) veteran (^DPT(DFN,"VET"))."""
    sc = ctx.m.get("DPT", dfn, 0.3)
    vael3 = ("1" if piece(sc, 1) == "Y" else "0") + "^" + piece(sc, 2)
    veteran = "Y" if piece(ctx.m.get("DPT", dfn, "VET"), 1) == "Y" else "N"
    return vael3, veteran


def _get1(ctx: Ctx, file: str, ien: str, field: str, flag: str = "I") -> str:
    """$$GET1^DIQ(file,ien,field,flag): the field's internal ("I") or external value through
    the FileMan layer; "" when there is no dictionary or no such entry (GET1 then errors)."""
    key = ("GET1", file, ien, field, flag)
    if key not in ctx.memo:
        ctx.memo[key] = get1(ctx.decoder(), file, ien, field, internal=flag == "I")
    return ctx.memo[key]


# -- ORQQAL / GMRA -----------------------------------------------------------------------
def allergy_list(ctx: Ctx, *params: Param) -> CallResult:
    """LIST^ORQQAL: ien^allergen^severity^signs/symptoms, one row per reaction."""
    dfn = _dfn(text_param(params, 0))
    if ctx.derived is None:
        return CallResult(list(_allergy_rows(ctx, dfn)))
    rows = ctx.derived.get(("ORQQAL", dfn), ANY_GLOBAL, lambda: _allergy_rows(ctx, dfn), ctx.schema)
    return CallResult(list(rows))


def _allergy_rows(ctx: Ctx, dfn: int) -> tuple[str, ...]:
    if dfn <= 0:
        return ("^No allergies found.",)  # EN1^GMRAOR1 quits for DFN'>0
    flag, rows = _reactions(ctx, dfn)
    if flag == "":
        return ("^No Allergy Assessment",)
    if flag == "0":
        return ("^No Known Allergies",)
    out = []
    for ien, name, severity, signs in rows:
        row = f"{ien}^{name}^{severity}"
        if signs:
            row += "^" + "; ".join(signs)
        out.append(row)
    return tuple(out) or ("^No allergies found.",)


Reaction = tuple[str, str, str, tuple[str, ...]]


def _reactions(ctx: Ctx, dfn: int) -> tuple[str, tuple[Reaction, ...]]:
    """EN1^GMRAOR1 over EN2^GMRADPT with GMRA="0^0^111^0^0": the assessment flag (GMRAL:
    "" not asked, 0 none, 1 has reactions) and (ien, allergen, severity, signs) rows.

    The rows are kept between calls while no global has been written (they follow pointers
    and dictionaries through FileMan, so the store-wide counter stamps them) and the
    dictionaries are the same Schema object."""
    if ctx.derived is None:
        return _read_reactions(ctx, dfn)
    key = ("GMRA", str(dfn))
    return ctx.derived.get(key, ANY_GLOBAL, lambda: _read_reactions(ctx, dfn), ctx.schema)


def _read_reactions(ctx: Ctx, dfn: int) -> tuple[str, tuple[Reaction, ...]]:
    m = ctx.m
    nka = m.first_ien("GMR", 120.86, "B", dfn)  # NKA^GMRANKA
    flag = piece(m.get("GMR", 120.86, nka, 0), 2) if nka else ""
    if not truthy(flag):
        return flag, ()
    other = m.first_ien("GMRD", 120.83, "B", "OTHER REACTION")
    rows: list[Reaction] = []
    for b_subs, _ in ctx.store.read_subtree("GMR", ("120.8", "B", str(dfn))):
        rec = b_subs[-1]
        if len(b_subs) != 4 or m_number(rec) <= 0:
            continue
        entry = {subs[2:]: value for subs, value in ctx.store.read_subtree("GMR", ("120.8", rec))}
        node = entry.get(("0",), "")
        if not truthy(node):
            continue
        if truthy(entry.get(("ER",), "")):  # SETAL: entered in error
            continue
        kinds = piece(node, 20)
        if not any(k in kinds for k in "OFD"):  # SETAL: type criteria 111
            continue
        signs = _signs(ctx, entry, other)
        rows.append((rec, _allergen(ctx, node), _severity(ctx, rec, node), signs))
    return ("1" if rows else "0"), tuple(rows)


def _allergen(ctx: Ctx, node: str) -> str:
    """GMRAOR1: a drug reaction shows the GMR ALLERGY pointer's external value and the
    free-text name in brackets, unless they are equal or it points to a drug class."""
    name, pointer = piece(node, 2), piece(node, 3)
    if "D" in piece(node, 20):
        external = _external(ctx, "120.8", "1", pointer)
        if name != external and "50.605" not in pointer:
            return f"{external} [{name}]"
    return name


def _severity(ctx: Ctx, rec: str, node: str) -> str:
    """GMRAOR1: the worst observed severity (120.85 field 14.5), or the historical one (120.8
    field 8), as FileMan's external value."""
    m = ctx.m
    kind = piece(node, 6)
    if kind == "o":
        worst = 0.0
        for subs, _ in ctx.store.read_subtree("GMR", ("120.85", "C", rec)):
            obs = subs[-1]
            worst = max(worst, m_number(piece(m.get("GMR", 120.85, obs, 0), 14)))
        return _external(ctx, "120.85", "14.5", str(int(worst))) if worst > 0 else ""
    if kind == "h":
        return _external(ctx, "120.8", "8", piece(node, 8))
    return ""


def _signs(ctx: Ctx, entry: dict[tuple[str, ...], str], other: str) -> tuple[str, ...]:
    """GMRADPT PASS: each sign/symptom (^GMR(120.8,rec,10,n,0)) by its 120.83 name, or the
    free text when it is OTHER REACTION.  ``entry`` is the entry's nodes from one bulk read,
    in $QUERY order."""
    m = ctx.m
    out = []
    for subs, zero in entry.items():
        if len(subs) != 3 or subs[0] != "10" or subs[2] != "0" or m_number(subs[1]) <= 0:
            continue
        if not zero:
            continue
        ptr = str(int(m_number(zero)))
        if ptr == other:
            out.append(piece(zero, 2))
            continue
        key = ("120.83", ptr)
        if key not in ctx.memo:
            ctx.memo[key] = piece(m.get("GMRD", 120.83, ptr, 0), 1)
        out.append(ctx.memo[key])
    return tuple(out)


def _external(ctx: Ctx, file: str, field: str, internal: str) -> str:
    """$$EXTERNAL^DILFD: "" when the dictionary is absent (the call errors out)."""
    if not internal:
        return ""
    key = ("external", file, field, internal)
    if key not in ctx.memo:
        ctx.memo[key] = external_value(ctx.decoder(), file, field, internal)
    return ctx.memo[key]


# -- ORQQVI ------------------------------------------------------------------------------------
_VITALS = (
    ("TEMPERATURE", "T"),
    ("PULSE", "P"),
    ("RESPIRATION", "R"),
    ("BLOOD PRESSURE", "BP"),
    ("HEIGHT", "HT"),
    ("WEIGHT", "WT"),
    ("PAIN", "PN"),
    ("PULSE OXIMETRY", "PO2"),
    ("CENTRAL VENOUS PRESSURE", "CVP"),
    ("CIRCUMFERENCE/GIRTH", "CG"),
)


def fast_vitals(ctx: Ctx, *params: Param) -> CallResult:
    """FASTVIT^ORQQVI: the latest measurement of each vital type in the range, from the
    ^PXRMINDX(120.5,"PI") index and GMRV VITAL MEASUREMENT (^GMR(120.5))."""
    m = ctx.m
    dfn, f1, f2 = text_param(params, 0), text_param(params, 1), text_param(params, 2)
    if m_number(f1) > 0:
        dt1 = f1 if f2 or "." not in f1 else piece(f1, 1, ".") + "." + piece(f1, 2, ".")[:4]
    else:
        dt1 = "1"
    dt2 = f2 if m_number(f2) > 0 else (dt1 if m_number(dt1) > 1 else "9999998")
    out: list[str] = []
    for vital, abbrev in _VITALS:
        vtype = m.first_ien("GMRD", 120.51, "B", vital)
        if not vtype:
            continue
        row = _latest_vital(ctx, dfn, vtype, abbrev, m_number(dt1), m_number(dt2))
        if row:
            out.append(row)
    return CallResult(out)


def _latest_vital(ctx: Ctx, dfn: str, vtype: str, abbrev: str, f1: float, f2: float) -> str:
    m = ctx.m
    hi = f2 + (0.0000001 if f2 % 1 else 0.7)
    idt = ""
    for idt in m.children("PXRMINDX", 120.5, "PI", dfn, vtype, reverse=True):
        t = m_number(idt)
        if t > hi:
            continue
        if t < f1 - 0.0000001 or not t:
            break
        for ien in m.children("PXRMINDX", 120.5, "PI", dfn, vtype, idt):
            zero = m.get("GMR", 120.5, ien, 0)
            if not zero or truthy(piece(m.get("GMR", 120.5, ien, 2), 1)):
                continue
            value = piece(zero, 8)
            shown = "POX" if abbrev == "PO2" else abbrev
            return f"{ien}^{shown}^{value}^{piece(zero, 1)}"
    return ""


# -- ORQQPL ------------------------------------------------------------------------------------
def problem_list(ctx: Ctx, *params: Param) -> CallResult:
    """LIST^ORQQPL over LIST^GMPLUTL2: the patient's problems from ^AUPNPROB (9000011)."""
    m = ctx.m
    dfn = _dfn(text_param(params, 0))
    status = text_param(params, 1)
    if dfn <= 0:
        return CallResult([])
    out = []
    for ien in m.numeric_children("AUPNPROB", "AC", dfn):
        zero = m.get("AUPNPROB", ien, 0)
        if not zero or piece(zero, 12) == "D":
            continue
        if status and piece(zero, 12) != status:
            continue
        narrative = piece(m.get("AUTNPOV", piece(zero, 5) or "0", 0), 1)
        # ORPY: ien^description^status^ICD^onset^last modified (ICD and the Lexicon checks
        # of GMPLUTL2 need files the store does not carry)
        out.append(f"{ien}^{narrative}^{piece(zero, 12)}^^{piece(zero, 13)}^{piece(zero, 3)}")
    return CallResult(out or ["^No problems found."])
