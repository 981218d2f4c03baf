"""Hand-built clinical records (our own synthetic values) covering every mapping branch."""

from __future__ import annotations

from datetime import date, datetime

from bridge.clinical.models import (
    Address,
    Allergy,
    Coded,
    Location,
    Medication,
    Patient,
    Problem,
    Provider,
    Ref,
    Visit,
    Vital,
)


def ref(file: str, ien: str, name: str | None = None) -> Ref:
    return Ref(file=file, ien=ien, name=name)


DOC = ref("200", "3", "ZZDOC,ONE")
PATIENT = Patient(
    ien="7",
    name="ZZDEMO,ALICE B",
    family_name="ZZDEMO",
    given_names="ALICE B",
    sex=Coded(code="F", label="FEMALE"),
    birth_date=date(1950, 3, 4),
    ssn="000123456",
    marital_status=ref("11", "1", "MARRIED"),
    race=ref("10", "5", "WHITE"),
    address=Address(
        line1="1 MAIN ST", city="ANYTOWN", state="OHIO", state_abbreviation="OH", zip="43001"
    ),
    phone_home="555-0100",
    email="alice@example.org",
    icn="1000000007V123456",
    primary_provider=DOC,
)
PATIENT_BARE = Patient(ien="8", name="ZZDEMO,BOB", family_name="ZZDEMO", given_names="BOB")
PROVIDER = Provider(ien="3", name="ZZDOC,ONE", npi="1234567893", sex=Coded(code="M", label="MALE"))
LOCATION = Location(
    ien="4", name="ZZ PRIMARY CARE", abbreviation="PC", type=Coded(code="C", label="CLINIC")
)
VISIT = Visit(
    ien="11",
    patient_ien="7",
    date_time=datetime(2024, 5, 6, 9, 30),
    service_category=Coded(code="A", label="AMBULATORY"),
    location=ref("44", "4", "ZZ PRIMARY CARE"),
    created_by=DOC,
    checked_out=datetime(2024, 5, 6, 10, 0),
)
_VITALS = [
    ("BP", "BLOOD PRESSURE", "120/80", "mm[Hg]"),
    ("T", "TEMPERATURE", "98.6", "[degF]"),
    ("P", "PULSE", "72", "/min"),
    ("R", "RESPIRATION", "16", "/min"),
    ("HT", "HEIGHT", "65", "[in_i]"),
    ("WT", "WEIGHT", "150.2", "[lb_av]"),
    ("PN", "PAIN", "3", "{score}"),
    ("WT", "WEIGHT", "Refused", "[lb_av]"),
]
VITALS = [
    Vital(
        ien=str(20 + i),
        patient_ien="7",
        type=ref("120.51", str(i + 1), name),
        abbreviation=abbr,
        value=value,
        unit=unit,
        taken=datetime(2024, 5, 6, 9, 35),
        entered_by=DOC,
    )
    for i, (abbr, name, value, unit) in enumerate(_VITALS)
]
PROBLEMS = [
    Problem(
        ien="31",
        patient_ien="7",
        icd_code="E11.9",
        icd_description="Type 2 diabetes mellitus without complications",
        narrative="Diabetes",
        status=Coded(code="A", label="ACTIVE"),
        onset=date(2020, 1, 2),
        entered=date(2020, 1, 3),
        recording_provider=DOC,
    ),
    Problem(
        ien="32",
        patient_ien="7",
        icd_code="J45.909",
        status=Coded(code="I", label="INACTIVE"),
        onset=date(2019, 1, 1),
        resolved=date(2021, 1, 1),
    ),
]
ALLERGIES = [
    Allergy(
        ien="41",
        patient_ien="7",
        reactant="PENICILLIN",
        allergen=ref("120.82", "5", "PENICILLIN"),
        allergy_type="D",
        origination=datetime(2020, 1, 1, 8, 0),
        originator=DOC,
        mechanism=Coded(code="A", label="ALLERGY"),
        verified=True,
        reactions=["HIVES", "RASH"],
    ),
    Allergy(ien="42", patient_ien="7", reactant="PEANUTS", allergy_type="F", entered_in_error=True),
]
MEDICATION = Medication(
    ien="51",
    patient_ien="7",
    rx_number="100051",
    drug=ref("50", "9", "METFORMIN 500MG TAB"),
    sig="TAKE 1 TABLET BY MOUTH TWICE A DAY",
    quantity=60,
    days_supply=30,
    refills=3,
    issued=date(2024, 1, 1),
    expiration=date(2025, 1, 1),
    status=Coded(code="0", label="ACTIVE"),
    provider=DOC,
)
