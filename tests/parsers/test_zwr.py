"""ZWR parsing and writing: GT.M's own extract is the judge; the fast path agrees with the
grammar; bad lines fail with source, line, column and text."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.errors import ParseError
from parsers.zwr import (
    ZwrNode,
    format_zwr_node,
    parse_zwr,
    parse_zwr_file,
    parse_zwr_line,
    parse_zwr_line_fast,
)
from tests.conftest import shared_path

HEADER = "GT.M MUPIP EXTRACT\n24-NOV-2026  23:23:34 ZWR\n"


def gtm_extract() -> Path:
    return shared_path("fixtures", "engine", "gtm-mupip-extract.zwr")


def test_gtm_extract_parses_to_the_values_gtm_stored() -> None:
    nodes = {(n.name, n.subscripts): n.value for n in parse_zwr_file(gtm_extract())}
    assert nodes[("ZZT", ())] == "root value"
    assert nodes[("ZZT", ("1", "1"))] == 'quote"inside and caret^piece'
    assert nodes[("ZZT", ("1", "2"))] == "tab\tand nul\x00end"
    assert nodes[("ZZT", ("1", "3"))] == "\x01\x02\x03"
    assert nodes[("ZZT", ("1", "4"))] == "trailing cr\r"
    assert nodes[("ZZT", ("1", "5"))] == ""
    assert nodes[("ZZT", ("2", 'q"uote'))] == "quote in subscript"
    assert nodes[("ZZT", ("2", "sub\nline"))] == "control char in subscript"
    assert nodes[("ZZT", ("3", "1234567890123456780"))] == "19 digits"
    assert nodes[("ZZT", ("4", "1"))] == "été (UTF-8 bytes)"
    assert len(nodes[("ZZT", ("5",))]) == 300
    assert ("ZZT", ("1E3",)) in nodes and ("ZZT", ("1000",)) in nodes


def test_gtm_extract_node_lines_carry_their_file_line_numbers() -> None:
    nodes = list(parse_zwr_file(gtm_extract()))
    assert nodes[0] == ZwrNode("ZZT", (), "root value", 3)
    assert nodes[-1].line == len(gtm_extract().read_bytes().splitlines())


def test_format_writes_every_line_exactly_as_gtm_wrote_it() -> None:
    raw = gtm_extract().read_bytes().decode("utf-8", "surrogateescape").split("\n")
    body = [line for line in raw[2:] if line]
    for node, line in zip(parse_zwr_file(gtm_extract()), body, strict=True):
        assert format_zwr_node(node.name, node.subscripts, node.value) == line


@pytest.mark.parametrize(
    ("literal", "stored"),
    [("1E3", "1000"), ("01", "1"), ("1.0", "1"), ("-0", "0"), ("0.5", ".5"), ("1e-2", ".01")],
)
def test_numeric_literals_are_stored_as_canonical_numbers(literal: str, stored: str) -> None:
    assert parse_zwr_line(f"^X({literal})={literal}") == ("X", (stored,), stored)


def test_nineteen_digit_literal_keeps_eighteen_significant_digits_like_gtm() -> None:
    assert parse_zwr_line("^X(1234567890123456789)=1")[1] == ("1234567890123456780",)


def test_dollar_c_bytes_above_127_join_with_literal_utf8() -> None:
    assert parse_zwr_line('^X=$C(195,169)_"t"')[2] == "ét"
    assert parse_zwr_line("^X=$C(255)")[2] == b"\xff".decode("utf-8", "surrogateescape")


def test_name_forms_and_function_spellings() -> None:
    assert parse_zwr_line('^%ZOSF("OS")=1')[0] == "%ZOSF"
    assert parse_zwr_line("^%=1")[0] == "%"
    assert parse_zwr_line("^X=$c(65)_$CHAR(66)_$zch(67)")[2] == "ABC"


def test_header_with_or_without_date_is_accepted() -> None:
    for second in ("ZWR", "24-NOV-2026 23:01:00 ZWR", "27-NOV-2026  01:02:03 ZWR  "):
        nodes = list(parse_zwr(f"Any title at all\n{second}\n^A(1)=2\n"))
        assert nodes == [ZwrNode("A", ("1",), "2", 3)]


def test_crlf_line_endings_and_trailing_empty_line_are_accepted() -> None:
    nodes = list(parse_zwr('t\r\nZWR\r\n^A(1)="x"\r\n\r\n'))
    assert [n[:3] for n in nodes] == [("A", ("1",), "x")]


def test_file_without_header_is_refused_clearly() -> None:
    with pytest.raises(ParseError, match="no ZWR header") as info:
        list(parse_zwr('^A(1)="x"\n^A(2)="y"\n', source="noheader.zwr"))
    assert info.value.source == "noheader.zwr"
    assert info.value.line == 1


def test_empty_input_is_refused() -> None:
    with pytest.raises(ParseError, match="empty input"):
        list(parse_zwr([]))


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ('^X(1)="abc', 7, "unterminated string"),
        ('^X(A)="v"', 4, "unexpected 'A'"),
        ('^X(1)"a"', 6, "expected '='"),
        ("^X(1)", 6, "line ends early"),
        ("^1X=1", 2, "invalid global name"),
        ("^X=$C(1,2", 10, "unclosed $C("),
        ("^X=1 x", 5, "trailing text"),
        ('^X="a"b', 7, "trailing text"),
        ("^X=$C(256)", 7, "out of range"),
        ('^X("")=1', 4, "empty-string subscript"),
        ('^X(1,"")=1', 6, "empty-string subscript"),
        ("X=1", 1, "unexpected 'X'"),
        ("^X(1E50)=2", 4, "out of range"),
        ("^X=$Z(1)", 4, "only $C"),
        ("^X(1,)=1", 6, "unexpected ')'"),
        ("^" + "A" * 32 + "=1", 2, "longer than 31"),
    ],
)
def test_bad_lines_name_source_line_column_and_show_text(
    line: str, column: int, fragment: str
) -> None:
    with pytest.raises(ParseError) as info:
        list(parse_zwr(["title", "ZWR", '^OK(1)="fine"', line], source="bad.zwr"))
    err = info.value
    assert (err.source, err.line, err.column, err.text) == ("bad.zwr", 4, column, line)
    assert fragment in err.message
    assert f"bad.zwr:4:{column}" in str(err)


def test_value_over_one_mib_is_refused() -> None:
    with pytest.raises(ParseError, match="1 MiB"):
        parse_zwr_line('^X="' + "a" * ((1 << 20) + 1) + '"')


def test_value_of_exactly_one_mib_is_accepted() -> None:
    assert len(parse_zwr_line('^X="' + "é" * (1 << 19) + '"')[2]) == 1 << 19


# -- generated lines: the fast path agrees with the grammar; format -> parse round trips ---
_NAMES = st.from_regex(r"\A(%[A-Za-z0-9]{0,6}|[A-Za-z][A-Za-z0-9]{0,6})\Z")
_M_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from([*string.printable, '"', "^", "é", "\x00", "\x7f"]),
        st.characters(min_codepoint=0, max_codepoint=0x2FF),
        st.sampled_from(["\udcff", "\udc80"]),  # raw bytes >= 128 that are not UTF-8
    ),
    max_size=12,
)
_NUMBERS = st.one_of(
    st.integers(-(10**18) + 1, 10**18 - 1).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.sampled_from(["1E3", "01", "1.0", "-0", ".5", "0.50", "-.25", "1234567890123456789"]),
)
_SUBSCRIPTS = st.one_of(_M_TEXT.filter(bool), _NUMBERS)


@st.composite
def _raw_token(draw: st.DrawFn) -> str:
    """A subscript or value as some writer might put it in a line, valid or not."""
    kind = draw(st.sampled_from(["str", "num", "chars", "junk"]))
    if kind == "num":
        return draw(_NUMBERS)
    if kind == "chars":
        codes = draw(st.lists(st.integers(0, 300), min_size=0, max_size=3))
        return "$C(" + ",".join(map(str, codes)) + ")"
    if kind == "junk":
        return draw(st.text(alphabet='"(),=_$C1a ', max_size=6))
    body = draw(st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=8))
    return '"' + body.replace('"', draw(st.sampled_from(['""', '"']))) + '"'


@st.composite
def _raw_line(draw: st.DrawFn) -> str:
    name = draw(st.one_of(_NAMES, st.sampled_from(["1X", "", "A_B"])))
    subs = draw(st.lists(_raw_token(), max_size=3))
    line = "^" + name
    if subs:
        line += "(" + ",".join(subs) + ")"
    return line + "=" + draw(_raw_token())


@settings(max_examples=250, deadline=None)
@given(_raw_line())
def test_fast_path_agrees_with_the_grammar(line: str) -> None:
    try:
        reference = parse_zwr_line(line)
    except ParseError:
        reference = None
    for ending in ("", "\n", "\r\n"):
        fast = parse_zwr_line_fast(line + ending)
        assert fast is None or fast == reference


@pytest.mark.parametrize(
    "line",
    [
        '^DIC(5,1,0)="ALABAMA^AL^01"',
        '^DIC(5,"B","ALABAMA",1)=""',
        '^GMR(120.8,1,0)="1^1;GMRD(120.82,^3050301.1"',
        "^X(-1,.5,-.25,123456789012345678)=0",
        '^X(1.12345678,"a""b")="q""uote"',
        "^%ZOSF=-12.5",
        '^X(",")=","',
    ],
)
def test_common_real_shapes_take_the_fast_path(line: str) -> None:
    assert parse_zwr_line_fast(line) == parse_zwr_line(line)
    assert parse_zwr_line_fast(line + "\n") == parse_zwr_line(line)


@pytest.mark.parametrize(
    "line", ["^X(01)=1", "^X(1E3)=1", "^X=1.0", "^X(1234567890123456789)=1", "^X=$C(65)"]
)
def test_literals_needing_conversion_go_to_the_grammar(line: str) -> None:
    assert parse_zwr_line_fast(line) is None


@settings(max_examples=200, deadline=None)
@given(_NAMES, st.lists(_SUBSCRIPTS, max_size=4), st.one_of(_M_TEXT, _NUMBERS))
def test_format_then_parse_round_trips(name: str, subs: list[str], value: str) -> None:
    line = format_zwr_node(name, subs, value)
    assert parse_zwr_line(line) == (name, tuple(subs), value)
    assert parse_zwr_line_fast(line) in (None, (name, tuple(subs), value))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.lists(_SUBSCRIPTS, max_size=3), _M_TEXT), max_size=5))
def test_format_then_parse_round_trips_through_file_bytes(
    tmp_path_factory: pytest.TempPathFactory, nodes: list[tuple[str, list[str], str]]
) -> None:
    path = tmp_path_factory.mktemp("zwr") / "round.zwr"
    text = HEADER + "".join(format_zwr_node(n, s, v) + "\n" for n, s, v in nodes)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    back = [(n.name, n.subscripts, n.value) for n in parse_zwr_file(path)]
    assert back == [(n, tuple(map(_same_bytes, s)), _same_bytes(v)) for n, s, v in nodes]


def _same_bytes(s: str) -> str:
    """The str an M string becomes after a trip through its bytes (UTF-8 re-joined)."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")


