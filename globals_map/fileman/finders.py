"""Finding entries the way FileMan's DBS calls do: LIST^DIC, FIND^DIC and $$FIND1^DIC.

- :meth:`Finder.list_entries` walks an index (``"B"`` by default) or the IENs in order, from
  a cursor (LIST^DIC's FROM, exclusive), keeping only values that start with ``part`` (PART), at
  most ``limit`` (MAX) entries, and says whether more remain (the ``MORE`` marker) with the cursor
  to resume from.
- :meth:`Finder.find` and :meth:`Finder.find1` look a value up in an index: exact with the
  ``X`` flag, otherwise every index value that starts with it (FIND^DIC), in index order; a
  value with lower-case letters that finds nothing is retried in upper case.  FIND1 answers
  None for no match and raises :class:`AmbiguousMatchError` (FileMan 299) for several.

Index values are read from the index nodes themselves (``^ROOT("B",value,ien)``), exactly as
FileMan walks them, so a dangling index entry is listed as FileMan lists it.  Screens are
Python callables (``screen(ien) -> bool``); we never run M screens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from globals_map.fileman.decoder import Decoder, entry_location
from globals_map.fileman.errors import AmbiguousMatchError, FileManError, LookupValueError
from globals_map.fileman.records import Record
from globals_map.fileman.schema import Schema, file_number
from globals_map.store import iter_subscripts
from parsers.canonical import is_canonical_number
from parsers.collation import subscript_key

__all__ = ["Finder", "ListEntry", "ListPage", "Screen"]

Screen = Callable[[str], bool]
#: LIST^DIC's XREF for "walk the IENs in order" (FileMan uses "#").
IEN_ORDER = "#"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed entry: its IEN and the index value it was found under (the IEN itself when
    walking in IEN order)."""

    ien: str
    value: str


@dataclass(slots=True)
class ListPage:
    """A page of a listing: ``more`` is LIST^DIC's more marker; when set, ``next_from`` (and
    ``next_from_ien`` when entries share the last value) resume the walk."""

    entries: list[ListEntry] = field(default_factory=list)
    more: bool = False
    next_from: str | None = None
    next_from_ien: str | None = None

    @property
    def iens(self) -> list[str]:
        return [e.ien for e in self.entries]


