"""FileMan dates and times: ``YYYMMDD.HHMMSS`` with the year counted from 1700.

``3230415.103`` is 15 April 2023 at 10:30.  FileMan also stores *imprecise* dates (month or day
``00``: ``3230400`` is "April 2023", ``3230000`` is "2023") and writes midnight as ``.24`` of the
day that ends (``$H`` time 0 becomes the previous day's 86400 in HTFM^DILIBF).  This module keeps
both honest: an imprecise date becomes a reduced-precision ISO string (``2023-04``), never a
made-up day, and midnight becomes the next day's ``T00:00:00`` in ISO and Python, and ``.24``
again on the way back.

:func:`fm_to_external` prints what FileMan prints (FMTE^DILIBF, every format 1-7 and the ``U``,
``S``, ``P``, ``D`` flags).  FileMan's own external form of a date field is whatever
``^DD("DD")`` says; VA FileMan 22 sets it to ``S Y=$$FMTE^DILIBF(Y,"5U")`` (EGP^DINIT11A), so
:data:`DEFAULT_FORMAT` is ``"5U"`` (``APR 15,2023@10:30``); format ``1U`` gives
``APR 15, 2023@10:30``.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass

from parsers.errors import ParseError

__all__ = [
    "DEFAULT_FORMAT",
    "FMDate",
    "FMDateError",
    "fast_iso",
    "fm_to_external",
    "fm_to_iso",
    "iso_to_fm",
]

DEFAULT_FORMAT = "5U"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INTERNAL = re.compile(r"([0-9]{7})(?:\.([0-9]{1,6}))?\Z")
_ISO = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?)?)?\Z"
)


class FMDateError(ParseError):
    """A string is not a valid FileMan (or ISO) date."""


@dataclass(frozen=True, order=True, slots=True)
class FMDate:
    """A FileMan date, possibly imprecise (``month``/``day`` 0), possibly with a time.

    ``hour`` is None when there is no time; ``hour == 24`` (with 0 minutes and seconds) is
    FileMan's midnight at the end of the day.
    """

    year: int
    month: int = 0
    day: int = 0
    hour: int | None = None
    minute: int = 0
    second: int = 0

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def is_imprecise(self) -> bool:
        return self.month == 0 or self.day == 0

    @property
    def has_time(self) -> bool:
        return self.hour is not None

    # ---- internal form -------------------------------------------------------------
    @classmethod
    def parse(cls, internal: str) -> FMDate:
        """Parse an internal value (``3230415``, ``3230415.1``, ``3230400``)."""
        m = _INTERNAL.match(internal) if isinstance(internal, str) else None
        if m is None:
            raise FMDateError("not a FileMan date (YYYMMDD[.HHMMSS])", text=str(internal))
        digits = m.group(1)
        year, month, day = 1700 + int(digits[:3]), int(digits[3:5]), int(digits[5:7])
        frac = m.group(2)
        if frac is None or int(frac) == 0:
            return _make(internal, year, month, day, None, 0, 0)
        frac = (frac + "000000")[:6]
        return _make(internal, year, month, day, int(frac[:2]), int(frac[2:4]), int(frac[4:6]))

    def to_internal(self) -> str:
        """The canonical internal string (no trailing zeros in the time)."""
        text = f"{self.year - 1700:03d}{self.month:02d}{self.day:02d}"
        if self.hour is None:
            return text
        frac = f"{self.hour:02d}{self.minute:02d}{self.second:02d}".rstrip("0")
        return text + "." + frac

    # ---- ISO 8601 and Python -------------------------------------------------------
    def to_iso(self) -> str:
        """ISO 8601: ``2023``, ``2023-04``, ``2023-04-15`` or ``2023-04-15T10:30:00``."""
        if self.month == 0:
            return f"{self.year:04d}"
        if self.day == 0:
            return f"{self.year:04d}-{self.month:02d}"
        if self.hour is None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return self.to_python().isoformat()

    def to_python(self) -> dt.date | dt.datetime:
        """A ``date`` or ``datetime``; midnight (``.24``) is the next day at 00:00.

        Raises :class:`FMDateError` for an imprecise date: Python has no "April 2023".
        """
        if self.is_imprecise:
            raise FMDateError("an imprecise FileMan date has no Python date", text=self.to_iso())
        if self.hour is None:
            return dt.date(self.year, self.month, self.day)
        if self.hour == 24:
            return dt.datetime(self.year, self.month, self.day) + dt.timedelta(days=1)
        return dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second)

    @classmethod
    def from_python(cls, value: dt.date | dt.datetime) -> FMDate:
        """From a ``date`` or naive ``datetime``; 00:00:00 becomes ``.24`` of the day before."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                raise FMDateError("FileMan dates carry no time zone", text=value.isoformat())
            if (value.hour, value.minute, value.second) == (0, 0, 0):
                prev = value.date() - dt.timedelta(days=1)
                return cls(prev.year, prev.month, prev.day, 24, 0, 0)
            return cls(value.year, value.month, value.day, value.hour, value.minute, value.second)
        return cls(value.year, value.month, value.day)

    @classmethod
    def from_iso(cls, text: str) -> FMDate:
        """From ISO 8601 as :meth:`to_iso` writes it (also ``T24:00`` and no seconds)."""
        m = _ISO.match(text) if isinstance(text, str) else None
        if m is None:
            raise FMDateError("not an ISO 8601 date", text=str(text))
        y, mo, d, hh, mi, ss = m.groups()
        year, month, day = int(y), int(mo or 0), int(d or 0)
        if hh is None:
            return _make(text, year, month, day, None, 0, 0)
        hour, minute, second = int(hh), int(mi), int(ss or 0)
        if hour == 0 and minute == 0 and second == 0:
            _make(text, year, month, day, None, 0, 0)
            return cls.from_python(dt.datetime(year, month, day))
        return _make(text, year, month, day, hour, minute, second)


