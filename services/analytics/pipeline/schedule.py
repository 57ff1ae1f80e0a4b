"""When a rule applies: weekly windows in local time (Asia/Ho_Chi_Minh), with Vietnamese public
holidays and Tết from the ``holidays`` package either included like any other day, skipped, or the only
days the window applies on (a festival-day profile).

A window belongs to the local date it opens on: a Friday 19:00–05:00 window runs until Saturday 05:00,
and whether it applies (weekday, holiday) is decided by the Friday. ``from == to`` is a whole day from
``from``. A schedule is active when any of its windows is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

HolidayMode = Literal["include", "skip", "only"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCAL_TIMEZONE = "Asia/Ho_Chi_Minh"


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    # The same calendar reports uses for case deadlines (cases/calendar.py): Tết and Hùng Kings follow
    # the lunar calendar, so they come from the package rather than a list kept here.
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_holiday(day: date) -> bool:
    """A Vietnamese public holiday (New Year, the Tết days, Hùng Kings, 30/4, 1/5, National Day...)."""
    return day in _holidays(day.year)


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # weekday numbers, Monday = 0
    start: time
    end: time
    holidays: HolidayMode = "include"

    def applies_on(self, day: date) -> bool:
        """Does the window open on this local date?"""
        if day.weekday() not in self.days:
            return False
        if self.holidays == "include":
            return True
        return is_holiday(day) == (self.holidays == "only")

    def covers(self, local: datetime) -> bool:
        """Is the local (naive, wall-clock) moment inside an occurrence of this window?"""
        t, today = local.time(), local.date()
        if self.start < self.end:
            return self.start <= t < self.end and self.applies_on(today)
        # Wrapping midnight (or a whole day when start == end): the evening part belongs to today,
        # the early-morning part to the window that opened yesterday.
        if t >= self.start:
            return self.applies_on(today)
        return t < self.end and self.applies_on(today - timedelta(days=1))


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...]
    timezone: str = LOCAL_TIMEZONE

    def active_at(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        return any(w.covers(local) for w in self.windows)


def window_of(days: Sequence[str], start: time, end: time, holidays: HolidayMode) -> Window:
    return Window(frozenset(DAYS.index(d) for d in days), start, end, holidays)
