"""Broker passthrough: ``POST /rpc/{name}`` calls one allow-listed RPC through the bridge's
pool of signed-on connections.

Only RPCs on ``auth.rpc_allow_list`` are callable, only with scope ``rpc.call``, and every call
is audited with the caller's identity. Parameters are literals (strings) or lists (objects of
subscript -> value); reference parameters are refused outright, because VistA evaluates them as
M code (GETV^XWBPRS) and a caller's text must never become M code.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import SCOPE_RPC, AuthError
from api.deps import SECURITY, PhiAccess
from api.models import Problem
from bridge.errors import BadQueryError, ConfigurationError

router = APIRouter(prefix="/rpc", tags=["RPC Broker"])

_RPC_NAME = re.compile(r"^[A-Z0-9][A-Z0-9 /_-]{0,63}$")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": why}
    for code, why in (
        (400, "bad RPC name or parameters"),
        (401, "no or invalid credentials"),
        (403, "scope missing, or the RPC is not on the allow-list"),
        (502, "the broker answered with an error"),
        (503, "no broker is configured"),
        (504, "the broker did not answer in time"),
    )
}

ParamValue = Annotated[str, Field(max_length=4096)]


class RpcCall(BaseModel):
    """The RPC's parameters in order: a string is a literal, an object a list parameter."""

    params: list[ParamValue | dict[Annotated[str, Field(max_length=120)], ParamValue]] = Field(
        default_factory=list, max_length=32
    )


def _call(pool: Any, rpc: str, params: list[Any]) -> Any:
    """One call on a pooled, signed-on connection (rpc.pool.BrokerPool.run retries once on a
    fresh connection when a reused one was dropped)."""
    return pool.run(lambda client: client.call_with(rpc, params))


class RpcResult(BaseModel):
    rpc: str
    kind: str
    value: str
    lines: list[str]


@router.post(
    "/{name}",
    response_model=RpcResult,
    responses=_ERRORS,
    summary="Call an allow-listed RPC",
    openapi_extra=SECURITY,
)
async def call_rpc(
    name: Annotated[str, Path(max_length=64, description="the RPC name, e.g. ORWU USERINFO")],
    body: RpcCall,
    acc: PhiAccess,
) -> RpcResult:
    svc, audit, who = acc.svc, acc.audit, acc.who
    audit.resource_type = "rpc"
    rpc = name.strip().upper()
    if _RPC_NAME.match(rpc):
        audit.extra["rpc"] = rpc
    who.require_scope(SCOPE_RPC)
    if not _RPC_NAME.match(rpc):
        raise BadQueryError("an RPC name is 1-64 letters, digits, spaces, '/', '_' or '-'")
    if rpc not in svc.rpc_allow_list:
        raise AuthError(f"RPC {rpc!r} is not on this server's allow-list", status=403)
    pool = svc.bridge.broker_pool
    if pool is None:
        raise ConfigurationError(
            "no RPC Broker is configured; set broker.host (VISTA_BRIDGE_BROKER__HOST)"
        )
    params: list[Any] = [dict(p) if isinstance(p, dict) else p for p in body.params]
    result = await run_in_threadpool(_call, pool, rpc, params)
    return RpcResult(
        rpc=rpc,
        kind=str(getattr(result.kind, "name", result.kind)).lower(),
        value=result.text,
        lines=list(result.lines),
    )
