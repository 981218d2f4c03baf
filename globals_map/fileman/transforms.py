"""Output transforms we recognise, re-done in Python (we never run M code).

A field with the ``O`` modifier prints through ``^DD(file,field,2)``, M code that EXTERNAL^DIDU
executes with ``Y`` set to the internal value.  We match that code, as a whole string, against
the shapes below and apply the Python equivalent; any other transform is left unapplied and the
decoder marks the external value as not exact (``FieldValue.exact``), so nobody mistakes the
internal value for what FileMan would print.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from parsers.fmdate import FMDateError, fm_to_external

#: A transform: (internal value, date format flags) -> external value, or None when the value
#: is not one the transform can print (the caller then falls back to the internal value).
Transform = Callable[[str, str], str | None]

# ^DD(120.82,1,2): S Y(0)=Y S Y=$$OUTTYPE^GMRAUTL(Y).  The field's own help (^DD(120.82,1,21))
# defines the codes: "D=Drug, F=Food, O=Other", printed comma-separated ("DRUG, FOOD").
_ALLERGY_TYPES = {"D": "DRUG", "F": "FOOD", "O": "OTHER"}


def _allergy_type(y: str, _fmt: str) -> str:
    return ", ".join(_ALLERGY_TYPES[c] for c in y if c in _ALLERGY_TYPES)


def _horolog_date(y: str, fmt: str) -> str | None:
    """``S %H=+Y D YMD^%DTC S Y=X X ^DD("DD")``: a $H day number printed as a date."""
    from parsers.fmdate import FMDate

    m = re.match(r"[0-9]+", y)
    if not m:
        return None
    import datetime as dt

    try:
        day = dt.date(1840, 12, 31) + dt.timedelta(days=int(m.group(0)))
        return fm_to_external(FMDate.from_python(day).to_internal(), fmt)
    except (OverflowError, ValueError, FMDateError):
        return None


def _fmte_date_only(y: str, _fmt: str) -> str | None:
    """``... S Y=$$FMTE^XLFDT(Y,"D")``: format 1, date only."""
    from parsers.fmdate import FMDate

    m = re.fullmatch(r"([0-9]{1,2})/([0-9]{4})", y)  # the MM/YYYY its input transform stores
    if m and 1 <= int(m.group(1)) <= 12 and 1700 <= int(m.group(2)) <= 2699:
        y = FMDate(int(m.group(2)), int(m.group(1))).to_internal()  # DT^DILF: month precision
    try:
        FMDate.parse(y)
    except FMDateError:
        return None
    return fm_to_external(y, "D")


_EXACT: dict[str, Transform] = {
    "S Y(0)=Y S Y=$$OUTTYPE^GMRAUTL(Y)": _allergy_type,
    'S Y(0)=Y S %H=+Y D YMD^%DTC S Y=X X ^DD("DD")': _horolog_date,
    'S Y(0)=Y I Y\'="" N DIERR D DT^DILF("",Y,.Y,"","DIERR") S Y=$$FMTE^XLFDT(Y,"D")': (
        _fmte_date_only
    ),
}

# S Y(0)=Y S Y="<Hidden>"  (a constant: NEW PERSON hides codes this way)
_CONSTANT = re.compile(r'(?:S Y\(0\)=Y )?S Y="((?:[^"]|"")*)"\Z')


def find_transform(code: str) -> Transform | None:
    """The Python equivalent of an output transform, or None when we do not know it."""
    code = code.strip()
    known = _EXACT.get(code)
    if known is not None:
        return known
    m = _CONSTANT.match(code)
    if m:
        text = m.group(1).replace('""', '"')
        return lambda _y, _f: text
    return None
