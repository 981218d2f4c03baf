"""FHIR R4 routes: /fhir/metadata, and read and search for each supported resource type.

Routes are generated from the resource definitions of :mod:`bridge.fhir.resources`, so the
OpenAPI lists exactly the parameters the search accepts. The query string is parsed by the FHIR
layer itself (repeated parameters, modifiers, unknown names refused), not by FastAPI.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from api.deps import SECURITY, PhiAccess, Svc, phi_access
from api.errors import FHIR_JSON, FhirResponse
from api.models import CapabilityStatement, OperationOutcome, bundle_model, resource_model
from bridge.fhir import capability_statement
from bridge.fhir.errors import ResourceNotFoundError, UnsupportedResourceError
from bridge.fhir.mapping.common import Json
from bridge.fhir.params import MAX_COUNT, MAX_OFFSET
from bridge.fhir.resources import RESOURCES, ResourceDef

router = APIRouter(prefix="/fhir", tags=["FHIR R4"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": OperationOutcome, "content": {FHIR_JSON: {}}, "description": why}
    for code, why in (
        (400, "bad search parameter, id or date"),
        (401, "no or invalid credentials"),
        (403, "a scope is missing"),
        (404, "no such resource"),
    )
}


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


@router.get(
    "/metadata",
    response_class=FhirResponse,
    responses={200: {"model": CapabilityStatement, "content": {FHIR_JSON: {}}}},
    summary="CapabilityStatement: what this server supports",
)
async def metadata(request: Request, svc: Svc) -> Response:
    return FhirResponse(capability_statement(base_url(request), svc.version))


def _patient_of(resource: Json) -> str | None:
    if resource.get("resourceType") == "Patient":
        return str(resource.get("id"))
    for key in ("subject", "patient"):
        node = resource.get(key)
        if isinstance(node, dict) and "reference" in node:
            return str(node["reference"]).rsplit("/", 1)[-1]
    return None


def _add_routes(rdef: ResourceDef) -> None:
    rtype = rdef.type
    model = resource_model(rtype)
    bundle = bundle_model(rtype, model)

    async def read(
        acc: PhiAccess,
        id: Annotated[str, Path(description=f"the {rtype} id", max_length=64)],
    ) -> Response:
        svc, audit, who = acc.svc, acc.audit, acc.who
        audit.resource_type = rtype
        who.require_read(rtype, who.patient)  # the scope, before touching any data
        resource = svc.fhir.read(rtype, id)
        audit.patient_id = _patient_of(resource)
        who.require_read(rtype, audit.patient_id)
        return FhirResponse(resource)

    async def search(request: Request) -> Response:
        # The access check is called, not declared as a dependency: the route has no other
        # parameter FastAPI could refuse first, so the order (audit mark, then authentication)
        # is the dependency's, without FastAPI's dependency solving on every search.
        acc = await phi_access(request)
        svc, audit, who = acc.svc, acc.audit, acc.who
        audit.resource_type = rtype
        items = request.query_params.multi_items()
        known = {*rdef.params, "_count", "_offset", "_format"}
        # names only, and only ones we know: a client-chosen key could itself carry PHI
        audit.params = [k if k.partition(":")[0] in known else "(unknown)" for k, _ in items]
        query = svc.fhir.parse(rtype, items)
        patients = {str(v) for c in query.get("patient") for v in c.values}
        if rtype == "Patient":
            patients = {str(getattr(v, "code", v)) for c in query.get("_id") for v in c.values}
        audit.patient_id = ",".join(sorted(patients)) if patients else None
        who.require_read(rtype, audit.patient_id)
        return FhirResponse(svc.fhir.search(rtype, query, base_url(request)))

    # The search's parameters are documented here and parsed by the FHIR layer (repeats,
    # modifiers, unknown names refused), so FastAPI does not validate them a second time.
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"{p.type}: {p.doc}",
            "schema": {"type": "array", "items": {"type": "string", "maxLength": 256}},
            "style": "form",
            "explode": True,
        }
        for name, p in rdef.params.items()
    ]
    params += [
        {
            "name": "_count",
            "in": "query",
            "required": False,
            "description": "page size",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
        },
        {
            "name": "_offset",
            "in": "query",
            "required": False,
            "description": "where the page starts (from a next link)",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        },
    ]

    router.add_api_route(
        f"/{rtype}",
        search,
        methods=["GET"],
        response_class=FhirResponse,
        responses={200: {"model": bundle, "content": {FHIR_JSON: {}}}, **_ERRORS},
        summary=f"Search {rtype}",
        openapi_extra={**SECURITY, "parameters": params},
        description=_search_doc(rdef),
        name=f"search_{rtype}",
    )
    router.add_api_route(
        f"/{rtype}/{{id}}",
        read,
        methods=["GET"],
        response_class=FhirResponse,
        responses={200: {"model": model, "content": {FHIR_JSON: {}}}, **_ERRORS},
        summary=f"Read {rtype}",
        openapi_extra=SECURITY,
        name=f"read_{rtype}",
    )


def _search_doc(rdef: ResourceDef) -> str:
    combos = ", ".join("+".join(c) for c in rdef.combinations)
    return (
        f"Profiles: {', '.join(rdef.profiles)}. US Core SHALL searches: {combos}. "
        "A repeated parameter is AND, a comma inside one value is OR; unknown parameters are "
        "refused with a 400 OperationOutcome."
    )


for _rdef in RESOURCES.values():
    _add_routes(_rdef)


@router.get("/{resource_type}", include_in_schema=False)
async def unknown_type(resource_type: str) -> Response:
    raise UnsupportedResourceError(
        f"resource type {resource_type[:64]!r} is not supported (see /fhir/metadata)"
    )


@router.get("/{resource_type}/{rid}", include_in_schema=False)
async def unknown_type_read(resource_type: str, rid: str) -> Response:
    raise UnsupportedResourceError(
        f"resource type {resource_type[:64]!r} is not supported (see /fhir/metadata)"
    )


__all__ = ["ResourceNotFoundError", "router"]
