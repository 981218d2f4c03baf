"""The GT.M backend's environment, errors, object cache and signal handling."""

# ruff: noqa: F811  (pytest fixtures imported from tests/globals_map/engines.py)
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from globals_map.errors import EngineError, InvalidNameError, StoreError
from globals_map.gtm import DatabaseMissingError, GtmNotFoundError, GtmStore, discover
from globals_map.gtm.binding import CallIns, KeyTooLongError
from globals_map.gtm.environment import prepare_objects, routine_source
from tests.globals_map.engines import gtm_store, session_database  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def test_missing_gtm_is_a_typed_error_that_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(GtmNotFoundError, match="gtm_dist") as info:
        discover(gtm_dist=tmp_path, gbldir=tmp_path / "x.gld")
    assert isinstance(info.value, StoreError)


def test_missing_global_directory_is_a_typed_error(gtm_store: GtmStore, tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissingError, match="does not exist"):
        GtmStore(tmp_path / "absent.gld", gtm_dist=gtm_store.env.dist)


def test_m_errors_come_back_as_engine_errors_with_zstatus(gtm_store: GtmStore) -> None:
    # Bypass Python's name check: the routine refuses the name itself, as an M error.
    with pytest.raises(EngineError, match=r"CHK\+1\^VBRIDGE,%GTM-E-SETECODE") as info:
        gtm_store.runtime.call(lambda ci: ci.get(b'^A"B', b""))
    assert info.value.status
    gtm_store.set("ZZE", (1,), "after the error")
    assert gtm_store.get("ZZE", (1,)) == "after the error"


def test_invalid_names_never_reach_m(gtm_store: GtmStore) -> None:
    for name in ('^A"B', "^A(1)", "A B", "^1A", "^A@B", "", "^" + "A" * 32):
        with pytest.raises(InvalidNameError):
            gtm_store.get(name)


def test_a_key_longer_than_the_database_allows_is_an_invalid_subscript(
    gtm_store: GtmStore,
) -> None:
    with pytest.raises(KeyTooLongError, match="1019"):
        gtm_store.set("ZZE", ("x" * 1100,), "v")


def test_routine_compiles_once_per_source_and_version(tmp_path: Path) -> None:
    db = session_database()
    dist = db.dist  # type: ignore[attr-defined]
    first = prepare_objects(dist, tmp_path)
    obj = first / "VBRIDGE.o"
    stamp = obj.stat().st_mtime_ns
    assert prepare_objects(dist, tmp_path) == first
    assert obj.stat().st_mtime_ns == stamp
    assert (first / "VBRIDGE.m").read_bytes() == routine_source()


def test_environment_keeps_site_routines_and_adds_libgtmutil(gtm_store: GtmStore) -> None:
    env = discover(gbldir=gtm_store.env.gbldir, routines="/site/o(/site/r)")
    parts = env.routines.split()
    assert parts[0].startswith(str(env.object_dir))
    assert "/site/o(/site/r)" in parts
    assert parts[-1] == str(env.dist / "libgtmutil.so")
    assert env.variables()["GTMCI"] == str(env.ci_table)


