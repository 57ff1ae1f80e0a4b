"""Period identifiers: parsing the ISO-like forms departments send, and rolling periods up.

Canonical forms (what we store and return): ``2026`` (yearly), ``2026Q1`` (quarterly),
``2026-01`` (monthly), ``2026W05`` (ISO week), ``2026-01-15`` (daily). Accepted on input as well:
``202601`` and ``20260115`` (DHIS2), ``2026W5``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from shared.errors import InvalidInputError

# Periods are the city's calendar periods: "today" and deadlines are dates in Vietnam (UTC+7).
VIETNAM = timezone(timedelta(hours=7), "ICT")


def local_today() -> date:
    return datetime.now(VIETNAM).date()


class PeriodType(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


# Finer periods roll up into coarser ones; the rank orders them.
RANK = {
    PeriodType.DAILY: 0,
    PeriodType.WEEKLY: 1,
    PeriodType.MONTHLY: 2,
    PeriodType.QUARTERLY: 3,
    PeriodType.YEARLY: 4,
}


class PeriodError(ValueError):
    """The text is not a period identifier we understand."""


# A city's reporting calendar, not Python's: bounding the years keeps every step from a period (its
# neighbours, a deadline after it) inside ``date``'s range, so no input can overflow it into a 500.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
# A day a client may send or ask about: outside the calendar there is nothing to report.
CalendarDay = Annotated[date, Field(ge=EARLIEST, le=LATEST)]
# The most periods one request may span: 27 years of days, thousands of years of months.
MAX_PERIODS = 10_000


@dataclass(frozen=True, slots=True)
class Period:
    type: PeriodType
    start: date
    end: date

    @property
    def iso(self) -> str:
        s = self.start
        match self.type:
            case PeriodType.YEARLY:
                return f"{s.year:04d}"
            case PeriodType.QUARTERLY:
                return f"{s.year:04d}Q{(s.month - 1) // 3 + 1}"
            case PeriodType.MONTHLY:
                return f"{s.year:04d}-{s.month:02d}"
            case PeriodType.WEEKLY:
                year, week, _ = s.isocalendar()
                return f"{year:04d}W{week:02d}"
            case PeriodType.DAILY:
                return s.isoformat()

    @property
    def dhis2(self) -> str:
        """The identifier DHIS2 clients expect (``202601``, ``2026W5``, ``20260115``)."""
        s = self.start
        match self.type:
            case PeriodType.MONTHLY:
                return f"{s.year:04d}{s.month:02d}"
            case PeriodType.WEEKLY:
                year, week, _ = s.isocalendar()
                return f"{year:04d}W{week}"
            case PeriodType.DAILY:
                return s.strftime("%Y%m%d")
            case _:
                return self.iso

    def next(self) -> Period:
        return period_containing(self.end + timedelta(days=1), self.type)

    def previous(self) -> Period:
        return period_containing(self.start - timedelta(days=1), self.type)


_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_MONTH = re.compile(r"(\d{4})-?(\d{2})")
_WEEK = re.compile(r"(\d{4})W(\d{1,2})")
_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(text: str) -> Period:
    """Parse one identifier; raise ``PeriodError`` with the reason when it is not valid."""
    t = text.strip().upper()
    if (m := _YEAR.match(t)) and not EARLIEST.year <= int(m[1]) <= LATEST.year:
        raise PeriodError(f"year {m[1]} outside the supported years {EARLIEST.year}-{LATEST.year}")
    if m := _YEAR.fullmatch(t):
        year = int(m[1])
        return Period(PeriodType.YEARLY, date(year, 1, 1), date(year, 12, 31))
    if m := _QUARTER.fullmatch(t):
        year, q = int(m[1]), int(m[2])
        return Period(PeriodType.QUARTERLY, date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
    if len(t) in (6, 7) and (m := _MONTH.fullmatch(t)):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"month {month} out of range 01-12")
        return Period(PeriodType.MONTHLY, date(year, month, 1), _month_end(year, month))
    if m := _WEEK.fullmatch(t):
        year, week = int(m[1]), int(m[2])
        try:
            start = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise PeriodError(f"ISO year {year} has no week {week}") from None
        return Period(PeriodType.WEEKLY, start, start + timedelta(days=6))
    if len(t) in (8, 10) and (m := _DAY.fullmatch(t)):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise PeriodError(f"not a calendar date: {exc}") from None
        return Period(PeriodType.DAILY, day, day)
    raise PeriodError("unknown period format (expected e.g. 2026, 2026Q1, 2026-01, 202601, 2026W05, 2026-01-15)")


def period_containing(day: date, type_: PeriodType) -> Period:
    match type_:
        case PeriodType.DAILY:
            return Period(type_, day, day)
        case PeriodType.WEEKLY:
            start = day - timedelta(days=day.weekday())
            return Period(type_, start, start + timedelta(days=6))
        case PeriodType.MONTHLY:
            return Period(type_, day.replace(day=1), _month_end(day.year, day.month))
        case PeriodType.QUARTERLY:
            q0 = 3 * ((day.month - 1) // 3) + 1
            return Period(type_, date(day.year, q0, 1), _month_end(day.year, q0 + 2))
        case PeriodType.YEARLY:
            return Period(type_, date(day.year, 1, 1), date(day.year, 12, 31))


def anchor_day(period: Period) -> date:
    """The day that decides which coarser period a value belongs to.

    A week straddling two months or years belongs, as in ISO 8601, to the one holding its Thursday.
    """
    if period.type is PeriodType.WEEKLY:
        return period.start + timedelta(days=3)
    return period.start


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period of ``first``'s type from ``first`` through ``last`` (inclusive), at most ``MAX_PERIODS``."""
    out: list[Period] = []
    p = first
    while p.start <= last.start:
        if len(out) == MAX_PERIODS:
            raise PeriodError(f"{first.iso} to {last.iso} spans more than {MAX_PERIODS} {first.type} periods")
        out.append(p)
        p = p.next()
    return out


def period_param(value: str, field: str) -> Period:
    """``value`` parsed, or the client's ``field`` is invalid."""
    try:
        return parse_period(value)
    except PeriodError as exc:
        raise InvalidInputError(f"invalid period '{value}': {exc}", field=field) from None


def period_range(first_day: date, last_day: date, period_type: PeriodType, field: str) -> list[Period]:
    """The ``period_type`` periods covering ``first_day`` through ``last_day``; too long a span is ``field``'s fault."""
    try:
        return periods_between(period_containing(first_day, period_type), period_containing(last_day, period_type))
    except PeriodError as exc:
        raise InvalidInputError(str(exc), field=field) from None
