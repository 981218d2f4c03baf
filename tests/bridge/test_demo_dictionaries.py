"""Our demo dictionaries against the real FOIA schema (../shared/fixtures/vista/schema), field by
field: every field we define sits at the same node;piece with the same type as the real one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.demo import dictionary_nodes, write_dictionaries
from bridge.demo.fields import FieldSpec, FileSpec
from bridge.demo.files import DEMO_FILES
from globals_map.fileman import Schema
from globals_map.fileman.schema import FieldType
from globals_map.memory import MemoryStore
from tests.conftest import shared_path

SCHEMA_FILES = ("2", "5", "10", "11", "13", "44", "120.5", "120.51", "120.8", "120.82", "200",
                "9000010", "9000011")  # fmt: skip

# The schema JSON's type names, as FileMan's specifier letters.
JSON_TYPES = {
    "FREE TEXT": "F",
    "NUMERIC": "N",
    "DATE-TIME": "D",
    "SET OF CODES": "S",
    "BOOLEAN": "S",
    "POINTER": "P",
    "VARIABLE-POINTER": "V",
    "WORD-PROCESSING": "W",
    "MULTIPLE": "M",
}


def _spec_letter(fld: FieldSpec) -> str:
    if fld.subfile is not None:
        return "M"
    spec = fld.specifier.lstrip("MR")
    for letter in "PVSDNFW":
        if spec.startswith(letter) or (letter == "N" and spec.startswith("NJ")):
            return letter
    raise AssertionError(f"unrecognized specifier {fld.specifier}")


def _all_specs() -> dict[str, FileSpec]:
    out: dict[str, FileSpec] = {}
    stack = list(DEMO_FILES)
    while stack:
        spec = stack.pop()
        out[spec.number] = spec
        stack.extend(spec.subfiles)
    return out


def _real_fields(doc: dict[str, object]) -> dict[str, dict[str, dict[str, object]]]:
    """file or subfile number -> field number -> field, from one schema JSON."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    file = doc["file"]
    assert isinstance(file, dict)
    out[str(file["number"])] = {str(f["number"]): f for f in file["fields"]}
    for sub in doc.get("subfiles", []):  # type: ignore[attr-defined]
        out[str(sub["number"])] = {str(f["number"]): f for f in sub["fields"]}
    return out


@pytest.fixture(scope="module")
def real() -> dict[str, dict[str, dict[str, object]]]:
    folder: Path = shared_path("fixtures", "vista", "schema")
    merged: dict[str, dict[str, dict[str, object]]] = {}
    for number in SCHEMA_FILES:
        merged.update(_real_fields(json.loads((folder / f"{number}.json").read_text())))
    return merged


@pytest.mark.shared
@pytest.mark.parametrize("number", SCHEMA_FILES)
def test_every_field_matches_the_real_file_location_and_type(
    number: str, real: dict[str, dict[str, dict[str, object]]]
) -> None:
    specs = _all_specs()
    files = [number] + [s.number for s in specs[number].subfiles]
    checked = 0
    for file in files:
        if file not in real:
            continue  # a subfile the JSON does not list
        for fld in specs[file].fields:
            theirs = real[file].get(fld.number)
            assert theirs is not None, f"{file} field {fld.number} is not in the real file"
            assert fld.label == theirs["name"], f"{file},{fld.number} label"
            assert fld.location == theirs["location"], f"{file},{fld.number} location"
            assert _spec_letter(fld) == JSON_TYPES[str(theirs["type"])], f"{file},{fld.number}"
            if theirs.get("targets") and _spec_letter(fld) == "P":
                assert fld.specifier.lstrip("MR")[1:].rstrip("'") in list(theirs["targets"])  # type: ignore[call-overload]
            if theirs.get("codes") and _spec_letter(fld) == "S":
                ours = dict(c.split(":", 1) for c in fld.third.split(";") if c)
                assert ours == theirs["codes"], f"{file},{fld.number} codes"
            if fld.subfile is not None:
                assert fld.subfile == theirs["subfile"]
            if fld.xrefs:  # an index we declare is the one the real field has
                assert theirs["index"] in fld.xrefs, f"{file},{fld.number} index"
            checked += 1
    assert checked >= 3


def test_schema_reads_every_demo_dictionary_without_an_issue() -> None:
    store = MemoryStore()
    write_dictionaries(store)
    schema = Schema(store)
    assert schema.issues() == []
    assert set(schema.top_files()) == {s.number for s in DEMO_FILES}
    reactions = schema.file("120.81")
    assert reactions.parent == "120.8"
    assert schema.file("120.8").fields["10"].type == FieldType.MULTIPLE
    assert schema.file("120.8").fields["1"].type == FieldType.VARIABLE_POINTER
    assert schema.file("2").fields[".09"].storage is not None


def test_zero_nodes_are_fileman_shaped() -> None:
    nodes = {(n, s): v for n, s, v in dictionary_nodes()}
    assert nodes[("DD", ("2", ".01", "0"))] == "NAME^RF^^0;1^K:$L(X)>30!($L(X)<3) X"
    assert nodes[("DD", ("2", ".05", "0"))] == "MARITAL STATUS^RP11'^DIC(11,^0;5^Q"
    assert nodes[("DD", ("2", ".02", "0"))] == "SEX^RS^M:MALE;F:FEMALE;^0;2^Q"
    assert nodes[("DD", ("120.8", "10", "0"))] == "REACTIONS^120.81PA^^10;0^"
    assert nodes[("DD", ("120.81", "0", "UP"))] == "120.8"
    assert nodes[("DD", ("2", "0"))].startswith("FIELD^^991.02^")


def test_headers_b_index_and_pointed_to_by() -> None:
    nodes = {(n, s): v for n, s, v in dictionary_nodes()}
    assert nodes[("DIC", ("2", "0"))] == "PATIENT^2I"
    assert nodes[("DIC", ("2", "0", "GL"))] == "^DPT("
    assert nodes[("DIC", ("B", "PATIENT", "2"))] == ""
    assert nodes[("DPT", ("0",))] == "PATIENT^2I^^"
    # STATE lives in ^DIC itself: ^DIC(5,0) is both headers, as in VistA.
    assert nodes[("DIC", ("5", "0"))] == "STATE^5I^^"
    assert nodes[("DD", ("2", ".01", "1", "1", "0"))] == "2^B"
    assert nodes[("DD", ("2", ".01", "1", "1", "1"))] == 'S ^DPT("B",$E(X,1,30),DA)=""'
    assert nodes[("DD", ("2", "0", "IX", "B", "2", ".01"))] == ""
    assert ("DD", ("2", "0", "PT", "120.5", ".02")) in nodes
    sub = nodes[("DD", ("120.81", ".01", "1", "1", "1"))]
    assert sub == 'S ^GMR(120.8,DA(1),10,"B",$E(X,1,30),DA)=""'


def test_every_pointer_target_is_a_demo_file() -> None:
    specs = _all_specs()
    for spec in specs.values():
        for fld in spec.fields:
            if _spec_letter(fld) == "P":
                target = fld.specifier.lstrip("MR")[1:].rstrip("'")
                assert target in specs, f"{spec.number},{fld.number} points at {target}"
                assert specs[target].root.lstrip("^") == fld.third
