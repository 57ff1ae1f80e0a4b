"""The period of a briefing: an ISO week (``2026-W49``) or a month (``2026-11``).

The reports service names the same periods ``2026W49`` and ``2026-11`` (datavalues/periods.py); a
briefing also needs the periods before it, for the trend of each indicator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from shared.errors import InvalidInputError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The reporting calendar's years (reports refuses periods outside them too).
FIRST_YEAR, LAST_YEAR = 1900, 2999
Kind = Literal["week", "month"]


@dataclass(frozen=True, slots=True)
class BriefingPeriod:
    kind: Kind
    start: date
    # The day after the period's last day.
    end: date

    @property
    def name(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def reports_id(self) -> str:
        """The period as the reports service names it."""
        return self.name.replace("-W", "W")

    @property
    def period_type(self) -> str:
        return "weekly" if self.kind == "week" else "monthly"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end, datetime.min.time(), UTC)

    def back(self, n: int) -> BriefingPeriod:
        """The period ``n`` periods before this one."""
        if self.kind == "week":
            return week_of(self.start - timedelta(weeks=n))
        months = self.start.year * 12 + self.start.month - 1 - n
        return month_of(months // 12, months % 12 + 1)


def week_of(day: date) -> BriefingPeriod:
    monday = day - timedelta(days=day.weekday())
    return BriefingPeriod("week", monday, monday + timedelta(days=7))


def month_of(year: int, month: int) -> BriefingPeriod:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return BriefingPeriod("month", first, following)


def parse_period(text: str) -> BriefingPeriod:
    """``2026-W49`` or ``2026-11``; anything else is a 422 naming ``period``."""
    if week := _WEEK.match(text):
        year, number = int(week[1]), int(week[2])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 53:
            try:
                return week_of(date.fromisocalendar(year, number, 1))
            except ValueError:
                pass  # week 53 of a year that has 52
    elif month := _MONTH.match(text):
        year, number = int(month[1]), int(month[2])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 12:
            return month_of(year, number)
    raise InvalidInputError(
        f"period {text!r} is neither an ISO week like 2026-W49 nor a month like 2026-11", field="period"
    )


def current_week(now: datetime) -> BriefingPeriod:
    return week_of(now.date())
