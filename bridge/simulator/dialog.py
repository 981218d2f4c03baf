"""Texts from the DIALOG file (.84) the way $$EZBLD^DIALOG takes them.

EZBLD^DIALOG: no zero node -> ""; a user language above 1 takes the first line of that
language's text (^DI(.84,n,4,lang,1,...)); otherwise the first line of TEXT (^DI(.84,n,2,...)).
Parameter windows ``|NAME|`` are filled only when piece 3 of the zero node holds "y".
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge.simulator.context import Ctx
from bridge.simulator.mview import m_number, piece


def dialog_text(ctx: Ctx, number: str, params: Mapping[str, str] | None = None) -> str:
    """$$EZBLD^DIALOG(number,.params): one line of the dialog's text."""
    m = ctx.m
    zero = m.get("DI", ".84", number, 0)
    if not zero:
        return ""
    text = ""
    lang = int(m_number(ctx.var("LANG", "1")))
    if lang > 1:
        first = m.order("DI", ".84", number, 4, str(lang), 1, after="0")
        text = m.get("DI", ".84", number, 4, str(lang), 1, first, 0) if first else ""
    if not text:
        first = m.order("DI", ".84", number, 2, after="0")
        text = m.get("DI", ".84", number, 2, first, 0) if first else ""
    if "y" not in piece(zero, 3) or not text:
        return text
    return fill(text, params or {})


def fill(text: str, params: Mapping[str, str]) -> str:
    """PARAM^DIALOG: replace each ``|NAME|`` window with its parameter's value."""
    parts = text.split("|")
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1 and i < len(parts) - 1:
            out.append(params.get(part, ""))
        else:
            out.append(part)
    return "".join(out)
