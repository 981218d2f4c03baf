"""Our ZWR path against GT.M's own tools (issue 3, item 5).

``mupip load`` of a real fixture and our ``load_zwr`` through the GT.M store give the same
nodes; ``mupip load`` accepts our export; and what ``mupip extract`` writes loads back through
us to the same nodes.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/globals_map/engines.py)
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from globals_map import GlobalStore, MemoryStore
from globals_map.engine_db import GtmDatabase
from globals_map.gtm import GtmStore
from globals_map.zwr_io import export_zwr, load_zwr
from tests.conftest import shared_path
from tests.globals_map.engines import gtm_store, second_database  # noqa: F401


def everything(store: GlobalStore) -> list[tuple[str, tuple[str, ...], str]]:
    return [(n, subs, v) for n in store.global_names() for subs, v in store.read_subtree(n)]


@pytest.fixture
def other(second_database: GtmDatabase, gtm_store: GtmStore) -> Iterator[GtmStore]:
    """A GtmStore on the second database (same GT.M runtime, its own global directory)."""
    store = GtmStore(second_database.gbldir, gtm_dist=second_database.dist)
    store.kill_all()
    yield store
    store.kill_all()


def test_mupip_load_and_our_load_of_gtms_extract_give_the_same_nodes(
    gtm_store: GtmStore, other: GtmStore, second_database: GtmDatabase
) -> None:
    fixture = shared_path("fixtures", "engine", "gtm-mupip-extract.zwr")
    report = load_zwr(gtm_store, fixture)
    second_database.mupip_load(fixture)
    ours, theirs = everything(gtm_store), everything(other)
    assert ours == theirs
    assert len(ours) == report.loaded > 20


def test_mupip_load_and_our_load_of_real_vista_data_give_the_same_nodes(
    gtm_store: GtmStore, other: GtmStore, second_database: GtmDatabase
) -> None:
    fixture = shared_path("fixtures", "vista", "data", "5-STATE.zwr")
    load_zwr(gtm_store, fixture)
    second_database.mupip_load(fixture)
    ours = everything(gtm_store)
    assert ours == everything(other)
    memory = MemoryStore()
    load_zwr(memory, fixture)
    assert ours == everything(memory)


def test_mupip_load_accepts_our_export(
    other: GtmStore, second_database: GtmDatabase, tmp_path: Path
) -> None:
    memory = MemoryStore()
    for name in ("5-STATE.zwr", "10-RACE.zwr", "13-RELIGION.zwr"):
        load_zwr(memory, shared_path("fixtures", "vista", "data", name))
    memory.set("ZZX", ('q"uote', "ctl\x00\x01\n"), "é\x7f\x00end")
    memory.set("ZZX", (), "root")
    memory.set("ZZX", ("-.5", "1E3"), "x" * 5000)
    path = tmp_path / "ours.zwr"
    count = export_zwr(memory, path)
    out = second_database.mupip_load(path)
    assert "LOADTOOBIG" not in out
    assert everything(other) == everything(memory)
    assert count == memory.node_count()


def test_what_mupip_extract_writes_loads_back_through_us(
    gtm_store: GtmStore, other: GtmStore, second_database: GtmDatabase, tmp_path: Path
) -> None:
    gtm_store.set("ZZX", ("a\x00b", 1), 'quote" and $C(0)' + "\x00")
    gtm_store.set("ZZX", (-1,), "minus")
    export_zwr(gtm_store, tmp_path / "ours.zwr")
    second_database.mupip_load(tmp_path / "ours.zwr")
    second_database.mupip_extract(tmp_path / "theirs.zwr")
    gtm_store.kill_all()
    load_zwr(gtm_store, tmp_path / "theirs.zwr")
    assert everything(gtm_store) == everything(other)
