"""ZWR import into and export from any GlobalStore.

Import is atomic by default: the whole file is parsed before anything is written, so one bad
line leaves the store untouched.  ``lenient=True`` loads every good line and reports each
skipped one with its :class:`~parsers.errors.ParseError` (file, line, column, text).
Export writes what ``mupip extract -format=zwr`` writes (a title line, then
``DD-MON-YYYY  HH:MM:SS ZWR``, then one node per line in M order) so ``mupip load`` reads it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from globals_map.store import GlobalStore, Subscript, normalize_name
from parsers.errors import ParseError
from parsers.zwr import format_zwr_node, iter_zwr_tuples, open_zwr

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: Nodes per bulk read while exporting (bounds memory on big globals).
EXPORT_CHUNK = 10_000
#: Nodes per set_many call while loading (lenient loads stream in chunks of this size).
LOAD_CHUNK = 100_000


@dataclass
class LoadReport:
    """What a load did: nodes written, and every skipped line (lenient mode) with its error."""

    source: str
    loaded: int = 0
    skipped: list[ParseError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no line was skipped."""
        return not self.skipped


def _lines_and_source(
    path_or_lines: str | os.PathLike[str] | Iterable[str], source: str | None
) -> tuple[Iterable[str], str]:
    if isinstance(path_or_lines, (str, os.PathLike)):
        path = Path(path_or_lines)
        return open_zwr(path), source or str(path)
    return path_or_lines, source or "<lines>"


def load_zwr(
    store: GlobalStore,
    path_or_lines: str | os.PathLike[str] | Iterable[str],
    *,
    lenient: bool = False,
    source: str | None = None,
) -> LoadReport:
    """Load a ZWR export (a path, or an iterable of lines) into ``store``.

    A ``str`` is a path; pass text as ``text.splitlines()``.  Atomic unless ``lenient``:
    raises the first :class:`ParseError` and writes nothing.  A file without the two header
    lines is refused in both modes.
    """
    lines, name = _lines_and_source(path_or_lines, source)
    with _no_gc_pauses():
        return _load(store, lines, name, lenient)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Suspend the cyclic GC while a load allocates millions of tuples: they hold no cycles,
    and generation-2 passes over a growing heap would otherwise dominate a large load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(store: GlobalStore, lines: Iterable[str], name: str, lenient: bool) -> LoadReport:
    report = LoadReport(source=name)
    if not lenient:
        items = [(n, s, v) for n, s, v, _line in iter_zwr_tuples(lines, name)]
        report.loaded = store.set_many(items)
        return report
    batch: list[tuple[str, Sequence[Subscript], str]] = []
    for n, s, v, _line in iter_zwr_tuples(lines, name, errors=report.skipped):
        batch.append((n, s, v))
        if len(batch) >= LOAD_CHUNK:
            report.loaded += store.set_many(batch)
            batch = []
    if batch:
        report.loaded += store.set_many(batch)
    return report


def zwr_header_date(when: datetime | None = None) -> str:
    """GT.M's second header line: ``27-NOV-2026  01:02:03 ZWR``."""
    when = when or datetime.now()
    return f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year:04d}  {when:%H:%M:%S} ZWR"


def iter_zwr_lines(
    store: GlobalStore,
    names: Iterable[str] | None = None,
    *,
    title: str = "vista-bridge ZWR export",
    when: datetime | None = None,
) -> Iterator[str]:
    """The lines (without newlines) of a ZWR export of ``names`` (default: every global)."""
    if "\n" in title or "\r" in title:
        raise ValueError("a ZWR title is one line")
    yield title
    yield zwr_header_date(when)
    chosen = store.global_names() if names is None else [normalize_name(n) for n in names]
    for gname in chosen:
        after: tuple[str, ...] | None = None
        while True:
            chunk = store.read_subtree(gname, (), after=after, limit=EXPORT_CHUNK)
            for subs, value in chunk:
                yield format_zwr_node(gname, subs, value)
            if len(chunk) < EXPORT_CHUNK:
                break
            after = chunk[-1][0]


def export_zwr(
    store: GlobalStore,
    path: str | os.PathLike[str],
    names: Iterable[str] | None = None,
    title: str = "vista-bridge ZWR export",
) -> int:
    """Write ``names`` (default: every global) to ``path`` as ZWR; returns the node count."""
    count = -2
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
        for line in iter_zwr_lines(store, names, title=title):
            fh.write(line)
            fh.write("\n")
            count += 1
    return count
