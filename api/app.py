"""The FastAPI application: ``create_app(bridge)`` and the uvicorn factory.

``create_app_from_settings`` is what ``vista-bridge serve`` runs
(``uvicorn api.app:create_app_from_settings --factory``): it opens the bridge that the settings
describe (with no configuration, the synthetic demo VistA in memory) and, when no API key is
configured, makes a random demo key for this process and prints it, never storing it in clear.
"""

from __future__ import annotations

import secrets
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI

from api import errors, logs
from api.audit import AuditLog, default_audit_path
from api.auth import ALL_DEMO_SCOPES, Authenticator, JwtConfig, StoredKey
from api.context import RequestContextMiddleware
from api.deps import SECURITY_SCHEMES, Services
from api.routers import fhir, fileman, health, rpc
from bridge.errors import ConfigurationError
from bridge.facade import Bridge
from bridge.fhir import MappingContext
from bridge.settings import Settings, load_settings

DESCRIPTION = """\
Open APIs over VistA: FileMan REST, FHIR R4 (US Core 6.1.0), and an allow-listed RPC Broker
passthrough. Send an API key in `X-API-Key` or an OAuth2 bearer token (JWT) with SMART scopes.
Every request that reads patient data is written to the audit log.
"""


def _version() -> str:
    try:
        return version("vista-bridge")
    except PackageNotFoundError:  # running from a checkout without an install
        return "0.0.0"


def create_app(
    bridge: Bridge,
    *,
    authenticator: Authenticator | None = None,
    audit_log: AuditLog | Path | None = None,
    rpc_allow_list: list[str] | None = None,
    mapping: MappingContext | None = None,
) -> FastAPI:
    """The API over ``bridge``. Auth, audit and the RPC allow-list default to the bridge's
    settings; tests and embedders pass their own."""
    settings = bridge.settings
    auth = authenticator or authenticator_from_settings(settings)
    if not isinstance(audit_log, AuditLog):
        audit_log = AuditLog(audit_log or settings.auth.audit_log or default_audit_path())
    allow = rpc_allow_list if rpc_allow_list is not None else settings.auth.rpc_allow_list
    mapping = mapping or MappingContext(zone=site_zone(settings))
    app = FastAPI(
        title="vista-bridge",
        version=_version(),
        description=DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.services = Services(
        bridge=bridge,
        mapping=mapping,
        auth=auth,
        rpc_allow_list=frozenset(n.strip().upper() for n in allow),
        version=_version(),
    )
    app.state.audit_log = audit_log
    errors.install(app)
    logs.install()
    app.add_middleware(RequestContextMiddleware, audit=audit_log)
    app.include_router(health.router)
    app.include_router(fhir.router)
    app.include_router(fileman.router)
    app.include_router(rpc.router)
    install_security_docs(app)
    return app


def install_security_docs(app: FastAPI) -> None:
    """Add the security schemes to the OpenAPI document (routes name them through
    ``openapi_extra``; the checking itself is the routes' one dependency)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def site_zone(settings: Settings) -> ZoneInfo:
    """The site's time zone from ``server.timezone``; a clear error when it is not one."""
    name = getattr(settings.server, "timezone", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"server.timezone {name!r} is not an IANA time zone (like America/New_York)"
        ) from None


def authenticator_from_settings(settings: Settings) -> Authenticator:
    a = settings.auth
    jwt_key: Any = getattr(a, "jwt_key", None)
    if jwt_key is not None and hasattr(jwt_key, "get_secret_value"):
        jwt_key = jwt_key.get_secret_value()
    return Authenticator(
        keys=[StoredKey(k.name, k.sha256, tuple(k.scopes)) for k in a.api_keys],
        jwt=JwtConfig(
            jwks_url=a.jwks_url,
            key=jwt_key,
            algorithms=tuple(a.jwt_algorithms),
            issuer=a.jwt_issuer,
            audience=a.jwt_audience,
            jwks_cache_seconds=a.jwks_cache_seconds,
        ),
        enabled=a.enabled,
    )


def create_app_from_settings() -> FastAPI:
    """The uvicorn factory: the bridge from the settings, plus a printed demo key if needed."""
    settings = load_settings()
    bridge = Bridge.from_settings(settings)
    auth = authenticator_from_settings(settings)
    if auth.enabled and not auth.keys and not auth.jwt.enabled:
        key = "vb-demo-" + secrets.token_urlsafe(24)
        auth.add_key("demo", key, ALL_DEMO_SCOPES)
        host, port = settings.server.host, settings.server.port
        print(
            f"vista-bridge: no API keys configured; demo API key for this run:\n\n    {key}\n\n"
            f"  try: curl -H 'X-API-Key: {key}' http://{host}:{port}/fhir/Patient?_count=5\n"
            f"  docs: http://{host}:{port}/docs\n",
            file=sys.stderr,
            flush=True,
        )
    audit = AuditLog(settings.auth.audit_log or default_audit_path())
    print(f"vista-bridge: audit log: {audit.path}", file=sys.stderr, flush=True)
    return create_app(bridge, authenticator=auth, audit_log=audit)
