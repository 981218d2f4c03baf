"""The embedded backend: globals held in memory, ordered as GT.M orders them.

Each global is a :class:`sortedcontainers.SortedDict` keyed by the node's byte collation key
(:func:`parsers.collation.node_bytes`: one ``bytes`` per node, compared by memcmp, in GT.M's
order), holding the node's subscripts and value.  A parent's key prefixes its descendants'
keys, so a subtree is a contiguous run and ``$DATA``, ``$ORDER``, ``$QUERY`` and bulk reads
are bisections plus slices.  One re-entrant lock makes every call atomic across threads; a
transaction holds it for its whole block (serializable, like TP) and keeps an undo log.

Every write also bumps a per-global modification counter (:meth:`MemoryStore.generation`), so
a reader that keeps something derived from a global can tell cheaply whether it is still
current.  It is an extension of this backend, not part of the GlobalStore contract.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sortedcontainers import SortedDict

from globals_map.locktable import LockTimeoutError as LockTimeoutError  # re-exported
from globals_map.locktable import ThreadLockTable
from globals_map.store import (
    MAX_VALUE_BYTES,
    NodeItem,
    Subscript,
    Subscripts,
    check_value,
    normalize_name,
    normalize_subscript,
    normalize_subscripts,
)
from globals_map.undo_log import UndoLog
from parsers.collation import BYTES_AFTER_ALL, node_bytes, subscript_bytes

NodeKey = bytes

_Entry = tuple[Subscripts, str]
#: Values longer than this many characters may exceed 1 MiB once encoded: check them fully.
_LONG_VALUE = MAX_VALUE_BYTES // 4
_UndoRecord = tuple[str, NodeKey, _Entry | None]


def _keyed(subs: Sequence[Subscript]) -> tuple[Subscripts, NodeKey]:
    """Normalized subscripts and their collation key; plain tuples of non-empty strings (what
    parsers produce) skip the per-subscript normalization."""
    if type(subs) is tuple and "" not in subs:
        try:
            return subs, b"".join(map(subscript_bytes, subs))
        except TypeError:  # not all str: normalize below (ints, Decimals) or refuse
            pass
    nsubs = normalize_subscripts(subs)
    return nsubs, node_bytes(nsubs)


def _sub_bytes(sub: Subscript) -> bytes:
    return subscript_bytes(normalize_subscript(sub))


def _child_at(tree: SortedDict, idx: int, pkey: NodeKey, depth: int) -> str | None:
    """The subscript at ``depth`` of the node at ``idx``, when that node lies strictly below
    the parent keyed ``pkey`` ($ORDER's answer in either direction); else None."""
    if idx < 0 or idx >= len(tree):
        return None
    key, (subs, _value) = tree.peekitem(idx)
    if len(key) > len(pkey) and key.startswith(pkey):
        child: str = subs[depth]
        return child
    return None


class MemoryStore(UndoLog[_UndoRecord]):
    """GlobalStore held in process memory (the embedded default and the demo's home)."""

    backend = "memory"

    def __init__(self) -> None:
        self._globals: dict[str, SortedDict] = {}
        self._mutex = threading.RLock()
        self._undo: list[_UndoRecord] | None = None
        self._marks: list[int] = []
        self._locks = ThreadLockTable()
        #: Writes so far, per global and in all (see :meth:`generation`).
        self._gens: dict[str, int] = {}
        self._total = 0

    # -- helpers -------------------------------------------------------------------------
    def _tree(self, name: str) -> SortedDict | None:
        return self._globals.get(normalize_name(name))

    def _remember(self, name: str, key: NodeKey, old: _Entry | None) -> None:
        if self._undo is not None:
            self._undo.append((name, key, old))

    def _touch(self, gname: str) -> None:
        """Count a write to ``gname`` (called with the mutex held, before the change)."""
        self._gens[gname] = self._gens.get(gname, 0) + 1
        self._total += 1

    def generation(self, name: str | None = None) -> int:
        """A counter that grows with every write (set, kill, rollback) to global ``name``, or
        to any global when ``name`` is None; it never goes back, so an equal number means no
        write happened in between.  Cheap: for callers that cache what they derived from a
        global (the broker simulator) and must notice the store change under them."""
        if name is None:
            return self._total
        count = self._gens.get(name)
        return count if count is not None else self._gens.get(normalize_name(name), 0)

    # -- reads ---------------------------------------------------------------------------
    def get(self, name: str, subs: Sequence[Subscript] = ()) -> str | None:
        key = _keyed(subs)[1]
        with self._mutex:
            tree = self._tree(name)
            if tree is None:
                return None
            entry = tree.get(key)
            return None if entry is None else entry[1]

    def data(self, name: str, subs: Sequence[Subscript] = ()) -> int:
        key = _keyed(subs)[1]
        with self._mutex:
            tree = self._tree(name)
            if tree is None:
                return 0
            has_value = key in tree
            idx = tree.bisect_right(key)
            has_children = False
            if idx < len(tree):
                nxt: bytes = tree.peekitem(idx)[0]
                has_children = nxt.startswith(key)  # after ``key``, so strictly below it
            return (10 if has_children else 0) + (1 if has_value else 0)

    def next_subscript(
        self, name: str, parent: Sequence[Subscript], after: str | None = None
    ) -> str | None:
        psubs, pkey = _keyed(parent)
        depth = len(psubs)
        with self._mutex:
            tree = self._tree(name)
            if tree is None:
                return None
            if after:
                idx = tree.bisect_right(pkey + _sub_bytes(after) + BYTES_AFTER_ALL)
            else:
                idx = tree.bisect_right(pkey)
            return _child_at(tree, idx, pkey, depth)

    def prev_subscript(
        self, name: str, parent: Sequence[Subscript], before: str | None = None
    ) -> str | None:
        psubs, pkey = _keyed(parent)
        depth = len(psubs)
        with self._mutex:
            tree = self._tree(name)
            if tree is None:
                return None
            bound = pkey + (_sub_bytes(before) if before else BYTES_AFTER_ALL)
            return _child_at(tree, tree.bisect_left(bound) - 1, pkey, depth)

    def next_node(self, name: str, subs: Sequence[Subscript] = ()) -> Subscripts | None:
        key = _keyed(subs)[1]
        with self._mutex:
            tree = self._tree(name)
            if tree is None:
                return None
            idx = tree.bisect_right(key)
            if idx >= len(tree):
                return None
            nsubs: Subscripts = tree.peekitem(idx)[1][0]
            return nsubs

    def read_subtree(
        self,
        name: str,
        subs: Sequence[Subscript] = (),
        *,
        after: Sequence[Subscript] | None = None,
        limit: int | None = None,
    ) -> list[NodeItem]:
        key = _keyed(subs)[1]
        with self._mutex:
            tree = self._tree(name)
            if tree is None:
                return []
            start = tree.bisect_left(key)
            if after is not None:
                start = max(start, tree.bisect_right(_keyed(after)[1]))
            end = tree.bisect_left(key + BYTES_AFTER_ALL)
            if limit is not None:
                end = min(end, start + max(limit, 0))
            if start >= end:
                return []
            values = tree.values()
            return list(values[start:end])

    def global_names(self) -> list[str]:
        with self._mutex:
            names = [n for n, t in self._globals.items() if len(t)]
        return sorted(names, key=lambda n: n.encode())

    def iter_global(self, name: str) -> Iterator[NodeItem]:
        """Every node of one global, in order (a snapshot: safe against later writes)."""
        yield from self.read_subtree(name)

    # -- writes --------------------------------------------------------------------------
    def set(self, name: str, subs: Sequence[Subscript], value: str) -> None:
        gname = normalize_name(name)
        nsubs, key = _keyed(subs)
        check_value(value)
        with self._mutex:
            tree = self._globals.get(gname)
            if tree is None:
                tree = self._globals[gname] = SortedDict()
            self._touch(gname)
            if self._undo is not None:
                self._remember(gname, key, tree.get(key))
            tree[key] = (nsubs, value)

    def set_many(self, items: Iterable[tuple[str, Sequence[Subscript], str]]) -> int:
        """Set many nodes at once: the bulk path (ZWR loads, demo data).

        Same checks and result as calling :meth:`set` for each item, in order (a later item
        for the same node wins); items are validated and keyed first, then merged into each
        global's tree in one sorted update instead of one insertion per node.  Nothing is
        written when an item is invalid.
        """
        pending: dict[str, dict[NodeKey, _Entry]] = {}
        last_name: object = None
        batch: dict[NodeKey, _Entry] = {}
        key_of = subscript_bytes
        count = 0
        for name, subs, value in items:  # the hot loop of every bulk load: kept flat
            if name != last_name or type(name) is not str:
                batch = pending.setdefault(normalize_name(name), {})
                last_name = name
            if type(subs) is tuple and "" not in subs:
                try:
                    key = b"".join(map(key_of, subs))
                except TypeError:  # not all str: normalize (ints, Decimals) or refuse
                    subs, key = _keyed(list(subs))
            else:
                subs, key = _keyed(subs)
            if type(value) is not str or len(value) > _LONG_VALUE:
                check_value(value)
            batch[key] = (subs, value)
            count += 1
        with self._mutex:
            for gname, batch in pending.items():
                tree = self._globals.get(gname)
                if tree is None:
                    tree = self._globals[gname] = SortedDict()
                self._touch(gname)
                if self._undo is not None:
                    get = tree.get
                    self._undo.extend((gname, key, get(key)) for key in batch)
                tree.update(batch)
        return count

    def kill(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        gname = normalize_name(name)
        key = _keyed(subs)[1]
        with self._mutex:
            tree = self._globals.get(gname)
            if tree is None:
                return
            start = tree.bisect_left(key)
            end = tree.bisect_left(key + BYTES_AFTER_ALL)
            doomed = list(tree.keys()[start:end])
            if doomed:
                self._touch(gname)
            for k in doomed:
                old = tree.pop(k)
                self._remember(gname, k, old)
            if not tree:
                del self._globals[gname]

    def kill_node(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        gname = normalize_name(name)
        key = _keyed(subs)[1]
        with self._mutex:
            tree = self._globals.get(gname)
            if tree is None or key not in tree:
                return
            self._touch(gname)
            self._remember(gname, key, tree.pop(key))
            if not tree:
                del self._globals[gname]

    # -- transactions (globals_map.undo_log) and locks ---------------------------------------
    def _undo_step(self, record: _UndoRecord) -> None:
        gname, key, old = record
        self._touch(gname)
        tree = self._globals.setdefault(gname, SortedDict())
        if old is None:
            tree.pop(key, None)
        else:
            tree[key] = old
        if not tree:
            del self._globals[gname]

    @contextmanager
    def lock(
        self, name: str, subs: Sequence[Subscript] = (), timeout: float = 10.0
    ) -> Iterator[None]:
        """Incremental LOCK on a node for this thread (globals_map.locktable)."""
        target = (b"^" + normalize_name(name).encode(), _keyed(subs)[1])
        self._locks.acquire(target, time.monotonic() + max(timeout, 0.0), timeout)
        try:
            yield
        finally:
            self._locks.release(target)

    def close(self) -> None:
        with self._mutex:
            for gname in self._globals:
                self._touch(gname)
            self._globals.clear()

    def node_count(self) -> int:
        """How many nodes hold a value, over every global."""
        with self._mutex:
            return sum(len(t) for t in self._globals.values())
