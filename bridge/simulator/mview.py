"""M-flavoured reads over a GlobalStore: $G, $P, $O and FileMan dates, for the RPC handlers.

The handlers follow VistA routines line by line; these helpers keep that code close to the M it
mirrors without building any M code.  Every read goes through the store, so a test that changes
a node sees the answer change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache

from globals_map.store import GlobalStore, Subscript
from parsers.canonical import canonical_number, is_canonical_number

Clock = Callable[[], datetime]


def piece(text: str, n: int, delim: str = "^") -> str:
    """$P(text,delim,n) (1-based); "" past the end."""
    parts = text.split(delim)
    return parts[n - 1] if 0 < n <= len(parts) else ""


def set_piece(text: str, n: int, value: str, delim: str = "^") -> str:
    """S $P(text,delim,n)=value, padding with delimiters as M does."""
    parts = text.split(delim)
    while len(parts) < n:
        parts.append("")
    parts[n - 1] = value
    return delim.join(parts)


_NUMERIC_PREFIX = re.compile(r"[+-]*(\d+\.?\d*|\.\d+)(E[+-]?\d+)?")


def m_number(text: str) -> float:
    """M's unary + on a string: the leading numeric part, else 0."""
    if text.isdigit() and text.isascii():  # the common case: an entry number, a flag
        return float(text)
    found = _NUMERIC_PREFIX.match(text)
    if found is None:
        return 0.0
    value = float(found.group(1) + (found.group(2) or ""))
    return -value if found.group(0)[: found.start(1)].count("-") % 2 else value


def truthy(text: str) -> bool:
    """M truth of a string ($S(text:...)): its numeric value is not 0."""
    return m_number(text) != 0


Sub = Subscript | float


@lru_cache(maxsize=1024)
def _float_text(value: float) -> str:
    return canonical_number(value)


def subs_of(subs: tuple[Sub, ...]) -> tuple[Subscript, ...]:
    """Subscripts as the store takes them (a float such as 8989.3 in its canonical form)."""
    out: list[Subscript] = []
    for s in subs:
        if type(s) is str:
            out.append(s)
        elif isinstance(s, float):
            out.append(_float_text(s))
        elif isinstance(s, int):
            out.append(str(s))
        else:
            out.append(s)
    return tuple(out)


class MView:
    """$G / $D / $O, SET and KILL over one store."""

    def __init__(self, store: GlobalStore) -> None:
        self.store = store

    def get(self, name: str, *subs: Sub) -> str:
        """$G(^name(subs)): "" when the node has no value."""
        value = self.store.get(name, subs_of(subs))
        return "" if value is None else value

    def set(self, name: str, *subs_value: Sub) -> None:
        """S ^name(subs)=value (the last argument is the value)."""
        *subs, value = subs_value
        self.store.set(name, subs_of(tuple(subs)), str(value))

    def kill(self, name: str, *subs: Sub) -> None:
        """K ^name(subs)."""
        self.store.kill(name, subs_of(subs))

    def defined(self, name: str, *subs: Sub) -> int:
        """$D(^name(subs))."""
        return self.store.data(name, subs_of(subs))

    def order(self, name: str, *subs: Sub, after: str = "", reverse: bool = False) -> str:
        """$O(^name(subs,after)) (or backwards): "" at the end."""
        step = self.store.prev_subscript if reverse else self.store.next_subscript
        nxt = step(name, subs_of(subs), after or None)
        return "" if nxt is None else nxt

    def children(self, name: str, *subs: Sub, reverse: bool = False) -> Iterator[str]:
        """Every child subscript in $O order."""
        cur = ""
        while True:
            cur = self.order(name, *subs, after=cur, reverse=reverse)
            if not cur:
                return
            yield cur

    def numeric_children(self, name: str, *subs: Sub) -> Iterator[str]:
        """``F I=0:0 S I=$O(^X(I)) Q:I'>0``: the positive numeric subscripts, in order."""
        cur = "0"
        while True:
            cur = self.order(name, *subs, after=cur)
            if not cur or not is_canonical_number(cur) or float(cur) <= 0:
                return
            yield cur

    def first_ien(self, name: str, *subs: Sub) -> str:
        """``$O(^X(...,"B",value,0))``: the first positive entry number, or ""."""
        ien = self.order(name, *subs, after="0")
        return ien if ien and is_canonical_number(ien) and float(ien) > 0 else ""


def fm_date(moment: datetime) -> str:
    """DT: today's FileMan date (YYYMMDD)."""
    return str((moment.year - 1700) * 10000 + moment.month * 100 + moment.day)


def fm_now(moment: datetime) -> str:
    """$$NOW^XLFDT: FileMan date.time to the second, trailing zeros dropped (canonical)."""
    time = f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}".rstrip("0")
    return fm_date(moment) + ("." + time if time else "")


def horolog(moment: datetime) -> str:
    """$H: days since 1840-12-31, seconds since midnight."""
    days = (moment.date() - datetime(1840, 12, 31).date()).days
    return f"{days},{moment.hour * 3600 + moment.minute * 60 + moment.second}"
