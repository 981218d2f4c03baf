"""FastAPI dependencies: the bridge services, the caller, the audit context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from api.audit import AuditContext
from api.auth import Authenticator, Principal
from bridge.facade import Bridge
from bridge.fhir import FhirService, MappingContext

api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (printed at startup in demo mode)"
)
bearer_scheme = HTTPBearer(
    auto_error=False, description="OAuth2 access token (JWT) with SMART-style scopes"
)


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


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def audit_context(request: Request) -> AuditContext:
    ctx: AuditContext = request.state.audit
    return ctx


def _authenticate(request: Request, phi: bool) -> Principal:
    ctx = audit_context(request)
    if phi:
        ctx.phi = True  # before authenticating, so refusals are audited too
    principal = services(request).auth.authenticate(
        request.headers.get("x-api-key"), request.headers.get("authorization")
    )
    ctx.who = principal.id
    return principal


def caller(phi: bool) -> Callable[..., Principal]:
    """A dependency returning the authenticated caller; ``phi`` marks the request audited."""

    def dependency(
        request: Request,
        _key: Annotated[Any, Security(api_key_scheme)] = None,
        _bearer: Annotated[Any, Security(bearer_scheme)] = None,
    ) -> Principal:
        return _authenticate(request, phi)

    return dependency


PhiCaller = Annotated[Principal, Depends(caller(phi=True))]
Caller = Annotated[Principal, Depends(caller(phi=False))]
Svc = Annotated[Services, Depends(services)]
Audit = Annotated[AuditContext, Depends(audit_context)]
