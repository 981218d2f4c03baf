"""Values the handlers derive from the store, kept while the globals they came from are unchanged.

VistA reads its globals on every call; so does the simulator, except where it keeps what it
derived (a parsed RPC entry, a permission verdict, a patient's allergy rows) together with the
store's write counters at the time (``MemoryStore.generation``).  A kept value is used only
while every counter it was stamped with is the same, so any SET or KILL of those globals (a
test editing an allergy, a dialog, a menu) is seen by the very next call.  A store without
such counters (GT.M, YottaDB: other processes write too) keeps nothing: every call reads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from globals_map.store import GlobalStore

T = TypeVar("T")

#: Stamp with the store-wide counter (any write anywhere), for values whose reads go through
#: layers (FileMan pointers, dictionaries) whose globals are not known in advance.
ANY_GLOBAL: tuple[str, ...] = ()


class Derived:
    """A bounded map of derived values, each valid while its stamp is current."""

    def __init__(self, store: GlobalStore, max_entries: int = 4096) -> None:
        counter = getattr(store, "generation", None)
        self._counter: Callable[..., int] | None = counter if callable(counter) else None
        self._max = max_entries
        self._entries: dict[Hashable, tuple[tuple[int, ...], object, object]] = {}

    @property
    def enabled(self) -> bool:
        """Whether the store can tell writes apart (else nothing is kept)."""
        return self._counter is not None

    def stamp(self, names: tuple[str, ...]) -> tuple[int, ...] | None:
        """The write counters of ``names`` now (ANY_GLOBAL: the store-wide one)."""
        counter = self._counter
        if counter is None:
            return None
        if not names:
            return (counter(),)
        return tuple(map(counter, names))

    def get(
        self,
        key: Hashable,
        names: tuple[str, ...],
        compute: Callable[[], T],
        owner: object = None,
    ) -> T:
        """``compute()``'s value for ``key``, computed again unless the globals ``names`` have
        not been written since it was kept and ``owner`` (e.g. the Schema it used) is the
        same object.  The stamp is taken before computing, so a write racing the computation
        makes the kept value stale at once rather than current."""
        stamp = self.stamp(names)
        if stamp is None:
            return compute()
        kept = self._entries.get(key)
        if kept is not None and kept[0] == stamp and kept[2] is owner:
            return cast(T, kept[1])
        value = compute()
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (stamp, value, owner)
        return value

    def clear(self) -> None:
        self._entries.clear()
