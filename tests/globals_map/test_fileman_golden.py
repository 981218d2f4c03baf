"""FileMan agrees with FileMan: our decoder and finders against VistA's own DDR answers.

Golden flows 45-61 of ../shared/vista-lab are what FileMan (GETS^DIQ, LIST^DIC, FIND^DIC,
$$FIND1^DIC behind the DDR RPCs) answered over the globals in ``globals/``.  Each test reads
the request's parameters and the answer from the golden files and checks that the FileMan
layer, over the same globals, gives the same values, IENs, order, more marker and errors.
"""

from __future__ import annotations

import pytest

from globals_map import GlobalStore
from globals_map.fileman import (
    AmbiguousMatchError,
    Decoder,
    Finder,
    NoSuchEntryError,
    NoSuchFieldError,
    Record,
    Schema,
    dialog_text,
    gets_fields,
    lister_fields,
)
from globals_map.zwr_io import load_zwr
from tests.globals_map.fileman_lab import golden_lines, golden_params, lab_globals, lab_store

pytestmark = pytest.mark.shared

GETS = [
    "45_ddr_gets_allergy_1",
    "46_ddr_gets_allergy_3",
    "47_ddr_gets_allergy_52",
    "51_ddr_gets_rpc_entry",
    "52_ddr_gets_user_fields",
]
LISTER = [
    "53_ddr_lister_b_first10",
    "54_ddr_lister_b_from",
    "55_ddr_lister_b_part",
    "56_ddr_lister_b_part_external",
]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema(lab_store())


@pytest.fixture(scope="module")
def decoder(schema: Schema) -> Decoder:
    return Decoder(schema)


@pytest.fixture(scope="module")
def finder(schema: Schema, decoder: Decoder) -> Finder:
    return Finder(schema, decoder)


Row = tuple[str, ...]


def _parse_gets(lines: list[str]) -> dict[str, Row]:
    """``[Data]`` rows ``file^ien^field^internal^external``; word processing as
    ``file^ien^field^[WORD PROCESSING]`` then its lines up to ``$$END$$``."""
    assert lines[0] == "[Data]"
    out: dict[str, Row] = {}
    i = 1
    while i < len(lines):
        p = lines[i].split("^")
        if p[3] == "[WORD PROCESSING]":
            text: list[str] = []
            i += 1
            while lines[i] != "$$END$$":
                text.append(lines[i])
                i += 1
            out[p[2]] = ("WP", *text)
        else:
            out[p[2]] = (p[3], "^".join(p[4:]))
        i += 1
    return out


def _ours(record: Record) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for number, fv in record.values.items():
        if fv.lines is not None:
            out[number] = ("WP", *fv.lines)
        else:
            out[number] = (fv.internal or "", fv.external or "")
    return out


def _fields(params: dict[str, str]) -> list[str]:
    schema = Schema(lab_store())
    return gets_fields(schema.file(params["FILE"]), params["FIELDS"])[0]


@pytest.mark.parametrize("flow", GETS)
def test_gets_entry_internal_and_external_values_match_fileman(flow: str, decoder: Decoder) -> None:
    _check_gets(decoder, flow)


def _check_gets(decoder: Decoder, flow: str) -> None:
    rpc, params = golden_params(flow)
    assert rpc == "DDR GETS ENTRY DATA" and params["FLAGS"] == "IE"
    expected = _parse_gets(golden_lines(flow))
    record = decoder.decode(params["FILE"], params["IENS"], _fields(params), multiples=False)
    assert record.errors == []
    assert list(_ours(record)) == list(expected)  # same fields, same order
    assert _ours(record) == expected


def test_gets_unpacked_gives_external_then_internal_per_field(decoder: Decoder) -> None:
    flow = "48_ddr_gets_allergy_3_unpacked"
    _rpc, params = golden_params(flow)
    lines = golden_lines(flow)
    assert lines[0] == "[BEGIN_diDATA]" and lines[-1] == "[END_diDATA]"
    body = lines[1:-1]
    triples = [(body[i].split("^")[2], body[i + 1], body[i + 2]) for i in range(0, len(body), 3)]
    record = decoder.decode(params["FILE"], params["IENS"], _fields(params), multiples=False)
    ours = [(n, fv.external, fv.internal) for n, fv in record.values.items()]
    assert ours == triples


@pytest.mark.parametrize("flow", ["49_ddr_gets_missing_ien", "50_ddr_gets_missing_ien_errors"])
def test_gets_on_a_missing_entry_is_error_601(flow: str, decoder: Decoder) -> None:
    _rpc, params = golden_params(flow)
    lines = golden_lines(flow)
    with pytest.raises(NoSuchEntryError) as info:
        decoder.decode(params["FILE"], params["IENS"], _fields(params))
    assert info.value.code == 601
    if "[BEGIN_diERRORS]" in lines:
        at = lines.index("[BEGIN_diERRORS]")
        assert lines[at + 1].split("^")[0] == str(info.value.code)
        assert lines[at + 2] == info.value.message
        assert dialog_text(lab_store(), 601, info.value.params) == [lines[at + 2]]


