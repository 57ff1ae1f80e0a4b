"""Briefing periods: ISO weeks and months, their bounds, the periods before them, and bad input."""

from __future__ import annotations

from datetime import date

import pytest

from services.gateway.briefings.periods import parse_period
from shared.errors import InvalidInputError


def test_an_iso_week_runs_monday_to_sunday_and_crosses_years() -> None:
    week = parse_period("2026-W01")
    assert (week.start, week.last_day) == (date(2025, 12, 29), date(2026, 1, 4))
    assert week.reports_id == "2026W01"
    assert week.back(1).name == "2025-W52"


def test_week_53_exists_only_in_long_years() -> None:
    assert parse_period("2026-W53").start == date(2026, 12, 28)  # 2026 starts on a Thursday
    with pytest.raises(InvalidInputError):
        parse_period("2025-W53")


def test_a_month_and_the_months_before_it() -> None:
    month = parse_period("2026-03")
    assert (month.start, month.end, month.reports_id) == (date(2026, 3, 1), date(2026, 4, 1), "2026-03")
    assert [month.back(n).name for n in (1, 2, 3)] == ["2026-02", "2026-01", "2025-12"]
    assert parse_period("2026-12").end == date(2027, 1, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-W00", "2026-W54", "2026W49", "26-11", "2026-11-01", ""])
def test_anything_else_is_invalid_input_naming_the_period(text: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_period(text)
    assert error.value.field == "period"
