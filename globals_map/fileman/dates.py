"""Which external date format a database uses, read from ``^DD("DD")``.

FileMan prints a date field by executing ``^DD("DD")`` (DATE^DIUTL).  We never execute it:
we recognise the forms FileMan itself installs and read the FMTE flags from them.  VA FileMan
22's init (EGP^DINIT11A) sets ``S Y=$$FMTE^DILIBF(Y,"5U")``; older sites carry an inline
expression that prints the same ``APR 15,2023@10:30`` shape, also format ``5U``.
"""

from __future__ import annotations

import re

from parsers.fmdate import DEFAULT_FORMAT

_FMTE = re.compile(r'S Y=\$\$FMTE\^(?:DILIBF|XLFDT)\(Y,"([0-9]?[A-Z]*)"\)\Z')


def date_format_from_dd(code: str | None) -> str:
    """The FMTE flags that ``^DD("DD")`` asks for; :data:`DEFAULT_FORMAT` when the code is
    absent or is not one of the recognised shapes (it is M code: data, never run)."""
    if not code:
        return DEFAULT_FORMAT
    m = _FMTE.match(code.strip())
    if m:
        return m.group(1) or "1"
    return DEFAULT_FORMAT
