"""Parse a FHIR search query string into typed, validated parameters.

A parameter repeated in the query is an AND of its occurrences; a comma inside one value is an
OR of its parts (FHIR R4 search 3.1.1.3). Unknown parameters, unknown modifiers, malformed
values and out-of-range ``_count`` are refused with :class:`InvalidSearchError` rather than
silently ignored, so a client never mistakes a broader result for the one it asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Literal

from bridge.fhir.dates import DateParam, parse_date_param
from bridge.fhir.errors import InvalidSearchError

ParamType = Literal["token", "string", "date", "reference"]

MAX_COUNT = 100
DEFAULT_COUNT = 20
MAX_OFFSET = 1_000_000
_MODIFIERS: dict[str, frozenset[str]] = {
    "string": frozenset({"", "exact", "contains"}),
    "token": frozenset({""}),
    "date": frozenset({""}),
    "reference": frozenset({""}),
}


@dataclass(frozen=True, slots=True)
class Token:
    """``[system|]code``; ``system`` is None when no bar was given, "" for ``|code``."""

    system: str | None
    code: str


@dataclass(frozen=True, slots=True)
class Criterion:
    """One occurrence of a parameter: its modifier and its OR-ed values (already typed)."""

    name: str
    modifier: str
    values: tuple[str | Token | DateParam, ...]


@dataclass(slots=True)
class SearchQuery:
    """A validated search: criteria (AND of ORs), page size and offset."""

    criteria: list[Criterion] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0

    def names(self) -> set[str]:
        return {c.name for c in self.criteria}

    def get(self, name: str) -> list[Criterion]:
        return [c for c in self.criteria if c.name == name]


def parse_query(
    resource_type: str,
    items: Iterable[tuple[str, str]],
    spec: Mapping[str, ParamType],
    zone: tzinfo | None = None,
) -> SearchQuery:
    """Validate ``items`` (the raw query pairs) against a resource type's parameter ``spec``."""
    query = SearchQuery()
    for key, raw in items:
        if key == "_count":
            query.count = _int_param(key, raw, 0, MAX_COUNT)
            continue
        if key == "_offset":
            query.offset = _int_param(key, raw, 0, MAX_OFFSET)
            continue
        if key == "_format":
            if raw not in ("json", "application/fhir+json", "application/json"):
                raise InvalidSearchError(
                    f"_format {raw!r} is not supported; this server speaks JSON"
                )
            continue
        name, _, modifier = key.partition(":")
        ptype = spec.get(name)
        if ptype is None:
            known = ", ".join(sorted([*spec, "_count", "_offset"]))
            raise InvalidSearchError(
                f"search parameter {name!r} is not supported for {resource_type} "
                f"(supported: {known})"
            )
        if modifier not in _MODIFIERS[ptype]:
            raise InvalidSearchError(
                f"modifier {modifier!r} is not supported on {resource_type} parameter {name!r}"
            )
        parts = [p for p in _split_or(raw)]
        if not parts or any(p == "" for p in parts):
            raise InvalidSearchError(f"search parameter {name!r} has an empty value")
        values = tuple(_typed(name, ptype, p, zone) for p in parts)
        query.criteria.append(Criterion(name, modifier, values))
    return query


def _int_param(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise InvalidSearchError(f"{name} must be a whole number, got {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidSearchError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _split_or(raw: str) -> list[str]:
    """Split on commas not escaped as ``\\,`` and unescape (FHIR R4 search 3.1.1.4.6)."""
    parts: list[str] = []
    cur: list[str] = []
    chars = iter(raw)
    for ch in chars:
        if ch == "\\":
            cur.append(next(chars, "\\"))
        elif ch == ",":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _typed(name: str, ptype: ParamType, raw: str, zone: tzinfo | None) -> str | Token | DateParam:
    if len(raw) > 256:
        raise InvalidSearchError(f"search parameter {name!r} is longer than 256 characters")
    if ptype == "date":
        return parse_date_param(name, raw, zone)
    if ptype == "token":
        if "|" in raw:
            system, _, code = raw.partition("|")
            return Token(system, code)
        return Token(None, raw)
    if ptype == "reference":
        ref = raw.rsplit("/", 1)
        rid = ref[-1]
        if len(ref) == 2 and not ref[0].endswith("Patient"):
            raise InvalidSearchError(f"search parameter {name!r} must reference a Patient")
        if not _is_id(rid):
            raise InvalidSearchError(f"search parameter {name!r}: {rid[:40]!r} is not a FHIR id")
        return rid
    return raw


def _is_id(value: str) -> bool:
    """FHIR id: 1-64 of [A-Za-z0-9-.]."""
    return 0 < len(value) <= 64 and all(c.isascii() and (c.isalnum() or c in "-.") for c in value)


def is_fhir_id(value: str) -> bool:
    """Public form of the id check, for reads."""
    return _is_id(value)
