"""FHIR date search semantics over imprecise dates.

FHIR compares a search date and a resource date as *ranges*: ``2024`` means the whole year,
``2024-03-05`` the whole day, and FileMan's imprecise dates (month or day 00) are ranges too.
Both sides become half-open ``[start, end)`` intervals of naive local datetimes (VistA keeps
site-local time); the prefixes follow the rules of FHIR R4 search section 3.1.1.5.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from bridge.fhir.errors import InvalidSearchError

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True, slots=True)
class DateRange:
    """A half-open interval ``[start, end)`` of naive datetimes."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, value: date | datetime, precision: str = "") -> DateRange:
        """The range a value covers: a datetime is one second, a date one day, unless
        ``precision`` (``year`` or ``month``) widens it, as for FileMan's imprecise dates."""
        if isinstance(value, datetime):
            start = value.replace(tzinfo=None, microsecond=0)
            return cls(start, start + timedelta(seconds=1))
        if precision == "year":
            return cls(datetime(value.year, 1, 1), datetime(value.year + 1, 1, 1))
        if precision == "month":
            return cls(datetime(value.year, value.month, 1), _next_month(value.year, value.month))
        start = datetime(value.year, value.month, value.day)
        return cls(start, start + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class DateParam:
    """One parsed date search value: a prefix and the range its text covers."""

    prefix: str
    range: DateRange

    def matches(self, target: DateRange) -> bool:
        """Whether a resource's date range satisfies this parameter (FHIR R4 3.1.1.5.1)."""
        p, t = self.range, target
        contained = t.start >= p.start and t.end <= p.end
        match self.prefix:
            case "eq":
                return contained
            case "ne":
                return not contained
            case "gt":
                return t.end > p.end
            case "lt":
                return t.start < p.start
            case "ge":
                return t.end > p.end or contained
            case "le":
                return t.start < p.start or contained
            case "sa":
                return t.start >= p.end
            case "eb":
                return t.end <= p.start
            case _:  # "ap": overlap, widened by a tenth of the gap to now (at least a day)
                slack = max(abs(datetime.now() - p.start) / 10, timedelta(days=1))
                return t.start < p.end + slack and t.end > p.start - slack


def parse_date_param(name: str, raw: str, zone: tzinfo | None = None) -> DateParam:
    """Parse ``[prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]`` or raise InvalidSearchError.

    A time given with a zone is moved to ``zone`` (the site's, in which VistA keeps its times
    and our resources show them); without one it is taken as site time already."""
    prefix = "eq"
    text = raw
    if len(raw) > 2 and raw[:2] in PREFIXES:
        prefix, text = raw[:2], raw[2:]
    m = _DATE_RE.match(text)
    if m is None:
        raise InvalidSearchError(
            f"search parameter {name!r}: {raw!r} is not a FHIR date "
            "(expected [prefix]YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone])"
        )
    try:
        year = int(m["y"])
        if m["m"] is None:
            rng = DateRange(datetime(year, 1, 1), datetime(year + 1, 1, 1))
        elif m["d"] is None:
            month = int(m["m"])
            rng = DateRange(datetime(year, month, 1), _next_month(year, month))
        elif m["H"] is None:
            day = datetime(year, int(m["m"]), int(m["d"]))
            rng = DateRange(day, day + timedelta(days=1))
        else:
            start = datetime(
                year, int(m["m"]), int(m["d"]), int(m["H"]), int(m["M"]), int(m["S"] or 0)
            )
            offset = _offset(m["tz"]) if m["tz"] else None
            if offset is not None and zone is not None:
                start = start.replace(tzinfo=offset).astimezone(zone).replace(tzinfo=None)
            width = timedelta(seconds=1) if m["S"] else timedelta(minutes=1)
            rng = DateRange(start, start + width)
    except ValueError:
        raise InvalidSearchError(
            f"search parameter {name!r}: {raw!r} is not a real calendar date"
        ) from None
    return DateParam(prefix, rng)


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError("zone offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _next_month(year: int, month: int) -> datetime:
    if month < 1 or month > 12:
        raise ValueError("month out of range")
    return datetime(year + 1, 1, 1) if month == 12 else datetime(year, month + 1, 1)
