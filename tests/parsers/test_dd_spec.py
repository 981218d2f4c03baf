"""The field specifier, storage, set-of-codes and global-root parsers (parsers/dd_spec)."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.dd_spec import (
    FieldType,
    GlobalRoot,
    Modifier,
    Storage,
    parse_global_root,
    parse_set_codes,
    parse_specifier,
    parse_storage,
)
from parsers.errors import ParseError
from tests.conftest import shared_path


@pytest.mark.parametrize(
    ("text", "ftype", "mods"),
    [
        ("F", FieldType.FREE_TEXT, set()),
        ("RFX", FieldType.FREE_TEXT, {Modifier.REQUIRED, Modifier.INPUT_TRANSFORM_MODIFIED}),
        (
            "FXOa",
            FieldType.FREE_TEXT,
            {Modifier.INPUT_TRANSFORM_MODIFIED, Modifier.OUTPUT_TRANSFORM, Modifier.AUDITED},
        ),
        ("RD", FieldType.DATE, {Modifier.REQUIRED}),
        ("DI", FieldType.DATE, {Modifier.UNEDITABLE}),
        ("S", FieldType.SET, set()),
        ("*S", FieldType.SET, {Modifier.SCREENED}),
        ("K", FieldType.MUMPS, set()),
        ("V", FieldType.VARIABLE_POINTER, set()),
        ("WL", FieldType.WORD_PROCESSING, {Modifier.LINE_MODE}),
        ("W", FieldType.WORD_PROCESSING, set()),
        ("CD", FieldType.COMPUTED, {Modifier.DATE_RESULT}),
        ("DC", FieldType.COMPUTED, {Modifier.DATE_RESULT}),
        ("BC", FieldType.COMPUTED, {Modifier.BOOLEAN}),
        ("Cm", FieldType.COMPUTED, {Modifier.MULTILINE}),
        ("MRD", FieldType.DATE, {Modifier.MULTIPLE_ASKED, Modifier.REQUIRED}),
    ],
)
def test_specifier_type_and_modifiers(text: str, ftype: FieldType, mods: set[Modifier]) -> None:
    spec = parse_specifier(text)
    assert spec.type is ftype
    assert spec.modifiers == mods
    assert spec.unknown == ()
    assert spec.text == text


def test_numeric_width_and_decimals() -> None:
    spec = parse_specifier("NJ8,2")
    assert (spec.type, spec.width, spec.decimals) == (FieldType.NUMERIC, 8, 2)
    spec = parse_specifier("MNJ7,0")
    assert (spec.width, spec.decimals) == (7, 0)
    assert Modifier.MULTIPLE_ASKED in spec.modifiers
    spec = parse_specifier("CJ15")
    assert (spec.type, spec.width, spec.decimals) == (FieldType.COMPUTED, 15, None)


def test_pointer_file_laygo_and_screen() -> None:
    spec = parse_specifier("*P19'Xa")
    assert spec.type is FieldType.POINTER and spec.pointer_file == "19"
    assert not spec.laygo_allowed and spec.audited
    assert Modifier.SCREENED in spec.modifiers
    assert parse_specifier("P200").laygo_allowed
    assert parse_specifier("M*P19.1'X").pointer_file == "19.1"
    assert parse_specifier("RP120.51'").required


def test_multiple_subfile_number_with_trailing_modifiers() -> None:
    spec = parse_specifier("120.505P")
    assert spec.type is FieldType.MULTIPLE and spec.subfile == "120.505"
    spec = parse_specifier("200.010113POI")
    assert spec.subfile == "200.010113"
    assert {Modifier.OUTPUT_TRANSFORM, Modifier.UNEDITABLE} <= spec.modifiers
    assert parse_specifier("200.0089831").subfile == "200.0089831"


def test_computed_pointer_keeps_its_target() -> None:
    spec = parse_specifier("Cp200")
    assert spec.type is FieldType.COMPUTED and spec.computed_pointer_file == "200"


def test_unknown_modifier_is_kept_and_reported_not_dropped() -> None:
    spec = parse_specifier("FZ")
    assert spec.type is FieldType.FREE_TEXT
    assert spec.unknown == ("Z",)
    spec = parse_specifier("Qq")
    assert spec.unknown == ("Q", "q") and spec.issues


@pytest.mark.parametrize("text", ["F2", "NJ", "P200,", "RF 1"])
def test_malformed_specifier_raises_parse_error_showing_the_text(text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_specifier(text)
    assert info.value.text == text


def test_every_real_specifier_parses_without_unknown_modifiers() -> None:
    seen = 0
    pattern = re.compile(r'^\^DD\([0-9.]+,[0-9.]+,0\)="(.*)"$')
    for path in sorted(shared_path("fixtures", "vista", "dd").glob("*.zwr")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = pattern.match(line)
            if not m:
                continue
            spec_text = m.group(1).replace('""', '"').split("^")[1]
            spec = parse_specifier(spec_text)
            assert spec.unknown == (), (path.name, line)
            seen += 1
    assert seen > 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0;1", Storage("0", 1)),
        ("VUID;2", Storage("VUID", 2)),
        ("1;E1,245", Storage("1", None, (1, 245))),
        ("3;0", Storage("3", 0)),
        ("ING;0", Storage("ING", 0)),
        ('"A";3', Storage("A", 3)),
        ("0.1;2", Storage(".1", 2)),
    ],
)
def test_storage_node_piece_and_extract(text: str, expected: Storage) -> None:
    assert parse_storage(text) == expected


def test_storage_of_computed_field_is_none_and_subfile_flagged() -> None:
    assert parse_storage(" ; ") is None
    assert parse_storage("") is None
    assert parse_storage("2;0").is_subfile  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["0", "0;X", "0;E5,2", ";1", "1.2.3;1", "0;"])
def test_bad_storage_raises(text: str) -> None:
    with pytest.raises(ParseError):
        parse_storage(text)


def test_set_codes_keep_order_and_colons_in_labels() -> None:
    assert parse_set_codes("Y:YES;N:NO;") == (("Y", "YES"), ("N", "NO"))
    assert parse_set_codes("1:A:B;") == (("1", "A:B"),)
    assert parse_set_codes("") == ()
    with pytest.raises(ParseError):
        parse_set_codes("YES;")


@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(blacklist_characters=":;^", blacklist_categories=["Cs"]),
                min_size=1,
                max_size=5,
            ),
            st.text(
                st.characters(blacklist_characters=";^", blacklist_categories=["Cs"]), max_size=20
            ),
        ),
        max_size=8,
    )
)
def test_set_codes_round_trip(pairs: list[tuple[str, str]]) -> None:
    text = "".join(f"{c}:{label};" for c, label in pairs)
    assert parse_set_codes(text) == tuple(pairs)


def test_global_roots_numeric_and_string_subscripts() -> None:
    assert parse_global_root("GMRD(120.82,") == GlobalRoot("GMRD", ("120.82",))
    assert parse_global_root("^VA(200,") == GlobalRoot("VA", ("200",))
    assert parse_global_root('XMB("NETNAME",') == GlobalRoot("XMB", ("NETNAME",))
    assert parse_global_root("DPT(") == GlobalRoot("DPT", ())
    assert str(parse_global_root('XMB("A""B",3,')) == '^XMB("A""B",3,'


@pytest.mark.parametrize("text", ["GMRD(X,", "GMRD(120.82", "(1,", "DIC(@X,"])
def test_global_root_with_variables_or_unclosed_is_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_global_root(text)


_FLAGS = ["R", "*", "'", "a", "X", "O", "I", "M", "A"]


@given(
    st.sampled_from(["F", "D", "S", "K", "V", "N", "P120.82"]),
    st.lists(st.sampled_from(_FLAGS), unique=True, max_size=5),
    st.randoms(),
)
def test_any_order_of_known_modifiers_parses_to_the_same_spec(
    core: str, flags: list[str], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    tokens = [core, *flags]
    rnd.shuffle(tokens)
    spec = parse_specifier("".join(tokens))
    expected_type = FieldType.POINTER if core.startswith("P") else FieldType(core)
    assert spec.type is expected_type
    assert {m.value for m in spec.modifiers} == set(flags)
    assert spec.unknown == ()
    if core.startswith("P"):
        assert spec.pointer_file == "120.82"


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_parse_error_only(text: str) -> None:
    for parse in (parse_specifier, parse_storage, parse_set_codes, parse_global_root):
        with contextlib.suppress(ParseError):
            parse(text)  # type: ignore[operator]
