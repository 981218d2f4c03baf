"""Internal to external values, field by field, as EXTERNAL^DIDU does it.

The rules (EXTERNAL^DIDU, FileMan 22): an output transform wins when there is one; a pointer
follows the chain to the target's .01 and formats that (so a pointer to a file whose .01 is a
date prints the date); a variable pointer ``ien;GLOBAL(`` finds its file from the target
global's header node (piece 2 of ``^GLOBAL(...,0)``); a set of codes prints its label; a date
prints through ``^DD("DD")`` (FMTE^DILIBF); anything else prints as stored.  Pointer
externals are cached per (file, IEN).
"""

from __future__ import annotations

import re
from decimal import Decimal

from globals_map.fileman.errors import FieldValueError, NoSuchFileError
from globals_map.fileman.schema import FieldDef, Schema, file_number
from globals_map.fileman.transforms import find_transform
from parsers.canonical import is_canonical_number
from parsers.dd_spec import FieldType, GlobalRoot, parse_global_root
from parsers.errors import ParseError
from parsers.fmdate import FMDate, FMDateError, fast_iso, fm_to_external

__all__ = ["NUMBER", "ExternalFormatter", "Formatted"]

#: (external, Python value, exact, (target file, target IEN) or None)
Formatted = tuple[str, "str | int | Decimal | None", bool, "tuple[str, str] | None"]

