"""Errors of the FHIR layer; the API turns each into an OperationOutcome with its HTTP status.

Each error carries the FHIR issue ``code`` (from the R4 IssueType value set) and the status the
API answers with, so the mapping to HTTP lives with the error and not in a table elsewhere.
Messages name the parameter or resource at fault and never echo patient data.
"""

from __future__ import annotations

from parsers.errors import BridgeError


class FhirError(BridgeError):
    """Root of the FHIR layer's errors."""

    status = 400
    issue_code = "invalid"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidSearchError(FhirError):
    """A search parameter is unknown, repeated, malformed or not supported in this combination."""

    issue_code = "invalid"


class UnsupportedResourceError(FhirError):
    """The resource type is not one this server serves (see /fhir/metadata).

    A 400, not a 404: the request itself names something this server does not offer."""

    status = 400
    issue_code = "not-supported"


class ResourceNotFoundError(FhirError):
    """No resource of this type has this id."""

    status = 404
    issue_code = "not-found"
