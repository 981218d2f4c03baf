"""The broker passthrough against the broker simulator over the lab's globals: allow-listed
RPCs go through a real pool of signed-on connections; the caller is audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.audit import AuditLog
from bridge.facade import Bridge
from rpc.client import BrokerClient
from rpc.pool import BrokerPool
from tests.api.conftest import FULL_KEY, AuditFile, make_auth
from tests.bridge.simulator_lab import lab_server

ACCESS, VERIFY = "LABUSER1", "LABUSER1!!"


@pytest.fixture(scope="module")
def broker_bridge() -> Iterator[Bridge]:
    with lab_server() as (server, _handler):

        def connect() -> BrokerClient:
            client = BrokerClient("127.0.0.1", server.port, timeout=5.0)
            try:
                client.sign_on(ACCESS, VERIFY, context="OR CPRS GUI CHART")
            except BaseException:
                client.close()
                raise
            return client

        pool = BrokerPool(connect, size=2)
        bridge = Bridge(None, broker_pool=pool)
        try:
            yield bridge
        finally:
            bridge.close()


@pytest.fixture
def rpc_client(broker_bridge: Bridge, tmp_path: Path) -> tuple[TestClient, AuditFile]:
    audit = AuditFile(tmp_path / "audit.jsonl")
    app = create_app(
        broker_bridge,
        authenticator=make_auth(),
        audit_log=AuditLog(audit.path),
        rpc_allow_list=["XWB IM HERE", "ORWPT LIST ALL"],
    )
    return TestClient(app, headers={"X-API-Key": FULL_KEY}, raise_server_exceptions=False), audit


def test_allow_listed_rpc_goes_through_the_pool(rpc_client: tuple[TestClient, AuditFile]) -> None:
    client, audit = rpc_client
    r = client.post("/rpc/XWB IM HERE", json={"params": []})
    assert r.status_code == 200, r.text
    assert r.json()["rpc"] == "XWB IM HERE" and r.json()["value"] == "1"
    rec = audit.records()[-1]
    assert rec["who"] == "api-key:full" and rec["rpc"] == "XWB IM HERE" and rec["outcome"] == 200


def test_rpc_with_literal_parameters_returns_lines(
    rpc_client: tuple[TestClient, AuditFile],
) -> None:
    client, _ = rpc_client
    r = client.post("/rpc/orwpt list all", json={"params": ["", "1"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rpc"] == "ORWPT LIST ALL" and body["kind"] and len(body["lines"]) >= 1
    assert all("^" in line for line in body["lines"])


def test_rpc_not_on_the_allow_list_never_reaches_the_broker(
    rpc_client: tuple[TestClient, AuditFile],
) -> None:
    client, audit = rpc_client
    r = client.post("/rpc/DDR LISTER", json={"params": []})
    assert r.status_code == 403 and "allow-list" in r.json()["detail"]
    assert audit.records()[-1]["outcome"] == 403


def test_bad_rpc_bodies_are_400(rpc_client: tuple[TestClient, AuditFile]) -> None:
    client, _ = rpc_client
    assert client.post("/rpc/XWB IM HERE", json={"params": [1.5]}).status_code == 400
    assert client.post("/rpc/XWB IM HERE", content=b"not json").status_code == 400
    assert client.post("/rpc/XWB%00IM", json={}).status_code == 400


def test_oversized_body_is_refused_before_it_is_read(
    rpc_client: tuple[TestClient, AuditFile],
) -> None:
    client, _ = rpc_client
    r = client.post(
        "/rpc/XWB IM HERE",
        content=b"[" + b"1," * 200_000 + b"1]",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "limited" in r.json()["detail"]


def test_readyz_checks_the_broker(rpc_client: tuple[TestClient, AuditFile]) -> None:
    client, _ = rpc_client
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"broker": "ok"}  # a broker-only bridge: no store to check
