"""DHIS2 periods in analytics: relative periods (``LAST_12_MONTHS``, ``THIS_YEAR`` ...) expanded against a
day, and the names DHIS2 gives periods in its metadata.

Relative periods follow DHIS2's ``RelativePeriods``: ``THIS_*`` is the period holding the day, ``LAST_*``
the one before it, ``LAST_N_*`` the N periods ending with the one before the current one (so
``LAST_12_MONTHS`` never holds the running month, ``LAST_7_DAYS`` ends yesterday), ``*_THIS_YEAR`` /
``*_LAST_YEAR`` every period of that year. Only the period types cityops stores are offered: bi-weeks,
bi-months, six-months and financial years are refused by name.
"""

from __future__ import annotations

from datetime import date, timedelta

from services.reports.datavalues.periods import Period, PeriodType, period_containing

# name → (period type, how many periods back the last one is, how many periods)
_ROLLING: dict[str, tuple[PeriodType, int, int]] = {
    "TODAY": (PeriodType.DAILY, 0, 1),
    "YESTERDAY": (PeriodType.DAILY, 1, 1),
    "LAST_3_DAYS": (PeriodType.DAILY, 1, 3),
    "LAST_7_DAYS": (PeriodType.DAILY, 1, 7),
    "LAST_14_DAYS": (PeriodType.DAILY, 1, 14),
    "LAST_30_DAYS": (PeriodType.DAILY, 1, 30),
    "LAST_60_DAYS": (PeriodType.DAILY, 1, 60),
    "LAST_90_DAYS": (PeriodType.DAILY, 1, 90),
    "LAST_180_DAYS": (PeriodType.DAILY, 1, 180),
    "THIS_WEEK": (PeriodType.WEEKLY, 0, 1),
    "LAST_WEEK": (PeriodType.WEEKLY, 1, 1),
    "LAST_4_WEEKS": (PeriodType.WEEKLY, 1, 4),
    "LAST_12_WEEKS": (PeriodType.WEEKLY, 1, 12),
    "LAST_52_WEEKS": (PeriodType.WEEKLY, 1, 52),
    "THIS_MONTH": (PeriodType.MONTHLY, 0, 1),
    "LAST_MONTH": (PeriodType.MONTHLY, 1, 1),
    "LAST_3_MONTHS": (PeriodType.MONTHLY, 1, 3),
    "LAST_6_MONTHS": (PeriodType.MONTHLY, 1, 6),
    "LAST_12_MONTHS": (PeriodType.MONTHLY, 1, 12),
    "THIS_QUARTER": (PeriodType.QUARTERLY, 0, 1),
    "LAST_QUARTER": (PeriodType.QUARTERLY, 1, 1),
    "LAST_4_QUARTERS": (PeriodType.QUARTERLY, 1, 4),
    "THIS_YEAR": (PeriodType.YEARLY, 0, 1),
    "LAST_YEAR": (PeriodType.YEARLY, 1, 1),
    "LAST_5_YEARS": (PeriodType.YEARLY, 1, 5),
    "LAST_10_YEARS": (PeriodType.YEARLY, 1, 10),
}
# name → (period type, which year: 0 this, 1 last)
_OF_YEAR: dict[str, tuple[PeriodType, int]] = {
    "WEEKS_THIS_YEAR": (PeriodType.WEEKLY, 0),
    "MONTHS_THIS_YEAR": (PeriodType.MONTHLY, 0),
    "QUARTERS_THIS_YEAR": (PeriodType.QUARTERLY, 0),
    "MONTHS_LAST_YEAR": (PeriodType.MONTHLY, 1),
    "QUARTERS_LAST_YEAR": (PeriodType.QUARTERLY, 1),
}
# DHIS2's relative periods of period types cityops does not store.
UNSUPPORTED = frozenset(
    {
        "THIS_BIWEEK",
        "LAST_BIWEEK",
        "LAST_4_BIWEEKS",
        "THIS_BIMONTH",
        "LAST_BIMONTH",
        "LAST_6_BIMONTHS",
        "BIMONTHS_THIS_YEAR",
        "THIS_SIX_MONTH",
        "LAST_SIX_MONTH",
        "LAST_2_SIXMONTHS",
        "THIS_FINANCIAL_YEAR",
        "LAST_FINANCIAL_YEAR",
        "LAST_5_FINANCIAL_YEARS",
        "LAST_10_FINANCIAL_YEARS",
    }
)
RELATIVE = frozenset(_ROLLING) | frozenset(_OF_YEAR)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def _back(period: Period, steps: int) -> Period:
    for _ in range(steps):
        period = period.previous()
    return period


def relative_periods(name: str, today: date) -> list[Period]:
    """The periods ``name`` stands for on ``today``, oldest first; KeyError when it is not one we offer."""
    if name in _OF_YEAR:
        type_, years_back = _OF_YEAR[name]
        year = today.year - years_back
        # ISO weeks of a year are those whose Thursday falls in it (as every roll-up here counts them).
        p = period_containing(date(year, 1, 4) if type_ is PeriodType.WEEKLY else date(year, 1, 1), type_)
        out: list[Period] = []
        while (p.start + timedelta(days=3) if type_ is PeriodType.WEEKLY else p.start).year == year:
            out.append(p)
            p = p.next()
        return out
    type_, back, count = _ROLLING[name]
    last = _back(period_containing(today, type_), back)
    return [_back(last, count - 1 - i) for i in range(count)]


def relative_name(name: str) -> str:
    """DHIS2's English name of a relative period (``LAST_12_MONTHS`` → ``Last 12 months``)."""
    return name.replace("_", " ").capitalize()


def period_name(period: Period) -> str:
    """The name DHIS2 gives a period in analytics metadata (its default English period formats)."""
    s, e = period.start, period.end
    match period.type:
        case PeriodType.DAILY:
            return s.isoformat()
        case PeriodType.WEEKLY:
            return f"Week {s.isocalendar()[1]} - {s.isoformat()} - {e.isoformat()}"
        case PeriodType.MONTHLY:
            return f"{_MONTHS[s.month - 1]} {s.year}"
        case PeriodType.QUARTERLY:
            return f"{_MONTHS[s.month - 1]} - {_MONTHS[e.month - 1]} {e.year}"
        case PeriodType.YEARLY:
            return str(s.year)
