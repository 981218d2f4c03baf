"""VISIT, PROBLEM, PATIENT ALLERGIES and PRESCRIPTION entries as US Core resources."""

from __future__ import annotations

from datetime import datetime

from bridge.clinical.models import Allergy, Medication, Problem, Visit
from bridge.fhir import profiles
from bridge.fhir.mapping.common import (
    Json,
    MappingContext,
    coding,
    concept,
    fhir_datetime,
    ref,
    text_concept,
)

# VISIT (#9000010) .07 SERVICE CATEGORY -> v3-ActCode encounter class.
_CLASS = {
    "A": ("AMB", "ambulatory"),
    "H": ("IMP", "inpatient encounter"),
    "I": ("IMP", "inpatient encounter"),
    "D": ("IMP", "inpatient encounter"),
    "T": ("VR", "virtual"),
    "E": ("AMB", "ambulatory"),
    "X": ("AMB", "ambulatory"),
    "O": ("OBSENC", "observation encounter"),
    "R": ("PRENC", "pre-admission"),
    "S": ("IMP", "inpatient encounter"),
    "C": ("AMB", "ambulatory"),
    "N": ("AMB", "ambulatory"),
}


def encounter(v: Visit, ctx: MappingContext) -> Json:
    """VISIT (#9000010) -> US Core Encounter. A visit in the past is ``finished``."""
    cat = v.service_category.code if v.service_category else "A"
    cls = _CLASS.get(cat, ("AMB", "ambulatory"))
    type_text = v.service_category.label if v.service_category else "Visit"
    out: Json = {
        "resourceType": "Encounter",
        "id": v.ien,
        "meta": {"profile": [profiles.ENCOUNTER]},
        "identifier": [{"system": ctx.visit_system, "value": v.visit_id or v.ien}],
        "status": _encounter_status(v),
        "class": coding(profiles.ACT_CODE, cls[0], cls[1]),
        "type": [text_concept(type_text.title())],
        "subject": ref("Patient", v.patient_ien),
    }
    if v.created_by is not None:
        out["participant"] = [
            {"individual": ref("Practitioner", v.created_by.ien, v.created_by.name)}
        ]
    if v.date_time:
        period: Json = {"start": fhir_datetime(v.date_time, ctx)}
        if v.checked_out and v.checked_out >= v.date_time:
            period["end"] = fhir_datetime(v.checked_out, ctx)
        out["period"] = period
    if v.location is not None:
        out["location"] = [{"location": ref("Location", v.location.ien, v.location.name)}]
    return out


def _encounter_status(v: Visit) -> str:
    if v.date_time is None:
        return "unknown"
    return "finished" if v.date_time <= datetime.now() else "planned"


