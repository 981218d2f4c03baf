"""The FileMan filer: validation per field type, node;piece placement, cross-references, IENs
and header counts, on the demo dictionaries (on every store backend)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bridge.demo import write_dictionaries
from globals_map.errors import FileManError
from globals_map.fileman.filer import Filer, parse_root, to_fm_date
from globals_map.store import GlobalStore


@pytest.fixture
def filer(store: GlobalStore) -> Filer:
    write_dictionaries(store)
    return Filer(store, today=date(2026, 1, 1))


def _state(filer: Filer, name: str = "ZZSTATE", abbr: str = "ZZ") -> str:
    return filer.add("5", {".01": name, "1": abbr, "2.1": "0"})


def _person(filer: Filer, name: str = "ZZTEST,PERSON") -> str:
    return filer.add("200", {".01": name})


def _patient(filer: Filer, **extra: str) -> str:
    status = filer.add("11", {".01": "MARRIED", "1": "M", "2": "M"})
    values = {".01": "ZZTEST,PATIENT", ".02": "F", ".03": "2850115", ".05": status,
              ".09": "000001234", ".301": "N"}  # fmt: skip
    values.update(extra)
    return filer.add("2", values)


def test_parse_root_and_fm_dates() -> None:
    assert parse_root("^GMR(120.5,") == ("GMR", ("120.5",))
    assert parse_root("^DPT(") == ("DPT", ())
    assert parse_root('PS(55,"X",') == ("PS", ("55", "X"))
    assert to_fm_date(date(2023, 4, 15)) == "3230415"
    assert to_fm_date(datetime(2023, 4, 15, 10, 30)) == "3230415.103"
    assert to_fm_date(datetime(2023, 4, 15)) == "3230415"


def test_add_places_pieces_sets_b_index_and_counts(filer: Filer, store: GlobalStore) -> None:
    first = _state(filer, "ZZALPHA", "ZA")
    second = _state(filer, "ZZBETA", "ZB")
    assert (first, second) == ("1", "2")
    assert store.get("DIC", ("5", "2", "0")) == "ZZBETA^ZB^^^0"
    assert store.data("DIC", ("5", "B", "ZZBETA", "2")) == 1
    assert store.data("DIC", ("5", "C", "ZB", "2")) == 1
    assert store.get("DIC", ("5", "0")) == "STATE^5I^2^2"


def test_next_ien_follows_header_piece_3_and_skips_taken(filer: Filer, store: GlobalStore) -> None:
    store.set("DIC", ("5", "0"), "STATE^5I^7^1")
    store.set("DIC", ("5", "8", "0"), "ZZTAKEN^ZT")
    assert _state(filer) == "9"
    assert store.get("DIC", ("5", "0")) == "STATE^5I^9^2"


def test_dinum_ien_and_duplicate_refused(filer: Filer) -> None:
    dfn = _patient(filer)
    assert filer.add("9000001", {".01": dfn}, ien=dfn) == dfn
    with pytest.raises(FileManError, match="already exists"):
        filer.add("9000001", {".01": dfn}, ien=dfn)


def test_pointer_must_exist(filer: Filer) -> None:
    with pytest.raises(FileManError, match="dangling pointer") as info:
        _patient(filer, **{".06": "42"})
    assert info.value.field == ".06"
    assert info.value.file == "2"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (".02", "X", "one of the codes"),
        (".03", "3231345", "FileMan date"),
        (".03", "2850230", "FileMan date"),
        (".01", "AB", "3-30 characters"),
        (".01", "A" * 31, "3-30 characters"),
        (".01", "ZZ^TEST", "without '\\^'"),
        (".302", "101", "from 0 to 100"),
        (".302", "12.5", "decimal digits"),
        (".302", "abc", "a number"),
        (".09", "12\x07345678", "control characters"),
    ],
)
def test_bad_values_are_refused_naming_the_field_not_the_value(
    filer: Filer, field: str, value: str, expected: str
) -> None:
    with pytest.raises(FileManError, match=expected) as info:
        _patient(filer, **{field: value})
    assert info.value.field == field
    assert value not in str(info.value)


def test_required_unknown_and_computed_fields(filer: Filer) -> None:
    with pytest.raises(FileManError, match="required field has no value") as info:
        filer.add("5", {".01": "ZZSTATE"})
    assert info.value.field == "1"
    with pytest.raises(FileManError, match="no such field"):
        filer.add("5", {".01": "ZZSTATE", "1": "ZZ", "2.1": "0", "77": "x"})
    with pytest.raises(FileManError, match="subfile"):
        filer.add("120.81", {".01": "1"})


def test_numbers_are_stored_canonical(filer: Filer, store: GlobalStore) -> None:
    dfn = _patient(filer, **{".302": "050"})
    assert store.get("DPT", (dfn, ".3")) == "N^50"


def test_dates_accept_python_values_and_imprecise_fileman_dates(
    filer: Filer, store: GlobalStore
) -> None:
    dfn = _patient(filer, **{".03": "2850000", ".351": "3230415.1030"})
    assert (store.get("DPT", (dfn, "0")) or "").split("^")[2] == "2850000"
    assert store.get("DPT", (dfn, ".35")) == "3230415.103"
    other = filer.add(
        "2", {".01": "ZZTEST,OTHER", ".02": "M", ".03": date(1950, 2, 1), ".05": "1",
              ".09": "000001235", ".301": "N"},
    )  # fmt: skip
    assert (store.get("DPT", (other, "0")) or "").split("^")[2] == "2500201"


def test_multiple_with_subfile_index_and_header(filer: Filer, store: GlobalStore) -> None:
    dfn = _patient(filer)
    person = _person(filer)
    allergen = filer.add("120.82", {".01": "ZZPEANUTS", "1": "F"})
    hives = filer.add("120.83", {".01": "ZZHIVES"})
    rash = filer.add("120.83", {".01": "ZZRASH"})
    ien = filer.add(
        "120.8",
        {".01": dfn, ".02": "ZZPEANUTS", "1": f"{allergen};GMRD(120.82,", "3.1": "F",
         "4": "3230415.1", "5": person, "6": "o",
         "10": [{".01": hives, "2": person}, {".01": rash}]},
    )  # fmt: skip
    assert store.get("GMR", ("120.8", ien, "10", "0")) == "^120.81PA^2^2"
    assert store.get("GMR", ("120.8", ien, "10", "1", "0")) == f"{hives}^^{person}"
    assert store.data("GMR", ("120.8", ien, "10", "B", rash, "2")) == 1
    assert store.data("GMR", ("120.8", "B", dfn, ien)) == 1
    assert store.data("GMR", ("120.8", "AODT", "3230415.1", ien)) == 1
    assert (store.get("GMR", ("120.8", ien, "0")) or "").split("^")[2] == f"{allergen};GMRD(120.82,"


def test_variable_pointer_must_name_a_target_file_and_exist(filer: Filer) -> None:
    dfn = _patient(filer)
    person = _person(filer)
    base = {".01": dfn, ".02": "ZZX", "3.1": "D", "4": "3230415", "5": person, "6": "h"}
    with pytest.raises(FileManError, match="variable pointer"):
        filer.add("120.8", {**base, "1": "1;DPT("})
    with pytest.raises(FileManError, match="dangling"):
        filer.add("120.8", {**base, "1": "99;GMRD(120.82,"})


def test_update_moves_cross_references(filer: Filer, store: GlobalStore) -> None:
    ien = _state(filer, "ZZOLD", "ZO")
    filer.update("5", ien, {".01": "ZZNEW", "5": "ZZCAPITAL"})
    assert store.data("DIC", ("5", "B", "ZZOLD")) == 0
    assert store.data("DIC", ("5", "B", "ZZNEW", ien)) == 1
    assert store.get("DIC", ("5", ien, "0")) == "ZZNEW^ZO^^ZZCAPITAL^0"
    with pytest.raises(FileManError, match="required"):
        filer.update("5", ien, {".01": ""})
    with pytest.raises(FileManError, match="does not exist"):
        filer.update("5", "999", {"5": "X"})


def test_batch_buffers_until_the_block_ends(filer: Filer, store: GlobalStore) -> None:
    with filer.batch():
        ien = _state(filer)
        assert store.get("DIC", ("5", ien, "0")) is None
        # pointers to entries filed in the same batch are accepted
        filer.add("2", {".01": "ZZTEST,BATCH", ".02": "M", ".03": "2500101", ".05":
                        filer.add("11", {".01": "SINGLE", "1": "S"}), ".09": "000009999",
                        ".301": "N", ".115": ien})  # fmt: skip
    assert store.get("DIC", ("5", ien, "0")) is not None
    assert store.get("DPT", ("0",)) == "PATIENT^2I^1^1"


def test_word_processing_lines(store: GlobalStore) -> None:
    # A minimal dictionary with a WP field, FileMan-shaped.
    store.set("DIC", ("9999901", "0"), "ZZWP^9999901")
    store.set("DIC", ("9999901", "0", "GL"), "^ZZWP(")
    store.set("DD", ("9999901", "0"), "FIELD^^1^2")
    store.set("DD", ("9999901", ".01", "0"), "NAME^RF^^0;1^K:$L(X)>30!($L(X)<1) X")
    store.set("DD", ("9999901", "1", "0"), "TEXT^9999901.01^^1;0")
    store.set("DD", ("9999901.01", "0"), "TEXT SUB-FIELD^^.01^1")
    store.set("DD", ("9999901.01", "0", "UP"), "9999901")
    store.set("DD", ("9999901.01", ".01", "0"), "TEXT^W^^0;1")
    filer = Filer(store, today=date(2026, 1, 1))
    ien = filer.add("9999901", {".01": "ONE", "1": ["first line", "second ^ line"]})
    assert store.get("ZZWP", (ien, "1", "0")) == "^^2^2^3260101^"
    assert store.get("ZZWP", (ien, "1", "2", "0")) == "second ^ line"


def test_new_ien_never_reuses_one_below_a_fractional_top(filer: Filer, store: GlobalStore) -> None:
    store.set("DIC", ("5", "0"), "STATE^5I^^")
    store.set("DIC", ("5", "1", "0"), "ZZONE^Z1")
    store.set("DIC", ("5", "1.5", "0"), "ZZHALF^ZH")
    assert _state(filer) == "2"
