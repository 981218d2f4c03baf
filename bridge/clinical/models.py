"""The clinical records the bridge hands to the API (FHIR mapping) and the CLI.

Each model is what one VistA FileMan entry says, already decoded: IENs as strings (the FileMan
internal entry number, which the FHIR layer uses as the resource id), dates as Python values,
set-of-codes fields as both their code and their label, pointers as the target's IEN plus the
target's .01 (its name).  ``None`` means FileMan holds no value for that field.  The source file
and field of every attribute are named in its description so mappings stay traceable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self, cast

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """A record from values the clinical reader already decoded to the declared types,
        without validating them again (a FHIR search builds one per patient it returns).

        This is ``model_construct`` for the case where every field is given, which skips its
        per-field default handling (half the cost of building a patient); with any field
        missing or unknown it is ``model_construct`` itself."""
        if values.keys() != cls.__pydantic_fields__.keys():
            return cast(Self, cls.model_construct(**values))
        record = cls.__new__(cls)
        object.__setattr__(record, "__dict__", values)
        object.__setattr__(record, "__pydantic_fields_set__", set(values))
        object.__setattr__(record, "__pydantic_extra__", None)
        object.__setattr__(record, "__pydantic_private__", None)
        return record


class Coded(_Record):
    """A set-of-codes value: the internal code and the label FileMan shows."""

    code: str
    label: str


class Ref(_Record):
    """A pointer: the target file, its IEN, and the target's .01 (display name)."""

    file: str = Field(description="target FileMan file number, e.g. '200'")
    ien: str
    name: str | None = Field(default=None, description="the target entry's .01 (external value)")


