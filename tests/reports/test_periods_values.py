"""Period parsing and value checking, table-driven (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from services.reports.datavalues.periods import (
    MAX_PERIODS,
    PeriodError,
    PeriodType,
    parse_period,
    period_containing,
    periods_between,
)
from services.reports.datavalues.rules import IndicatorRule, InvalidValue, normalise_value


@pytest.mark.parametrize(
    ("text", "type_", "start", "end", "iso"),
    [
        ("2026", PeriodType.YEARLY, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2026Q1", PeriodType.QUARTERLY, date(2026, 1, 1), date(2026, 3, 31), "2026Q1"),
        ("2024q4", PeriodType.QUARTERLY, date(2024, 10, 1), date(2024, 12, 31), "2024Q4"),
        ("2026-01", PeriodType.MONTHLY, date(2026, 1, 1), date(2026, 1, 31), "2026-01"),
        ("202602", PeriodType.MONTHLY, date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("2024-02", PeriodType.MONTHLY, date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        ("2026W05", PeriodType.WEEKLY, date(2026, 1, 26), date(2026, 2, 1), "2026W05"),
        ("2026W5", PeriodType.WEEKLY, date(2026, 1, 26), date(2026, 2, 1), "2026W05"),
        ("2020W53", PeriodType.WEEKLY, date(2020, 12, 28), date(2021, 1, 3), "2020W53"),
        ("2025W01", PeriodType.WEEKLY, date(2024, 12, 30), date(2025, 1, 5), "2025W01"),
        ("2026-01-15", PeriodType.DAILY, date(2026, 1, 15), date(2026, 1, 15), "2026-01-15"),
        ("20260115", PeriodType.DAILY, date(2026, 1, 15), date(2026, 1, 15), "2026-01-15"),
        ("2024-02-29", PeriodType.DAILY, date(2024, 2, 29), date(2024, 2, 29), "2024-02-29"),
    ],
)
def test_parse_period(text: str, type_: PeriodType, start: date, end: date, iso: str) -> None:
    p = parse_period(text)
    assert (p.type, p.start, p.end, p.iso) == (type_, start, end, iso)
    assert parse_period(p.dhis2) == p


@pytest.mark.parametrize(
    "text",
    [
        "",
        "26",
        "2026Q5",
        "2026Q0",
        "2026-13",
        "202600",
        "2026W54",
        "2026W00",
        "2025W53",
        "2026-02-30",
        "20260230",
        "2026-1",
        "2026/01",
        "Jan 2026",
        "2026S1",
        "2026-01-15T00:00",
        "0000",
        "0001-12",
        "1899W52",
        "3000Q1",
        "9999-12-31",
    ],
)
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_a_span_longer_than_the_limit_is_refused_not_enumerated() -> None:
    first = parse_period("1990-01-01")
    assert len(periods_between(first, parse_period("2017-05-18"))) == MAX_PERIODS
    with pytest.raises(PeriodError, match="spans more than"):
        periods_between(first, parse_period("2017-05-19"))


def test_period_navigation() -> None:
    assert parse_period("2025-12").next().iso == "2026-01"
    assert parse_period("2026Q1").previous().iso == "2025Q4"
    assert parse_period("2026W01").previous().iso == "2025W52"
    assert period_containing(date(2026, 5, 17), PeriodType.QUARTERLY).iso == "2026Q2"


def _rule(value_type: str, lo: float | None = None, hi: float | None = None) -> IndicatorRule:
    return IndicatorRule(1, "X", value_type, "sum", PeriodType.MONTHLY, lo, hi, None, None)


@pytest.mark.parametrize(
    ("value_type", "raw", "expected"),
    [
        ("integer", "12", ("12", 12.0)),
        ("integer", 12, ("12", 12.0)),
        ("integer", "12.0", ("12", 12.0)),
        ("integer", "-3", ("-3", -3.0)),
        ("number", "12.50", ("12.5", 12.5)),
        ("number", "1e3", ("1000", 1000.0)),
        ("number", "3,5", ("3.5", 3.5)),
        ("number", 0.1, ("0.1", 0.1)),
        ("percentage", "100", ("100", 100.0)),
        ("percentage", "0", ("0", 0.0)),
        ("boolean", "true", ("true", 1.0)),
        ("boolean", "No", ("false", 0.0)),
        ("boolean", True, ("true", 1.0)),
        ("boolean", "0", ("false", 0.0)),
        ("text", "Bãi biển sạch", ("Bãi biển sạch", None)),
    ],
)
def test_value_accepts(value_type: str, raw: object, expected: tuple[str, float | None]) -> None:
    assert normalise_value(_rule(value_type), raw) == expected


@pytest.mark.parametrize(
    ("value_type", "raw", "code", "lo", "hi"),
    [
        ("integer", "1.5", "E_VALUE_TYPE", None, None),
        ("integer", "abc", "E_VALUE_TYPE", None, None),
        ("integer", True, "E_VALUE_TYPE", None, None),
        ("integer", "", "E_VALUE_MISSING", None, None),
        ("integer", None, "E_VALUE_MISSING", None, None),
        ("number", "nan", "E_VALUE_TYPE", None, None),
        ("number", "inf", "E_VALUE_TYPE", None, None),
        ("percentage", "100.1", "E_VALUE_RANGE", None, None),
        ("percentage", "-1", "E_VALUE_RANGE", None, None),
        ("integer", "-1", "E_VALUE_RANGE", 0, None),
        ("number", "10001", "E_VALUE_RANGE", None, 10000),
        ("boolean", "maybe", "E_VALUE_TYPE", None, None),
        ("text", "x" * 2001, "E_VALUE_TOO_LONG", None, None),
    ],
)
def test_value_rejects(value_type: str, raw: object, code: str, lo: float | None, hi: float | None) -> None:
    with pytest.raises(InvalidValue) as info:
        normalise_value(_rule(value_type, lo, hi), raw)
    assert info.value.code == code
