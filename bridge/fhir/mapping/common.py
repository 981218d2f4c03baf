"""Small builders shared by the resource mappings: references, codings, dates with a zone.

FHIR R4 requires a time zone on every dateTime that has a time; VistA stores site-local
time without one, so the mapping attaches the site's zone (a setting, UTC by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MappingContext:
    """What every mapping needs besides the record: the site's zone and identifier systems."""

    zone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    dfn_system: str = "urn:va:dfn"
    duz_system: str = "urn:va:duz"
    visit_system: str = "urn:va:visit"


def ref(resource_type: str, ien: str, display: str | None = None) -> Json:
    out: Json = {"reference": f"{resource_type}/{ien}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> Json:
    out: Json = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    out: Json = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def text_concept(text: str) -> Json:
    return {"text": text}


def fhir_datetime(value: datetime | date, ctx: MappingContext) -> str:
    """A FHIR dateTime: a date stays a date; a datetime gets the site's zone."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ctx.zone)
        return aware.replace(microsecond=0).isoformat()
    return value.isoformat()


def fhir_instant(value: datetime, ctx: MappingContext) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=ctx.zone)
    return aware.replace(microsecond=0).isoformat()


def split_name(fileman_name: str) -> tuple[str, list[str]]:
    """FileMan's ``FAMILY,GIVEN MIDDLE`` into a family name and given names (see XLFNAME)."""
    family, _, given = fileman_name.partition(",")
    return family.strip(), [g for g in given.replace(",", " ").split() if g]


def human_name(family: str, given: list[str]) -> Json:
    out: Json = {"use": "official"}
    if family:
        out["family"] = family
    if given:
        out["given"] = given
    out["text"] = " ".join([*given, family]).strip()
    return out
