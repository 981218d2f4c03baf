"""FileMan dates: internal <-> ISO 8601 <-> Python, imprecise dates, midnight, FMTE output."""

from __future__ import annotations

import datetime as dt
from calendar import monthrange

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.fmdate import FMDate, FMDateError, fast_iso, fm_to_external, fm_to_iso, iso_to_fm


@st.composite
def fm_dates(draw: st.DrawFn) -> FMDate:
    year = draw(st.integers(1700, 2699))
    month = draw(st.integers(0, 12))
    day = 0
    if month:
        day = draw(st.integers(0, monthrange(year, month)[1]))
    if not day or draw(st.booleans()):
        return FMDate(year, month, day)
    hour = draw(st.integers(0, 24))
    if hour == 24:
        return FMDate(year, month, day, 24)
    minute, second = draw(st.integers(0, 59)), draw(st.integers(0, 59))
    if (hour, minute, second) == (0, 0, 0):
        second = 1
    return FMDate(year, month, day, hour, minute, second)


@given(fm_dates())
def test_internal_round_trip(d: FMDate) -> None:
    assert FMDate.parse(d.to_internal()) == d


@given(fm_dates())
def test_iso_round_trip(d: FMDate) -> None:
    assert FMDate.from_iso(d.to_iso()) == d
    assert iso_to_fm(fm_to_iso(d.to_internal())) == d.to_internal()


@given(fm_dates())
def test_python_round_trip_for_precise_dates(d: FMDate) -> None:
    if d.is_imprecise:
        with pytest.raises(FMDateError):
            d.to_python()
        return
    assert FMDate.from_python(d.to_python()) == d


@given(st.datetimes(min_value=dt.datetime(1700, 1, 2), max_value=dt.datetime(2699, 12, 31)))
def test_python_datetimes_survive_fileman(value: dt.datetime) -> None:
    value = value.replace(microsecond=0)
    assert FMDate.parse(FMDate.from_python(value).to_internal()).to_python() == value


def test_imprecise_dates_stay_imprecise() -> None:
    assert fm_to_iso("3230400") == "2023-04"
    assert fm_to_iso("3230000") == "2023"
    assert FMDate.parse("3230400").is_imprecise
    assert iso_to_fm("2023-04") == "3230400"


def test_midnight_is_24_of_the_day_that_ends() -> None:
    assert fm_to_iso("3230415.24") == "2023-04-16T00:00:00"
    assert iso_to_fm("2023-04-16T00:00:00") == "3230415.24"
    assert iso_to_fm("2023-04-15T24:00") == "3230415.24"
    assert FMDate.from_python(dt.datetime(2024, 3, 1)).to_internal() == "3240229.24"


def test_seconds_and_trailing_zeros() -> None:
    assert FMDate.parse("3230415.103").to_iso() == "2023-04-15T10:30:00"
    assert FMDate.parse("3230415.10300").to_internal() == "3230415.103"
    assert FMDate.parse("3230415.000001").to_iso() == "2023-04-15T00:00:01"
    assert iso_to_fm("2023-04-15T10:30:05") == "3230415.103005"


@pytest.mark.parametrize(
    "bad",
    [
        "3231345",
        "3230230",
        "323041",
        "3230415.2460",
        "3230415.1261",
        "ABC",
        "3230015",
        "3230400.1",
        "-3230415",
        "",
        "3230415.",
        "3230415.1234567",
    ],
)
def test_invalid_internal_dates_raise(bad: str) -> None:
    with pytest.raises(FMDateError):
        FMDate.parse(bad)


@pytest.mark.parametrize(
    "bad", ["2023-13-01", "2023-02-30", "23-04-15", "2023-04-15T25:00", "2023-04-15T10:30+01:00"]
)
def test_invalid_iso_raises(bad: str) -> None:
    with pytest.raises(FMDateError):
        FMDate.from_iso(bad)


@pytest.mark.parametrize(
    ("internal", "flags", "expected"),
    [
        ("3230415.103", "1U", "APR 15, 2023@10:30"),
        ("3230415.103", "5U", "APR 15,2023@10:30"),
        ("3230405.1", "5U", "APR 5,2023@10:00"),
        ("3230405.1", "1", "Apr 05, 2023@10:00"),
        ("3230415.103005", "5U", "APR 15,2023@10:30:05"),
        ("3230415.103", "5US", "APR 15,2023@10:30:00"),
        ("3230415.103", "5UD", "APR 15,2023"),
        ("3230415", "5U", "APR 15,2023"),
        ("3230400", "5U", "APR 2023"),
        ("3230000", "5U", "2023"),
        ("3230415.24", "5U", "APR 15,2023@24:00"),
        ("3230415.143", "1P", "Apr 15, 2023 2:30 pm"),
        ("3230415.0930", "1P", "Apr 15, 2023 9:30 am"),
        ("3230415.143", "2", "4/15/23@14:30"),
        ("3230415", "3", "15/4/23"),
        ("3230415", "4", "23/04/15"),
        ("3230415.143", "6", "04-15-2023 @ 14:30   "),
        ("3230405", "7", "4-5-2023"),
        ("3230400", "7", "4-2023"),
        ("", "5U", ""),
        ("0", "5U", "0"),
    ],
)
def test_external_form_follows_fmte(internal: str, flags: str, expected: str) -> None:
    assert fm_to_external(internal, flags) == expected


@given(fm_dates())
def test_fast_iso_agrees_with_the_parser(d: FMDate) -> None:
    internal = d.to_internal()
    fast = fast_iso(internal)
    if d.is_imprecise or d.hour == 24:
        assert fast is None
    else:
        assert fast == d.to_iso()


@given(st.text(alphabet="0123456789.", max_size=16))
def test_fast_iso_never_accepts_what_the_parser_refuses(text: str) -> None:
    fast = fast_iso(text)
    if fast is not None:
        assert FMDate.parse(text).to_iso() == fast
