"""M literals from the wire, read without evaluating anything.

LINST^XWBPRS builds ``ARRAY(subscripts)`` by indirection from the text the client sent, and
GETV^XWBPRS evaluates a reference parameter.  The simulator accepts only pure literals (quoted
strings with doubled quotes, numeric literals: :func:`rpc.wire.parse_subscripts`) or a name
from a fixed set, and answers anything else with an M error as VistA's trap would send it.
"""

from __future__ import annotations

import re

from rpc.errors import ProtocolError
from rpc.simulator.handler import MError
from rpc.wire import parse_subscripts as wire_subscripts

_NAME = re.compile(r"%?[A-Za-z][A-Za-z0-9]*\Z")
_MAX_SUBSCRIPTS = 31
LINST = "LINST+3^XWBPRS"
GETV = "GETV+4^XWBPRS"


def undefined(place: str, name: str, last_ref: str = "") -> MError:
    """GT.M's error for an undefined local variable (what ``S V=@V`` raises for a name)."""
    return MError(
        place, f" Undefined local variable: {name}", "150373850", "%GTM-E-UNDEF", last_ref
    )


def not_literal(place: str, last_ref: str = "") -> MError:
    """The refusal for text that is an expression, not a literal: it is never evaluated."""
    return MError(place, " Expression is not a literal", "150372778", "%GTM-E-EXPR", last_ref)


def parse_subscripts(text: str) -> tuple[str, ...]:
    """The subscripts of ``"A",1`` as LINST^XWBPRS would set them, without indirection."""
    try:
        subs = wire_subscripts(text)
    except ProtocolError:
        raise not_literal(LINST) from None
    if len(subs) > _MAX_SUBSCRIPTS:
        raise not_literal(LINST)
    if "" in subs:
        raise MError(
            LINST,
            " Null subscripts are not allowed for local variables",
            "150372994",
            "%GTM-E-LVNULLSUBS",
        )
    return subs


def literal_value(text: str) -> str | None:
    """The value of one string or numeric literal (GETV's quoted case), or None."""
    try:
        subs = wire_subscripts(text)
    except ProtocolError:
        return None
    return subs[0] if len(subs) == 1 else None


def is_plain_name(text: str) -> bool:
    """True for a bare local variable name (no subscripts, no code)."""
    return bool(_NAME.match(text))