def _make(
    text: str, year: int, month: int, day: int, hour: int | None, minute: int, second: int
) -> FMDate:
    try:
        return FMDate(year, month, day, hour, minute, second)
    except FMDateError as exc:
        raise FMDateError(exc.message, text=text) from None


def _validate(d: FMDate) -> None:
    if not 1700 <= d.year <= 2699:
        raise FMDateError(f"year {d.year} is outside FileMan's 1700-2699")
    if not 0 <= d.month <= 12:
        raise FMDateError(f"month {d.month} is not 00-12")
    if d.month == 0 and d.day != 0:
        raise FMDateError("a day without a month")
    if d.day and not 1 <= d.day <= monthrange(d.year, d.month)[1]:
        raise FMDateError(f"day {d.day} is not in month {d.month} of {d.year}")
    if d.hour is None:
        if d.minute or d.second:
            raise FMDateError("minutes or seconds without an hour")
        return
    if d.day == 0:
        raise FMDateError("a time on an imprecise date")
    if not 0 <= d.hour <= 24 or not 0 <= d.minute <= 59 or not 0 <= d.second <= 59:
        raise FMDateError("time is not HH 00-24, MM 00-59, SS 00-59")
    if d.hour == 24 and (d.minute or d.second):
        raise FMDateError("24 is only valid as 24:00:00 (midnight)")
    if (d.hour, d.minute, d.second) == (0, 0, 0):
        raise FMDateError("time 00:00:00 is not stored: FileMan writes midnight as .24")


_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def fast_iso(internal: str) -> str | None:
    """ISO 8601 of a precise internal date (``YYYMMDD`` or ``YYYMMDD.HHMM[SS]``) without
    building an :class:`FMDate`: the decoder's hot path.  None for anything else (imprecise,
    midnight, invalid, odd shapes): the caller then uses :meth:`FMDate.parse`, which decides
    and explains; tests check both agree."""
    n = len(internal)
    if n < 7 or not internal[:7].isdigit() or (n > 7 and internal[7] != "."):
        return None
    y, m, d = 1700 + int(internal[:3]), int(internal[3:5]), int(internal[5:7])
    if not (1 <= m <= 12 and 1 <= d <= _DAYS[m]) or (m == 2 and d == 29 and not _leap(y)):
        return None
    if n == 7:
        return f"{y:04d}-{internal[3:5]}-{internal[5:7]}"
    frac = internal[8:]
    if not 1 <= len(frac) <= 6 or not frac.isdigit() or frac[-1] == "0":
        return None
    frac = (frac + "00000")[:6]
    hh, mi, ss = int(frac[:2]), int(frac[2:4]), int(frac[4:])
    if hh > 23 or mi > 59 or ss > 59:
        return None
    return f"{y:04d}-{internal[3:5]}-{internal[5:7]}T{frac[:2]}:{frac[2:4]}:{frac[4:]}"


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def fm_to_iso(internal: str) -> str:
    """Internal FileMan date to ISO 8601 (raises :class:`FMDateError` when invalid)."""
    return FMDate.parse(internal).to_iso()