# PROBLEM (#9000011) .12 STATUS: A active, I inactive; 1.07 DATE RESOLVED.
def condition(p: Problem, ctx: MappingContext) -> Json:
    """PROBLEM (#9000011) -> US Core Condition (problems and health concerns)."""
    if p.resolved:
        clinical = ("resolved", "Resolved")
    elif p.status is not None and p.status.code == "I":
        clinical = ("inactive", "Inactive")
    else:
        clinical = ("active", "Active")
    text = p.narrative or p.icd_description or p.icd_code or "Problem"
    code: Json = {"text": text}
    if p.icd_code:
        system = profiles.ICD9CM if "9" in p.icd_system.split("-")[1:2] else profiles.ICD10CM
        code["coding"] = [coding(system, p.icd_code, p.icd_description)]
    out: Json = {
        "resourceType": "Condition",
        "id": p.ien,
        "meta": {"profile": [profiles.CONDITION_PROBLEMS]},
        "clinicalStatus": concept(profiles.COND_CLINICAL, *clinical),
        "verificationStatus": concept(profiles.COND_VERIFICATION, "confirmed", "Confirmed"),
        "category": [concept(profiles.COND_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": code,
        "subject": ref("Patient", p.patient_ien),
    }
    if p.onset:
        out["onsetDateTime"] = fhir_datetime(p.onset, ctx)
    if p.resolved:
        out["abatementDateTime"] = fhir_datetime(p.resolved, ctx)
    if p.entered:
        out["recordedDate"] = fhir_datetime(p.entered, ctx)
    if p.recording_provider is not None:
        out["recorder"] = ref("Practitioner", p.recording_provider.ien, p.recording_provider.name)
    return out


# PATIENT ALLERGIES (#120.8) 3.1 ALLERGY TYPE letters -> AllergyIntolerance.category.
_ALLERGY_CATEGORY = {"D": "medication", "F": "food", "O": "environment"}
# 17 MECHANISM: A allergy, P pharmacologic, U unknown.
_ALLERGY_TYPE = {"A": "allergy", "P": "intolerance"}


def allergy(a: Allergy, ctx: MappingContext) -> Json:
    """PATIENT ALLERGIES (#120.8) -> US Core AllergyIntolerance.

    An entry marked entered-in-error carries no clinicalStatus (invariant ait-2)."""
    out: Json = {
        "resourceType": "AllergyIntolerance",
        "id": a.ien,
        "meta": {"profile": [profiles.ALLERGY]},
    }
    if a.entered_in_error:
        out["verificationStatus"] = concept(
            profiles.ALLERGY_VERIFICATION, "entered-in-error", "Entered in Error"
        )
    else:
        out["clinicalStatus"] = concept(profiles.ALLERGY_CLINICAL, "active", "Active")
        out["verificationStatus"] = (
            concept(profiles.ALLERGY_VERIFICATION, "confirmed", "Confirmed")
            if a.verified
            else concept(profiles.ALLERGY_VERIFICATION, "unconfirmed", "Unconfirmed")
        )
    if a.mechanism is not None and a.mechanism.code in _ALLERGY_TYPE:
        out["type"] = _ALLERGY_TYPE[a.mechanism.code]
    cats = sorted({_ALLERGY_CATEGORY[c] for c in (a.allergy_type or "") if c in _ALLERGY_CATEGORY})
    if cats:
        out["category"] = cats
    out["code"] = {"text": (a.allergen.name if a.allergen and a.allergen.name else a.reactant)}
    out["patient"] = ref("Patient", a.patient_ien)
    if a.origination:
        out["recordedDate"] = fhir_datetime(a.origination, ctx)
    if a.originator is not None:
        out["recorder"] = ref("Practitioner", a.originator.ien, a.originator.name)
    if a.reactions:
        out["reaction"] = [{"manifestation": [text_concept(r) for r in a.reactions]}]
    return out


# PRESCRIPTION (#52) 100 STATUS -> MedicationRequest.status (see PSOORUT2 for the codes).
_RX_STATUS = {
    "0": "active",
    "1": "draft",
    "2": "active",
    "3": "on-hold",
    "4": "active",
    "5": "on-hold",
    "11": "completed",
    "12": "stopped",
    "13": "entered-in-error",
    "14": "stopped",
    "15": "stopped",
    "16": "on-hold",
}


def medication_status(m: Medication) -> str:
    return _RX_STATUS.get(m.status.code, "unknown") if m.status else "unknown"


def medication_request(m: Medication, ctx: MappingContext) -> Json:
    """PRESCRIPTION (#52) -> US Core MedicationRequest (an outpatient order)."""
    out: Json = {
        "resourceType": "MedicationRequest",
        "id": m.ien,
        "meta": {"profile": [profiles.MEDICATION_REQUEST]},
        "identifier": [{"system": "urn:va:rx", "value": m.rx_number}],
        "status": medication_status(m),
        "intent": "order",
        "category": [
            concept(profiles.MED_REQUEST_CATEGORY, "community", "Community", "Outpatient")
        ],
        "reportedBoolean": False,
        "medicationCodeableConcept": {"text": m.drug.name if m.drug and m.drug.name else "Drug"},
        "subject": ref("Patient", m.patient_ien),
    }
    if m.issued:
        out["authoredOn"] = fhir_datetime(m.issued, ctx)
    if m.provider is not None:
        out["requester"] = ref("Practitioner", m.provider.ien, m.provider.name)
    if m.sig:
        out["dosageInstruction"] = [{"text": m.sig}]
    dispense: Json = {}
    if m.refills is not None:
        dispense["numberOfRepeatsAllowed"] = m.refills
    if m.quantity is not None:
        dispense["quantity"] = {"value": m.quantity}
    if m.days_supply is not None:
        dispense["expectedSupplyDuration"] = {
            "value": m.days_supply,
            "unit": "days",
            "system": profiles.UCUM,
            "code": "d",
        }
    if m.issued and m.expiration:
        dispense["validityPeriod"] = {
            "start": fhir_datetime(m.issued, ctx),
            "end": fhir_datetime(m.expiration, ctx),
        }
    if dispense:
        out["dispenseRequest"] = dispense
    return out
