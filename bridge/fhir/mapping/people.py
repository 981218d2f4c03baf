"""PATIENT (#2), NEW PERSON (#200) and HOSPITAL LOCATION (#44) as US Core resources."""

from __future__ import annotations

from bridge.clinical.models import Location, Patient, Provider
from bridge.fhir import profiles
from bridge.fhir.mapping.common import (
    Json,
    MappingContext,
    concept,
    fhir_datetime,
    human_name,
    ref,
    split_name,
    text_concept,
)

# RACE (#10) names as VistA ships them, to the OMB categories US Core's race extension uses.
_OMB_RACE = {
    "AMERICAN INDIAN OR ALASKA NATIVE": ("1002-5", "American Indian or Alaska Native"),
    "ASIAN": ("2028-9", "Asian"),
    "BLACK OR AFRICAN AMERICAN": ("2054-5", "Black or African American"),
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER": (
        "2076-8",
        "Native Hawaiian or Other Pacific Islander",
    ),
    "WHITE": ("2106-3", "White"),
}
# MARITAL STATUS (#11) names to v3-MaritalStatus.
_MARITAL = {
    "MARRIED": ("M", "Married"),
    "NEVER MARRIED": ("S", "Never Married"),
    "SINGLE": ("S", "Never Married"),
    "DIVORCED": ("D", "Divorced"),
    "WIDOWED": ("W", "Widowed"),
    "SEPARATED": ("L", "Legally Separated"),
    "UNKNOWN": ("UNK", "unknown"),
}
_GENDER = {"M": "male", "F": "female"}


def patient(p: Patient, ctx: MappingContext) -> Json:
    """PATIENT (#2) -> US Core Patient. The SSN is left out on purpose (minimum necessary)."""
    identifiers: list[Json] = [{"use": "usual", "system": ctx.dfn_system, "value": p.ien}]
    if p.icn:
        identifiers.append({"use": "official", "system": profiles.ICN, "value": p.icn})
    family = p.family_name or split_name(p.name)[0]
    given = p.given_names.split() if p.given_names else split_name(p.name)[1]
    out: Json = {
        "resourceType": "Patient",
        "id": p.ien,
        "meta": {"profile": [profiles.PATIENT]},
        "identifier": identifiers,
        "active": p.date_of_death is None,
        "name": [human_name(family, given)],
        "gender": _GENDER.get(p.sex.code, "unknown") if p.sex else "unknown",
    }
    if p.race is not None and p.race.name:
        out["extension"] = [_race(p.race.name)]
    telecom: list[Json] = []
    if p.phone_home:
        telecom.append({"system": "phone", "value": p.phone_home, "use": "home"})
    if p.phone_cell:
        telecom.append({"system": "phone", "value": p.phone_cell, "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        out["telecom"] = telecom
    if p.birth_date:
        out["birthDate"] = p.birth_date.isoformat()
    if p.date_of_death:
        out["deceasedDateTime"] = fhir_datetime(p.date_of_death, ctx)
    if p.address is not None:
        addr = _address(p)
        if addr:
            out["address"] = [addr]
    if p.marital_status is not None and p.marital_status.name:
        code = _MARITAL.get(p.marital_status.name.upper())
        out["maritalStatus"] = (
            concept(profiles.MARITAL, code[0], code[1], p.marital_status.name)
            if code
            else text_concept(p.marital_status.name)
        )
    if p.primary_provider is not None:
        out["generalPractitioner"] = [
            ref("Practitioner", p.primary_provider.ien, p.primary_provider.name)
        ]
    return out


def _race(name: str) -> Json:
    parts: list[Json] = []
    omb = _OMB_RACE.get(name.upper())
    if omb:
        parts.append(
            {
                "url": "ombCategory",
                "valueCoding": {"system": profiles.CDC_RACE, "code": omb[0], "display": omb[1]},
            }
        )
    parts.append({"url": "text", "valueString": name})
    return {"url": profiles.RACE_EXT, "extension": parts}


def _address(p: Patient) -> Json:
    a = p.address
    assert a is not None
    out: Json = {"use": "home"}
    lines = [x for x in (a.line1, a.line2) if x]
    if lines:
        out["line"] = lines
    if a.city:
        out["city"] = a.city
    if a.state_abbreviation or a.state:
        out["state"] = a.state_abbreviation or a.state
    if a.zip:
        out["postalCode"] = a.zip
    return out if len(out) > 1 else {}


def practitioner(p: Provider, ctx: MappingContext) -> Json:
    """NEW PERSON (#200) -> US Core Practitioner; NPI when FileMan holds one, DUZ always."""
    identifiers: list[Json] = []
    if p.npi:
        identifiers.append({"system": profiles.NPI, "value": p.npi})
    identifiers.append({"system": ctx.duz_system, "value": p.ien})
    family, given = split_name(p.name)
    out: Json = {
        "resourceType": "Practitioner",
        "id": p.ien,
        "meta": {"profile": [profiles.PRACTITIONER]},
        "identifier": identifiers,
        "active": not p.disabled,
        "name": [human_name(family or p.name, given)],
    }
    telecom: list[Json] = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone, "use": "work"})
    if p.email:
        telecom.append({"system": "email", "value": p.email, "use": "work"})
    if telecom:
        out["telecom"] = telecom
    if p.sex is not None and p.sex.code in _GENDER:
        out["gender"] = _GENDER[p.sex.code]
    return out


def location(loc: Location, ctx: MappingContext) -> Json:
    """HOSPITAL LOCATION (#44) -> US Core Location."""
    out: Json = {
        "resourceType": "Location",
        "id": loc.ien,
        "meta": {"profile": [profiles.LOCATION]},
        "status": "inactive" if loc.inactive_since else "active",
        "name": loc.name,
        "mode": "instance",
    }
    if loc.abbreviation:
        out["alias"] = [loc.abbreviation]
    if loc.type is not None:
        out["type"] = [text_concept(loc.type.label)]
    if loc.phone:
        out["telecom"] = [{"system": "phone", "value": loc.phone, "use": "work"}]
    return out
