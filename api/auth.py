"""Who is calling, and may they? API keys (stored hashed) and OAuth2 bearer JWTs with
SMART-style scopes.

Scopes understood, in SMART v1 and v2 spelling:

* ``patient/<Type|*>.read`` (or ``.rs``): read clinical data. A JWT that also carries a
  ``patient`` claim is held to that one patient, as SMART's patient launch context means.
* ``user/<Type|*>.read`` and ``system/<Type|*>.read``: read clinical data of any patient.
* ``fileman.read``: the FileMan REST routes (also granted by ``user/*.read``, ``system/*.read``).
* ``rpc.call``: the broker passthrough (only RPCs on the allow-list).

Every refusal says why (missing credentials, bad key, expired token, which scope is needed),
never echoing the credential itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from parsers.errors import BridgeError

SCOPE_FILEMAN = "fileman.read"
SCOPE_RPC = "rpc.call"
ALL_DEMO_SCOPES = ("patient/*.read", "user/*.read", "system/*.read", SCOPE_FILEMAN, SCOPE_RPC)


class AuthError(BridgeError):
    """Authentication failed (401) or the caller lacks a scope (403)."""

    def __init__(self, message: str, *, status: int, challenge: str = "") -> None:
        self.message = message
        self.status = status
        self.challenge = challenge
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a stable id for the audit log, its scopes, its patient context."""

    id: str
    method: str  # "api-key" or "jwt"
    scopes: frozenset[str]
    patient: str | None = None

    def can_read(self, resource_type: str) -> tuple[bool, bool]:
        """(allowed, patient_only): whether a scope grants reading ``resource_type``, and
        whether only patient-level scopes do (so the patient context applies)."""
        broad = False
        patient_level = False
        for scope in self.scopes:
            level, _, rest = scope.partition("/")
            rtype, _, access = rest.partition(".")
            if rtype not in ("*", resource_type) or not _reads(access):
                continue
            if level in ("user", "system"):
                broad = True
            elif level == "patient":
                patient_level = True
        return broad or patient_level, patient_level and not broad

    def require_read(self, resource_type: str, patient_id: str | None) -> None:
        """Raise 403 unless this caller may read ``resource_type`` of ``patient_id``."""
        allowed, patient_only = self.can_read(resource_type)
        if not allowed:
            raise AuthError(
                f"reading {resource_type} needs scope patient/{resource_type}.read, "
                f"user/{resource_type}.read or system/{resource_type}.read (or the * forms)",
                status=403,
            )
        if patient_only and self.patient is not None and patient_id != self.patient:
            raise AuthError(
                "this token's patient/ scopes are limited to its launch patient; "
                "ask for that patient's records (patient=<its id>)",
                status=403,
            )

    def require_scope(self, needed: str, *alternatives: str) -> None:
        if needed in self.scopes or any(a in self.scopes for a in alternatives):
            return
        names = " or ".join([needed, *alternatives])
        raise AuthError(f"this route needs scope {names}", status=403)


def _reads(access: str) -> bool:
    # SMART v1: read, *; SMART v2: letters of cruds, e.g. rs, r.
    return access in ("read", "*") or ("r" in access and set(access) <= set("cruds"))


def hash_key(key: str) -> str:
    """The stored form of an API key: hex SHA-256 (keys are random, so unsalted is enough)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredKey:
    name: str
    sha256: str
    scopes: tuple[str, ...]


@dataclass
class JwtConfig:
    """How bearer tokens are checked: a JWKS URL or a key (PEM public key or HMAC secret)."""

    jwks_url: str | None = None
    key: str | None = None
    algorithms: Sequence[str] = ("RS256", "ES256")
    issuer: str | None = None
    audience: str | None = None
    jwks_cache_seconds: int = 300

    @property
    def enabled(self) -> bool:
        return bool(self.jwks_url or self.key)


@dataclass
class Authenticator:
    """Checks the credentials of a request; built once per app from the settings."""

    keys: list[StoredKey] = field(default_factory=list)
    jwt: JwtConfig = field(default_factory=JwtConfig)
    enabled: bool = True
    _jwks: Any = None

    def add_key(self, name: str, key: str, scopes: Iterable[str]) -> None:
        self.keys.append(StoredKey(name, hash_key(key), tuple(scopes)))

    def authenticate(self, api_key: str | None, authorization: str | None) -> Principal:
        if not self.enabled:
            return Principal("anonymous", "none", frozenset(ALL_DEMO_SCOPES))
        if api_key:
            return self._by_key(api_key)
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthError(
                    "the Authorization header must be 'Bearer <token>'",
                    status=401,
                    challenge='Bearer error="invalid_request"',
                )
            return self._by_jwt(token.strip())
        raise AuthError(
            "no credentials: send an API key in the X-API-Key header or an OAuth2 bearer token "
            "in the Authorization header",
            status=401,
            challenge="Bearer",
        )

    def _by_key(self, presented: str) -> Principal:
        digest = hash_key(presented)
        found: StoredKey | None = None
        for key in self.keys:  # compare against every key, in constant time
            if hmac.compare_digest(key.sha256, digest):
                found = key
        if found is None:
            raise AuthError("the API key is not valid", status=401, challenge="Bearer")
        return Principal(f"api-key:{found.name}", "api-key", frozenset(found.scopes))

    def _by_jwt(self, token: str) -> Principal:
        cfg = self.jwt
        if not cfg.enabled:
            raise AuthError(
                "bearer tokens are not accepted: no JWKS URL or JWT key is configured",
                status=401,
                challenge='Bearer error="invalid_token"',
            )
        try:
            key: Any = self._signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(cfg.algorithms),
                issuer=cfg.issuer,
                audience=cfg.audience,
                options={"require": ["exp", "sub"], "verify_aud": cfg.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError(
                "the bearer token has expired", status=401, challenge='Bearer error="invalid_token"'
            ) from None
        except jwt.PyJWKClientError:
            raise AuthError(
                "the bearer token's signing key could not be found at the JWKS URL",
                status=401,
                challenge='Bearer error="invalid_token"',
            ) from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(
                f"the bearer token is not valid ({type(exc).__name__})",
                status=401,
                challenge='Bearer error="invalid_token"',
            ) from None
        scopes = _scopes_of(claims)
        patient = claims.get("patient")
        return Principal(
            f"jwt:{claims['sub']}",
            "jwt",
            frozenset(scopes),
            str(patient) if isinstance(patient, str | int) else None,
        )

    def _signing_key(self, token: str) -> Any:
        cfg = self.jwt
        if cfg.jwks_url:
            if self._jwks is None:
                self._jwks = jwt.PyJWKClient(
                    cfg.jwks_url, cache_keys=True, lifespan=max(cfg.jwks_cache_seconds, 1)
                )
            return self._jwks.get_signing_key_from_jwt(token).key
        return cfg.key


def _scopes_of(claims: dict[str, Any]) -> list[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list):
        return [s for s in raw if isinstance(s, str)]
    return []