def iso_to_fm(text: str) -> str:
    """ISO 8601 to the internal FileMan form."""
    return FMDate.from_iso(text).to_internal()


def _fmt_number(flags: str) -> int:
    m = re.match(r"\s*([0-9]+(?:\.[0-9]*)?)", flags)
    num = float(m.group(1)) if m else 0.0
    if num < 1 or num > 7:
        return 1
    return int(num)


def fm_to_external(internal: str, flags: str = DEFAULT_FORMAT) -> str:
    """FileMan's printed form of an internal date, as FMTE^DILIBF builds it.

    Format 1 ``Apr 15, 2023@10:30``; 2 ``4/15/23``; 3 ``15/4/23``; 4 ``23/04/15``;
    5 ``Apr 15,2023``; 6 ``04-15-2023``; 7 ``4-15-2023``.  Flags: ``U`` upper-case month,
    ``S`` always seconds, ``P`` am/pm, ``D`` date only.  Like FMTE, a value that is empty or
    numerically zero is returned unchanged and the date is not validated: call
    :meth:`FMDate.parse` first when the value comes from outside.
    """
    y = internal
    if not _m_true(y):
        return y
    fmt = _fmt_number(flags)
    date, _, frac = y.partition(".")
    t = "." + (frac + "000000")[:7]
    mm, dd = date[3:5], date[5:7]
    year = str(int(date[0:3] or "0") + 1700)
    if fmt in (1, 5):
        month_n = int(mm or 0)
        name = ""
        if 1 <= month_n <= 12:
            name = _MONTHS[month_n - 1].upper() if "U" in flags else _MONTHS[month_n - 1]
        out = name + (" " if month_n else "")
        if int(dd or 0):
            out += (dd if fmt != 5 else str(int(dd))) + (", " if fmt != 5 else ",")
        out += year
    elif fmt == 2:
        out = f"{int(mm or 0)}/{int(dd or 0)}/{date[1:3]}"
    elif fmt == 3:
        out = f"{int(dd or 0)}/{int(mm or 0)}/{date[1:3]}"
    elif fmt == 4:
        out = f"{date[1:3]}/{mm}/{dd}"
    elif fmt == 6:
        out = (mm + "-" if int(mm or 0) else "") + (dd + "-" if int(dd or 0) else "") + year
    else:
        out = (f"{int(mm)}-" if int(mm or 0) else "") + (f"{int(dd)}-" if int(dd or 0) else "")
        out += year
    return out + _time_part(t, fmt, flags)


def _m_true(value: str) -> bool:
    """M truth of a string: its numeric interpretation is non-zero."""
    m = re.match(r"[+-]*([0-9]*\.?[0-9]*)", value)
    digits = m.group(1) if m else ""
    return any(c in "123456789" for c in digits)


def _time_part(t: str, fmt: int, flags: str) -> str:
    # TM^DILIBF: no time when the fraction is zero or the D flag asks for the date only
    hh, mi, ss = t[1:3], t[3:5], t[5:7]
    if int(hh + mi + ss) == 0 or "D" in flags:
        return ""
    secs = ":" + ss if int(ss) or "S" in flags else ""
    if "P" not in flags:
        sep = " @ " if fmt == 6 else "@"
        tail = secs if secs or fmt != 6 else "   "
        return f"{sep}{hh}:{mi}{tail}"
    hour = int(hh)
    shown = hour - 12 if hour > 12 else hour
    ampm = " pm" if int(hh + mi) // 1200 == 1 else " am"
    return f" {shown}:{mi}{secs}{ampm}"