#: a numeric field's stored value (what EXTERNAL^DIDU accepts as a number)
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_MAX_CHAIN = 8
#: month names as FMTE^DILIBF prints them with flags 5U (index = month number)
_MONTHS_5U = (
    "",
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
#: any precise day: the time of day is converted once on it and kept as a tail
_PROBE_DAY, _PROBE_ISO = "3000101", "2000-01-01"
_CACHE_MAX = 200_000


def _is_ien(text: str) -> bool:
    """An entry number: a positive canonical number (``1``, ``90001``, POSTMASTER's ``.5``)."""
    if text.isdigit():
        return text[0] != "0"
    return is_canonical_number(text) and not text.startswith("-") and text != "0"


class ExternalFormatter:
    """Formats values of any field of a schema; holds the pointer cache."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        #: (external, exact) of pointed-to entries, per target file, by IEN
        self._pointer_caches: dict[str, dict[str, tuple[str, bool]]] = {}
        self._pointer_count = 0
        #: (external, ISO) of dates already converted, by internal value
        self.date_cache: dict[str, tuple[str, str]] = {}
        self._days: dict[str, tuple[str, str]] = {}  # (external, ISO) by YYYMMDD
        self._times: dict[str, tuple[str, str]] = {}  # (external, ISO) tails by HHMMSS
        self._header_files: dict[GlobalRoot, str | None] = {}
        self._populated: dict[GlobalRoot, bool] = {}
        self._vp_caches: dict[tuple[str, str], dict[str, Formatted]] = {}
        self._roots: dict[str, GlobalRoot | None] = {}

    def pointer_cache(self, target: str) -> dict[str, tuple[str, bool]]:
        """(external, exact) of the entries of one pointed-to file already resolved, by IEN
        (cleared in place by :meth:`clear_cache`, so callers may keep the dict)."""
        cache = self._pointer_caches.get(target)
        if cache is None:
            cache = self._pointer_caches[target] = {}
        return cache

    def vp_cache(self, fld: FieldDef) -> dict[str, Formatted]:
        """The resolved values of one variable-pointer field, by internal value (cleared in
        place by :meth:`clear_cache`, so callers may keep the dict)."""
        key = (fld.file, fld.number)
        cache = self._vp_caches.get(key)
        if cache is None:
            cache = self._vp_caches[key] = {}
        return cache

    def clear_cache(self) -> None:
        for pcache in self._pointer_caches.values():
            pcache.clear()
        self._pointer_count = 0
        for cache in self._vp_caches.values():
            cache.clear()
        self._roots.clear()
        self.date_cache.clear()
        self._days.clear()
        self._times.clear()
        self._header_files.clear()
        self._populated.clear()

    def external(self, fld: FieldDef, internal: str, *, ien: str | None) -> Formatted:
        """Format one non-empty internal value; raises :class:`FieldValueError`."""
        return self._format(fld, internal, 0)

    # ---- per type ----------------------------------------------------------------
    def _format(self, fld: FieldDef, internal: str, depth: int) -> Formatted:
        t = fld.type
        pointer = t in (FieldType.POINTER, FieldType.VARIABLE_POINTER)
        if fld.output_transform:
            # E5^DIDU: a field with an output transform prints through it, pointers included
            transform = find_transform(fld.output_transform)
            shown = transform(internal, self.schema.date_format) if transform else None
            if shown is not None:
                return shown, self._typed_value(fld, internal), True, None
            if not pointer:
                return internal, self._typed_value(fld, internal), False, None
            ext, value, _exact, target = self._resolve(fld, internal, depth)
            return ext, value, False, target  # resolved, but not through its transform
        if pointer:
            return self._resolve(fld, internal, depth)
        return self._plain(fld, internal)

    def _resolve(self, fld: FieldDef, internal: str, depth: int) -> Formatted:
        if fld.type is FieldType.POINTER:
            return self._pointer(fld, internal, depth)
        return self._variable_pointer(fld, internal, depth)

    def _typed_value(self, fld: FieldDef, internal: str) -> str | int | Decimal | None:
        if fld.type is FieldType.POINTER and internal.isdigit():
            return int(internal)
        try:
            return self._plain(fld, internal)[1]
        except FieldValueError:
            return internal

    def _plain(self, fld: FieldDef, internal: str) -> Formatted:
        t = fld.type
        if t is FieldType.SET:
            for code, label in fld.codes:
                if code == internal:
                    return label, internal, True, None
            raise FieldValueError("value is not one of the field's codes", code=730)
        if t is FieldType.DATE:
            ext, iso = self._date(internal)
            return ext, iso, True, None
        if t is FieldType.NUMERIC:
            if not NUMBER.match(internal):
                raise FieldValueError("value of a numeric field is not a number", code=330)
            num: int | Decimal = Decimal(internal)
            if "." not in internal:
                num = int(internal)
            return internal, num, True, None
        return internal, internal, True, None

    def date(self, internal: str) -> tuple[str, str]:
        """(external, ISO 8601) of a date value; raises :class:`FieldValueError`."""
        return self._date(internal)

    def _date(self, internal: str) -> tuple[str, str]:
        hit = self.date_cache.get(internal)
        if hit is not None:
            return hit
        out = self._precise_date(internal)
        if out is None:  # not the common shape: the full parser decides (and explains)
            try:
                iso = FMDate.parse(internal).to_iso()
            except FMDateError as exc:
                raise FieldValueError(f"not a valid date: {exc.message}", code=330) from None
            out = (fm_to_external(internal, self.schema.date_format), iso)
        if len(self.date_cache) >= _CACHE_MAX:
            self.date_cache.clear()
        self.date_cache[internal] = out
        return out

    def _precise_date(self, internal: str) -> tuple[str, str] | None:
        """A precise date (``YYYMMDD`` or ``YYYMMDD.HHMM[SS]``) from its day and its time of
        day, each converted once: FMTE^DILIBF prints the day, then TM^DILIBF appends the time,
        and ISO 8601 is the same.  None for any other shape."""
        day, dot, frac = internal.partition(".")
        days = self._days
        shown = days.get(day)
        if shown is None:
            iso = fast_iso(day)
            if iso is None:
                return None
            if self.schema.date_format == "5U":  # FileMan 22's own ^DD("DD"): APR 15,2023
                text = f"{_MONTHS_5U[int(day[3:5])]} {int(day[5:7])},{iso[:4]}"
            else:
                text = fm_to_external(day, self.schema.date_format)
            shown = (text, iso)
            if len(days) >= _CACHE_MAX:
                days.clear()
            days[day] = shown
        if not dot:
            return shown
        times = self._times
        tail = times.get(frac)
        if tail is None:
            probe = f"{_PROBE_DAY}.{frac}"
            iso = fast_iso(probe)
            if iso is None:
                return None
            fmt = self.schema.date_format
            whole, head = fm_to_external(probe, fmt), fm_to_external(_PROBE_DAY, fmt)
            if not whole.startswith(head):
                return None
            if len(times) >= _CACHE_MAX:
                times.clear()
            tail = times[frac] = (whole[len(head) :], iso[len(_PROBE_ISO) :])
        return shown[0] + tail[0], shown[1] + tail[1]

    def _pointer(self, fld: FieldDef, internal: str, depth: int) -> Formatted:
        if not _is_ien(internal):
            raise FieldValueError("pointer value is not an entry number", code=330)
        target = fld.pointer_file
        if target is None:
            raise FieldValueError("pointer field names no file", code=537)
        ext, exact = self._target_external(target, fld.pointer_root, internal, depth)
        value: int | Decimal = int(internal) if internal.isdigit() else Decimal(internal)
        return ext, value, exact, (target, internal)

    def _variable_pointer(self, fld: FieldDef, internal: str, depth: int) -> Formatted:
        cache = self.vp_cache(fld)
        hit = cache.get(internal)
        if hit is not None:
            return hit
        ien, sep, root_text = internal.partition(";")
        if not sep or not _is_ien(ien) or not root_text:
            raise FieldValueError("variable pointer is not ien;GLOBAL(", code=348)
        if root_text in self._roots:
            root = self._roots[root_text]
        else:
            try:
                root = parse_global_root(root_text)
            except ParseError:
                root = None
            if len(self._roots) >= _CACHE_MAX:
                self._roots.clear()
            self._roots[root_text] = root
        if root is None:
            raise FieldValueError("variable pointer names no valid global root", code=348)
        target = self._file_of_root(root)
        if target is None:
            for vp in fld.vp_targets:
                if vp.global_root == root:
                    target = vp.file
        if target is None and not self._has_entries(root):
            # neither the target's data nor a "V" node naming it is here (a partial extract):
            # unresolved, not exact, but not judged wrong
            return ien, internal, False, None
        if target is None:
            raise FieldValueError("variable pointer's global has no file header", code=348)
        ext, exact = self._target_external(target, root, ien, depth)
        result: Formatted = (ext, internal, exact, (target, ien))
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[internal] = result
        return result

    def _file_of_root(self, root: GlobalRoot) -> str | None:
        """EXTERNAL^DIDU: the file number is piece 2 of the target global's header node."""
        if root in self._header_files:
            return self._header_files[root]
        head = self.schema.store.get(root.name, (*root.subscripts, "0"))
        num: str | None = None
        if head:
            m = re.match(r"[0-9]*\.?[0-9]+", head.split("^")[1] if "^" in head else "")
            if m:
                num = file_number(m.group(0))
        self._header_files[root] = num
        return num

    def _target_external(
        self, target: str, root: GlobalRoot | None, ien: str, depth: int
    ) -> tuple[str, bool]:
        cache = self.pointer_cache(target)
        hit = cache.get(ien)
        if hit is not None:
            return hit
        if depth >= _MAX_CHAIN:
            raise FieldValueError("pointer chain too long or looping", code=537)
        schema = self.schema
        if root is None:
            try:
                root = schema.file(target).global_root
            except NoSuchFileError:
                root = None
        if root is None:
            raise FieldValueError(f"pointed-to file {target} has no global root", code=537)
        zero = schema.store.get(root.name, (*root.subscripts, ien, "0"))
        if zero is None and not self._has_entries(root):
            # the target file holds no entries in this store (a partial extract, or only its
            # header): the pointer cannot be judged dangling; unresolved (not exact), no error
            result = (ien, False)
            self._remember(cache, ien, result)
            return result
        if zero is None:
            raise FieldValueError(
                f"points to entry {ien} of file {target}, which does not exist", code=630
            )
        dot01 = zero.split("^", 1)[0]
        if dot01 == "":
            raise FieldValueError(f"entry {ien} of file {target} lacks its .01", code=603)
        try:
            tfield = schema.file(target).fields.get(".01")
        except NoSuchFileError:
            tfield = None
        if tfield is None:
            result = (dot01, False)  # no dictionary for the target: its .01 as stored
        else:
            formatted = self._format(tfield, dot01, depth + 1)
            result = (formatted[0], formatted[2])
        self._remember(cache, ien, result)
        return result

    def _has_entries(self, root: GlobalRoot) -> bool:
        """True when the file at ``root`` holds at least one entry (a subscript > 0)."""
        hit = self._populated.get(root)
        if hit is None:
            first = self.schema.store.next_subscript(root.name, root.subscripts, "0")
            hit = first is not None and is_canonical_number(first) and not first.startswith("-")
            self._populated[root] = hit
        return hit

    def _remember(
        self, cache: dict[str, tuple[str, bool]], ien: str, result: tuple[str, bool]
    ) -> None:
        if self._pointer_count >= _CACHE_MAX:
            for each in self._pointer_caches.values():
                each.clear()
            self._pointer_count = 0
        cache[ien] = result
        self._pointer_count += 1
