"""GMRV VITAL MEASUREMENT (#120.5) -> Observation with the US Core vital-signs profiles.

Each VistA vital type (GMRV VITAL TYPE #120.51 abbreviation) has its LOINC code, the UCUM form
of the unit VistA records it in, and the US Core profile that names it. Blood pressure is one
VistA value ``SYS/DIA`` and becomes the two LOINC components US Core requires. A value VistA
keeps as text (``Refused``, ``Unavailable``; see GMRVPCE0 for those words) becomes a
``dataAbsentReason`` instead of a number, as vs-2 allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bridge.clinical.models import Vital
from bridge.fhir import profiles
from bridge.fhir.mapping.common import Json, MappingContext, coding, fhir_datetime, ref


@dataclass(frozen=True, slots=True)
class VitalKind:
    loinc: str
    display: str
    profile: str
    category: str  # observation-category code
    units: dict[str, tuple[str, str]]  # VistA unit -> (UCUM code, human unit)
    default_unit: str


_MIN = {"/min": ("/min", "/min")}
KINDS: dict[str, VitalKind] = {
    "BP": VitalKind(
        "85354-9",
        "Blood pressure panel with all children optional",
        profiles.US_CORE + "us-core-blood-pressure",
        "vital-signs",
        {"mm[Hg]": ("mm[Hg]", "mmHg"), "mmHg": ("mm[Hg]", "mmHg")},
        "mm[Hg]",
    ),
    "T": VitalKind(
        "8310-5",
        "Body temperature",
        profiles.US_CORE + "us-core-body-temperature",
        "vital-signs",
        {"F": ("[degF]", "degF"), "C": ("Cel", "Cel")},
        "F",
    ),
    "P": VitalKind(
        "8867-4",
        "Heart rate",
        profiles.US_CORE + "us-core-heart-rate",
        "vital-signs",
        _MIN,
        "/min",
    ),
    "R": VitalKind(
        "9279-1",
        "Respiratory rate",
        profiles.US_CORE + "us-core-respiratory-rate",
        "vital-signs",
        _MIN,
        "/min",
    ),
    "HT": VitalKind(
        "8302-2",
        "Body height",
        profiles.US_CORE + "us-core-body-height",
        "vital-signs",
        {"in": ("[in_i]", "in"), "cm": ("cm", "cm")},
        "in",
    ),
    "WT": VitalKind(
        "29463-7",
        "Body weight",
        profiles.US_CORE + "us-core-body-weight",
        "vital-signs",
        {"lb": ("[lb_av]", "lb"), "kg": ("kg", "kg")},
        "lb",
    ),
    "PN": VitalKind(
        "72514-3",
        "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        profiles.SCREENING_ASSESSMENT,
        "survey",
        {"": ("{score}", "{score}")},
        "",
    ),
}
_BP_PARTS = (("8480-6", "Systolic blood pressure"), ("8462-4", "Diastolic blood pressure"))
_DECLINED = {"REFUSED", "PATIENT REFUSED"}


def supported(v: Vital) -> bool:
    """Whether the vital type has a FHIR mapping (others are left out of Observation)."""
    return (v.abbreviation or "").upper() in KINDS


def observation(v: Vital, ctx: MappingContext) -> Json:
    kind = KINDS[(v.abbreviation or "").upper()]
    out: Json = {
        "resourceType": "Observation",
        "id": v.ien,
        "meta": {"profile": [kind.profile]},
        "status": "entered-in-error" if v.entered_in_error else "final",
        "category": [
            {
                "coding": [coding(profiles.OBS_CATEGORY, kind.category, _CATEGORY[kind.category])],
                "text": _CATEGORY[kind.category],
            }
        ],
        "code": {
            "coding": [coding(profiles.LOINC, kind.loinc, kind.display)],
            "text": v.type.name or kind.display,
        },
        "subject": ref("Patient", v.patient_ien),
    }
    if v.taken:
        out["effectiveDateTime"] = fhir_datetime(v.taken, ctx)
    if v.entered:
        out["issued"] = fhir_datetime(v.entered, ctx)
    if v.entered_by is not None:
        out["performer"] = [ref("Practitioner", v.entered_by.ien, v.entered_by.name)]
    ucum, human = kind.units.get(v.unit or kind.default_unit, kind.units[kind.default_unit])
    if (v.abbreviation or "").upper() == "BP":
        out["component"] = _bp_components(v.value, ucum, human)
    else:
        number = _number(v.value)
        if number is None:
            out["dataAbsentReason"] = _absent(v.value)
        else:
            out["valueQuantity"] = _quantity(number, ucum, human)
    return out


_CATEGORY = {"vital-signs": "Vital Signs", "survey": "Survey"}


def _bp_components(value: str, ucum: str, human: str) -> list[Json]:
    sys_text, _, dia_text = value.partition("/")
    comps: list[Json] = []
    for (code, display), text in zip(_BP_PARTS, (sys_text, dia_text), strict=True):
        comp: Json = {"code": {"coding": [coding(profiles.LOINC, code, display)]}}
        number = _number(text)
        if number is None:
            comp["dataAbsentReason"] = _absent(value)
        else:
            comp["valueQuantity"] = _quantity(number, ucum, human)
        comps.append(comp)
    return comps


def _number(text: str) -> int | float | None:
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite():
        return None
    return int(d) if d == d.to_integral_value() and "." not in text else float(d)


def _quantity(number: int | float, ucum: str, human: str) -> Json:
    return {"value": number, "unit": human, "system": profiles.UCUM, "code": ucum}


def _absent(value: str) -> Json:
    if value.strip().upper() in _DECLINED:
        return {"coding": [coding(profiles.DATA_ABSENT, "asked-declined", "Asked But Declined")]}
    return {"coding": [coding(profiles.DATA_ABSENT, "unknown", "Unknown")], "text": "not recorded"}
