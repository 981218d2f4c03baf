"""Global references: closed, open roots (FileMan "GL" and pointer roots), variable pointers;
real roots from ../shared parse and format back to the same text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.errors import ParseError
from parsers.globalref import (
    GlobalRef,
    format_global_ref,
    parse_global_ref,
    split_variable_pointer,
)
from parsers.zwr import parse_zwr_file
from tests.conftest import shared_path


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ('^DIC(5,"B","ALABAMA",1)', GlobalRef("DIC", ("5", "B", "ALABAMA", "1"), False)),
        ("^DPT", GlobalRef("DPT", (), False)),
        ("^DPT(", GlobalRef("DPT", (), True)),
        ("^GMR(120.8,", GlobalRef("GMR", ("120.8",), True)),
        ("GMRD(120.82,", GlobalRef("GMRD", ("120.82",), True)),
        ('^DD("IX",', GlobalRef("DD", ("IX",), True)),
        ('^%ZOSF("OS")', GlobalRef("%ZOSF", ("OS",), False)),
        ('^X(01,-0,"a""b"_$C(9))', GlobalRef("X", ("1", "0", 'a"b\t'), False)),
    ],
)
def test_references_parse_to_name_subscripts_and_open_flag(text: str, ref: GlobalRef) -> None:
    assert parse_global_ref(text) == ref


def test_format_writes_open_and_closed_forms_with_and_without_caret() -> None:
    assert format_global_ref("DIC", ("5", "B", "ALABAMA", "1")) == '^DIC(5,"B","ALABAMA",1)'
    assert format_global_ref("^DPT", open=True) == "^DPT("
    assert format_global_ref("GMRD", ("120.82",), open=True, caret=False) == "GMRD(120.82,"
    assert format_global_ref(GlobalRef("X", ("01", "a\tb"))) == '^X("01","a"_$C(9)_"b")'
    assert str(GlobalRef("DPT", (), False)) == "^DPT"


def test_open_root_child_appends_ien_and_node() -> None:
    root = parse_global_ref("^DIC(5,")
    assert root.child("1", "0") == ("DIC", ("5", "1", "0"))


def test_variable_pointer_splits_into_ien_and_open_root() -> None:
    assert split_variable_pointer("12;GMRD(120.82,") == ("12", GlobalRef("GMRD", ("120.82",), True))


@pytest.mark.parametrize("value", ["12", ";GMRD(120.82,", "12;GMRD(120.82)", "12;GMRD(120.82"])
def test_bad_variable_pointer_is_a_parse_error(value: str) -> None:
    with pytest.raises(ParseError):
        split_variable_pointer(value)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("^X()", 4, "empty subscript"),
        ("^X(1,,2)", 6, "empty subscript"),
        ("^X(1", 5, "unclosed reference"),
        ("^X(A)", 4, "only literal subscripts"),
        ("^X(@Y)", 4, "only literal subscripts"),
        ('^X("a)', 4, "unterminated string"),
        ("1X", 1, "invalid global name"),
        ("^", 2, "ends early"),
        ("^X(1)junk", 6, "trailing text"),
        ('^X("")', 4, "empty-string subscript"),
        ("^X($C(300))", 7, "out of range"),
        ("^" + "A" * 32, 2, "longer than 31"),
    ],
)
def test_bad_references_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_global_ref(text, source="DD piece 3")
    assert (info.value.source, info.value.column, info.value.text) == ("DD piece 3", column, text)
    assert fragment in info.value.message


def test_every_real_gl_root_and_pointer_root_parses_and_formats_back() -> None:
    roots: set[str] = set()
    for folder, pattern in (("dd", "*.zwr"), ("data", "*.zwr"), ("dic", "*.zwr")):
        for path in sorted(shared_path("fixtures", "vista", folder).glob(pattern)):
            for node in parse_zwr_file(path):
                if node.subscripts[-1:] == ("GL",) and node.name == "DIC":
                    roots.add(node.value)
                elif node.name == "DD" and node.subscripts[-1:] == ("0",):
                    pieces = node.value.split("^")
                    if len(pieces) > 2 and "P" in pieces[1] and pieces[2].endswith(("(", ",")):
                        roots.add(pieces[2])
    assert {"^DIC(5,", "DPT(", "GMRD(120.51,"} <= roots
    for root in roots:
        ref = parse_global_ref(root)
        assert ref.open
        assert format_global_ref(ref, caret=root.startswith("^")) == root


_NAMES = st.from_regex(r"\A(%[A-Za-z0-9]{0,5}|[A-Za-z][A-Za-z0-9]{0,5})\Z")
_SUBS = st.one_of(
    st.text(min_size=1, max_size=8),
    st.integers(-(10**9), 10**9).map(str),
    st.sampled_from(["1.5", ".5", "-.25", "01", "1E3", "B"]),
)


@settings(max_examples=200, deadline=None)
@given(_NAMES, st.lists(_SUBS, max_size=4), st.booleans())
def test_format_then_parse_round_trips(name: str, subs: list[str], is_open: bool) -> None:
    ref = GlobalRef(name, tuple(subs), is_open)
    assert parse_global_ref(format_global_ref(ref)) == ref
