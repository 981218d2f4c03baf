"""Does a mapped FHIR resource satisfy a search criterion?

Matching runs on the FHIR JSON we emit, so a search answers exactly what a read would show;
the indexes of the clinical layer only narrow the candidates first. Each search parameter names
an *extractor* (the elements it looks at) and a type (string, token, date, reference) whose
comparison follows FHIR R4 search: strings match case-insensitively at the start (``:exact``
whole and case-sensitive, ``:contains`` anywhere); tokens as ``[system|]code``; dates as ranges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from bridge.fhir.dates import DateParam, DateRange, parse_date_param
from bridge.fhir.errors import InvalidSearchError
from bridge.fhir.params import Criterion, Token

Json = dict[str, Any]
# What an extractor yields: strings for string params, (system, code) pairs for tokens,
# DateRange for dates, ids for references.
Extractor = Callable[[Json], Iterator[Any]]


def matches(resource: Json, criterion: Criterion, ptype: str, extract: Extractor) -> bool:
    """True when any OR-ed value of ``criterion`` matches any extracted element."""
    found = list(extract(resource))
    if ptype == "string":
        return _string_matches(found, criterion)
    for value in criterion.values:
        if ptype == "token":
            assert isinstance(value, Token)
            if any(_token_match(sys_code, value) for sys_code in found):
                return True
        elif ptype == "date":
            assert isinstance(value, DateParam)
            if any(value.matches(r) for r in found):
                return True
        elif value in found:
            return True
    return False


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _string_matches(found: list[Any], criterion: Criterion) -> bool:
    """``:exact`` whole and case-sensitive; ``:contains`` anywhere; else at the start, both
    folded (case, runs of spaces). Elements are folded one at a time and the search stops at
    the first that matches (a name search's candidates usually match on the family name)."""
    if criterion.modifier == "exact":
        texts = [str(s) for s in found]
        return any(value in texts for value in criterion.values)
    wants = [_fold(str(value)) for value in criterion.values]
    contains = criterion.modifier == "contains"
    for element in found:
        folded = _fold(str(element))
        for want in wants:
            if (want in folded) if contains else folded.startswith(want):
                return True
    return False


def _token_match(element: tuple[str | None, str], value: Token) -> bool:
    system, code = element
    if value.system is None:
        return code == value.code
    if value.system == "":
        return system is None and code == value.code
    if value.code == "":
        return system == value.system
    return system == value.system and code == value.code


# -- extractors ---------------------------------------------------------------------------
def ident(resource: Json) -> Iterator[Any]:
    yield (None, resource.get("id", ""))


def identifiers(resource: Json) -> Iterator[Any]:
    for i in resource.get("identifier", []):
        yield (i.get("system"), i.get("value", ""))


def concept_codes(*paths: str) -> Extractor:
    """Tokens from CodeableConcept elements (one or a list) at ``paths``."""

    def extract(resource: Json) -> Iterator[Any]:
        for path in paths:
            node = resource.get(path)
            for cc in node if isinstance(node, list) else [node] if node else []:
                for c in cc.get("coding", []):
                    yield (c.get("system"), c.get("code", ""))

    return extract


def plain_code(path: str, system: str) -> Extractor:
    """Tokens from a ``code`` element whose code system is implied by the element."""

    def extract(resource: Json) -> Iterator[Any]:
        value = resource.get(path)
        if isinstance(value, str):
            yield (system, value)

    return extract


def human_names(resource: Json) -> Iterator[Any]:
    """Each name part, the text, and FileMan's ``FAMILY,GIVEN MIDDLE`` form (what a VistA user
    types at a lookup, and what the "B" index holds)."""
    for n in resource.get("name", []):
        if "family" in n:
            yield n["family"]
        yield from n.get("given", [])
        if "text" in n:
            yield n["text"]
        if "family" in n and n.get("given"):
            yield n["family"] + "," + " ".join(n["given"])


def strings(*paths: str) -> Extractor:
    def extract(resource: Json) -> Iterator[Any]:
        for path in paths:
            node = resource.get(path)
            if isinstance(node, str):
                yield node
            elif isinstance(node, list):
                yield from (x for x in node if isinstance(x, str))

    return extract


def addresses(resource: Json) -> Iterator[Any]:
    node = resource.get("address")
    for a in node if isinstance(node, list) else [node] if node else []:
        yield from a.get("line", [])
        for key in ("city", "district", "state", "postalCode", "country", "text"):
            if key in a:
                yield a[key]


def reference_to(path: str) -> Extractor:
    def extract(resource: Json) -> Iterator[Any]:
        node = resource.get(path)
        if isinstance(node, dict):
            yield str(node.get("reference", "")).rsplit("/", 1)[-1]

    return extract


def date_of(*paths: str) -> Extractor:
    """Date ranges of dateTime elements, or of Period elements (start to end, open ends)."""

    def extract(resource: Json) -> Iterator[Any]:
        for path in paths:
            node = resource.get(path)
            if isinstance(node, str):
                yield resource_range(node)
            elif isinstance(node, dict) and ("start" in node or "end" in node):
                start = resource_range(node["start"]).start if "start" in node else datetime.min
                end = resource_range(node["end"]).end if "end" in node else datetime.max
                yield DateRange(start, end)

    return extract


def resource_range(text: str) -> DateRange:
    """The range a date or dateTime we emitted covers."""
    try:
        return parse_date_param("(resource)", text).range
    except InvalidSearchError:  # pragma: no cover - we only emit valid dates
        return DateRange(datetime.min, datetime.min)