SIGNAL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, {root!r})
    from globals_map.gtm import GtmStore
    got = []
    signal.signal(signal.SIGTERM, lambda *a: got.append("term"))
    store = GtmStore({gld!r})
    store.set("ZZSIG", (1,), "x")
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)
        print("no-interrupt")
    except KeyboardInterrupt:
        print("interrupt")
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)
    print("term" if got else "no-term", store.get("ZZSIG", (1,)))
    store.kill("ZZSIG")
    """
)


def test_gtm_init_leaves_ctrl_c_and_sigterm_to_python(gtm_store: GtmStore) -> None:
    script = SIGNAL_SCRIPT.format(root=str(ROOT), gld=str(gtm_store.env.gbldir))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["interrupt", "term", "x"]


def test_bulk_reads_in_tiny_chunks_match_the_memory_store(gtm_store: GtmStore) -> None:
    from globals_map import MemoryStore

    memory = MemoryStore()
    nodes: list[tuple[tuple[str, ...], str]] = [((), "root")]
    for i in range(1, 40):
        nodes.append(((str(i),), "v" * (i % 7)))
        for j in range(i % 4):
            nodes.append(((str(i), f"s{j}"), f"{i}\x00{j}" if i % 9 == 0 else f"{i},{j}"))
            nodes.append(((str(i), f"s{j}", "deep"), "d"))
        if i % 5 == 0:
            nodes.append(((str(i), "big"), "B" * 3000))
    for store in (memory, gtm_store):
        store.set_many(("ZZB", subs, value) for subs, value in nodes)
    expected = memory.read_subtree("ZZB")
    for chunk_bytes in (64, 500, 4000):
        assert list(gtm_store.iter_subtree("ZZB", chunk_bytes=chunk_bytes)) == expected
        assert list(gtm_store.iter_subtree("ZZB", ("10",), chunk_bytes=chunk_bytes)) == (
            memory.read_subtree("ZZB", ("10",))
        )
        assert list(gtm_store.iter_subtree("ZZB", after=("9", "s0"), chunk_bytes=chunk_bytes)) == (
            memory.read_subtree("ZZB", after=("9", "s0"))
        )
    assert gtm_store.read_subtree("ZZB", limit=17) == expected[:17]


BOUNDARY = [
    "0", "-0", "1", "-1", ".5", "0.5", "-.5", "1.0", "01", "1E3", "1e3", "+1", " 1", "1 ",
    "123456789012345678", "1234567890123456789", "12345678901234567800",
    "-123456789012345678", ".123456789012345678", ".1234567890123456789",
    "." + "0" * 42 + "1", "." + "0" * 43 + "1", "-." + "0" * 42 + "1",
    "1" + "0" * 46, "1" + "0" * 47, "99999999999999999900000000000000000000000000000",
    "999999999999999999" + "0" * 30, "1.", ".", "-", "--1", "1-", "0.0", "00", "1.10",
]  # fmt: skip


def test_gtm_decides_numbers_by_our_canonical_rule(gtm_store: GtmStore) -> None:
    from globals_map import MemoryStore
    from parsers.canonical import is_canonical_number

    memory = MemoryStore()
    for store in (memory, gtm_store):
        for i, sub in enumerate(BOUNDARY):
            store.set("ZZN", (sub,), str(i))
    assert gtm_store.read_subtree("ZZN") == memory.read_subtree("ZZN")
    numbers = [s for s in BOUNDARY if is_canonical_number(s)]
    assert [subs[0] for subs, _v in gtm_store.read_subtree("ZZN")][: len(numbers)] == sorted(
        numbers, key=Decimal
    )


def test_a_throwaway_database_is_the_file_it_names_with_our_limits(
    gtm_store: GtmStore, tmp_path: Path
) -> None:
    from globals_map.engine_db import create_database

    db = create_database(tmp_path, gtm_dist=gtm_store.env.dist)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vb.dat", "vb.gld"]
    shown = db.run(["mumps", "-run", "GDE"], stdin="show -region\nexit\n")
    assert " 1048576  1019 NEVER " in shown
    db.rundown()


def test_rolling_back_a_big_kill_restores_every_node(gtm_store: GtmStore) -> None:
    nodes: list[tuple[tuple[str, ...], str]] = [((str(i), "x"), f"value {i}") for i in range(20000)]
    nodes.append((("big",), "B" * 300_000))
    gtm_store.set_many(("ZZR", subs, v) for subs, v in nodes)
    before = gtm_store.read_subtree("ZZR")
    with pytest.raises(RuntimeError), gtm_store.transaction():
        gtm_store.kill("ZZR")
        gtm_store.set("ZZR", ("1", "x"), "changed")
        assert gtm_store.read_subtree("ZZR") == [(("1", "x"), "changed")]
        raise RuntimeError("roll back")
    assert gtm_store.read_subtree("ZZR") == before


def test_a_process_running_gtm_refuses_to_start_yottadb_too(gtm_store: GtmStore) -> None:
    from globals_map.gtm.runtime import EngineConflictError, get_runtime

    def never() -> CallIns:
        raise AssertionError("must not start a second engine")

    with pytest.raises(EngineConflictError, match="already runs gtm"):
        get_runtime(never, str(gtm_store.env.gbldir), engine="yottadb")


SERVER_SCRIPT = textwrap.dedent(
    """
    import asyncio, signal, sys
    sys.path.insert(0, {root!r})
    from globals_map.gtm import GtmStore

    async def main():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # The risky order: GT.M starts after the server installed its handlers.
        store = GtmStore({gld!r})
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        await asyncio.to_thread(store.set, "ZZSRV", (1,), "up")
        print("ready", flush=True)
        await asyncio.wait_for(stop.wait(), 30)
        server.close()
        await server.wait_closed()
        print("stopped", await asyncio.to_thread(store.get, "ZZSRV", (1,)), flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_asyncio_server_stops_gracefully_on_its_signals_after_gtm_init(
    gtm_store: GtmStore, signum: int
) -> None:
    script = SERVER_SCRIPT.format(root=str(ROOT), gld=str(gtm_store.env.gbldir))
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped up"
    gtm_store.kill("ZZSRV")
