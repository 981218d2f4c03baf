"""FHIR routes over the demo VistA: reads, the US Core SHALL searches, paging, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.facade import Bridge

FHIR = "application/fhir+json"


def ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def search(client: TestClient, path: str) -> dict[str, Any]:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(FHIR)
    body: dict[str, Any] = r.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


def test_metadata_lists_exactly_the_served_types_and_their_parameters(
    anon: TestClient,
) -> None:
    cs = anon.get("/fhir/metadata").json()
    assert cs["fhirVersion"] == "4.0.1"
    res = {r["type"]: r for r in cs["rest"][0]["resource"]}
    assert set(res) == {
        "Patient",
        "Practitioner",
        "Location",
        "Encounter",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
    }
    assert {p["name"] for p in res["Observation"]["searchParam"]} == {
        "patient",
        "category",
        "code",
        "date",
    }
    # every listed parameter is really accepted, and an unlisted one is refused
    for rtype, r in res.items():
        for p in r["searchParam"]:
            assert p["type"] in ("token", "string", "date", "reference"), (rtype, p)


def test_patient_read_has_us_core_profile(client: TestClient) -> None:
    r = client.get("/fhir/Patient/1")
    assert r.status_code == 200 and r.headers["content-type"].startswith(FHIR)
    p = r.json()
    assert p["id"] == "1" and p["meta"]["profile"][0].endswith("us-core-patient")


def test_patient_searches_by_name_gender_birthdate_identifier_and_id(
    client: TestClient, demo_bridge: Bridge
) -> None:
    p3 = demo_bridge.clinical.get_patient("3")
    assert ids(search(client, "/fhir/Patient?_id=3")) == ["3"]
    assert "3" in ids(search(client, "/fhir/Patient?name=zzdemo&_count=100"))
    assert ids(search(client, "/fhir/Patient?identifier=urn:va:dfn|3")) == ["3"]
    gender = "male" if p3.sex and p3.sex.code == "M" else "female"
    both = ids(search(client, f"/fhir/Patient?gender={gender}&name=ZZDEMO&_count=100"))
    assert "3" in both
    other = "female" if gender == "male" else "male"
    assert "3" not in ids(search(client, f"/fhir/Patient?gender={other}&name=ZZDEMO&_count=100"))
    assert p3.birth_date is not None
    born = ids(search(client, f"/fhir/Patient?birthdate={p3.birth_date}&name=ZZDEMO"))
    assert "3" in born
    assert all(demo_bridge.clinical.get_patient(i).birth_date == p3.birth_date for i in born)
    assert ids(search(client, "/fhir/Patient?name=NOBODYLIKETHIS")) == []


def test_search_pages_with_next_links_until_done(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/fhir/Patient?name=ZZDEMO&_count=5"
    pages = 0
    while url is not None and pages < 10:
        body = search(client, url)
        seen += ids(body)
        nxt = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else None
        pages += 1
    assert url is None and pages == 3
    # name searches list in "B" index (name) order, as a VistA lookup does; each patient once
    assert sorted(seen, key=int) == [str(i) for i in range(1, 13)]
    assert body["total"] == 12


def test_observation_searches_by_category_code_and_date(client: TestClient) -> None:
    allv = search(client, "/fhir/Observation?patient=3&_count=100")
    vitals = search(client, "/fhir/Observation?patient=3&category=vital-signs&_count=100")
    assert 0 < len(ids(vitals)) <= len(ids(allv))
    bp = search(client, "/fhir/Observation?patient=3&code=http://loinc.org|85354-9&_count=100")
    assert ids(bp) and all(
        e["resource"]["code"]["coding"][0]["code"] == "85354-9" for e in bp["entry"]
    )
    dates = sorted(e["resource"]["effectiveDateTime"] for e in vitals["entry"])
    cut = dates[len(dates) // 2][:10]
    after = search(
        client,
        f"/fhir/Observation?patient=3&category=vital-signs&date=ge{cut}&_count=100",
    )
    before = search(
        client,
        f"/fhir/Observation?patient=3&category=vital-signs&date=lt{cut}&_count=100",
    )
    assert set(ids(after)).isdisjoint(ids(before))
    assert len(ids(after)) + len(ids(before)) == len(ids(vitals))
    assert all(e["resource"]["effectiveDateTime"][:10] >= cut for e in after["entry"])


def test_patient_scoped_searches(client: TestClient) -> None:
    conds = search(client, "/fhir/Condition?patient=2")
    assert ids(conds) and all(
        e["resource"]["subject"]["reference"] == "Patient/2" for e in conds["entry"]
    )
    assert ids(search(client, "/fhir/Condition?patient=2&category=problem-list-item")) == ids(conds)
    assert ids(search(client, "/fhir/Condition?patient=2&category=encounter-diagnosis")) == []
    allergies = search(client, "/fhir/AllergyIntolerance?patient=Patient/2")
    assert len(ids(allergies)) == 2
    meds = search(client, "/fhir/MedicationRequest?patient=2&intent=order")
    meds_active = search(client, "/fhir/MedicationRequest?patient=2&intent=order&status=active")
    assert set(ids(meds_active)) <= set(ids(meds))
    enc = search(client, "/fhir/Encounter?patient=3")
    assert len(ids(enc)) == 3
    first = enc["entry"][0]["resource"]
    assert ids(search(client, f"/fhir/Encounter?_id={first['id']}")) == [first["id"]]
    day = first["period"]["start"][:10]
    assert first["id"] in ids(search(client, f"/fhir/Encounter?patient=3&date={day}"))


def test_a_patient_that_does_not_exist_has_no_records(client: TestClient) -> None:
    assert ids(search(client, "/fhir/Condition?patient=999999")) == []


def test_practitioner_and_location_searches(client: TestClient) -> None:
    assert "1" in ids(search(client, "/fhir/Practitioner?name=zzdemo"))
    npi = "http://hl7.org/fhir/sid/us-npi|0000000002"
    assert ids(search(client, f"/fhir/Practitioner?identifier={npi}")) == ["2"]
    assert ids(search(client, "/fhir/Location?name=ZZDEMO CARD")) == ["2"]
    assert ids(search(client, "/fhir/Location?address=Nowhere")) == []


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/fhir/Foo", 400, "not supported"),
        ("/fhir/Foo/1", 400, "not supported"),
        ("/fhir/Patient?bogus=1", 400, "bogus"),
        ("/fhir/Patient?name:below=x", 400, "modifier"),
        ("/fhir/Observation?patient=1&date=2024-13-40", 400, "date"),
        ("/fhir/Observation?patient=1&date=gt-yesterday", 400, "date"),
        ("/fhir/Observation?category=vital-signs", 400, "patient"),
        ("/fhir/Patient?_count=100000", 400, "_count"),
        ("/fhir/Patient?_count=abc", 400, "_count"),
        ("/fhir/Patient/999999", 404, "does not exist"),
        ("/fhir/Patient/abc", 404, "does not exist"),
        ("/fhir/Patient/bad!id", 400, "not a valid FHIR id"),
    ],
)
def test_bad_input_gets_an_operation_outcome(
    client: TestClient, path: str, status: int, words: str
) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(FHIR)
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    assert words in body["issue"][0]["diagnostics"]
    assert "Traceback" not in r.text


def test_count_zero_returns_no_entries_and_no_next_link(client: TestClient) -> None:
    body = search(client, "/fhir/Patient?_count=0")
    assert "entry" not in body and [link["relation"] for link in body["link"]] == ["self"]


def test_offset_past_the_end_is_an_empty_page_with_a_previous_link(client: TestClient) -> None:
    body = search(client, "/fhir/Patient?name=ZZDEMO&_count=5&_offset=500")
    assert "entry" not in body and "total" not in body
    assert {link["relation"] for link in body["link"]} == {"self", "previous"}


def test_site_timezone_setting_puts_the_offset_on_datetimes(
    demo_bridge: Bridge, tmp_path: Path
) -> None:
    from api.app import create_app, site_zone
    from api.audit import AuditLog
    from bridge.errors import ConfigurationError
    from bridge.settings import Settings
    from tests.api.conftest import FULL_KEY, make_auth

    settings = Settings.model_validate({"server": {"timezone": "America/Chicago"}})
    bridge = Bridge(demo_bridge.store, settings=settings)
    app = create_app(bridge, authenticator=make_auth(), audit_log=AuditLog(tmp_path / "a.jsonl"))
    c = TestClient(app, headers={"X-API-Key": FULL_KEY})
    obs = c.get("/fhir/Observation?patient=1&_count=1").json()["entry"][0]["resource"]
    assert obs["effectiveDateTime"][-6:] in ("-05:00", "-06:00")
    with pytest.raises(ConfigurationError, match="timezone"):
        site_zone(Settings.model_validate({"server": {"timezone": "Mars/Olympus"}}))


def test_name_search_accepts_the_fileman_form(client: TestClient, demo_bridge: Bridge) -> None:
    name = demo_bridge.clinical.get_patient("4").name  # FAMILY,GIVEN
    escaped = name.replace(",", "\\,")  # a comma in a FHIR search value is escaped
    assert ids(search(client, f"/fhir/Patient?name={escaped}")) == ["4"]


def test_an_unexpected_failure_is_a_500_without_a_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, audit_file: Any
) -> None:
    from bridge.fhir.service import FhirService

    def boom(*_: Any) -> Any:
        raise RuntimeError("secret internal detail ZZDEMO")

    monkeypatch.setattr(FhirService, "read", boom)
    r = client.get("/fhir/Patient/1")
    assert r.status_code == 500 and r.headers["content-type"].startswith(FHIR)
    text = r.text
    assert "Traceback" not in text and "ZZDEMO" not in text and "RuntimeError" not in text
    rid = r.headers["x-request-id"]
    assert rid in r.json()["issue"][0]["diagnostics"]
    assert audit_file.records()[-1]["outcome"] == 500
