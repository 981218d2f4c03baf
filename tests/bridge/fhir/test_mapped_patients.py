"""The Patient resource memo: reused only for the very same Patient and mapping context."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bridge.facade import Bridge
from bridge.fhir import FhirService, MappingContext
from bridge.fhir.mapping import people
from bridge.fhir.resources import _MappedPatients


def test_same_patient_same_context_reuses_the_resource_else_maps_again() -> None:
    clinical = Bridge.demo(patients=3, seed=3).clinical
    memo, ctx = _MappedPatients(), MappingContext()
    p = clinical.get_patient("1")
    first = memo(p, ctx)
    assert first == people.patient(p, ctx) and memo(p, ctx) is first
    other_ctx = MappingContext(zone=ZoneInfo("America/New_York"), dfn_system="urn:x:dfn")
    assert memo(p, other_ctx)["identifier"][0]["system"] == "urn:x:dfn"
    clinical.store.set("DPT", ("1", ".13"), "555-0199")
    changed = memo(clinical.get_patient("1"), ctx)
    assert changed is not first
    assert {"system": "phone", "value": "555-0199", "use": "home"} in changed["telecom"]


def test_reads_and_searches_show_an_edited_patient_at_once() -> None:
    bridge = Bridge.demo(patients=12, seed=3)
    svc = FhirService(bridge.clinical, MappingContext())
    query = svc.parse("Patient", [("name", "ZZDEMO"), ("_count", "20")])
    before = svc.search("Patient", query, "http://h/fhir")
    assert svc.read("Patient", "2")["name"][0]["family"] == "ZZDEMO"
    zero = bridge.clinical.store.get("DPT", ("2", "0")) or ""
    bridge.clinical.store.set("DPT", ("2", "0"), "ZZDEMO,RENAMED" + zero[zero.index("^") :])
    assert svc.read("Patient", "2")["name"][0]["given"] == ["RENAMED"]
    after = svc.search("Patient", query, "http://h/fhir")
    texts = [e["resource"]["name"][0]["text"] for e in after["entry"]]
    assert "RENAMED ZZDEMO" in texts and texts != [
        e["resource"]["name"][0]["text"] for e in before["entry"]
    ]


def test_the_memo_is_bounded() -> None:
    clinical = Bridge.demo(patients=5, seed=3).clinical
    memo, ctx = _MappedPatients(size=2), MappingContext()
    for ien in ("1", "2", "3", "4"):
        memo(clinical.get_patient(ien), ctx)
    assert len(memo._memo) == 2


def test_a_zero_memo_maps_every_time() -> None:
    clinical = Bridge.demo(patients=2, seed=3).clinical
    memo, ctx = _MappedPatients(size=0), MappingContext()
    p = clinical.get_patient("1")
    assert memo(p, ctx) == memo(p, ctx) and memo(p, ctx) is not memo(p, ctx)
