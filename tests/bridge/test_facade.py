"""The Bridge facade: opening sources from settings, handing out schema/decoder/finder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.demo import export_demo_zwr, generate_demo
from bridge.errors import ConfigurationError
from bridge.facade import Bridge, open_store
from bridge.settings import Settings, StoreSettings
from globals_map.memory import MemoryStore


def test_demo_bridge_serves_schema_decoder_finder_and_clinical() -> None:
    with Bridge.demo(patients=5, seed=3) as bridge:
        assert bridge.has_store
        assert bridge.schema.file("2").name == "PATIENT"
        record = bridge.decoder.decode("2", "1")
        assert record[".01"].external == "ZZDEMO,PATIENT ONE"
        assert bridge.finder.find("2", "ZZDEMO,PATIENT F").iens == ["5", "4"]
        assert bridge.clinical.patient_count() == 5
        assert bridge.decoder is bridge.decoder and bridge.schema is bridge.schema
        assert bridge.broker_pool is None


def test_from_settings_memory_demo_size_and_seed() -> None:
    settings = Settings(store=StoreSettings(demo_patients=4, demo_seed=11))
    with Bridge.from_settings(settings) as bridge:
        assert bridge.clinical.patient_count() == 4
    other = Bridge.demo(patients=4, seed=11)
    assert other.store.read_subtree("DPT") == Bridge.from_settings(settings).store.read_subtree(
        "DPT"
    )


def test_memory_store_from_zwr_files(tmp_path: Path) -> None:
    store = MemoryStore()
    generate_demo(store, patients=2)
    path = tmp_path / "demo.zwr"
    export_demo_zwr(store, path)
    cfg = StoreSettings(demo=False, zwr=[path])
    loaded = open_store(cfg)
    assert loaded.read_subtree("DPT") == store.read_subtree("DPT")


def test_missing_sources_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        open_store(StoreSettings(demo=False, zwr=[tmp_path / "none.zwr"]))
    with pytest.raises(ConfigurationError, match=r"global directory .* does not exist"):
        open_store(StoreSettings(kind="gtm", gbldir=tmp_path / "none.gld"))
    with pytest.raises(ConfigurationError, match="no global store is configured"):
        _ = Bridge(None).store


def test_close_closes_the_store() -> None:
    bridge = Bridge.demo(patients=1)
    store = bridge.store
    bridge.close()
    assert not bridge.has_store
    bridge.close()  # idempotent
    del store


def test_gtm_database_from_settings_holds_and_serves_the_demo() -> None:
    from globals_map.gtm import GtmStore
    from tests.globals_map.engines import session_database, session_gtm_store

    session = session_gtm_store()  # skips (or fails in CI) without GT.M
    assert isinstance(session, GtmStore)
    session.kill_all()
    db = session_database()
    try:
        settings = Settings(store=StoreSettings(kind="gtm", gbldir=db.gbldir))  # type: ignore[attr-defined]
        with Bridge.from_settings(settings) as bridge:
            assert bridge.store.backend == "gtm"
            generate_demo(bridge.store, patients=3, seed=9)
            assert bridge.clinical.get_patient("3").name == "ZZDEMO,PATIENT THREE"
            assert bridge.decoder.decode("2", "1")[".02"].external in {"MALE", "FEMALE"}
    finally:
        session.kill_all()


@pytest.mark.shared
def test_broker_pool_signs_on_lazily_and_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.settings import load_settings
    from tests.bridge.simulator_lab import lab_server

    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", "LABUSER1")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "LABUSER1!!")
    with lab_server() as (server, _handler):
        broker = {"host": "127.0.0.1", "port": server.port, "pool_size": 2}
        settings = load_settings(overrides={"store": {"demo_patients": 1}, "broker": broker})
        with Bridge.from_settings(settings) as bridge:
            pool = bridge.broker_pool
            assert pool is not None and pool.stats().open == 0  # nothing opened yet
            result = pool.run(lambda client: client.call_with("XWB IM HERE", []))
            assert result.lines == ["1"]
            assert pool.stats().open == 1


def test_broker_without_credentials_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.settings import SettingsError, load_settings

    for key in ("VISTA_BRIDGE_BROKER__ACCESS_CODE", "VISTA_BRIDGE_BROKER__VERIFY_CODE"):
        monkeypatch.delenv(key, raising=False)
    settings = load_settings(overrides={"broker": {"host": "127.0.0.1", "port": 9}})
    with pytest.raises(SettingsError, match="credentials are not set"):
        Bridge.from_settings(settings)
