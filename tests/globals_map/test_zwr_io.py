"""ZWR import/export through the GlobalStore contract (runs on every backend)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from globals_map import GlobalStore
from globals_map.zwr_io import export_zwr, iter_zwr_lines, load_zwr, zwr_header_date
from parsers.errors import ParseError

GOOD = ["Title line", "27-NOV-2026  01:02:03 ZWR", '^ZZA(1)="one"', '^ZZA(2,"x")="two"']


def test_load_from_lines_writes_every_node(store: GlobalStore) -> None:
    report = load_zwr(store, GOOD)
    assert (report.loaded, report.skipped, report.ok) == (2, [], True)
    assert store.get("ZZA", ("2", "x")) == "two"


def test_load_from_path_names_the_file_in_the_report(store: GlobalStore, tmp_path: Path) -> None:
    path = tmp_path / "a.zwr"
    path.write_text("\n".join(GOOD) + "\n")
    report = load_zwr(store, path)
    assert report.source == str(path)
    assert report.loaded == 2


def test_atomic_load_writes_nothing_when_one_line_is_bad(store: GlobalStore) -> None:
    store.set("ZZA", ("9",), "before")
    lines = [*GOOD, '^ZZA(3)="unterminated', '^ZZB(1)="after"']
    with pytest.raises(ParseError) as info:
        load_zwr(store, lines, source="bad.zwr")
    assert (info.value.source, info.value.line) == ("bad.zwr", 5)
    assert store.read_subtree("ZZA") == [(("9",), "before")]
    assert store.data("ZZB") == 0


def test_lenient_load_keeps_good_lines_and_reports_each_bad_one(store: GlobalStore) -> None:
    lines = [*GOOD, '^ZZA(3)="unterminated', "^ZZA(4)", '^ZZA("")=1', '^ZZB(1)="after"']
    report = load_zwr(store, lines, lenient=True, source="mixed.zwr")
    assert report.loaded == 3
    assert [(e.line, e.source) for e in report.skipped] == [
        (5, "mixed.zwr"),
        (6, "mixed.zwr"),
        (7, "mixed.zwr"),
    ]
    assert not report.ok
    assert store.get("ZZB", ("1",)) == "after"
    assert store.data("ZZA", ("3",)) == 0


def test_missing_header_is_refused_even_when_lenient(store: GlobalStore) -> None:
    with pytest.raises(ParseError, match="no ZWR header"):
        load_zwr(store, GOOD[2:], lenient=True)
    assert store.global_names() == []


def test_export_header_is_gtm_style(store: GlobalStore, tmp_path: Path) -> None:
    load_zwr(store, GOOD)
    path = tmp_path / "out.zwr"
    count = export_zwr(store, path, title="My export")
    lines = path.read_text().split("\n")
    assert count == 2
    assert lines[0] == "My export"
    assert re.fullmatch(r"\d\d-[A-Z]{3}-\d{4}  \d\d:\d\d:\d\d ZWR", lines[1])
    assert lines[2:] == [*GOOD[2:], ""]


def test_header_date_matches_mupip_format() -> None:
    assert zwr_header_date(datetime(2026, 11, 7, 1, 2, 3)) == "07-NOV-2026  01:02:03 ZWR"


def test_export_of_chosen_globals_in_m_order(store: GlobalStore) -> None:
    store.set("ZZB", (), "b")
    store.set("ZZA", (10,), "ten")
    store.set("ZZA", (9,), "nine")
    store.set("ZZA", ("9",), "nine again")
    store.set("ZZA", (), "root")
    lines = list(iter_zwr_lines(store, ["^ZZA"], title="t"))[2:]
    assert lines == ['^ZZA="root"', '^ZZA(9)="nine again"', '^ZZA(10)="ten"']


def test_export_then_reload_round_trips_control_chars_and_bytes(
    store: GlobalStore, tmp_path: Path
) -> None:
    raw = b"\xe9\xff".decode("utf-8", "surrogateescape")
    store.set("ZZC", ("a\x00b", 1), 'q"\t' + raw + "é")
    store.set("ZZC", ("\x01",), "\x01\x02")
    path = tmp_path / "c.zwr"
    export_zwr(store, path)
    store.kill("ZZC")
    load_zwr(store, path)
    assert store.read_subtree("ZZC") == [
        (("\x01",), "\x01\x02"),
        (("a\x00b", "1"), 'q"\t' + raw + "é"),
    ]


def test_export_in_chunks_keeps_every_node(
    store: GlobalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import globals_map.zwr_io as zwr_io

    monkeypatch.setattr(zwr_io, "EXPORT_CHUNK", 3)
    store.set("ZZD", (), "root")
    store.set_many([("ZZD", (i,), str(i)) for i in range(10)])
    lines = list(iter_zwr_lines(store, title="t"))[2:]
    assert lines == ['^ZZD="root"', *(f'^ZZD({i})="{i}"' for i in range(10))]


def test_export_is_what_mupip_extract_writes_after_mupip_load(tmp_path: Path) -> None:
    """Our export of real data, loaded by GT.M's ``mupip load`` and extracted again by
    ``mupip extract``, comes back byte for byte (GT.M itself is the judge of the format)."""
    from tests.conftest import require_engine, shared_path
    from tests.globals_map.engines import gtm_available

    ok, reason = gtm_available()
    require_engine(ok, reason)
    from globals_map import MemoryStore
    from globals_map.engine_db import create_database

    store = MemoryStore()
    load_zwr(store, shared_path("fixtures", "engine", "gtm-mupip-extract.zwr"))
    load_zwr(store, shared_path("vista-lab", "globals", "vehu-subset.zwr"))
    ours, back = tmp_path / "ours.zwr", tmp_path / "back.zwr"
    export_zwr(store, ours)
    db = create_database(tmp_path / "db")
    try:
        db.mupip_load(ours)
        db.mupip_extract(back)
    finally:
        db.rundown()
    body = ours.read_bytes().split(b"\n")[2:]
    assert back.read_bytes().split(b"\n")[2:] == body
    assert len(body) - 1 == store.node_count()


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x24F),
        st.sampled_from(['"', "\x00", "\n", "\x7f", b"\xff".decode("utf-8", "surrogateescape")]),
    ),
    max_size=8,
)
_SUB = st.one_of(_TEXT.filter(bool), st.integers(-1000, 10**6).map(str), st.just("1.0"))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nodes=st.dictionaries(st.lists(_SUB, max_size=3).map(tuple), _TEXT, max_size=15))
def test_any_nodes_survive_export_and_reload(
    store: GlobalStore, tmp_path_factory: pytest.TempPathFactory, nodes: dict[tuple[str, ...], str]
) -> None:
    store.kill("ZZP")
    store.set_many([("ZZP", subs, value) for subs, value in nodes.items()])
    before = store.read_subtree("ZZP")
    path = tmp_path_factory.mktemp("rt") / "p.zwr"
    assert export_zwr(store, path, names=["ZZP"]) == len(nodes)
    store.kill("ZZP")
    assert load_zwr(store, path).loaded == len(nodes)
    assert store.read_subtree("ZZP") == before


def test_progress_callbacks_report_lines_read_and_nodes_written(
    store: GlobalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import globals_map.zwr_io as zwr_io

    monkeypatch.setattr(zwr_io, "PROGRESS_EVERY", 4)
    lines = ["t", "ZWR", *(f'^ZZG({i})="{i}"' for i in range(10))]
    seen: list[int] = []
    assert load_zwr(store, lines, progress=seen.append).loaded == 10
    assert seen == [4, 8, 12]
    written: list[int] = []
    assert export_zwr(store, tmp_path / "g.zwr", progress=written.append) == 10
    assert written == [4, 8, 10]
