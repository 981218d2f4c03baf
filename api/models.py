"""Response models for the OpenAPI document: what each route answers, error bodies included.

The FHIR routes return the mapped JSON directly (no second validation on the hot path); these
models describe its outer shape so that the OpenAPI is true and schemathesis can check it. The
full FHIR structure is checked by the conformance tests with the FHIR validator.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Issue(_Open):
    severity: Literal["fatal", "error", "warning", "information"]
    code: str
    diagnostics: str | None = None


class OperationOutcome(_Open):
    resourceType: Literal["OperationOutcome"]
    issue: list[Issue] = Field(min_length=1)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str | None = None


class Meta(_Open):
    profile: list[str] = Field(min_length=1)


def resource_model(resource_type: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "resourceType": (Literal[resource_type], ...),
        "id": (str, Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")),
        "meta": (Meta, ...),
    }
    return create_model(resource_type, __base__=_Open, **fields)


class BundleLink(BaseModel):
    relation: Literal["self", "next", "previous"]
    url: str


class BundleSearch(BaseModel):
    mode: Literal["match"]


def bundle_model(resource_type: str, resource: type[BaseModel]) -> type[BaseModel]:
    entry_fields: dict[str, Any] = {
        "fullUrl": (str, ...),
        "resource": (resource, ...),
        "search": (BundleSearch, ...),
    }
    entry = create_model(f"{resource_type}Entry", **entry_fields)
    fields: dict[str, Any] = {
        "resourceType": (Literal["Bundle"], ...),
        "type": (Literal["searchset"], ...),
        "total": (int | None, None),
        "link": (list[BundleLink], ...),
        "entry": (list[entry] | None, None),
    }
    return create_model(f"{resource_type}Bundle", __base__=_Open, **fields)


class CapabilityStatement(_Open):
    resourceType: Literal["CapabilityStatement"]
    status: str
    fhirVersion: Literal["4.0.1"]
    rest: list[dict[str, Any]]


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]
