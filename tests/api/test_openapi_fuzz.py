"""schemathesis over the whole OpenAPI document: zero server errors, zero schema violations.

Bounded: a fixed number of examples per operation, no stateful phase, a deadline per example,
so the run stops by itself in CI time. Requests carry a full-scope demo key so that the fuzzing
reaches the routes' logic, not just the auth check.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.audit import AuditLog
from bridge.facade import Bridge
from tests.api.conftest import FULL_KEY, make_auth

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app: FastAPI = create_app(
        Bridge.demo(patients=6),
        authenticator=make_auth(),
        audit_log=AuditLog(tmp_path_factory.mktemp("fuzz") / "audit.jsonl"),
        rpc_allow_list=["XWB IM HERE"],
    )
    # FastAPI writes OpenAPI 3.1; schemathesis 3 reads it as 3.0 when told to.
    return schemathesis.from_asgi(
        "/openapi.json",
        app,
        force_schema_version="30",
        # valid requests, and requests that break the schema (bad types, out-of-range
        # numbers, missing fields): both must get a documented answer, never a 5xx
        data_generation_methods=[
            schemathesis.DataGenerationMethod.positive,
            schemathesis.DataGenerationMethod.negative,
        ],
    )


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_no_schema_violations(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": FULL_KEY}, checks=CHECKS)
