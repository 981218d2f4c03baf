"""Per-request context as pure ASGI middleware: the request id and the audit record.

Every request gets an id (the caller's ``X-Request-ID`` when it is a sane token, else a new
one), echoed in the response. Routes that touch patient data mark the request's
:class:`AuditContext` as PHI; when the response has started (or the app failed), the middleware
writes exactly one audit record for it, with the status the client saw.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import AuditContext, AuditLog

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: The largest request body accepted (the RPC passthrough's is the only one; it is small).
MAX_BODY = 256 * 1024


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or uuid.uuid4().hex
        too_big = _declared_length(scope) > MAX_BODY
        ctx = AuditContext(request_id=rid)
        scope.setdefault("state", {})["audit"] = ctx
        status = 500
        rid_header = (b"x-request-id", rid.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        try:
            if too_big:
                await _refuse_body(scope, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            if ctx.phi:
                self.audit.write(ctx, method=scope["method"], route=_route(scope), status=status)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else MAX_BODY + 1
    return 0


async def _refuse_body(scope: Scope, send: Send) -> None:
    """413 before the body is read: a caller cannot make the server buffer megabytes."""
    body = (
        b'{"type":"about:blank","title":"Payload Too Large","status":413,'
        b'"detail":"request bodies are limited to 262144 bytes"}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(unmatched)"