def test_fast_path_agrees_with_the_grammar_on_real_lines() -> None:
    """Every 9th node line of every real export (and all of GT.M's extract) through both."""
    paths = [gtm_extract()]
    for parts in (("fixtures", "vista", "data"), ("fixtures", "vista", "dd"), ("vista-lab",
                  "globals")):  # fmt: skip
        paths.extend(sorted(shared_path(*parts).glob("*.zwr")))
    checked = fast_hits = 0
    for path in paths:
        lines = path.read_bytes().decode("utf-8", "surrogateescape").split("\n")[2:]
        step = 1 if path == gtm_extract() else 9
        for line in lines[::step]:
            if not line:
                continue
            fast = parse_zwr_line_fast(line)
            assert fast is None or fast == parse_zwr_line(line), line
            checked += 1
            fast_hits += fast is not None
    assert checked > 5000
    assert fast_hits > 0.95 * checked  # the fast path really is the common path


def test_unreadable_file_is_a_parse_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.zwr"
    with pytest.raises(ParseError, match="cannot read the file") as info:
        list(parse_zwr_file(missing))
    assert info.value.source == str(missing)


def test_error_on_a_huge_line_keeps_only_its_head() -> None:
    line = '^X(1)="' + "a" * 100_000
    with pytest.raises(ParseError, match="unterminated") as info:
        parse_zwr_line(line)
    assert info.value.text is not None
    assert len(info.value.text) < 3000
    assert info.value.text.startswith('^X(1)="aaa')


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_NAMES, st.lists(_SUBSCRIPTS, max_size=3), _M_TEXT), max_size=8),
    st.sampled_from(["\n", "\r\n"]),
)
def test_whole_file_parse_equals_line_by_line_grammar(
    nodes: list[tuple[str, list[str], str]], ending: str
) -> None:
    lines = [format_zwr_node(n, s, v) for n, s, v in nodes]
    text = ending.join(["title", "ZWR", *lines, ""])
    parsed = [(n.name, n.subscripts, n.value, n.line) for n in parse_zwr(text)]
    expected = [(*parse_zwr_line(line), number) for number, line in enumerate(lines, 3)]
    assert parsed == expected
    as_lines = [line + ending for line in text.split(ending)]
    assert [n[:4] for n in parse_zwr(as_lines)] == expected
