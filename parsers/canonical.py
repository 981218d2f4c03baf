"""M canonical numbers: which strings GT.M treats as numbers when used as subscripts.

A subscript is numeric only when its string form is canonical (see ../shared/notes/
gtm-from-python.md): optional ``-``, no ``+``, no leading zeros (``.5`` not ``0.5``), no
trailing fraction zeros or trailing ``.``, no exponent, not ``-0``, at most 18 significant
digits, and 0 or 1E-43 <= |x| < 1E47.  Everything else is a string and collates after every
number.
"""

from __future__ import annotations

import re
from decimal import Decimal

_CANONICAL = re.compile(r"-?(?:[1-9][0-9]*(?:\.[0-9]*[1-9])?|\.[0-9]*[1-9])\Z|0\Z")
_MAX_DIGITS = 18


def is_canonical_number(s: str) -> bool:
    """True when ``s`` is an M canonical number that GT.M stores as a numeric subscript."""
    if not s or len(s) > 64 or _CANONICAL.match(s) is None:
        return False
    if len(s) <= _MAX_DIGITS:  # <= 18 digits and |x| >= 1E-17: no need to count or compare
        return True
    digits = s.lstrip("-").replace(".", "").strip("0")
    if len(digits) > _MAX_DIGITS:
        return False
    mag = abs(Decimal(s))
    return Decimal("1E-43") <= mag < Decimal("1E47")


def canonical_number(value: int | Decimal | float | str) -> str:
    """The canonical M string form of a number (``0.5`` -> ``.5``, ``1E3`` -> ``1000``).

    Raises ``ValueError`` for values that are not finite numbers or lie outside M's range
    (|x| >= 1E47: GT.M's numeric overflow); below 1E-43 M holds zero, and so do we.  The
    bounds also keep a hostile ``1E99999999`` from becoming a huge string.
    """
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError:  # decimal.InvalidOperation is not a ValueError
        raise ValueError(f"not a number: {value!r}") from None
    if not dec.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if dec == 0 or dec.adjusted() < -43:
        return "0"
    if dec.adjusted() >= 47:
        raise ValueError("number outside M's range (|x| < 1E47)")
    text = format(dec.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return text
