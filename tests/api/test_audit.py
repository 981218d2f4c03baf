"""Every request to a route that returns patient data writes exactly one audit record, and the
record holds who/when/route/type/patient/outcome/request id, never the data."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api.conftest import FULL_KEY, AuditFile

# (method, path, route template, resource type, patient id, status)
PHI_CALLS = [
    ("GET", "/fhir/Patient/3", "/fhir/Patient/{id}", "Patient", "3", 200),
    ("GET", "/fhir/Patient?name=ZZDEMO", "/fhir/Patient", "Patient", None, 200),
    ("GET", "/fhir/Practitioner/1", "/fhir/Practitioner/{id}", "Practitioner", None, 200),
    ("GET", "/fhir/Practitioner?name=Z", "/fhir/Practitioner", "Practitioner", None, 200),
    ("GET", "/fhir/Location/1", "/fhir/Location/{id}", "Location", None, 200),
    ("GET", "/fhir/Location?name=Z", "/fhir/Location", "Location", None, 200),
    ("GET", "/fhir/Encounter/1", "/fhir/Encounter/{id}", "Encounter", "1", 200),
    ("GET", "/fhir/Encounter?patient=3", "/fhir/Encounter", "Encounter", "3", 200),
    ("GET", "/fhir/Observation/1", "/fhir/Observation/{id}", "Observation", "1", 200),
    (
        "GET",
        "/fhir/Observation?patient=3&category=vital-signs",
        "/fhir/Observation",
        "Observation",
        "3",
        200,
    ),
    ("GET", "/fhir/Condition?patient=2", "/fhir/Condition", "Condition", "2", 200),
    (
        "GET",
        "/fhir/AllergyIntolerance?patient=2",
        "/fhir/AllergyIntolerance",
        "AllergyIntolerance",
        "2",
        200,
    ),
    (
        "GET",
        "/fhir/MedicationRequest?patient=2&intent=order",
        "/fhir/MedicationRequest",
        "MedicationRequest",
        "2",
        200,
    ),
    ("GET", "/fhir/Patient/999999", "/fhir/Patient/{id}", "Patient", None, 404),
    (
        "GET",
        "/fileman/files/2/entries?name=ZZ",
        "/fileman/files/{file}/entries",
        "fileman:2",
        None,
        200,
    ),
    (
        "GET",
        "/fileman/files/2/entries/3?format=both",
        "/fileman/files/{file}/entries/{iens}",
        "fileman:2",
        "3",
        200,
    ),
    ("POST", "/rpc/XWB IM HERE", "/rpc/{name}", "rpc", None, 503),
]


@pytest.mark.parametrize(("method", "path", "route", "rtype", "patient", "status"), PHI_CALLS)
def test_each_phi_route_writes_exactly_one_record(
    client: TestClient,
    audit_file: AuditFile,
    method: str,
    path: str,
    route: str,
    rtype: str,
    patient: str | None,
    status: int,
) -> None:
    before = len(audit_file.records())
    r = client.request(
        method, path, json={} if method == "POST" else None, headers={"X-Request-ID": "req-audit-1"}
    )
    assert r.status_code == status, r.text
    records = audit_file.records()
    assert len(records) == before + 1
    rec = records[-1]
    assert rec["who"] == "api-key:full"
    assert rec["route"] == route and rec["method"] == method
    assert rec["resource_type"] == rtype
    assert rec["outcome"] == status
    assert rec["request_id"] == "req-audit-1" == r.headers["x-request-id"]
    if patient is not None:
        assert rec["patient_id"] == patient
    assert rec["time"].endswith("+00:00")
    # never the data: no names, no values of the query
    assert "ZZDEMO" not in str(rec) and "vital-signs" not in str(rec)


def test_refused_requests_are_audited_too(anon: TestClient, audit_file: AuditFile) -> None:
    anon.get("/fhir/Patient/1")
    anon.get("/fhir/Patient/1", headers={"X-API-Key": "wrong-key-123"})
    recs = audit_file.records()
    assert [r["outcome"] for r in recs] == [401, 401]
    assert all(r["who"] == "anonymous" for r in recs)


def test_routes_without_patient_data_write_nothing(
    client: TestClient, audit_file: AuditFile
) -> None:
    for path in (
        "/healthz",
        "/readyz",
        "/fhir/metadata",
        "/fileman/files",
        "/fileman/files/2",
        "/openapi.json",
        "/fhir/Foo",
    ):
        assert client.get(path).status_code in (200, 400)
    assert audit_file.records() == []


def test_a_fresh_request_id_is_made_when_none_or_a_bad_one_is_sent(
    client: TestClient, audit_file: AuditFile
) -> None:
    r1 = client.get("/fhir/Patient/1")
    r2 = client.get("/fhir/Patient/1", headers={"X-Request-ID": "bad id\twith junk"})
    ids = [r["request_id"] for r in audit_file.records()]
    assert ids == [r1.headers["x-request-id"], r2.headers["x-request-id"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)


def test_every_phi_route_of_the_app_is_covered_here(app: FastAPI) -> None:
    phi_routes = {
        r.path
        for r in app.routes
        if isinstance(r, APIRoute)
        and r.include_in_schema
        and (r.path.startswith(("/fhir/", "/rpc/", "/fileman/files/{file}/entries")))
        and r.path != "/fhir/metadata"
    }
    covered = {c[2] for c in PHI_CALLS}
    assert phi_routes <= covered, phi_routes - covered


def test_audit_file_is_append_only(client: TestClient, audit_file: AuditFile) -> None:
    client.get("/fhir/Patient/1", headers={"X-API-Key": FULL_KEY})
    first = audit_file.path.read_bytes()
    client.get("/fhir/Patient/2")
    assert audit_file.path.read_bytes().startswith(first)


def test_unknown_parameter_names_are_not_written(client: TestClient, audit_file: AuditFile) -> None:
    client.get("/fhir/Patient?ZZDEMO-SECRET=1")
    rec = audit_file.records()[-1]
    assert rec["params"] == ["(unknown)"] and rec["outcome"] == 400
