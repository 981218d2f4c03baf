"""The demo VistA signs on: the broker simulator over a freshly generated demo store, driven by
our own clients (sync and asyncio) and by ``vista-bridge rpc``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.cli_support import EXIT_BROKER, EXIT_CONFIG
from bridge.demo import export_demo_zwr, generate_demo
from bridge.demo.broker import (
    CPRS_CONTEXT,
    DEMO_ACCESS_CODE,
    DEMO_USER,
    DEMO_VERIFY_CODE,
    INTRO_TEXT,
    RPCS,
    DemoBrokerError,
    set_demo_codes,
)
from bridge.simulator import ENTRY_POINTS, VistaHandler, VistaSettings, load_store
from globals_map.fileman import Decoder, Schema
from globals_map.memory import MemoryStore
from rpc import results
from rpc.aio import AsyncBrokerClient
from rpc.client import BrokerClient
from rpc.errors import BrokerConnectionError, LockedOutError, RPCSecurityError, SignOnError
from rpc.protocol import ListParam
from rpc.simulator import BrokerServer, ServerConfig, Timings, running_in_thread
from rpc.wire import ReturnType

FAST = Timings(drain=0.05, trap_hang=0.05, read=5.0)
PATIENTS = 12


@pytest.fixture(scope="module")
def demo() -> MemoryStore:
    store = MemoryStore()
    generate_demo(store, patients=PATIENTS, seed=11)
    return store


@pytest.fixture
def server(demo: MemoryStore) -> Iterator[BrokerServer]:
    handler = VistaHandler(demo, VistaSettings(lockout_hang=0.05))
    with running_in_thread(handler, ServerConfig(timings=FAST)) as srv:
        yield srv
    handler.reset()  # sign-on state (last sign-on, failures) back for the next test


def client(port: int) -> BrokerClient:
    return BrokerClient("127.0.0.1", port, timeout=10)


def ddr(**kw: str) -> ListParam:
    return ListParam(tuple(kw.items()))


def _patient_with(demo: MemoryStore, global_: str, subs: tuple[str, ...]) -> str:
    for dfn in range(1, PATIENTS + 1):
        if demo.data(global_, (*subs, str(dfn))):
            return str(dfn)
    raise AssertionError(f"no demo patient has ^{global_}{subs}")


def test_every_rpc_the_simulator_answers_is_registered(demo: MemoryStore) -> None:
    registered = {(r.tag, r.routine) for r in RPCS}
    assert set(ENTRY_POINTS) <= registered
    for rpc in RPCS:
        ien = demo.next_subscript("XWB", ("8994", "B", rpc.name), None)
        assert ien is not None
        zero = (demo.get("XWB", ("8994", ien, "0")) or "").split("^")
        assert zero[:4] == [rpc.name, rpc.tag, rpc.routine, rpc.returns]


def test_sign_on_as_the_demo_user_and_read_patients(
    server: BrokerServer, demo: MemoryStore
) -> None:
    with client(server.port) as vista:
        signed = vista.sign_on(DEMO_ACCESS_CODE, DEMO_VERIFY_CODE, context=CPRS_CONTEXT,
                               intro=True)  # fmt: skip
        assert signed.user is not None and signed.user.name == DEMO_USER
        assert signed.user.standard_name == "Broker User Zzdemo"
        assert signed.intro == INTRO_TEXT
        assert signed.setup.volume == "VBDEMO" and signed.setup.attempts == 5
        assert any(line.startswith("Good ") and DEMO_USER in line for line in signed.messages)
        patients = results.parse_patient_list(vista.call("ORWPT LIST ALL", "", "1").lines)
    names = {
        str(dfn): (demo.get("DPT", (str(dfn), "0")) or "").split("^")[0]
        for dfn in range(1, PATIENTS + 1)
    }
    assert {p.dfn: p.name for p in patients} == names
    assert [p.index_name for p in patients] == sorted(names.values())


def test_allergies_match_the_demo_entries_decoded_by_fileman(
    server: BrokerServer, demo: MemoryStore
) -> None:
    dfn = _patient_with(demo, "GMR", ("120.8", "B"))
    decoder = Decoder(Schema(demo))
    expected = []
    for subs, _ in demo.read_subtree("GMR", ("120.8", "B", dfn)):
        record = decoder.decode("120.8", subs[-1])
        reactions = tuple(str(r.values[".01"].external) for r in record.values["10"].records or ())
        reactant = str(record.values[".02"].external)
        expected.append(results.AllergyRow(subs[-1], reactant, "", reactions))
    with client(server.port) as vista:
        vista.sign_on(DEMO_ACCESS_CODE, DEMO_VERIFY_CODE, context=CPRS_CONTEXT)
        listed = results.parse_allergies(vista.call("ORQQAL LIST", dfn).lines)
        none = _patient_without_allergies(demo)
        nka = results.parse_allergies(vista.call("ORQQAL LIST", none).lines) if none else None
    assert listed.status == "allergies" and list(listed.rows) == expected
    if nka is not None:
        assert nka.status == "no_known_allergies"


def _patient_without_allergies(demo: MemoryStore) -> str | None:
    for dfn in range(1, PATIENTS + 1):
        if not demo.data("GMR", ("120.8", "B", str(dfn))):
            return str(dfn)
    return None


def test_vitals_and_problems_come_from_the_demo(server: BrokerServer, demo: MemoryStore) -> None:
    dfn = _patient_with(demo, "AUPNPROB", ("AC",))
    with client(server.port) as vista:
        vista.sign_on(DEMO_ACCESS_CODE, DEMO_VERIFY_CODE, context=CPRS_CONTEXT)
        vitals = vista.call("ORQQVI VITALS", dfn).lines
        # the client knows no return type for ORQQPL PROBLEM LIST: its 8994 entry says ARRAY
        problems = vista.call("ORQQPL PROBLEM LIST", dfn, "", returns=ReturnType.ARRAY).lines
    latest: dict[str, tuple[str, str]] = {}
    types = {s[1]: v.split("^")[1] for s, v in demo.read_subtree("GMRD", ("120.51",))
             if len(s) == 3 and s[2] == "0"}  # fmt: skip
    for subs, _ in demo.read_subtree("GMR", ("120.5", "C", dfn)):
        zero = (demo.get("GMR", ("120.5", subs[-1], "0")) or "").split("^")
        abbrev = types[zero[2]]
        if abbrev not in latest or float(zero[0]) > float(latest[abbrev][0]):
            latest[abbrev] = (zero[0], zero[7])
    by_type = {row.split("^")[1]: row.split("^") for row in vitals}
    assert set(by_type) == set(latest)
    for abbrev, (when, value) in latest.items():
        assert (by_type[abbrev][3], by_type[abbrev][2]) == (when, value)
    iens = [s[-1] for s, _ in demo.read_subtree("AUPNPROB", ("AC", dfn))]
    assert sorted(p.split("^")[0] for p in problems) == sorted(iens)
    for row in problems:
        ien, narrative, status = row.split("^")[:3]
        zero = (demo.get("AUPNPROB", (ien, "0")) or "").split("^")
        assert status == zero[11]
        assert narrative == (demo.get("AUTNPOV", (zero[4], "0")) or "").split("^")[0]


def test_fileman_rpcs_read_demo_files(server: BrokerServer, demo: MemoryStore) -> None:
    decoder = Decoder(Schema(demo))
    patient = decoder.decode("2", "1")
    with client(server.port) as vista:
        vista.sign_on(DEMO_ACCESS_CODE, DEMO_VERIFY_CODE, context=CPRS_CONTEXT)
        gets = results.parse_gets(
            vista.call(
                "DDR GETS ENTRY DATA", ddr(FILE="2", IENS="1,", FIELDS=".01;.02;.03", FLAGS="IE")
            ).lines
        )
        listed = results.parse_list(
            vista.call(
                "DDR LISTER", ddr(FILE="120.82", FIELDS="@;.01;1", FLAGS="IP", MAX="5", XREF="B")
            ).lines
        )
        with pytest.raises(RPCSecurityError) as refused:
            vista.call("DDR FILER", "EDIT", ddr())
    for number in (".01", ".02", ".03"):
        value = gets.value(number)
        assert (value.internal, value.external) == (
            patient.values[number].internal,
            patient.values[number].external,
        )
    allergens = sorted(
        (s[2], s[3]) for s, _ in demo.read_subtree("GMRD", ("120.82", "B")) if len(s) == 4
    )
    assert [(r.values[0], r.ien) for r in listed.rows] == allergens[:5]
    assert listed.more is not None
    assert "not registered to the option" in str(refused.value)


def test_a_wrong_verify_code_is_vistas_typed_refusal(server: BrokerServer) -> None:
    with client(server.port) as vista, pytest.raises(SignOnError) as refused:
        vista.sign_on(DEMO_ACCESS_CODE, "WRONGCODE1!")
    assert refused.value.text == "Not a valid ACCESS CODE/VERIFY CODE pair."
    assert "WRONGCODE1" not in str(refused.value)


def test_five_wrong_codes_lock_the_connection_out(server: BrokerServer) -> None:
    with client(server.port) as vista:
        vista.signon_setup()
        for _ in range(4):
            with pytest.raises(SignOnError) as refused:
                vista.authenticate(DEMO_ACCESS_CODE, "WRONGCODE1!")
            assert not isinstance(refused.value, LockedOutError)
        with pytest.raises(LockedOutError) as locked:  # the KSP's 5 attempts (XUS3)
            vista.authenticate(DEMO_ACCESS_CODE, "WRONGCODE1!")
    assert "locked" in locked.value.text


def test_the_exported_demo_zwr_serves_sign_on(tmp_path: Path) -> None:
    store = MemoryStore()
    generate_demo(store, patients=2, seed=5)
    path = tmp_path / "demo.zwr"
    export_demo_zwr(store, path)
    handler = VistaHandler(load_store([path]), VistaSettings(lockout_hang=0.05))
    with running_in_thread(handler, ServerConfig(timings=FAST)) as srv, client(srv.port) as vista:
        vista.sign_on(DEMO_ACCESS_CODE, DEMO_VERIFY_CODE, context=CPRS_CONTEXT)
        assert len(vista.call("ORWPT LIST ALL", "", "1").lines) == 2


def test_the_asyncio_client_signs_on_too(server: BrokerServer) -> None:
    async def main() -> list[str]:
        async with AsyncBrokerClient("127.0.0.1", server.port, timeout=10) as vista:
            await vista.sign_on(DEMO_ACCESS_CODE, DEMO_VERIFY_CODE, context=CPRS_CONTEXT)
            return (await vista.call("ORWPT LIST ALL", "", "1")).lines

    lines = asyncio.run(main())
    assert len(lines) == PATIENTS and all(
        line.split("^")[1].startswith("ZZDEMO,") for line in lines
    )


def test_demo_codes_can_be_changed_and_are_checked() -> None:
    store = MemoryStore()
    generate_demo(store, patients=1)
    duz = set_demo_codes(store, "other123", "Other123!!")
    assert store.data("VA", ("200", "A", "OTHER123", duz)) == 1
    assert store.data("VA", ("200", "A", DEMO_ACCESS_CODE, duz)) == 0
    with pytest.raises(DemoBrokerError, match="verify code") as bad:
        set_demo_codes(store, "other123", "a;b")
    assert "a;b" not in str(bad.value)
    with pytest.raises(DemoBrokerError, match="no demo broker user"):
        set_demo_codes(MemoryStore(), "other123", "Other123!!")


runner = CliRunner()


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("VISTA_BRIDGE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("_clean_env")
def test_cli_rpc_against_the_demo_simulator(
    server: BrokerServer, demo: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", DEMO_ACCESS_CODE)
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", DEMO_VERIFY_CODE)
    address = f"127.0.0.1:{server.port}"
    listed = runner.invoke(app, ["--broker", address, "rpc", "ORWPT LIST ALL", "", "1", "--json"])
    assert listed.exit_code == 0, listed.stderr
    lines = json.loads(listed.stdout)["lines"]
    assert len(lines) == PATIENTS
    secrets = Path("broker.toml")
    secrets.write_text('access_code = "DEMOBRK1"\nverify_code = "NOT-IT-1!"\n')
    monkeypatch.delenv("VISTA_BRIDGE_BROKER__VERIFY_CODE")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__SECRETS_FILE", str(secrets))
    refused = runner.invoke(app, ["--broker", address, "rpc", "XWB IM HERE"])
    assert refused.exit_code == EXIT_BROKER
    assert "Not a valid ACCESS CODE/VERIFY CODE pair." in refused.stderr
    assert "NOT-IT" not in refused.stderr


@pytest.mark.usefixtures("_clean_env")
def test_cli_broker_sim_prints_how_to_sign_on_and_takes_codes_from_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from tests.bridge.test_cli import _free_port

    port = _free_port()
    out: dict[str, object] = {}
    args = ["--patients", "3", "broker-sim", "--port", str(port), "--seconds", "5"]
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", "MYCODE12")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "MyVerify12!")
    thread = threading.Thread(target=lambda: out.setdefault("r", runner.invoke(app, args)))
    thread.start()
    try:
        signed = None
        deadline = time.monotonic() + 4.5  # the simulator serves for 5 s after start-up
        while signed is None and time.monotonic() < deadline:
            try:
                with client(port) as vista:
                    signed = vista.sign_on("MYCODE12", "MyVerify12!", context=CPRS_CONTEXT)
            except BrokerConnectionError:  # not listening yet
                time.sleep(0.05)
        assert signed is not None and signed.duz > 0
    finally:
        thread.join(10)
    result = out["r"]
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    stdout = result.stdout  # type: ignore[attr-defined]
    assert DEMO_USER in stdout and f"listening on 127.0.0.1:{port}" in stdout
    assert "MYCODE12" not in stdout and "MyVerify12" not in stdout


@pytest.mark.usefixtures("_clean_env")
def test_cli_broker_sim_refuses_unusable_demo_codes_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", "A;B^C")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "Verify123!")
    result = runner.invoke(app, ["--patients", "1", "broker-sim", "--port", "0", "--seconds", "1"])
    assert result.exit_code == EXIT_CONFIG
    assert "demo access code must be" in result.stderr and "A;B^C" not in result.stderr
