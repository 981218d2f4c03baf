"""The FHIR mapping of every clinical record kind: pinned values, the R4B models, the validator."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.fhir.mapping import clinical as mc
from bridge.fhir.mapping import people, vitals
from bridge.fhir.mapping.common import MappingContext, fhir_datetime
from bridge.fhir.models import ModelValidationError, validate_r4b
from tests.api.validator import validate
from tests.bridge.fhir import samples as s

CTX = MappingContext()


def all_resources() -> list[dict[str, Any]]:
    return [
        people.patient(s.PATIENT, CTX),
        people.patient(s.PATIENT_BARE, CTX),
        people.practitioner(s.PROVIDER, CTX),
        people.location(s.LOCATION, CTX),
        mc.encounter(s.VISIT, CTX),
        *(vitals.observation(v, CTX) for v in s.VITALS),
        *(mc.condition(p, CTX) for p in s.PROBLEMS),
        *(mc.allergy(a, CTX) for a in s.ALLERGIES),
        mc.medication_request(s.MEDICATION, CTX),
    ]


def test_patient_names_us_core_profile_and_leaves_ssn_out() -> None:
    p = people.patient(s.PATIENT, CTX)
    assert p["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
    ]
    assert p["name"][0]["family"] == "ZZDEMO" and p["name"][0]["given"] == ["ALICE", "B"]
    assert p["gender"] == "female" and p["birthDate"] == "1950-03-04"
    assert {
        "system": "urn:oid:2.16.840.1.113883.4.349",
        "value": "1000000007V123456",
        "use": "official",
    } in p["identifier"]
    assert "000123456" not in str(p) and "us-ssn" not in str(p)
    race = p["extension"][0]
    assert race["extension"][0]["valueCoding"]["code"] == "2106-3"
    assert p["maritalStatus"]["coding"][0]["code"] == "M"


def test_patient_without_sex_is_gender_unknown() -> None:
    assert people.patient(s.PATIENT_BARE, CTX)["gender"] == "unknown"


def test_blood_pressure_becomes_two_loinc_components_in_mm_hg() -> None:
    bp = vitals.observation(s.VITALS[0], CTX)
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert "valueQuantity" not in bp
    comps = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert comps["8480-6"]["value"] == 120 and comps["8462-4"]["value"] == 80
    assert comps["8480-6"]["code"] == "mm[Hg]"
    assert comps["8480-6"]["system"] == "http://unitsofmeasure.org"


@pytest.mark.parametrize(
    ("index", "loinc", "ucum", "value"),
    [
        (1, "8310-5", "[degF]", 98.6),
        (2, "8867-4", "/min", 72),
        (3, "9279-1", "/min", 16),
        (4, "8302-2", "[in_i]", 65),
        (5, "29463-7", "[lb_av]", 150.2),
    ],
)
def test_vital_types_have_loinc_and_ucum(index: int, loinc: str, ucum: str, value: float) -> None:
    obs = vitals.observation(s.VITALS[index], CTX)
    assert obs["code"]["coding"][0] == {**obs["code"]["coding"][0], "code": loinc}
    assert obs["valueQuantity"]["code"] == ucum and obs["valueQuantity"]["value"] == value
    assert obs["category"][0]["coding"][0]["code"] == "vital-signs"


def test_refused_measurement_is_data_absent_not_a_number() -> None:
    obs = vitals.observation(s.VITALS[7], CTX)
    assert "valueQuantity" not in obs
    assert obs["dataAbsentReason"]["coding"][0]["code"] == "asked-declined"


def test_entered_in_error_allergy_has_no_clinical_status() -> None:
    ok, wrong = (mc.allergy(a, CTX) for a in s.ALLERGIES)
    assert ok["clinicalStatus"]["coding"][0]["code"] == "active"
    assert ok["category"] == ["medication"] and ok["type"] == "allergy"
    assert "clinicalStatus" not in wrong
    assert wrong["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


def test_resolved_problem_is_resolved_with_abatement() -> None:
    c = mc.condition(s.PROBLEMS[1], CTX)
    assert c["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert c["abatementDateTime"] == "2021-01-01"
    assert c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"


def test_medication_request_is_an_order_with_dispense_details() -> None:
    m = mc.medication_request(s.MEDICATION, CTX)
    assert m["status"] == "active" and m["intent"] == "order"
    assert m["dispenseRequest"]["numberOfRepeatsAllowed"] == 3
    assert m["dispenseRequest"]["expectedSupplyDuration"]["code"] == "d"


def test_datetimes_carry_the_site_zone() -> None:
    ctx = MappingContext(zone=ZoneInfo("America/New_York"))
    assert fhir_datetime(datetime(2024, 1, 5, 8, 0), ctx) == "2024-01-05T08:00:00-05:00"
    assert vitals.observation(s.VITALS[2], CTX)["effectiveDateTime"] == "2024-05-06T09:35:00+00:00"


def test_every_mapped_resource_parses_with_the_r4b_models() -> None:
    for resource in all_resources():
        validate_r4b(resource)


def test_r4b_check_rejects_a_broken_resource() -> None:
    bad = people.patient(s.PATIENT, CTX) | {"gender": 12, "favouriteColour": "red"}
    with pytest.raises(ModelValidationError, match="Patient"):
        validate_r4b(bad)


def test_every_mapped_resource_passes_the_fhir_validator(tmp_path: Path) -> None:
    resources = all_resources()
    validate([(r["resourceType"], r) for r in resources], tmp_path)
