"""The vista-bridge CLI, every command, through typer's CliRunner (real demo data, real broker
simulator on 127.0.0.1, uvicorn replaced by a recorder for ``serve``)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bridge.cli import app
from bridge.cli_support import EXIT_BROKER, EXIT_CONFIG, EXIT_NOT_FOUND, EXIT_USAGE
from bridge.demo import SYNTHETIC_TITLE

runner = CliRunner()
SMALL = ["--patients", "12", "--seed", "3"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("VISTA_BRIDGE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def ok_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_files_lists_the_demo_files_with_counts() -> None:
    rows = ok_json(*SMALL, "files")
    by_number = {r["file"]: r for r in rows}
    assert by_number["2"] == {"file": "2", "name": "PATIENT", "global": "^DPT(", "entries": 12}
    assert by_number["120.5"]["global"] == "^GMR(120.5,"
    text = run(*SMALL, "files")
    assert text.exit_code == 0 and "PATIENT" in text.stdout


def test_dd_shows_fields_types_and_storage() -> None:
    info = ok_json(*SMALL, "dd", "120.8")
    fields = {f["field"]: f for f in info["fields"]}
    assert info["name"] == "PATIENT ALLERGIES" and info["global"] == "^GMR(120.8,"
    assert fields["1"]["type"] == "VARIABLE_POINTER" and fields["1"]["storage"] == "0;3"
    assert fields["10"]["detail"] == "subfile 120.81"
    assert fields[".01"]["detail"] == "-> 2 PATIENT" and fields[".01"]["required"] is True
    assert "OBSERVED" in fields["6"]["detail"]
    assert run(*SMALL, "dd", "2").exit_code == 0


def test_get_decodes_internal_and_external_values() -> None:
    record = ok_json(*SMALL, "get", "2", "1")
    fields = {f["field"]: f for f in record["fields"]}
    assert fields[".01"]["external"] == "ZZDEMO,PATIENT ONE"
    assert fields[".02"]["internal"] in {"M", "F"}
    assert fields[".02"]["external"] in {"MALE", "FEMALE"}
    allergy = ok_json(*SMALL, "get", "120.8", "1")
    reactions = next(f for f in allergy["fields"] if f["field"] == "10")
    assert reactions["records"] and reactions["records"][0]["iens"].endswith(",1,")
    table = run(*SMALL, "get", "120.8", "1")
    assert table.exit_code == 0 and "REACTIONS#1" in table.stdout


def test_find_uses_the_b_index_any_case() -> None:
    found = ok_json(*SMALL, "find", "2", "zzdemo,patient t", "--limit", "2")
    assert [m["value"] for m in found["matches"]] == ["ZZDEMO,PATIENT TEN", "ZZDEMO,PATIENT THREE"]
    assert found["more"] is True
    none = ok_json(*SMALL, "find", "2", "NOBODY")
    assert none["matches"] == [] and none["more"] is False


def test_patients_search_page_and_mask() -> None:
    page = ok_json(*SMALL, "patients", "--limit", "5")
    assert [p["ien"] for p in page["patients"]] == ["1", "2", "3", "4", "5"]
    assert page["next_cursor"] == "5"
    rest = ok_json(*SMALL, "patients", "--cursor", "5", "--limit", "50")
    assert rest["patients"][0]["ien"] == "6" and rest["next_cursor"] is None
    one = ok_json(*SMALL, "patients", "--id", "000-00-0007")
    assert [p["name"] for p in one["patients"]] == ["ZZDEMO,PATIENT SEVEN"]
    table = run(*SMALL, "patients", "--name", "ZZDEMO,PATIENT ONE")
    assert "***-**-0001" in table.stdout and "000000001" not in table.stdout
    assert run(*SMALL, "patients", "--dob", "1990-13-01").exit_code == EXIT_USAGE


def test_demo_generate_reports_rate_and_writes_synthetic_zwr(tmp_path: Path) -> None:
    out = tmp_path / "demo.zwr"
    report = ok_json("demo", "generate", "--patients", "7", "--seed", "4", "--out", str(out))
    assert report["patients"] == 7 and report["entries_by_file"]["2"] == 7
    assert report["patients_per_second"] > 0 and report["entries_per_second"] > 0
    assert report["cpu_seconds"] > 0
    assert report["zwr"]["nodes"] > 0
    lines = out.read_text().splitlines()
    assert lines[0] == SYNTHETIC_TITLE and lines[1].endswith(" ZWR")
    assert len(lines) - 2 == report["zwr"]["nodes"]
    text = run("demo", "generate", "--patients", "3")
    assert text.exit_code == 0 and "patients/s" in text.stdout and "entries/s" in text.stdout


def test_zwr_load_validates_counts_and_reports_bad_lines(tmp_path: Path) -> None:
    out = tmp_path / "demo.zwr"
    assert run("demo", "generate", "--patients", "2", "--out", str(out)).exit_code == 0
    loaded = ok_json("zwr", "load", str(out))
    nodes = len(out.read_text().splitlines()) - 2
    assert loaded["files"][0]["nodes"] == nodes and loaded["files"][0]["skipped"] == 0
    bad = tmp_path / "bad.zwr"
    bad.write_text('title\n27-NOV-2026  01:00:00 ZWR\n^X(1)="a"\n^X(2="b"\n')
    strict = run("zwr", "load", str(bad))
    errors = [line for line in strict.stderr.splitlines() if line.startswith("error: ")]
    assert strict.exit_code == EXIT_CONFIG and len(errors) == 1
    assert "bad.zwr:4:5" in errors[0] and "Traceback" not in strict.stderr
    lenient = ok_json("zwr", "load", "--lenient", str(bad))
    assert lenient["files"][0]["nodes"] == 1 and lenient["files"][0]["skipped"] == 1
    missing = run("zwr", "load", str(tmp_path / "none.zwr"))
    assert missing.exit_code == EXIT_CONFIG and "does not exist" in missing.stderr


def test_zwr_export_of_the_configured_store(tmp_path: Path) -> None:
    out = tmp_path / "dpt.zwr"
    wanted = ("-g", "^DPT", "-g", "DD", "-g", "DIC", "-g", "VA")
    result = ok_json(*SMALL, "zwr", "export", str(out), *wanted)
    lines = out.read_text().splitlines()
    assert lines[0] == SYNTHETIC_TITLE
    assert {line.split("(")[0] for line in lines[2:]} == {"^DPT", "^DD", "^DIC", "^VA"}
    assert result["nodes"] == len(lines) - 2
    again = ok_json("--no-demo", "--zwr", str(out), "patients")
    assert len(again["patients"]) == 12
    missing = run(*SMALL, "zwr", "export", str(out), "-g", "NOPE")
    assert missing.exit_code == EXIT_CONFIG and "no global ^NOPE" in missing.stderr


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["get", "999", "1"], EXIT_NOT_FOUND, "vista-bridge files"),
        (["get", "2", "999"], EXIT_NOT_FOUND, "does not exist"),
        (["dd", "4242"], EXIT_NOT_FOUND, "vista-bridge files"),
        (["get", "2", "abc"], EXIT_USAGE, "not an IEN"),
        (["find", "x", "A"], EXIT_USAGE, "not a file number"),
        (["dd", "1e99999999"], EXIT_USAGE, "not a file number"),
        (["--store", "gtm", "--gbldir", "/nonexistent/x.gld", "files"], EXIT_CONFIG,
         "global directory /nonexistent/x.gld does not exist"),
        (["--store", "oracle", "files"], EXIT_USAGE, "memory, gtm or yottadb"),
        (["--config", "/nonexistent.toml", "files"], EXIT_CONFIG, "does not exist"),
        (["--broker", "nohostport", "rpc", "X"], EXIT_USAGE, "HOST:PORT"),
        (["rpc", "XWB IM HERE"], EXIT_CONFIG, "no broker is configured"),
    ],
)  # fmt: skip
def test_errors_are_one_line_with_meaningful_exit_codes(
    args: list[str], code: int, needle: str
) -> None:
    result = run(*SMALL, *args)
    assert result.exit_code == code, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_debug_shows_the_real_exception() -> None:
    result = run(*SMALL, "--debug", "get", "2", "999")
    assert result.exit_code != 0
    assert result.exception is not None and "does not exist" in str(result.exception)


def test_rpc_without_credentials_and_with_unreachable_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _free_port()
    no_creds = run("--broker", f"127.0.0.1:{port}", "rpc", "XWB IM HERE")
    assert (
        no_creds.exit_code == EXIT_CONFIG and "VISTA_BRIDGE_BROKER__ACCESS_CODE" in no_creds.stderr
    )
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", "NOBODY1")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "NOBODY1!!")
    refused = run("--broker", f"127.0.0.1:{port}", "rpc", "XWB IM HERE")
    assert refused.exit_code == EXIT_BROKER and "cannot talk to the broker" in refused.stderr
    assert "NOBODY1" not in refused.stderr


@pytest.mark.shared
def test_rpc_through_the_broker_signs_on_and_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.bridge.simulator_lab import lab_server

    monkeypatch.setenv("VISTA_BRIDGE_BROKER__ACCESS_CODE", "LABUSER1")
    monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "LABUSER1!!")
    with lab_server() as (server, _handler):
        address = f"127.0.0.1:{server.port}"
        result = run("--broker", address, "rpc", "XWB IM HERE", "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == {"rpc": "XWB IM HERE", "lines": ["1"]}
        allergies = run("--broker", address, "rpc", "ORQQAL LIST", "1")
        assert allergies.exit_code == 0 and allergies.stdout.strip()
        monkeypatch.setenv("VISTA_BRIDGE_BROKER__VERIFY_CODE", "WRONG1!!")
        refused = run("--broker", address, "rpc", "XWB IM HERE")
        assert refused.exit_code == EXIT_BROKER
        assert "refused the sign-on" in refused.stderr and "WRONG1" not in refused.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_broker_sim_serves_on_the_given_port_until_its_time() -> None:
    from rpc.client import BrokerClient

    port = _free_port()
    outcome: dict[str, Result] = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault(
            "r", run(*SMALL, "broker-sim", "--port", str(port), "--seconds", "2")
        )
    )
    thread.start()
    client = BrokerClient("127.0.0.1", port, timeout=5)
    try:
        for _ in range(50):
            try:
                client.open()  # TCPConnect answered: the simulator is serving
                break
            except Exception:
                time.sleep(0.05)
        assert client.is_open
    finally:
        client.close()
        thread.join(10)
    result = outcome["r"]
    assert result.exit_code == 0, result.stderr
    assert f"listening on 127.0.0.1:{port}" in result.stdout


def test_serve_runs_the_api_factory_with_the_cli_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import uvicorn

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(os, "environ", dict(os.environ))  # serve exports settings to env
    result = run("--patients", "9", "serve", "--port", "8765")
    assert result.exit_code == 0, result.stderr
    ((args, kwargs),) = calls
    assert args == ("api.app:create_app_from_settings",)
    assert kwargs == {"factory": True, "host": "127.0.0.1", "port": 8765}
    assert os.environ["VISTA_BRIDGE_STORE__DEMO_PATIENTS"] == "9"
    bad = run("--store", "gtm", "--config", "/nonexistent.toml", "serve")
    assert bad.exit_code == EXIT_CONFIG and not calls[1:]


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("files", "dd", "get", "find", "patients", "rpc", "broker-sim", "serve",
                    "demo", "zwr"):  # fmt: skip
        assert command in result.stdout


def test_broker_sim_on_a_busy_port_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(*SMALL, "broker-sim", "--port", str(port), "--seconds", "1")
    assert result.exit_code == EXIT_CONFIG
    assert "cannot listen on" in result.stderr and "pick another --port" in result.stderr


def test_zwr_load_into_gtm_then_read_it_back(tmp_path: Path) -> None:
    from globals_map.gtm import GtmStore
    from tests.globals_map.engines import session_database, session_gtm_store

    session = session_gtm_store()  # skips (or fails in CI) without GT.M
    assert isinstance(session, GtmStore)
    session.kill_all()
    gld = str(session_database().gbldir)  # type: ignore[attr-defined]
    out = tmp_path / "demo.zwr"
    try:
        assert run("demo", "generate", "--patients", "4", "--out", str(out)).exit_code == 0
        loaded = ok_json("--store", "gtm", "--gbldir", gld, "zwr", "load", str(out))
        assert loaded["store"] == "gtm" and loaded["files"][0]["nodes"] > 0
        page = ok_json("--store", "gtm", "--gbldir", gld, "patients")
        assert [p["name"] for p in page["patients"]][:2] == [
            "ZZDEMO,PATIENT ONE",
            "ZZDEMO,PATIENT TWO",
        ]
        assert ok_json("--store", "gtm", "--gbldir", gld, "get", "2", "4")["ien"] == "4"
    finally:
        session.kill_all()


def test_gtm_database_file_missing_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    import subprocess
    import sys

    from globals_map.engine_db import create_database
    from tests.conftest import require_engine
    from tests.globals_map.engines import gtm_available

    available, why = gtm_available()
    require_engine(available, why)
    db = create_database(tmp_path / "db")
    db.datafile.unlink()
    proc = subprocess.run(
        [sys.executable, "-c", "from bridge.cli import main; main()",
         "--store", "gtm", "--gbldir", str(db.gbldir), "files"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == EXIT_CONFIG
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the gtm database")
    assert "check store.gbldir" in lines[0] and "Traceback" not in proc.stderr
