"""M canonical numbers: which strings are numbers to GT.M, and what M makes of a literal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.canonical import canonical_number, is_canonical_number
from parsers.mstring import number_literal


@pytest.mark.parametrize(
    "text", ["0", "1", "-1", ".5", "-.5", "10", "1000", "1.25", ".000001", "123456789012345678",
             "1234567890123456780", "-999999999999999999"],
)  # fmt: skip
def test_canonical_numbers(text: str) -> None:
    assert is_canonical_number(text)


@pytest.mark.parametrize(
    "text", ["", "-0", "01", "1.0", "1.", "0.5", "+1", "1E3", "1e3", " 1", "1 ", "--1", "-",
             ".", "1234567890123456789", "0.0", "00", "1,000", "١", "1" + "0" * 47, "NaN"],
)  # fmt: skip
def test_not_canonical_numbers(text: str) -> None:
    assert not is_canonical_number(text)


def test_magnitude_limits() -> None:
    assert is_canonical_number("1" + "0" * 46)
    assert not is_canonical_number("1" + "0" * 47)
    assert is_canonical_number("." + "0" * 42 + "1")
    assert not is_canonical_number("." + "0" * 43 + "1")


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (-5, "-5"), (Decimal("0.50"), ".5"), (Decimal("-0.25"), "-.25"),
     (Decimal("1E3"), "1000"), (1.5, "1.5"), ("01.10", "1.1"), (Decimal("-0"), "0")],
)  # fmt: skip
def test_canonical_number_forms(value: int | Decimal | float | str, text: str) -> None:
    assert canonical_number(value) == text


@pytest.mark.parametrize("value", [float("inf"), float("nan"), Decimal("NaN")])
def test_canonical_number_refuses_non_finite(value: float | Decimal) -> None:
    with pytest.raises(ValueError):
        canonical_number(value)


@pytest.mark.parametrize(
    ("literal", "text"),
    [("1E3", "1000"), ("01", "1"), ("1.0", "1"), ("-0", "0"), ("0.5", ".5"), (".50", ".5"),
     ("1e-2", ".01"), ("1234567890123456789", "1234567890123456780"),
     ("1234567890.123456789", "1234567890.12345678"), ("1E-50", "0"), ("-1.5E2", "-150")],
)  # fmt: skip
def test_number_literals_become_what_gtm_stores(literal: str, text: str) -> None:
    assert number_literal(literal) == text


@pytest.mark.parametrize("literal", ["1E47", "-2E50", "abc", "1..2"])
def test_number_literal_refuses_overflow_and_non_numbers(literal: str) -> None:
    with pytest.raises(ValueError):
        number_literal(literal)


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20))
def test_literal_of_any_decimal_is_canonical_and_stable(value: Decimal) -> None:
    text = number_literal(str(value))
    assert is_canonical_number(text)
    assert number_literal(text) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**18) + 1, 10**18 - 1), st.integers(0, 8))
def test_canonical_text_round_trips_through_decimal(mantissa: int, scale: int) -> None:
    text = canonical_number(Decimal(mantissa).scaleb(-scale))
    assert is_canonical_number(text)
    assert canonical_number(Decimal(text)) == text


@pytest.mark.parametrize("text", ["1E47", "-1e99999999", "1E999"])
def test_canonical_number_refuses_numbers_outside_m_range(text: str) -> None:
    with pytest.raises(ValueError, match="outside M's range"):
        canonical_number(text)


def test_canonical_number_turns_underflow_into_zero_and_bad_text_into_value_error() -> None:
    assert canonical_number("1E-44") == "0"
    assert canonical_number("1E-43") == ".0000000000000000000000000000000000000000001"
    with pytest.raises(ValueError, match="not a number"):
        canonical_number("abc")
