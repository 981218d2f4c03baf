"""The pydantic FHIR models of ``fhir.resources`` (R4B), as a second opinion on our JSON.

``fhir.resources`` 7+ ships R5 by default and R4B under ``fhir.resources.R4B``; the resources
we emit are identical in R4 and R4B (no element we use changed), so parsing our output with
the R4B models checks every element name, type and cardinality in Python. The offline FHIR
validator (``../shared/fhir-validate``) is the judge for R4 itself and the US Core profiles.
"""

from __future__ import annotations

import importlib
from typing import Any

from bridge.fhir.errors import FhirError


class ModelValidationError(FhirError):
    """Our own output failed the R4B model (a mapping bug, not a client error)."""

    status = 500
    issue_code = "exception"


def r4b_model(resource_type: str) -> Any:
    """The ``fhir.resources.R4B`` model class for a resource type."""
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def validate_r4b(resource: dict[str, Any]) -> Any:
    """Parse ``resource`` with its R4B model; raise :class:`ModelValidationError` if it fails.

    The error names the resource type and the failing element paths only (no values)."""
    rtype = str(resource.get("resourceType", ""))
    try:
        return r4b_model(rtype).model_validate(resource)
    except (ImportError, AttributeError):
        raise ModelValidationError(f"no R4B model for resource type {rtype!r}") from None
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        errors = getattr(exc, "errors", None)
        where = (
            ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in errors()[:5])
            if callable(errors)
            else type(exc).__name__
        )
        raise ModelValidationError(f"{rtype} does not fit the R4B model at: {where}") from None
