"""Every error the API answers, shaped: OperationOutcome under /fhir, problem+json elsewhere.

BridgeError subclasses carry what went wrong; this module decides the HTTP status and the body.
Nothing here ever returns a traceback or an exception's repr: an unexpected error becomes a 500
that names the request id, so the operator can find it in the server log.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from api.auth import AuthError
from bridge.fhir.errors import FhirError
from parsers.errors import BridgeError

log = logging.getLogger("vista_bridge.api")

FHIR_JSON = "application/fhir+json"
PROBLEM_JSON = "application/problem+json"

_ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-costly",
    502: "transient",
    503: "transient",
    504: "timeout",
}
_TITLE = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FhirResponse(JSONResponse):
    """JSON with FHIR's media type, rendered by orjson (a Bundle of ten resources costs a
    tenth of what ``json.dumps`` takes, and this is the hot path of every FHIR route)."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def operation_outcome(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error" if status < 500 else "fatal",
                "code": code or _ISSUE_CODE.get(status, "exception"),
                "diagnostics": message,
            }
        ],
    }


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The body for ``status`` in the shape the route's area uses."""
    if request.url.path.startswith("/fhir"):
        return FhirResponse(operation_outcome(status, message, code), status, headers=headers)
    body = {
        "type": "about:blank",
        "title": _TITLE.get(status, "Error"),
        "status": status,
        "detail": message,
    }
    rid = _request_id(request)
    if rid:
        body["request_id"] = rid
    return JSONResponse(body, status, headers=headers, media_type=PROBLEM_JSON)


def _request_id(request: Request) -> str | None:
    audit = getattr(request.state, "audit", None)
    return getattr(audit, "request_id", None)


# The error classes of the lower layers, by name: api imports bridge only (the one-way rule),
# so the lower packages' classes are matched along the exception's MRO instead of imported.
# The first name found walking the MRO from the most specific class wins.
_STATUS_BY_CLASS = {
    "NotFoundError": 404,  # bridge.errors
    "BadQueryError": 400,  # bridge.errors
    "ConfigurationError": 503,  # bridge.errors
    "SettingsError": 503,  # bridge.settings
    "ParseError": 400,  # parsers.errors
    "InvalidNameError": 400,  # globals_map.errors
    "InvalidSubscriptError": 400,  # globals_map.errors
    "NoSuchFileError": 404,  # globals_map.fileman.errors (FileMan 401)
    "NoSuchFieldError": 404,  # globals_map.fileman.errors (FileMan 501)
    "NoSuchEntryError": 404,  # globals_map.fileman.errors (FileMan 601)
    "FieldValueError": 400,  # globals_map.fileman.errors (FileMan 330 family)
    "AmbiguousMatchError": 409,  # globals_map.fileman.errors (FileMan 299)
    "DictionaryError": 500,  # globals_map.fileman.errors: the site's ^DD is malformed
    "FileManError": 400,  # globals_map.errors (a missing file or entry: see below)
    "StoreError": 503,  # globals_map.errors
    "BrokerTimeoutError": 504,  # rpc.errors
    "RPCSecurityError": 403,  # rpc.errors: VistA refused the RPC for this context
    "RPCError": 502,  # rpc.errors
    "BrokerError": 502,  # rpc.errors
    "AuditError": 503,
}


def status_of(exc: BridgeError) -> int:
    """The HTTP status for one of our errors."""
    if isinstance(exc, FhirError | AuthError):
        return exc.status
    for cls in type(exc).__mro__:
        status = _STATUS_BY_CLASS.get(cls.__name__)
        if status is not None:
            if cls.__name__ == "FileManError" and _names_missing(exc):
                return 404
            return status
    return 400


def _names_missing(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text or "no such" in text


async def _bridge_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BridgeError)
    status = status_of(exc)
    if status >= 500:
        log.warning("request %s: %s: %s", _request_id(request), type(exc).__name__, exc)
    headers = None
    code = exc.issue_code if isinstance(exc, FhirError) else None
    if isinstance(exc, AuthError) and exc.challenge:
        headers = {"WWW-Authenticate": exc.challenge}
    message = getattr(exc, "message", None) or str(exc)
    return error_response(request, status, message, code=code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return error_response(request, 400, "invalid request: " + "; ".join(parts))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _TITLE.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.url.path[:100]!r}; see /docs"
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, detail, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("request %s failed: %s", _request_id(request), type(exc).__name__, exc_info=exc)
    rid = _request_id(request)
    # This handler runs outside the request-context middleware: add the id header here.
    return error_response(
        request,
        500,
        f"internal error; quote request id {rid} to the operator",
        headers={"X-Request-ID": rid} if rid else None,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(BridgeError, _bridge_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
