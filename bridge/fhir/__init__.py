"""FHIR R4 (4.0.1) shaped by US Core 6.1.0, over the clinical records of the bridge."""

from bridge.fhir.errors import (
    FhirError,
    InvalidSearchError,
    ResourceNotFoundError,
    UnsupportedResourceError,
)
from bridge.fhir.mapping.common import MappingContext
from bridge.fhir.service import FhirService, capability_statement

__all__ = [
    "FhirError",
    "FhirService",
    "InvalidSearchError",
    "MappingContext",
    "ResourceNotFoundError",
    "UnsupportedResourceError",
    "capability_statement",
]
