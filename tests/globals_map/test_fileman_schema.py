"""The Schema read from ^DD/^DIC: real dictionaries with zero issues, pinned real values, and
malformed dictionaries reported field by field (or raised in strict mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from globals_map import MemoryStore
from globals_map.fileman import (
    DictionaryError,
    FieldType,
    NoSuchFieldError,
    NoSuchFileError,
    Schema,
)
from tests.conftest import shared_path
from tests.globals_map.fileman_lab import lab_store, load_files

pytestmark = pytest.mark.shared


def _real_dd_files() -> list[Path]:
    return sorted(shared_path("fixtures", "vista", "dd").glob("dd-*.zwr")) + sorted(
        shared_path("vista-lab", "globals").glob("dd-*.zwr")
    )


@pytest.mark.parametrize("path", _real_dd_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_dictionary_builds_a_schema_with_zero_issues(path: Path) -> None:
    schema = Schema(load_files([path]))
    numbers = schema.file_numbers()
    assert numbers
    assert schema.issues() == []
    for number in numbers:
        fdef = schema.file(number)
        assert fdef.fields, number
        for fld in fdef.fields.values():
            assert fld.spec.unknown == ()
            if fld.type is FieldType.POINTER:
                assert fld.pointer_file and fld.pointer_root is not None
            if fld.type is FieldType.SET:
                assert fld.codes
            if fld.type in (FieldType.MULTIPLE, FieldType.WORD_PROCESSING) and fld.subfile:
                assert schema.file(fld.subfile).parent == number


def test_the_whole_lab_schema_has_zero_issues() -> None:
    schema = Schema(lab_store())
    assert set(schema.top_files()) >= {"19", "120.5", "120.51", "120.82", "200", "8994", "3.081"}
    assert schema.issues() == []


@pytest.fixture(scope="module")
def new_person() -> Schema:
    return Schema(load_files([shared_path("fixtures", "vista", "dd", "dd-200-NEW_PERSON.zwr")]))


def test_new_person_has_29_subfiles_and_287_fields(new_person: Schema) -> None:
    numbers = new_person.file_numbers()
    assert len([n for n in numbers if n != "200"]) == 29
    assert sum(len(new_person.file(n).fields) for n in numbers) == 287
    assert new_person.top_files() == ["200"]
    assert new_person.file(200).name == "NEW PERSON"
    assert str(new_person.file(200).global_root) == "^VA(200,"


@pytest.mark.parametrize(
    ("field", "spec", "ftype", "storage"),
    [
        (".01", "RFX", FieldType.FREE_TEXT, "0;1"),
        ("1", "F", FieldType.FREE_TEXT, "0;2"),
        ("4", "Sa", FieldType.SET, "1;2"),
        ("5", "Da", FieldType.DATE, "1;3"),
        ("8", "P3.1", FieldType.POINTER, "0;9"),
        ("29", "RP49'", FieldType.POINTER, "5;1"),
        ("201", "*P19'Xa", FieldType.POINTER, "201;1"),
        ("51", "200.051PA", FieldType.MULTIPLE, "51;0"),
        ("11", "FXOa", FieldType.FREE_TEXT, ".1;2"),
    ],
)
def test_new_person_field_specifiers(
    new_person: Schema, field: str, spec: str, ftype: FieldType, storage: str
) -> None:
    fld = new_person.field(200, field)
    assert fld.spec.text == spec
    assert fld.type is ftype
    assert str(fld.storage) == storage


def test_new_person_pins_codes_pointers_and_subfile_parents(new_person: Schema) -> None:
    assert new_person.field(200, 4).codes == (("M", "MALE"), ("F", "FEMALE"))
    fld = new_person.field(200, 201)
    assert fld.pointer_file == "19" and str(fld.pointer_root) == "^DIC(19,"
    assert not fld.spec.laygo_allowed and fld.spec.audited
    assert fld.input_transform.startswith("S DIC(")  # M code kept as data
    keys = new_person.file("200.051")
    assert (keys.parent, keys.parent_field, keys.name) == ("200", "51", "KEYS")
    phrase = new_person.file("200.00898331")
    assert phrase.parent == "200.0089833" and phrase.parent_field == "1"
    assert new_person.top_file("200.00898331") == "200"
    assert new_person.field("200.051", ".01").spec.text.startswith("MP19.1") or (
        new_person.field("200.051", ".01").pointer_file == "19.1"
    )


def test_new_person_identifiers_xrefs_and_indexes(new_person: Schema) -> None:
    fdef = new_person.file(200)
    assert set(fdef.identifiers) == {"1", "28", "W8"}
    assert "B" in fdef.indexes and fdef.indexes["B"].fields == (".01",)
    b = [x for x in fdef.field(".01").xrefs if x.name == "B"]
    assert b and b[0].file == "200" and '^VA(200,"B"' in b[0].set_logic


def test_word_processing_field_is_a_subfile_whose_01_is_w() -> None:
    schema = Schema(
        load_files([shared_path("fixtures", "vista", "dd", "dd-8994-REMOTE_PROCEDURE.zwr")])
    )
    desc = schema.field(8994, 1)
    assert desc.type is FieldType.WORD_PROCESSING and desc.subfile == "8994.01"
    assert schema.field("8994.01", ".01").type is FieldType.WORD_PROCESSING
    assert schema.field(8994, 2).type is FieldType.MULTIPLE
    assert schema.field(8994, ".04").code_map["4"] == "GLOBAL ARRAY"


def test_new_style_indexes_are_read_from_dd_ix() -> None:
    schema = Schema(lab_store())
    idx = [i for i in schema.file(200).indexes.values() if i.number is not None]
    assert idx and all(i.file == "200" for i in idx)
    axuhui = schema.file(200).indexes["AXUHUI"]
    assert axuhui.kind == "MU" and axuhui.fields[:2] == (".01", "9.2")


def test_date_format_comes_from_dd_dd() -> None:
    assert Schema(lab_store()).date_format == "5U"
    store = MemoryStore()
    store.set("DD", ("DD",), 'S Y=$$FMTE^DILIBF(Y,"1U")')
    assert Schema(store).date_format == "1U"
    assert Schema(MemoryStore()).date_format == "5U"


def test_missing_file_and_field_are_typed_errors(new_person: Schema) -> None:
    with pytest.raises(NoSuchFileError) as info:
        new_person.file(999)
    assert info.value.code == 401 and info.value.file == "999"
    with pytest.raises(NoSuchFieldError):
        new_person.field(200, 12345)


# ---- malformed dictionaries ----------------------------------------------------------------


def _bad_store() -> MemoryStore:
    s = MemoryStore()
    s.set("DIC", ("900", "0"), "BAD FILE^900")
    s.set("DIC", ("900", "0", "GL"), "^ZZBAD(")
    s.set("DD", ("900", "0"), "FIELD^^9^9")
    s.set("DD", ("900", ".01", "0"), "NAME^RF^^0;1^Q")
    s.set("DD", ("900", "1", "0"), "SHORT^F")  # missing pieces
    s.set("DD", ("900", "2", "0"), "ODD^FZ^^0;3^Q")  # unknown modifier
    s.set("DD", ("900", "3", "0"), "SELF^900^^3;0")  # a multiple pointing at itself
    s.set("DD", ("900", "4", "0"), "CODES^S^YES;^0;4^Q")  # set string without code:label
    s.set("DD", ("900", "5", "0"), "PTR^P^^0;5^Q")  # pointer without a file
    s.set("DD", ("900", "6", "0"), "BADTYPE^F9^^0;6^Q")  # not a specifier
    s.set("DD", ("900", "7", "0"), "NOSUB^900.07^^7;0")  # subfile with no ^DD
    s.set("DD", ("900", "8", "0"), "WHERE^F^^0^Q")  # storage without a piece
    s.set("DD", ("900", "9", "0"), "GOOD^NJ3,0^^0;9^Q")
    return s


def test_malformed_dictionary_reports_each_field_and_keeps_the_rest() -> None:
    schema = Schema(_bad_store())
    fdef = schema.file(900)
    bad = {i.field for i in fdef.issues}
    assert bad == {"1", "2", "3", "4", "5", "6", "7", "8"}
    assert all(i.file == "900" for i in fdef.issues)
    assert fdef.field(9).spec.width == 3  # the good field is intact
    assert fdef.field(2).spec.unknown == ("Z",)  # kept, not dropped
    assert any("own file" in i.message for i in fdef.issues if i.field == "3")


def test_strict_schema_raises_dictionary_error_naming_file_and_field() -> None:
    with pytest.raises(DictionaryError) as info:
        Schema(_bad_store(), strict=True).file(900)
    assert info.value.file == "900" and info.value.field == "1"


def test_subfile_whose_up_node_is_wrong_is_reported() -> None:
    s = MemoryStore()
    s.set("DD", ("901", ".01", "0"), "NAME^F^^0;1^Q")
    s.set("DD", ("901", "1", "0"), "SUB^901.01^^1;0")
    s.set("DD", ("901.01", "0", "UP"), "555")
    s.set("DD", ("901.01", ".01", "0"), "ITEM^F^^0;1^Q")
    schema = Schema(s)
    assert any("UP" in i.message for i in schema.file(901).issues)
    assert any("parent" in i.message for i in schema.file("901.01").issues)


def test_keys_are_read_from_dd_key() -> None:
    s = MemoryStore()
    s.set("DD", ("902", ".01", "0"), "NAME^F^^0;1^Q")
    s.set("DD", ("902", "1", "0"), "CODE^F^^0;2^Q")
    s.set("DD", ("KEY", "7", "0"), "902^A^P^12")
    s.set("DD", ("KEY", "7", "2", "0"), "^.312IA^2^2")
    s.set("DD", ("KEY", "7", "2", "1", "0"), "1^902^2")
    s.set("DD", ("KEY", "7", "2", "2", "0"), ".01^902^1")
    s.set("DD", ("KEY", "B", "902", "7"), "")
    key = Schema(s).file(902).keys["A"]
    assert (key.priority, key.fields, key.uniqueness_index) == ("P", (".01", "1"), "12")


def test_file_by_name() -> None:
    schema = Schema(lab_store())
    assert schema.file_by_name("NEW PERSON").number == "200"
    assert schema.file_by_name("gmr allergies").number == "120.82"
    with pytest.raises(NoSuchFileError):
        schema.file_by_name("NO SUCH FILE")


def test_regular_xref_without_ix_node_is_an_index() -> None:
    s = MemoryStore()
    s.set("DD", ("903", ".01", "0"), "NAME^F^^0;1^Q")
    s.set("DD", ("903", ".01", "1", "1", "0"), "903^B")
    s.set("DD", ("903", ".01", "1", "1", "1"), 'S ^ZZX("B",$E(X,1,30),DA)=""')
    s.set("DD", ("903", ".01", "1", "2", "0"), "903^AZ^MUMPS")
    fdef = Schema(s).file(903)
    assert fdef.indexes["B"].fields == (".01",)
    assert "AZ" not in fdef.indexes  # a MUMPS cross-reference is not a lookup index


_JSON_TYPES = {
    "FREE TEXT": {FieldType.FREE_TEXT, FieldType.MUMPS},
    "NUMERIC": {FieldType.NUMERIC},
    "DATE-TIME": {FieldType.DATE},
    "SET OF CODES": {FieldType.SET},
    "BOOLEAN": {FieldType.SET},  # the browser shows a 2-code set as BOOLEAN
    "POINTER": {FieldType.POINTER},
    "VARIABLE-POINTER": {FieldType.VARIABLE_POINTER},
    "WORD-PROCESSING": {FieldType.WORD_PROCESSING},
    "COMPUTED": {FieldType.COMPUTED},
    "MULTIPLE": {FieldType.MULTIPLE},
}


@pytest.mark.parametrize(
    ("number", "dd_file"),
    [
        ("200", "dd-200-NEW_PERSON.zwr"),
        ("120.82", "dd-120.82-GMR_ALLERGIES.zwr"),
        ("120.5", "dd-120.5-GMRV_VITAL_MEASUREMENT.zwr"),
        ("120.51", "dd-120.51-GMRV_VITAL_TYPE.zwr"),
    ],
)
def test_schema_from_real_dd_agrees_with_the_published_schema(number: str, dd_file: str) -> None:
    """The FOIA schema JSON (an oracle from another export) and our reading of the real ^DD
    agree on every field they share: storage node;piece and type."""
    import json

    schema = Schema(load_files([shared_path("fixtures", "vista", "dd", dd_file)]))
    real = json.loads(shared_path("fixtures", "vista", "schema", f"{number}.json").read_text())
    files = [(real["file"]["number"], real["file"]["fields"])]
    files += [(sub["number"], sub["fields"]) for sub in real["subfiles"]]
    compared = 0
    for fnum, fields in files:
        fdef = schema.file(fnum)
        for f in fields:
            ours = fdef.field(f["number"])
            where = str(ours.storage) if ours.storage else None
            assert (f["location"] or None) == where, (fnum, f["number"])
            if f["type"] in _JSON_TYPES:  # the export writes "11" for some .001 fields
                assert ours.type in _JSON_TYPES[f["type"]], (fnum, f["number"], f["type"])
            compared += 1
    assert compared >= 10
