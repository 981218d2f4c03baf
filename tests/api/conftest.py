"""API fixtures: one demo VistA per session, an app with known keys and a fresh audit file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.audit import AuditLog
from api.auth import ALL_DEMO_SCOPES, Authenticator, JwtConfig
from bridge.facade import Bridge

FULL_KEY = "test-key-full-0123456789"
PATIENT_ONLY_KEY = "test-key-patient-0123456789"
FILEMAN_KEY = "test-key-fileman-0123456789"
JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
DEMO_PATIENTS = 12


@pytest.fixture(scope="session")
def demo_bridge() -> Iterator[Bridge]:
    bridge = Bridge.demo(patients=DEMO_PATIENTS)
    yield bridge
    bridge.close()


def make_auth() -> Authenticator:
    auth = Authenticator(
        jwt=JwtConfig(key=JWT_SECRET, algorithms=("HS256",), audience="vista-bridge")
    )
    auth.add_key("full", FULL_KEY, ALL_DEMO_SCOPES)
    auth.add_key("patient-reader", PATIENT_ONLY_KEY, ["patient/Patient.read"])
    auth.add_key("fileman", FILEMAN_KEY, ["fileman.read"])
    return auth


class AuditFile:
    """The audit JSONL of one app, read back by tests."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]


@pytest.fixture
def audit_file(tmp_path: Path) -> AuditFile:
    return AuditFile(tmp_path / "audit.jsonl")


@pytest.fixture
def app(demo_bridge: Bridge, audit_file: AuditFile) -> FastAPI:
    return create_app(
        demo_bridge,
        authenticator=make_auth(),
        audit_log=AuditLog(audit_file.path),
        rpc_allow_list=["XWB IM HERE", "ORWU USERINFO"],
    )


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, headers={"X-API-Key": FULL_KEY}, raise_server_exceptions=False)


@pytest.fixture
def anon(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)
