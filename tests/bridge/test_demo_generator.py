"""The demo generator: deterministic, visibly synthetic, believable, consistent FileMan data."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bridge.demo import SYNTHETIC_TITLE, DemoError, export_demo_zwr, generate_demo
from bridge.demo.generator import ordinal_name
from globals_map.fileman import Decoder, Schema
from globals_map.memory import MemoryStore
from globals_map.store import GlobalStore
from globals_map.zwr_io import load_zwr


def _dump(store: GlobalStore) -> list[tuple[str, tuple[str, ...], str]]:
    return [(g, s, v) for g in store.global_names() for s, v in store.read_subtree(g)]


@pytest.fixture(scope="module")
def demo() -> MemoryStore:
    store = MemoryStore()
    generate_demo(store, patients=30, seed=7)
    return store


def test_same_seed_same_vista_and_other_seed_differs() -> None:
    a, b, c = MemoryStore(), MemoryStore(), MemoryStore()
    generate_demo(a, patients=8, seed=1)
    generate_demo(b, patients=8, seed=1)
    generate_demo(c, patients=8, seed=2)
    assert _dump(a) == _dump(b)
    assert _dump(a) != _dump(c)


def test_a_small_demo_is_a_prefix_of_a_bigger_one() -> None:
    small, big = MemoryStore(), MemoryStore()
    generate_demo(small, patients=3, seed=5)
    generate_demo(big, patients=6, seed=5)
    for dfn in ("1", "2", "3"):
        assert small.read_subtree("DPT", (dfn,)) == big.read_subtree("DPT", (dfn,))


def test_fifty_patients_generate_well_under_two_seconds() -> None:
    started = time.perf_counter()
    summary = generate_demo(MemoryStore(), patients=50)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert summary.patients == 50
    assert summary.entries["2"] == 50
    assert summary.patients_per_second > 0


def test_headers_count_what_was_filed(demo: MemoryStore) -> None:
    assert demo.get("DPT", ("0",)) == "PATIENT^2I^30^30"
    schema = Schema(demo)
    for number in schema.top_files():
        root = schema.file(number).global_root
        assert root is not None
        header = (demo.get(root.name, (*root.subscripts, "0")) or "").split("^")
        iens = [s for s in _children(demo, root.name, root.subscripts) if s.isdigit() and s != "0"]
        assert header[3] == str(len(iens)), number
        assert header[2] == (max(iens, key=int) if iens else ""), number


def _children(store: GlobalStore, name: str, subs: tuple[str, ...]) -> list[str]:
    out, cur = [], None
    while (cur := store.next_subscript(name, subs, cur)) is not None:
        out.append(cur)
    return out


def test_everything_decodes_without_a_field_error(demo: MemoryStore) -> None:
    schema = Schema(demo)
    decoder = Decoder(schema)
    for number in schema.top_files():
        root = schema.file(number).global_root
        assert root is not None
        for ien in [
            s for s in _children(demo, root.name, root.subscripts) if s.isdigit() and s != "0"
        ][:40]:
            record = decoder.decode(number, ien)
            errors = [str(v.error) for v in record.values.values() if v.error is not None]
            assert errors == [], (number, ien)


def test_people_are_visibly_synthetic(demo: MemoryStore) -> None:
    names = [v.split("^")[0] for s, v in demo.read_subtree("DPT") if len(s) == 2 and s[1] == "0"]
    assert len(names) == 30
    assert all(n.startswith("ZZDEMO,PATIENT ") for n in names)
    ssns = [v.split("^")[8] for s, v in demo.read_subtree("DPT") if len(s) == 2 and s[1] == "0"]
    assert all(re.fullmatch(r"000\d{6}", s) for s in ssns)
    phones = [v for s, v in demo.read_subtree("DPT") if len(s) == 2 and s[1] == ".13"]
    assert all(re.fullmatch(r"555-555-01\d\d\^\^zzdemo\.patient\d+@example\.org\^555-555-01\d\d",
                             p) for p in phones)  # fmt: skip
    providers = [v.split("^")[0] for s, v in demo.read_subtree("VA", ("200",))
                 if len(s) == 3 and s[2] == "0"]  # fmt: skip
    assert providers and all(
        p.startswith(("ZZDEMO,PROVIDER ", "ZZDEMO,BROKER ")) for p in providers
    )
    npis = [v for s, v in demo.read_subtree("VA", ("200",)) if len(s) == 3 and s[2] == "NPI"]
    assert all(n.startswith("0") for n in npis)  # never a valid (1/2-leading) NPI


def test_vitals_are_believable(demo: MemoryStore) -> None:
    types = {s[1]: v.split("^")[1] for s, v in demo.read_subtree("GMRD", ("120.51",))
             if len(s) == 3 and s[2] == "0"}  # fmt: skip
    seen: dict[str, list[str]] = {}
    for s, v in demo.read_subtree("GMR", ("120.5",)):
        if len(s) == 3 and s[2] == "0":
            pieces = v.split("^")
            seen.setdefault(types[pieces[2]], []).append(pieces[7])
    assert set(seen) == {"BP", "T", "P", "R", "HT", "WT", "PN"}
    for bp in seen["BP"]:
        systolic, diastolic = map(int, bp.split("/"))
        assert 90 <= systolic <= 170 and 55 <= diastolic < systolic
    assert all(96.0 <= float(t) <= 100.0 for t in seen["T"])
    assert all(50 <= int(p) <= 110 for p in seen["P"])
    assert all(10 <= int(r) <= 24 for r in seen["R"])
    assert all(60 <= int(h) <= 78 for h in seen["HT"])
    assert all(100 <= int(w) <= 260 for w in seen["WT"])
    assert all(0 <= int(p) <= 10 for p in seen["PN"])


def test_patient_cross_references_find_clinical_records(demo: MemoryStore) -> None:
    assert demo.data("GMR", ("120.5", "C", "1")) == 10
    assert demo.data("AUPNVSIT", ("C", "1")) == 10
    for s, _v in demo.read_subtree("AUPNPROB", ("AC",)):
        assert demo.data("AUPNPROB", (s[-1], "0")) == 1
    rx = [s for s, _v in demo.read_subtree("PS", ("55",)) if len(s) == 5 and s[2] == "P"]
    assert rx, "some patient has prescriptions linked from PHARMACY PATIENT"


def test_refuses_a_store_that_already_has_patients(demo: MemoryStore) -> None:
    with pytest.raises(DemoError, match="empty store"):
        generate_demo(demo, patients=1)
    with pytest.raises(DemoError, match="between 0 and 100000"):
        generate_demo(MemoryStore(), patients=100_001)


def test_progress_is_reported() -> None:
    calls: list[tuple[int, int]] = []
    generate_demo(MemoryStore(), patients=3, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(3, 3)]


def test_zwr_export_says_synthetic_and_reloads_identically(
    demo: MemoryStore, tmp_path: Path
) -> None:
    path = tmp_path / "demo.zwr"
    count = export_demo_zwr(demo, path)
    lines = path.read_text().splitlines()
    assert lines[0] == SYNTHETIC_TITLE
    assert "SYNTHETIC" in lines[0] and "no real patients" in lines[0]
    assert lines[1].endswith("ZWR")
    assert count == len(lines) - 2
    again = MemoryStore()
    load_zwr(again, str(path))
    assert _dump(again) == _dump(demo)


def test_ordinal_names_stay_short() -> None:
    assert ordinal_name(1) == "ONE"
    assert ordinal_name(42) == "FORTY TWO"
    assert ordinal_name(100_000) == "QNBB"
    assert len({ordinal_name(n) for n in range(1, 5000)}) == 4999
    assert len(f"ZZDEMO,PATIENT {ordinal_name(99)}") <= 30


def test_the_cycle_collector_is_restored_after_generation() -> None:
    import gc

    assert gc.isenabled()
    generate_demo(MemoryStore(), patients=1)
    assert gc.isenabled()
    with pytest.raises(DemoError):
        generate_demo(MemoryStore(), patients=-1)
    assert gc.isenabled()