class Address(_Record):
    """PATIENT (#2) node .11: street lines, city, state (pointer to STATE #5), zip."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = Field(default=None, description="STATE (#5) .01 name")
    state_abbreviation: str | None = Field(default=None, description="STATE (#5) field 1")
    zip: str | None = None


class Patient(_Record):
    """PATIENT (#2): demographics.  ``ien`` is the DFN."""

    ien: str
    name: str = Field(description="#2 .01 NAME, FileMan form 'FAMILY,GIVEN MIDDLE'")
    family_name: str
    given_names: str
    sex: Coded | None = Field(default=None, description="#2 .02 SEX (M/F)")
    birth_date: date | None = Field(default=None, description="#2 .03 DATE OF BIRTH")
    ssn: str | None = Field(default=None, description="#2 .09 (demo: always 000-prefixed)")
    marital_status: Ref | None = Field(default=None, description="#2 .05 -> MARITAL STATUS #11")
    race: Ref | None = Field(default=None, description="#2 .06 -> RACE #10")
    religion: Ref | None = Field(default=None, description="#2 .08 -> RELIGION #13")
    address: Address | None = None
    phone_home: str | None = Field(default=None, description="#2 .131")
    phone_cell: str | None = Field(default=None, description="#2 .134")
    email: str | None = Field(default=None, description="#2 .133")
    date_of_death: date | None = Field(default=None, description="#2 .351")
    icn: str | None = Field(default=None, description="#2 991.01 INTEGRATION CONTROL NUMBER")
    primary_provider: Ref | None = Field(default=None, description="#2 .104 PROVIDER -> #200")


class Provider(_Record):
    """NEW PERSON (#200): a clinician or user."""

    ien: str
    name: str = Field(description="#200 .01 NAME")
    initials: str | None = Field(default=None, description="#200 1 INITIAL")
    sex: Coded | None = Field(default=None, description="#200 4 SEX")
    npi: str | None = Field(default=None, description="#200 41.99 NPI (demo: not a real NPI)")
    title: str | None = Field(default=None, description="#200 20.3 SIGNATURE BLOCK TITLE")
    email: str | None = Field(default=None, description="#200 .151")
    phone: str | None = Field(default=None, description="#200 .132 OFFICE PHONE")
    can_write_med_orders: bool = Field(default=False, description="#200 53.1")
    disabled: bool = Field(default=False, description="#200 7 DISUSER")


class Location(_Record):
    """HOSPITAL LOCATION (#44): clinics and wards."""

    ien: str
    name: str = Field(description="#44 .01")
    abbreviation: str | None = Field(default=None, description="#44 1")
    type: Coded | None = Field(default=None, description="#44 2 TYPE (C clinic, W ward...)")
    service: Coded | None = Field(default=None, description="#44 9 SERVICE")
    phone: str | None = Field(default=None, description="#44 99 TELEPHONE")
    default_provider: Ref | None = Field(default=None, description="#44 16 -> #200")
    inactive_since: date | None = Field(default=None, description="#44 2505 INACTIVATE DATE")


class Visit(_Record):
    """VISIT (#9000010): an encounter."""

    ien: str
    patient_ien: str = Field(description="#9000010 .05 (IHS PATIENT #9000001, DINUM = DFN)")
    date_time: datetime | None = Field(default=None, description="#9000010 .01")
    created: datetime | None = Field(default=None, description="#9000010 .02")
    type: Coded | None = Field(default=None, description="#9000010 .03 TYPE (V = VA)")
    service_category: Coded | None = Field(default=None, description="#9000010 .07")
    location: Ref | None = Field(default=None, description="#9000010 .22 -> #44")
    created_by: Ref | None = Field(default=None, description="#9000010 .23 -> #200")
    checked_out: datetime | None = Field(default=None, description="#9000010 .18")
    visit_id: str | None = Field(default=None, description="#9000010 15001 VISIT ID")
    patient_status: Coded | None = Field(default=None, description="#9000010 15002 IN/OUT")


class Vital(_Record):
    """GMRV VITAL MEASUREMENT (#120.5): one measurement."""

    ien: str
    patient_ien: str = Field(description="#120.5 .02 -> PATIENT #2")
    type: Ref = Field(description="#120.5 .03 -> GMRV VITAL TYPE #120.51 (name)")
    abbreviation: str | None = Field(
        default=None, description="#120.51 1 ABBREVIATION: BP, T, P, R, HT, WT, PN..."
    )
    value: str = Field(description="#120.5 1.2 RATE as stored ('120/80', '98.6', '7')")
    unit: str | None = Field(
        default=None, description="the VistA unit of the type (mm[Hg], F, /min, in, lb)"
    )
    taken: datetime | None = Field(default=None, description="#120.5 .01")
    entered: datetime | None = Field(default=None, description="#120.5 .04")
    location: Ref | None = Field(default=None, description="#120.5 .05 -> #44")
    entered_by: Ref | None = Field(default=None, description="#120.5 .06 -> #200")
    entered_in_error: bool = Field(default=False, description="#120.5 2")


class Allergy(_Record):
    """PATIENT ALLERGIES (#120.8): one allergy or adverse reaction."""

    ien: str
    patient_ien: str = Field(description="#120.8 .01 -> PATIENT #2")
    reactant: str = Field(description="#120.8 .02 REACTANT (free text)")
    allergen: Ref | None = Field(
        default=None,
        description="#120.8 1 GMR ALLERGY, variable pointer (demo: GMR ALLERGIES #120.82)",
    )
    allergy_type: str | None = Field(
        default=None, description="#120.8 3.1: letters D drug, F food, O other (e.g. 'DF')"
    )
    origination: datetime | None = Field(default=None, description="#120.8 4")
    originator: Ref | None = Field(default=None, description="#120.8 5 -> #200")
    observed_historical: Coded | None = Field(default=None, description="#120.8 6 o/h")
    mechanism: Coded | None = Field(default=None, description="#120.8 17 A/P/U")
    verified: bool = Field(default=False, description="#120.8 19")
    verification: datetime | None = Field(default=None, description="#120.8 20")
    reactions: list[str] = Field(
        default_factory=list, description="#120.8 10 REACTIONS (120.81 .01 -> #120.83 names)"
    )
    entered_in_error: bool = Field(default=False, description="#120.8 22")


class Problem(_Record):
    """PROBLEM (#9000011): one problem-list entry with its ICD code."""

    ien: str
    patient_ien: str = Field(description="#9000011 .02 (IHS PATIENT #9000001, DINUM = DFN)")
    icd_code: str | None = Field(default=None, description="#9000011 .01 -> ICD DIAGNOSIS #80 .01")
    icd_system: str = Field(default="ICD-10-CM", description="the code system of icd_code")
    icd_description: str | None = Field(default=None, description="#80 3 DIAGNOSIS")
    narrative: str | None = Field(
        default=None, description="#9000011 .05 -> PROVIDER NARRATIVE #9999999.27 .01"
    )
    status: Coded | None = Field(default=None, description="#9000011 .12 A/I")
    onset: date | None = Field(default=None, description="#9000011 .13")
    entered: date | None = Field(default=None, description="#9000011 .08")
    last_modified: date | None = Field(default=None, description="#9000011 .03")
    resolved: date | None = Field(default=None, description="#9000011 1.07")
    priority: Coded | None = Field(default=None, description="#9000011 1.14 A/C")
    recording_provider: Ref | None = Field(default=None, description="#9000011 1.04 -> #200")
    clinic: Ref | None = Field(default=None, description="#9000011 1.08 -> #44")


class Medication(_Record):
    """PRESCRIPTION (#52): one outpatient prescription (linked from PHARMACY PATIENT #55)."""

    ien: str
    patient_ien: str = Field(description="#52 2 -> PATIENT #2")
    rx_number: str = Field(description="#52 .01 RX #")
    drug: Ref | None = Field(default=None, description="#52 6 -> DRUG #50 (generic name)")
    sig: str | None = Field(default=None, description="#52 10 SIG (directions, free text)")
    quantity: float | None = Field(default=None, description="#52 7 QTY")
    days_supply: int | None = Field(default=None, description="#52 8 DAYS SUPPLY")
    refills: int | None = Field(default=None, description="#52 9 # OF REFILLS")
    issued: date | None = Field(default=None, description="#52 1 ISSUE DATE")
    fill_date: date | None = Field(default=None, description="#52 22 FILL DATE")
    expiration: date | None = Field(default=None, description="#52 26 EXPIRATION DATE")
    status: Coded | None = Field(default=None, description="#52 100 STATUS (0 ACTIVE...)")
    provider: Ref | None = Field(default=None, description="#52 4 -> #200")
    clinic: Ref | None = Field(default=None, description="#52 5 -> #44")


__all__ = [
    "Address",
    "Allergy",
    "Coded",
    "Location",
    "Medication",
    "Patient",
    "Problem",
    "Provider",
    "Ref",
    "Visit",
    "Vital",
]
