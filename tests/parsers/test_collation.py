"""The collation key orders subscripts exactly as GT.M does (its own extract is the judge),
and agrees with an independent reference written from the M standard's rules."""

from __future__ import annotations

import re
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.collation import (
    AFTER_ALL,
    BYTES_AFTER_ALL,
    decode_m,
    encode_m,
    node_bytes,
    node_key,
    sort_subscripts,
    subscript_bytes,
    subscript_key,
)
from parsers.zwr import parse_zwr_file
from tests.conftest import shared_path

M_ORDER = [
    "-1", "0", ".5", "1", "2", "10", "1000",
    " ", "-0", "01", "1.0", "1E3", "A", "B", "Z" * 5000, "a", "ab", "é", "日本",
]  # fmt: skip

_NUMERIC_SHAPE = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?\Z")


def reference_key(s: str) -> tuple[int, Fraction | bytes]:
    """An independent statement of GT.M's rule: a string is a number when it is exactly how
    M would print that number (no +, no leading or trailing zeros, no exponent, not -0), with
    at most 18 significant digits and 0 or 1E-43 <= |x| < 1E47; numbers first, by value,
    then strings by their bytes."""
    m = _NUMERIC_SHAPE.match(s)
    if s == "0":
        return (0, Fraction(0))
    if m is not None:
        sign, whole, frac = m.group(1), m.group(2), m.group(3)
        ok = (whole or frac) and not whole.startswith("0")
        ok = ok and (frac is None or (frac != "" and not frac.endswith("0")))
        if ok:
            value = Fraction(s)
            digits = (whole + (frac or "")).strip("0")
            in_range = Fraction(1, 10**43) <= abs(value) < 10**47
            if value != 0 and len(digits) <= 18 and in_range:
                return (0, value)
        del sign
    return (1, s.encode("utf-8", "surrogateescape"))


def test_edge_cases_sort_in_gtm_order() -> None:
    assert sort_subscripts(list(reversed(M_ORDER))) == M_ORDER


def test_gtm_extract_order_is_node_key_order() -> None:
    path = shared_path("fixtures", "engine", "gtm-mupip-extract.zwr")
    keys = [node_key(n.subscripts) for n in parse_zwr_file(path)]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_parent_sorts_before_children_and_children_before_next_sibling() -> None:
    parent, child, sibling = ("1",), ("1", "Z"), ("2",)
    assert node_key(()) < node_key(parent) < node_key(child) < node_key(sibling)
    assert node_key(child) < (*node_key(parent), AFTER_ALL) < node_key(sibling)


def test_numbers_compare_by_value_not_text() -> None:
    assert subscript_key("9") < subscript_key("10") < subscript_key("10.5")
    assert subscript_key("-10") < subscript_key("-9") < subscript_key("-.5") < subscript_key("0")
    assert subscript_key("123456789012345678") < subscript_key("1234567890123456780")
    assert subscript_key("99999999999999999999")[0] == 1  # 20 digits: a string


def test_bytes_above_127_sort_by_byte_value() -> None:
    raw = decode_m(b"\xff")
    assert subscript_key("z") < subscript_key("é") < subscript_key(raw)
    assert encode_m(raw) == b"\xff"


_NUMBERISH = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
    st.from_regex(r"\A-?[0-9]{0,4}(\.[0-9]{0,4})?([eE][0-9])?\Z"),
    st.sampled_from(["-0", "0.0", ".0", "-.5", "00", "1.", "+1", "1E3", "1e-50", "."]),
)
_SUBSCRIPT = st.one_of(
    _NUMBERISH,
    st.text(min_size=1, max_size=6),
    st.binary(min_size=1, max_size=4).map(decode_m),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_SUBSCRIPT, max_size=30))
def test_collation_matches_the_reference(subs: list[str]) -> None:
    assert sorted(subs, key=subscript_key) == sorted(subs, key=reference_key)


@settings(max_examples=200, deadline=None)
@given(_SUBSCRIPT, _SUBSCRIPT)
def test_equal_keys_only_for_equal_strings(a: str, b: str) -> None:
    assert (subscript_key(a) == subscript_key(b)) == (a == b)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=20))
def test_m_bytes_round_trip_through_str(raw: bytes) -> None:
    assert encode_m(decode_m(raw)) == raw


# -- byte keys: the same order as one bytes object per node --------------------------------
def test_byte_keys_sort_the_edge_cases_in_gtm_order() -> None:
    extra = ["-1000", "-12.5", "-12.45", "-.000001", "12.45", "12.5", "\x00", "\x01", "A\x00"]
    subs = M_ORDER + extra
    assert sorted(subs, key=subscript_bytes) == sorted(subs, key=reference_key)


def test_byte_keys_cover_the_whole_numeric_range() -> None:
    extremes = ["." + "0" * 42 + "1", "-." + "0" * 42 + "1", "9" * 18, "-" + "9" * 18,
                "1" + "0" * 46, "-1" + "0" * 46, "0"]  # fmt: skip
    assert sorted(extremes, key=subscript_bytes) == sorted(extremes, key=reference_key)


def test_byte_key_of_a_parent_prefixes_its_children_and_bounds_them() -> None:
    parent = node_bytes(("1", "A"))
    child = node_bytes(("1", "A", "-5", "x\x00"))
    sibling = node_bytes(("1", "A\x00"))
    assert child.startswith(parent)
    assert parent < child < parent + BYTES_AFTER_ALL < sibling


@settings(max_examples=200, deadline=None)
@given(st.lists(_SUBSCRIPT, max_size=30))
def test_byte_keys_match_the_reference(subs: list[str]) -> None:
    assert sorted(subs, key=subscript_bytes) == sorted(subs, key=reference_key)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_SUBSCRIPT, max_size=3).map(tuple), max_size=20))
def test_node_byte_keys_order_like_node_keys(nodes: list[tuple[str, ...]]) -> None:
    assert sorted(nodes, key=node_bytes) == sorted(nodes, key=node_key)
    for a in nodes:
        for b in nodes:
            assert (node_bytes(a) == node_bytes(b)) == (a == b)
