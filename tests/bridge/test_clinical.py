"""Clinical extraction over the demo VistA: searches, per-patient records, paging, errors."""

from __future__ import annotations

from datetime import date

import pytest

from bridge.clinical import Clinical
from bridge.errors import BadQueryError, NotFoundError
from bridge.facade import Bridge


@pytest.fixture(scope="module")
def clinical() -> Clinical:
    return Bridge.demo(patients=40, seed=7).clinical


def test_patient_demographics_resolve_pointers_and_codes(clinical: Clinical) -> None:
    p = clinical.get_patient("1")
    assert p.name == "ZZDEMO,PATIENT ONE"
    assert (p.family_name, p.given_names) == ("ZZDEMO", "PATIENT ONE")
    assert p.sex is not None and p.sex.label in {"MALE", "FEMALE"}
    assert p.ssn == "000000001"
    assert p.marital_status is not None and p.marital_status.file == "11"
    assert p.marital_status.name
    assert p.address is not None and p.address.state and p.address.state_abbreviation
    assert p.icn is not None and p.icn.startswith("9990000001V")
    assert p.primary_provider is not None
    assert (p.primary_provider.name or "").startswith("ZZDEMO,PROV")


def test_search_by_name_prefix_any_case(clinical: Clinical) -> None:
    page = clinical.search_patients(name="zzdemo,patient t", limit=50)
    names = [p.name for p in page.items]
    assert "ZZDEMO,PATIENT TWO" in names and "ZZDEMO,PATIENT THIRTY" in names
    assert all(n.startswith("ZZDEMO,PATIENT T") for n in names)
    assert [int(p.ien) for p in page.items] == sorted(int(p.ien) for p in page.items)


def test_search_by_identifier_dfn_ssn_icn(clinical: Clinical) -> None:
    assert [p.ien for p in clinical.search_patients(identifier="12").items] == ["12"]
    assert [p.ien for p in clinical.search_patients(identifier="000-00-0012").items] == ["12"]
    icn = clinical.get_patient("12").icn
    assert icn is not None
    assert [p.ien for p in clinical.search_patients(identifier=icn).items] == ["12"]
    assert clinical.search_patients(identifier="999-99-9999").items == []


def test_search_by_sex_and_birth_date(clinical: Clinical) -> None:
    target = clinical.get_patient("5")
    assert target.birth_date is not None and target.sex is not None
    found = clinical.search_patients(birth_date=target.birth_date, limit=100).items
    assert "5" in [p.ien for p in found]
    assert all(p.birth_date == target.birth_date for p in found)
    women = clinical.search_patients(sex="f", limit=100).items
    assert women and all(p.sex is not None and p.sex.code == "F" for p in women)


def test_paging_with_cursor_covers_everyone_once(clinical: Clinical) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = clinical.search_patients(limit=15, cursor=cursor)
        seen.extend(p.ien for p in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [str(i) for i in range(1, 41)]


def test_bad_queries_are_typed_errors(clinical: Clinical) -> None:
    with pytest.raises(BadQueryError, match="limit"):
        clinical.search_patients(limit=0)
    with pytest.raises(BadQueryError, match="cursor"):
        clinical.search_patients(cursor="abc")
    with pytest.raises(BadQueryError, match="sex"):
        clinical.search_patients(sex="X")
    with pytest.raises(BadQueryError, match="whole number"):
        clinical.get_patient("1;DROP")
    with pytest.raises(NotFoundError) as info:
        clinical.get_patient("999")
    assert (info.value.file, info.value.ien) == ("2", "999")
    with pytest.raises(NotFoundError):
        clinical.vitals("999")


def test_vitals_are_typed_with_units_and_ordered(clinical: Clinical) -> None:
    vitals = clinical.vitals("1")
    assert vitals
    kinds = {v.abbreviation for v in vitals}
    assert {"BP", "T", "P", "R", "WT", "PN", "HT"} <= kinds
    assert [v.taken for v in vitals] == sorted(v.taken for v in vitals if v.taken)
    bp = next(v for v in vitals if v.abbreviation == "BP")
    assert bp.unit == "mm[Hg]" and "/" in bp.value and bp.type.name == "BLOOD PRESSURE"
    assert bp.location is not None and bp.location.name and bp.entered_by is not None
    assert all(v.patient_ien == "1" for v in vitals)
    assert clinical.get_vital(bp.ien) == bp


def _with(clinical: Clinical, what: str) -> str:
    for dfn in range(1, 41):
        if getattr(clinical, what)(str(dfn)):
            return str(dfn)
    raise AssertionError(f"no demo patient has {what}")


def test_allergies_with_allergen_and_reactions(clinical: Clinical) -> None:
    dfn = _with(clinical, "allergies")
    allergy = clinical.allergies(dfn)[0]
    assert allergy.allergen is not None and allergy.allergen.file == "120.82"
    assert allergy.allergen.name == allergy.reactant
    assert allergy.reactions and all(isinstance(r, str) and r for r in allergy.reactions)
    assert allergy.observed_historical is not None
    assert allergy.observed_historical.label in {"OBSERVED", "HISTORICAL"}
    assert allergy.verified and allergy.origination is not None
    assert clinical.get_allergy(allergy.ien) == allergy


def test_problems_carry_icd_codes_and_narratives(clinical: Clinical) -> None:
    dfn = _with(clinical, "problems")
    for problem in clinical.problems(dfn):
        assert problem.patient_ien == dfn
        assert problem.icd_code and problem.icd_description and problem.narrative
        assert problem.status is not None and problem.status.code in {"A", "I"}
        if problem.status.code == "I":
            assert problem.resolved is not None
    first = clinical.problems(dfn)[0]
    assert clinical.get_problem(first.ien) == first


def test_medications_from_the_pharmacy_patient_profile(clinical: Clinical) -> None:
    dfn = _with(clinical, "medications")
    meds = clinical.medications(dfn)
    for med in meds:
        assert med.patient_ien == dfn
        assert med.drug is not None and med.drug.name and med.sig
        assert med.quantity and med.days_supply in {30, 90}
        assert med.status is not None
        assert med.issued is not None and med.expiration is not None
        expected = "ACTIVE" if med.expiration > date(2026, 1, 1) else "EXPIRED"
        assert med.status.label == expected
    assert clinical.get_medication(meds[0].ien) == meds[0]


def test_visits_ordered_with_clinic_and_provider(clinical: Clinical) -> None:
    visits = clinical.visits("2")
    assert visits
    assert [v.date_time for v in visits] == sorted(v.date_time for v in visits if v.date_time)
    v = visits[0]
    assert v.type is not None and v.type.label == "VA"
    assert v.location is not None and v.location.name and v.created_by is not None
    assert clinical.get_visit(v.ien) == v


def test_providers_and_locations_list_page_and_search(clinical: Clinical) -> None:
    first = clinical.providers(limit=10)
    assert len(first.items) == 10 and first.next_cursor == "10"
    rest = clinical.providers(limit=100, cursor=first.next_cursor)
    assert rest.next_cursor is None and rest.items[0].ien == "11"
    named = clinical.providers(name="zzdemo,provider tw")
    assert {p.name for p in named.items} >= {"ZZDEMO,PROVIDER TWO", "ZZDEMO,PROVIDER TWELVE"}
    locations = clinical.locations().items
    assert any(loc.type is not None and loc.type.code == "W" for loc in locations)
    clinic = clinical.get_location("1")
    assert clinic.name.startswith("ZZDEMO") and clinic.default_provider is not None
    assert clinical.get_provider("1").npi == "0000000001"
    with pytest.raises(NotFoundError):
        clinical.get_location("99")