def _lister_rows(
    finder: Finder, decoder: Decoder, params: dict[str, str]
) -> tuple[list[str], str | None]:
    fields = lister_fields(finder.schema.file(params["FILE"]), params["FIELDS"])
    page = finder.list_entries(
        params["FILE"],
        index=params.get("XREF", "B"),
        start=params.get("FROM") or None,
        part=params.get("PART", ""),
        limit=int(params["MAX"]) if "MAX" in params else None,
    )
    internal = "I" in params["FLAGS"]
    rows = []
    for entry in page.entries:
        rec = decoder.decode(params["FILE"], entry.ien, fields)
        vals = [(rec[f].internal if internal else rec[f].external) or "" for f in fields]
        rows.append("^".join([entry.ien, *vals]))
    more = None
    if page.more:
        more = f"MORE^{page.next_from or ''}^{page.next_from_ien or ''}"
    return rows, more


@pytest.mark.parametrize("flow", LISTER)
def test_lister_returns_fileman_iens_order_values_and_more_marker(
    flow: str, finder: Finder, decoder: Decoder
) -> None:
    _check_lister(finder, decoder, flow)


def _check_lister(finder: Finder, decoder: Decoder, flow: str) -> None:
    rpc, params = golden_params(flow)
    assert rpc == "DDR LISTER"
    lines = golden_lines(flow)
    more = None
    if lines[0] == "[Misc]":
        more = lines[1]
        lines = lines[2:]
    assert lines[0] == "[BEGIN_diDATA]" and lines[-1] == "[END_diDATA]"
    rows, our_more = _lister_rows(finder, decoder, params)
    assert rows == lines[1:-1]
    assert our_more == more


@pytest.mark.parametrize(
    "flow", ["57_ddr_find1_exact", "58_ddr_find1_no_match", "60_ddr_find1_user"]
)
def test_find1_returns_the_ien_fileman_returns(flow: str, finder: Finder) -> None:
    _check_find1(finder, flow)


def _check_find1(finder: Finder, flow: str) -> None:
    rpc, params = golden_params(flow)
    assert rpc == "DDR FIND1"
    (expected,) = golden_lines(flow)
    found = finder.find1(
        params["FILE"], params["VALUE"], index=params["XREF"], exact="X" in params["FLAGS"]
    )
    assert (found or "0") == expected


def test_find1_ambiguous_value_is_error_299_naming_file_and_value(finder: Finder) -> None:
    flow = "59_ddr_find1_ambiguous"
    _rpc, params = golden_params(flow)
    lines = golden_lines(flow)
    at = lines.index("[BEGIN_diERRORS]")
    head = lines[at + 1].split("^")
    with pytest.raises(AmbiguousMatchError) as info:
        finder.find1(
            params["FILE"],
            params["VALUE"],
            index=params["XREF"],
            exact="X" in params.get("FLAGS", ""),
        )
    err = info.value
    assert str(err.code) == head[0]
    assert err.file == head[2]
    assert f"1^{err.value}" in lines and f"FILE^{err.file}" in lines
    assert len(err.iens) > 1
    text = dialog_text(lab_store(), err.code, err.params)
    assert lines[at + 1 + len(err.params) + 1 : at + 2 + len(err.params) + len(text)] == text


def test_finder_partial_match_returns_fileman_rows(finder: Finder, decoder: Decoder) -> None:
    flow = "61_ddr_finder"
    rpc, params = golden_params(flow)
    assert rpc == "DDR FINDER"
    lines = golden_lines(flow)
    assert lines[0] == "[BEGIN_diDATA]" and lines[-1] == "[END_diDATA]"
    fields = lister_fields(finder.schema.file(params["FILE"]), params["FIELDS"])
    page = finder.find(
        params["FILE"],
        params["VALUE"],
        index=params["XREF"],
        exact="X" in params["FLAGS"],
        limit=int(params["MAX"]),
    )
    rows = []
    for entry in page.entries:
        rec = decoder.decode(params["FILE"], entry.ien, fields)
        rows.append("^".join([entry.ien, *((rec[f].external or "") for f in fields)]))
    assert rows == lines[1:-1]
    assert not page.more


def test_fields_parameters_follow_gets_and_lister_rules(schema: Schema) -> None:
    rpc = schema.file(8994)
    assert gets_fields(rpc, ".01:.05")[0] == [".01", ".02", ".03", ".04", ".05"]
    assert gets_fields(rpc, "*") == (list(rpc.fields), False)
    assert gets_fields(rpc, "**")[1] is True
    assert gets_fields(rpc, ".04;2") == ([".04", "2"], True)
    with pytest.raises(NoSuchFieldError):
        gets_fields(rpc, "77")
    with pytest.raises(NoSuchFieldError):
        gets_fields(rpc, "NAME")
    allergies = schema.file(120.82)
    assert lister_fields(allergies, "@;.01;1") == [".01", "1"]
    assert lister_fields(allergies, "1") == [".01", "1"]
    assert lister_fields(allergies, "@") == []


def test_goldens_agree_on_every_backend(store: GlobalStore) -> None:
    """The same checks with the lab globals loaded into each backend (memory, GT.M)."""
    for path in lab_globals():
        load_zwr(store, path)
    schema = Schema(store)
    decoder = Decoder(schema)
    finder = Finder(schema, decoder)
    for flow in GETS:
        _check_gets(decoder, flow)
    for flow in LISTER:
        _check_lister(finder, decoder, flow)
    for flow in ["57_ddr_find1_exact", "58_ddr_find1_no_match", "60_ddr_find1_user"]:
        _check_find1(finder, flow)
