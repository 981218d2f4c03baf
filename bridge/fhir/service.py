"""The FHIR service: read, search with paging Bundles, and the CapabilityStatement.

Framework-free (the API wraps it): give it the clinical repository, the mapping context and
the base URL the client used, get FHIR JSON back or a :class:`FhirError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from bridge.clinical.repository import Clinical
from bridge.fhir import matching, profiles
from bridge.fhir.dates import DateParam
from bridge.fhir.errors import InvalidSearchError, ResourceNotFoundError, UnsupportedResourceError
from bridge.fhir.mapping.common import Json, MappingContext
from bridge.fhir.params import MAX_COUNT, SearchQuery, Token, is_fhir_id, parse_query
from bridge.fhir.resources import RESOURCES, ResourceDef


class FhirService:
    """Read and search the supported resource types over a :class:`Clinical` repository."""

    def __init__(self, clinical: Clinical, ctx: MappingContext | None = None) -> None:
        self.clinical = clinical
        self.ctx = ctx or MappingContext()

    @staticmethod
    def definition(resource_type: str) -> ResourceDef:
        rdef = RESOURCES.get(resource_type)
        if rdef is None:
            raise UnsupportedResourceError(
                f"resource type {resource_type[:64]!r} is not supported by this server "
                f"(supported: {', '.join(RESOURCES)}; see /fhir/metadata)"
            )
        return rdef

    def read(self, resource_type: str, rid: str) -> Json:
        rdef = self.definition(resource_type)
        if not is_fhir_id(rid):
            raise InvalidSearchError(f"{rid[:64]!r} is not a valid FHIR id ([A-Za-z0-9.-]{{1,64}})")
        return rdef.read(self.clinical, self.ctx, rid)

    def parse(self, resource_type: str, items: Iterable[tuple[str, str]]) -> SearchQuery:
        rdef = self.definition(resource_type)
        spec = {k: p.type for k, p in rdef.params.items()}
        return parse_query(resource_type, items, spec, self.ctx.zone)

    def search(self, resource_type: str, query: SearchQuery, base_url: str) -> Json:
        """A searchset Bundle of page ``query.offset``/``query.count`` with self/next links."""
        rdef = self.definition(resource_type)
        params = rdef.params
        checks = [(c, params[c.name].type, params[c.name].extract) for c in query.criteria]
        found = (
            r
            for r in rdef.candidates(self.clinical, self.ctx, query)
            if all(matching.matches(r, c, ptype, extract) for c, ptype, extract in checks)
        )
        if query.count == 0:  # _count=0: no entries and no next link (a loop otherwise)
            return self._bundle(resource_type, [], query, base_url, more=False, total=False)
        window = list(islice(found, query.offset, query.offset + query.count + 1))
        page, more = window[: query.count], len(window) > query.count
        return self._bundle(resource_type, page, query, base_url, more)

    def _bundle(
        self,
        rtype: str,
        page: Sequence[Json],
        query: SearchQuery,
        base: str,
        more: bool,
        total: bool = True,
    ) -> Json:
        url = _PageUrls(base, rtype, query)
        links = [{"relation": "self", "url": url(query.offset)}]
        if more:
            links.append({"relation": "next", "url": url(query.offset + query.count)})
        if query.offset > 0:
            links.append({"relation": "previous", "url": url(max(0, query.offset - query.count))})
        bundle: Json = {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in page
            ],
        }
        if total and not more and (page or query.offset == 0):
            bundle["total"] = query.offset + len(page)  # exact: this page reached the end
        if not bundle["entry"]:
            del bundle["entry"]
        return bundle

    def capability_statement(self, base: str, software_version: str) -> Json:
        return capability_statement(base, software_version)


class _PageUrls:
    """The URLs of pages of one search: the criteria are encoded once for all its links."""

    def __init__(self, base: str, rtype: str, query: SearchQuery) -> None:
        pairs: list[tuple[str, str]] = []
        for c in query.criteria:
            key = f"{c.name}:{c.modifier}" if c.modifier else c.name
            pairs.append((key, ",".join(_raw(v) for v in c.values)))
        pairs.append(("_count", str(query.count)))
        self.prefix = f"{base}/{rtype}?{urlencode(pairs)}"

    def __call__(self, offset: int) -> str:
        return f"{self.prefix}&_offset={offset}" if offset else self.prefix


def _raw(value: Any) -> str:
    if isinstance(value, Token):
        text = value.code if value.system is None else f"{value.system}|{value.code}"
    elif isinstance(value, DateParam):
        text = value.prefix + _date_text(value)  # the precision the client gave
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace(",", "\\,")


def _date_text(value: DateParam) -> str:
    start, end = value.range.start, value.range.end
    span = end - start
    if span.days >= 365:
        return f"{start.year:04d}"
    if span.days >= 28:
        return f"{start.year:04d}-{start.month:02d}"
    if span.days == 1:
        return start.date().isoformat()
    if span.total_seconds() == 60:
        return start.isoformat(timespec="minutes")
    return start.isoformat(timespec="seconds")


def capability_statement(base: str, software_version: str) -> Json:
    """What this server supports, exactly: types, profiles, read/search, and each parameter."""
    resources: list[Json] = []
    for rtype, rdef in RESOURCES.items():
        entry: Json = {
            "type": rtype,
            "profile": rdef.profiles[0],
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": p.type, "documentation": p.doc}
                for name, p in rdef.params.items()
            ],
        }
        if len(rdef.profiles) > 1:
            entry["supportedProfile"] = list(rdef.profiles)
        combos = "; ".join("+".join(c) for c in rdef.combinations)
        entry["documentation"] = f"Searches (US Core SHALL): {combos}" if combos else rtype
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).date().isoformat(),
        "publisher": "vista-bridge",
        "kind": "instance",
        "software": {"name": "vista-bridge", "version": software_version},
        "implementation": {"description": "vista-bridge FHIR R4 over VistA", "url": base},
        "fhirVersion": profiles.FHIR_VERSION,
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    f"Searches return searchset Bundles of _count entries (default 20, at most "
                    f"{MAX_COUNT}) with next links; unknown parameters are refused (400)."
                ),
                "security": {
                    "cors": False,
                    "description": "API key (X-API-Key) or OAuth2 bearer JWT with SMART scopes "
                    "patient/*.read, user/*.read or system/*.read.",
                },
                "resource": resources,
            }
        ],
    }


__all__ = ["FhirService", "ResourceNotFoundError", "capability_statement"]
