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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from globals_map.store import GlobalStore, normalize_name
from parsers.errors import ParseError
from parsers.zwr import format_zwr_node, iter_zwr_tuples, open_zwr

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: Nodes per bulk read while exporting (bounds memory on big globals).
EXPORT_CHUNK = 10_000
#: How often (in lines or nodes) a progress callback hears from a load or an export.
PROGRESS_EVERY = 10_000


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
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load a ZWR export (a path, or an iterable of lines) into ``store``.

    A ``str`` is a path; pass text as ``text.splitlines()``.  Atomic unless ``lenient``:
    raises the first :class:`ParseError` and writes nothing.  A file without the two header
    lines is refused in both modes.  Either way the file is parsed completely before one
    ``set_many`` writes it.  ``progress(lines_read)`` is called every ``PROGRESS_EVERY``
    lines and once at the end (for progress bars).
    """
    lines, name = _lines_and_source(path_or_lines, source)
    if progress is not None:
        lines = _counted(lines, progress)
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
    errors = report.skipped if lenient else None
    items = [(n, s, v) for n, s, v, _line in iter_zwr_tuples(lines, name, errors)]
    report.loaded = store.set_many(items)
    return report


def _counted(lines: Iterable[str], progress: Callable[[int], None]) -> Iterator[str]:
    """``lines`` unchanged, calling ``progress(lines so far)`` every PROGRESS_EVERY lines and
    at the end (once per count)."""
    count = 0
    for count, line in enumerate(lines, 1):
        if count % PROGRESS_EVERY == 0:
            progress(count)
        yield line
    if count % PROGRESS_EVERY or not count:
        progress(count)


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
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``names`` (default: every global) to ``path`` as ZWR; returns the node count.

    ``progress(nodes_written)`` is called every ``PROGRESS_EVERY`` nodes and at the end.
    """
    count = -2
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
        for line in iter_zwr_lines(store, names, title=title):
            fh.write(line)
            fh.write("\n")
            count += 1
            if progress is not None and count > 0 and count % PROGRESS_EVERY == 0:
                progress(count)
    if progress is not None and (count % PROGRESS_EVERY or count <= 0):
        progress(max(count, 0))
    return count
