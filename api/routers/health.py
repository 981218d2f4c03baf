"""Liveness and readiness: /healthz says the process answers, /readyz that its sources do."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response

from api.deps import Svc
from api.models import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: {"model": Ready, "description": "a source is not usable"}},
    summary="The store (and broker, when configured) can be used",
)
def readyz(svc: Svc) -> Response:
    checks: dict[str, str] = {}
    bridge = svc.bridge
    if bridge.has_store:
        try:
            bridge.store.data("^DD", ())
            checks["store"] = "ok"
        except Exception as exc:  # readiness reports any failure, it never raises
            checks["store"] = f"error: {type(exc).__name__}"
    pool = bridge.broker_pool
    if pool is not None:
        try:  # XWB IM HERE on a pooled, signed-on connection (opens one if none is idle)
            pool.run(lambda client: client.keep_alive(timeout=5.0), timeout=5.0)
            checks["broker"] = "ok"
        except Exception as exc:  # readiness reports any failure, it never raises
            checks["broker"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    body = Ready(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
