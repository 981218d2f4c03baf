"""The GlobalStore contract: one protocol that every backend (memory, GT.M, YottaDB) honours.

A node is addressed by a global name (``"^DPT"`` or ``"DPT"``; stored without the caret) and a
tuple of subscripts.  Subscripts and values are M strings held as Python ``str`` (UTF-8 with
``surrogateescape``, so any byte string round-trips); ints and Decimals given as subscripts are
turned into their canonical M form.  Order is GT.M's (see :mod:`parsers.collation`).

Every backend passes ``tests/globals_map/test_contract.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Protocol, runtime_checkable

from globals_map.errors import InvalidNameError, InvalidSubscriptError
from parsers.canonical import canonical_number

Subscript = str | int | Decimal
Subscripts = tuple[str, ...]
#: One node of a bulk read: its absolute subscripts and its value.
NodeItem = tuple[Subscripts, str]

_NAME = re.compile(r"\^?((?:%|[A-Za-z])[A-Za-z0-9]{0,30})\Z")
MAX_VALUE_BYTES = 1 << 20


def normalize_name(name: str) -> str:
    """A global name without its caret, validated; raises :class:`InvalidNameError`."""
    if not isinstance(name, str):
        raise InvalidNameError(f"global name must be a string, not {type(name).__name__}")
    m = _NAME.match(name)
    if m is None:
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise InvalidNameError(
            f"invalid global name {shown!r}: expected ^ then % or a letter, then letters or "
            "digits (31 characters at most)"
        )
    return m.group(1)


def normalize_subscript(sub: Subscript) -> str:
    """One subscript as an M string; raises :class:`InvalidSubscriptError` when unusable."""
    if isinstance(sub, str):
        if sub == "":
            raise InvalidSubscriptError(
                'empty-string subscript: M does not store nodes under "" (use $ORDER semantics '
                "through next_subscript instead)"
            )
        return sub
    if isinstance(sub, bool):
        raise InvalidSubscriptError("a boolean is not a subscript")
    if isinstance(sub, (int, Decimal)):
        try:
            return canonical_number(sub)
        except ValueError as exc:
            raise InvalidSubscriptError(str(exc)) from None
    raise InvalidSubscriptError(f"subscript must be str, int or Decimal, not {type(sub).__name__}")


def normalize_subscripts(subs: Sequence[Subscript]) -> Subscripts:
    """All subscripts of a node, normalized (a tuple of non-empty strings)."""
    if isinstance(subs, str):
        raise InvalidSubscriptError("subscripts must be a sequence, not a single string")
    return tuple(normalize_subscript(s) for s in subs)


def check_value(value: str) -> str:
    """A value to store: must be a ``str`` of at most 1 MiB once encoded."""
    if not isinstance(value, str):
        raise InvalidSubscriptError(f"value must be a str, not {type(value).__name__}")
    if len(value) > MAX_VALUE_BYTES // 4 and len(value.encode("utf-8", "surrogateescape")) > (
        MAX_VALUE_BYTES
    ):
        raise InvalidSubscriptError("value longer than 1 MiB")
    return value


@runtime_checkable
class GlobalStore(Protocol):
    """What every backend offers.  Names may carry a caret; subscripts are normalized."""

    backend: str

    def get(self, name: str, subs: Sequence[Subscript] = ()) -> str | None:
        """The node's value, or None when the node has no value ($DATA 0 or 10)."""
        ...

    def set(self, name: str, subs: Sequence[Subscript], value: str) -> None:
        """Set one node's value."""
        ...

    def set_many(self, items: Iterable[tuple[str, Sequence[Subscript], str]]) -> int:
        """Set many nodes (name, subscripts, value); returns how many.  The bulk write path."""
        ...

    def kill(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        """KILL: remove the node and its whole subtree."""
        ...

    def kill_node(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        """ZKILL: remove the node's value, keep its descendants."""
        ...

    def data(self, name: str, subs: Sequence[Subscript] = ()) -> int:
        """$DATA: 0 nothing, 1 value only, 10 descendants only, 11 both."""
        ...

    def next_subscript(
        self, name: str, parent: Sequence[Subscript], after: str | None = None
    ) -> str | None:
        """$ORDER forward: the first child subscript of ``parent`` after ``after`` (None or ""
        for the first), or None at the end."""
        ...

    def prev_subscript(
        self, name: str, parent: Sequence[Subscript], before: str | None = None
    ) -> str | None:
        """$ORDER backward: the last child subscript before ``before`` (None or "" for the
        last), or None at the start."""
        ...

    def next_node(self, name: str, subs: Sequence[Subscript] = ()) -> Subscripts | None:
        """$QUERY within one global: the subscripts of the next node that has a value."""
        ...

    def read_subtree(
        self,
        name: str,
        subs: Sequence[Subscript] = (),
        *,
        after: Sequence[Subscript] | None = None,
        limit: int | None = None,
    ) -> list[NodeItem]:
        """Every node with a value in the subtree (the node itself included), in order.

        ``after`` (absolute subscripts inside the subtree) resumes a read; ``limit`` caps the
        count.  This is the fast path decoders use: one call, many nodes.
        """
        ...

    def global_names(self) -> list[str]:
        """Names (without caret) of every global that holds data, in M order."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        ...

    def lock(
        self, name: str, subs: Sequence[Subscript] = (), timeout: float = 10.0
    ) -> AbstractContextManager[None]:
        """An incremental M LOCK on a node, released when the block ends."""
        ...

    def close(self) -> None:
        """Release the backend's resources; further calls may fail."""
        ...


def iter_subscripts(
    store: GlobalStore, name: str, parent: Sequence[Subscript] = (), *, reverse: bool = False
) -> Iterator[str]:
    """Iterate the child subscripts of ``parent`` in M order (or reverse)."""
    cur: str | None = None
    step = store.prev_subscript if reverse else store.next_subscript
    while True:
        cur = step(name, parent, cur)
        if cur is None:
            return
        yield cur
