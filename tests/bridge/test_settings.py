"""Settings: defaults, TOML, environment, CLI overrides, credentials and API keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.settings import (
    ApiKey,
    AuthSettings,
    BrokerSettings,
    SettingsError,
    hash_api_key,
    load_settings,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("VISTA_BRIDGE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no ./vista-bridge.toml around


def test_defaults_are_the_embedded_demo() -> None:
    settings = load_settings()
    assert settings.store.kind == "memory"
    assert settings.store.demo and settings.store.demo_patients == 50
    assert settings.broker.configured is False
    assert settings.auth.enabled is True
    assert settings.server.host == "127.0.0.1"


def test_priority_overrides_then_env_then_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "conf.toml"
    toml.write_text('[store]\nkind = "gtm"\ndemo_patients = 5\ngbldir = "/x.gld"\n'
                    '[broker]\nport = 9000\n')  # fmt: skip
    settings = load_settings(toml)
    assert (settings.store.kind, settings.store.demo_patients) == ("gtm", 5)
    monkeypatch.setenv("VISTA_BRIDGE_STORE__DEMO_PATIENTS", "7")
    assert load_settings(toml).store.demo_patients == 7
    over = load_settings(toml, {"store": {"demo_patients": 9}})
    assert over.store.demo_patients == 9
    assert over.store.kind == "gtm" and over.store.gbldir == Path("/x.gld")
    assert over.broker.port == 9000


def test_config_found_through_env_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vista-bridge.toml").write_text("[server]\nport = 8123\n")
    assert load_settings().server.port == 8123
    other = tmp_path / "other.toml"
    other.write_text("[server]\nport = 8124\n")
    monkeypatch.setenv("VISTA_BRIDGE_CONFIG", str(other))
    assert load_settings().server.port == 8124


def test_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[store\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[store]\nkind = "oracle"\n')
    with pytest.raises(SettingsError, match=r"invalid setting store\.kind"):
        load_settings(wrong)
    with pytest.raises(SettingsError, match="invalid setting"):
        load_settings(overrides={"store": {"demo_patients": 100_001}})


def test_credentials_never_from_overrides() -> None:
    with pytest.raises(SettingsError, match="cannot be passed as options"):
        load_settings(overrides={"broker": {"access_code": "X"}})


def test_credentials_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__HOST", "vista.example")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", "ACC1")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "VER1!!")
    broker = load_settings().broker
    access, verify = broker.credentials()
    assert (access.get_secret_value(), verify.get_secret_value()) == ("ACC1", "VER1!!")
    assert "ACC1" not in repr(broker) and "VER1" not in str(broker.model_dump())


def test_credentials_from_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "broker.toml"
    secrets.write_text('access_code = "A1"\nverify_code = "V1"\n')
    access, verify = BrokerSettings(secrets_file=secrets).credentials()
    assert (access.get_secret_value(), verify.get_secret_value()) == ("A1", "V1")
    with pytest.raises(SettingsError, match="cannot read broker secrets file"):
        BrokerSettings(secrets_file=tmp_path / "nope.toml").credentials()
    secrets.write_text('access_code = "A1"\n')
    with pytest.raises(SettingsError, match="credentials are not set"):
        BrokerSettings(secrets_file=secrets).credentials()


def test_api_keys_are_stored_hashed_and_matched() -> None:
    key = "vb_test_0123456789abcdef"
    auth = AuthSettings(api_keys=[ApiKey(name="ci", sha256=hash_api_key(key), scopes=["x"])])
    found = auth.find_api_key(key)
    assert found is not None and found.name == "ci"
    assert auth.find_api_key("wrong") is None
    assert key not in auth.model_dump_json()
    with pytest.raises(ValueError):
        ApiKey(name="clear", sha256=key)


def test_rpc_allow_list_is_normalized() -> None:
    auth = AuthSettings(rpc_allow_list=[" orwu userinfo ", "", "XWB IM HERE"])
    assert auth.rpc_allow_list == ["ORWU USERINFO", "XWB IM HERE"]
