"""Real data decodes: every entry of the shared fixtures and of the vista-lab globals, under the
dictionaries we have for them, with spot checks of real values.

Dictionaries: the real ``^DD`` exports where shared/ has them (120.51 here, and every file of
the vista-lab); for the fixture files without one (5, 10, 11, 13, 120.8) the demo
dictionaries of ``bridge.demo`` (written to sit at the real node;piece with the real types).
Pointers into files whose data is not part of a fixture stay unresolved (``exact`` False), not
errors; a pointer into a file that does hold entries, but not the one pointed to, is an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from globals_map import MemoryStore
from globals_map.fileman import Decoder, FieldType, FileManError, Finder, Record, Schema
from parsers.zwr import parse_zwr_file
from tests.conftest import shared_path
from tests.globals_map.fileman_lab import lab_store, load_files

pytestmark = pytest.mark.shared


def _decode_all(schema: Schema, file: str) -> tuple[list[Record], list[FileManError]]:
    decoder = Decoder(schema)
    finder = Finder(schema, decoder)
    records = [decoder.decode(file, e.ien) for e in finder.list_entries(file, index="#").entries]
    walked = list(decoder.iter_file(file, chunk=997))  # the bulk walk sees the same entries
    assert [r.ien for r in walked] == [r.ien for r in records]
    assert [len(r.errors) for r in walked] == [len(r.errors) for r in records]
    return records, [err for rec in records for err in rec.errors]


def _fixture_store(data_file: Path) -> MemoryStore:
    number = data_file.name.split("-")[0]
    real_dd = sorted(shared_path("fixtures", "vista", "dd").glob(f"dd-{number}-*.zwr"))
    store = load_files([data_file])
    if number == "120.8":  # the allergens the variable pointers name (VEHU's ^GMRD(120.82))
        vehu = shared_path("vista-lab", "globals", "vehu-subset.zwr")
        store.set_many(
            (n.name, n.subscripts, n.value)
            for n in parse_zwr_file(vehu)
            if n.name == "GMRD" and n.subscripts[0] == "120.82"
        )
    if real_dd:
        for path in real_dd:
            store.set_many((n.name, n.subscripts, n.value) for n in parse_zwr_file(path))
    else:
        demo = pytest.importorskip("bridge.demo.dictionary", reason="demo dictionaries absent")
        demo.write_dictionaries(store)
    return store


def _fixture_files() -> list[Path]:
    return sorted(shared_path("fixtures", "vista", "data").glob("*.zwr"))


@pytest.mark.parametrize("data_file", _fixture_files(), ids=lambda p: p.name)
def test_every_fixture_entry_decodes_without_error(data_file: Path) -> None:
    number = data_file.name.split("-")[0]
    schema = Schema(_fixture_store(data_file))
    records, errors = _decode_all(schema, number)
    header = next(iter(parse_zwr_file(data_file)))
    assert records, f"no entries listed for {number} ({header})"
    assert errors == []


def test_alabama_abbreviation_under_the_demo_dictionary() -> None:
    data = shared_path("fixtures", "vista", "data", "5-STATE.zwr")
    rec = Decoder(Schema(_fixture_store(data))).decode(5, 1)
    assert rec[".01"].external == "ALABAMA"
    assert rec["1"].external == "AL"


# A minimal STATE dictionary of our own with the COUNTY multiple, each field at the node;piece
# the real FOIA schema gives (checked against schema/5.json below).
_STATE_DD = {
    ("5", ".01"): "NAME^RF^^0;1^Q",
    ("5", "1"): "ABBREVIATION^RF^^0;2^Q",
    ("5", "3"): "COUNTY^5.01I^^1;0",
    ("5.01", ".01"): "COUNTY^MF^^0;1^Q",
    ("5.01", "1"): "ABBREVIATION^F^^0;2^Q",
    ("5.01", "2"): "VA COUNTY CODE^F^^0;3^Q",
}


def test_our_county_dictionary_matches_the_real_schema() -> None:
    import json

    real = json.loads(shared_path("fixtures", "vista", "schema", "5.json").read_text())
    locations = {("5", f["number"]): f["location"] for f in real["file"]["fields"]}
    for sub in real["subfiles"]:
        locations |= {(sub["number"], f["number"]): f["location"] for f in sub["fields"]}
    for key, zero in _STATE_DD.items():
        assert zero.split("^")[3] == locations[key], key


def test_alabama_county_multiple_decodes_as_nested_records() -> None:
    store = load_files([shared_path("fixtures", "vista", "data", "5-STATE.zwr")])
    store.set("DIC", ("5", "0", "GL"), "^DIC(5,")
    store.set("DD", ("5.01", "0", "UP"), "5")
    for (file, field), zero in _STATE_DD.items():
        store.set("DD", (file, field, "0"), zero)
    schema = Schema(store)
    assert schema.issues() == []
    rec = Decoder(schema).decode(5, 1)
    assert rec["1"].external == "AL"
    counties = rec["3"].records
    assert counties is not None and len(counties) == 70
    assert counties[0].iens == "1,1," and counties[0][".01"].external == "MOBILE"
    assert counties[0]["2"].internal == "097"
    assert rec.errors == []


def test_allergy_variable_pointer_and_origination_date() -> None:
    data = shared_path("fixtures", "vista", "data", "120.8-PATIENT_ALLERGIES.zwr")
    schema = Schema(_fixture_store(data))
    rec = Decoder(schema).decode("120.8", 1)
    allergen = rec["1"]
    assert allergen.type is FieldType.VARIABLE_POINTER
    assert allergen.internal == "1;GMRD(120.82,"
    assert (allergen.target_file, allergen.target_ien) == ("120.82", "1")
    assert allergen.external == "OTHER ALLERGY/ADVERSE REACTION"
    assert rec["4"].internal == "2920630" and rec["4"].value == "1992-06-30"
    assert rec["4"].external == "JUN 30,1992"
    # DUZ .5 (POSTMASTER) is a valid pointer value
    assert Decoder(schema).decode("120.8", 514)["5"].internal == ".5"


def test_every_lab_entry_decodes_and_the_only_errors_are_bad_lab_pointers() -> None:
    schema = Schema(lab_store())
    decoded = 0
    errors: list[FileManError] = []
    for number in schema.top_files():
        if schema.file(number).global_root is None:
            continue
        records, errs = _decode_all(schema, number)
        decoded += len(records)
        errors += errs
    assert decoded > 800
    # lab-option.zwr (invented for the lab) keeps the package NAME in OPTION's PACKAGE
    # pointer (field 12, P9.4); FileMan's GETS would print it empty, we report it.
    assert {(e.file, e.field) for e in errors} == {("19", "12")}
    assert all("not an entry number" in str(e) for e in errors)


def test_vital_type_entries_decode_under_the_real_dictionary() -> None:
    schema = Schema(lab_store())
    records, errors = _decode_all(schema, "120.51")
    assert errors == [] and len(records) >= 10
    names = {r[".01"].external for r in records}
    assert {"BLOOD PRESSURE", "TEMPERATURE", "PULSE"} <= names
