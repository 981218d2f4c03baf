"""Canonical URLs and code systems the FHIR mapping names (FHIR R4 4.0.1, US Core 6.1.0)."""

from __future__ import annotations

from typing import Final

FHIR_VERSION: Final = "4.0.1"
US_CORE: Final = "http://hl7.org/fhir/us/core/StructureDefinition/"

PATIENT: Final = US_CORE + "us-core-patient"
PRACTITIONER: Final = US_CORE + "us-core-practitioner"
LOCATION: Final = US_CORE + "us-core-location"
ENCOUNTER: Final = US_CORE + "us-core-encounter"
CONDITION_PROBLEMS: Final = US_CORE + "us-core-condition-problems-health-concerns"
ALLERGY: Final = US_CORE + "us-core-allergyintolerance"
MEDICATION_REQUEST: Final = US_CORE + "us-core-medicationrequest"
VITAL_SIGNS: Final = US_CORE + "us-core-vital-signs"
SCREENING_ASSESSMENT: Final = US_CORE + "us-core-observation-screening-assessment"
RACE_EXT: Final = US_CORE + "us-core-race"

# Code systems
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
OBS_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
COND_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
COND_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION: Final = (
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
)
ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
MARITAL: Final = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
MED_REQUEST_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
DATA_ABSENT: Final = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
ICD9CM: Final = "http://hl7.org/fhir/sid/icd-9-cm"
NPI: Final = "http://hl7.org/fhir/sid/us-npi"
ICN: Final = "urn:oid:2.16.840.1.113883.4.349"
CDC_RACE: Final = "urn:oid:2.16.840.1.113883.6.238"
