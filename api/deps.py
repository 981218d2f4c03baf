"""FastAPI dependencies: the bridge services, the caller, the audit context.

All are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread, a hop that
cost more than the whole FHIR read it guards. Only a bearer check against a JWKS URL, which may
fetch the key set, goes to a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.audit import AuditContext
from api.auth import Authenticator, Principal
from bridge.facade import Bridge
from bridge.fhir import FhirService, MappingContext


@dataclass
class Services:
    """What the routes use, built once per app."""

    bridge: Bridge
    mapping: MappingContext
    auth: Authenticator
    rpc_allow_list: frozenset[str]
    version: str
    _fhir: FhirService | None = None

    @property
    def fhir(self) -> FhirService:
        """The FHIR service, made on first use: a broker-only bridge has no clinical store,
        and its FHIR routes then answer 503 (ConfigurationError) instead of failing startup."""
        if self._fhir is None:
            self._fhir = FhirService(self.bridge.clinical, self.mapping)
        return self._fhir


async def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


async def audit_context(request: Request) -> AuditContext:
    ctx: AuditContext = request.state.audit
    return ctx


@dataclass(frozen=True, slots=True)
class Access:
    """What a protected route gets from its one dependency: the services, the request's audit
    context and the authenticated caller (one dependency, not four: each costs a solve)."""

    svc: Services
    audit: AuditContext
    who: Principal


async def _access(request: Request, phi: bool) -> Access:
    ctx: AuditContext = request.state.audit
    if phi:
        ctx.phi = True  # before authenticating, so refusals are audited too
    svc: Services = request.app.state.services
    key, authorization = request.headers.get("x-api-key"), request.headers.get("authorization")
    if authorization and not key and svc.auth.jwt.jwks_url:
        # A JWKS lookup may fetch the key set over the network: keep it off the event loop.
        principal = await run_in_threadpool(svc.auth.authenticate, key, authorization)
    else:
        principal = svc.auth.authenticate(key, authorization)
    ctx.who = principal.id
    return Access(svc, ctx, principal)


async def phi_access(request: Request) -> Access:
    """The caller of a route that returns patient data (the request is audited)."""
    return await _access(request, phi=True)


async def caller_access(request: Request) -> Access:
    """The caller of a protected route without patient data (not audited)."""
    return await _access(request, phi=False)


# Documented in the OpenAPI (see api.app.install_security_docs); checked by the dependencies.
SECURITY: dict[str, Any] = {"security": [{"ApiKey": []}, {"Bearer": []}]}
SECURITY_SCHEMES: dict[str, Any] = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key (in demo mode, the one printed at startup)",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "OAuth2 access token with SMART-style scopes",
    },
}

PhiAccess = Annotated[Access, Depends(phi_access)]
CallerAccess = Annotated[Access, Depends(caller_access)]
Svc = Annotated[Services, Depends(services)]
Audit = Annotated[AuditContext, Depends(audit_context)]
