"""Search parameter parsing and FHIR date-range semantics."""

from __future__ import annotations

from datetime import datetime

import pytest

from bridge.fhir.dates import DateRange, parse_date_param
from bridge.fhir.errors import InvalidSearchError
from bridge.fhir.params import MAX_COUNT, Token, parse_query

SPEC = {"name": "string", "date": "date", "code": "token", "patient": "reference"}


def q(*pairs: tuple[str, str]):  # type: ignore[no-untyped-def]
    return parse_query("Observation", pairs, SPEC)  # type: ignore[arg-type]


def test_repeated_parameter_is_and_comma_is_or() -> None:
    query = q(("date", "ge2024-01-01"), ("date", "lt2024-02"), ("code", "a,http://loinc.org|b"))
    assert [c.name for c in query.criteria] == ["date", "date", "code"]
    assert query.criteria[2].values == (Token(None, "a"), Token("http://loinc.org", "b"))


def test_escaped_comma_stays_in_the_value() -> None:
    assert q(("name", r"a\,b")).criteria[0].values == ("a,b",)


@pytest.mark.parametrize(
    "pairs",
    [
        [("nope", "1")],
        [("name:below", "x")],
        [("date", "2024-13-01")],
        [("date", "2024-02-30")],
        [("date", "yesterday")],
        [("_count", str(MAX_COUNT + 1))],
        [("_count", "-1")],
        [("_count", "ten")],
        [("patient", "Practitioner/3")],
        [("patient", "bad id!")],
        [("name", "")],
    ],
)
def test_bad_search_input_is_refused_with_a_reason(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidSearchError):
        q(*pairs)


def test_reference_accepts_bare_id_and_patient_slash_id() -> None:
    assert q(("patient", "Patient/12")).criteria[0].values == ("12",)
    assert q(("patient", "12")).criteria[0].values == ("12",)


def _r(a: datetime, b: datetime) -> DateRange:
    return DateRange(a, b)


DAY = _r(datetime(2024, 5, 6, 9, 35), datetime(2024, 5, 6, 9, 35, 1))


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("2024", True),
        ("2024-05", True),
        ("2024-05-06", True),
        ("2024-05-07", False),
        ("ne2024-05-07", True),
        ("gt2024-05-05", True),
        ("gt2024-05-06", False),
        ("ge2024-05-06", True),
        ("lt2024-05-06", False),
        ("le2024-05-06", True),
        ("lt2024-05-07", True),
        ("sa2024-05-05", True),
        ("eb2024-05-07", True),
        ("eb2024-05-06", False),
        ("2024-05-06T09:35", True),
        ("2024-05-06T09:36:00Z", False),
    ],
)
def test_date_prefixes_compare_ranges(param: str, expected: bool) -> None:
    assert parse_date_param("date", param).matches(DAY) is expected


def test_a_time_with_a_zone_is_moved_to_the_site_zone() -> None:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    # 13:35Z is 09:35 in New York (EDT) on that day: the measurement's site-local time
    assert parse_date_param("date", "2024-05-06T13:35:00Z", ny).matches(DAY)
    assert not parse_date_param("date", "2024-05-06T09:35:00Z", ny).matches(DAY)
    assert parse_date_param("date", "2024-05-06T09:35:00-04:00", ny).matches(DAY)


def test_a_zone_offset_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidSearchError):
        parse_date_param("date", "2024-05-06T09:35:00+25:00")
