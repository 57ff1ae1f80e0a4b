"""DHIS2 relative periods, period names and value formatting (pure functions, no service)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from services.reports.datavalues.dhis2.analytics.cells import Partial, cell, format_value
from services.reports.datavalues.dhis2.analytics.periods import (
    RELATIVE,
    period_name,
    relative_name,
    relative_periods,
)
from services.reports.datavalues.periods import parse_period

DAY = date(2025, 7, 15)  # a Tuesday in ISO week 29


def ids(name: str, day: date = DAY) -> list[str]:
    return [p.dhis2 for p in relative_periods(name, day)]


def test_rolling_periods_end_before_the_current_one() -> None:
    assert ids("LAST_12_MONTHS") == [f"2024{m:02d}" for m in range(7, 13)] + [f"2025{m:02d}" for m in range(1, 7)]
    assert ids("LAST_3_MONTHS") == ["202504", "202505", "202506"]
    assert ids("THIS_MONTH") == ["202507"]
    assert ids("LAST_MONTH") == ["202506"]
    assert ids("LAST_4_QUARTERS") == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    assert ids("THIS_QUARTER") == ["2025Q3"]
    assert ids("THIS_YEAR") == ["2025"]
    assert ids("LAST_YEAR") == ["2024"]
    assert ids("LAST_5_YEARS") == ["2020", "2021", "2022", "2023", "2024"]
    assert ids("TODAY") == ["20250715"]
    assert ids("YESTERDAY") == ["20250714"]
    assert ids("LAST_7_DAYS") == [(DAY - timedelta(days=d)).strftime("%Y%m%d") for d in range(7, 0, -1)]
    assert ids("THIS_WEEK") == ["2025W29"]
    assert ids("LAST_WEEK") == ["2025W28"]
    last52 = ids("LAST_52_WEEKS")
    assert len(last52) == 52
    assert (last52[0], last52[-1]) == ("2024W29", "2025W28")


def test_periods_of_a_year_and_year_boundaries() -> None:
    assert ids("MONTHS_THIS_YEAR") == [f"2025{m:02d}" for m in range(1, 13)]
    assert ids("QUARTERS_LAST_YEAR") == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    weeks = ids("WEEKS_THIS_YEAR", date(2026, 6, 1))  # 2026 has 53 ISO weeks
    assert (weeks[0], weeks[-1], len(weeks)) == ("2026W1", "2026W53", 53)
    # 1 January 2027 is in ISO week 53 of 2026: this week is that one, last month is December.
    assert ids("THIS_WEEK", date(2027, 1, 1)) == ["2026W53"]
    assert ids("LAST_MONTH", date(2027, 1, 1)) == ["202612"]
    assert ids("LAST_QUARTER", date(2027, 1, 1)) == ["2026Q4"]


def test_every_relative_period_expands_to_contiguous_periods() -> None:
    for name in RELATIVE:
        periods = relative_periods(name, DAY)
        assert periods, name
        for a, b in itertools.pairwise(periods):
            assert a.next() == b, name
        assert relative_name(name)[0].isupper()
        assert "_" not in relative_name(name)
    assert relative_name("LAST_12_MONTHS") == "Last 12 months"


@pytest.mark.parametrize(
    ("period", "name"),
    [
        ("202401", "January 2024"),
        ("2024Q1", "January - March 2024"),
        ("2024", "2024"),
        ("20240115", "2024-01-15"),
        ("2024W5", "Week 5 - 2024-01-29 - 2024-02-04"),
    ],
)
def test_period_names_are_dhis2s(period: str, name: str) -> None:
    assert period_name(parse_period(period)) == name


def test_values_are_written_as_dhis2_writes_them() -> None:
    assert format_value(125.0, skip_rounding=False) == "125"
    assert format_value(81.1, skip_rounding=False) == "81.1"
    assert format_value(2 / 3, skip_rounding=False) == "0.67"
    assert format_value(0.125, skip_rounding=False) == "0.13"  # half up, not to even
    assert format_value(2 / 3, skip_rounding=True) == "0.6666666667"
    assert format_value(123456789.5, skip_rounding=False) == "123456789.5"  # never 1.234567895E8


def test_cells_combine_periods_then_departments_by_aggregation() -> None:
    jan, feb = ("monthly", date(2025, 1, 1)), ("monthly", date(2025, 2, 1))
    data = {1: {jan: Partial(10, 1), feb: Partial(20, 1)}, 2: {jan: Partial(5, 2)}}
    assert cell("sum", data, [1, 2], [jan, feb]) == 35
    assert cell("average", data, [1, 2], [jan, feb]) == pytest.approx((10 + 20 + 5 * 2) / 4)
    assert cell("min", data, [1, 2], [jan, feb]) == 5
    assert cell("max", data, [1, 2], [jan, feb]) == 20
    assert cell("last", data, [1, 2], [jan, feb]) == 20 + 5  # each department's latest, added
    assert cell("sum", data, [2], [feb]) is None
