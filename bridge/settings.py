"""Settings for the bridge, the API and the CLI, from one place.

Sources, highest priority first: values the CLI passes (``overrides``), environment variables
(prefix ``VISTA_BRIDGE_``, nested with ``__``: ``VISTA_BRIDGE_STORE__KIND=gtm``), a TOML file
(``--config``, ``VISTA_BRIDGE_CONFIG`` or ``./vista-bridge.toml``), then the defaults (the
embedded demo VistA).  Broker credentials come from the environment or a secrets file only:
the CLI has no option for them, so they never sit in argv or shell history.  API keys are
stored as SHA-256 hashes, never in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from parsers.errors import BridgeError

DEFAULT_CONFIG_FILE = Path("vista-bridge.toml")
DEFAULT_DEMO_SEED = 20260101


class SettingsError(BridgeError):
    """The configuration is unusable (bad TOML, a wrong value, an unreadable secrets file)."""


class StoreSettings(BaseModel):
    """Where the M globals live.

    ``memory`` is the embedded store: it holds the synthetic demo (``demo = true``) and/or the
    ZWR files listed in ``zwr``.  ``gtm`` and ``yottadb`` open a local database in-process
    through its global directory.
    """

    kind: Literal["memory", "gtm", "yottadb"] = "memory"
    demo: bool = True
    demo_patients: int = Field(default=50, ge=0, le=100_000)
    demo_seed: int = DEFAULT_DEMO_SEED
    zwr: list[Path] = Field(default_factory=list, description="ZWR files loaded into memory")
    gbldir: Path | None = Field(default=None, description="gtm/yottadb: the .gld global directory")
    dist: Path | None = Field(default=None, description="gtm/yottadb: the engine's install dir")
    routines: str | None = Field(default=None, description="gtm/yottadb: routine search path")


class BrokerSettings(BaseModel):
    """An RPC Broker to talk to (optional).  Credentials: env or ``secrets_file`` only."""

    host: str | None = None
    port: int = Field(default=9430, ge=1, le=65535)
    access_code: SecretStr | None = None
    verify_code: SecretStr | None = None
    secrets_file: Path | None = Field(
        default=None, description="TOML file with access_code and verify_code (mode 0600)"
    )
    context: str = "OR CPRS GUI CHART"
    pool_size: int = Field(default=4, ge=1, le=64)
    timeout: float = Field(default=30.0, gt=0, le=600)

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def credentials(self) -> tuple[SecretStr, SecretStr]:
        """Access and verify codes, from the environment or else the secrets file."""
        access, verify = self.access_code, self.verify_code
        if (access is None or verify is None) and self.secrets_file is not None:
            data = _read_secrets(self.secrets_file)
            access = access or _secret(data, "access_code", self.secrets_file)
            verify = verify or _secret(data, "verify_code", self.secrets_file)
        if access is None or verify is None:
            raise SettingsError(
                "broker credentials are not set: export VISTA_BRIDGE_BROKER__ACCESS_CODE and "
                "VISTA_BRIDGE_BROKER__VERIFY_CODE, or set broker.secrets_file to a TOML file "
                "holding access_code and verify_code"
            )
        return access, verify


def _read_secrets(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(
            f"cannot read broker secrets file {path}: {exc.strerror}; check the path and "
            "its permissions"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"broker secrets file {path} is not valid TOML: {exc}") from None


def _secret(data: dict[str, Any], key: str, path: Path) -> SecretStr | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{key} in {path} must be a non-empty string")
    return SecretStr(value)


class ApiKey(BaseModel):
    """One API key as configured: a name, the SHA-256 of the key (hex), and its scopes."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str] = Field(default_factory=lambda: ["patient/*.read", "fileman.read"])


def hash_api_key(key: str) -> str:
    """The stored form of an API key (hex SHA-256); keys are random, so no salt is needed."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class AuthSettings(BaseModel):
    """API authentication, authorization and audit."""

    enabled: bool = True
    api_keys: list[ApiKey] = Field(default_factory=list)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    jwt_key: SecretStr | None = Field(
        default=None,
        description="instead of jwks_url: a PEM public key (RS256/ES256) or an HMAC secret (HS256)",
    )
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    jwks_cache_seconds: int = Field(default=300, ge=0)
    scopes: list[str] = Field(
        default_factory=lambda: [
            "patient/*.read",
            "user/*.read",
            "system/*.read",
            "fileman.read",
            "rpc.call",
        ],
        description="every scope the API knows",
    )
    audit_log: Path | None = Field(default=None, description="JSON-lines audit file")
    rpc_allow_list: list[str] = Field(
        default_factory=lambda: ["XWB IM HERE", "ORWU USERINFO", "ORWPT LIST ALL"]
    )

    @field_validator("rpc_allow_list")
    @classmethod
    def _upper_rpc_names(cls, names: list[str]) -> list[str]:
        return [n.strip().upper() for n in names if n.strip()]

    def find_api_key(self, presented: str) -> ApiKey | None:
        """The configured key matching ``presented`` (constant-time compare), or None."""
        digest = hash_api_key(presented)
        found = None
        for key in self.api_keys:
            if hmac.compare_digest(key.sha256, digest):
                found = key
        return found


class ServerSettings(BaseModel):
    """Where ``vista-bridge serve`` listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    timezone: str = Field(
        default="UTC",
        description="the site's IANA time zone: VistA keeps local times, FHIR needs a zone",
    )


class Settings(BaseSettings):
    """Everything configurable.  Build with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="VISTA_BRIDGE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    store: StoreSettings = Field(default_factory=StoreSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _CONFIG_FILE.get("path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


# The TOML path for the Settings() being built; set by load_settings (pydantic-settings reads
# sources at construction time, so the path is handed over through this slot).
_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def _config_path(config: Path | None) -> Path | None:
    if config is not None:
        if not config.is_file():
            raise SettingsError(f"config file {config} does not exist; check --config")
        return config
    env = os.environ.get("VISTA_BRIDGE_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise SettingsError(f"VISTA_BRIDGE_CONFIG={env} does not exist")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(config: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from overrides > env > TOML > defaults; raises :class:`SettingsError`.

    ``overrides`` is nested like the model (``{"store": {"kind": "gtm"}}``); it may hold any
    setting except broker credentials, which it refuses so that argv never carries them.
    """
    overrides = overrides or {}
    broker = overrides.get("broker") or {}
    if "access_code" in broker or "verify_code" in broker:
        raise SettingsError(
            "broker credentials cannot be passed as options; use the environment or a secrets file"
        )
    path = _config_path(config)
    if path is not None:
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    _CONFIG_FILE["path"] = path
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(
            f"invalid setting {where}: {first['msg']} ({exc.error_count()} error(s) in all)"
        ) from None
    finally:
        _CONFIG_FILE["path"] = None
