"""Authentication (API keys, JWTs by key and by JWKS URL) and SMART-style scopes: 401/403
bodies say why."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from api.app import create_app
from api.audit import AuditLog
from api.auth import Authenticator, JwtConfig
from bridge.facade import Bridge
from tests.api.conftest import (
    FILEMAN_KEY,
    FULL_KEY,
    JWT_SECRET,
    PATIENT_ONLY_KEY,
    AuditFile,
)


def token(**claims: Any) -> str:
    body = {"sub": "clinician-7", "aud": "vista-bridge", "exp": int(time.time()) + 300}
    body.update(claims)
    return jwt.encode(body, JWT_SECRET, algorithm="HS256")


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def diag(r: Any) -> str:
    body = r.json()
    return str(body["issue"][0]["diagnostics"] if "issue" in body else body["detail"])


def test_no_credentials_is_401_with_a_challenge_and_reason(anon: TestClient) -> None:
    r = anon.get("/fhir/Patient/1")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "X-API-Key" in diag(r)
    assert anon.get("/fileman/files").status_code == 401


def test_wrong_api_key_is_401_and_does_not_echo_it(anon: TestClient) -> None:
    r = anon.get("/fhir/Patient/1", headers={"X-API-Key": "not-a-real-key-42"})
    assert r.status_code == 401 and "not valid" in diag(r)
    assert "not-a-real-key-42" not in r.text


def test_open_routes_need_no_credentials(anon: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/fhir/metadata", "/openapi.json", "/docs"):
        assert anon.get(path).status_code == 200, path


def test_scope_limits_resource_types(anon: TestClient) -> None:
    key = {"X-API-Key": PATIENT_ONLY_KEY}
    assert anon.get("/fhir/Patient/1", headers=key).status_code == 200
    r = anon.get("/fhir/Observation?patient=1", headers=key)
    assert r.status_code == 403 and "patient/Observation.read" in diag(r)
    r = anon.get("/fileman/files", headers=key)
    assert r.status_code == 403 and "fileman.read" in diag(r)


def test_fileman_scope_does_not_read_fhir(anon: TestClient) -> None:
    key = {"X-API-Key": FILEMAN_KEY}
    assert anon.get("/fileman/files/2/entries/1", headers=key).status_code == 200
    assert anon.get("/fhir/Patient/1", headers=key).status_code == 403


def test_rpc_needs_its_scope_and_the_allow_list(anon: TestClient) -> None:
    r = anon.post("/rpc/XWB IM HERE", json={}, headers={"X-API-Key": PATIENT_ONLY_KEY})
    assert r.status_code == 403 and "rpc.call" in diag(r)
    r = anon.post("/rpc/XUS AV CODE", json={}, headers={"X-API-Key": FULL_KEY})
    assert r.status_code == 403 and "allow-list" in diag(r)
    r = anon.post("/rpc/XWB IM HERE", json={}, headers={"X-API-Key": FULL_KEY})
    assert r.status_code == 503 and "broker" in diag(r)  # allowed, but no broker configured


def test_jwt_with_user_scope_reads_any_patient(anon: TestClient) -> None:
    h = bearer(token(scope="user/*.read"))
    assert anon.get("/fhir/Patient/2", headers=h).status_code == 200
    assert anon.get("/fhir/Condition?patient=2", headers=h).status_code == 200


def test_jwt_patient_scope_is_held_to_its_launch_patient(anon: TestClient) -> None:
    h = bearer(token(scope="patient/*.read", patient="2"))
    assert anon.get("/fhir/Patient/2", headers=h).status_code == 200
    assert anon.get("/fhir/Observation?patient=2", headers=h).status_code == 200
    r = anon.get("/fhir/Patient/3", headers=h)
    assert r.status_code == 403 and "launch patient" in diag(r)
    assert anon.get("/fhir/Condition?patient=3", headers=h).status_code == 403
    assert anon.get("/fhir/Condition/1", headers=h).status_code in (200, 403)


def test_smart_v2_scope_spelling_is_understood(anon: TestClient) -> None:
    h = bearer(token(scope="system/Patient.rs"))
    assert anon.get("/fhir/Patient/1", headers=h).status_code == 200
    assert anon.get("/fhir/Encounter?patient=1", headers=h).status_code == 403


@pytest.mark.parametrize(
    ("tok", "words"),
    [
        (token(scope="user/*.read", exp=int(time.time()) - 10), "expired"),
        (token(scope="user/*.read", aud="someone-else"), "not valid"),
        (jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "wrong-secret-" * 4), "not valid"),
        ("not.a.jwt", "not valid"),
    ],
)
def test_bad_tokens_are_401_with_the_reason(anon: TestClient, tok: str, words: str) -> None:
    r = anon.get("/fhir/Patient/1", headers=bearer(tok))
    assert r.status_code == 401 and words in diag(r)
    assert "invalid_token" in r.headers["www-authenticate"]


def test_authorization_header_must_be_bearer(anon: TestClient) -> None:
    r = anon.get("/fhir/Patient/1", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401 and "Bearer" in diag(r)


# -- JWKS URL --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    payload = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


def test_jwt_signed_by_a_key_from_the_jwks_url(
    demo_bridge: Bridge, audit_file: AuditFile, jwks_url: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth = Authenticator(
        jwt=JwtConfig(jwks_url=jwks_url, algorithms=("RS256",), issuer="https://idp.test")
    )
    app = create_app(demo_bridge, authenticator=auth, audit_log=AuditLog(audit_file.path))
    c = TestClient(app, raise_server_exceptions=False)
    claims = {
        "sub": "u1",
        "iss": "https://idp.test",
        "exp": int(time.time()) + 60,
        "scope": "system/*.read",
    }
    good = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert c.get("/fhir/Patient/1", headers=bearer(good)).status_code == 200
    unknown_kid = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "k9"})
    r = c.get("/fhir/Patient/1", headers=bearer(unknown_kid))
    assert r.status_code == 401 and "JWKS" in diag(r)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
    assert c.get("/fhir/Patient/1", headers=bearer(forged)).status_code == 401
    wrong_iss = jwt.encode(
        claims | {"iss": "https://evil.test"}, rsa_key, algorithm="RS256", headers={"kid": "k1"}
    )
    assert c.get("/fhir/Patient/1", headers=bearer(wrong_iss)).status_code == 401
    # the API key route is closed when no key is configured
    assert c.get("/fhir/Patient/1", headers={"X-API-Key": FULL_KEY}).status_code == 401


def test_jwt_key_from_settings_is_used(demo_bridge: Bridge, audit_file: AuditFile) -> None:
    from api.app import authenticator_from_settings
    from bridge.settings import Settings

    settings = Settings.model_validate(
        {
            "auth": {
                "jwt_key": JWT_SECRET,
                "jwt_algorithms": ["HS256"],
                "jwt_audience": "vista-bridge",
            }
        }
    )
    auth = authenticator_from_settings(settings)
    app = create_app(demo_bridge, authenticator=auth, audit_log=AuditLog(audit_file.path))
    c = TestClient(app, raise_server_exceptions=False)
    assert c.get("/fhir/Patient/1", headers=bearer(token(scope="user/*.read"))).status_code == 200
