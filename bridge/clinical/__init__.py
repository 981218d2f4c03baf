"""Clinical extraction: VistA's clinical files as pydantic models (see ``models``)."""

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
from bridge.clinical.repository import Clinical, Page

__all__ = [
    "Address",
    "Allergy",
    "Clinical",
    "Coded",
    "Location",
    "Medication",
    "Page",
    "Patient",
    "Problem",
    "Provider",
    "Ref",
    "Visit",
    "Vital",
]
