"""Real VistA exports from ../shared load into every backend, count right, and survive an
export and reload unchanged (skipped when ../shared is absent; a failure in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from globals_map import GlobalStore
from globals_map.zwr_io import export_zwr, load_zwr
from parsers.zwr import parse_zwr_file
from tests.conftest import SHARED, shared_path

_FOLDERS = [
    ("fixtures", "vista", "data"),
    ("fixtures", "vista", "dd"),
    ("fixtures", "vista", "dic"),
    ("vista-lab", "globals"),
    ("fixtures", "engine"),
]


def _real_files() -> list[str]:
    """Relative paths of every real ZWR file (collected at import time, so ids are stable;
    when ../shared is absent one placeholder id lets the test skip through shared_path)."""
    found = [
        str(path.relative_to(SHARED))
        for parts in _FOLDERS
        for path in sorted(SHARED.joinpath(*parts).glob("*.zwr"))
    ]
    return found or ["fixtures/vista/data/5-STATE.zwr"]


def _body_line_count(path: Path) -> int:
    """Lines after the two header lines, not counting empty ones."""
    return sum(1 for line in path.read_bytes().split(b"\n")[2:] if line.strip(b"\r"))


def _snapshot(store: GlobalStore) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    return {name: store.read_subtree(name) for name in store.global_names()}


@pytest.mark.parametrize("relative", _real_files())
def test_real_file_loads_counts_and_round_trips(
    store: GlobalStore, relative: str, tmp_path: Path
) -> None:
    path = shared_path(*relative.split("/"))
    report = load_zwr(store, path)
    assert report.ok
    assert report.loaded == _body_line_count(path)
    expected: dict[tuple[str, tuple[str, ...]], str] = {}
    for node in parse_zwr_file(path):  # a repeated node keeps its last value, as in M
        expected[(node.name, node.subscripts)] = node.value
    before = _snapshot(store)
    assert sum(map(len, before.values())) == len(expected)
    assert {(n, s): v for n, items in before.items() for s, v in items} == expected

    out = tmp_path / "export.zwr"
    assert export_zwr(store, out, title=f"re-export of {path.name}") == len(expected)
    for name in store.global_names():
        store.kill(name)
    assert load_zwr(store, out).loaded == len(expected)
    assert _snapshot(store) == before


def test_every_real_folder_is_present() -> None:
    for parts in _FOLDERS:
        assert list(shared_path(*parts).glob("*.zwr")), parts


def test_state_file_spot_values(store: GlobalStore) -> None:
    load_zwr(store, shared_path("fixtures", "vista", "data", "5-STATE.zwr"))
    assert store.get("DIC", ("5", "0")) == "STATE^5^111^85"
    ien = store.next_subscript("DIC", ("5", "B", "ALABAMA"))
    assert ien is not None
    zero = store.get("DIC", ("5", ien, "0"))
    assert zero is not None and zero.split("^")[:2] == ["ALABAMA", "AL"]
    assert store.data("DIC", ("5", ien, "1")) == 10  # the COUNTY multiple


def test_allergy_variable_pointer_value_is_kept_verbatim(store: GlobalStore) -> None:
    load_zwr(store, shared_path("fixtures", "vista", "data", "120.8-PATIENT_ALLERGIES.zwr"))
    zero = store.get("GMR", ("120.8", "1", "0"))
    assert zero is not None
    assert ";GMRD(120.82," in zero.split("^")[2]


def test_m_code_with_dollar_c_inside_strings_stays_text(store: GlobalStore) -> None:
    load_zwr(store, shared_path("vista-lab", "globals", "vehu-subset.zwr"))
    assert store.get("%ZIS", ("2", "4", "1")) == (
        '80^$C(27)_"[2J"_$C(27)_"[24A"_$C(27)_"[80D",#^24^$C(8)'
    )
    terminators = store.get("%ZOSF", ("TRMON",))
    assert terminators is not None and terminators.startswith("U $I:(TERMINATOR=$C(0,1,2,")
