"""FHIR conformance, in CI: the real server over the demo VistA, everything it returns for each
resource type and each US Core SHALL search, judged by ../shared/fhir-validate (R4 + US Core
6.1.0): zero errors. The R4B pydantic models parse the same documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.fhir.models import validate_r4b
from tests.api.server import Server, running_server
from tests.api.validator import validate


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"X-API-Key": server.api_key}, timeout=30) as c:
        yield c


def fetch(http: httpx.Client, path: str, status: int = 200) -> dict[str, Any]:
    r = http.get(path)
    assert r.status_code == status, (path, r.text[:500])
    assert r.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = r.json()
    return body


def first_id(bundle: dict[str, Any]) -> str:
    assert bundle.get("entry"), bundle
    return str(bundle["entry"][0]["resource"]["id"])


def test_everything_the_server_returns_is_valid_r4_and_us_core(
    http: httpx.Client, tmp_path: Path
) -> None:
    docs: list[tuple[str, dict[str, Any]]] = []

    def add(name: str, path: str, status: int = 200) -> dict[str, Any]:
        body = fetch(http, path, status)
        docs.append((name, body))
        return body

    add("metadata", "/fhir/metadata")
    patients = add("patient-search-name", "/fhir/Patient?name=ZZDEMO&_count=10")
    pid = first_id(patients)
    patient = add("patient-read", f"/fhir/Patient/{pid}")
    family = patient["name"][0]["family"]
    add("patient-search-id", f"/fhir/Patient?_id={pid}")
    add("patient-search-identifier", f"/fhir/Patient?identifier=urn:va:dfn|{pid}")
    add(
        "patient-search-birthdate-name",
        f"/fhir/Patient?birthdate={patient['birthDate']}&name={family}",
    )
    add("patient-search-gender-name", f"/fhir/Patient?gender={patient['gender']}&name={family}")
    add("patient-page-2", "/fhir/Patient?name=ZZDEMO&_count=3&_offset=3")

    # one patient with each kind of record
    found: dict[str, str] = {}
    for entry in patients["entry"]:
        p = entry["resource"]["id"]
        for rtype, query in (
            ("Condition", f"patient={p}"),
            ("AllergyIntolerance", f"patient={p}"),
            ("MedicationRequest", f"patient={p}&intent=order"),
            ("Observation", f"patient={p}&category=vital-signs"),
            ("Encounter", f"patient={p}"),
        ):
            if rtype not in found and fetch(http, f"/fhir/{rtype}?{query}").get("entry"):
                found[rtype] = p
    for rtype in (
        "Condition",
        "AllergyIntolerance",
        "Observation",
        "Encounter",
        "MedicationRequest",
    ):
        assert rtype in found, f"the demo VistA has no {rtype} for the first patients"

    p = found["Observation"]
    obs = add(
        "obs-patient-category", f"/fhir/Observation?patient={p}&category=vital-signs&_count=100"
    )
    add("obs-patient-code-bp", f"/fhir/Observation?patient={p}&code=http://loinc.org|85354-9")
    add("obs-patient-code-weight", f"/fhir/Observation?patient={p}&code=29463-7")
    add(
        "obs-patient-category-date",
        f"/fhir/Observation?patient={p}&category=vital-signs&date=ge2000-01-01&date=lt2100",
    )
    add("obs-survey", f"/fhir/Observation?patient={p}&category=survey")
    add("obs-read", f"/fhir/Observation/{first_id(obs)}")
    loincs = {e["resource"]["code"]["coding"][0]["code"] for e in obs["entry"]}
    assert {"85354-9", "8310-5", "8867-4", "9279-1", "29463-7"} <= loincs, loincs

    p = found["Condition"]
    cond = add("condition-patient", f"/fhir/Condition?patient={p}")
    add("condition-patient-category", f"/fhir/Condition?patient={p}&category=problem-list-item")
    add("condition-read", f"/fhir/Condition/{first_id(cond)}")
    p = found["AllergyIntolerance"]
    allergy = add("allergy-patient", f"/fhir/AllergyIntolerance?patient={p}")
    add("allergy-read", f"/fhir/AllergyIntolerance/{first_id(allergy)}")
    p = found["Encounter"]
    enc = add("encounter-patient", f"/fhir/Encounter?patient={p}")
    eid = first_id(enc)
    add("encounter-id", f"/fhir/Encounter?_id={eid}")
    day = enc["entry"][0]["resource"]["period"]["start"][:10]
    add("encounter-date-patient", f"/fhir/Encounter?date=ge{day}&patient={p}")
    add("encounter-read", f"/fhir/Encounter/{eid}")
    p = found["MedicationRequest"]
    meds = add("medreq-patient-intent", f"/fhir/MedicationRequest?patient={p}&intent=order")
    add(
        "medreq-patient-intent-status",
        f"/fhir/MedicationRequest?patient={p}&intent=order&status=active",
    )
    add("medreq-read", f"/fhir/MedicationRequest/{first_id(meds)}")

    prac = add("practitioner-name", "/fhir/Practitioner?name=ZZDEMO")
    prid = first_id(prac)
    add("practitioner-identifier", f"/fhir/Practitioner?identifier=urn:va:duz|{prid}")
    add("practitioner-read", f"/fhir/Practitioner/{prid}")
    loc = add("location-name", "/fhir/Location?name=ZZDEMO")
    add("location-address", "/fhir/Location?address=ZZ")
    add("location-read", f"/fhir/Location/{first_id(loc)}")

    # errors are OperationOutcomes, and valid ones
    add("error-unknown-param", "/fhir/Patient?bogus=1", 400)
    add("error-bad-date", f"/fhir/Observation?patient={p}&date=2024-02-30", 400)
    add("error-not-found", "/fhir/Patient/99999999", 404)
    add("error-unknown-type", "/fhir/Specimen?patient=1", 400)

    report = validate(docs, tmp_path)
    checks = [line for line in report.splitlines() if ": PASS " in line]
    print(f"FHIR validator: {len(docs)} documents, {len(checks)} resource/profile checks, 0 errors")
    for profile in (
        "us-core-patient",
        "us-core-blood-pressure",
        "us-core-body-weight",
        "us-core-condition-problems-health-concerns",
        "us-core-allergyintolerance",
        "us-core-medicationrequest",
        "us-core-encounter",
        "us-core-practitioner",
        "us-core-location",
        "us-core-observation-screening-assessment",
    ):
        assert f"{profile}: PASS" in report, f"nothing was checked against {profile}"
    for _, doc in docs:
        if doc["resourceType"] == "Bundle":
            for e in doc.get("entry", []):
                validate_r4b(e["resource"])
        validate_r4b(doc)


def test_the_server_writes_its_audit_log(server: Server, http: httpx.Client) -> None:
    fetch(http, "/fhir/Patient/1")
    assert server.audit_path.exists()
    assert '"route":"/fhir/Patient/{id}"' in server.audit_path.read_text()