class Finder:
    """Lookups over one schema's files.  ``decoder`` is used by :meth:`get`."""

    def __init__(self, schema: Schema, decoder: Decoder | None = None) -> None:
        self.schema = schema
        self.decoder = decoder or Decoder(schema)

    # ---- by IEN --------------------------------------------------------------------
    def get(self, file: str | float, iens: str | int, fields: list[str] | None = None) -> Record:
        """The decoded entry (:class:`NoSuchEntryError` when absent)."""
        return self.decoder.decode(file, iens, fields)

    def exists(self, file: str | float, iens: str | int) -> bool:
        return self.decoder.exists(file, iens)

    # ---- LIST^DIC ------------------------------------------------------------------
    def list_entries(
        self,
        file: str | float,
        *,
        index: str = "B",
        start: str | None = None,
        start_ien: str | None = None,
        part: str = "",
        limit: int | None = None,
        reverse: bool = False,
        parent_iens: str = "",
        screen: Screen | None = None,
    ) -> ListPage:
        """List entries in index order (or IEN order with ``index="#"``).

        ``start`` is LIST^DIC's FROM: the walk begins *after* it (after ``start_ien`` within
        that value when given).  ``part`` keeps values that start with it; ``limit`` caps the
        page (None = all).  ``parent_iens`` locates a subfile's entries (``"3,"``).
        """
        if limit is not None and limit < 0:
            raise FileManError("limit must be >= 0", file=str(file))
        page = ListPage()
        walk = self._walk(file_number(file), index, start, start_ien, part, reverse, parent_iens)
        for entry in walk:
            if screen is not None and not screen(entry.ien):
                continue
            if limit is not None and len(page.entries) >= limit:
                last = page.entries[-1] if page.entries else None
                page.more = True
                if last is not None:
                    page.next_from = last.value
                    if index != IEN_ORDER and entry.value == last.value:
                        page.next_from_ien = last.ien
                break
            page.entries.append(entry)
        return page

    # ---- FIND^DIC / $$FIND1^DIC -----------------------------------------------------
    def find(
        self,
        file: str | float,
        value: str,
        *,
        index: str = "B",
        exact: bool = False,
        limit: int | None = None,
        parent_iens: str = "",
        screen: Screen | None = None,
    ) -> ListPage:
        """Entries whose index value equals ``value`` (``exact``, flag X) or starts with it."""
        fnum = file_number(file)
        if value in ("", "^"):  # BADVAL^DICF: nothing to look up, not an error
            return ListPage()
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise LookupValueError("The input value contains control characters.", file=fnum)
        matches = self._matches(fnum, value, index, exact, parent_iens)
        if not matches and value != value.upper():
            matches = self._matches(fnum, value.upper(), index, exact, parent_iens)
        page = ListPage()
        seen: set[str] = set()
        for entry in matches:
            if entry.ien in seen or (screen is not None and not screen(entry.ien)):
                continue
            if limit is not None and len(page.entries) >= limit:
                page.more = True
                break
            seen.add(entry.ien)
            page.entries.append(entry)
        return page

    def find1(
        self,
        file: str | float,
        value: str,
        *,
        index: str = "B",
        exact: bool = False,
        parent_iens: str = "",
        screen: Screen | None = None,
    ) -> str | None:
        """The one matching IEN, None when nothing matches; :class:`AmbiguousMatchError`
        (FileMan 299) when several do."""
        page = self.find(
            file, value, index=index, exact=exact, parent_iens=parent_iens, screen=screen
        )
        if not page.entries:
            return None
        if len(page.entries) > 1:
            raise AmbiguousMatchError(
                "More than one entry matches the lookup value.",
                file=file_number(file),
                value=value,
                iens=page.iens,
            )
        return page.entries[0].ien

    # ---- walking -------------------------------------------------------------------
    def file_root(self, file: str, parent_iens: str = "") -> tuple[str, tuple[str, ...]]:
        """Global name and subscripts under which the file's entries (and indexes) live."""
        fdef = self.schema.file(file)
        if fdef.parent is None:
            if fdef.global_root is None:
                raise FileManError('file has no global root (^DIC(file,0,"GL"))', file=file)
            return fdef.global_root.name, fdef.global_root.subscripts
        if not parent_iens:
            raise FileManError("a subfile listing needs the parent entry's IENS", file=file)
        pdef = self.schema.file(fdef.parent)
        holder = pdef.fields.get(fdef.parent_field or "")
        if holder is None or holder.storage is None:
            raise FileManError("subfile is not held by a field of its parent", file=file)
        name, subs = entry_location(self.schema, pdef.number, parent_iens)
        return name, (*subs, holder.storage.node)

    def _check_index(self, file: str, index: str, name: str, root: tuple[str, ...]) -> None:
        """An index must be one the dictionary names or one that holds nodes; anything else
        is FileMan's 202 (the parameter that identifies the index is invalid)."""
        if index == IEN_ORDER or index in self.schema.file(file).indexes:
            return
        if (
            not index
            or is_canonical_number(index)
            or self.schema.store.data(name, (*root, index)) == 0
        ):
            raise FileManError(f"no index {index!r} on this file", file=file)

    def _walk(
        self,
        file: str,
        index: str,
        start: str | None,
        start_ien: str | None,
        part: str,
        reverse: bool,
        parent_iens: str,
    ) -> Iterator[ListEntry]:
        name, root = self.file_root(file, parent_iens)
        store = self.schema.store
        self._check_index(file, index, name, root)
        if index == IEN_ORDER:
            cur = start or None
            while True:
                cur = (store.prev_subscript if reverse else store.next_subscript)(name, root, cur)
                if cur is None or not is_canonical_number(cur) or cur.startswith("-"):
                    if reverse and cur is not None:
                        continue  # strings sort after numbers: skip them walking backwards
                    return
                if cur == "0":
                    if reverse:
                        return
                    continue
                if part and not cur.startswith(part):
                    continue
                yield ListEntry(cur, cur)
        ixroot = (*root, index)
        step = store.prev_subscript if reverse else store.next_subscript
        value: str | None = start or None
        if part and not reverse and (value is None or subscript_key(value) < subscript_key(part)):
            value = store.prev_subscript(name, ixroot, part)  # $O(^X(PART),-1): begin at PART
            start_ien = None
        if value is not None and start_ien and is_canonical_number(start_ien):
            # resume inside the FROM value, after FROM("IEN")
            mark = Decimal(start_ien)
            for ien in iter_subscripts(store, name, (*ixroot, value), reverse=reverse):
                if not is_canonical_number(ien) or (part and not value.startswith(part)):
                    continue
                if (Decimal(ien) < mark) if reverse else (Decimal(ien) > mark):
                    yield ListEntry(ien, value)
        while True:
            value = step(name, ixroot, value)
            if value is None:
                return
            if part and not value.startswith(part):
                past = (
                    subscript_key(value) < subscript_key(part)
                    if reverse
                    else (subscript_key(value) > subscript_key(part))
                )
                if past:
                    return
                continue
            for ien in iter_subscripts(store, name, (*ixroot, value), reverse=reverse):
                yield ListEntry(ien, value)

    def _matches(
        self, file: str, value: str, index: str, exact: bool, parent_iens: str
    ) -> list[ListEntry]:
        if value == "":
            return []
        name, root = self.file_root(file, parent_iens)
        store = self.schema.store
        self._check_index(file, index, name, root)
        ixroot = (*root, index)
        if exact:
            if store.data(name, (*ixroot, value)) == 0 and len(value) > 30:
                value = value[:30]  # traditional indexes hold $E(X,1,30)
            return [ListEntry(i, value) for i in iter_subscripts(store, name, (*ixroot, value))]
        return list(self._walk(file, index, None, None, value, False, parent_iens))
