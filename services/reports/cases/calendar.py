"""Working days in Việt Nam: weekends and public holidays (Tết and Hùng Kings follow the lunar calendar).

Deadlines count whole working days after the day a case was received and fall at the close of
office hours, as the city's SLA rules (emergency 1 working day, quick 3, normal N) are written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays

VIETNAM = timezone(timedelta(hours=7), "ICT")
OFFICE_CLOSE = time(17, 0)


@lru_cache(maxsize=64)
def _year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, Saturdays/Sundays made working days by a government swap) of one year."""
    vn = holidays.country_holidays("VN", years=year)
    workdays = frozenset(d for d in getattr(vn, "weekend_workdays", ()) if d.year == year)
    return frozenset(vn.keys()), workdays


def is_working_day(day: date) -> bool:
    days_off, swapped_workdays = _year(day.year)
    if day in swapped_workdays:
        return True
    return day.weekday() < 5 and day not in days_off


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def deadline(received_at: datetime, working_days: int) -> datetime:
    """Office close (17:00 Vietnam time) of the ``working_days``-th working day after receipt, in UTC."""
    local_day = received_at.astimezone(VIETNAM).date()
    due_day = add_working_days(local_day, working_days)
    return datetime.combine(due_day, OFFICE_CLOSE, VIETNAM).astimezone(UTC)


def local_date(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()
