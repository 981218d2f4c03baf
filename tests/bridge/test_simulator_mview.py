"""The M helpers the handlers lean on: $P, SET $P, unary +, FileMan dates."""

from __future__ import annotations

from datetime import datetime

import pytest

from bridge.simulator.mview import fm_date, fm_now, horolog, m_number, piece, set_piece


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", 0.0),
        ("12", 12.0),
        ("007", 7.0),
        ("-3.5x", -3.5),
        ("--2", 2.0),
        ("+-.5", -0.5),
        ("abc", 0.0),
        (" 1", 0.0),
        ("1E5", 100000.0),
        ("2E-1x", 0.2),
        ("3260101.0443", 3260101.0443),
    ],
)
def test_m_number_is_ms_unary_plus(text: str, value: float) -> None:
    assert m_number(text) == value


def test_piece_and_set_piece_pad_like_m() -> None:
    assert piece("a^b^c", 2) == "b" and piece("a^b", 5) == "" and piece("a", 0) == ""
    assert set_piece("^0^^", 1, "3261127.0443") == "3261127.0443^0^^"
    assert set_piece("", 3, "1") == "^^1"


def test_fileman_dates_and_horolog() -> None:
    moment = datetime(2026, 11, 27, 4, 30, 0)
    assert fm_date(moment) == "3261127"
    assert fm_now(moment) == "3261127.043"
    assert fm_now(datetime(2026, 11, 27)) == "3261127"
    assert horolog(moment) == "67901,16200"
